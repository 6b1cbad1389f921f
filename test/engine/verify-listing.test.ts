/**
 * Full verification by listing (issue 10, item 5): a migration of 230 users, three organizations
 * with verified domains (one with 150 members: two pages) and role mapping owner -> admin,
 * viewer -> member, imported by the engine into the sandbox through the real SDK; then WorkOS is
 * changed behind the journal's back, once per test, through the API, and a failing check must
 * name the change. Every record is checked, by listing: no per-user or per-membership reads.
 */
import path from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { afterEach, describe, expect, it } from 'vitest';
import { pbkdf2Hash, knownPassword } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { SourceMembership, SourceOrganization, SourceUser } from '../../src/providers/types.js';
import { Journal } from '../../src/services/journal/journal.js';
import { runVerification, type VerifyCheck, type VerifyReport } from '../../src/services/verify.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { seedImported } from '../../bench/verify.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { importInto, stagedJournal, targetOptions } from './util.js';

const USERS = 230;
const ROLE_MAP = { owner: 'admin', viewer: 'member' };

const open: { sandbox?: Sandbox; journal?: Journal } = {};
afterEach(async () => {
  open.journal?.close();
  await open.sandbox?.close();
  open.sandbox = undefined;
  open.journal = undefined;
});

interface Migrated {
  sandbox: Sandbox;
  journal: Journal;
  target: WorkOSTarget;
  workos: WorkOS;
  users: SourceUser[];
  userId: (sourceId: string) => string;
  orgId: (sourceId: string) => string;
  membershipId: (user: string, org: string) => string;
}

/**
 * Users u000..u229, every one with a pbkdf2 hash, names, a verified email and one metadata key;
 * org-a (acme.example, verified) holds u000..u149, org-b (globex.example) u150..u209 and org-c
 * (initech.example, plus initech.io pending) u210..u229 and u000..u009 again. Every tenth
 * membership is an owner, the rest viewers.
 */
async function migrate(before?: (sandbox: Sandbox) => void): Promise<Migrated> {
  const sandbox = (open.sandbox = await startSandbox({ limits: FAST_LIMITS }));
  before?.(sandbox);
  const pad = (i: number) => String(i).padStart(3, '0');
  const organizations: SourceOrganization[] = [
    { sourceId: 'org-a', name: 'Acme', domains: [{ domain: 'acme.example', state: 'verified' }] },
    { sourceId: 'org-b', name: 'Globex', domains: [{ domain: 'globex.example', state: 'verified' }] },
    {
      sourceId: 'org-c',
      name: 'Initech',
      domains: [
        { domain: 'initech.example', state: 'verified' },
        { domain: 'initech.io', state: 'pending' },
      ],
    },
  ];
  const users: SourceUser[] = Array.from({ length: USERS }, (_, i) => ({
    sourceId: `u${pad(i)}`,
    email: `user${pad(i)}@example.com`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
    emailVerified: true,
    passwordHash: pbkdf2Hash(knownPassword(`u${pad(i)}`)),
    passwordHashType: 'pbkdf2',
    metadata: { plan: i % 2 ? 'pro' : 'free' },
  }));
  const memberships: SourceMembership[] = users.map((u, i) => ({
    userSourceId: u.sourceId,
    orgSourceId: i < 150 ? 'org-a' : i < 210 ? 'org-b' : 'org-c',
    roles: [i % 10 === 0 ? 'owner' : 'viewer'],
  }));
  for (let i = 0; i < 10; i++) memberships.push({ userSourceId: users[i].sourceId, orgSourceId: 'org-c', roles: ['viewer'] });
  const journal = (open.journal = stagedJournal({ organizations, users, memberships }));
  journal.updateSettings({ roleMap: ROLE_MAP });
  const { stopped } = await importInto(sandbox, journal, { roleMap: ROLE_MAP });
  expect(stopped).toBe(false);
  expect(journal.counts()).toMatchObject({ user: { done: USERS }, organization: { done: 3 }, membership: { done: USERS + 10 } });
  const userId = (s: string) => [...sandbox.state.users.values()].find((u) => u.external_id === s)!.id;
  const orgId = (s: string) => [...sandbox.state.organizations.values()].find((o) => o.external_id === s)!.id;
  return {
    sandbox,
    journal,
    target: new WorkOSTarget(targetOptions(sandbox)),
    workos: new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port } as ConstructorParameters<typeof WorkOS>[1]),
    users,
    userId,
    orgId,
    membershipId: (user, org) => [...sandbox.state.memberships.values()].find((m) => m.user_id === userId(user) && m.organization_id === orgId(org))!.id,
  };
}

