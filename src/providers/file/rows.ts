/**
 * Turns rows (cells by column index) into source records and cuts them into batches.
 *
 * Readers (CSV, JSON, NDJSON) call `row()` / `reject()` synchronously, in file order, and hand the
 * completed batches (`take()`) to the consumer between chunks. Every data row counts toward the
 * cursor, including rejected ones, so a resumed export (`skip`) lines up with the same rows.
 *
 * Hot path (a million rows): no per-row regexes, closures or JSON; records keep one shape.
 */
import { normalizeHashType, detectHashType } from '../../services/mapping/hash.js';
import { flattenMetadata } from '../../services/mapping/metadata.js';
import { collapseNameWhitespace, splitFullName } from '../../services/mapping/text.js';
import type {
  ExportBatch,
  SourceIssue,
  SourceMembership,
  SourceOrganization,
  SourceRole,
  SourceUser,
} from '../types.js';
import { EmailCaseIndex } from './email-index.js';
import { mapFlag, type CompiledMapping, type IgnoredColumn } from './fields.js';

/** A cell: text (CSV, or a JSON scalar as text), a list (a JSON array), or nothing. */
export type Cell = string | string[] | undefined;

/** Organizations already emitted are not emitted again (journal: first wins) — up to this many ids. */
const EMITTED_ORGS_MAX = 200_000;
const ROLE_CACHE_MAX = 1024;
const ROLES_MAX = 10_000;

export interface RowSinkOptions {
  mapping: CompiledMapping;
  /** File name used in origins and locations. */
  fileName: string;
  /** `line`: locations are `name:line`; `index`: `name[index]` (JSON arrays). */
  locations: 'line' | 'index';
  batchSize: number;
  /** Rows already staged by an earlier run: consumed without yielding records. */
  skip: number;
}

export class RowSink {
  readonly m: CompiledMapping;
  private readonly name: string;
  private readonly byIndex: boolean;
  private readonly batchSize: number;
  readonly skip: number;
  /** Data rows consumed so far (the cursor). */
  rows = 0;
  private rowsInBatch = 0;

  private users: SourceUser[] = [];
  /** The previous row's user: the next row of the same person (same id and email) adds no user record. */
  private lastUserId: string | undefined;
  private lastUserEmail: string | undefined;
  private orgs = new Map<string, SourceOrganization>();
  private memberships: SourceMembership[] = [];
  private roles: SourceRole[] = [];
  private issues: SourceIssue[] = [];
  /** Columns found not read since the last batch (the header's, then JSON keys first seen later). */
  private ignored: IgnoredColumn[] = [];
  private ready: ExportBatch[] = [];

  private readonly emittedOrgs = new Set<string>();
  private readonly seenRoles = new Set<string>();
  private readonly roleCache = new Map<string, readonly string[]>();
  private readonly emails: EmailCaseIndex | undefined;
  private warnedRolesWithoutOrg = false;

  constructor(options: RowSinkOptions) {
    this.m = options.mapping;
    this.name = options.fileName;
    this.byIndex = options.locations === 'index';
    this.batchSize = Math.max(1, Math.floor(options.batchSize));
    this.skip = Math.max(0, Math.floor(options.skip));
    // Without an id column the lowercased email is the user's id: remember spellings.
    this.emails = this.m.id < 0 ? new EmailCaseIndex() : undefined;
  }

  /** True once no more case-only duplicates can be detected for new addresses (index full). */
  get emailIndexSaturated(): boolean {
    return this.emails?.saturated ?? false;
  }

  origin(location: number): string {
    return this.byIndex ? `${this.name}[${location}]` : `${this.name}:${location}`;
  }

  /** Where a location is, for messages: `line 12` or `element 12`. */
  private where(location: number): string {
    return this.byIndex ? `element ${location}` : `line ${location}`;
  }

  /** One data row; `location` is its starting line (or element index). */
  row(cells: ArrayLike<Cell>, location: number): void {
    if (++this.rows <= this.skip) {
      if (this.emails !== undefined) this.rememberEmail(cells, location);
      return;
    }
    this.build(cells, location);
    if (++this.rowsInBatch >= this.batchSize) this.finishBatch();
  }

  /** A data row that yields no records, with the issue saying why. */
  reject(location: number, message: string, field?: string): void {
    if (++this.rows > this.skip) {
      this.issues.push({ location: this.origin(location), field, message, recordKind: 'user', severity: 'error' });
      if (++this.rowsInBatch >= this.batchSize) this.finishBatch();
    }
  }

