/**
 * A Supabase project's `auth` schema on the machine's PostgreSQL: the tables exactly as GoTrue's
 * migrations make them (auth-schema.sql cites each migration), in a database of its own per run
 * (`supabase_test_<pid>_<random>`, dropped by close(); ones left by killed runs are dropped on the
 * next start), filled as GoTrue fills them: bcrypt `encrypted_password` (`$2a$`, cost 10 for the
 * named users, cost 4 for the bulk ones, a few hashes shared among them: hash-wasm takes ~5 ms for
 * one at cost 4), `email_confirmed_at`, `raw_app_meta_data` ({provider, providers}),
 * `raw_user_meta_data`, one `email` identity per password user plus social and SSO identities,
 * soft-deleted, banned, anonymous and phone-only users, verified and unverified MFA factors.
 *
 * `expected` is what WorkOS must hold afterwards, written from the inserted rows by hand (not by
 * the source's own mapping), with the organizations file the operator would write.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bcrypt } from 'hash-wasm';
import pg from 'pg';

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ExpectedUser {
  id: string;
  email: string;
  firstName?: string;
  lastName?: string;
  emailVerified: boolean;
  /** The password that signs in; undefined: no password (social or SSO only). */
  password?: string;
  metadata: Record<string, string>;
  social: string[];
  totp?: string;
}

export interface ExpectedState {
  /** Users WorkOS holds after a run with the default choices. */
  users: ExpectedUser[];
  /** Left out by the default choices (deleted, banned): staged and skipped. */
  leftOut: { id: string; email: string; why: 'deleted' | 'banned' }[];
  /** Never staged: anonymous (listed), phone-only (an error). */
  anonymous: string[];
  phoneOnly: string[];
  organizations: { id: string; name: string }[];
  /** Memberships WorkOS holds: user id, organization id, roles. */
  memberships: { userId: string; orgId: string; roles: string[] }[];
  /** The organizations file's lines that cannot be read (errors) and whose user is unknown (warnings). */
  badLines: number[];
  unknownLines: number[];
  /** Users with an SMS factor, an encrypted TOTP secret, the SSO flag. */
  sms: string[];
  totpReenrol: string[];
  sso: string[];
  /** Every auth.users row. */
  rows: number;
}

