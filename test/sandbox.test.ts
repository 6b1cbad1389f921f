import { createHash, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BadRequestException,
  GenericServerException,
  NotFoundException,
  RateLimitExceededException,
  UnauthorizedException,
  UnprocessableEntityException,
  WorkOS,
} from '@workos-inc/node';
import { REAL_LIMITS, bucketFor, passwordHashProblem, startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { PasswordHashType } from '../src/sandbox/hash-formats.js';

const sdk = (sb: Sandbox, key = sb.apiKey) => new WorkOS(key, { apiHostname: sb.host, https: false, port: sb.port });

/** Runs `fn`, expecting it to throw; returns what was thrown. */
async function caught(fn: () => Promise<unknown>): Promise<any> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const b64 = (buf: Buffer) => buf.toString('base64').replace(/=+$/, '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sandbox: users, organizations, memberships via the real SDK', () => {
  let sb: Sandbox;
  let workos: WorkOS;

  beforeAll(async () => {
    sb = await startSandbox({ limits: false });
    workos = sdk(sb);
  });
  afterAll(() => sb.close());
  beforeEach(() => sb.setFaults({}));

  it('creates, gets, updates and lists users with API-shaped objects', async () => {
    const created = await workos.userManagement.createUser({
      email: 'Ada@Example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      emailVerified: true,
      externalId: 'src-1',
      metadata: { plan: 'pro' },
    });
    expect(created.id).toMatch(/^user_01[0-9A-HJKMNP-TV-Z]{24}$/);
    expect(created).toMatchObject({ object: 'user', email: 'Ada@Example.com', firstName: 'Ada', emailVerified: true, externalId: 'src-1' });
    expect(created.metadata).toEqual({ plan: 'pro' });
    expect(Date.parse(created.createdAt)).not.toBeNaN();

    expect((await workos.userManagement.getUser(created.id)).email).toBe('Ada@Example.com');
    expect((await workos.userManagement.getUserByExternalId('src-1')).id).toBe(created.id);

    // Email filter is case-insensitive.
    const byEmail = await workos.userManagement.listUsers({ email: 'ada@EXAMPLE.com' });
    expect(byEmail.data.map((u) => u.id)).toEqual([created.id]);

    const updated = await workos.userManagement.updateUser({ userId: created.id, lastName: 'King', metadata: { tier: 'a' } });
    expect(updated.lastName).toBe('King');
    expect(updated.metadata).toEqual({ plan: 'pro', tier: 'a' });

    const missing = await caught(() => workos.userManagement.getUser('user_01NOPE'));
    expect(missing).toBeInstanceOf(NotFoundException);
    expect(missing.code).toBe('entity_not_found');
  });

  it('decodes URL-encoded external ids in the path', async () => {
    const user = await workos.userManagement.createUser({ email: 'slash@example.com', externalId: 'tenant/42 x' });
    const found = await workos.userManagement.getUserByExternalId(encodeURIComponent('tenant/42 x'));
    expect(found.id).toBe(user.id);
  });

  it('rejects a duplicate email in another case with email_not_available', async () => {
    await workos.userManagement.createUser({ email: 'dup@example.com' });
    const error = await caught(() => workos.userManagement.createUser({ email: 'DUP@Example.COM' }));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.code).toBe('user_creation_error');
    expect(error.errors[0].code).toBe('email_not_available');
  });

  it('rejects a duplicate external id with external_id_already_used', async () => {
    await workos.userManagement.createUser({ email: 'x1@example.com', externalId: 'same' });
    const error = await caught(() => workos.userManagement.createUser({ email: 'x2@example.com', externalId: 'same' }));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.errors.map((e: { code: string }) => e.code)).toEqual(['external_id_already_used']);
  });

  it('answers 422 invalid_request_parameters for bad email, long external id and oversized metadata', async () => {
    const badEmail = await caught(() => workos.userManagement.createUser({ email: 'not-an-email' }));
    expect(badEmail).toBeInstanceOf(UnprocessableEntityException);
    expect(badEmail.code).toBe('invalid_request_parameters');
    expect(badEmail.message).toContain('invalid_email');

    const longId = await caught(() => workos.userManagement.createUser({ email: 'long@example.com', externalId: 'x'.repeat(129) }));
    expect(longId.code).toBe('invalid_request_parameters');
    expect(longId.message).toContain('external_id_too_long');
    // 128 is fine
    await workos.userManagement.createUser({ email: 'long@example.com', externalId: 'x'.repeat(128) });

    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    for (const metadata of [tooMany, { ['k'.repeat(41)]: 'v' }, { k: 'v'.repeat(601) }]) {
      const error = await caught(() => workos.userManagement.createUser({ email: 'meta@example.com', metadata }));
      expect(error).toBeInstanceOf(UnprocessableEntityException);
      expect(error.code).toBe('invalid_request_parameters');
    }
    expect([...sb.state.users.values()].some((u) => u.email === 'meta@example.com')).toBe(false);
  });

  it('rejects password + password_hash, and unknown hash types', async () => {
    const both = await caught(() =>
      workos.userManagement.createUser({
        email: 'both@example.com',
        password: 'hunter2hunter2',
        passwordHash: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
        passwordHashType: 'bcrypt',
      }),
    );
    expect(both).toBeInstanceOf(GenericServerException);
    expect(both.status).toBe(400);
    expect(both.rawData.code).toBe('password_and_password_hash_provided');

    const md5 = await caught(() =>
      workos.userManagement.createUser({ email: 'md5@example.com', passwordHash: 'abc', passwordHashType: 'md5' as never }),
    );
    expect(md5).toBeInstanceOf(UnprocessableEntityException);
    expect(md5.code).toBe('invalid_request_parameters');
  });

  it('creates organizations honouring Idempotency-Key', async () => {
    const payload = { name: 'Acme', externalId: 'acme', domainData: [{ domain: 'acme.com', state: 'verified' as never }] };
    const first = await workos.organizations.createOrganization(payload, { idempotencyKey: 'org-acme' });
    const second = await workos.organizations.createOrganization(payload, { idempotencyKey: 'org-acme' });
    expect(second.id).toBe(first.id);
    expect(first.id).toMatch(/^org_01[0-9A-Z]{24}$/);
    expect(first.domains[0]).toMatchObject({ domain: 'acme.com', state: 'verified', organizationId: first.id });
    expect([...sb.state.organizations.values()].filter((o) => o.external_id === 'acme')).toHaveLength(1);

    expect((await workos.organizations.getOrganizationByExternalId('acme')).id).toBe(first.id);
    expect((await workos.organizations.getOrganization(first.id)).name).toBe('Acme');

    // Without the key, the external id collides.
    const dup = await caught(() => workos.organizations.createOrganization(payload));
    expect(dup).toBeInstanceOf(GenericServerException);
    expect(dup.status).toBe(400);
    expect(dup.rawData.code).toBe('external_id_already_used');

    const renamed = await workos.organizations.updateOrganization({ organization: first.id, name: 'Acme Inc' });
    expect(renamed.name).toBe('Acme Inc');

    // Deleting an organization takes its memberships with it and frees its external id.
    const member = sb.seedUser({ email: 'acme-member@example.com' });
    const m = sb.seedMembership({ user_id: member.id, organization_id: first.id, role_slug: 'admin' });
    expect(m.role).toEqual({ slug: 'admin' });
    await workos.organizations.deleteOrganization(first.id);
    expect(sb.state.memberships.has(m.id)).toBe(false);
    expect(await caught(() => workos.organizations.getOrganization(first.id))).toBeInstanceOf(NotFoundException);
    await workos.organizations.createOrganization({ name: 'Acme again', externalId: 'acme' });
  });

  it('creates, conflicts, lists and updates memberships', async () => {
    const org = await workos.organizations.createOrganization({ name: 'Members Co' });
    const user = await workos.userManagement.createUser({ email: 'member@example.com' });

    const membership = await workos.userManagement.createOrganizationMembership({ userId: user.id, organizationId: org.id });
    expect(membership.id).toMatch(/^om_01/);
    expect(membership).toMatchObject({ status: 'active', organizationName: 'Members Co', role: { slug: 'member' } });
    expect(membership.roles).toEqual([{ slug: 'member' }]);

    const conflict = await caught(() =>
      workos.userManagement.createOrganizationMembership({ userId: user.id, organizationId: org.id, roleSlug: 'admin' }),
    );
    // ConflictException is not exported by SDK 8.13; its name and status are what callers can test.
    expect(conflict.name).toBe('ConflictException');
    expect(conflict.status).toBe(409);

    const byOrg = await workos.userManagement.listOrganizationMemberships({ organizationId: org.id });
    expect(byOrg.data.map((m) => m.id)).toEqual([membership.id]);
    const byUser = await workos.userManagement.listOrganizationMemberships({ userId: user.id, statuses: ['active'] });
    expect(byUser.data).toHaveLength(1);

    const updated = await workos.userManagement.updateOrganizationMembership(membership.id, { roleSlug: 'admin' });
    expect(updated.role).toEqual({ slug: 'admin' });
    expect((await workos.userManagement.getOrganizationMembership(membership.id)).role.slug).toBe('admin');

    const unknownRole = await caught(() => workos.userManagement.updateOrganizationMembership(membership.id, { roleSlug: 'owner' }));
    expect(unknownRole).toBeInstanceOf(UnprocessableEntityException);
    expect(unknownRole.code).toBe('invalid_request_parameters');
    expect(unknownRole.message).toContain('role_not_found');

    const multi = await caught(() => workos.userManagement.updateOrganizationMembership(membership.id, { roleSlugs: ['admin', 'member'] }));
    expect(multi).toBeInstanceOf(UnprocessableEntityException);
    expect(multi.code).toBe('multiple_roles_not_enabled');

    // Renaming the organization shows in its memberships; deleting the user removes them.
    await workos.organizations.updateOrganization({ organization: org.id, name: 'Members Ltd' });
    expect((await workos.userManagement.getOrganizationMembership(membership.id)).organizationName).toBe('Members Ltd');
    await workos.userManagement.deleteUser(user.id);
    expect(sb.state.memberships.has(membership.id)).toBe(false);

    const ghost = await caught(() => workos.userManagement.createOrganizationMembership({ userId: user.id, organizationId: org.id }));
    expect(ghost).toBeInstanceOf(NotFoundException);
    expect(ghost.code).toBe('entity_not_found');
  });

  it('lists environment and organization roles', async () => {
    const roles = await workos.authorization.listEnvironmentRoles();
    expect(roles.data.map((r) => r.slug)).toEqual(['admin', 'member']);
    expect(roles.data[0]).toMatchObject({ object: 'role', name: 'Admin', type: 'EnvironmentRole', permissions: [] });
    expect(roles.data[0].id).toMatch(/^role_01/);

    const org = sb.seedOrganization({ name: 'Roles Co' });
    const orgRoles = await workos.organizations.listOrganizationRoles({ organizationId: org.id });
    expect(orgRoles.data.map((r) => r.slug)).toEqual(['admin', 'member']);
  });

  it('pages lists by cursor, newest first by default', async () => {
    const org = sb.seedOrganization({ name: 'Paging Co' });
    const ids = Array.from({ length: 23 }, (_, i) => {
      const u = sb.seedUser({ email: `page${i}@example.com` });
      sb.seedMembership({ user_id: u.id, organization_id: org.id });
      return u.id;
    });
    const page1 = await workos.userManagement.listUsers({ organizationId: org.id });
    expect(page1.data.map((u) => u.id)).toEqual(ids.slice().reverse().slice(0, 10));
    expect(page1.listMetadata).toEqual({ before: null, after: page1.data[9].id });
    const page3 = await workos.userManagement.listUsers({ organizationId: org.id, limit: 10, after: ids[13] });
    expect(page3.data.map((u) => u.id)).toEqual(ids.slice(0, 13).reverse().slice(0, 10));
    const asc = await workos.userManagement.listUsers({ organizationId: org.id, order: 'asc', limit: 5, after: ids[4] });
    expect(asc.data.map((u) => u.id)).toEqual(ids.slice(5, 10));
    expect(asc.listMetadata).toEqual({ before: ids[5], after: ids[9] });
    const back = await workos.userManagement.listUsers({ organizationId: org.id, order: 'asc', limit: 5, before: ids[5] });
    expect(back.data.map((u) => u.id)).toEqual(ids.slice(0, 5));
    expect(back.listMetadata.before).toBeNull();

    const tooBig = await caught(() => workos.userManagement.listUsers({ limit: 101 }));
    expect(tooBig).toBeInstanceOf(UnprocessableEntityException);
  });

  it('creates password resets', async () => {
    sb.seedUser({ email: 'reset@example.com' });
    const reset = await workos.userManagement.createPasswordReset({ email: 'reset@example.com' });
    expect(reset).toMatchObject({ object: 'password_reset', email: 'reset@example.com' });
    expect(reset.passwordResetToken).toBeTruthy();
    const res = await fetch(`${sb.url}/user_management/password_reset/send`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sb.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'reset@example.com', password_reset_url: 'https://app.test/reset' }),
    });
    expect(res.status).toBe(200);
    expect(sb.state.passwordResets).toHaveLength(2);
  });

  it('refuses a wrong API key with 401', async () => {
    const error = await caught(() => sdk(sb, 'sk_test_wrong').userManagement.listUsers());
    expect(error).toBeInstanceOf(UnauthorizedException);
    const res = await fetch(`${sb.url}/organizations`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
  });

  it('serves the /__sandbox admin endpoints without auth', async () => {
    const state = await (await fetch(`${sb.url}/__sandbox/state`)).json();
    expect(state.users.length).toBe(sb.state.users.size);
    expect(state.organizations.length).toBe(sb.state.organizations.size);
    expect(Array.isArray(state.memberships)).toBe(true);
    const stats = await (await fetch(`${sb.url}/__sandbox/stats`)).json();
    expect(stats.requests).toBeGreaterThan(0);
    const put = await fetch(`${sb.url}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify({ rate500: 1, seed: 1 }) });
    expect(put.status).toBe(200);
    const error = await caught(() => workos.userManagement.listUsers());
    expect(error).toBeInstanceOf(GenericServerException);
    expect(error.status).toBe(500);
    expect(error.rawData.code).toBe('server_error');
    await fetch(`${sb.url}/__sandbox/faults`, { method: 'PUT', body: '{}' });
    await workos.userManagement.listUsers();
  });
});

describe('sandbox: password hash formats', () => {
  const pw = 'correct horse battery staple';
  const salt = randomBytes(16);
  const scryptHash = scryptSync(pw, salt, 64, { N: 16384, r: 8, p: 1 });
  const ssha = (len: number) => {
    const s = randomBytes(len);
    return '{SSHA}' + Buffer.concat([createHash('sha1').update(pw).update(s).digest(), s]).toString('base64');
  };
  const bcrypt = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
  const argon2 = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG';
  const fb = (over: Partial<Record<'hash' | 'salt' | 'sk' | 'ss' | 'r' | 'm', string>> = {}) => {
    const f = { hash: b64(randomBytes(64)), salt: b64(randomBytes(12)), sk: b64(randomBytes(64)), ss: 'Bw', r: '8', m: '14', ...over };
    return `$firebase-scrypt$hash=${f.hash}$salt=${f.salt}$sk=${f.sk}$ss=${f.ss}$r=${f.r}$m=${f.m}`;
  };

  const valid: Array<[PasswordHashType, string]> = [
    ['bcrypt', bcrypt],
    ['bcrypt', bcrypt.replace('$2b$', '$2a$')],
    ['bcrypt', bcrypt.replace('$2b$10$', '$2y$12$')],
    ['scrypt', `$scrypt$v=1$n=16384,r=8,p=1,kl=64$${b64(salt)}$${b64(scryptHash)}`],
    ['scrypt', `$scrypt$v=1$n=16384,r=8,p=1$${b64(salt)}$${b64(scryptHash)}`],
    ['firebase-scrypt', fb()],
    ['pbkdf2', `$pbkdf2$i=600000,d=sha256$${b64(salt)}$${b64(pbkdf2Sync(pw, salt, 1000, 32, 'sha256'))}`],
    ['pbkdf2', `$pbkdf2$i=210000,d=sha512$${b64(salt)}$${b64(pbkdf2Sync(pw, salt, 1000, 64, 'sha512'))}`],
    ['argon2', argon2],
    ['argon2', argon2.replace('argon2id', 'argon2i')],
    ['ssha', ssha(8)],
    ['ssha', ssha(4)],
  ];
  const invalid: Array<[PasswordHashType, string, string]> = [
    ['bcrypt', bcrypt.replace('$2b$', '$2x$'), 'unknown variant'],
    ['bcrypt', bcrypt.slice(0, -1), 'truncated'],
    ['bcrypt', bcrypt.replace('$10$', '$03$'), 'cost below 4'],
    ['bcrypt', argon2, 'another format'],
    ['scrypt', `$scrypt$v=1$n=1000,r=8,p=1,kl=64$${b64(salt)}$${b64(scryptHash)}`, 'n not a power of 2'],
    ['scrypt', `$scrypt$v=1$n=16384,r=8,p=1,kl=64$${salt.toString('base64')}$${scryptHash.toString('base64')}`, 'padded base64'],
    ['scrypt', `$scrypt$v=1$n=16384,r=8,p=1,kl=32$${b64(salt)}$${b64(scryptHash)}`, 'kl does not match the hash'],
    ['scrypt', `$scrypt$n=16384,r=8,p=1$${b64(salt)}$${b64(scryptHash)}`, 'missing version'],
    ['scrypt', `$scrypt$v=1$n=16384,r=8$${b64(salt)}$${b64(scryptHash)}`, 'missing p'],
    ['firebase-scrypt', fb({ sk: b64(randomBytes(64)).replace(/\+/g, '-').replace(/\//g, '_') + '-_' }), 'URL-safe base64'],
    ['firebase-scrypt', fb().replace('$ss=Bw', ''), 'no salt separator'],
    ['firebase-scrypt', fb({ r: 'eight' }), 'rounds not a number'],
    ['pbkdf2', `$pbkdf2$i=1000,d=md5$${b64(salt)}$${b64(salt)}`, 'unsupported digest'],
    ['pbkdf2', `$pbkdf2$d=sha256$${b64(salt)}$${b64(salt)}`, 'no iterations'],
    ['pbkdf2', `pbkdf2_sha256$1000$${b64(salt)}$${b64(salt)}`, 'Django format, not converted'],
    ['argon2', argon2.replace('v=19', 'v=16'), 'old version'],
    ['argon2', argon2.replace('argon2id', 'argon2x'), 'unknown variant'],
    ['argon2', argon2.replace('c29tZXNhbHQ', 'c2FsdA'), 'salt under 8 bytes'],
    ['argon2', argon2.replace('m=65536,t=3,p=4', 't=3,m=65536,p=4'), 'parameters out of order'],
    ['ssha', '{SHA}' + ssha(8).slice(6), 'wrong prefix'],
    ['ssha', '{SSHA}' + createHash('sha1').update(pw).digest('base64'), 'no salt'],
    ['ssha', '{SSHA}not base64!', 'not base64'],
  ];

  it.each(valid)('accepts a well-formed %s hash', (type, hash) => {
    expect(passwordHashProblem(type, hash)).toBeNull();
  });
  it.each(invalid)('rejects a %s hash: %s (%s)', (type, hash) => {
    expect(passwordHashProblem(type, hash)).toEqual(expect.any(String));
  });

  it('applies the same judgement over the API (400 invalid_password_hash)', async () => {
    const sb = await startSandbox({ limits: false });
    try {
      const workos = sdk(sb);
      for (const [i, [type, hash]] of valid.entries()) {
        const user = await workos.userManagement.createUser({
          email: `ok${i}@example.com`,
          passwordHash: hash,
          passwordHashType: type as never,
        });
        expect(sb.state.credentials.get(user.id)).toEqual({ kind: 'hash', password_hash_type: type, password_hash: hash });
      }
      for (const [i, [type, hash]] of invalid.entries()) {
        const error = await caught(() =>
          workos.userManagement.createUser({ email: `bad${i}@example.com`, passwordHash: hash, passwordHashType: type as never }),
        );
        expect(error).toBeInstanceOf(GenericServerException);
        expect(error.status).toBe(400);
        expect(error.rawData.code).toBe('invalid_password_hash');
      }
      // Setting a hash later goes through the same check.
      const later = await workos.userManagement.createUser({ email: 'later@example.com' });
      const error = await caught(() =>
        workos.userManagement.updateUser({ userId: later.id, passwordHash: 'nope', passwordHashType: 'bcrypt' }),
      );
      expect(error.rawData.code).toBe('invalid_password_hash');
      await workos.userManagement.updateUser({ userId: later.id, passwordHash: bcrypt, passwordHashType: 'bcrypt' });
      expect(sb.state.credentials.get(later.id)).toMatchObject({ password_hash: bcrypt });
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox: rate limits', () => {
  const tiny = {
    writes: { limit: 5, windowMs: 200 },
    reads: { limit: 8, windowMs: 200 },
    general: { limit: 1000, windowMs: 1000 },
  };

  it('classifies requests into buckets like the reference', () => {
    expect(bucketFor('POST', '/user_management/users')).toBe('writes');
    expect(bucketFor('PUT', '/user_management/organization_memberships/om_1')).toBe('writes');
    expect(bucketFor('POST', '/user_management/password_reset/send')).toBe('writes');
    expect(bucketFor('GET', '/user_management/users/external_id/x')).toBe('reads');
    expect(bucketFor('GET', '/user_management/organization_memberships')).toBe('reads');
    expect(bucketFor('POST', '/organizations')).toBeNull();
    expect(bucketFor('GET', '/authorization/roles')).toBeNull();
    expect(REAL_LIMITS).toEqual({
      writes: { limit: 500, windowMs: 10_000 },
      reads: { limit: 1000, windowMs: 10_000 },
      general: { limit: 6000, windowMs: 60_000 },
    });
  });

  it('answers 429 with Retry-After past the limit, and the SDK raises RateLimitExceededException', async () => {
    const sb = await startSandbox({ limits: tiny });
    try {
      const workos = sdk(sb);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => workos.userManagement.createUser({ email: `burst${i}@example.com` })),
      );
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(rejected).toHaveLength(3);
      for (const error of rejected) {
        expect(error).toBeInstanceOf(RateLimitExceededException);
        expect(error.status).toBe(429);
        expect(error.retryAfter).toBeGreaterThan(0);
        expect(error.retryAfter).toBeLessThanOrEqual(0.2);
      }
      // Rejected requests took no slot: after Retry-After there is room again.
      await sleep(Math.max(...rejected.map((e) => e.retryAfter)) * 1000 + 5);
      await workos.userManagement.createUser({ email: 'after-wait@example.com' });

      // Organizations only count against `general`.
      for (let i = 0; i < 10; i++) await workos.organizations.createOrganization({ name: `Org ${i}` });

      const raw = await fetch(`${sb.url}/user_management/users`, { headers: { Authorization: `Bearer ${sb.apiKey}` } });
      expect(raw.status).toBe(200);
      const stats = sb.stats();
      expect(stats.rateLimited).toBe(3);
      expect(stats.byBucket.writes).toBe(6);
      expect(stats.byBucket.general).toBe(6 + 10 + 1);
      expect(stats.maxInAnyWindow.writes).toBeLessThanOrEqual(5);
    } finally {
      await sb.close();
    }
  });

  it('never accepts more than the limit in any window under sustained pressure', async () => {
    const sb = await startSandbox({ limits: tiny });
    try {
      const headers = { Authorization: `Bearer ${sb.apiKey}` };
      const accepted: number[] = [];
      let limited = 0;
      let retryAfterSeen = '';
      const deadline = performance.now() + 700;
      // Four greedy clients hammering reads, ignoring Retry-After.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (performance.now() < deadline) {
            const res = await fetch(`${sb.url}/user_management/users?limit=1`, { headers });
            await res.arrayBuffer();
            if (res.status === 200) accepted.push(performance.now());
            else {
              expect(res.status).toBe(429);
              retryAfterSeen = res.headers.get('retry-after') ?? '';
              limited++;
            }
          }
        }),
      );
      expect(limited).toBeGreaterThan(0);
      expect(Number(retryAfterSeen)).toBeGreaterThan(0);
      expect(Number(retryAfterSeen)).toBeLessThanOrEqual(0.2);
      const stats = sb.stats();
      expect(stats.maxInAnyWindow.reads).toBe(8);
      expect(stats.byBucket.reads).toBe(accepted.length);
      // The ceiling over ~700 ms is about 8 per 200 ms window.
      expect(accepted.length).toBeLessThanOrEqual(8 * Math.ceil(700 / 200) + 8);
    } finally {
      await sb.close();
    }
  });

  it('limits password resets to 3 per minute per email', async () => {
    const sb = await startSandbox();
    try {
      const workos = sdk(sb);
      sb.seedUser({ email: 'often@example.com' });
      for (let i = 0; i < 3; i++) await workos.userManagement.createPasswordReset({ email: 'Often@example.com' });
      const error = await caught(() => workos.userManagement.createPasswordReset({ email: 'often@example.com' }));
      expect(error).toBeInstanceOf(RateLimitExceededException);
      expect(error.retryAfter).toBeGreaterThanOrEqual(59);
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox: injected faults', () => {
  let sb: Sandbox;
  let workos: WorkOS;
  beforeAll(async () => {
    sb = await startSandbox({ limits: false });
    workos = sdk(sb);
  });
  afterAll(() => sb.close());

  it('lost response: the write lands, the client sees a network error', async () => {
    sb.setFaults({ lostResponse: 1 });
    const error = await caught(() => workos.userManagement.createUser({ email: 'lost@example.com', externalId: 'lost-1' }));
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBeUndefined();
    expect(String(error.message)).toMatch(/fetch failed|socket|Unexpected error/i);
    sb.setFaults({});
    // It is there: the importer must look it up before retrying.
    expect((await workos.userManagement.getUserByExternalId('lost-1')).email).toBe('lost@example.com');
    expect(sb.stats().faultsInjected.lostResponse).toBe(1);
  });

  it('connection reset: nothing is applied', async () => {
    sb.setFaults({ connectionReset: 1 });
    await caught(() => workos.userManagement.createUser({ email: 'reset-conn@example.com' }));
    sb.setFaults({});
    const list = await workos.userManagement.listUsers({ email: 'reset-conn@example.com' });
    expect(list.data).toHaveLength(0);
  });

  it('injected 429s carry Retry-After; probabilities are reproducible with a seed', async () => {
    sb.setFaults({ rate429: 1, retryAfterSeconds: 0.01 });
    const error = await caught(() => workos.userManagement.listUsers());
    expect(error).toBeInstanceOf(RateLimitExceededException);
    expect(error.retryAfter).toBe(0.01);

    const run = async () => {
      sb.setFaults({ rate500: 0.5, seed: 42 });
      const outcomes: number[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${sb.url}/authorization/roles`, { headers: { Authorization: `Bearer ${sb.apiKey}` } });
        await res.arrayBuffer();
        outcomes.push(res.status);
      }
      return outcomes;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(500);
    expect(a).toContain(200);
    sb.setFaults({});
  });
});