  /** A row with no content at all (e.g. `,,,,`): consumed, nothing to say. */
  blank(): void {
    if (++this.rows > this.skip && ++this.rowsInBatch >= this.batchSize) this.finishBatch();
  }

  /** An issue not tied to a row of its own (e.g. a file-wide warning). */
  note(issue: SourceIssue): void {
    if (this.rows >= this.skip) this.issues.push(issue);
  }

  /** A column whose values are not read: carried by the next batch, for the plan and summary. */
  ignore(column: IgnoredColumn): void {
    this.ignored.push(column);
  }

  /** Batches completed so far; the caller yields them. */
  take(): ExportBatch[] {
    const ready = this.ready;
    if (ready.length) this.ready = [];
    return ready;
  }

  /** At the end of the file: the last, partial batch. */
  finish(): ExportBatch[] {
    if (this.rowsInBatch > 0 || this.issues.length > 0 || this.ignored.length > 0) this.finishBatch();
    return this.take();
  }

  private finishBatch(): void {
    this.ready.push({
      organizations: [...this.orgs.values()],
      users: this.users,
      memberships: this.memberships,
      roles: this.roles,
      issues: this.issues,
      cursor: String(this.rows),
      progress: { done: this.rows, unit: 'rows' },
      ...(this.ignored.length ? { ignoredColumns: this.ignored } : {}),
    });
    this.ignored = [];
    this.users = [];
    this.lastUserId = undefined;
    this.orgs.clear();
    this.memberships = [];
    this.roles = [];
    this.issues = [];
    this.rowsInBatch = 0;
  }

  private issue(location: number, field: string, message: string, severity: 'error' | 'warning', sourceId?: string): void {
    this.issues.push({ location: this.origin(location), field, message, recordKind: 'user', sourceId, severity });
  }

  private column(index: number): string {
    return JSON.stringify(this.m.columns[index]);
  }

  private rememberEmail(cells: ArrayLike<Cell>, location: number): void {
    const raw = cells[this.m.email];
    if (typeof raw !== 'string') return;
    const email = raw.trim();
    if (email) this.emails!.check(email.toLowerCase(), email, location);
  }

  /** A single-valued cell, trimmed; undefined when empty; a list is reported by the caller. */
  private text(cells: ArrayLike<Cell>, index: number): string | undefined {
    if (index < 0) return undefined;
    const v = cells[index];
    if (typeof v === 'string') {
      const t = v.trim();
      return t === '' ? undefined : t;
    }
    if (v === undefined) return undefined;
    return v.length === 0 ? undefined : v.join(' ');
  }

  private build(cells: ArrayLike<Cell>, location: number): void {
    const m = this.m;
    const damaged = this.replacementCharacter(cells);
    if (damaged >= 0) {
      return this.issue(
        location,
        this.fieldOf(damaged),
        `${this.column(damaged)} holds U+FFFD, the replacement character: bytes there are not UTF-8 text (a Latin-1 / Windows-1252 file?), or the text was damaged by an earlier conversion; the row was not imported — convert the file to UTF-8 (iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8) or fix the value, and run again.`,
        'error',
      );
    }
    const rawEmail = cells[m.email];
    if (typeof rawEmail !== 'string') {
      if (rawEmail === undefined || rawEmail.length === 0) return this.missingEmail(cells, location);
      return this.issue(location, 'email', `${this.column(m.email)} holds a list; a user has exactly one email address — the row was not imported.`, 'error');
    }
    const email = rawEmail.trim();
    if (email === '') return this.missingEmail(cells, location);

    let sourceId: string;
    if (m.id >= 0) {
      const id = cells[m.id];
      if (id !== undefined && typeof id !== 'string') {
        return this.issue(location, 'id', `${this.column(m.id)} holds a list; a user has exactly one id — the row was not imported.`, 'error');
      }
      const text = id?.trim();
      if (!text) {
        return this.issue(
          location,
          'id',
          `empty id (column ${this.column(m.id)}); every row needs one when an id column is mapped — fill it in, or drop the column with ${mapFlag(m.columns[m.id], 'ignore')} to identify users by email. The row was not imported.`,
          'error',
        );
      }
      sourceId = text;
    } else {
      sourceId = email.toLowerCase();
      const first = this.emails!.check(sourceId, email, location);
      if (first >= 0) {
        this.issue(location, 'email', `email differs only in case from ${this.where(first)}; treated as the same user`, 'warning', sourceId);
      }
    }

    const origin = this.origin(location);
    // Rows of one person usually follow each other: yield the user once for them. Other repeats
    // are yielded again: the journal keeps the first and reports a different email.
    if (sourceId !== this.lastUserId || email !== this.lastUserEmail) {
      this.lastUserId = sourceId;
      this.lastUserEmail = email;
      this.users.push(this.user(cells, location, sourceId, email, origin));
    }
    if (m.orgId >= 0 || m.orgName >= 0) this.memberships_(cells, location, sourceId, origin);
    else if (m.role >= 0 && !this.warnedRolesWithoutOrg && this.text(cells, m.role) !== undefined) {
      this.warnedRolesWithoutOrg = true;
      this.issue(
        location,
        'role',
        `roles without an organization are ignored (first seen here): WorkOS roles belong to organization memberships — map the organization columns (organization_id / organization_name), or drop the column with ${mapFlag(m.columns[m.role], 'ignore')}.`,
        'warning',
      );
    }
  }

