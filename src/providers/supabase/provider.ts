/**
 * Supabase as a source: the project's PostgreSQL, read directly (`auth.users`, `auth.identities`,
 * `auth.mfa_factors`) through the Better Auth source's connection layer, whose sessions are
 * read-only transactions: the server refuses any write, whatever the account may do.
 *
 * Phases, each batch staged with the cursor `{ v: 1, phase, after, done }`:
 *
 *   organizations  the operator's organizations file (Supabase has none), when given: one batch
 *   users          keyset pages on auth.users.id (`WHERE id > :after ORDER BY id LIMIT n`), each
 *                  user with its identities, verified factors and memberships from the file, so a
 *                  million users stage in bounded memory and a stop resumes after the last staged id
 *   unmatched      the file's lines whose user is not in auth.users (one read per 1,000 keys)
 *   done
 */
import { sql, type Kysely } from 'kysely';
import { ExpectedError } from '../../errors.js';
import { connectionError, maskUrl, openConnection, type Connection } from '../better-auth/connection.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceMembership, SourceProvider, SourceUser } from '../types.js';
import { identityKind, mapUser, text, type Choice, type FactorRow, type IdentityRow, type UserRow } from './mapping.js';
import { readOrganizationsFile, UUID, type OrganizationsFile } from './organizations.js';

export interface SupabaseOptions {
  /** The project's postgres:// connection string. A secret: never written anywhere. */
  databaseUrl: string;
  /** Soft-deleted users (deleted_at set): left out (skip, the default) or imported. */
  deleted?: Choice;
  /** Users banned until a time to come: left out (skip, the default) or imported. */
  banned?: Choice;
  /** The operator's organizations CSV (absolute path). */
  organizationsFile?: string;
  /** Users per page (default 1000). */
  pageSize?: number;
}

type Phase = 'organizations' | 'users' | 'unmatched' | 'done';
const PHASES: Phase[] = ['organizations', 'users', 'unmatched', 'done'];

interface Cursor {
  v: 1;
  phase: Phase;
  /** The last staged auth.users.id (a uuid), or null before the first page. */
  after: string | null;
  done: number;
}

function parseCursor(value: string): Cursor {
  let c: Partial<Cursor> = {};
  try {
    c = JSON.parse(value) as Partial<Cursor>;
  } catch {
    // below
  }
  if (c.v !== 1 || !PHASES.includes(c.phase as Phase) || typeof c.done !== 'number' || (c.after !== null && !(typeof c.after === 'string' && UUID.test(c.after)))) {
    throw new ExpectedError(
      'The saved Supabase export position in the journal is not one this version understands.',
      'Start a new migration (a new --journal) to export again from the beginning.',
    );
  }
  return c as Cursor;
}

/** Columns read from auth.users; the optional ones came with later GoTrue migrations. */
const REQUIRED = ['id', 'email', 'encrypted_password', 'email_confirmed_at', 'raw_app_meta_data', 'raw_user_meta_data'];
// created_at only orders the census's newest sign-ups; it is not carried (NOT_CARRIED).
const OPTIONAL = ['phone', 'banned_until', 'deleted_at', 'is_sso_user', 'is_anonymous'];

/** auth.users columns with something an operator may miss, named once in the plan as not carried. */
const NOT_CARRIED: Record<string, string> = {
  phone: 'phone numbers are not carried: WorkOS users have none (keep them in your application, keyed by the id map)',
  created_at: 'WorkOS sets its own creation time; keep the original in your application if it matters',
  last_sign_in_at: 'sign-in history is not carried; WorkOS records sign-ins from the switch on',
  role: "the Postgres role Supabase puts in the user's JWT (authenticated): your row-level security policies read it, WorkOS does not",
  is_super_admin: 'not used by Supabase Auth any more; nothing to carry',
};

interface Schema {
  users: Set<string>;
  identities: boolean;
  factors: boolean;
}

