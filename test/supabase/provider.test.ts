/**
 * The Supabase source's parts: a row's mapping (names, verification, hashes, metadata as text),
 * the organizations file (header or not, delimiters, conflicting names, several roles), an older
 * project's schema (before is_anonymous, deleted_at, banned_until, is_sso_user, mfa_factors), and
 * a saved position it does not understand.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSupabaseProvider, mapUser, readOrganizationsFile } from '../../src/providers/supabase/index.js';
import type { ExportBatch } from '../../src/providers/types.js';
import { supabaseSource } from '../../src/providers/supabase/source.js';
import { runCli, tempDir } from '../helpers.js';
import { buildFixture, serverUp, type Fixture } from './fixture.js';

const ctx = { deleted: 'skip' as const, banned: 'skip' as const, now: Date.parse('2026-06-01T00:00:00Z') };
const id = '0b8e2c5e-4f0a-4c55-9d6e-8a1f2b3c4d5e';

describe('mapUser', () => {
  it('takes the name from the metadata sign-up forms and providers fill, and verification from email_confirmed_at', () => {
    const base = { id, email: 'a@b.example', encrypted_password: '', raw_app_meta_data: {} };
    expect(mapUser({ ...base, email_confirmed_at: null, raw_user_meta_data: { given_name: 'Ada', family_name: 'Lovelace' } }, [], [], ctx).user).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', emailVerified: false });
    expect(mapUser({ ...base, email_confirmed_at: new Date(), raw_user_meta_data: { full_name: 'Mary Ann Smith' } }, [], [], ctx).user).toMatchObject({ firstName: 'Mary Ann', lastName: 'Smith', emailVerified: true });
    // A provider that puts the email in `name`: not a name.
    const u = mapUser({ ...base, email_confirmed_at: null, raw_user_meta_data: { name: 'a@b.example' } }, [], [], ctx).user!;
    expect([u.firstName, u.lastName]).toEqual([undefined, undefined]);
  });

  it('passes bcrypt and argon2 through, names any other hash for a reset, and reads metadata kept as text', () => {
    const bcrypt = '$2a$10$' + 'a'.repeat(53);
    const row = { id, email: 'a@b.example', email_confirmed_at: null, raw_app_meta_data: '{"provider":"email"}', raw_user_meta_data: 'not json' };
    const a = mapUser({ ...row, encrypted_password: bcrypt }, [], [], ctx);
    expect(a.user).toMatchObject({ passwordHash: bcrypt, passwordHashType: 'bcrypt', metadata: { provider: 'email' } });
    expect(a.issues.map((i) => [i.field, i.severity])).toEqual([['raw_user_meta_data', 'warning']]);
    const argon = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
    expect(mapUser({ ...row, encrypted_password: argon }, [], [], ctx).user).toMatchObject({ passwordHashType: 'argon2' });
    expect(mapUser({ ...row, encrypted_password: '$fbscrypt$v=1,n=14,r=8,p=1$c2FsdA$aGFzaA' }, [], [], ctx).user).toMatchObject({ passwordHashType: 'fbscrypt' });
  });

  it('counts social identities apart from email, phone and SSO ones; a ban that ended is no ban', () => {
    const row = { id, email: 'a@b.example', email_confirmed_at: null, raw_app_meta_data: {}, raw_user_meta_data: {}, banned_until: new Date('2026-01-01T00:00:00Z') };
    const m = mapUser(row, [{ provider: 'email' }, { provider: 'Google' }, { provider: 'phone' }, { provider: 'azure' }, { provider: 'sso:abc' }], [], ctx);
    expect(m.user!.socialProviders).toEqual(['azure', 'google']);
    expect(m.leftOut).toBeUndefined();
    expect(m.issues.map((i) => i.field)).toEqual(['sso']);
  });
});

describe('the organizations file', () => {
  const dir = tempDir('wm-supabase-orgs-');
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it('reads a file without a header (the Firebase reader), keys users by uuid or email, and refuses any other user cell', () => {
    const upper = id.toUpperCase();
    const file = readOrganizationsFile(write('orgs.csv', `\uFEFF${id},acme,Acme,admin|billing\nBob@B.example,acme,ACME Corp,\n\n${upper},globex,,member\nuid-123,globex,Globex,member\n`));
    expect(file.name).toBe('orgs.csv');
    expect(file.organizations.map((o) => [o.sourceId, o.name])).toEqual([['acme', 'Acme'], ['globex', 'globex']]);
    expect(file.byUser.get(`id:${id}`)).toEqual([{ line: 1, orgId: 'acme', roles: ['admin', 'billing'] }, { line: 4, orgId: 'globex', roles: ['member'] }]);
    expect(file.byUser.get('email:bob@b.example')).toEqual([{ line: 2, orgId: 'acme', roles: [] }]);
    expect(file.lines).toBe(3);
    expect(file.roles.map((r) => r.slug).sort()).toEqual(['admin', 'billing', 'member']);
    expect(file.issues.map((i) => [i.location, i.field, i.severity])).toEqual([
      ['orgs.csv:2', 'organization_name', 'warning'],
      ['orgs.csv:5', 'organization_name', 'warning'],
      ['orgs.csv:5', 'user', 'error'],
    ]);
    expect(file.issues[2].message).toMatch(/"uid-123" is neither a Supabase user id \(a uuid\) nor an email address/);
  });

  it('takes its columns from a header in any order', () => {
    const file = readOrganizationsFile(write('named.csv', 'Role,Org ID,Email,Org Name\nadmin,acme,A@B.example,Acme\n'));
    expect(file.byUser.get('email:a@b.example')).toEqual([{ line: 2, orgId: 'acme', roles: ['admin'] }]);
    expect(file.organizations[0].name).toBe('Acme');
  });
});

describe('the definition', () => {
  it('adds its flags to run --help and reads SUPABASE_* when a flag is not given', async () => {
    const help = await runCli(['run', '--help'], { cwd: tempDir(), env: {} });
    expect(help.stdout).toMatch(/--source KIND .*supabase/);
    for (const flag of ['--supabase-organizations FILE', '--supabase-deleted skip|import', '--supabase-banned skip|import']) expect(help.stdout).toContain(flag);
    expect(help.stdout).toMatch(/supabase: the project's postgres:\/\/ connection string/);
    const cwd = tempDir();
    const options = supabaseSource.optionsFrom!({ 'supabase-deleted': 'import' }, cwd, { SUPABASE_ORGANIZATIONS: 'orgs.csv', SUPABASE_DELETED: 'skip', SUPABASE_BANNED: 'import' });
    expect(options).toEqual({ secretEnv: 'DATABASE_URL', organizationsFile: path.join(cwd, 'orgs.csv'), deleted: 'import', banned: 'import' });
    expect(() => supabaseSource.optionsFrom!({}, cwd, { SUPABASE_BANNED: 'maybe' })).toThrow(/--supabase-banned maybe is not understood/);
    expect(() => supabaseSource.create({ secretEnv: 'DATABASE_URL' }, {})).toThrow(/DATABASE_URL is not set/);
    expect(() => supabaseSource.create({ secretEnv: 'DATABASE_URL', deleted: 'perhaps' }, { DATABASE_URL: 'postgres://x@y/z' })).toThrow(/Deleted users "perhaps" is not understood/);
  });
});

describe.skipIf(!(await serverUp()) && !process.env.CI)('an older Supabase project, and positions', () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await buildFixture({ dir: tempDir('wm-supabase-old-'), bulk: 20 });
  }, 60_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('counts for the signup freeze the users an export stages, and names the newest sign-ups', async () => {
    const provider = createSupabaseProvider({ databaseUrl: fixture.url });
    const before = await provider.census!({ newest: 3 });
    // Every user with an email (the deleted and banned ones too: staged, then left out); not the anonymous one.
    expect(before.users).toBe(fixture.expected.users.length + fixture.expected.leftOut.length);
    const c = new pg.Client({ connectionString: fixture.url });
    await c.connect();
    await c.query(`INSERT INTO auth.users (id, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, is_anonymous)
      VALUES ('11111111-2222-4333-8444-555555555555', 'late@signup.example', '', now(), '{}', '{}', now() + interval '1 minute', false),
             ('11111111-2222-4333-8444-666666666666', NULL, '', NULL, '{}', '{}', now() + interval '2 minutes', true)`);
    await c.end();
    const after = await provider.census!({ newest: 3 });
    expect(after.users).toBe(before.users + 1);
    expect(after.newest![0]).toMatchObject({ sourceId: '11111111-2222-4333-8444-555555555555', email: 'late@signup.example' });
    expect(after.newest).toHaveLength(3);
  });

  it('reads a schema from before anonymous users, soft deletes, bans, SSO and MFA (older GoTrue migrations)', async () => {
    const c = new pg.Client({ connectionString: fixture.url });
    await c.connect();
    // The fixture's anonymous and phone-only users (and the census test's anonymous one) stay:
    // without the columns they are rows without an email.
    await c.query('DROP TABLE auth.mfa_factors');
    await c.query('ALTER TABLE auth.users DROP COLUMN is_anonymous, DROP COLUMN deleted_at, DROP COLUMN banned_until, DROP COLUMN is_sso_user');
    await c.end();
    const provider = createSupabaseProvider({ databaseUrl: fixture.url, pageSize: 7 });
    expect((await provider.check()).summary).toMatch(/auth\.users \d+ users, \d+ password hashes, 3 users without an email \(phone sign-in\) not importable/);
    const batches: ExportBatch[] = [];
    for await (const b of provider.export({})) batches.push(b);
    const users = batches.flatMap((b) => b.users ?? []);
    // Everyone with an email, the deleted and banned ones too (nothing says so any more).
    // (and the late sign-up of the census test)
    expect(users.length).toBe(fixture.expected.users.length + fixture.expected.leftOut.length + 1);
    expect(batches.flatMap((b) => b.leftOut ?? [])).toEqual([]);
    expect(users.filter((u) => u.totpSecret || u.mfa)).toEqual([]);
    expect(batches[0].ignoredColumns?.map((c) => c.column)).toEqual(['auth.users.phone', 'auth.users.created_at', 'auth.users.last_sign_in_at', 'auth.users.role', 'auth.users.is_super_admin']);
  }, 60_000);

  it('refuses a saved position it does not understand, and says what to do', async () => {
    const provider = createSupabaseProvider({ databaseUrl: fixture.url });
    const read = async () => {
      for await (const _ of provider.export({ cursor: '{"v":1,"phase":"users","after":"1; DROP TABLE auth.users","done":3}' })) void _;
    };
    await expect(read()).rejects.toThrow(/The saved Supabase export position in the journal is not one this version understands/);
  });
});