  /**
   * The first mapped cell holding U+FFFD, or -1. The readers decode UTF-8 leniently, so a byte
   * that is not UTF-8 past the head (which alone is checked up front) arrives as U+FFFD: imported,
   * it would garble a name or an email for good.
   */
  private replacementCharacter(cells: ArrayLike<Cell>): number {
    const used = this.m.used;
    for (let i = 0; i < used.length; i++) {
      const v = cells[used[i]];
      if (typeof v === 'string') {
        if (v.indexOf('\uFFFD') !== -1) return used[i];
      } else if (v !== undefined) {
        for (let k = 0; k < v.length; k++) if (v[k].indexOf('\uFFFD') !== -1) return used[i];
      }
    }
    return -1;
  }

  /** The field a column index is mapped to, for issues. */
  private fieldOf(index: number): string {
    const m = this.m;
    const slots: [number, string][] = [
      [m.id, 'id'],
      [m.email, 'email'],
      [m.firstName, 'first_name'],
      [m.lastName, 'last_name'],
      [m.name, 'name'],
      [m.emailVerified, 'email_verified'],
      [m.passwordHash, 'password_hash'],
      [m.passwordHashType, 'password_hash_type'],
      [m.orgId, 'organization_id'],
      [m.orgName, 'organization_name'],
      [m.orgDomains, 'organization_domains'],
      [m.role, 'role'],
    ];
    for (const [slot, field] of slots) if (slot === index) return field;
    if (m.metadataObjects.includes(index)) return 'metadata';
    const meta = m.metadata.find((e) => e.index === index);
    return meta ? `metadata.${meta.key}` : m.columns[index];
  }

  private missingEmail(cells: ArrayLike<Cell>, location: number): void {
    const m = this.m;
    for (const i of m.used) {
      const v = cells[i];
      if (v !== undefined && (typeof v !== 'string' || v.trim() !== '')) {
        return this.issue(location, 'email', `missing email (column ${this.column(m.email)} is empty); the row was not imported — every user needs an email address.`, 'error');
      }
    }
    // Nothing mapped holds anything: a blank row (e.g. `,,,,` or a trailing empty line).
  }

  private user(cells: ArrayLike<Cell>, location: number, sourceId: string, email: string, origin: string): SourceUser {
    const m = this.m;
    let firstName = this.personName(cells, m.firstName, 'first_name', location, sourceId);
    let lastName = this.personName(cells, m.lastName, 'last_name', location, sourceId);
    if (firstName === undefined && lastName === undefined && m.name >= 0) {
      const full = this.personName(cells, m.name, 'name', location, sourceId);
      if (full !== undefined) ({ firstName, lastName } = splitFullName(full));
    }

    let emailVerified: boolean | undefined;
    if (m.emailVerified >= 0) {
      const v = this.text(cells, m.emailVerified);
      if (v !== undefined) {
        emailVerified = parseBoolean(v);
        if (emailVerified === undefined) {
          this.issue(
            location,
            'email_verified',
            `${JSON.stringify(v)} in ${this.column(m.emailVerified)} is not a yes/no value (use true/false, 1/0, yes/no, t/f or y/n); the user is imported as not verified.`,
            'warning',
            sourceId,
          );
        }
      }
    }

    const passwordHash = this.text(cells, m.passwordHash);
    let passwordHashType = this.text(cells, m.passwordHashType);
    if (passwordHashType !== undefined) passwordHashType = normalizeHashType(passwordHashType) ?? passwordHashType;
    else if (passwordHash !== undefined) passwordHashType = detectHashType(passwordHash);

    // Without a prototype: keys are source data, and `__proto__` is a key like any other.
    let metadata: Record<string, string> | undefined;
    const meta = m.metadata;
    for (let i = 0; i < meta.length; i++) {
      const v = cells[meta[i].index];
      let value: string | undefined;
      if (typeof v === 'string') value = v.trim() || undefined;
      else if (v !== undefined && v.length > 0) value = JSON.stringify(v);
      if (value !== undefined) (metadata ??= Object.create(null) as Record<string, string>)[meta[i].key] = value;
    }
    // Then the objects of `metadata` columns, flattened: the operator's metadata.KEY columns win.
    const objects = m.metadataObjects;
    for (let i = 0; i < objects.length; i++) {
      const cell = cells[objects[i]];
      if (cell !== undefined) metadata = this.metadataObject(cell, objects[i], metadata ?? (Object.create(null) as Record<string, string>), location, sourceId);
    }
    if (metadata !== undefined && Object.keys(metadata).length === 0) metadata = undefined;

    return { sourceId, email, firstName, lastName, emailVerified, passwordHash, passwordHashType, metadata, origin };
  }

