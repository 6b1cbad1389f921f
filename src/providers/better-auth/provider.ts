/**
 * Better Auth as a source: the application's own database (SQLite, PostgreSQL, MySQL/MariaDB),
 * read-only, through one Kysely query layer.
 *
 * Phases, each paged by keyset on the table's primary key (`WHERE id > :last ORDER BY id LIMIT n`),
 * so a million users stage in bounded memory and every batch carries the cursor
 * `{ v: 1, phase, after, done }` that resumes after the last staged key:
 *
 *   organizations -> teams (only with teams: 'flatten') -> users -> invitations -> done
 *
 * A page of users is one batch with everything that belongs to them: their accounts (password,
 * social providers), memberships (and team memberships when flattening), two-factor secret. The
 * journal keeps a user's first staging, so nothing about a user may arrive in a later batch.
 * Invitations come last: a pending one is a membership with status 'invited' (the operator's
 * --invited-members choice applies); one for an email without a user is an invitation alone
 * (inviteEmail), which only a WorkOS invitation can carry.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceMembership, SourceOrganization, SourceProvider, SourceUser } from '../types.js';
import { connectionError, openConnection, type Connection } from './connection.js';
import { bool, EXTERNAL_ID_MAX, mapOrganization, mapUser, orgSourceIdOf, splitRoles, text, type AccountRow } from './mapping.js';
import { COLUMNS, resolveSchema, userKeyedByRange, type ResolvedSchema, type ResolvedTable, type SchemaOverrides, type TableKey } from './schema.js';
import { decryptBetterAuthValue, totpSecretFromPlaintext, type BetterAuthSecrets } from './two-factor.js';

export type TeamsChoice = 'flatten' | 'skip';

export interface BetterAuthOptions extends SchemaOverrides {
  /** postgres://, mysql:// (mariadb://) URL or a SQLite file path. A secret: never written anywhere. */
  databaseUrl: string;
  /** Teams become organizations of their own (`flatten`) or are left out (`skip`, the default; listed). */
  teams?: TeamsChoice;
  /** The app's BETTER_AUTH_SECRET(S), to decrypt two-factor secrets; from the environment only. */
  secrets?: BetterAuthSecrets;
  /** Rows per page (default 1000). */
  pageSize?: number;
  /** For a relative SQLite path. */
  cwd?: string;
}

type Phase = 'organizations' | 'teams' | 'users' | 'invitations' | 'done';
type Key = string | number;

interface Cursor {
  v: 1;
  phase: Phase;
  after: Key | null;
  done: number;
}

const PHASES: Phase[] = ['organizations', 'teams', 'users', 'invitations', 'done'];

function parseCursor(textValue: string): Cursor {
  let c: Partial<Cursor> = {};
  try {
    c = JSON.parse(textValue) as Partial<Cursor>;
  } catch {
    // below
  }
  if (c.v !== 1 || !PHASES.includes(c.phase as Phase) || typeof c.done !== 'number' || (c.after !== null && typeof c.after !== 'string' && typeof c.after !== 'number')) {
    throw new ExpectedError(
      'The saved Better Auth export position in the journal is not one this version understands.',
      'Start a new migration (a new --journal) to export again from the beginning.',
    );
  }
  return c as Cursor;
}

/** The next phase that has a table to read. */
function nextPhase(phase: Phase, schema: ResolvedSchema, teams: TeamsChoice): Phase {
  let i = PHASES.indexOf(phase) + 1;
  for (; i < PHASES.length; i++) {
    const p = PHASES[i];
    if (p === 'organizations' && !schema.tables.organization) continue;
    if (p === 'teams' && (teams !== 'flatten' || !schema.tables.team || !schema.tables.organization)) continue;
    if (p === 'invitations' && (!schema.tables.invitation || !schema.tables.organization)) continue;
    return p;
  }
  return 'done';
}

type Row = Record<string, any>;

/** A page of users and their accounts, memberships, team memberships and two-factor rows. */
interface UsersPage {
  rows: Row[];
  accounts: Row[];
  members: Row[];
  teamMembers: Row[];
  twoFactors: Row[];
}

/** Pages of users in flight at once (each a few hundred kB). */
const PAGES_AHEAD = 3;

