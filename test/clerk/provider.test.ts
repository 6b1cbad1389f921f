/**
 * The Clerk provider against the fake Backend API: what each user becomes (API and export),
 * paging, pacing, 429 + Retry-After, 5xx, and bad input answered with the place and the next step.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { ClerkCallError, createClerkProvider, mapApiUser, mapCsvRow } from '../../src/providers/clerk/index.js';
import { clerkSource } from '../../src/providers/clerk/source.js';
import { clerkExportCsv, generateClerkInstance, startFakeClerk, type FakeClerk } from '../../src/sandbox/clerk/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { collect, FAST_CLERK, providerFor } from './util.js';

describe('Clerk provider', () => {
  let fake: FakeClerk;
  beforeAll(async () => {
    fake = await startFakeClerk({ instance: await generateClerkInstance({ users: 230, organizations: 7, seed: 4 }), ...FAST_CLERK, retryAfterSec: 1 });
  }, 60_000);
  afterAll(async () => fake?.close());

  it('checks the key with one live read and says the API carries no passwords', async () => {
    const { summary } = await providerFor(fake).check();
    expect(summary).toMatch(/Clerk development instance: 230 users, 7 organizations/);
    expect(summary).toMatch(/never returns password digests or TOTP secrets/);
    expect(summary).not.toContain(fake.secretKey);
  });

  it('pages users (oldest first), organizations and memberships; banned and locked users left out by default', async () => {
    const batches = await collect(providerFor(fake, { pageSize: 100, orgPageSize: 3, memberPageSize: 10 }));
    const users = batches.flatMap((b) => b.users ?? []);
    const inst = fake.instance;
    const withEmail = inst.users.filter((u) => u.email_addresses.length);
    expect(users.map((u) => u.sourceId)).toEqual(withEmail.map((u) => u.id));
    expect(batches.flatMap((b) => b.organizations ?? []).map((o) => o.sourceId)).toEqual(inst.organizations.map((o) => o.id));
    const memberships = batches.flatMap((b) => b.memberships ?? []);
    expect(memberships.length).toBe([...inst.memberships.values()].reduce((n, l) => n + l.length, 0));
    const leftOut = batches.flatMap((b) => b.leftOut ?? []);
    expect(leftOut.map((l) => l.sourceId).sort()).toEqual(withEmail.filter((u) => u.banned || u.locked).map((u) => u.id).sort());
    expect(leftOut.every((l) => /--clerk-banned import/.test(l.reason))).toBe(true);
    // Domains ride with their organization; pending invitations are named, revoked ones not.
    const orgs = batches.flatMap((b) => b.organizations ?? []);
    expect(orgs.flatMap((o) => o.domains).length).toBe([...inst.domains.values()].flat().length);
    const invites = batches.flatMap((b) => b.issues ?? []).filter((i) => i.field === 'invitation');
    const pending = [...inst.invitations.values()].flat().filter((i) => i.status === 'pending');
    expect(pending.length).toBeGreaterThan(0);
    expect(invites.map((i) => /^(\S+) has a pending invitation/.exec(i.message)?.[1]).sort()).toEqual(pending.map((i) => i.email_address).sort());
    // Every batch carries a cursor that resumes after it.
    expect(batches.every((b) => typeof b.cursor === 'string')).toBe(true);
    expect(fake.stats().repeatedPages).toEqual([]);
    expect(fake.stats().maxInWindow).toBeLessThanOrEqual(FAST_CLERK.limit);
  });

  it('maps an API user: unverified primary, second addresses, metadata, social, password and TOTP said', () => {
    const raw = {
      id: 'user_1',
      first_name: 'Ada',
      last_name: 'Lovelace',
      username: 'ada',
      primary_email_address_id: 'e2',
      email_addresses: [
        { id: 'e1', email_address: 'old@example.com', verification: { status: 'verified' } },
        { id: 'e2', email_address: 'ada@example.com', verification: { status: 'unverified' } },
      ],
      phone_numbers: [{ phone_number: '+15550001', reserved_for_second_factor: true }],
      external_accounts: [{ provider: 'oauth_github' }],
      password_enabled: true,
      totp_enabled: true,
      banned: true,
      public_metadata: { plan: 'pro', nested: { a: 1 } },
      private_metadata: { stripe: 'cus_1' },
      unsafe_metadata: { theme: 'dark' },
    };
    const kept = mapApiUser(raw, 'import');
    expect(kept.leftOut).toBeUndefined();
    expect(kept.user).toMatchObject({ sourceId: 'user_1', email: 'ada@example.com', emailVerified: false, firstName: 'Ada', socialProviders: ['github'], mfa: { sms: true, totp: true } });
    expect(kept.user!.metadata).toEqual({ clerk_username: 'ada', plan: 'pro', 'nested.a': '1', 'private.stripe': 'cus_1', 'unsafe.theme': 'dark' });
    expect(kept.user!.passwordHash).toBeUndefined();
    const fields = kept.issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'phone', 'passwordHash', 'mfa', 'banned']));
    expect(kept.issues.find((i) => i.field === 'email')!.message).toMatch(/old@example\.com \(verified\)/);
    expect(kept.issues.find((i) => i.field === 'passwordHash')!.message).toMatch(/--clerk-export/);
    expect(mapApiUser(raw, 'skip').leftOut).toMatch(/banned in Clerk/);
  });

  it('maps export rows: bcrypt carried, other hashers typed for the plan without the digest, TOTP secret, located errors', () => {
    const bcrypt = '$2a$04$b9pfro1xuu2OgbzWgin0hOyBhUZOY0awBGEoJWOQqPrbIZbqPVFt2';
    const a = mapCsvRow({ id: 'user_a', primary_email_address: 'a@x.io', verified_email_addresses: 'a@x.io|b@x.io', password_digest: bcrypt, password_hasher: 'bcrypt', totp_secret: 'jbsw y3dp ehpk 3pxp' }, 'users.csv:2');
    expect(a.user).toMatchObject({ emailVerified: true, passwordHash: bcrypt, passwordHashType: 'bcrypt', totpSecret: 'JBSWY3DPEHPK3PXP' });
    expect(a.issues.map((i) => i.field)).toEqual(['email']);
    const b = mapCsvRow({ id: 'user_b', primary_email_address: 'b@x.io', unverified_email_addresses: 'b@x.io', password_digest: 'abc123', password_hasher: 'md5' }, 'users.csv:3');
    expect(b.user).toMatchObject({ emailVerified: false, passwordHashType: 'md5' });
    expect(b.user!.passwordHash).toBeUndefined();
    expect(b.issues[0]).toMatchObject({ field: 'password_hasher', location: 'users.csv:3 (user_b)' });
    expect(b.issues[0].message).not.toContain('abc123');
    const c = mapCsvRow({ id: 'user_c', primary_phone_number: '+1555' }, 'users.csv:4');
    expect(c.user).toBeUndefined();
    expect(c.issues[0]).toMatchObject({ severity: 'error', field: 'primary_email_address', location: 'users.csv:4 (user_c)' });
  });

  it('waits out a 429 for its Retry-After, says so, and goes on', async () => {
    const before = fake.stats().rateLimited;
    fake.inject429(2);
    const waits: number[] = [];
    const provider = providerFor(fake, { pageSize: 500 });
    let users = 0;
    for await (const b of provider.export({ onRateLimited: (ms) => waits.push(ms) })) users += b.users?.length ?? 0;
    expect(users).toBe(fake.instance.users.filter((u) => u.email_addresses.length).length);
    expect(waits).toEqual([1000, 1000]);
    expect(fake.stats().rateLimited - before).toBe(2);
    expect(provider.stats!()).toMatchObject({ rateLimited: 2 });
    expect(provider.stats!().waitedMs).toBeGreaterThanOrEqual(1900);
  }, 30_000);

  it('retries a 500 and carries on', async () => {
    fake.inject500(2);
    const { summary } = await providerFor(fake).check();
    expect(summary).toMatch(/230 users/);
  });

  it('a wrong secret key: Clerk\'s own words, the variable to check, and never the key', async () => {
    const wrong = 'sk_test_WrongKey123456789';
    const error = await providerFor(fake, { secretKey: wrong }).check().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClerkCallError);
    const e = error as ClerkCallError;
    expect(e.message).toMatch(/Clerk refused the secret key \(count the users\): 401 authentication_invalid: Unable to authenticate/);
    expect(e.nextStep).toMatch(/CLERK_SECRET_KEY/);
    expect(`${e.message} ${e.nextStep}`).not.toContain(wrong);
  });

  it('bad export files: missing, not an export, a broken quote, a short row', async () => {
    const dir = tempDir('wm-clerk-bad-');
    const missing = path.join(dir, 'nope.csv');
    const err1 = (await createClerkProvider({ exportFile: missing }).check().catch((e: unknown) => e)) as ExpectedError;
    expect(err1).toBeInstanceOf(ExpectedError);
    expect(err1.message).toBe(`The Clerk export ${missing} cannot be read: no such file.`);
    expect(err1.nextStep).toMatch(/--clerk-export/);

    const other = path.join(dir, 'other.csv');
    fs.writeFileSync(other, 'email,name\na@x.io,A\n');
    const err2 = (await createClerkProvider({ exportFile: other }).check().catch((e: unknown) => e)) as ExpectedError;
    expect(err2.message).toMatch(new RegExp(`^${other.replace(/[.]/g, '\\.')}:1 is not a Clerk user export: the columns id, primary_email_address are missing`));
    expect(err2.nextStep).toMatch(/User exports/);

    const lines = clerkExportCsv(fake.instance).split('\n').slice(0, 6);
    const broken = path.join(dir, 'broken.csv');
    fs.writeFileSync(broken, [...lines.slice(0, 3), 'user_x,"Ada,Lovelace,,a@x.io,,,,,,,,', ...lines.slice(3)].join('\n'));
    const err3 = (await collect(createClerkProvider({ exportFile: broken })).catch((e: unknown) => e)) as ExpectedError;
    expect(err3).toBeInstanceOf(ExpectedError);
    expect(err3.message).toMatch(new RegExp(`^The Clerk export ${broken.replace(/[.]/g, '\\.')} cannot be read at line \\d+`));
    expect(err3.nextStep).toMatch(/rows already staged are kept/);

    const short = path.join(dir, 'short.csv');
    fs.writeFileSync(short, [...lines.slice(0, 3), 'user_y,Ada,Lovelace', ...lines.slice(3)].join('\n'));
    const batches = await collect(createClerkProvider({ exportFile: short }));
    const issue = batches.flatMap((b) => b.issues ?? []).find((i) => i.severity === 'error')!;
    expect(issue).toMatchObject({ location: `${short}:4` });
    expect(issue.message).toMatch(/3 cells where the header has 13; this row is not imported/);
    expect(batches.flatMap((b) => b.users ?? []).length).toBe(5);
  });

  it('flags: a bad --clerk-banned or --clerk-rate is refused, a missing key named', async () => {
    const bad = await runCli(['run', '--source', 'clerk', '--clerk-banned', 'maybe'], { cwd: tempDir(), env: {} });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--clerk-banned maybe is not understood/);
    const rate = await runCli(['run', '--source', 'clerk', '--clerk-rate', 'fast'], { cwd: tempDir(), env: {} });
    expect(rate.code).toBe(1);
    expect(rate.stderr).toMatch(/--clerk-rate fast is not a rate/);
    // A wrong key through the CLI: Clerk's words and the next step, no stack trace, no key.
    const wrong = 'sk_test_NotTheKey000111222';
    const sandbox = await startSandbox({ limits: FAST_LIMITS });
    const run = await runCli(['run', '--source', 'clerk', '--journal', path.join(tempDir(), 'j.db')], { cwd: tempDir(), env: { CLERK_SECRET_KEY: wrong, CLERK_API_URL: fake.url, ...sandboxEnv(sandbox) } }).finally(() => sandbox.close());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Clerk refused the secret key/);
    expect(run.stderr).toMatch(/Check CLERK_SECRET_KEY/);
    expect(run.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
    expect(run.stderr).not.toContain(wrong);
    expect(() => clerkSource.create({}, {})).toThrow(/CLERK_SECRET_KEY is not set and no Dashboard export was given/);
    expect(() => clerkSource.create({}, { CLERK_SECRET_KEY: 'pk_test_abc' })).toThrow(/publishable key/);
  });
});
