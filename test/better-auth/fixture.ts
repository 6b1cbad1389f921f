/**
 * A Better Auth database made by Better Auth itself (the real `better-auth` package): its own
 * migrations, users signed up through auth.api.signUpEmail with known passwords, organizations,
 * members, invitations and teams through its organization plugin, TOTP through its two-factor
 * plugin. Bulk users reuse a few hashes from its hashPassword (one sign-up hashes ~130 ms).
 *
 * One builder for SQLite, PostgreSQL and MariaDB; `modelNames` gives the renamed and the plural
 * schemas (Better Auth's `modelName` / `fields` options, as an app would configure them).
 */
import { randomBytes } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { hashPassword } from 'better-auth/crypto';
import { getMigrations } from 'better-auth/db/migration';
import { organization, twoFactor } from 'better-auth/plugins';
import { createOTP } from '@better-auth/utils/otp';
import { base32 } from '@better-auth/utils/base32';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';

export type FixtureDialect = 'sqlite' | 'postgres' | 'mysql';

export const APP_SECRET = 'better-auth-test-secret-0123456789abcdefXYZ';

export interface SchemaNames {
  /** Logical model -> table name. */
  tables?: Partial<Record<'user' | 'account' | 'session' | 'organization' | 'member' | 'invitation' | 'team' | 'teamMember' | 'twoFactor' | 'verification', string>>;
  /** `user.email` -> column name. */
  fields?: Record<string, string>;
}

export const PLURAL: SchemaNames = {
  tables: {
    user: 'users', account: 'accounts', session: 'sessions', organization: 'organizations', member: 'members',
    invitation: 'invitations', team: 'teams', teamMember: 'teamMembers', twoFactor: 'twoFactors', verification: 'verifications',
  },
};

export const RENAMED: SchemaNames = {
  tables: { user: 'app_users', account: 'app_accounts', organization: 'Companies', member: 'company_members' },
  fields: { 'user.email': 'email_address', 'user.name': 'full_name', 'account.password': 'pw_hash', 'member.role': 'roles_csv' },
};

export interface ExpectedUser {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  /** The password that signs in (undefined: social only, no password). */
  password?: string;
  social: string[];
  /** base32 TOTP secret, for the users with verified two-factor. */
  totp?: string;
}

export interface ExpectedState {
  users: ExpectedUser[];
  organizations: { id: string; name: string; slug: string; metadata: Record<string, string> }[];
  /** Active memberships: user id, organization id, roles. */
  memberships: { userId: string; orgId: string; roles: string[] }[];
  /** Pending invitations of existing users (become invited memberships). */
  invitedMembers: { userId: string; orgId: string; roles: string[] }[];
  /** Pending invitations of emails without a user. */
  invitedEmails: { email: string; orgId: string; role: string }[];
  team: { id: string; name: string; orgId: string; memberIds: string[] };
  defaultTeams: number;
}