/** A promise read later: its failure is handled where it is awaited, never reported as unhandled meanwhile. */
function settleLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** The key to page after: numbers stay numbers (serial ids), anything else is text. */
const keyOf = (v: unknown): Key => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : text(v));

export const NFKC_WARNING =
  "Better Auth hashes passwords after Unicode NFKC normalization (password.normalize('NFKC')); WorkOS checks the password as typed. Passwords made only of characters NFKC leaves alone (ASCII, and most letters with accents as keyboards type them) sign in as before. A user whose password contains characters NFKC changes (full-width letters and digits, ligatures such as ﬁ, superscripts, some compatibility characters and decomposed accents) will be refused by WorkOS until they reset their password: tell users who cannot sign in after the switch to use \"Forgot password\".";

export function createBetterAuthProvider(options: BetterAuthOptions): SourceProvider {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  const teams: TeamsChoice = options.teams ?? 'skip';
  const overrides: SchemaOverrides = { tables: options.tables, columns: options.columns };

  /** The schema of an open connection; a refusal says why without the URL's password. */
  async function schemaOf(conn: Connection): Promise<ResolvedSchema> {
    try {
      return await resolveSchema(conn, overrides);
    } catch (error) {
      throw connectionError(error, options.databaseUrl, conn.label);
    }
  }

  async function withConnection<T>(use: (conn: Connection, schema: ResolvedSchema) => Promise<T>): Promise<T> {
    const conn = openConnection(options.databaseUrl, { cwd: options.cwd });
    try {
      return await use(conn, await schemaOf(conn));
    } finally {
      await conn.close().catch(() => undefined);
    }
  }

  const count = async (db: Kysely<any>, t: ResolvedTable | undefined): Promise<number> => {
    if (!t) return 0;
    const row = await db.selectFrom(t.name).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  };

  /** Rows of `t` whose userId names no user (a schema without foreign keys): no one to carry them to. */
  const countWithoutUser = async (db: Kysely<any>, t: ResolvedTable, user: ResolvedTable): Promise<number> => {
    const row = await db
      .selectFrom(`${t.name} as r`)
      .select(sql<number>`count(*)`.as('n'))
      .where(sql<boolean>`not exists (select 1 from ${sql.table(user.name)} u where ${sql.ref(`u.${user.columns.id}`)} = ${sql.ref(`r.${t.columns.userId}`)})`)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  };

  /** Selects the logical columns found, under their logical names. */
  const cols = (t: ResolvedTable, logical: string[], alias?: string) =>
    logical.filter((c) => t.columns[c]).map((c) => sql.ref(alias ? `${alias}.${t.columns[c]}` : t.columns[c]).as(c));

  return {
    id: 'better-auth',
    displayName: 'Better Auth',

    async census({ newest = 5 } = {}) {
      return withConnection(async (conn, schema) => {
        const u = schema.tables.user!;
        const users = await count(conn.db, u);
        if (!u.columns.createdAt || !newest) return { users };
        const rows = await conn.db
          .selectFrom(u.name)
          .select(cols(u, ['id', 'email', 'createdAt']))
          .orderBy(sql.ref(u.columns.createdAt), 'desc')
          .limit(newest)
          .execute();
        const when = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? undefined : String(v));
        return { users, newest: rows.map((r: Record<string, unknown>) => ({ sourceId: String(r.id), email: String(r.email ?? ''), createdAt: when(r.createdAt) })) };
      });
    },

    async check() {
      return withConnection(async (conn, schema) => {
        const counts: Partial<Record<TableKey, number>> = {};
        for (const [key, t] of Object.entries(schema.tables) as [TableKey, ResolvedTable][]) counts[key] = await count(conn.db, t);
        const a = schema.tables.account!;
        const credential = await conn.db.selectFrom(a.name).select(sql<number>`count(*)`.as('n')).where(a.columns.providerId, '=', 'credential').executeTakeFirst();
        const parts = [`Better Auth database ${conn.label} (${conn.dialect}, ${conn.readOnly}: nothing is ever written to it)`];
        const found = (Object.keys(schema.tables) as TableKey[]).map((k) => {
          const t = schema.tables[k]!;
          return `${t.name}${t.name !== k ? ` (${k})` : ''} ${plural(counts[k] ?? 0, 'row')}`;
        });
        parts.push(`tables: ${found.join(', ')}; ${plural(Number(credential?.n ?? 0), 'password account')}`);
        const absent = schema.absent.map((x) => (x.why ? `${x.table} (${x.why})` : `${x.table} (looked for ${x.tried.join(', ')})`));
        if (absent.length) parts.push(`not found: ${absent.join(', ')}`);
        const missing = (Object.keys(schema.tables) as TableKey[]).flatMap((k) => schema.tables[k]!.missing.map((c) => `${schema.tables[k]!.name}.${c}`));
        if (missing.length) parts.push(`columns not found: ${missing.join(', ')}`);
        if (schema.tables.team) parts.push(`teams: ${teams === 'flatten' ? 'each becomes an organization' : 'left out (--better-auth-teams flatten makes each an organization)'}`);
        if (counts.twoFactor) {
          parts.push(options.secrets ? 'two-factor secrets decrypted with BETTER_AUTH_SECRET' : 'two-factor users re-enrol (set BETTER_AUTH_SECRET to carry their secrets)');
        }
        return { summary: parts.join('; ') };
      });
    },

    async *export({ cursor, signal }: ExportOptions): AsyncIterable<ExportBatch> {
      const conn = openConnection(options.databaseUrl, { cwd: options.cwd });
      try {
        const schema = await schemaOf(conn);
        const db = conn.db;
        const T = schema.tables;
        // Only a faster way to read the same rows: if the database will not say, the exact way.
        const ranged = await userKeyedByRange(conn, schema).catch(() => new Set<TableKey>());
        let state: Cursor = cursor ? parseCursor(cursor) : { v: 1, phase: 'users', after: null, done: 0 };
        if (!cursor) state.phase = T.organization ? 'organizations' : 'users';
        const fresh = !cursor;

        // Totals for the progress line (each pass counts again: the source may have grown).
        let total = (await count(db, T.organization)) + (await count(db, T.user));
        if (teams === 'flatten' && T.team && T.organization) total += await count(db, T.team);
        if (T.invitation && T.organization) total += await count(db, T.invitation);

        // Organizations whose id is too long for an externalId go by their slug: few, kept in memory.
        const longOrgIds = new Map<string, string>();
        if (T.organization) {
          const o = T.organization;
          const rows = await db
            .selectFrom(o.name)
            .select(cols(o, ['id', 'slug']))
            // Cast first: ids may be uuid or integer columns (Better Auth's generateId: 'uuid' / 'serial').
            .where(sql`length(cast(${sql.ref(o.columns.id)} as ${sql.raw(conn.dialect === 'mysql' ? 'char' : 'text')}))`, '>', EXTERNAL_ID_MAX)
            .execute();
          for (const r of rows) {
            const id = text(r.id);
            const sid = orgSourceIdOf(id, text(r.slug) || undefined);
            if (sid) longOrgIds.set(id, sid);
          }
        }
        const orgSid = (id: unknown) => longOrgIds.get(text(id)) ?? text(id);

        const first: SourceIssue[] = [];
        let ignored: { column: string; reason: string }[] | undefined;
        if (fresh) {
          first.push({ location: `better-auth ${T.account!.name}.${T.account!.columns.password ?? 'password'}`, field: 'password', severity: 'warning', message: NFKC_WARNING });
          // Memberships are read with their user's page: one whose user is gone is never read. Said once.
          const memberTables = [T.member && T.organization ? T.member : undefined, teams === 'flatten' && T.team && T.organization ? T.teamMember : undefined];
          for (const t of memberTables) {
            const n = t ? await countWithoutUser(db, t, T.user!) : 0;
            if (n) {
              first.push({
                location: `better-auth ${t!.name}`,
                field: 'userId',
                severity: 'warning',
                recordKind: 'membership',
                message: `${plural(n, `${t!.name} row`)} ${n === 1 ? 'names' : 'name'} a user that is not in ${T.user!.name} (no foreign key holds them there): there is no one to make a member, so they are not carried. Delete them, or restore their users and run again.`,
              });
            }
          }
          if (T.team && teams === 'skip') {
            const n = await count(db, T.team);
            if (n) {
              first.push({
                location: `better-auth ${T.team.name}`,
                field: 'teams',
                severity: 'warning',
                message: `${plural(n, 'team')} (default teams included) are not migrated: WorkOS has no teams. Their members keep their organization memberships. To make each team an organization of its own, run again with --better-auth-teams flatten.`,
              });
            }
          }
          if (T.twoFactor && options.secrets && (await count(db, T.twoFactor))) {
            first.push({
              location: `better-auth ${T.twoFactor.name}`,
              field: 'totp',
              severity: 'warning',
              message:
                "TOTP secrets are carried over as they are: the authenticator apps users have keep working if your app used Better Auth's default codes (6 digits, 30 seconds, SHA-1), which WorkOS uses too. If it set twoFactor({ totpOptions: { digits, period } }) otherwise, those users must enrol again after the switch. Backup codes are not carried (WorkOS has none).",
            });
          }
          for (const a of schema.absent) {
            if (a.why) first.push({ location: `better-auth ${a.tried[0]}`, field: a.table, severity: 'warning', message: `the ${a.table} table is not read: ${a.why}.` });
          }
        }
        // The user table's columns nothing reads (additional fields, image), named once per pass.
        const read = new Set(Object.values(T.user!.columns));
        ignored = T.user!.all
          .filter((c) => (!read.has(c) || c === T.user!.columns.image) && !['updatedAt', 'updated_at', 'createdAt', 'created_at', 'twoFactorEnabled', 'two_factor_enabled'].includes(c))
          .map((c) => ({
            column: `${T.user!.name}.${c}`,
            reason:
              c === T.user!.columns.image
                ? "the user's picture is not carried (WorkOS takes it from the sign-in provider); keep it in your application"
                : 'an additional field of your user table: not carried into WorkOS (keep it in your application, keyed by the id map)',
          }));

        const batchOf = (b: ExportBatch): ExportBatch => {
          const issues = [...first.splice(0), ...(b.issues ?? [])];
          const extra = ignored && ignored.length ? { ignoredColumns: ignored } : {};
          ignored = undefined;
          return { ...b, issues, ...extra, cursor: JSON.stringify(state), progress: { done: state.done, total: Math.max(total, state.done), unit: 'records' } };
        };
        const advance = (rows: Record<string, unknown>[]) => {
          state.done += rows.length;
          if (rows.length < pageSize) state = { ...state, phase: nextPhase(state.phase, schema, teams), after: null };
          else state = { ...state, after: keyOf(rows[rows.length - 1].id) };
        };

        const ahead: { rows: Promise<Row[]>; page: Promise<UsersPage> }[] = [];
        while (state.phase !== 'done') {
          if (signal?.aborted) return;
          const after = state.after;
          if (state.phase === 'organizations') {
            const o = T.organization!;
            let q = db.selectFrom(o.name).select(cols(o, ['id', 'name', 'slug', 'metadata'])).orderBy(o.columns.id).limit(pageSize);
            if (after !== null) q = q.where(o.columns.id, '>', after);
            const rows = await q.execute();
            const organizations: SourceOrganization[] = [];
            const issues: SourceIssue[] = [];
            for (const r of rows) {
              const m = mapOrganization(r as never, o.name);
              if (m.organization) organizations.push(m.organization);
              issues.push(...m.issues);
            }
            advance(rows);
            yield batchOf({ organizations, issues });
            continue;
          }
          if (state.phase === 'teams') {
            const t = T.team!;
            const o = T.organization!;
            let q = db
              .selectFrom(`${t.name} as t`)
              .leftJoin(`${o.name} as o`, `o.${o.columns.id}`, `t.${t.columns.organizationId}`)
              .select([...cols(t, ['id', 'name', 'organizationId'], 't'), sql.ref(`o.${o.columns.name}`).as('orgName')])
              .orderBy(`t.${t.columns.id}`)
              .limit(pageSize);
            if (after !== null) q = q.where(`t.${t.columns.id}`, '>', after);
            const rows = await q.execute();
            const organizations: SourceOrganization[] = [];
            const issues: SourceIssue[] = [];
            for (const r of rows) {
              const id = text(r.id);
              const where = `better-auth ${t.name} ${id}`;
              if (r.orgName === null || r.orgName === undefined) {
                issues.push({ location: where, field: 'organizationId', severity: 'error', recordKind: 'organization', sourceId: `team:${id}`, message: `team "${text(r.name)}" belongs to organization ${text(r.organizationId)}, which does not exist. Not imported.` });
                continue;
              }
              if (text(r.name) === text(r.orgName)) {
                issues.push({ location: where, field: 'team', severity: 'warning', recordKind: 'organization', sourceId: orgSid(r.organizationId), message: `team "${text(r.name)}" is the default team Better Auth creates with its organization: not made an organization of its own (its members are the organization's members).` });
                continue;
              }
              organizations.push({
                sourceId: `team:${id}`,
                name: `${text(r.orgName)} / ${text(r.name)}`,
                domains: [],
                metadata: { better_auth_team_id: id, better_auth_organization_id: text(r.organizationId) },
                origin: where,
              });
            }
            advance(rows);
            yield batchOf({ organizations, issues });
            continue;
          }
          if (state.phase === 'users') {
            // Pages are read ahead while this one is mapped and staged: a page's users are asked
            // for as soon as the page before it has its last key, its other rows beside them, so
            // the database's time overlaps ours instead of adding to it.
            if (!ahead.length) ahead.push(startUsersPage(db, schema, ranged, after));
            while (ahead.length < PAGES_AHEAD) {
              const rows = await ahead[ahead.length - 1].rows;
              if (rows.length < pageSize) break;
              ahead.push(startUsersPage(db, schema, ranged, keyOf(rows[rows.length - 1].id)));
            }
            const page = await ahead.shift()!.page;
            const batch = usersBatch(schema, page, orgSid);
            advance(page.rows);
            yield batchOf(batch);
            continue;
          }
          // invitations
          const inv = T.invitation!;
          const o = T.organization!;
          let q = db
            .selectFrom(`${inv.name} as i`)
            .leftJoin(`${o.name} as o`, `o.${o.columns.id}`, `i.${inv.columns.organizationId}`)
            .select([...cols(inv, ['id', 'organizationId', 'email', 'role', 'status', 'expiresAt'], 'i'), sql.ref(`o.${o.columns.name}`).as('orgName')])
            .orderBy(`i.${inv.columns.id}`)
            .limit(pageSize);
          if (after !== null) q = q.where(`i.${inv.columns.id}`, '>', after);
          const rows = await q.execute();
          const batch = await invitationsBatch(db, schema, rows, orgSid);
          advance(rows);
          yield batchOf(batch);
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (error instanceof ExpectedError) throw error;
        throw connectionError(error, options.databaseUrl, conn.label);
      } finally {
        await conn.close().catch(() => undefined);
      }
    },
  };

  /** A page of users after `after`, and (when they are read) everything of theirs. */
  function startUsersPage(db: Kysely<any>, schema: ResolvedSchema, ranged: Set<TableKey>, after: Key | null): { rows: Promise<Row[]>; page: Promise<UsersPage> } {
    const u = schema.tables.user!;
    let q = db.selectFrom(u.name).select(cols(u, ['id', 'email', 'name', 'emailVerified'])).orderBy(u.columns.id).limit(pageSize);
    if (after !== null) q = q.where(u.columns.id, '>', after);
    const rows = settleLater(q.execute());
    return { rows, page: settleLater(rows.then((r) => readRelated(db, schema, ranged, r, after))) };
  }

  /** The accounts, memberships and two-factor rows of a page of users, as the database gave them. */
  async function readRelated(db: Kysely<any>, schema: ResolvedSchema, ranged: Set<TableKey>, rows: Row[], after: Key | null): Promise<UsersPage> {
    const T = schema.tables;
    const u = T.user!;
    if (!rows.length) return { rows, accounts: [], members: [], teamMembers: [], twoFactors: [] };
    // The page's users named by their key range, not by a thousand ids to send and parse (on a
    // busy machine sending them cost more than reading the rows). A table whose userId sorts as
    // the user id does is read by the same range on its own index; any other through the user
    // table, so a row belongs to the page exactly when it would by its user's id.
    const last = keyOf(rows[rows.length - 1].id);
    const inRange = (ref: RawBuilder<unknown>) => (after === null ? sql<boolean>`${ref} <= ${last}` : sql<boolean>`${ref} > ${after} and ${ref} <= ${last}`);
    const idRef = sql.ref(u.columns.id);
    const ofUsers = (table: TableKey, column: string) =>
      ranged.has(table) ? inRange(sql.ref(column)) : sql<boolean>`${sql.ref(column)} in (select ${idRef} from ${sql.table(u.name)} where ${inRange(idRef)})`;
    const a = T.account!;
    const m = T.member && T.organization ? T.member : undefined;
    const flatten = teams === 'flatten' && T.teamMember && T.team && T.organization;
    const f = T.twoFactor;
    // Side by side on the pool's two connections.
    const [accounts, members, teamMembers, twoFactors] = await Promise.all([
      db.selectFrom(a.name).select(cols(a, ['userId', 'providerId', 'password'])).where(ofUsers('account', a.columns.userId)).orderBy(a.columns.id).execute(),
      m ? db.selectFrom(m.name).select(cols(m, ['id', 'userId', 'organizationId', 'role'])).where(ofUsers('member', m.columns.userId)).orderBy(m.columns.id).execute() : [],
      flatten ? readTeamMembers(db, schema, ofUsers) : [],
      f ? db.selectFrom(f.name).select(cols(f, ['userId', 'secret', 'verified'])).where(ofUsers('twoFactor', f.columns.userId)).execute() : [],
    ]);
    return { rows, accounts, members, teamMembers, twoFactors };
  }

  function readTeamMembers(db: Kysely<any>, schema: ResolvedSchema, ofUsers: (table: TableKey, column: string) => RawBuilder<boolean>) {
    const tm = schema.tables.teamMember!;
    const t = schema.tables.team!;
    const o = schema.tables.organization!;
    return db
      .selectFrom(`${tm.name} as tm`)
      .innerJoin(`${t.name} as t`, `t.${t.columns.id}`, `tm.${tm.columns.teamId}`)
      .leftJoin(`${o.name} as o`, `o.${o.columns.id}`, `t.${t.columns.organizationId}`)
      .select([
        sql.ref(`tm.${tm.columns.id}`).as('id'),
        sql.ref(`tm.${tm.columns.userId}`).as('userId'),
        sql.ref(`t.${t.columns.id}`).as('teamId'),
        sql.ref(`t.${t.columns.name}`).as('teamName'),
        sql.ref(`t.${t.columns.organizationId}`).as('organizationId'),
        sql.ref(`o.${o.columns.name}`).as('orgName'),
      ])
      .where(ofUsers('teamMember', `tm.${tm.columns.userId}`))
      .orderBy(`tm.${tm.columns.id}`)
      .execute();
  }

  function usersBatch(schema: ResolvedSchema, page: UsersPage, orgSid: (id: unknown) => string): ExportBatch {
    const T = schema.tables;
    const rows = page.rows;
    const users: SourceUser[] = [];
    const memberships: SourceMembership[] = [];
    const issues: SourceIssue[] = [];
    if (!rows.length) return { users, memberships, issues };
    const accounts = new Map<string, AccountRow[]>();
    for (const r of page.accounts) {
      const key = text(r.userId);
      const list = accounts.get(key);
      if (list) list.push(r as unknown as AccountRow);
      else accounts.set(key, [r as unknown as AccountRow]);
    }
    // A row read by the key range whose user does not exist (a schema without foreign keys) is no
    // one's: left out, as reading through the user table leaves it out.
    const ids = new Set(rows.map((r) => text(r.id)));
    const roles = new Map<string, string[]>();
    if (T.member && T.organization) {
      const m = T.member;
      for (const r of page.members) {
        if (!ids.has(text(r.userId))) continue;
        const list = splitRoles(r.role);
        roles.set(`${text(r.userId)}\u0000${text(r.organizationId)}`, list);
        memberships.push({ userSourceId: text(r.userId), orgSourceId: orgSid(r.organizationId), roles: list, sourceRef: text(r.id), origin: `better-auth ${m.name} ${text(r.id)}` });
      }
    }
    if (page.teamMembers.length) {
      const tm = T.teamMember!;
      for (const r of page.teamMembers) {
        if (r.orgName === null || r.orgName === undefined || text(r.teamName) === text(r.orgName) || !ids.has(text(r.userId))) continue; // orphan or default team
        memberships.push({
          userSourceId: text(r.userId),
          orgSourceId: `team:${text(r.teamId)}`,
          // A team member holds the roles it has in the team's organization.
          roles: roles.get(`${text(r.userId)}\u0000${text(r.organizationId)}`) ?? splitRoles(''),
          sourceRef: `teamMember:${text(r.id)}`,
          origin: `better-auth ${tm.name} ${text(r.id)}`,
        });
      }
    }
    const twoFactor = new Map<string, { secret: unknown; verified?: unknown }>();
    for (const r of page.twoFactors) twoFactor.set(text(r.userId), r as { secret: unknown; verified?: unknown });
    for (const row of rows) {
      const id = text(row.id);
      const mapped = mapUser(row as never, accounts.get(id) ?? [], T.user!.name);
      issues.push(...mapped.issues);
      const user = mapped.user;
      if (!user) continue;
      const tf = twoFactor.get(id);
      // An enrolment not yet verified (verified = false) is no second factor; null is Better Auth's default true.
      if (tf && (tf.verified === null || tf.verified === undefined || bool(tf.verified))) {
        let why: string | undefined;
        if (options.secrets) {
          try {
            user.totpSecret = totpSecretFromPlaintext(decryptBetterAuthValue(options.secrets, text(tf.secret)));
          } catch (error) {
            why = `its secret could not be decrypted (${(error as Error).message})`;
          }
        } else why = 'BETTER_AUTH_SECRET was not given, so its secret cannot be decrypted';
        if (why) {
          user.mfa = { totp: true };
          issues.push({
            location: user.origin ?? id,
            field: 'mfa',
            severity: 'warning',
            recordKind: 'user',
            sourceId: id,
            message: `${user.email} has an authenticator app (TOTP) as a second factor, but ${why}: they enrol it again at their first WorkOS sign-in. Tell them before the cut-over (or run again with the app's BETTER_AUTH_SECRET in the environment).`,
          });
        }
      }
      users.push(user);
    }
    return { users, memberships, issues };
  }

  async function invitationsBatch(db: Kysely<any>, schema: ResolvedSchema, rows: Record<string, unknown>[], orgSid: (id: unknown) => string): Promise<ExportBatch> {
    const T = schema.tables;
    const inv = T.invitation!;
    const u = T.user!;
    const memberships: SourceMembership[] = [];
    const issues: SourceIssue[] = [];
    const now = Date.now();
    const pending = rows.filter((r) => (inv.columns.status ? text(r.status).trim().toLowerCase() === 'pending' : true));
    const emails = [...new Set(pending.map((r) => text(r.email).trim().toLowerCase()).filter(Boolean))];
    const userByEmail = new Map<string, string>();
    if (emails.length) {
      const found = await db
        .selectFrom(u.name)
        .select([sql.ref(u.columns.id).as('id'), sql.ref(u.columns.email).as('email')])
        .where(sql`lower(${sql.ref(u.columns.email)})`, 'in', emails)
        .orderBy(u.columns.id)
        .execute();
      for (const r of found) if (!userByEmail.has(text(r.email).trim().toLowerCase())) userByEmail.set(text(r.email).trim().toLowerCase(), text(r.id));
    }
    for (const r of pending) {
      const id = text(r.id);
      const where = `better-auth ${inv.name} ${id}`;
      const email = text(r.email).trim();
      const org = orgSid(r.organizationId);
      const orgLabel = r.orgName === null || r.orgName === undefined ? `organization ${org}` : `"${text(r.orgName)}" (${org})`;
      const list = splitRoles(r.role);
      const expires = r.expiresAt instanceof Date ? r.expiresAt.getTime() : r.expiresAt ? new Date(typeof r.expiresAt === 'number' ? r.expiresAt : text(r.expiresAt)).getTime() : NaN;
      if (Number.isFinite(expires) && expires < now) {
        issues.push({ location: where, field: 'invitation', severity: 'warning', recordKind: 'membership', sourceId: `${email.toLowerCase()}@${org}`, message: `${email}'s invitation to ${orgLabel} (as ${list.join(', ')}) expired on ${new Date(expires).toISOString().slice(0, 10)}: not carried. Invite them again in WorkOS if they should still join.` });
        continue;
      }
      const userId = userByEmail.get(email.toLowerCase());
      // Someone with no user yet: only a WorkOS invitation can carry it (--invited-members invite).
      const invitee = userId ? { userSourceId: userId } : { userSourceId: `invitation:${email.toLowerCase()}`, inviteEmail: email };
      memberships.push({ ...invitee, orgSourceId: org, roles: list, status: 'invited', sourceRef: `invitation:${id}`, origin: where });
    }
    return { memberships, issues };
  }
}

export { COLUMNS };
