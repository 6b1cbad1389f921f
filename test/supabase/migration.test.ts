/**
 * A Supabase project (the real `auth` schema on the machine's PostgreSQL, 1,000 bulk sign-ups and
 * a user for each case: social-only, linked, deleted, banned, SSO, anonymous, phone-only, TOTP,
 * SMS, metadata over the limits) with an organizations file, migrated headless into the WorkOS
 * sandbox: the exact state, every imported bcrypt hash recomputed from its known password, what
 * was not carried listed, the database never written and its URL in no file.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/providers/better-auth/connection.js';
import { createSupabaseProvider } from '../../src/providers/supabase/index.js';
import type { ExportBatch, SourceIssue } from '../../src/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';
import { buildFixture, serverUp, TOTP_SECRET, type Fixture } from './fixture.js';
import { expectWorkOSHolds, filesUnder, ROLES } from './util.js';

const up = await serverUp();
/** PostgreSQL trusts this host, so a URL with any password connects: the password to hide. */
const PASSWORD = 'sb-Pg-S3cret-pw';
const withPassword = (url: string) => url.replace('postgres://postgres@', `postgres://postgres:${PASSWORD}@`);

/** Every row of the auth tables, as one digest: the run must leave it as it was. */
async function digest(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const parts: string[] = [];
    for (const t of ['auth.users', 'auth.identities', 'auth.mfa_factors']) {
      parts.push((await c.query<{ d: string }>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS d FROM ${t} t`)).rows[0].d);
    }
    return parts.join(':');
  } finally {
    await c.end();
  }
}

describe.skipIf(!up && !process.env.CI)('Supabase -> WorkOS sandbox', () => {
  let fixture: Fixture;
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('wm-supabase-');
    fixture = await buildFixture({ dir, bulk: 1_000 });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await fixture?.close();
  });

  it('stages what auth.users holds, each case with its reason, and checks read-only', async () => {
    const { expected } = fixture;
    const provider = createSupabaseProvider({ databaseUrl: withPassword(fixture.url), organizationsFile: fixture.organizationsFile, pageSize: 250 });
    const check = await provider.check();
    expect(check.summary).toContain('postgres://postgres:****@127.0.0.1');
    expect(check.summary).not.toContain(PASSWORD);
    expect(check.summary).toMatch(/read-only transactions: nothing is ever written to it/);
    expect(check.summary).toContain(`auth.users ${expected.rows.toLocaleString('en-US')} users`);
    expect(check.summary).toMatch(/1 anonymous user left out, 1 user without an email \(phone sign-in\) not importable, 1 deleted user left out \(--supabase-deleted import brings them\), 2 banned users left out/);
    expect(check.summary).toMatch(/social sign-ins: github 101, google 2/);
    expect(check.summary).toMatch(/organizations from organizations-.*\.csv: 5 organizations, .* 2 lines that cannot be read/);

    const batches: ExportBatch[] = [];
    for await (const b of provider.export({})) batches.push(b);
    const users = batches.flatMap((b) => b.users ?? []);
    const issues = batches.flatMap((b) => b.issues ?? []);
    const leftOut = batches.flatMap((b) => b.leftOut ?? []);
    // Staged: the importable users and the ones left out by choice; never the anonymous or phone-only.
    expect(users.map((u) => u.sourceId).sort()).toEqual([...expected.users.map((u) => u.id), ...expected.leftOut.map((u) => u.id)].sort());
    expect(leftOut.map((l) => l.sourceId).sort()).toEqual(expected.leftOut.map((u) => u.id).sort());
    for (const l of expected.leftOut) {
      expect(leftOut.find((x) => x.sourceId === l.id)!.reason).toMatch(l.why === 'deleted' ? /^deleted in Supabase .*--supabase-deleted import/ : /^banned in Supabase .*--supabase-banned import/);
    }
    expect(leftOut.find((l) => l.sourceId === expected.leftOut[2].id)!.reason).toMatch(/banned in Supabase for good \(infinity\)/);
    const about = (id: string, field?: string) => issues.filter((i: SourceIssue) => i.sourceId === id && i.recordKind === 'user' && (!field || i.field === field));
    expect(about(expected.anonymous[0], 'is_anonymous')).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/anonymous \(guest\) user.*left out/) })]);
    expect(about(expected.phoneOnly[0], 'email')).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/phone number only.*Not imported/) })]);
    expect(about(expected.sso[0], 'sso')).toHaveLength(1);
    // Hooli has an SSO member: the organization is flagged for the Admin Portal handoff, once.
    expect(issues.filter((i) => i.field === 'sso' && i.recordKind === 'organization').map((i) => i.sourceId)).toEqual(['hooli']);
    expect(about(expected.sms[0], 'mfa')[0].message).toMatch(/SMS codes/);
    expect(about(expected.totpReenrol[0], 'mfa')[0].message).toMatch(/keeps encrypted/);
    const byId = new Map(users.map((u) => [u.sourceId, u]));
    expect(byId.get(expected.sms[0])!.mfa).toEqual({ sms: true });
    expect(byId.get(expected.totpReenrol[0])!.mfa).toEqual({ totp: true });
    expect(users.filter((u) => u.totpSecret).map((u) => u.totpSecret)).toEqual([TOTP_SECRET]);
    for (const exp of expected.users) expect(byId.get(exp.id)!.socialProviders ?? [], exp.email).toEqual(exp.social);
    // Olivia's metadata: 12 keys over the 50 and one key too long, each named.
    const olivia = expected.users.find((u) => u.email.startsWith('olivia'))!;
    const dropped = issues.filter((i) => i.sourceId === olivia.id && i.field?.startsWith('metadata.'));
    expect(dropped.map((i) => i.field).sort()).toEqual([
      ...Array.from({ length: 10 }, (_, k) => `metadata.k${50 + k}`),
      'metadata.provider',
      'metadata.providers',
      'metadata.user.a_rather_long_metadata_key_of_more_than_forty_characters',
    ].sort());
    // The organizations file: two lines that cannot be read (file, line, field), one unknown user.
    const file = path.basename(fixture.organizationsFile);
    const errors = issues.filter((i) => i.location.startsWith(`${file}:`) && i.severity === 'error');
    expect(errors.map((i) => [i.location, i.field])).toEqual([
      [`${file}:${expected.badLines[0]}`, 'user'],
      [`${file}:${expected.badLines[1]}`, 'organization_id'],
    ]);
    expect(issues.filter((i) => i.location === `${file}:${expected.unknownLines[0]}`)[0].message).toMatch(/no Supabase user has the email nobody@nowhere\.example/);
    // Pages are keyset pages in id order, each with its cursor.
    const cursors = batches.map((b) => JSON.parse(b.cursor!) as { phase: string; after: string | null });
    const afters = cursors.filter((c) => c.phase === 'users' && c.after !== null).map((c) => c.after!);
    expect(afters.length).toBe(Math.floor((expected.rows - 1) / 250));
    expect(afters).toEqual([...afters].sort());
    expect(cursors.at(-1)!.phase).toBe('done');

    // Read-only for real: the connection the source reads through refuses a write.
    const conn = openConnection(fixture.url);
    try {
      await expect(conn.db.deleteFrom('auth.users').execute()).rejects.toThrow(/read-only transaction/);
    } finally {
      await conn.close();
    }

    // The other choices: deleted and banned users imported, each said.
    const all = createSupabaseProvider({ databaseUrl: fixture.url, deleted: 'import', banned: 'import', pageSize: 500 });
    const again: ExportBatch[] = [];
    for await (const b of all.export({})) again.push(b);
    expect(again.flatMap((b) => b.leftOut ?? [])).toEqual([]);
    const warned = again.flatMap((b) => b.issues ?? []).filter((i) => i.field === 'deleted_at' || i.field === 'banned_until');
    expect(warned.map((i) => i.sourceId).sort()).toEqual(expected.leftOut.map((u) => u.id).sort());
  }, 60_000);

  it('migrates it with workos-migrate run: exact state, every hash signs in, the database untouched, the URL nowhere', async () => {
    const before = await digest(fixture.url);
    const url = withPassword(fixture.url);
    const journal = path.join(dir, 'run.db');
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url };
    const result = await runCli(
      ['run', '--source', 'supabase', '--database-url', url, '--supabase-organizations', fixture.organizationsFile, '--journal', journal, ...rateFlags(FAST_LIMITS)],
      { cwd: dir, env },
    );
    // 2: the phone-only user and the two unreadable lines did not make it (each in failures.csv).
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/read-only/);
    await expectWorkOSHolds(sandbox, fixture.expected);
    expect(await digest(fixture.url)).toBe(before);

    const failures = fs.readFileSync(filesUnder(dir).find((f) => f.endsWith('failures.csv'))!, 'utf8').trim().split('\n').slice(1);
    expect(failures).toHaveLength(3);
    expect(failures.some((l) => l.includes(fixture.expected.phoneOnly[0]) && /phone number only/.test(l))).toBe(true);
    for (const n of fixture.expected.badLines) expect(failures.some((l) => l.includes(`${path.basename(fixture.organizationsFile)}:${n}`))).toBe(true);
    const leftOut = fs.readFileSync(filesUnder(dir).find((f) => f.endsWith('left-out.csv'))!, 'utf8');
    for (const l of fixture.expected.leftOut) expect(leftOut).toMatch(new RegExp(`^user,${l.id},${l.email},.*--supabase-${l.why} import`, 'm'));
    // The deleted user's membership went with them.
    expect(leftOut).toMatch(new RegExp(`^membership,${fixture.expected.leftOut[0].id} in acme`, 'm'));
    const summary = fs.readFileSync(filesUnder(dir).find((f) => f.endsWith('summary.md'))!, 'utf8');
    expect(summary).toMatch(/anonymous/);
    expect(summary).toMatch(/Hooli.*SSO/);
    for (const file of filesUnder(dir)) {
      const content = fs.readFileSync(file);
      expect(content.includes(Buffer.from(PASSWORD)), `${file} holds the database password`).toBe(false);
      expect(content.includes(Buffer.from(TOTP_SECRET)), `${file} holds a TOTP secret`).toBe(false);
    }
  }, 120_000);

  it('answers bad input clearly: no database, a role that does not exist, a database without auth, a file that is missing or broken', async () => {
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url };
    const cwd = tempDir('wm-supabase-bad-');
    const run = (...args: string[]) => runCli(['run', '--source', 'supabase', '--journal', path.join(cwd, `${Math.random()}.db`), ...args], { cwd, env });
    const noTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    const users = sandbox.state.users.size;

    let r = await run();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABASE_URL is not set/);
    expect(r.stderr).toMatch(/--database-url URL/);

    r = await run('--database-url', withPassword(fixture.url.replace(/\/[^/]*$/, '/no_such_database')));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/The Supabase database postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:5432\/no_such_database cannot be read: database "no_such_database" does not exist/);
    expect(r.stderr).toMatch(/Check the URL \(host, port, database, user and password\)/);
    expect(r.stderr).not.toContain(PASSWORD);
    noTrace(r.stderr);

    r = await run('--database-url', fixture.url.replace('postgres://postgres@', 'postgres://no_such_role:not-the-password@'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/role "no_such_role" does not exist/);
    noTrace(r.stderr);

    r = await run('--database-url', fixture.url.replace(/\/[^/]*$/, '/test'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no auth\.users table this connection can see: it is not a Supabase project's database/);

    for (const other of ['mysql://root@127.0.0.1/app', 'https://abcdefghijklmnop.supabase.co', 'app.db']) {
      r = await run('--database-url', other);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${other} is not a PostgreSQL URL; a Supabase project's database is PostgreSQL.`);
    }

    r = await run('--database-url', `postgresql://postgres.abcdefghijklmnop:${PASSWORD}@aws-0-eu-central-1.pooler.supabase.com:6543/postgres`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is Supabase's transaction pooler \(port 6543\), where a session cannot be kept read-only/);
    expect(r.stderr).toMatch(/the same URL on port 5432/);
    expect(r.stderr).not.toContain(PASSWORD);

    r = await run('--database-url', fixture.url, '--supabase-organizations', 'missing.csv');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The organizations file ${path.join(cwd, 'missing.csv')} cannot be read (no such file).`);
    expect(r.stderr).toMatch(/Check the path given to --supabase-organizations/);

    fs.writeFileSync(path.join(cwd, 'broken.csv'), 'user,organization_id,organization_name,role\nbob@builder.example,acme,"Acme\n"x,member\nalice@wonderland.example,acme,Acme,admin\n');
    r = await run('--database-url', fixture.url, '--supabase-organizations', 'broken.csv');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.csv cannot be read as CSV at line \d+/);
    expect(r.stderr).toMatch(/Fix that line of the organizations file and run again/);
    noTrace(r.stderr);

    fs.writeFileSync(path.join(cwd, 'header.csv'), 'organization_id,team\nacme,x\n');
    r = await run('--database-url', fixture.url, '--supabase-organizations', 'header.csv');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/header\.csv has no user column \(uid or email\)/);
    expect(r.stderr).toMatch(/the user is a Supabase user id \(uuid\) or an email/);

    r = await run('--database-url', fixture.url, '--supabase-banned', 'maybe');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--supabase-banned maybe is not understood/);
    // Nothing was written to WorkOS by any of them.
    expect(sandbox.state.users.size).toBe(users);
  }, 60_000);
});
