/**
 * The Auth0 provider's decisions against the fake tenant and small files: the password export's
 * shapes, the MFA export, an export file the operator already has (gzip or not, both field
 * namings), blocked users, an expired download link, 429s, the fake's own faithfulness.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapExportUser, readMfaFile, readPasswordFile } from '../../src/providers/auth0/index.js';
import { auth0ExportFile, generateAuth0Tenant, startFakeAuth0, type FakeAuth0 } from '../../src/sandbox/auth0/index.js';
import { tempDir } from '../helpers.js';
import { collect, providerFor, stopWhen } from './util.js';

const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('the password export', () => {
  it('reads _id as {"$oid"} or a string, alt_id, and an email only in identifiers', async () => {
    const dir = tempDir('wm-auth0-pw-');
    const file = path.join(dir, 'pw.json');
    fs.writeFileSync(
      file,
      ndjson([
        { _id: { $oid: '5dea9f9c82dd7c0e76e4ec93' }, email: 'a@x.com', passwordHash: '$2b$10$' + 'a'.repeat(53), connection: 'Username-Password-Authentication' },
        { _id: '6f0000000000000000000001', identifiers: [{ type: 'email', value: 'B@x.com', verified: true }], passwordHash: '$2b$10$' + 'b'.repeat(53) },
        { _id: { $oid: '6f0000000000000000000002' }, alt_id: 'euclid', email: 'c@x.com', passwordHash: '$2a$12$' + 'c'.repeat(53) },
        { _id: 'nohash', email: 'd@x.com' },
        'not json',
      ]).replace('"not json"', '{not json'),
    );
    const pw = await readPasswordFile(file);
    expect([...pw.byId.keys()].sort()).toEqual(['auth0|5dea9f9c82dd7c0e76e4ec93', 'auth0|6f0000000000000000000001', 'auth0|euclid']);
    expect(pw.byId.get('auth0|6f0000000000000000000001')!.email).toBe('B@x.com');
    expect(pw.byEmail.get('b@x.com')!.userId).toBe('auth0|6f0000000000000000000001');
    expect(pw.issues.map((i) => i.location)).toEqual([`${file}:4`, `${file}:5`]);

    // Merged by user id; by email when the id does not match (a warning); social users get none.
    const ctx = { passwords: pw, blocked: 'skip' as const, matched: new Set<string>() };
    const byId = mapExportUser({ user_id: 'auth0|euclid', email: 'c@x.com', identities: [{ provider: 'auth0', connection: 'db', isSocial: false }] }, 'f:1', ctx);
    expect(byId.user).toMatchObject({ passwordHash: '$2a$12$' + 'c'.repeat(53), passwordHashType: 'bcrypt' });
    const byEmail = mapExportUser({ user_id: 'auth0|other', email: 'b@x.com', identities: [{ provider: 'auth0', isSocial: false }] }, 'f:2', ctx);
    expect(byEmail.user!.passwordHash).toBe('$2b$10$' + 'b'.repeat(53));
    expect(byEmail.issues.some((i) => i.field === 'passwordHash' && /same email/.test(i.message))).toBe(true);
    const social = mapExportUser({ user_id: 'google-oauth2|1', email: 'g@x.com', identities: [{ provider: 'google-oauth2', isSocial: true }] }, 'f:3', ctx);
    expect(social.user).toMatchObject({ socialProviders: ['google'] });
    expect(social.user!.passwordHash).toBeUndefined();
    expect([...ctx.matched].sort()).toEqual(['auth0|6f0000000000000000000001', 'auth0|euclid']);
  });
});

describe('the MFA export', () => {
  it('stages otp secrets and lists SMS, WebAuthn and recovery codes', async () => {
    const file = path.join(tempDir('wm-auth0-mfa-'), 'mfa.json');
    fs.writeFileSync(
      file,
      ndjson([
        { user_id: 'auth0|1', type: 'otp', otp_secret: 'jbsw y3dp ehpk 3pxp' },
        { user_id: 'auth0|1', type: 'recovery-code', recovery_code: 'XYZ' },
        { user_id: 'auth0|2', type: 'sms', phone_number: '+15550001' },
        { user_id: 'auth0|3', type: 'webauthn-roaming' },
        { user_id: 'auth0|4', type: 'otp', otp_secret: 'not base32!' },
      ]),
    );
    const mfa = await readMfaFile(file);
    expect(mfa.byId.get('auth0|1')).toEqual({ totpSecret: 'JBSWY3DPEHPK3PXP', recoveryCode: true });
    expect(mfa.issues).toHaveLength(1);
    const one = mapExportUser({ user_id: 'auth0|1', email: 'one@x.com' }, 'f:1', { mfa: mfa.byId, blocked: 'skip' });
    expect(one.user!.totpSecret).toBe('JBSWY3DPEHPK3PXP');
    expect(one.user!.mfa).toBeUndefined();
    expect(one.issues.some((i) => /recovery code/.test(i.message))).toBe(true);
    const two = mapExportUser({ user_id: 'auth0|2', email: 'two@x.com' }, 'f:2', { mfa: mfa.byId, blocked: 'skip' });
    expect(two.user!.mfa).toEqual({ sms: true });
    expect(two.issues.some((i) => i.field === 'mfa' && /SMS/.test(i.message))).toBe(true);
    const three = mapExportUser({ user_id: 'auth0|3', email: 'three@x.com' }, 'f:3', { mfa: mfa.byId, blocked: 'skip' });
    expect(three.issues.some((i) => /WebAuthn/.test(i.message))).toBe(true);
  });
});

describe('users and organizations', () => {
  it('maps names, metadata (user_metadata under user.), blocked users and the extension field names', () => {
    const mapped = mapExportUser(
      {
        Id: 'auth0|9',
        Email: 'Nine@x.com',
        'Email Verified': true,
        'Given Name': 'Nina',
        'Family Name': 'Nine',
        app_metadata: { plan: 'pro', nested: { a: 1 } },
        user_metadata: { theme: 'dark' },
        blocked: true,
      },
      'export.json:1',
      { blocked: 'skip' },
    );
    expect(mapped.user).toMatchObject({ sourceId: 'auth0|9', email: 'Nine@x.com', emailVerified: true, firstName: 'Nina', lastName: 'Nine', metadata: { plan: 'pro', 'nested.a': '1', 'user.theme': 'dark' } });
    expect(mapped.skipReason).toMatch(/blocked/);
    const imported = mapExportUser({ user_id: 'auth0|9', email: 'n@x.com', blocked: true }, 'x:1', { blocked: 'import' });
    expect(imported.skipReason).toBeUndefined();
    expect(imported.issues.some((i) => i.field === 'blocked')).toBe(true);
    // Auth0 puts the email in `name` when there is none: not a name.
    const noName = mapExportUser({ user_id: 'auth0|8', email: 'e@x.com', name: 'e@x.com' }, 'x:2', { blocked: 'skip' });
    expect(noName.user!.firstName).toBeUndefined();
    const noEmail = mapExportUser({ user_id: 'sms|1' }, 'x:3', { blocked: 'skip' });
    expect(noEmail.user).toBeUndefined();
    expect(noEmail.issues[0]).toMatchObject({ severity: 'error', field: 'email', sourceId: 'sms|1' });
  });
});

describe('against the fake tenant', () => {
  let fake: FakeAuth0;
  beforeAll(async () => {
    fake = await startFakeAuth0({ tenant: generateAuth0Tenant({ users: 300, organizations: 5, seed: 9 }), burst: 10, perSecond: 40, jobMs: 300 });
  });
  afterAll(() => fake?.close());

  it('is faithful: JSON and form token requests, the 1,000-result cap of GET /users, checkpoint paging', async () => {
    const json = await fetch(`${fake.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, audience: `https://${fake.domain}/api/v2/` }),
    });
    const token = ((await json.json()) as { access_token: string; expires_in: number }).access_token;
    expect(token).toBeTruthy();
    const form = await fetch(`${fake.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: 'wrong', audience: `https://${fake.domain}/api/v2/` }).toString(),
    });
    expect(form.status).toBe(401);
    const auth = { authorization: `Bearer ${token}` };
    const capped = await fetch(`${fake.url}/api/v2/users?page=10&per_page=100`, { headers: auth });
    expect(capped.status).toBe(400);
    expect(await capped.json()).toMatchObject({ statusCode: 400, errorCode: 'invalid_paging' });
    const page = await fetch(`${fake.url}/api/v2/organizations?take=2`, { headers: auth });
    expect(page.headers.get('x-ratelimit-limit')).toBe('10');
    expect(Number(page.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    const body = (await page.json()) as { organizations: unknown[]; next?: string };
    expect(body.organizations).toHaveLength(2);
    expect(body.next).toBeTruthy();
    const unauthorized = await fetch(`${fake.url}/api/v2/roles`, { headers: { authorization: 'Bearer nope' } });
    expect(unauthorized.status).toBe(401);
  });

  it('waits out 429s (said through onRateLimited and counted) and re-asks an expired download link from the job', async () => {
    fake.resetStats();
    const provider = providerFor(fake, { take: 50 });
    const waits: number[] = [];
    fake.inject429(2);
    let users = 0;
    for await (const batch of stopWhen(provider, (b) => {
      if (b.progress?.unit === '% of the export job' && b.progress.done === 100) fake.expireLinks();
      return false;
    }, new AbortController()).export({ onRateLimited: (ms) => waits.push(ms) })) {
      users += batch.users?.length ?? 0;
    }
    expect(users).toBe(300);
    expect(waits).toHaveLength(2);
    expect(provider.stats!()).toMatchObject({ rateLimited: 2 });
    const stats = fake.stats();
    expect(stats.expiredLinks).toBe(1);
    expect(stats.downloads).toBe(1);
    expect(stats.jobsCreated).toBe(1);
  });

  it('downloads again from a fresh link when the connection breaks in the middle of the file, staging no line twice', async () => {
    fake.resetStats();
    const tenant = generateAuth0Tenant({ users: 4000, organizations: 1, seed: 4 });
    const big = await startFakeAuth0({ tenant, burst: 20, perSecond: 40, jobMs: 100 });
    try {
      big.breakNextDownload(40_000);
      const batches = await collect(providerFor(big, { pageSize: 100, blocked: 'import' }));
      const ids = batches.flatMap((b) => b.users ?? []).map((u) => u.sourceId);
      expect(ids).toEqual(tenant.users.map((u) => u.user_id));
      expect(big.stats().downloads).toBe(2);
      expect(big.stats().jobsCreated).toBe(1);
      expect(batches.flatMap((b) => b.issues ?? []).some((i) => /download of the users export broke/.test(i.message))).toBe(true);
    } finally {
      await big.close();
    }
  });

  it('reads an export file the operator has (gzip or not, either naming) instead of a job', async () => {
    const dir = tempDir('wm-auth0-export-');
    const users = fake.tenant.users;
    const gz = path.join(dir, 'users.json.gz');
    fs.writeFileSync(gz, auth0ExportFile(users));
    const plain = path.join(dir, 'users.ndjson');
    fs.writeFileSync(plain, auth0ExportFile(users, { gzip: false, extension: true }));
    for (const file of [gz, plain]) {
      fake.resetStats();
      const batches = await collect(providerFor(fake, { exportFile: file, blocked: 'import' }));
      const staged = batches.flatMap((b) => b.users ?? []);
      expect(staged.map((u) => u.sourceId)).toEqual(users.map((u) => u.user_id));
      expect(staged.map((u) => u.email)).toEqual(users.map((u) => u.email));
      expect(batches.flatMap((b) => b.organizations ?? [])).toHaveLength(5);
      expect(fake.stats().jobsCreated).toBe(0);
    }
    expect(gzipSync(Buffer.from('x'))[0]).toBe(0x1f);
  });

  it('says what is wrong with the credentials', async () => {
    const provider = providerFor(fake, { clientSecret: 'wrong' });
    await expect(provider.check()).rejects.toThrow(/Auth0 refused the credentials/);
  });
});