const plural = (n: number, word: string, words = `${word}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? word : words}`;
const DATABASE = 'Supabase database';

export function createSupabaseProvider(options: SupabaseOptions): SourceProvider {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  const deleted: Choice = options.deleted ?? 'skip';
  const banned: Choice = options.banned ?? 'skip';

  function open(): Connection {
    if (!/^postgres(ql)?:\/\//i.test(options.databaseUrl)) {
      throw new ExpectedError(
        `${maskUrl(options.databaseUrl)} is not a PostgreSQL URL; a Supabase project's database is PostgreSQL.`,
        "Pass the project's connection string (Project Settings -> Database: the direct connection or the session pooler, postgres://postgres...:PASSWORD@HOST:5432/postgres).",
      );
    }
    // Supavisor's transaction mode hands each transaction any server connection: a session made
    // read-only would not stay so (and would leak into other clients' sessions).
    if (/@[^/?#]*pooler\.supabase\.com:6543(?:[/?#]|$)/i.test(options.databaseUrl)) {
      throw new ExpectedError(
        `${maskUrl(options.databaseUrl)} is Supabase's transaction pooler (port 6543), where a session cannot be kept read-only.`,
        'Use the direct connection, or the session pooler: the same URL on port 5432.',
      );
    }
    return openConnection(options.databaseUrl);
  }

  const explain = (error: unknown, conn: Connection): ExpectedError => {
    const e = connectionError(error, options.databaseUrl, conn.label, DATABASE);
    if ((error as { code?: string })?.code === '42501') {
      return new ExpectedError(e.message, 'Connect as the postgres user (it may read the auth schema), or grant this role SELECT on auth.users, auth.identities and auth.mfa_factors.');
    }
    return e;
  };

  async function schemaOf(db: Kysely<any>, label: string): Promise<Schema> {
    const rows = await db
      .selectFrom('information_schema.columns')
      .select(['table_name', 'column_name'])
      .where('table_schema', '=', 'auth')
      .where('table_name', 'in', ['users', 'identities', 'mfa_factors'])
      .execute();
    const users = new Set(rows.filter((r) => r.table_name === 'users').map((r) => String(r.column_name)));
    if (!users.size) {
      throw new ExpectedError(
        `The database ${label} has no auth.users table this connection can see: it is not a Supabase project's database, or this user may not read the auth schema.`,
        "Pass the project's connection string (Project Settings -> Database), as the postgres user.",
      );
    }
    const missing = REQUIRED.filter((c) => !users.has(c));
    if (missing.length) {
      throw new ExpectedError(
        `auth.users in ${label} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: it is not the table Supabase Auth (GoTrue) makes.`,
        'Check that the URL points at the Supabase project (not a copy of another schema), and that its auth migrations ran.',
      );
    }
    const has = (table: string, column: string) => rows.some((r) => r.table_name === table && r.column_name === column);
    return { users, identities: has('identities', 'provider') && has('identities', 'user_id'), factors: has('mfa_factors', 'factor_type') && has('mfa_factors', 'status') };
  }

  let file: OrganizationsFile | undefined;
  /** Organizations already flagged for the SSO handoff in this pass (the report reads them distinct). */
  const ssoOrgs = new Set<string>();
  const organizationsFile = () => (options.organizationsFile ? (file ??= readOrganizationsFile(options.organizationsFile)) : undefined);

  return {
    id: 'supabase',
    displayName: 'Supabase',

    // The signup freeze's count: the users an export stages (an anonymous or email-less sign-up
    // is never imported, so it is no leak), the newest by created_at.
    async census({ newest = 5 } = {}) {
      const conn = open();
      try {
        const schema = await schemaOf(conn.db, conn.label);
        const staged = sql<boolean>`${sql.raw(`coalesce(email, '') <> ''${schema.users.has('is_anonymous') ? ' and not is_anonymous' : ''}`)}`;
        const row = await conn.db.selectFrom('auth.users').select(sql<string>`count(*)`.as('n')).where(staged).executeTakeFirst();
        const users = Number(row?.n ?? 0);
        if (!newest || !schema.users.has('created_at')) return { users };
        const rows = await conn.db.selectFrom('auth.users').select(['id', 'email', 'created_at']).where(staged).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(newest).execute();
        return { users, newest: rows.map((r) => ({ sourceId: text(r.id), email: text(r.email), createdAt: r.created_at ? text(r.created_at) : undefined })) };
      } catch (error) {
        throw explain(error, conn);
      } finally {
        await conn.close().catch(() => undefined);
      }
    },

    async check() {
      const orgs = organizationsFile();
      const conn = open();
      try {
        const schema = await schemaOf(conn.db, conn.label).catch((error: unknown) => {
          throw explain(error, conn);
        });
        const u = schema.users;
        const when = (column: string, condition: string) => (u.has(column) ? sql.raw(`count(*) filter (where ${condition})`) : sql.raw('0'));
        const row = await conn.db
          .selectFrom('auth.users')
          .select([
            sql<string>`count(*)`.as('total'),
            sql<string>`count(*) filter (where coalesce(encrypted_password, '') <> '')`.as('passwords'),
            sql<string>`${when('is_anonymous', 'is_anonymous')}`.as('anonymous'),
            sql<string>`${when('deleted_at', 'deleted_at is not null')}`.as('deleted'),
            sql<string>`${when('banned_until', 'banned_until > now()')}`.as('banned'),
            sql<string>`${when('is_sso_user', 'is_sso_user')}`.as('sso'),
            sql<string>`count(*) filter (where coalesce(email, '') = ''${sql.raw(u.has('is_anonymous') ? ' and not is_anonymous' : '')})`.as('noEmail'),
          ])
          .executeTakeFirstOrThrow()
          .catch((error: unknown) => {
            throw explain(error, conn);
          });
        const n = (v: unknown) => Number(v ?? 0);
        const parts = [`Supabase database ${conn.label} (${conn.readOnly}: nothing is ever written to it)`];
        const counts = [`auth.users ${plural(n(row.total), 'user')}, ${plural(n(row.passwords), 'password hash', 'password hashes')}`];
        if (n(row.anonymous)) counts.push(`${plural(n(row.anonymous), 'anonymous user')} left out`);
        if (n(row.noEmail)) counts.push(`${plural(n(row.noEmail), 'user')} without an email (phone sign-in) not importable`);
        if (n(row.deleted)) counts.push(`${plural(n(row.deleted), 'deleted user')} ${deleted === 'skip' ? 'left out (--supabase-deleted import brings them)' : 'imported'}`);
        if (n(row.banned)) counts.push(`${plural(n(row.banned), 'banned user')} ${banned === 'skip' ? 'left out (--supabase-banned import brings them)' : 'imported'}`);
        if (n(row.sso)) counts.push(`${plural(n(row.sso), 'SSO user')} to set up again in WorkOS`);
        parts.push(counts.join(', '));
        if (schema.identities) {
          const social = await conn.db
            .selectFrom('auth.identities')
            .select(['provider', sql<string>`count(distinct user_id)`.as('n')])
            .groupBy('provider')
            .orderBy('provider')
            .execute();
          const list = social.filter((s) => identityKind(text(s.provider)) === 'social').map((s) => `${text(s.provider)} ${n(s.n)}`);
          if (list.length) parts.push(`social sign-ins: ${list.join(', ')}`);
        }
        parts.push(
          orgs
            ? `organizations from ${orgs.name}: ${plural(orgs.organizations.length, 'organization')}, ${plural(orgs.lines, 'line')}${orgs.issues.some((i) => i.severity === 'error') ? `, ${plural(orgs.issues.filter((i) => i.severity === 'error').length, 'line')} that cannot be read (listed in the plan)` : ''}`
            : 'no organizations (Supabase has none; --supabase-organizations FILE assigns them)',
        );
        return { summary: parts.join('; ') };
      } finally {
        await conn.close().catch(() => undefined);
      }
    },

    async *export({ cursor, signal }: ExportOptions): AsyncIterable<ExportBatch> {
      const orgs = organizationsFile();
      const conn = open();
      try {
        const db = conn.db;
        const schema = await schemaOf(db, conn.label);
        let state: Cursor = cursor ? parseCursor(cursor) : { v: 1, phase: orgs ? 'organizations' : 'users', after: null, done: 0 };
        const now = Date.now();
        const totalRow = await db.selectFrom('auth.users').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
        const total = Number(totalRow?.n ?? 0) + (orgs ? orgs.organizations.length : 0);
        const columns = [...REQUIRED, ...OPTIONAL.filter((c) => schema.users.has(c))];
        // Named once, with the first batch of a pass (the exporter keeps their union).
        let ignored: ExportBatch['ignoredColumns'] = Object.keys(NOT_CARRIED)
          .filter((c) => schema.users.has(c))
          .map((c) => ({ column: `auth.users.${c}`, reason: NOT_CARRIED[c] }));

        const batchOf = (b: ExportBatch): ExportBatch => {
          const extra = ignored?.length ? { ignoredColumns: ignored } : {};
          ignored = undefined;
          return { ...b, ...extra, cursor: JSON.stringify(state), progress: { done: state.done, total: Math.max(total, state.done), unit: 'records' } };
        };

        while (state.phase !== 'done') {
          if (signal?.aborted) return;
          // (`orgs` may be missing in a phase only when a later pass no longer names the file.)
          if (state.phase === 'organizations') {
            state = { ...state, phase: 'users', done: state.done + (orgs?.organizations.length ?? 0) };
            yield batchOf(orgs ? { organizations: orgs.organizations, roles: orgs.roles, issues: orgs.issues } : {});
            continue;
          }
          if (state.phase === 'users') {
            let q = db.selectFrom('auth.users').select(columns).orderBy('id').limit(pageSize);
            if (state.after !== null) q = q.where('id', '>', state.after);
            const rows = (await q.execute()) as UserRow[];
            const batch = await usersBatch(db, schema, rows, orgs, now);
            state =
              rows.length < pageSize
                ? { ...state, phase: orgs ? 'unmatched' : 'done', after: null, done: state.done + rows.length }
                : { ...state, after: text(rows[rows.length - 1].id), done: state.done + rows.length };
            yield batchOf(batch);
            continue;
          }
          // unmatched: the file's users that auth.users does not have.
          state = { ...state, phase: 'done' };
          yield batchOf({ issues: orgs ? await unmatchedLines(db, orgs) : [] });
        }
      } catch (error) {
        if (signal?.aborted) return;
        throw explain(error, conn);
      } finally {
        await conn.close().catch(() => undefined);
      }
    },
  };

  async function usersBatch(db: Kysely<any>, schema: Schema, rows: UserRow[], orgs: OrganizationsFile | undefined, now: number): Promise<ExportBatch> {
    const users: SourceUser[] = [];
    const memberships: SourceMembership[] = [];
    const issues: SourceIssue[] = [];
    const leftOut: NonNullable<ExportBatch['leftOut']> = [];
    if (!rows.length) return { users, memberships, issues, leftOut };
    const ids = rows.map((r) => text(r.id));
    const identities = new Map<string, IdentityRow[]>();
    if (schema.identities) {
      for (const r of await db.selectFrom('auth.identities').select(['user_id', 'provider']).where('user_id', 'in', ids).orderBy('user_id').orderBy('provider').execute()) {
        const list = identities.get(text(r.user_id)) ?? [];
        list.push(r as IdentityRow);
        identities.set(text(r.user_id), list);
      }
    }
    const factors = new Map<string, FactorRow[]>();
    if (schema.factors) {
      const rowsF = await db
        .selectFrom('auth.mfa_factors')
        .select(['user_id', sql<string>`factor_type::text`.as('factor_type'), 'secret'])
        .where('user_id', 'in', ids)
        .where(sql`status::text`, '=', 'verified')
        .orderBy('user_id')
        .orderBy('created_at')
        .execute();
      for (const r of rowsF) {
        const list = factors.get(text(r.user_id)) ?? [];
        list.push(r as FactorRow);
        factors.set(text(r.user_id), list);
      }
    }
    for (const row of rows) {
      const id = text(row.id);
      const mapped = mapUser(row, identities.get(id) ?? [], factors.get(id) ?? [], { deleted, banned, now });
      issues.push(...mapped.issues);
      const email = text(row.email).trim().toLowerCase();
      const lines = orgs ? [...(orgs.byUser.get(`id:${id.toLowerCase()}`) ?? []), ...((email && orgs.byUser.get(`email:${email}`)) || [])] : [];
      if (!mapped.user) {
        if (lines.length) {
          issues.push({
            location: `${orgs!.name}:${lines.map((l) => l.line).join(',')}`,
            field: 'user',
            severity: 'warning',
            recordKind: 'membership',
            sourceId: id,
            message: `names Supabase user ${id}, who is not imported (anonymous, or without an email: see that user's own issue): ${plural(lines.length, 'membership')} not created.`,
          });
        }
        continue;
      }
      users.push(mapped.user);
      if (mapped.leftOut) leftOut.push({ kind: 'user', sourceId: id, reason: mapped.leftOut });
      // One membership per organization, the roles of all its lines together.
      const byOrg = new Map<string, { roles: Set<string>; line: number }>();
      for (const l of lines) {
        const m = byOrg.get(l.orgId) ?? { roles: new Set<string>(), line: l.line };
        for (const r of l.roles) m.roles.add(r);
        byOrg.set(l.orgId, m);
      }
      for (const [orgId, m] of byOrg) {
        memberships.push({ userSourceId: id, orgSourceId: orgId, roles: [...m.roles], origin: `${orgs!.name}:${m.line}` });
        // An organization with SSO members: its IT admin sets SSO up again (the Admin Portal handoff).
        if (mapped.sso && !ssoOrgs.has(orgId)) {
          ssoOrgs.add(orgId);
          issues.push({
            location: `${orgs!.name}:${m.line}`,
            field: 'sso',
            severity: 'warning',
            recordKind: 'organization',
            sourceId: orgId,
            message: `members of organization ${orgId} sign in through SAML SSO in Supabase (${mapped.sso}, e.g. ${mapped.user.email}). SSO connections cannot be exported: after the import, send its IT admin a WorkOS Admin Portal link to set SSO up again (portal.generateLink({ organization: <its WorkOS id>, intent: 'sso' })).`,
          });
        }
      }
    }
    return { users, memberships, issues, leftOut };
  }
}

/** The file's lines whose user id or email no auth.users row has: warnings, one per line. */
async function unmatchedLines(db: Kysely<any>, orgs: OrganizationsFile): Promise<SourceIssue[]> {
  const ids: string[] = [];
  const emails: string[] = [];
  for (const key of orgs.byUser.keys()) (key.startsWith('id:') ? ids : emails).push(key.slice(key.indexOf(':') + 1));
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    for (const r of await db.selectFrom('auth.users').select('id').where('id', 'in', chunk).execute()) found.add(`id:${text(r.id).toLowerCase()}`);
  }
  for (let i = 0; i < emails.length; i += 1000) {
    const chunk = emails.slice(i, i + 1000);
    for (const r of await db.selectFrom('auth.users').select(sql<string>`lower(email)`.as('email')).where(sql`lower(email)`, 'in', chunk).execute()) found.add(`email:${text(r.email)}`);
  }
  const issues: SourceIssue[] = [];
  for (const [key, lines] of orgs.byUser) {
    if (found.has(key)) continue;
    const who = key.startsWith('id:') ? `user id ${key.slice(3)}` : `email ${key.slice(6)}`;
    for (const l of lines) {
      issues.push({
        location: `${orgs.name}:${l.line}`,
        field: 'user',
        severity: 'warning',
        recordKind: 'membership',
        message: `no Supabase user has the ${who}: this membership (organization ${l.orgId}) is not created. Fix the line (a typo?) and run again with a new journal, or add the member in WorkOS.`,
      });
    }
  }
  return issues;
}
