import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ExpectedError } from '../../errors.js';
import type { SourceIssue, SourceMembership, SourceOrganization, SourceRole, SourceUser } from '../../providers/types.js';
import { membershipRows, userRows, type Cell } from './rows.js';
import { MIGRATIONS } from './schema.js';
import { INVITATION_ONLY, LEFT_OUT, USERS_TO_IMPORT_SQL } from './sql.js';
import type {
  FactorCounts,
  FactorRow,
  MembershipImport,
  MembershipRow,
  OrganizationRow,
  PasswordState,
  Phase,
  RecordKind,
  RecordOutcome,
  RecordState,
  RunSettings,
  StateCounts,
  UserRow,
} from './types.js';

const TABLE: Record<RecordKind, string> = {
  organization: 'organizations',
  user: 'users',
  membership: 'memberships',
};

export const JOURNAL_DIR = '.workos-migrate';

/** What a sync pass found in the source that the journal did not have. */
export interface SyncFound {
  organizations: number;
  users: number;
  memberships: number;
  /** Imported users whose email, names or password hash changed. */
  updated: number;
  /** Imported users gone from the source. */
  deleted: number;
}

export { INVITATION_ONLY, LEFT_OUT } from './sql.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records staged in one transaction, with the source cursor that follows them. */
export interface StagedBatch {
  organizations?: SourceOrganization[];
  users?: SourceUser[];
  memberships?: SourceMembership[];
  roles?: SourceRole[];
  issues?: SourceIssue[];
  /** Users and memberships already flattened into column values (by the export worker). */
  rows?: { users: Cell[][]; memberships: Cell[][] };
  /** Users or organizations that failed validation: staged as `skipped` with the reason. */
  invalid?: { kind: 'user' | 'organization'; sourceId: string; reason: string; byChoice?: boolean }[];
  cursor?: { source: string; cursor: string; done: number; total?: number; unit: string };
}

export interface StageCounts {
  organizations: number;
  users: number;
  memberships: number;
  issues: number;
}

const json = (value: unknown): string | null =>
  value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0)
    ? null
    : JSON.stringify(value);

/**
 * The migration's journal: one SQLite file holding the settings, every staged source record and
 * its state. Every state change is committed before the next API call depends on it, so a
 * killed run resumes without losing or repeating anything.
 */