export interface Fixture {
  dialect: FixtureDialect;
  /** What the tool is given: a file path or a URL. */
  url: string;
  expected: ExpectedState;
  close(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Databases of runs whose process is gone (killed before its afterAll): dropped, so none is left behind. */
const orphaned = (names: string[]) => names.filter((n) => /^wm_ba_(\d+)_[0-9a-f]{8}$/.test(n) && !alive(Number(n.split('_')[2])));

/** A database of our own per run, dropped by `close()`. */
async function createDatabase(dialect: FixtureDialect, dir: string): Promise<{ url: string; database: unknown; drop: () => Promise<void> }> {
  const name = `wm_ba_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (dialect === 'sqlite') {
    const file = `${dir}/${name}.db`;
    const db = new Database(file);
    return { url: file, database: db, drop: async () => { db.close(); } };
  }
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    const stale = (await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'wm\\_ba\\_%'`)).rows.map((r) => r.datname);
    for (const old of orphaned(stale)) await admin.query(`DROP DATABASE IF EXISTS "${old}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    return {
      url,
      database: pool,
      drop: async () => {
        await pool.end();
        const a = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await a.end();
      },
    };
  }
  const mysql = await import('mysql2/promise');
  const admin = await mysql.createConnection(MYSQL_ADMIN_URL);
  const [rows] = await admin.query(`SHOW DATABASES LIKE 'wm\\_ba\\_%'`);
  for (const old of orphaned((rows as Record<string, string>[]).map((r) => Object.values(r)[0]))) await admin.query(`DROP DATABASE IF EXISTS \`${old}\``);
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const url = MYSQL_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const pool = mysql.createPool({ uri: url, connectionLimit: 4, timezone: 'Z' });
  return {
    url,
    database: pool,
    drop: async () => {
      await pool.end();
      const a = await mysql.createConnection(MYSQL_ADMIN_URL);
      // Connections of killed CLI runs the server has not noticed yet would hold the drop up.
      const [others] = await a.query('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [name]);
      for (const { id } of others as { id: number }[]) await a.query(`KILL ${Number(id)}`).catch(() => undefined);
      await a.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.end();
    },
  };
}

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_ADMIN_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Whether a server answers (tests for that dialect are skipped otherwise). */
export async function serverUp(dialect: FixtureDialect): Promise<boolean> {
  try {
    if (dialect === 'sqlite') return true;
    if (dialect === 'postgres') {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
      await c.connect();
      await c.end();
      return true;
    }
    const mysql = await import('mysql2/promise');
    const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 2000 });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export const passwordOf = (i: number) => (i === 7 ? 'Pässwörd-日本語-07' : i === 8 ? 'ｆｕｌｌ－ｗｉｄｔｈ８' : `pw-${i}-Secret!`);
export const BULK_PASSWORDS = ['bulk-pass-0', 'bulk-pass-1', 'bulk-pass-2', 'bulk-pass-3'];

export interface FixtureOptions {
  dialect: FixtureDialect;
  dir: string;
  names?: SchemaNames;
  bulk?: number;
  /** Better Auth's advanced.database.generateId: uuid or serial (integer) ids instead of its random text. */
  generateId?: 'uuid' | 'serial';
}

export async function buildFixture(options: FixtureOptions): Promise<Fixture> {
  const { dialect } = options;
  const names = options.names ?? {};
  const created = await createDatabase(dialect, options.dir);
  const fields = (model: string) => Object.fromEntries(Object.entries(names.fields ?? {}).filter(([k]) => k.startsWith(`${model}.`)).map(([k, v]) => [k.slice(model.length + 1), v]));
  const model = (m: keyof NonNullable<SchemaNames['tables']>) => ({ ...(names.tables?.[m] ? { modelName: names.tables[m] } : {}), ...(Object.keys(fields(m)).length ? { fields: fields(m) } : {}) });
  const orgSchema = {
    organization: model('organization'),
    member: model('member'),
    invitation: model('invitation'),
    team: model('team'),
    teamMember: model('teamMember'),
  };
  const auth = betterAuth({
    database: created.database as never,
    secret: APP_SECRET,
    baseURL: 'http://localhost:3000',
    logger: { disabled: true },
    ...(options.generateId ? { advanced: { database: { generateId: options.generateId } } } : {}),
    emailAndPassword: { enabled: true },
    user: model('user'),
    account: model('account'),
    session: model('session'),
    verification: model('verification'),
    plugins: [
      organization({ teams: { enabled: true }, schema: orgSchema as never, allowUserToCreateOrganization: true }),
      twoFactor({ schema: { twoFactor: model('twoFactor') } as never, issuer: 'fixture' }),
    ],
  } as never) as any;
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  const ctx = await auth.$context;

  const expected: ExpectedState = { users: [], organizations: [], memberships: [], invitedMembers: [], invitedEmails: [], team: { id: '', name: 'Engineering', orgId: '', memberIds: [] }, defaultTeams: 0 };
  const cookies = new Map<string, string>();
  const headersOf = (userId: string) => new Headers({ cookie: cookies.get(userId)! });

  // 40 users signed up with known passwords (7: non-ASCII, 8: changed by NFKC).
  for (let i = 1; i <= 40; i++) {
    const email = `user${String(i).padStart(2, '0')}@example.com`;
    const name = i === 9 ? 'Solo' : `First${i} Last${i}`;
    const res = await auth.api.signUpEmail({ body: { email, password: passwordOf(i), name }, asResponse: true });
    if (!res.ok) throw new Error(`sign-up ${email}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { user: { id: string } };
    cookies.set(String(body.user.id), res.headers.getSetCookie().map((c: string) => c.split(';')[0]).join('; '));
    expected.users.push({ id: String(body.user.id), email, name, emailVerified: false, password: passwordOf(i), social: [] });
  }
  const U = (i: number) => expected.users[i - 1];
  // Verified emails for a few (Better Auth's own adapter).
  for (const i of [1, 2, 3]) {
    await ctx.internalAdapter.updateUser(U(i).id, { emailVerified: true });
    U(i).emailVerified = true;
  }
  // One password user also linked to Google.
  await ctx.internalAdapter.linkAccount({ userId: U(13).id, providerId: 'google', accountId: 'g-13' });
  U(13).social.push('google');

  // Social-only users.
  for (const [i, provider] of [[1, 'google'], [2, 'github'], [3, 'google']] as const) {
    const email = `social${i}@example.com`;
    const user = await ctx.internalAdapter.createUser({ email, name: `Social ${i}`, emailVerified: true });
    await ctx.internalAdapter.linkAccount({ userId: user.id, providerId: provider, accountId: `${provider}-${i}` });
    expected.users.push({ id: String(user.id), email, name: `Social ${i}`, emailVerified: true, social: [provider] });
  }

  // Five organizations, each created by its owner (users 1..5); metadata on two.
  const metadataOf = (i: number) => (i === 1 ? { plan: 'pro', limits: { seats: 10 } } : i === 2 ? { region: 'eu' } : undefined);
  for (let i = 1; i <= 5; i++) {
    const org = await auth.api.createOrganization({
      body: { name: `Org ${i}`, slug: `org-${i}`, ...(metadataOf(i) ? { metadata: metadataOf(i) } : {}) },
      headers: headersOf(U(i).id),
    });
    const flat: Record<string, string> = { better_auth_slug: `org-${i}` };
    if (i === 1) Object.assign(flat, { plan: 'pro', 'limits.seats': '10' });
    if (i === 2) Object.assign(flat, { region: 'eu' });
    expected.organizations.push({ id: String(org.id), name: `Org ${i}`, slug: `org-${i}`, metadata: flat });
    expected.memberships.push({ userId: U(i).id, orgId: String(org.id), roles: ['owner'] });
    expected.defaultTeams++;
  }
  const O = (i: number) => expected.organizations[i - 1].id;
  const add = async (user: number, org: number, role: string | string[]) => {
    await auth.api.addMember({ body: { userId: U(user).id, role, organizationId: O(org) } });
    expected.memberships.push({ userId: U(user).id, orgId: O(org), roles: Array.isArray(role) ? role : [role] });
  };
  await add(6, 1, ['admin', 'member']);
  await add(14, 2, ['admin', 'member']);
  for (const org of [1, 2, 3]) await add(10, org, 'member');
  for (let i = 15; i <= 24; i++) await add(i, 1 + (i % 5), i % 3 === 0 ? 'admin' : 'member');

  // A team of three in Org 1 (besides the default team Better Auth made with it).
  const team = await auth.api.createTeam({ body: { name: 'Engineering', organizationId: O(1) }, headers: headersOf(U(1).id) });
  expected.team = { id: String(team.id), name: 'Engineering', orgId: O(1), memberIds: [] };
  for (const i of [1, 6, 10]) {
    await auth.api.addTeamMember({ body: { teamId: team.id, userId: U(i).id }, headers: headersOf(U(1).id) });
    expected.team.memberIds.push(U(i).id);
  }

  // Pending invitations: two of existing users who are not members yet, two of new emails.
  for (const [user, org, role] of [[30, 1, 'admin'], [31, 2, 'member']] as const) {
    await auth.api.createInvitation({ body: { email: U(user).email, role, organizationId: O(org) }, headers: headersOf(U(org).id) });
    expected.invitedMembers.push({ userId: U(user).id, orgId: O(org), roles: [role] });
  }
  for (const [email, org] of [['newcomer1@example.com', 1], ['newcomer2@example.com', 3]] as const) {
    await auth.api.createInvitation({ body: { email, role: 'member', organizationId: O(org) }, headers: headersOf(U(org).id) });
    expected.invitedEmails.push({ email, orgId: O(org), role: 'member' });
  }

  // Two users with verified TOTP, enrolled through the plugin's endpoints.
  for (const i of [11, 12]) {
    const enabled = await auth.api.enableTwoFactor({ body: { password: passwordOf(i) }, headers: headersOf(U(i).id) });
    const secret = new URL(enabled.totpURI).searchParams.get('secret')!;
    const code = await createOTP(base32.decode(secret)).totp();
    await auth.api.verifyTOTP({ body: { code }, headers: headersOf(U(i).id) });
    U(i).totp = secret;
  }

  // Bulk users in one insert per 500, with a few hashes of known passwords reused.
  const bulk = options.bulk ?? 0;
  if (bulk) {
    const hashes = await Promise.all(BULK_PASSWORDS.map((p) => hashPassword(p)));
    const db = kyselyFor(dialect, created.database);
    const userTable = names.tables?.user ?? 'user';
    const accountTable = names.tables?.account ?? 'account';
    const f = names.fields ?? {};
    const col = (m: string, c: string) => f[`${m}.${c}`] ?? c;
    const now = new Date();
    const ts = dialect === 'sqlite' ? now.toISOString() : now;
    for (let start = 0; start < bulk; start += 500) {
      const users: Record<string, unknown>[] = [];
      const accounts: Record<string, unknown>[] = [];
      for (let k = start; k < Math.min(bulk, start + 500); k++) {
        const id = `bulk${String(k).padStart(6, '0')}${randomBytes(6).toString('hex')}`;
        const email = `bulk${k}@example.org`;
        users.push({ id, [col('user', 'email')]: email, [col('user', 'name')]: `Bulk ${k}`, emailVerified: dialect === 'postgres' ? k % 2 === 0 : k % 2 === 0 ? 1 : 0, createdAt: ts, updatedAt: ts });
        accounts.push({ id: `acc${id}`, accountId: id, providerId: 'credential', userId: id, [col('account', 'password')]: hashes[k % 4], createdAt: ts, updatedAt: ts });
        expected.users.push({ id, email, name: `Bulk ${k}`, emailVerified: k % 2 === 0, password: BULK_PASSWORDS[k % 4], social: [] });
      }
      await db.insertInto(userTable).values(users).execute();
      await db.insertInto(accountTable).values(accounts).execute();
    }
  }

  return {
    dialect,
    url: created.url,
    expected,
    close: created.drop,
  };
}

function kyselyFor(dialect: FixtureDialect, database: unknown): Kysely<any> {
  if (dialect === 'sqlite') return new Kysely<any>({ dialect: new SqliteDialect({ database: database as Database.Database }) });
  if (dialect === 'postgres') return new Kysely<any>({ dialect: new PostgresDialect({ pool: database as never }) });
  // mysql2/promise wraps the callback pool Kysely drives (as Better Auth passes it).
  return new Kysely<any>({ dialect: new MysqlDialect({ pool: (database as { pool: never }).pool }) });
}