  /**
   * A name cell, trimmed, with line breaks and tabs collapsed to one space (a quoted CSV value may
   * span lines): said in a warning, since the name is not imported exactly as the file has it.
   */
  private personName(cells: ArrayLike<Cell>, index: number, field: string, location: number, sourceId: string): string | undefined {
    const text = this.text(cells, index);
    if (text === undefined) return undefined;
    const collapsed = collapseNameWhitespace(text);
    if (collapsed === text) return text;
    this.issue(
      location,
      field,
      `${this.column(index)} holds a line break or tab (${JSON.stringify(text)}); imported as ${JSON.stringify(collapsed)}, on one line.`,
      'warning',
      sourceId,
    );
    return collapsed || undefined;
  }

  /**
   * A `metadata` column's cell into `into`: a JSON object (a nested value, or JSON text in a CSV
   * cell) flattened, anything else kept as one value under the column's name. Keys WorkOS cannot
   * hold are left out, each in a warning naming the user, the key and why.
   */
  private metadataObject(cell: Cell, index: number, into: Record<string, string>, location: number, sourceId: string): Record<string, string> {
    const column = this.m.columns[index];
    let object: Record<string, unknown> | undefined;
    if (typeof cell === 'string') {
      const text = cell.trim();
      if (text === '') return into;
      if (text.charCodeAt(0) === 0x7b /* { */) {
        try {
          const parsed: unknown = JSON.parse(text);
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) object = parsed as Record<string, unknown>;
        } catch (error) {
          this.issue(
            location,
            'metadata',
            `${this.column(index)} starts like a JSON object but is not valid JSON (${(error as Error).message}); kept as one metadata value under ${JSON.stringify(column)} — fix the JSON at the source to have its keys.`,
            'warning',
            sourceId,
          );
        }
      }
      object ??= { [column]: text };
    } else if (cell !== undefined && cell.length > 0) object = { [column]: cell };
    if (object === undefined) return into;
    for (const { key, reason, keys } of flattenMetadata(object, into)) {
      const overLimit = keys !== undefined;
      this.issue(
        location,
        overLimit ? 'metadata' : `metadata.${key.length > 100 ? `${key.slice(0, 97)}...` : key}`,
        overLimit
          ? `metadata from ${this.column(index)}: ${reason}.`
          : `metadata key ${JSON.stringify(key.length > 100 ? `${key.slice(0, 97)}...` : key)} from ${this.column(index)} was left out: ${reason}.`,
        'warning',
        sourceId,
      );
    }
    return into;
  }

  private memberships_(cells: ArrayLike<Cell>, location: number, userSourceId: string, origin: string): void {
    const m = this.m;
    const idCell = m.orgId >= 0 ? cells[m.orgId] : cells[m.orgName];
    const roles = m.role >= 0 ? this.rolesOf(cells[m.role]) : EMPTY;

    // Fast path: one organization, given as text. A `|` lists several, by id or (without an id
    // column) by name, the name then being the id.
    if (typeof idCell === 'string' && idCell.indexOf('|') === -1) {
      const id = idCell.trim();
      if (id === '') return;
      const name = m.orgId >= 0 ? this.text(cells, m.orgName) : undefined;
      this.organization(id, name, m.orgDomains >= 0 ? cells[m.orgDomains] : undefined, origin);
      this.memberships.push({ userSourceId, orgSourceId: id, roles: roles as string[], origin });
      return;
    }

    const ids = list(idCell, LIST_SEPARATOR);
    if (ids.length === 0) return;
    let names: string[] | undefined;
    if (m.orgId >= 0 && m.orgName >= 0) {
      names = list(cells[m.orgName], LIST_SEPARATOR);
      if (names.length !== ids.length) {
        if (names.length > 0) {
          this.issue(
            location,
            'organization_name',
            `${this.column(m.orgName)} has ${names.length} value(s) for ${ids.length} organization ids; the names are ignored and the ids used as names — give one name per id, separated by |.`,
            'warning',
            userSourceId,
          );
        }
        names = undefined;
      }
    }
    let domains = m.orgDomains >= 0 ? cells[m.orgDomains] : undefined;
    if (ids.length > 1 && domains !== undefined && list(domains, DOMAIN_SEPARATOR).length > 0) {
      this.issue(
        location,
        'organization_domains',
        `the row names ${ids.length} organizations, so its domains cannot be assigned to one of them and are ignored — put each organization's domains on a row of its own.`,
        'warning',
        userSourceId,
      );
      domains = undefined;
    }
    for (let i = 0; i < ids.length; i++) {
      this.organization(ids[i], names?.[i], domains, origin);
      this.memberships.push({ userSourceId, orgSourceId: ids[i], roles: roles as string[], origin });
    }
  }

  private organization(id: string, name: string | undefined, domains: Cell, origin: string): void {
    const emitted = this.emittedOrgs.has(id);
    if (emitted && (domains === undefined || domains.length === 0)) return; // the common case: one lookup
    const inBatch = this.orgs.get(id);
    if (inBatch !== undefined) {
      // Domains on a later row of this batch complete an organization first seen without them.
      if (inBatch.domains.length === 0 && domains !== undefined) inBatch.domains = domainsOf(domains);
      return;
    }
    if (emitted) return; // staged in an earlier batch: first wins
    if (this.emittedOrgs.size < EMITTED_ORGS_MAX) this.emittedOrgs.add(id);
    this.orgs.set(id, { sourceId: id, name: name ?? id, domains: domains === undefined ? [] : domainsOf(domains), origin });
  }

  private rolesOf(cell: Cell): readonly string[] {
    if (cell === undefined) return EMPTY;
    if (typeof cell === 'string') {
      const cached = this.roleCache.get(cell);
      if (cached !== undefined) return cached;
      const roles = Object.freeze(unique(list(cell, ROLE_SEPARATOR)));
      if (this.roleCache.size < ROLE_CACHE_MAX) this.roleCache.set(cell, roles);
      this.addRoles(roles);
      return roles;
    }
    const roles = unique(list(cell, ROLE_SEPARATOR));
    this.addRoles(roles);
    return roles;
  }

  private addRoles(roles: readonly string[]): void {
    for (const slug of roles) {
      if (this.seenRoles.has(slug) || this.seenRoles.size >= ROLES_MAX) continue;
      this.seenRoles.add(slug);
      this.roles.push({ slug });
    }
  }
}