export interface Fixture {
  /** postgres://postgres@127.0.0.1:5432/supabase_test_... */
  url: string;
  database: string;
  organizationsFile: string;
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

export async function serverUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function admin<T>(use: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await c.connect();
  try {
    return await use(c);
  } finally {
    await c.end();
  }
}

const hashes = new Map<string, Promise<string>>();
/** GoTrue's form: `$2a$<cost>$...`; one hash per (password, cost), reused. */
const hashOf = (password: string, cost: number) => {
  const key = `${cost}\u0000${password}`;
  if (!hashes.has(key)) hashes.set(key, bcrypt({ password, salt: randomBytes(16), costFactor: cost, outputType: 'encoded' }));
  return hashes.get(key)!;
};

/** A base32 TOTP secret as GoTrue (pquerna/otp) stores it. */
export const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
export const ORGS = [
  { id: 'acme', name: 'Acme Inc' },
  { id: 'globex', name: 'Globex Corporation' },
  { id: 'initech', name: 'Initech' },
  { id: 'umbrella', name: 'Umbrella, Ltd.' },
  { id: 'hooli', name: 'Hooli' },
];
export const BULK_PASSWORDS = 24;
export const bulkPassword = (i: number) => `bulk-${i % BULK_PASSWORDS}-Pw!`;

interface Row {
  id: string;
  email: string | null;
  encrypted_password: string;
  email_confirmed_at: Date | null;
  raw_app_meta_data: unknown;
  raw_user_meta_data: unknown;
  phone?: string | null;
  banned_until?: Date | string | null;
  deleted_at?: Date | null;
  is_sso_user?: boolean;
  is_anonymous?: boolean;
}

export async function buildFixture(options: { dir: string; bulk: number }): Promise<Fixture> {
  const database = `supabase_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(async (c) => {
    const stale = (await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'supabase\\_test\\_%'`)).rows.map((r) => r.datname);
    for (const old of stale) {
      const pid = Number(/^supabase_test_(\d+)_[0-9a-f]{8}$/.exec(old)?.[1]);
      if (pid && !alive(pid)) await c.query(`DROP DATABASE IF EXISTS "${old}" WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE "${database}"`);
  });
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${database}`);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(fs.readFileSync(path.join(import.meta.dirname, 'auth-schema.sql'), 'utf8'));
    return await fill(db, url, database, options);
  } finally {
    await db.end();
  }
}

async function fill(db: pg.Client, url: string, database: string, options: { dir: string; bulk: number }): Promise<Fixture> {
  const now = Date.now();
  const at = (days: number) => new Date(now + days * 86_400_000);
  const rows: Row[] = [];
  const identities: { user: string; provider: string; data: Record<string, unknown> }[] = [];
  const factors: { user: string; type: 'totp' | 'phone' | 'webauthn'; status: 'verified' | 'unverified'; secret?: string; phone?: string }[] = [];
  const expected: ExpectedState = { users: [], leftOut: [], anonymous: [], phoneOnly: [], organizations: ORGS, memberships: [], badLines: [], unknownLines: [], sms: [], totpReenrol: [], sso: [], rows: 0 };
  const appMeta = (...providers: string[]) => ({ provider: providers[0], providers });
  const appExpect = (...providers: string[]) => ({ provider: providers[0], providers: JSON.stringify(providers) });

  /** A password user as GoTrue signs one up: the hash, an email identity, the provider in app metadata. */
  async function person(spec: {
    email: string;
    password?: string;
    cost?: number;
    confirmed?: boolean;
    userMeta?: Record<string, unknown>;
    appMeta?: Record<string, unknown>;
    social?: string[];
    extra?: Partial<Row>;
  }): Promise<string> {
    const id = randomUUID();
    const providers = [...(spec.password ? ['email'] : []), ...(spec.social ?? [])];
    rows.push({
      id,
      email: spec.email,
      encrypted_password: spec.password ? await hashOf(spec.password, spec.cost ?? 4) : '',
      email_confirmed_at: spec.confirmed === false ? null : at(-30),
      raw_app_meta_data: { ...appMeta(...providers), ...spec.appMeta },
      raw_user_meta_data: spec.userMeta ?? {},
      ...spec.extra,
    });
    for (const p of providers) identities.push({ user: id, provider: p, data: { sub: p === 'email' ? id : `${p}-${id.slice(0, 8)}`, email: spec.email } });
    return id;
  }
  const add = (u: ExpectedUser) => expected.users.push(u);

  // The named users, one case each.
  const alice = await person({ email: 'alice@wonderland.example', password: 'Alice-in-W0nderland!', cost: 10, userMeta: { full_name: 'Alice Liddell', prefs: { theme: 'dark', lang: 'en' } }, appMeta: { plan: 'pro' } });
  add({ id: alice, email: 'alice@wonderland.example', firstName: 'Alice', lastName: 'Liddell', emailVerified: true, password: 'Alice-in-W0nderland!', social: [], metadata: { ...appExpect('email'), plan: 'pro', 'user.full_name': 'Alice Liddell', 'user.prefs.theme': 'dark', 'user.prefs.lang': 'en' } });
  const bob = await person({ email: 'bob@builder.example', password: 'Can-we-fix-it?', cost: 10, confirmed: false, userMeta: { first_name: 'Bob', last_name: 'The Builder' } });
  add({ id: bob, email: 'bob@builder.example', firstName: 'Bob', lastName: 'The Builder', emailVerified: false, password: 'Can-we-fix-it?', social: [], metadata: { ...appExpect('email'), 'user.first_name': 'Bob', 'user.last_name': 'The Builder' } });
  const carolMeta = { full_name: 'Carol Danvers', avatar_url: 'https://lh3.example/carol.png', email_verified: true, iss: 'https://accounts.google.com' };
  const carol = await person({ email: 'carol@marvel.example', social: ['google', 'github'], userMeta: carolMeta });
  add({ id: carol, email: 'carol@marvel.example', firstName: 'Carol', lastName: 'Danvers', emailVerified: true, social: ['github', 'google'], metadata: { ...appExpect('google', 'github'), 'user.full_name': 'Carol Danvers', 'user.avatar_url': carolMeta.avatar_url, 'user.email_verified': 'true', 'user.iss': carolMeta.iss } });
  const dave = await person({ email: 'dave@linked.example', password: 'Dave-Pässwörd-日本', cost: 10, social: ['google'], userMeta: { name: 'Dave' } });
  add({ id: dave, email: 'dave@linked.example', firstName: 'Dave', emailVerified: true, password: 'Dave-Pässwörd-日本', social: ['google'], metadata: { ...appExpect('email', 'google'), 'user.name': 'Dave' } });
  const erin = await person({ email: 'erin@deleted.example', password: 'erin-pw-1', extra: { deleted_at: at(-3) } });
  expected.leftOut.push({ id: erin, email: 'erin@deleted.example', why: 'deleted' });
  const frank = await person({ email: 'frank@banned.example', password: 'frank-pw-1', extra: { banned_until: at(365) } });
  expected.leftOut.push({ id: frank, email: 'frank@banned.example', why: 'banned' });
  const forever = await person({ email: 'forever@banned.example', password: 'forever-pw-1', extra: { banned_until: 'infinity' } });
  expected.leftOut.push({ id: forever, email: 'forever@banned.example', why: 'banned' });
  const grace = await person({ email: 'grace@parole.example', password: 'grace-pw-1', extra: { banned_until: at(-10) } });
  add({ id: grace, email: 'grace@parole.example', emailVerified: true, password: 'grace-pw-1', social: [], metadata: appExpect('email') });
  const heidi = randomUUID();
  rows.push({ id: heidi, email: 'heidi@sso-corp.example', encrypted_password: '', email_confirmed_at: at(-5), raw_app_meta_data: { provider: 'sso:0c5f7ba4-7c1b-4a9d-9a3e-2b6f3c1d0e11', providers: ['sso:0c5f7ba4-7c1b-4a9d-9a3e-2b6f3c1d0e11'] }, raw_user_meta_data: {}, is_sso_user: true });
  identities.push({ user: heidi, provider: 'sso:0c5f7ba4-7c1b-4a9d-9a3e-2b6f3c1d0e11', data: { sub: 'heidi@sso-corp.example', email: 'heidi@sso-corp.example' } });
  add({ id: heidi, email: 'heidi@sso-corp.example', emailVerified: true, social: [], metadata: { provider: 'sso:0c5f7ba4-7c1b-4a9d-9a3e-2b6f3c1d0e11', providers: '["sso:0c5f7ba4-7c1b-4a9d-9a3e-2b6f3c1d0e11"]' } });
  expected.sso.push(heidi);
  const ivan = randomUUID();
  rows.push({ id: ivan, email: null, encrypted_password: '', email_confirmed_at: null, raw_app_meta_data: {}, raw_user_meta_data: {}, is_anonymous: true });
  expected.anonymous.push(ivan);
  const judy = randomUUID();
  rows.push({ id: judy, email: null, encrypted_password: '', email_confirmed_at: null, raw_app_meta_data: appMeta('phone'), raw_user_meta_data: {}, phone: '15550001111' });
  identities.push({ user: judy, provider: 'phone', data: { sub: judy, phone: '15550001111' } });
  expected.phoneOnly.push(judy);
  const ken = await person({ email: 'ken@totp.example', password: 'ken-totp-pw' });
  factors.push({ user: ken, type: 'totp', status: 'verified', secret: TOTP_SECRET });
  add({ id: ken, email: 'ken@totp.example', emailVerified: true, password: 'ken-totp-pw', social: [], metadata: appExpect('email'), totp: TOTP_SECRET });
  const leo = await person({ email: 'leo@sms.example', password: 'leo-sms-pw' });
  factors.push({ user: leo, type: 'phone', status: 'verified', phone: '15550002222' });
  add({ id: leo, email: 'leo@sms.example', emailVerified: true, password: 'leo-sms-pw', social: [], metadata: appExpect('email') });
  expected.sms.push(leo);
  const mallory = await person({ email: 'mallory@unverified-totp.example', password: 'mallory-pw' });
  factors.push({ user: mallory, type: 'totp', status: 'unverified', secret: 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU' });
  add({ id: mallory, email: 'mallory@unverified-totp.example', emailVerified: true, password: 'mallory-pw', social: [], metadata: appExpect('email') });
  const niaj = await person({ email: 'niaj@encrypted-totp.example', password: 'niaj-pw' });
  factors.push({ user: niaj, type: 'totp', status: 'verified', secret: JSON.stringify({ key_id: 'k1', alg: 'aes-gcm-hkdf', data: 'c2VjcmV0', nonce: 'bm9uY2U=' }) });
  add({ id: niaj, email: 'niaj@encrypted-totp.example', emailVerified: true, password: 'niaj-pw', social: [], metadata: appExpect('email') });
  expected.totpReenrol.push(niaj);
  // Metadata over WorkOS's limits: a key over 40 characters, and 62 keys. jsonb keeps keys shorter
  // first: k00..k49 fit, k50..k59, provider and providers are over the 50.
  const longKey = 'a_rather_long_metadata_key_of_more_than_forty_characters';
  const many: Record<string, string> = {};
  for (let k = 0; k < 60; k++) many[`k${String(k).padStart(2, '0')}`] = `v${k}`;
  const olivia = await person({ email: 'olivia@limits.example', password: 'olivia-pw', appMeta: many, userMeta: { [longKey]: 'x' } });
  const oliviaMeta: Record<string, string> = {};
  for (let k = 0; k < 50; k++) oliviaMeta[`k${String(k).padStart(2, '0')}`] = `v${k}`;
  add({ id: olivia, email: 'olivia@limits.example', emailVerified: true, password: 'olivia-pw', social: [], metadata: oliviaMeta });

  // The bulk: sign-ups with a name in user metadata, every 7th unconfirmed, every 10th also on GitHub.
  for (let i = 0; i < options.bulk; i++) {
    const email = `user${String(i).padStart(5, '0')}@bulk.example`;
    const social = i % 10 === 3 ? ['github'] : [];
    const userMeta = i % 2 ? { full_name: `Bulk${i} Person` } : { first_name: `Bulk${i}`, last_name: 'Person' };
    const id = await person({ email, password: bulkPassword(i), confirmed: i % 7 !== 0, social, userMeta });
    add({ id, email, firstName: `Bulk${i}`, lastName: 'Person', emailVerified: i % 7 !== 0, password: bulkPassword(i), social, metadata: { ...appExpect('email', ...social), ...Object.fromEntries(Object.entries(userMeta).map(([k, v]) => [`user.${k}`, v])) } });
  }

  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const values: unknown[] = [];
    const tuples = chunk.map((r) => {
      const cells = [r.id, r.email, r.encrypted_password, r.email_confirmed_at, JSON.stringify(r.raw_app_meta_data), JSON.stringify(r.raw_user_meta_data), r.phone ?? null, r.banned_until ?? null, r.deleted_at ?? null, r.is_sso_user ?? false, r.is_anonymous ?? false];
      const base = values.length;
      values.push(...cells);
      return `($${base + 1}, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}::jsonb, $${base + 6}::jsonb, $${base + 7}, $${base + 8}::timestamptz, $${base + 9}, $${base + 10}, $${base + 11}, now() - interval '60 days', now(), '', '', '', '')`;
    });
    await db.query(
      `INSERT INTO auth.users (id, instance_id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, phone, banned_until, deleted_at, is_sso_user, is_anonymous, created_at, updated_at, confirmation_token, recovery_token, email_change_token_new, email_change)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  for (let i = 0; i < identities.length; i += 300) {
    const chunk = identities.slice(i, i + 300);
    const values: unknown[] = [];
    const tuples = chunk.map((x) => {
      values.push(String(x.data.sub), x.user, JSON.stringify(x.data), x.provider);
      const b = values.length - 4;
      return `($${b + 1}, $${b + 2}, $${b + 3}::jsonb, $${b + 4}, now(), now(), now())`;
    });
    await db.query(`INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at) VALUES ${tuples.join(', ')}`, values);
  }
  for (const f of factors) {
    await db.query(`INSERT INTO auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret, phone) VALUES ($1, $2, $3, $4, $5, now(), now(), $6, $7)`, [
      randomUUID(),
      f.user,
      `${f.type} factor`,
      f.type,
      f.status,
      f.secret ?? null,
      f.phone ?? null,
    ]);
  }
  expected.rows = rows.length;

  // The organizations file: the bulk spread over five organizations (by id and by email, every
  // 13th an admin), Alice in two with two roles in one, the SSO user in Hooli; a deleted user's line (left out with the
  // user), anonymous and phone-only users' lines, an unknown email, two lines that cannot be read.
  const lines: string[] = ['user,organization_id,organization_name,role'];
  const line = (cells: string[]) => lines.push(cells.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','));
  const member = (userId: string, org: (typeof ORGS)[number], roles: string[], by: string = userId) => {
    line([by, org.id, org.name, roles.join('|')]);
    expected.memberships.push({ userId, orgId: org.id, roles });
  };
  member(alice, ORGS[0], ['admin', 'member']);
  member(alice, ORGS[1], ['member'], 'Alice@Wonderland.example');
  member(bob, ORGS[0], ['member'], 'bob@builder.example');
  member(carol, ORGS[2], ['admin']);
  member(ken, ORGS[3], ['member']);
  member(heidi, ORGS[4], ['member']);
  line([erin, ORGS[0].id, ORGS[0].name, 'member']);
  line([ivan, ORGS[0].id, ORGS[0].name, 'member']);
  line([judy, ORGS[1].id, ORGS[1].name, 'member']);
  line(['nobody@nowhere.example', ORGS[1].id, ORGS[1].name, 'member']);
  expected.unknownLines.push(lines.length);
  line(['not-a-user', ORGS[1].id, ORGS[1].name, 'member']);
  expected.badLines.push(lines.length);
  line(['bob@builder.example', '', 'No Id', 'member']);
  expected.badLines.push(lines.length);
  const bulk = expected.users.filter((u) => u.email.endsWith('@bulk.example'));
  bulk.forEach((u, i) => member(u.id, ORGS[i % ORGS.length], [i % 13 === 0 ? 'admin' : 'member'], i % 2 ? u.email : u.id));
  const organizationsFile = path.join(options.dir, `organizations-${database}.csv`);
  fs.writeFileSync(organizationsFile, `${lines.join('\n')}\n`);

  return {
    url,
    database,
    organizationsFile,
    expected,
    close: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)).then(() => undefined),
  };
}