export class Journal {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Organization ids staged by this process (organizations are few next to users). */
  private readonly seenOrganizations = new Set<string>();

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.db = db;
  }

  /** Creates a new journal file (mode 0600) and records the run's settings. */
  static create(filePath: string, settings: RunSettings): Journal {
    const resolved = path.resolve(filePath);
    try {
      fs.mkdirSync(path.dirname(resolved), { recursive: true, mode: 0o700 });
      // Journals hold staged password hashes: keep the folder out of the application's repository.
      const ignore = path.join(path.dirname(resolved), '.gitignore');
      if (path.basename(path.dirname(resolved)) === JOURNAL_DIR && !fs.existsSync(ignore)) fs.writeFileSync(ignore, '*\n');
      // Create the file ourselves so it is 0600 from its first byte; SQLite gives the
      // -wal and -shm files the database file's mode.
      fs.closeSync(fs.openSync(resolved, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ExpectedError(
          `A journal already exists at ${resolved}.`,
          `Continue it with \`workos-migrate resume --journal ${filePath}\`, or choose another path with --journal.`,
        );
      }
      throw new ExpectedError(`Cannot create the journal at ${resolved}: ${(error as Error).message}.`, 'Choose a writable path with --journal.');
    }
    fs.chmodSync(resolved, 0o600);
    const journal = new Journal(resolved, Journal.connect(resolved));
    journal.setMeta('settings', settings);
    journal.setMeta('phase', 'created');
    journal.setMeta('orphan_check', false);
    journal.touch();
    return journal;
  }

  /** Opens an existing journal, upgrading its schema when an older release wrote it. */
  static open(filePath: string): Journal {
    const resolved = path.resolve(filePath);
    if (!fs.existsSync(resolved)) {
      throw new ExpectedError(`No journal at ${resolved}.`, 'Check the path given to --journal, or start a migration with `workos-migrate run`.');
    }
    let db: Database.Database;
    try {
      // Look before touching: a mistyped --journal must not get our tables or WAL mode.
      const peek = new Database(resolved, { readonly: true, fileMustExist: true });
      try {
        const hasMeta = peek.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
        if (!hasMeta) throw new Error('it holds no journal tables');
      } finally {
        peek.close();
      }
      db = Journal.connect(resolved);
    } catch (error) {
      throw new ExpectedError(`${resolved} is not a workos-migrate journal (${(error as Error).message}).`, 'Pass the .db file a previous run created.');
    }
    const journal = new Journal(resolved, db);
    if (journal.getMeta('settings') === undefined) {
      db.close();
      throw new ExpectedError(`${resolved} is not a workos-migrate journal (it holds no run settings).`, 'Pass the .db file a previous run created.');
    }
    return journal;
  }

  private static connect(file: string): Database.Database {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a process kill; only a power cut can lose the last few.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Secrets (password hashes, TOTP secrets) purged from a row are overwritten, not left in the
    // page's free space or on the freelist for anyone reading the file's bytes.
    db.pragma('secure_delete = ON');
    // A modest page cache: staging's inserts are mostly appends, and memory is budgeted (150 MB for
    // a million-row export, worker included).
    db.pragma('cache_size = -4096');
    // A fingerprint of a purged password hash (sync compares it with the source's hash again).
    db.function('wm_digest', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? createHash('sha256').update(value).digest('base64') : null));
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      db.close();
      throw new ExpectedError(
        `The journal ${file} was written by a newer workos-migrate (schema ${version}).`,
        'Upgrade workos-migrate (npx workos-migrate@latest) to continue it.',
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    return db;
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private lockFile: string | undefined;

  /**
   * Claims the journal for this process: two runs importing from one journal would race for the
   * same records. A lock left by a process that died (a kill, a crash) is taken over.
   */
  lock(): void {
    const file = `${this.path}.lock`;
    for (let tries = 0; tries < 2; tries++) {
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
        this.lockFile = file;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new ExpectedError(
          `Another workos-migrate (process ${holder}) is working on ${this.path}.`,
          `Let it finish or stop it (Ctrl-C), then run again; \`workos-migrate status --journal ${this.path}\` shows its progress meanwhile.`,
        );
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
    throw new ExpectedError(`Cannot lock ${this.path}.`, 'Make sure no other workos-migrate uses it, then run again.');
  }

  close(): void {
    if (this.lockFile) {
      fs.rmSync(this.lockFile, { force: true });
      this.lockFile = undefined;
    }
    if (this.db.open) this.db.close();
  }

  // ---- settings and phase -------------------------------------------------------------------

  getMeta<T>(key: string): T | undefined {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  deleteMeta(key: string): void {
    this.stmt('DELETE FROM meta WHERE key = ?').run(key);
  }

  setMeta(key: string, value: unknown): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
      key,
      JSON.stringify(value),
    );
  }

  get settings(): RunSettings {
    return this.getMeta<RunSettings>('settings')!;
  }

  updateSettings(patch: Partial<RunSettings>): RunSettings {
    const next = { ...this.settings, ...patch };
    this.setMeta('settings', next);
    return next;
  }

  get phase(): Phase {
    return this.getMeta<Phase>('phase') ?? 'created';
  }

  setPhase(phase: Phase): void {
    this.setMeta('phase', phase);
    this.touch();
  }

  touch(): void {
    this.setMeta('last_activity', new Date().toISOString());
  }

  get lastActivity(): string | undefined {
    return this.getMeta<string>('last_activity');
  }

  // ---- staging -------------------------------------------------------------------------------

  cursor(source: string): { cursor: string; done: number; total?: number; unit?: string } | undefined {
    const row = this.stmt('SELECT cursor, done, total, unit FROM cursors WHERE source = ?').get(source) as
      | { cursor: string; done: number; total: number | null; unit: string | null }
      | undefined;
    return row ? { cursor: row.cursor, done: row.done, total: row.total ?? undefined, unit: row.unit ?? undefined } : undefined;
  }

  /**
   * Bulk staging: no automatic checkpoints while a source is read (each one copies and syncs
   * pages, a third of a million-row export's commit time); one checkpoint when it is done.
   * Commits stay durable in the WAL either way.
   */
  beginBulk(): void {
    this.db.pragma('wal_autocheckpoint = 0');
  }

  endBulk(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.pragma('wal_autocheckpoint = 1000');
  }

  /** Stages one batch and its cursor atomically: a batch is either wholly staged or not at all. */
  stageBatch(batch: StagedBatch): StageCounts {
    const now = Date.now();
    const counts: StageCounts = { organizations: 0, users: 0, memberships: 0, issues: 0 };
    const insertOrg = this.stmt(
      `INSERT INTO organizations (source_id, name, domains, metadata, origin, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(source_id) DO NOTHING`,
    );
    const insertUser = this.stmt(
      // Columns in the order of rows.ts, then updated_at.
      `INSERT INTO users (source_id, email, email_norm, first_name, last_name, email_verified, password_hash,
         password_hash_type, metadata, social, mfa, origin, totp_secret, totp_state, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE 'pending' END, ?) ON CONFLICT(source_id) DO NOTHING`,
    );
    const existingUser = this.stmt('SELECT email_norm, origin FROM users WHERE source_id = ?');
    const insertMembership = this.stmt(
      `INSERT INTO memberships (user_source_id, org_source_id, roles, origin, status, source_ref, invite_email, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(user_source_id, org_source_id) DO NOTHING`,
    );
    const membershipRoles = this.stmt('SELECT id, roles FROM memberships WHERE user_source_id = ? AND org_source_id = ?');
    const updateRoles = this.stmt('UPDATE memberships SET roles = ? WHERE id = ?');
    const insertRole = this.stmt('INSERT INTO roles (slug, name, description) VALUES (?, ?, ?) ON CONFLICT(slug) DO NOTHING');
    const insertIssue = this.stmt(
      'INSERT INTO issues (severity, location, field, message, record_kind, source_id) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const skip = {
      user: this.stmt(`UPDATE users SET state = 'skipped', error_code = ?, last_error = ? WHERE source_id = ? AND state = 'pending'`),
      organization: this.stmt(`UPDATE organizations SET state = 'skipped', error_code = ?, last_error = ? WHERE source_id = ? AND state = 'pending'`),
    };
    const saveCursor = this.stmt(
      `INSERT INTO cursors (source, cursor, done, total, unit, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, done = excluded.done, total = excluded.total,
         unit = excluded.unit, updated_at = excluded.updated_at`,
    );

    // Records this batch created: only those may be marked invalid by it. A later bad row of a
    // person already staged from a good one leaves that record alone (its issue still counts).
    const created = { user: new Set<string>(), organization: new Set<string>() };
    // Memberships whose user and organization this process has seen staged need no orphan
    // check at the end (a million probes saved); any other flags the journal for one.
    const users = batch.rows?.users ?? userRows(batch.users ?? []);
    const memberships = batch.rows?.memberships ?? membershipRows(batch.memberships ?? []);
    const batchUsers = new Set<string>();
    for (const u of users) batchUsers.add(u[0] as string);
    for (const org of batch.organizations ?? []) this.seenOrganizations.add(org.sourceId);
    let flagged = false;
    this.db.transaction(() => {
      for (const org of batch.organizations ?? []) {
        const changes = insertOrg.run(org.sourceId, org.name, json(org.domains), json(org.metadata), org.origin ?? null, now).changes;
        counts.organizations += changes;
        if (changes) created.organization.add(org.sourceId);
      }
      for (const u of users) {
        const sourceId = u[0] as string;
        // A row built before TOTP secrets were staged has 12 cells: no secret.
        const totp = u[12] ?? null;
        const result = insertUser.run(u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], totp, totp, now);
        if (result.changes) {
          counts.users++;
          created.user.add(sourceId);
          continue;
        }
        // The same source id again (another row of the same person): first one wins, but a
        // different email under one id is a conflict the operator must see.
        const existing = existingUser.get(sourceId) as { email_norm: string; origin: string | null };
        if (existing.email_norm !== u[2]) {
          const origin = u[11] as string | null;
          counts.issues += insertIssue.run(
            'error',
            origin ?? sourceId,
            'email',
            `user ${sourceId} already has email ${existing.email_norm}${existing.origin ? ` (${existing.origin})` : ''}; this row says ${u[1]}. The first was kept: fix the source and re-run to import the other.`,
            'user',
            sourceId,
          ).changes;
        }
      }
      for (const m of memberships) {
        const userSourceId = m[0] as string;
        const orgSourceId = m[1] as string;
        const inviteEmail = m[6] ?? null;
        // An invitation of someone new has no user to be staged beside.
        if (!flagged && ((!inviteEmail && !batchUsers.has(userSourceId)) || !this.seenOrganizations.has(orgSourceId))) {
          flagged = true;
          this.setMeta('orphan_check', true);
        }
        const roles = m[2] as string;
        const result = insertMembership.run(userSourceId, orgSourceId, roles, m[3], m[4] ?? null, m[5] ?? null, inviteEmail, now);
        if (result.changes) {
          counts.memberships++;
        } else if (roles !== '[]') {
          // One person listed twice in one organization with other roles: the roles add up.
          const row = membershipRoles.get(userSourceId, orgSourceId) as { id: number; roles: string };
          const had = JSON.parse(row.roles) as string[];
          const merged = [...new Set([...had, ...(JSON.parse(roles) as string[])])];
          if (merged.length !== had.length) updateRoles.run(JSON.stringify(merged), row.id);
        }
      }
      for (const role of batch.roles ?? []) insertRole.run(role.slug, role.name ?? null, role.description ?? null);
      for (const issue of batch.issues ?? []) {
        counts.issues += insertIssue.run(
          issue.severity ?? 'error',
          issue.location,
          issue.field ?? null,
          issue.message,
          issue.recordKind ?? null,
          issue.sourceId ?? null,
        ).changes;
      }
      for (const invalid of batch.invalid ?? []) {
        if (created[invalid.kind].has(invalid.sourceId)) skip[invalid.kind].run(invalid.byChoice ? LEFT_OUT : 'invalid', invalid.reason, invalid.sourceId);
      }
      if (batch.cursor) {
        const c = batch.cursor;
        saveCursor.run(c.source, c.cursor, c.done, c.total ?? null, c.unit, now);
      }
    })();
    return counts;
  }

  /**
   * Set-based checks once every record is staged (cheap over a million rows, unlike per-row
   * look-ups): a second user with an email already taken, and memberships whose user or
   * organization is missing or cannot be imported.
   */
  finalizeStaging(): { duplicateEmails: number; orphanMemberships: number } {
    let duplicateEmails = 0;
    let orphanMemberships = 0;
    this.db.transaction(() => {
      duplicateEmails = this.markDuplicates();
      if (duplicateEmails) this.mergeDuplicateMemberships();
      // One pass over the memberships for both of their references, unless every membership
      // was staged beside its user and after its organization (then none can be an orphan).
      if (this.getMeta<boolean>('orphan_check') === false) return;
      orphanMemberships = this.db
        .prepare(
          `WITH orphans AS (
             SELECT m.id,
                    CASE WHEN o.id IS NULL THEN 'missing_organization' ELSE 'missing_user' END AS code,
                    CASE WHEN o.id IS NULL THEN 'no organization ' || m.org_source_id ELSE 'no user ' || m.user_source_id END || ' in the source' AS reason
               FROM memberships m
               LEFT JOIN users u ON u.source_id = m.user_source_id
               LEFT JOIN organizations o ON o.source_id = m.org_source_id
              -- An invitation of someone new has no user by design.
              WHERE m.state = 'pending' AND ((u.id IS NULL AND m.invite_email IS NULL) OR o.id IS NULL))
           UPDATE memberships SET state = 'skipped', error_code = orphans.code, last_error = orphans.reason
             FROM orphans WHERE memberships.id = orphans.id`,
        )
        .run().changes;
    })();
    return { duplicateEmails, orphanMemberships };
  }

  /**
   * A second user with an email already taken is skipped, but merged into the first (the kept
   * user): its source id resolves to the kept user's WorkOS user and its memberships are carried
   * by that user. A user the source got wrong (invalid) or the operator left out is never the one kept. Also links
   * duplicates a journal staged before merging existed. Returns how many were newly found.
   */
  private markDuplicates(): number {
    // Driven from the duplicated addresses (one sort of the emails, no index kept), not a probe per
    // user; the ranking then covers only those addresses (ranking every user costs five times the sort).
    this.db.exec(`DROP TABLE IF EXISTS temp.dup_emails;
      CREATE TEMP TABLE dup_emails AS SELECT email_norm FROM users WHERE ${USERS_TO_IMPORT_SQL} GROUP BY email_norm HAVING COUNT(*) > 1`);
    let found = 0;
    if (this.db.prepare('SELECT 1 FROM temp.dup_emails LIMIT 1').get()) {
      found = this.db
        .prepare(
          // The kept user: one already imported, else one with a password hash (a social-only twin
          // would leave the person without their password), else the first staged.
          `WITH ranked AS (SELECT id, email_norm, ROW_NUMBER() OVER (PARTITION BY email_norm ORDER BY state = 'done' DESC, password_hash IS NULL, id) AS rank
                             FROM users WHERE ${USERS_TO_IMPORT_SQL} AND email_norm IN (SELECT email_norm FROM temp.dup_emails)),
                dupes AS (SELECT email_norm, id AS first FROM ranked WHERE rank = 1)
           UPDATE users SET state = 'skipped', error_code = 'duplicate_email',
             merged_into = (SELECT f.source_id FROM users f WHERE f.id = dupes.first),
             last_error = 'same email as user ' || (SELECT f.source_id FROM users f WHERE f.id = dupes.first)
               || ' (emails are unique in WorkOS, whatever their case): its memberships are carried by that user; its own name and password are not. If they are two people, give one another email in the source'
             FROM dupes WHERE users.email_norm = dupes.email_norm AND users.id <> dupes.first AND users.state = 'pending'`,
        )
        .run().changes;
    }
    this.db.exec('DROP TABLE temp.dup_emails');
    const unlinked = this.db.prepare(`SELECT 1 FROM users WHERE error_code = 'duplicate_email' AND merged_into IS NULL LIMIT 1`).get();
    if (unlinked) {
      this.db
        .prepare(
          `WITH kept AS (SELECT email_norm, MIN(id) AS first FROM users WHERE ${USERS_TO_IMPORT_SQL} GROUP BY email_norm)
           UPDATE users SET merged_into = (SELECT f.source_id FROM users f WHERE f.id = kept.first)
             FROM kept WHERE users.email_norm = kept.email_norm AND users.error_code = 'duplicate_email' AND users.merged_into IS NULL`,
        )
        .run();
    }
    return found;
  }

  /**
   * WorkOS holds one membership per person and organization: where a merged duplicate's membership
   * goes to an organization its kept user (or another duplicate of it) is also in, one membership
   * carries them all. The carrier is the kept user's own membership, else a duplicate's already
   * imported (or on its way), else the first; while it is still to import, the roles add up on it
   * and it is an active member if any of them is. The others are skipped as `merged`, saying where
   * they went (carried_by), so no second call is made for the same person and organization.
   */
  private mergeDuplicateMemberships(): number {
    type Dup = { id: number; user: string; org: string; roles: string; status: string | null; state: RecordState; error_code: string | null; kept_user: string };
    const dupes = this.db
      .prepare(
        `SELECT m.id, m.user_source_id AS user, m.org_source_id AS org, m.roles, m.status, m.state, m.error_code, u.merged_into AS kept_user
           FROM users u JOIN memberships m ON m.user_source_id = u.source_id
          WHERE u.merged_into IS NOT NULL ORDER BY m.id`,
      )
      .all() as Dup[];
    const groups = new Map<string, Dup[]>();
    for (const d of dupes) {
      const key = `${d.kept_user}\u001f${d.org}`;
      const group = groups.get(key);
      if (group) group.push(d);
      else groups.set(key, [d]);
    }
    const keptMembership = this.stmt(
      `SELECT id, user_source_id AS user, org_source_id AS org, roles, status, state, error_code, user_source_id AS kept_user FROM memberships WHERE user_source_id = ? AND org_source_id = ?`,
    );
    const updateCarrier = this.stmt(
      `UPDATE memberships SET roles = ?, status = ?,
         state = CASE WHEN state = 'skipped' AND error_code = 'invited' AND ? IS NULL THEN 'pending' ELSE state END,
         error_code = CASE WHEN state = 'skipped' AND error_code = 'invited' AND ? IS NULL THEN NULL ELSE error_code END,
         last_error = CASE WHEN state = 'skipped' AND error_code = 'invited' AND ? IS NULL THEN NULL ELSE last_error END
       WHERE id = ?`,
    );
    const skipMerged = this.stmt(`UPDATE memberships SET state = 'skipped', error_code = 'merged', last_error = ?, carried_by = ?, updated_at = ? WHERE id = ?`);
    const isOpen = (d: Dup) => d.state === 'pending' || (d.state === 'skipped' && d.error_code === 'blocked');
    let merged = 0;
    for (const group of groups.values()) {
      const open = group.filter(isOpen);
      if (!open.length) continue;
      const { kept_user: kept, org } = group[0];
      const own = keptMembership.get(kept, org) as Dup | undefined;
      const carrier = own ?? group.find((d) => d.state === 'done' || d.state === 'in_flight') ?? open[0];
      const others = open.filter((d) => d.id !== carrier.id);
      if (!others.length) continue;
      // Imported already (or being imported): what it holds stays; the report says what was not added.
      const carrierOpen = carrier.state !== 'done' && carrier.state !== 'in_flight';
      const roles = JSON.parse(carrier.roles) as string[];
      let status = carrier.status;
      const where = own
        ? `, whose membership in ${org} carries it`
        : `; the membership of ${carrier.user} in ${org} (also merged into ${kept}) carries it for ${kept}`;
      for (const d of others) {
        const added = (JSON.parse(d.roles) as string[]).filter((r) => !roles.includes(r));
        if (carrierOpen) {
          roles.push(...added);
          // Active in any of the source records: an active member.
          if (d.status === null) status = null;
        }
        const note = added.length ? (carrierOpen ? `; its roles ${added.join(', ')} were added to it` : `; its roles ${added.join(', ')} were NOT added (that membership was imported before)`) : '';
        skipMerged.run(`merged: same person as user ${kept} (same email)${where}${note}`, carrier.id, Date.now(), d.id);
        merged++;
      }
      if (carrierOpen) updateCarrier.run(JSON.stringify(roles), status, status, status, status, carrier.id);
    }
    return merged;
  }

  // ---- record states --------------------------------------------------------------------------

  counts(): StateCounts {
    const empty = () => ({ pending: 0, in_flight: 0, done: 0, failed: 0, skipped: 0, adopted: 0, total: 0 });
    const result: StateCounts = { organization: empty(), user: empty(), membership: empty() };
    for (const kind of Object.keys(TABLE) as RecordKind[]) {
      const rows = this.stmt(
        `SELECT state, outcome, COUNT(*) AS n FROM ${TABLE[kind]} GROUP BY state, outcome`,
      ).all() as { state: RecordState; outcome: RecordOutcome | null; n: number }[];
      for (const row of rows) {
        result[kind][row.state] += row.n;
        result[kind].total += row.n;
        if (row.outcome === 'adopted') result[kind].adopted += row.n;
      }
    }
    return result;
  }

  issueCount(): number {
    return (this.stmt('SELECT COUNT(*) AS n FROM issues').get() as { n: number }).n;
  }

  /**
   * The next records still to import after `afterId`, in staging order: pending ones, and
   * in_flight ones a stopped run left behind (the importer looks those up before creating).
   */
  workableOrganizations(afterId: number, limit: number): OrganizationRow[] {
    return this.stmt(`SELECT * FROM organizations WHERE id > ? AND state IN ('pending', 'in_flight') ORDER BY id LIMIT ?`).all(
      afterId,
      limit,
    ) as OrganizationRow[];
  }

  workableUsers(afterId: number, limit: number): UserRow[] {
    return this.stmt(`SELECT * FROM users WHERE id > ? AND state IN ('pending', 'in_flight') ORDER BY id LIMIT ?`).all(afterId, limit) as UserRow[];
  }

  /** A merged duplicate's memberships are joined to its kept user: that is the WorkOS user they go to. */
  workableMemberships(afterId: number, limit: number): MembershipRow[] {
    return this.stmt(`SELECT * FROM memberships_resolved WHERE id > ? AND state IN ('pending', 'in_flight') ORDER BY id LIMIT ?`).all(
      afterId,
      limit,
    ) as MembershipRow[];
  }

  /** Committed before the API call: from here on, a crash means "look it up before creating". */
  markInFlight(kind: RecordKind, id: number): void {
    this.stmt(`UPDATE ${TABLE[kind]} SET state = 'in_flight', attempts = attempts + 1, updated_at = ? WHERE id = ?`).run(Date.now(), id);
  }

  /**
   * Committed before the API call that completes an adopted user (its hash, its external id): the
   * WorkOS user is known; a crash from here means "finish the adoption", not "look for it again".
   */
  markAdopting(kind: RecordKind, id: number, workosId: string): void {
    this.stmt(`UPDATE ${TABLE[kind]} SET state = 'in_flight', workos_id = ?, outcome = 'adopted', attempts = attempts + 1, updated_at = ? WHERE id = ?`).run(
      workosId,
      Date.now(),
      id,
    );
  }

  /** `importedAs`: for a membership, whether WorkOS holds it as a membership (the default) or an invitation. */
  markDone(kind: RecordKind, id: number, workosId: string, outcome: RecordOutcome, note?: string, importedAs: MembershipImport = 'membership'): void {
    if (kind === 'membership') {
      this.stmt(
        `UPDATE memberships SET state = 'done', workos_id = ?, outcome = ?, imported_as = ?, error_code = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
      ).run(workosId, outcome, importedAs, note ?? null, Date.now(), id);
      return;
    }
    this.stmt(
      `UPDATE ${TABLE[kind]} SET state = 'done', workos_id = ?, outcome = ?, error_code = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
    ).run(workosId, outcome, note ?? null, Date.now(), id);
  }

  markFailed(kind: RecordKind, id: number, code: string, message: string): void {
    this.stmt(`UPDATE ${TABLE[kind]} SET state = 'failed', error_code = ?, last_error = ?, updated_at = ? WHERE id = ?`).run(
      code,
      message,
      Date.now(),
      id,
    );
  }

  markSkipped(kind: RecordKind, id: number, code: string, message: string): void {
    this.stmt(`UPDATE ${TABLE[kind]} SET state = 'skipped', error_code = ?, last_error = ?, updated_at = ? WHERE id = ?`).run(
      code,
      message,
      Date.now(),
      id,
    );
  }

  /** Back to pending: a reconciled record that never landed, or one a stop caught before its call. */
  release(kind: RecordKind, id: number): void {
    this.stmt(`UPDATE ${TABLE[kind]} SET state = 'pending', updated_at = ? WHERE id = ?`).run(Date.now(), id);
  }

  setMembershipRoles(id: number, roleSlugs: string[]): void {
    this.stmt('UPDATE memberships SET role_slugs = ? WHERE id = ?').run(JSON.stringify(roleSlugs), id);
  }

  setPasswordState(id: number, state: PasswordState): void {
    this.stmt('UPDATE users SET password_state = ? WHERE id = ?').run(state, id);
  }

  /**
   * Something the import learned that the report must say (a domain WorkOS refused, an adopted
   * user's other external id). Recorded once however often a resumed run learns it again.
   */
  addIssue(issue: SourceIssue): void {
    this.stmt(
      `INSERT INTO issues (severity, location, field, message, record_kind, source_id)
       SELECT @severity, @location, @field, @message, @kind, @sourceId WHERE NOT EXISTS (
         SELECT 1 FROM issues WHERE record_kind IS @kind AND source_id IS @sourceId AND field IS @field AND message = @message)`,
    ).run({
      severity: issue.severity ?? 'error',
      location: issue.location,
      field: issue.field ?? null,
      message: issue.message,
      kind: issue.recordKind ?? null,
      sourceId: issue.sourceId ?? null,
    });
  }

  /**
   * `--retry-failed`: failed records (optionally only the given source ids) go back to pending,
   * with the memberships that were blocked because their user or organization had not been
   * imported, and the invited members skipped while the choice was `skip` when it no longer is.
   * Memberships skipped for what they are (merged into another, orphans) stay.
   */
  resetFailed(only?: { kind: RecordKind; sourceId: string }[]): number {
    let reset = 0;
    this.db.transaction(() => {
      // A failed record keeps no WorkOS id: one left by an adoption that failed half way would
      // otherwise be taken, after a stop in the retry, for the user to complete.
      const again = `state = 'pending', outcome = NULL, workos_id = NULL`;
      if (only) {
        const byKind = {
          organization: this.stmt(`UPDATE organizations SET ${again} WHERE state = 'failed' AND source_id = ?`),
          user: this.stmt(`UPDATE users SET ${again} WHERE state = 'failed' AND source_id = ?`),
          membership: this.stmt(
            `UPDATE memberships SET ${again} WHERE (state = 'failed' OR (state = 'skipped' AND error_code = 'blocked')) AND user_source_id = ? AND org_source_id = ?`,
          ),
        };
        const retryFactor = this.stmt(
          `UPDATE users SET totp_state = 'pending', totp_error_code = NULL, totp_error = NULL WHERE totp_state = 'failed' AND totp_secret IS NOT NULL AND source_id = ?`,
        );
        for (const item of only) {
          // A membership's id in the failures file is "user<US>organization": split, the pair uses its index.
          const args = item.kind === 'membership' ? item.sourceId.split('\u001f') : [item.sourceId];
          if (args.length === (item.kind === 'membership' ? 2 : 1)) reset += byKind[item.kind].run(...args).changes;
          if (item.kind === 'user') reset += retryFactor.run(item.sourceId).changes;
        }
      } else {
        for (const kind of ['organization', 'user', 'membership'] as RecordKind[]) {
          reset += this.db.prepare(`UPDATE ${TABLE[kind]} SET ${again} WHERE state = 'failed'`).run().changes;
        }
        // A failed TOTP factor kept its secret: it is enrolled again (its user's factors listed first).
        reset += this.db
          .prepare(`UPDATE users SET totp_state = 'pending', totp_error_code = NULL, totp_error = NULL WHERE totp_state = 'failed' AND totp_secret IS NOT NULL`)
          .run().changes;
      }
      // A journal staged before duplicates were merged: their memberships were blocked for good.
      this.markDuplicates();
      reset += this.db
        .prepare(`UPDATE memberships SET state = 'pending', error_code = NULL, last_error = NULL WHERE state = 'skipped' AND error_code = 'blocked'`)
        .run().changes;
      this.mergeDuplicateMemberships();
      reset += this.requeueInvited(this.settings.invitedMembers);
    })();
    return reset;
  }

  /**
   * Members invited (or pending) in the source that were skipped while the choice was `skip` go
   * back to pending once the choice is `active` or `invite`, and a finished journal goes back to
   * importing, so that the next run imports them. Call it whenever the choice may have changed;
   * with `skip` (or nothing to re-queue) it changes nothing. Invitations of people with no user
   * in the source, skipped while the choice was `active`, go back only for `invite`. Returns how
   * many were re-queued.
   */
  requeueInvited(choice: RunSettings['invitedMembers']): number {
    if ((choice ?? 'skip') === 'skip') return 0;
    const codes = choice === 'invite' ? `('invited', '${INVITATION_ONLY}')` : `('invited')`;
    const requeued = this.stmt(
      `UPDATE memberships SET state = 'pending', error_code = NULL, last_error = NULL, updated_at = ? WHERE state = 'skipped' AND error_code IN ${codes}`,
    ).run(Date.now()).changes;
    if (requeued && (this.phase === 'imported' || this.phase === 'verified')) this.setPhase('importing');
    return requeued;
  }

  /**
   * Members invited (or pending) in the source, by what became of each: made active members,
   * sent a WorkOS invitation (as each row was imported, whatever the choice is now), skipped
   * while the choice was `skip`, people with no user in the source whom only an invitation could
   * carry (inviteOnly), failed, or not imported yet.
   */
  invitedCounts(): { total: number; active: number; invitations: number; skipped: number; inviteOnly: number; failed: number; notYet: number } {
    return this.stmt(
      `SELECT COUNT(*) AS total,
              COALESCE(SUM(state = 'done' AND imported_as IS NOT 'invitation'), 0) AS active,
              COALESCE(SUM(state = 'done' AND imported_as = 'invitation'), 0) AS invitations,
              COALESCE(SUM(state = 'skipped' AND error_code = 'invited'), 0) AS skipped,
              COALESCE(SUM(state = 'skipped' AND error_code = '${INVITATION_ONLY}'), 0) AS inviteOnly,
              COALESCE(SUM(state = 'failed' OR (state = 'skipped' AND error_code NOT IN ('invited', '${INVITATION_ONLY}'))), 0) AS failed,
              COALESCE(SUM(state IN ('pending', 'in_flight')), 0) AS notYet
         FROM memberships_resolved WHERE invited`,
    ).get() as { total: number; active: number; invitations: number; skipped: number; inviteOnly: number; failed: number; notYet: number };
  }

  // ---- reads for reports and lookups ----------------------------------------------------------

  *iterate<T>(sql: string, ...params: unknown[]): IterableIterator<T> {
    yield* this.db.prepare(sql).iterate(...params) as IterableIterator<T>;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }

  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.db.prepare(sql).get(...params) as T | undefined;
  }

  /** Role slugs used by staged memberships, with how many memberships carry each. */
  roleUsage(): { slug: string; members: number }[] {
    return this.all<{ slug: string; members: number }>(
      `SELECT value AS slug, COUNT(*) AS members FROM memberships, json_each(memberships.roles) GROUP BY value ORDER BY members DESC, slug`,
    );
  }

  // ---- TOTP factors (users.totp_*) ------------------------------------------------------------

  /**
   * Users whose TOTP factor is still to enroll (pending, or in_flight after a stop), once the
   * user is in WorkOS; and merged duplicates' (skipped by the importer: their kept user stands).
   */
  workableFactors(afterId: number, limit: number): FactorRow[] {
    return this.stmt(
      `SELECT id, source_id, email, origin, workos_id, outcome, merged_into, totp_secret, totp_state, totp_attempts FROM users
        WHERE id > ? AND totp_state IN ('pending', 'in_flight') AND ((state = 'done' AND workos_id IS NOT NULL) OR merged_into IS NOT NULL)
        ORDER BY id LIMIT ?`,
    ).all(afterId, limit) as FactorRow[];
  }

  /** Committed before the enrol call: from here on, a stop means "list the user's factors first". */
  markFactorInFlight(id: number): void {
    this.stmt(`UPDATE users SET totp_state = 'in_flight', totp_attempts = totp_attempts + 1, updated_at = ? WHERE id = ?`).run(Date.now(), id);
  }

  /** Enrolled (or found enrolled after an interrupted call): the secret is not needed any more and goes. */
  markFactorDone(id: number, factorId: string, note?: string): void {
    this.stmt(
      `UPDATE users SET totp_state = 'done', totp_factor_id = ?, totp_secret = NULL, totp_error_code = NULL, totp_error = ?, updated_at = ? WHERE id = ?`,
    ).run(factorId, note ?? null, Date.now(), id);
  }

  /** Failed: the secret stays for a retry (--retry-failed). `message` never holds the secret. */
  markFactorFailed(id: number, code: string, message: string): void {
    this.stmt(`UPDATE users SET totp_state = 'failed', totp_error_code = ?, totp_error = ?, updated_at = ? WHERE id = ?`).run(code, message, Date.now(), id);
  }

  /** Skipped for good (the user has a factor already, a merged duplicate): the secret goes. */
  markFactorSkipped(id: number, code: string, message: string): void {
    this.stmt(
      `UPDATE users SET totp_state = 'skipped', totp_secret = NULL, totp_error_code = ?, totp_error = ?, updated_at = ? WHERE id = ?`,
    ).run(code, message, Date.now(), id);
  }

  /**
   * The factors of users skipped for good (invalid in the source and the like; not merged
   * duplicates, which the importer skips itself) are skipped with them: their secrets go.
   */
  skipFactorsOfSkippedUsers(): number {
    return this.stmt(
      `UPDATE users SET totp_state = 'skipped', totp_secret = NULL, totp_error_code = 'user_skipped',
         totp_error = 'its user was not imported (' || COALESCE(error_code, 'skipped') || '): no TOTP factor enrolled; the secret was removed from the journal', updated_at = ?
       WHERE totp_state = 'pending' AND state = 'skipped' AND merged_into IS NULL`,
    ).run(Date.now()).changes;
  }

  /** Back to pending: an in_flight factor a look-up showed never landed, or one a stop caught before its call. */
  releaseFactor(id: number): void {
    this.stmt(`UPDATE users SET totp_state = 'pending', updated_at = ? WHERE id = ?`).run(Date.now(), id);
  }

  /**
   * TOTP factors by state. `waiting`: pending ones whose user is not in WorkOS (not imported yet,
   * failed or skipped): they are enrolled once their user is.
   */
  factorCounts(): FactorCounts {
    return this.stmt(
      `SELECT COUNT(*) AS total,
              COALESCE(SUM(totp_state = 'pending'), 0) AS pending,
              COALESCE(SUM(totp_state = 'in_flight'), 0) AS in_flight,
              COALESCE(SUM(totp_state = 'done'), 0) AS done,
              COALESCE(SUM(totp_state = 'failed'), 0) AS failed,
              COALESCE(SUM(totp_state = 'skipped'), 0) AS skipped,
              COALESCE(SUM(totp_state IN ('pending', 'in_flight') AND merged_into IS NULL AND NOT (state = 'done' AND workos_id IS NOT NULL)), 0) AS waiting
         FROM users WHERE totp_state IS NOT NULL`,
    ).get() as FactorCounts;
  }

  /**
   * TOTP secrets are only needed until their factor is enrolled (or skipped for good). The WAL is
   * then folded into the file and emptied, so no earlier page version holding a secret lingers there.
   */
  purgeEnrolledTotpSecrets(): number {
    const purged = this.stmt(`UPDATE users SET totp_secret = NULL WHERE totp_state IN ('done', 'skipped') AND totp_secret IS NOT NULL`).run().changes;
    if (this.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE totp_state IS NOT NULL`)?.n) this.db.pragma('wal_checkpoint(TRUNCATE)');
    return purged;
  }

  /** Password hashes are only needed until their user is imported (or a sync's change to it is carried). */
  purgeImportedHashes(): number {
    return this.stmt(
      `UPDATE users SET password_digest = wm_digest(password_hash), password_hash = NULL
        WHERE state = 'done' AND password_hash IS NOT NULL AND sync_state IS NOT 'pending' AND sync_state IS NOT 'in_flight'`,
    ).run().changes;
  }

  // ---- rollback and password resets (rollback_*, reset_* columns) ------------------------------

  /**
   * A record's rollback. `in_flight` is committed before the delete call: from there a stop means
   * "delete again" (a 404 then says it is gone); `done` once WorkOS no longer holds it.
   */
  markRollback(kind: RecordKind, id: number, state: 'in_flight' | 'done' | 'kept' | 'failed', note?: string): void {
    this.stmt(`UPDATE ${TABLE[kind]} SET rollback_state = ?, rollback_note = ?, updated_at = ? WHERE id = ?`).run(state, note ?? null, Date.now(), id);
  }

  /**
   * The memberships WorkOS deleted along with their user (created by this journal): rolled back
   * without a call of their own. A merged duplicate's membership goes with its kept user.
   */
  markMembershipsGoneWithUser(userSourceId: string): number {
    return this.stmt(
      `UPDATE memberships SET rollback_state = 'done', rollback_note = 'deleted with its user', updated_at = ?
        WHERE rollback_state IS NOT 'done' AND state = 'done' AND outcome = 'created' AND imported_as IS NOT 'invitation'
          AND COALESCE((SELECT merged_into FROM users u WHERE u.source_id = memberships.user_source_id), user_source_id) = ?`,
    ).run(Date.now(), userSourceId).changes;
  }

  /** Committed before the reset call: an in_flight reset is never sent again by itself (it may have gone). */
  markResetSending(id: number): void {
    this.stmt(`UPDATE users SET reset_state = 'in_flight', reset_error = NULL, updated_at = ? WHERE id = ?`).run(Date.now(), id);
  }

  /** `resetId`: the WorkOS password reset's id, never its token. */
  markResetSent(id: number, resetId: string): void {
    this.stmt(`UPDATE users SET reset_state = 'done', reset_id = ?, reset_error = NULL, updated_at = ? WHERE id = ?`).run(resetId, Date.now(), id);
  }

  markResetFailed(id: number, message: string): void {
    this.stmt(`UPDATE users SET reset_state = 'failed', reset_error = ?, updated_at = ? WHERE id = ?`).run(message, Date.now(), id);
  }

  // ---- sync: a later snapshot of the source, carried into this journal ------------------------

  /**
   * Folds a fresh export of the source (another journal, staged by `workos-migrate sync`) into
   * this one, in one transaction: organizations, users and memberships the journal has never seen
   * are staged as pending (the importer takes them as it takes any); an imported user whose email,
   * names or password hash changed gets a pending update; a user gone from the source is marked
   * (and gets a pending deletion only when the operator asked). Records already pending here keep
   * what they had. Returns what was found.
   */
  applySyncSnapshot(snapshotPath: string, pass: number, options: { deletions: boolean }): SyncFound {
    // The journal's hash is purged once imported: its digest stands for it. A password the operator
    // chose to keep (adopted, `keep`) is not the source's to change.
    const HASH_DIFFERS = `wm_digest(s.password_hash) IS NOT COALESCE(u.password_digest, wm_digest(u.password_hash)) AND u.password_state IS NOT 'kept'`;
    const now = Date.now();
    this.db.prepare('ATTACH DATABASE ? AS snap').run(snapshotPath);
    try {
      const found: SyncFound = { organizations: 0, users: 0, memberships: 0, updated: 0, deleted: 0 };
      this.db.transaction(() => {
        found.organizations = this.db
          .prepare(
            // New organizations as a first export stages them: one ruled out keeps its reason.
            `INSERT INTO organizations (source_id, name, domains, metadata, origin, state, error_code, last_error, updated_at)
             SELECT s.source_id, s.name, s.domains, s.metadata, s.origin, s.state, s.error_code, s.last_error, ? FROM snap.organizations s
              WHERE s.state IN ('pending', 'skipped') AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.source_id = s.source_id)`,
          )
          .run(now).changes;
        // Changes first (their rows are the journal's own): which fields differ, by name only.
        const changed = this.db
          .prepare(
            `SELECT u.id, s.email, s.email_norm, s.first_name, s.last_name, s.password_hash, s.password_hash_type,
                    u.email_norm IS NOT s.email_norm AS email_changed,
                    (u.first_name IS NOT s.first_name OR u.last_name IS NOT s.last_name) AS names_changed,
                    (s.password_hash IS NOT NULL AND ${HASH_DIFFERS}) AS hash_changed
               FROM users u JOIN snap.users s ON s.source_id = u.source_id
              WHERE u.state = 'done' AND u.merged_into IS NULL AND s.state = 'pending'
                AND (u.email_norm IS NOT s.email_norm OR u.first_name IS NOT s.first_name OR u.last_name IS NOT s.last_name
                     OR (s.password_hash IS NOT NULL AND ${HASH_DIFFERS}))`,
          )
          .all() as { id: number; email: string; email_norm: string; first_name: string | null; last_name: string | null; password_hash: string | null; password_hash_type: string | null; email_changed: number; names_changed: number; hash_changed: number }[];
        const update = this.db.prepare(
          `UPDATE users SET email = ?, email_norm = ?, first_name = ?, last_name = ?,
             password_hash = CASE WHEN ? THEN ? ELSE password_hash END,
             password_hash_type = CASE WHEN ? THEN ? ELSE password_hash_type END,
             sync_action = 'update', sync_state = 'pending', sync_changes = ?, sync_error = NULL, sync_pass = ?, updated_at = ?
           WHERE id = ?`,
        );
        for (const c of changed) {
          const fields = [c.email_changed ? 'email' : '', c.names_changed ? 'name' : '', c.hash_changed ? 'password' : ''].filter(Boolean);
          update.run(c.email, c.email_norm, c.first_name, c.last_name, c.hash_changed, c.password_hash, c.hash_changed, c.password_hash_type, JSON.stringify(fields), pass, now, c.id);
        }
        found.updated = changed.length;
        // Every new user, as a first export would stage it: one ruled out or left out keeps its
        // reason (and is reported); a duplicate within the snapshot comes in pending, to be ranked
        // against the journal's users by finalizeStaging (its twin may be imported already).
        found.users = this.db
          .prepare(
            `INSERT INTO users (source_id, email, email_norm, first_name, last_name, email_verified, password_hash,
               password_hash_type, metadata, social, mfa, origin, totp_secret, totp_state, state, error_code, last_error, updated_at)
             SELECT s.source_id, s.email, s.email_norm, s.first_name, s.last_name, s.email_verified, s.password_hash,
                    s.password_hash_type, s.metadata, s.social, s.mfa, s.origin, s.totp_secret, s.totp_state,
                    CASE WHEN s.error_code = 'duplicate_email' THEN 'pending' ELSE s.state END,
                    CASE WHEN s.error_code = 'duplicate_email' THEN NULL ELSE s.error_code END,
                    CASE WHEN s.error_code = 'duplicate_email' THEN NULL ELSE s.last_error END, ?
               FROM snap.users s WHERE s.state IN ('pending', 'skipped') AND NOT EXISTS (SELECT 1 FROM users u WHERE u.source_id = s.source_id)`,
          )
          .run(now).changes;
        found.memberships = this.db
          .prepare(
            `INSERT INTO memberships (user_source_id, org_source_id, roles, origin, status, source_ref, invite_email, updated_at)
             SELECT s.user_source_id, s.org_source_id, s.roles, s.origin, s.status, s.source_ref, s.invite_email, ? FROM snap.memberships s
              WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_source_id = s.user_source_id AND m.org_source_id = s.org_source_id)`,
          )
          .run(now).changes;
        // Gone from the source: imported users the new export no longer has.
        found.deleted = this.db
          .prepare(
            `UPDATE users SET source_deleted = COALESCE(source_deleted, ?),
               sync_action = CASE WHEN ? AND outcome IS NOT 'adopted' THEN 'delete' ELSE sync_action END,
               sync_state = CASE WHEN ? AND outcome IS NOT 'adopted' THEN 'pending' ELSE sync_state END,
               sync_pass = CASE WHEN ? AND outcome IS NOT 'adopted' THEN ? ELSE sync_pass END
             WHERE state = 'done' AND merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM snap.users s WHERE s.source_id = users.source_id)`,
          )
          .run(pass, options.deletions ? 1 : 0, options.deletions ? 1 : 0, options.deletions ? 1 : 0, pass).changes;
        this.setMeta('orphan_check', true);
        if (found.organizations || found.users || found.memberships || found.updated || (options.deletions && found.deleted)) this.setPhase('importing');
      })();
      return found;
    } finally {
      this.db.prepare('DETACH DATABASE snap').run();
    }
  }

  /** The users with a sync change still to carry (pending, or in flight when a run stopped). */
  pendingSyncChanges(): { id: number; source_id: string; workos_id: string; email: string; first_name: string | null; last_name: string | null; password_hash: string | null; password_hash_type: string | null; sync_action: 'update' | 'delete'; sync_state: string; sync_changes: string }[] {
    return this.db
      .prepare(
        `SELECT id, source_id, workos_id, email, first_name, last_name, password_hash, password_hash_type, sync_action, sync_state, sync_changes
           FROM users WHERE sync_state IN ('pending', 'in_flight') ORDER BY id`,
      )
      .all() as ReturnType<Journal['pendingSyncChanges']>;
  }

  /** A user deleted from WorkOS by sync, and its memberships: left out (they are gone from the source). */
  markSyncDeleted(id: number, sourceId: string): void {
    this.db.transaction(() => {
      this.markSync(id, 'done');
      this.stmt(`UPDATE users SET state = 'skipped', error_code = '${LEFT_OUT}', last_error = 'deleted in the source; deleted from WorkOS by sync (--apply-deletions)' WHERE id = ?`).run(id);
      this.stmt(
        `UPDATE memberships SET state = 'skipped', error_code = '${LEFT_OUT}', last_error = 'its user was deleted in the source and from WorkOS by sync' WHERE user_source_id = ? AND state = 'done'`,
      ).run(sourceId);
    })();
  }

  /** Committed before the API call: a stop between the two sends the same change again (updates and deletions repeat harmlessly). */
  markSync(id: number, state: 'pending' | 'in_flight' | 'done' | 'failed', error?: string): void {
    // Once carried, the hash is not needed: its digest stays for the next pass.
    this.stmt(
      `UPDATE users SET sync_state = ?, sync_error = ?, updated_at = ?,
         password_digest = CASE WHEN ? = 'done' THEN COALESCE(wm_digest(password_hash), password_digest) ELSE password_digest END,
         password_hash = CASE WHEN ? = 'done' THEN NULL ELSE password_hash END
       WHERE id = ?`,
    ).run(state, error ?? null, Date.now(), state, state, id);
  }
}