describe('sandbox: multiple roles', () => {
  it('accepts role_slugs when the environment enables multiple roles', async () => {
    const sb = await startSandbox({ limits: false, multipleRoles: true, roles: ['owner', 'admin', 'member'] });
    try {
      const workos = sdk(sb);
      const user = sb.seedUser({ email: 'multi@example.com' });
      const org = sb.seedOrganization({ name: 'Multi', domains: ['multi.example.com'] });
      const m = await workos.userManagement.createOrganizationMembership({
        userId: user.id,
        organizationId: org.id,
        roleSlugs: ['admin', 'owner'],
      });
      expect(m.roles).toEqual([{ slug: 'admin' }, { slug: 'owner' }]);
      expect(m.role).toEqual({ slug: 'admin' });
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox: what a migration meets besides users and memberships', () => {
  let sb: Sandbox;
  let workos: WorkOS;
  beforeAll(async () => {
    sb = await startSandbox({ limits: false });
    workos = sdk(sb);
  });
  afterAll(() => sb.close());

  it('refuses consumer domains like gmail.com (the organization domain reference), on create and on update', async () => {
    const refused = await caught(() =>
      workos.organizations.createOrganization({ name: 'Gmail Co', domainData: [{ domain: 'acme-ok.example.com', state: 'pending' as never }, { domain: 'gmail.com', state: 'verified' as never }] }),
    );
    expect(refused).toBeInstanceOf(UnprocessableEntityException);
    expect(refused.code).toBe('invalid_request_parameters');
    expect(refused.message).toContain('invalid_domain');
    const org = await workos.organizations.createOrganization({ name: 'Fine Co', domainData: [{ domain: 'fine.example.com', state: 'pending' as never }] });
    expect(await caught(() => workos.organizations.updateOrganization({ organization: org.id, domainData: [{ domain: 'Yahoo.com', state: 'pending' as never }] }))).toBeInstanceOf(
      UnprocessableEntityException,
    );
    // A domain another organization holds: the reference says nothing against it, so it is taken.
    const twin = await workos.organizations.createOrganization({ name: 'Twin Co', domainData: [{ domain: 'fine.example.com', state: 'pending' as never }] });
    expect(twin.domains.map((d) => d.domain)).toEqual(['fine.example.com']);
  });

  it('answers a taken email with 409 user_already_exists when switched to the emulator style', async () => {
    await workos.userManagement.createUser({ email: 'taken@example.com' });
    sb.setUserConflict('user_already_exists');
    try {
      const error = await caught(() => workos.userManagement.createUser({ email: 'TAKEN@example.com' }));
      // The SDK does not export its ConflictException: known by name and status.
      expect(error.name).toBe('ConflictException');
      expect(error.status).toBe(409);
    } finally {
      sb.setUserConflict('user_creation_error');
    }
    const real = await caught(() => workos.userManagement.createUser({ email: 'taken@example.com' }));
    expect(real).toBeInstanceOf(BadRequestException);
    expect(real.errors[0].code).toBe('email_not_available');
    // The same switch over the admin endpoint.
    expect((await fetch(`${sb.url}/__sandbox/user_conflict`, { method: 'PUT', body: JSON.stringify({ style: 'user_already_exists' }) })).status).toBe(200);
    expect((await caught(() => workos.userManagement.createUser({ email: 'taken@example.com' }))).status).toBe(409);
    sb.setUserConflict('user_creation_error');
  });

  it('sends and lists invitations (email case-insensitively, by organization), with the wire shape the SDK reads', async () => {
    const org = sb.seedOrganization({ name: 'Invites Co' });
    const sent = await workos.userManagement.sendInvitation({ email: 'Invitee@example.com', organizationId: org.id, roleSlug: 'admin' });
    expect(sent).toMatchObject({ object: 'invitation', email: 'Invitee@example.com', state: 'pending', organizationId: org.id, acceptedAt: null, revokedAt: null });
    expect(sent.id).toMatch(/^invitation_01/);
    expect(sent.token).toBeTruthy();
    expect(Date.parse(sent.expiresAt) - Date.parse(sent.createdAt)).toBe(7 * 86_400_000);
    expect(sb.state.invitations.get(sent.id)!.role_slug).toBe('admin');
    expect('roleSlug' in (sent as object) || 'role_slug' in (sent as object)).toBe(false);

    const listed = await workos.userManagement.listInvitations({ email: 'invitee@EXAMPLE.com', organizationId: org.id });
    expect(listed.data.map((i) => i.id)).toEqual([sent.id]);
    expect((await workos.userManagement.listInvitations({ email: 'invitee@example.com', organizationId: 'org_other' })).data).toEqual([]);
    expect((await workos.userManagement.getInvitation(sent.id)).email).toBe('Invitee@example.com');
    expect((await workos.userManagement.revokeInvitation(sent.id)).state).toBe('revoked');
    const unknownRole = await caught(() => workos.userManagement.sendInvitation({ email: 'x@example.com', organizationId: org.id, roleSlug: 'nope' }));
    expect(unknownRole).toBeInstanceOf(UnprocessableEntityException);
    expect(bucketFor('POST', '/user_management/invitations')).toBe('writes');
    expect(bucketFor('GET', '/user_management/invitations')).toBe('reads');
  });

  it('signs a user in with a password, recomputed through the hash it was imported with', async () => {
    const salt = randomBytes(16);
    const phc = `$scrypt$v=1$n=1024,r=8,p=1,kl=32$${b64(salt)}$${b64(scryptSync('correct horse', salt, 32, { N: 1024, r: 8, p: 1 }))}`;
    await workos.userManagement.createUser({ email: 'signin@example.com', passwordHash: phc, passwordHashType: 'scrypt' });
    const signedIn = await workos.userManagement.authenticateWithPassword({ clientId: 'client_sandbox', email: 'signin@example.com', password: 'correct horse' });
    expect(signedIn.user.email).toBe('signin@example.com');
    expect(signedIn.accessToken.split('.')).toHaveLength(3);
    const wrong = await caught(() => workos.userManagement.authenticateWithPassword({ clientId: 'client_sandbox', email: 'signin@example.com', password: 'wrong' }));
    expect(wrong.status).toBe(400);
    expect(sb.checkPassword('signin@example.com', 'correct horse')).toBe(true);
    expect(sb.checkPassword('signin@example.com', 'wrong')).toBe(false);

    // pbkdf2 and ssha too; bcrypt cannot be computed here, and says so rather than guessing.
    const pSalt = randomBytes(12);
    await workos.userManagement.createUser({
      email: 'pbkdf2@example.com',
      passwordHash: `$pbkdf2$i=1000,d=sha512$${b64(pSalt)}$${b64(pbkdf2Sync('pw', pSalt, 1000, 64, 'sha512'))}`,
      passwordHashType: 'pbkdf2' as never,
    });
    expect(sb.checkPassword('pbkdf2@example.com', 'pw')).toBe(true);
    const sSalt = randomBytes(8);
    const ssha = `{SSHA}${Buffer.concat([createHash('sha1').update('pw').update(sSalt).digest(), sSalt]).toString('base64')}`;
    await workos.userManagement.createUser({ email: 'ssha@example.com', passwordHash: ssha, passwordHashType: 'ssha' });
    expect(sb.checkPassword('ssha@example.com', 'pw')).toBe(true);
    await workos.userManagement.createUser({ email: 'bcrypt@example.com', passwordHash: '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234', passwordHashType: 'bcrypt' });
    expect(sb.checkPassword('bcrypt@example.com', 'pw')).toBeNull();
  });

  it('counts requests by route and status', async () => {
    sb.resetStats();
    const user = await workos.userManagement.createUser({ email: 'counted@example.com' });
    await workos.userManagement.getUser(user.id);
    await caught(() => workos.userManagement.getUser('user_01NOPE'));
    expect(sb.stats().byRoute).toEqual({
      'POST /user_management/users': { 201: 1 },
      'GET /user_management/users/:id': { 200: 1, 404: 1 },
    });
  });
});

describe('sandbox: an outage', () => {
  it('refuses connections for the window, then listens on the same port again', async () => {
    const sb = await startSandbox({ limits: false });
    try {
      const workos = sdk(sb);
      await workos.userManagement.listUsers();
      const started = performance.now();
      const { reopened } = await sb.outage(300);
      const refused = await caught(() => workos.userManagement.listUsers());
      expect(String(refused.cause?.cause?.code ?? refused.cause?.code)).toBe('ECONNREFUSED');
      await reopened;
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect((await workos.userManagement.listUsers()).data).toEqual([]);
      // The admin endpoint does the same (it answers before the listener closes).
      expect((await fetch(`${sb.url}/__sandbox/outage`, { method: 'PUT', body: JSON.stringify({ window_ms: 200 }) })).status).toBe(200);
      await sleep(50);
      expect(String((await caught(() => workos.userManagement.listUsers())).cause?.cause?.code)).toBe('ECONNREFUSED');
      await sleep(300);
      await workos.userManagement.listUsers();
    } finally {
      await sb.close();
    }
  });
});