const check = (report: VerifyReport, id: string): VerifyCheck => {
  const found = report.checks.find((c) => c.id === id);
  expect(found, `check ${id} in ${report.checks.map((c) => c.id).join(', ')}`).toBeDefined();
  return found!;
};
const failing = (report: VerifyReport) => report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
/** Answered API requests on one route (ids as :id), whatever their status. */
const callsTo = (sandbox: Sandbox, route: string) => Object.values(sandbox.stats().byRoute[route] ?? {}).reduce((a, b) => a + b, 0);

describe('full verification by listing', () => {
  it('passes a clean migration, checking every record with list reads only, and reports progress to the end', async () => {
    const m = await migrate();
    m.sandbox.resetStats();
    const progress = new Map<string, { done: number; total: number }>();
    const report = await runVerification(m.journal, m.target, { onProgress: (c, done, total) => progress.set(c, { done, total }) });

    expect(failing(report)).toEqual([]);
    expect(check(report, 'organizations')).toMatchObject({ status: 'pass', detail: '3 of 3 checked match', counts: { checked: 3, total: 3, sampled: false } });
    expect(check(report, 'users')).toMatchObject({ status: 'pass', detail: `${USERS} of ${USERS} checked match`, counts: { checked: USERS, total: USERS, sampled: false } });
    expect(check(report, 'memberships')).toMatchObject({ status: 'pass', counts: { checked: USERS + 10, total: USERS + 10, failed: 0, warned: 0 } });
    const passwords = check(report, 'passwords');
    expect(passwords).toMatchObject({ status: 'pass', counts: { checked: USERS, total: USERS, failed: 0 } });
    // WorkOS cannot be asked whether a user has a password: the check says what it rests on.
    expect(passwords.detail).toMatch(/WorkOS does not say whether a user has a password: this rests on the import's record/);
    expect(check(report, 'counts').detail).toContain(`${USERS} in WorkOS`);
    expect(m.journal.phase).toBe('verified');

    // Listing: 3 pages of users (+1 read proving the key), 2 + 1 + 1 pages of memberships, 1 of organizations.
    expect(callsTo(m.sandbox, 'GET /user_management/users')).toBe(Math.ceil(USERS / 100) + 1);
    expect(callsTo(m.sandbox, 'GET /user_management/organization_memberships')).toBe(4);
    expect(callsTo(m.sandbox, 'GET /organizations')).toBe(1);
    for (const perRecord of ['GET /user_management/users/:id', 'GET /user_management/users/external_id/:id', 'GET /organizations/external_id/:id']) {
      expect(callsTo(m.sandbox, perRecord), perRecord).toBe(0);
    }
    expect(Object.fromEntries(progress)).toMatchObject({
      organizations: { done: 3, total: 3 },
      users: { done: USERS, total: USERS },
      memberships: { done: USERS + 10, total: USERS + 10 },
    });
  }, 120_000);

  it('catches a wrong role: the membership against the source role through the operator mapping', async () => {
    const m = await migrate();
    // u010 is an owner in the source: admin by the mapping. Someone makes it a member.
    await m.workos.userManagement.updateOrganizationMembership(m.membershipId('u010', 'org-a'), { roleSlug: 'member' });
    const report = await runVerification(m.journal, m.target);
    expect(failing(report)).toEqual(['memberships']);
    expect(check(report, 'memberships')).toMatchObject({
      status: 'fail',
      counts: { checked: USERS + 10, failed: 1 },
      examples: ['u010 in org-a: role member, expected admin (source role owner)'],
    });
    expect(m.journal.phase).not.toBe('verified');
  }, 120_000);

  it('catches a missing organization, and names its memberships as gone with it without asking for them', async () => {
    const m = await migrate();
    await m.workos.organizations.deleteOrganization(m.orgId('org-b'));
    m.sandbox.resetStats();
    const report = await runVerification(m.journal, m.target);
    expect(failing(report)).toEqual(['organizations', 'memberships']);
    expect(check(report, 'organizations')).toMatchObject({
      counts: { checked: 3, failed: 1 },
      examples: [expect.stringMatching(/^Globex \[org-b\]: no organization with this external id in WorkOS .*it was org_/)],
    });
    const memberships = check(report, 'memberships');
    expect(memberships.counts).toMatchObject({ checked: USERS + 10, failed: 60 });
    expect(memberships.examples![0]).toBe('u150 in org-b: no membership in WorkOS (its organization is gone)');
    // org-a (2 pages) and org-c (1): the gone organization's memberships are not listed.
    expect(callsTo(m.sandbox, 'GET /user_management/organization_memberships')).toBe(3);
  }, 120_000);

  it('catches a removed domain, and a verified domain made pending', async () => {
    const m = await migrate();
    await m.workos.organizations.updateOrganization({
      organization: m.orgId('org-c'),
      domainData: [{ domain: 'initech.io', state: 'pending' }] as never,
    });
    await m.workos.organizations.updateOrganization({ organization: m.orgId('org-b'), domainData: [{ domain: 'globex.example', state: 'pending' }] as never });
    const report = await runVerification(m.journal, m.target);
    expect(failing(report)).toEqual(['organizations']);
    // Examples come in WorkOS's order (creation, which the import's concurrency shuffles).
    const organizations = check(report, 'organizations');
    expect(organizations.counts).toMatchObject({ checked: 3, failed: 2 });
    expect(organizations.examples!.slice().sort()).toEqual(['Globex [org-b]: domain globex.example is pending, verified in the source', 'Initech [org-c]: domain initech.example missing']);
  }, 120_000);

  it('catches a missing password: the user it was imported on deleted and made again without it', async () => {
    const m = await migrate();
    const before = m.userId('u042');
    await m.workos.userManagement.deleteUser(before);
    const again = await m.workos.userManagement.createUser({ email: 'user042@example.com', externalId: 'u042', firstName: 'First42', lastName: 'Last42', emailVerified: true, metadata: { plan: 'free' } });
    expect(m.sandbox.checkPassword('user042@example.com', knownPassword('u042'))).toBe(null);
    const report = await runVerification(m.journal, m.target);
    expect(failing(report)).toEqual(['users', 'passwords', 'memberships']);
    expect(check(report, 'passwords')).toMatchObject({
      counts: { checked: USERS, total: USERS, failed: 1 },
      examples: [`user042@example.com: the pbkdf2 hash imported was on ${before}, which is gone from WorkOS; ${again.id} (its email now) never got it`],
    });
    expect(check(report, 'users').examples).toEqual([`user042@example.com: no user ${before} in WorkOS; ${again.id} holds its email now`]);
    expect(check(report, 'memberships').examples).toEqual(['u042 in org-a: no membership in WorkOS (its user is gone)']);
  }, 120_000);

  it('catches a wrong external id on a created user, and a changed name, a lost metadata key, an unverified email', async () => {
    const m = await migrate();
    await m.workos.userManagement.updateUser({ userId: m.userId('u100'), externalId: 'crm-100' });
    await m.workos.userManagement.updateUser({ userId: m.userId('u101'), firstName: 'Someone', emailVerified: false });
    await m.workos.userManagement.updateUser({ userId: m.userId('u102'), metadata: { plan: 'enterprise' } });
    const report = await runVerification(m.journal, m.target);
    expect(failing(report)).toEqual(['users']);
    const users = check(report, 'users');
    expect(users.counts).toMatchObject({ checked: USERS, failed: 3 });
    expect(users.examples!.slice().sort()).toEqual([
      'user100@example.com: external id is crm-100, expected u100',
      "user101@example.com: first name differs from the source's; email not verified (verified in the source)",
      "user102@example.com: metadata plan differs from the source's",
    ]);
  }, 120_000);

  it('catches a deactivated membership', async () => {
    const m = await migrate();
    await m.workos.userManagement.deactivateOrganizationMembership(m.membershipId('u215', 'org-c'));
    const report = await runVerification(m.journal, m.target);
    expect(check(report, 'memberships')).toMatchObject({ status: 'fail', examples: ['u215 in org-c: status inactive, expected active'] });
  }, 120_000);

  it('stopped during the users listing: says so, fails nothing it did not see, and does not mark the journal verified', async () => {
    const m = await migrate();
    const stop = new AbortController();
    const report = await runVerification(m.journal, m.target, {
      signal: stop.signal,
      onProgress: (c, done) => {
        if (c === 'users' && done >= 100) stop.abort();
      },
    });
    const users = check(report, 'users');
    expect(users.status).toBe('warn');
    expect(users.detail).toMatch(/stopped after \d+ of 230 \(stopped\)/);
    expect(users.counts!.failed).toBe(0);
    expect(failing(report)).toEqual([]);
    expect(m.journal.phase).not.toBe('verified');
  }, 120_000);
});

describe('adopted users', () => {
  it("holds an adopted user to what the import set: what it left as WorkOS had it (and reported) is a warning; what it set and is gone, a failure", async () => {
    // WorkOS had user005 before: another first name, another plan, no external id.
    const m = await migrate((sandbox) => sandbox.seedUser({ email: 'user005@example.com', first_name: 'Fifth', metadata: { plan: 'legacy' } }));
    expect(m.journal.get<{ outcome: string }>(`SELECT outcome FROM users WHERE source_id = 'u005'`)!.outcome).toBe('adopted');
    let report = await runVerification(m.journal, m.target);
    expect(failing(report)).toEqual([]);
    expect(check(report, 'users')).toMatchObject({
      status: 'warn',
      counts: { checked: USERS, failed: 0, warned: 1 },
      examples: ["user005@example.com (adopted): first name differs from the source's, metadata plan differs from the source's (left as WorkOS had it at import)"],
    });
    // The import set its external id (it had none): someone taking it away is a failure.
    await m.workos.userManagement.updateUser({ userId: m.userId('u005'), externalId: 'crm-5' });
    report = await runVerification(m.journal, m.target);
    expect(check(report, 'users')).toMatchObject({ status: 'fail', examples: [expect.stringMatching(/^user005@example\.com \(adopted\): external id is crm-5, expected u005; first name/)] });
  }, 120_000);
});

describe('full verification of a large migration, read in ranges', () => {
  it('12,000 users seeded as an import leaves them: passes with list reads only; a user deleted where a range would start is caught', async () => {
    const sandbox = (open.sandbox = await startSandbox({ limits: false }));
    const journalPath = seedImported(sandbox, path.join(tempDir('wm-verify-big-'), 'j.db'), 12_000, 40);
    sandbox.setLimits(FAST_LIMITS);
    const journal = (open.journal = Journal.open(journalPath));
    const target = new WorkOSTarget(targetOptions(sandbox));

    sandbox.resetStats();
    let report = await runVerification(journal, target);
    expect(failing(report)).toEqual([]);
    expect(check(report, 'users')).toMatchObject({ status: 'pass', counts: { checked: 12_000, total: 12_000 } });
    expect(check(report, 'memberships')).toMatchObject({ status: 'pass', counts: { checked: 12_000, total: 12_000 } });
    // 120 pages in 3 ranges (a range may end a page short) + 2 look-ups of where ranges start + the key's read.
    const listReads = callsTo(sandbox, 'GET /user_management/users');
    expect(listReads).toBeGreaterThanOrEqual(121);
    expect(listReads).toBeLessThanOrEqual(126);
    expect(callsTo(sandbox, 'GET /user_management/users/:id')).toBe(2);
    // 300 members in each of 40 organizations: 3 pages each.
    expect(callsTo(sandbox, 'GET /user_management/organization_memberships')).toBe(120);

    // The first range would start after the 4,000th user by WorkOS id: it is gone, the next takes its place.
    const ids = journal.all<{ workos_id: string; email: string }>(`SELECT workos_id, email FROM users ORDER BY workos_id`);
    const gone = ids[4_000];
    const sdk = new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port } as ConstructorParameters<typeof WorkOS>[1]);
    await sdk.userManagement.deleteUser(gone.workos_id);
    report = await runVerification(journal, target);
    expect(check(report, 'users')).toMatchObject({ status: 'fail', counts: { checked: 12_000, failed: 1 }, examples: [`${gone.email}: no user ${gone.workos_id} in WorkOS`] });
    expect(check(report, 'passwords')).toMatchObject({ status: 'fail', counts: { failed: 1 } });
    expect(check(report, 'memberships')).toMatchObject({ status: 'fail', counts: { failed: 1 } });
  }, 240_000);
});
