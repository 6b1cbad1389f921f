/**
 * Verification against the sandbox through the real SDK: a small file migration (one user adopted
 * by external id, one membership kept at another role by --keep-existing-roles), then WorkOS is
 * changed behind the journal's back and runVerification must say so. Checks compare WorkOS with
 * the source and the operator's mapping, not with what WorkOS answered at import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { runVerification, type VerifyCheck, type VerifyReport } from '../../src/services/verify.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir, journalSql } from '../helpers.js';

const CSV = `id,email,first_name,last_name,organization_id,organization_name,role
u1,alice@example.com,Alice,A,org-a,Acme,member
u2,bob@example.com,Bob,B,org-a,Acme,admin
u3,carol@example.com,Carol,C,org-b,Globex,member
u4,dave@example.com,Dave,D,org-c,Initech,member
u5,erin@example.com,Erin,E,org-b,Globex,member
u6,frank@example.com,Frank,F,org-a,Acme,member
`;

interface Migrated {
  sandbox: Sandbox;
  journal: Journal;
  target: WorkOSTarget;
  workos: WorkOS;
  userId: (sourceId: string) => string;
  orgId: (sourceId: string) => string;
  membershipId: (user: string, org: string) => string;
}

const open: { sandbox?: Sandbox; journal?: Journal } = {};
afterEach(async () => {
  open.journal?.close();
  await open.sandbox?.close();
  open.sandbox = undefined;
  open.journal = undefined;
});

const targetFor = (sandbox: Sandbox) => new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS });
const sdkFor = (sandbox: Sandbox) => new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port } as ConstructorParameters<typeof WorkOS>[1]);

/**
 * Before the run WorkOS already holds erin (external id u5: adopted) and frank in Acme as admin
 * (his source role member; --keep-existing-roles keeps admin).
 */