const EMPTY: readonly string[] = Object.freeze([]);
const LIST_SEPARATOR = /\|/;
const ROLE_SEPARATOR = /[|;]/;
const DOMAIN_SEPARATOR = /[|,;\s]+/;

/** A cell as a list: a JSON array as is, text split on `separator`; trimmed, empties dropped. */
function list(cell: Cell, separator: RegExp): string[] {
  if (cell === undefined) return [];
  const parts = typeof cell === 'string' ? cell.split(separator) : cell.flatMap((v) => v.split(separator));
  const out: string[] = [];
  for (const p of parts) {
    const t = p.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

function unique(values: string[]): string[] {
  return values.length < 2 ? values : [...new Set(values)];
}

function domainsOf(cell: Cell): SourceOrganization['domains'] {
  return unique(list(cell, DOMAIN_SEPARATOR).map((d) => d.toLowerCase())).map((domain) => ({ domain, state: 'pending' as const }));
}

/** true/false/1/0/yes/no/t/f/y/n, any case; undefined for anything else. */
export function parseBoolean(value: string): boolean | undefined {
  switch (value) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
  }
  switch (value.toLowerCase()) {
    case 'true':
    case 'yes':
    case 't':
    case 'y':
      return true;
    case 'false':
    case 'no':
    case 'f':
    case 'n':
      return false;
  }
  return undefined;
}