async function migrate(): Promise<Migrated> {
  const sandbox = (open.sandbox = await startSandbox({ limits: FAST_LIMITS }));
  const dir = tempDir('wm-verify-');
  fs.writeFileSync(path.join(dir, 'users.csv'), CSV);
  sandbox.seedUser({ email: 'erin@example.com', external_id: 'u5', first_name: 'Erin', last_name: 'E' });
  const acme = sandbox.seedOrganization({ name: 'Acme', external_id: 'org-a' });
  const frank = sandbox.seedUser({ email: 'frank@example.com', external_id: 'u6', first_name: 'Frank', last_name: 'F' });
  sandbox.seedMembership({ user_id: frank.id, organization_id: acme.id, role_slug: 'admin' });

  const journalPath = path.join(dir, 'run.db');
  const result = await runCli(['run', '--source', 'file', '--file', 'users.csv', '--journal', journalPath, '--keep-existing-roles', ...rateFlags(FAST_LIMITS)], {
    cwd: dir,
    env: sandboxEnv(sandbox),
  });
  expect(result.code, result.stderr).toBe(0);
  const journal = (open.journal = Journal.open(journalPath));
  expect(journal.counts().membership.done).toBe(6);
  const users = [...sandbox.state.users.values()];
  const orgs = [...sandbox.state.organizations.values()];
  const userId = (s: string) => users.find((u) => u.external_id === s)!.id;
  const orgId = (s: string) => orgs.find((o) => o.external_id === s)!.id;
  return {
    sandbox,
    journal,
    target: targetFor(sandbox),
    workos: sdkFor(sandbox),
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


describe('runVerification against the sandbox', () => {
  it('without a progress listener reports real counts of what it checked', async () => {
    const m = await migrate();
    const report = await runVerification(m.journal, m.target);
    expect(check(report, 'organizations')).toMatchObject({ status: 'pass', counts: { checked: 3, total: 3, failed: 0 } });
    expect(check(report, 'users')).toMatchObject({ status: 'pass', detail: '6 of 6 checked match', counts: { checked: 6, total: 6, failed: 0 } });
    expect(check(report, 'memberships')).toMatchObject({ counts: { checked: 6, total: 6, failed: 0 } });
    expect(check(report, 'memberships').detail).toMatch(/^5 of 6 checked match; 1 to look at$/);
    expect(report.checks.some((c) => c.status === 'fail')).toBe(false);
  }, 120_000);

  it('reports a membership kept at another role by --keep-existing-roles as a warning with the example, not a pass', async () => {
    const m = await migrate();
    const report = await runVerification(m.journal, m.target, { onProgress: () => {} });
    expect(check(report, 'memberships')).toMatchObject({
      status: 'warn',
      examples: ['u6 in org-a: kept at admin by --keep-existing-roles; the source role member maps to member'],
    });
  }, 120_000);

  it('catches a missing organization', async () => {
    const m = await migrate();
    await m.workos.organizations.deleteOrganization(m.orgId('org-c'));
    const report = await runVerification(m.journal, m.target);
    expect(check(report, 'organizations')).toMatchObject({
      status: 'fail',
      counts: { checked: 3, failed: 1 },
      examples: [expect.stringMatching(/^Initech \[org-c\]: no organization with this external id in WorkOS/)],
    });
    expect(m.journal.phase).not.toBe('verified');
  }, 120_000);

  it('catches a deleted membership', async () => {
    const m = await migrate();
    await m.workos.userManagement.deleteOrganizationMembership(m.membershipId('u3', 'org-b'));
    const report = await runVerification(m.journal, m.target);
    const memberships = check(report, 'memberships');
    expect(memberships).toMatchObject({ status: 'fail', counts: { checked: 6, failed: 1, warned: 1 } });
    expect(memberships.examples).toContain('u3 in org-b: no membership in WorkOS');
  }, 120_000);

  it('catches a wrong role against the source and the mapping, even where the journal echoes what WorkOS had', async () => {
    const m = await migrate();
    // alice is made admin, and the journal holds that answer (as a look-up after a crash records
    // what WorkOS has): the source says member.
    await m.workos.userManagement.updateOrganizationMembership(m.membershipId('u1', 'org-a'), { roleSlug: 'admin' });
    journalSql(m.journal, `UPDATE memberships SET role_slugs = '["admin"]' WHERE user_source_id = 'u1'`);
    const report = await runVerification(m.journal, m.target);
    const memberships = check(report, 'memberships');
    expect(memberships).toMatchObject({ status: 'fail', counts: { failed: 1 } });
    expect(memberships.examples).toContain('u1 in org-a: role admin, expected member (source role member)');
  }, 120_000);

  it('catches a wrong external id on an adopted user', async () => {
    const m = await migrate();
    // erin was adopted by external id; someone gives her another.
    await m.workos.userManagement.updateUser({ userId: m.userId('u5'), externalId: 'crm-991' });
    const report = await runVerification(m.journal, m.target);
    expect(check(report, 'users')).toMatchObject({
      status: 'fail',
      counts: { checked: 6, failed: 1 },
      examples: ['erin@example.com (adopted): external id is crm-991, expected u5'],
    });
  }, 120_000);
});

describe('runVerification on journal rows the importer writes (merged duplicates, invited members)', () => {
  const settings = (extra: Partial<RunSettings>): RunSettings => ({
    version: 1,
    source: { kind: 'stytch-b2b', options: {} },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    roleMap: { stytch_member: 'member', stytch_admin: 'admin' },
    createdAt: new Date().toISOString(),
    ...extra,
  });

  /** WorkOS holds ann in Acme as member; the journal: ann kept, her duplicate merged into her, both in Acme. */
  async function setUp(extra: Partial<RunSettings>) {
    const sandbox = (open.sandbox = await startSandbox({ limits: FAST_LIMITS }));
    const acme = sandbox.seedOrganization({ name: 'Acme', external_id: 'org-1' });
    const ann = sandbox.seedUser({ email: 'ann@example.com', external_id: 'keep' });
    const membership = sandbox.seedMembership({ user_id: ann.id, organization_id: acme.id, role_slug: 'member' });
    const journal = (open.journal = Journal.create(path.join(tempDir('wm-verify-'), 'j.db'), settings(extra)));
    journal.stageBatch({
      organizations: [{ sourceId: 'org-1', name: 'Acme', domains: [] }],
      users: [
        { sourceId: 'keep', email: 'ann@example.com' },
        { sourceId: 'dupe', email: 'Ann@Example.com' },
        { sourceId: 'inv', email: 'ivy@example.com' },
      ],
      memberships: [
        // Only the duplicate's membership reached Acme (the kept user's came from nowhere else).
        { userSourceId: 'dupe', orgSourceId: 'org-1', roles: ['stytch_member'], sourceRef: 'member-dupe' },
        { userSourceId: 'inv', orgSourceId: 'org-1', roles: ['stytch_member'], status: 'invited', sourceRef: 'member-inv' },
      ],
    });
    const ivy = sandbox.seedUser({ email: 'ivy@example.com', external_id: 'inv' });
    journalSql(journal, `UPDATE organizations SET state = 'done', outcome = 'adopted', workos_id = ?`, acme.id);
    journalSql(journal, `UPDATE users SET state = 'done', outcome = 'adopted', workos_id = ? WHERE source_id = 'keep'`, ann.id);
    journalSql(journal, `UPDATE users SET state = 'done', outcome = 'created', workos_id = ? WHERE source_id = 'inv'`, ivy.id);
    journalSql(journal, `UPDATE users SET state = 'skipped', error_code = 'duplicate_email', merged_into = 'keep' WHERE source_id = 'dupe'`);
    journalSql(journal, `UPDATE memberships SET state = 'done', outcome = 'adopted', workos_id = ? WHERE user_source_id = 'dupe'`, membership.id);
    return { sandbox, journal, acme, membership, target: targetFor(sandbox), workos: sdkFor(sandbox) };
  }

  it("checks a merged duplicate's membership on its kept user, and catches it gone", async () => {
    const s = await setUp({ invitedMembers: 'skip' });
    // As the import leaves an invited member under skip.
    journalSql(s.journal, `UPDATE memberships SET state = 'skipped', error_code = 'invited' WHERE user_source_id = 'inv'`);
    let report = await runVerification(s.journal, s.target);
    // The duplicate is not a user of its own in WorkOS; its membership is ann's.
    expect(check(report, 'users')).toMatchObject({ status: 'pass', counts: { checked: 2, total: 2 } });
    expect(check(report, 'memberships')).toMatchObject({ status: 'pass', counts: { checked: 1, total: 1 } });
    expect(check(report, 'invited')).toMatchObject({ status: 'info', detail: expect.stringMatching(/^1 not imported, by your choice/) });

    await s.workos.userManagement.deleteOrganizationMembership(s.membership.id);
    report = await runVerification(s.journal, s.target);
    expect(check(report, 'memberships')).toMatchObject({ status: 'fail', examples: ['dupe in org-1: no membership in WorkOS'] });
  }, 120_000);

  it('invited members sent an invitation: an invitation is expected instead of a membership, and one revoked is caught', async () => {
    const s = await setUp({ invitedMembers: 'invite' });
    const invitation = await s.workos.userManagement.sendInvitation({ email: 'ivy@example.com', organizationId: s.acme.id });
    journalSql(s.journal, `UPDATE memberships SET state = 'done', outcome = 'created', imported_as = 'invitation', workos_id = ? WHERE user_source_id = 'inv'`, invitation.id);
    let report = await runVerification(s.journal, s.target);
    expect(check(report, 'memberships')).toMatchObject({ status: 'pass', counts: { checked: 1, total: 1 } });
    expect(check(report, 'invited')).toMatchObject({ status: 'pass', counts: { checked: 1, total: 1 } });

    await s.workos.userManagement.revokeInvitation(invitation.id);
    report = await runVerification(s.journal, s.target);
    expect(check(report, 'invited')).toMatchObject({ status: 'fail', examples: [expect.stringMatching(/^ivy@example\.com in org-1: no pending or accepted invitation/)] });

    // A target that cannot list invitations says so: neither a pass nor a failure.
    const blind = new Proxy(s.target, { get: (t, key) => (key === 'findInvitation' ? undefined : Reflect.get(t, key)) });
    report = await runVerification(s.journal, blind);
    expect(check(report, 'invited')).toMatchObject({ status: 'info', detail: expect.stringMatching(/cannot list invitations/) });
  }, 120_000);
});
