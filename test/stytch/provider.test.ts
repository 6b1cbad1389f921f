/**
 * The Stytch providers' behaviour at the edges, through the real SDK against the fake: 429s,
 * credentials, member status filters, consumer users (phone-only ones), options.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { createStytchB2BProvider, createStytchConsumerProvider } from '../../src/providers/stytch/index.js';
import {
  generateStytchProject,
  memberObject,
  organizationObject,
  startFakeStytch,
  userObject,
  stytchScryptHash,
  writeStytchPasswordExport,
  DEFAULT_POLICY,
  DEFAULT_STYTCH_SCRYPT,
  type FakeStytch,
  type StytchProject,
} from '../../src/sandbox/stytch/index.js';
import { tempDir } from '../helpers.js';
import type { SourceStats } from '../../src/providers/types.js';
import { createEventBus, type MigrationEvent } from '../../src/services/events.js';
import { runExport, SOURCE_STATS_KEY } from '../../src/services/export/exporter.js';
import { collect, flatten, newJournal, scryptPhcVerifies } from './util.js';

const fakes: FakeStytch[] = [];
async function fakeFor(project: StytchProject, options: Partial<Parameters<typeof startFakeStytch>[0]> = {}) {
  const fake = await startFakeStytch({ project, windowMs: 200, ...options });
  fakes.push(fake);
  return fake;
}
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

const conn = (fake: FakeStytch) => ({ projectId: fake.projectId, secret: fake.secret, apiUrl: fake.url });

describe('Stytch B2B provider', () => {
  it('waits out 429s (status in the body) and fetches the same page again: nothing lost, nothing twice', async () => {
    const generated = generateStytchProject({ organizations: 12, members: 300, seed: 3 });
    const { project } = generated;
    // Every member who is not deleted (the default statuses).
    const expected = generated.expectedFor(['active', 'invited', 'pending']);
    // The fake allows 5 searches per 100 ms; the provider is told 4x that, so it runs into 429s.
    const fake = await fakeFor(project, { limit: 5, windowMs: 100 });
    fake.inject429(3);
    const provider = createStytchB2BProvider({ ...conn(fake), ratePerMinute: 20, windowMs: 100, pageSize: 10, orgIdsPerQuery: 4 });
    const { users, memberships, organizations } = flatten(await collect(provider));
    const stats = fake.stats();
    expect(stats.injected429).toBe(3);
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.repeatedPages).toEqual([]);
    expect(organizations.length).toBe(12);
    expect(memberships.length).toBe(expected.memberships.length);
    expect(new Set(users.map((u) => u.sourceId))).toEqual(new Set(expected.users.map((u) => u.sourceId)));
  });

  it('retries 5xx answers and stops quietly when told to while waiting for the pacer', async () => {
    const generated = generateStytchProject({ organizations: 6, members: 120, seed: 4 });
    const { project } = generated;
    const expected = generated.expectedFor(['active', 'invited', 'pending']);
    const fake = await fakeFor(project, { enforceLimits: false });
    fake.inject500(2);
    const out = flatten(await collect(createStytchB2BProvider({ ...conn(fake), windowMs: 100, pageSize: 10 })));
    expect(fake.stats().injected500).toBe(2);
    expect(fake.stats().repeatedPages).toEqual([]);
    expect(out.memberships.length).toBe(expected.memberships.length);

    // 2 requests a second: a stop while the provider waits for its slot ends the export without an error.
    fake.resetStats();
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error('stop')), 300);
    const started = performance.now();
    const partial = await collect(createStytchB2BProvider({ ...conn(fake), ratePerMinute: 120, windowMs: 60_000, pageSize: 10 }), undefined, stop.signal);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(partial.length).toBeLessThan(4);
    expect(fake.stats().repeatedPages).toEqual([]);
  });

  it("gives Stytch's own reason for a wrong secret, as an ExpectedError with the next step", async () => {
    const { project } = generateStytchProject({ organizations: 1, members: 1 });
    const fake = await fakeFor(project);
    const provider = createStytchB2BProvider({ ...conn(fake), secret: 'secret-test-wrong' });
    const error = await provider.check().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpectedError);
    expect((error as Error).message).toMatch(/refused the credentials for project-test-.*unauthorized_credentials: Unauthorized credentials\. Please check your project ID and secret/);
    expect((error as ExpectedError).nextStep).toMatch(/STYTCH_SECRET/);
    // The export says the same, before staging anything.
    await expect(collect(provider)).rejects.toThrow(/unauthorized_credentials/);
    expect(fake.stats().unauthorized).toBe(2);
    // Options are checked before any call.
    expect(() => createStytchB2BProvider({ projectId: 'nope', secret: 'x' })).toThrow(/does not look like a Stytch project id/);
    expect(() => createStytchB2BProvider({ projectId: fake.projectId, secret: '' })).toThrow(/needs the project's secret/);
    expect(() => createStytchB2BProvider({ ...conn(fake), memberStatuses: ['deleted' as 'active'] })).toThrow(/"deleted" is not a member status/);
  });

  it('check() makes one live call and sums the project up', async () => {
    const { project } = generateStytchProject({ organizations: 7, members: 20 });
    const fake = await fakeFor(project);
    const { summary } = await createStytchB2BProvider(conn(fake)).check();
    expect(summary).toMatch(/7 organizations; exporting active, invited, pending members/);
    expect(fake.stats().requests).toBe(1);
  });

  it('exports active, invited and pending members by default, each with its status and member_id; never deleted ones', async () => {
    const generated = generateStytchProject({ organizations: 10, members: 400, seed: 5, statusRates: { invited: 0.15, pending: 0.1, deleted: 0.1 } });
    const fake = await fakeFor(generated.project, { enforceLimits: false });
    const statusOf = new Map(generated.project.members.map((m) => [m.member_id, m.status]));

    // By default every member who is not deleted is listed, invited and pending ones as such: the
    // operator's invited-members choice decides what becomes of them, not the export.
    const all = flatten(await collect(createStytchB2BProvider({ ...conn(fake), windowMs: 200 })));
    const exp = generated.expectedFor(['active', 'invited', 'pending']);
    expect(all.memberships.length).toBe(exp.memberships.length);
    expect(all.users.length).toBe(exp.users.length);
    expect(new Set(all.memberships.map((m) => m.sourceRef))).toEqual(new Set(exp.memberships.map((m) => m.memberId)));
    for (const m of all.memberships) expect(m.status, m.sourceRef).toBe(statusOf.get(m.sourceRef!));
    const byStatus = (s: string) => all.memberships.filter((m) => m.status === s).length;
    expect(byStatus('invited')).toBeGreaterThan(20);
    expect(byStatus('pending')).toBeGreaterThan(10);
    expect(byStatus('active')).toBe(generated.expected.memberships.length);

    // Asked for active members only: no other status comes out.
    const activeOnly = flatten(await collect(createStytchB2BProvider({ ...conn(fake), windowMs: 200, memberStatuses: ['active'] })));
    expect(new Set(activeOnly.memberships.map((m) => statusOf.get(m.sourceRef!)))).toEqual(new Set(['active']));
    expect(activeOnly.memberships.every((m) => m.status === 'active')).toBe(true);
    expect(activeOnly.memberships.length).toBe(generated.expected.memberships.length);
    expect(generated.project.members.some((m) => m.status === 'deleted')).toBe(true);
  });

  it('stages invited and pending members with their status, and every membership with its member_id', async () => {
    const org = organizationObject({ organization_id: 'organization-test-s', organization_name: 'S', organization_slug: 's' });
    const members = [
      memberObject({ organization_id: org.organization_id, member_id: 'member-test-active', email_address: 'a@example.com', status: 'active' }),
      memberObject({ organization_id: org.organization_id, member_id: 'member-test-invited', email_address: 'i@example.com', status: 'invited', email_address_verified: false }),
      memberObject({ organization_id: org.organization_id, member_id: 'member-test-pending', email_address: 'p@example.com', status: 'pending', email_address_verified: false }),
      memberObject({ organization_id: org.organization_id, member_id: 'member-test-deleted', email_address: 'd@example.com', status: 'deleted' }),
    ];
    const project: StytchProject = { projectId: 'project-test-status', organizations: [org], members, users: [], policy: DEFAULT_POLICY, passwords: [], scrypt: DEFAULT_STYTCH_SCRYPT };
    const fake = await fakeFor(project);
    const { journal } = newJournal('stytch-b2b');
    const result = await runExport(journal, createStytchB2BProvider({ ...conn(fake), windowMs: 200 }), createEventBus());
    expect(result.completed).toBe(true);
    const rows = journal.all<{ user_source_id: string; status: string | null; source_ref: string | null; state: string }>(
      'SELECT user_source_id, status, source_ref, state FROM memberships ORDER BY user_source_id',
    );
    journal.close();
    expect(rows).toEqual([
      { user_source_id: 'a@example.com', status: null, source_ref: 'member-test-active', state: 'pending' },
      { user_source_id: 'i@example.com', status: 'invited', source_ref: 'member-test-invited', state: 'pending' },
      { user_source_id: 'p@example.com', status: 'pending', source_ref: 'member-test-pending', state: 'pending' },
    ]);
  });

  it('maps one person in three organizations to one user and three memberships, with implicit roles told apart', async () => {
    const orgs = ['a', 'b', 'c'].map((x, i) =>
      organizationObject({
        organization_id: `organization-test-${x}`,
        organization_name: `Org ${x}`,
        organization_slug: `org-${x}`,
        email_allowed_domains: [`${x}.example.com`, `${x.toUpperCase()}.example.com`],
        sso_active_connections: i === 0 ? [{ connection_id: 'saml-connection-test-1', display_name: 'Okta', identity_provider: 'okta' }] : [],
        custom_roles: i === 2 ? [{ role_id: 'auditor', description: 'Reads the logs', permissions: [] }] : [],
      }),
    );
    const members = [
      memberObject({ organization_id: orgs[0].organization_id, member_id: 'member-test-1', email_address: 'pat@example.com', name: 'Pat Q Public', email_address_verified: false, mfa_phone_number: '+15550001111', oauth_registrations: [{ provider_type: 'Google', provider_subject: 's', member_oauth_registration_id: 'r' }] }),
      memberObject({
        organization_id: orgs[1].organization_id,
        member_id: 'member-test-2',
        email_address: 'Pat@Example.com',
        name: 'Pat Q Public',
        email_address_verified: true,
        totp_registration_id: 'member-totp-test-1',
        roles: [
          { role_id: 'stytch_member', sources: [{ type: 'direct_assignment' }] },
          { role_id: 'stytch_admin', sources: [{ type: 'sso_connection_group' }] },
        ],
      }),
      memberObject({
        organization_id: orgs[2].organization_id,
        member_id: 'member-test-3',
        email_address: 'pat@example.com',
        name: 'Pat Q Public',
        roles: [
          { role_id: 'stytch_member', sources: [{ type: 'direct_assignment' }] },
          { role_id: 'auditor', sources: [{ type: 'direct_assignment' }] },
          { role_id: 'stytch_admin', sources: [{ type: 'email_assignment' }] },
        ],
      }),
    ];
    const project: StytchProject = { projectId: 'project-test-map', organizations: orgs, members, users: [], policy: DEFAULT_POLICY, passwords: [], scrypt: DEFAULT_STYTCH_SCRYPT };
    const fake = await fakeFor(project);

    const out = flatten(await collect(createStytchB2BProvider({ ...conn(fake), windowMs: 200, verifiedDomains: true })));
    expect(out.users).toEqual([
      expect.objectContaining({ sourceId: 'pat@example.com', email: 'pat@example.com', firstName: 'Pat Q', lastName: 'Public', emailVerified: true, socialProviders: ['google'], mfa: { sms: true, totp: true } }),
    ]);
    expect(out.memberships.map((m) => [m.orgSourceId, m.userSourceId, m.roles])).toEqual([
      ['organization-test-a', 'pat@example.com', ['stytch_member']],
      ['organization-test-b', 'pat@example.com', ['stytch_admin', 'stytch_member']],
      ['organization-test-c', 'pat@example.com', ['auditor', 'stytch_admin', 'stytch_member']],
    ]);
    expect(out.organizations[0]).toMatchObject({ domains: [{ domain: 'a.example.com', state: 'verified' }], metadata: { stytch_slug: 'org-a' } });
    expect(out.roles.map((r) => r.slug)).toEqual(['stytch_admin', 'stytch_member', 'billing_viewer', 'auditor']);
    const roleIssues = out.issues.filter((i) => i.field === 'roles');
    expect(roleIssues.map((i) => [i.sourceId, i.severity])).toEqual([
      ['pat@example.com@organization-test-b', 'warning'],
      ['pat@example.com@organization-test-c', 'warning'],
    ]);
    expect(roleIssues[0].message).toMatch(/stytch_admin through an SSO group/);
    expect(roleIssues[1].message).toMatch(/stytch_admin through an email-domain rule/);
    expect(out.issues.filter((i) => i.field === 'sso').map((i) => i.sourceId)).toEqual(['organization-test-a']);
    expect(out.issues.filter((i) => i.field === 'mfa').map((i) => i.message)).toEqual([
      expect.stringMatching(/SMS codes as a second factor.*re-enroll/),
      expect.stringMatching(/authenticator app \(TOTP\).*re-enroll/),
    ]);

    // implicitRoles: 'drop' leaves them out and says so.
    const dropped = flatten(await collect(createStytchB2BProvider({ ...conn(fake), windowMs: 200, implicitRoles: 'drop' })));
    expect(dropped.memberships.map((m) => m.roles)).toEqual([['stytch_member'], ['stytch_member'], ['auditor', 'stytch_member']]);
    expect(dropped.issues.filter((i) => i.field === 'roles').every((i) => /left out/.test(i.message))).toBe(true);
  });

  it('attaches converted hashes by member id, and reports a hash that arrives after its user was staged', async () => {
    const orgs = ['a', 'b'].map((x) => organizationObject({ organization_id: `organization-test-${x}`, organization_name: x, organization_slug: x }));
    const members = [
      memberObject({ organization_id: orgs[0].organization_id, member_id: 'member-test-1', email_address: 'lee@example.com' }),
      memberObject({ organization_id: orgs[1].organization_id, member_id: 'member-test-2', email_address: 'lee@example.com' }),
      memberObject({ organization_id: orgs[1].organization_id, member_id: 'member-test-3', email_address: 'kim@example.com' }),
    ];
    const project: StytchProject = { projectId: 'project-test-pw', organizations: orgs, members, users: [], policy: DEFAULT_POLICY, passwords: [], scrypt: DEFAULT_STYTCH_SCRYPT };
    const lee = stytchScryptHash('lee-pw', DEFAULT_STYTCH_SCRYPT);
    const kim = stytchScryptHash('kim-pw', DEFAULT_STYTCH_SCRYPT);
    const file = path.join(tempDir(), 'pw.csv');
    writeStytchPasswordExport(
      file,
      [
        { id: 'member-test-2', ...lee, hash_method: 'scrypt' },
        { id: 'member-test-3', ...kim, hash_method: 'scrypt' },
        { id: 'member-test-9', hash: 'abc', salt: 'x', hash_method: 'md5' },
      ],
      DEFAULT_STYTCH_SCRYPT,
    );
    const fake = await fakeFor(project);
    // One organization per query: lee is staged from org a (no hash) before org b's page has one.
    const provider = createStytchB2BProvider({ ...conn(fake), windowMs: 200, orgIdsPerQuery: 1, passwordExportPath: file });
    expect((await provider.check()).summary).toMatch(/2 password hashes in pw\.csv \(1 row cannot be imported\)/);
    const out = flatten(await collect(provider));
    const kimUser = out.users.find((u) => u.sourceId === 'kim@example.com')!;
    expect(kimUser.passwordHashType).toBe('scrypt');
    expect(scryptPhcVerifies(kimUser.passwordHash!, 'kim-pw')).toBe(true);
    const late = out.issues.filter((i) => i.field === 'passwordHash');
    expect(late.map((i) => [i.sourceId ?? i.location, i.severity])).toEqual([
      ['pw.csv:6', 'warning'],
      ['lee@example.com', 'warning'],
    ]);
    expect(late[1].message).toMatch(/already staged without one/);
    expect(JSON.stringify(out.issues)).not.toContain(lee.hash);
  });
});

describe('Stytch metadata -> WorkOS metadata', () => {
  // 60 flat keys: more than WorkOS's 50.
  const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${String(i).padStart(2, '0')}`, `v${i}`]));
  type IssueRow = { severity: string; field: string | null; record_kind: string | null; source_id: string | null; message: string };

  it("carries organizations' trusted_metadata (flat, nested, not strings) into the staged metadata, and reports each key left out", async () => {
    const orgs = [
      organizationObject({
        organization_id: 'organization-test-flat',
        organization_name: 'Flat',
        organization_slug: 'flat',
        trusted_metadata: { plan: 'pro', seats: 25, beta: true, tags: ['a', 'b'], none: null },
      }),
      organizationObject({
        organization_id: 'organization-test-nested',
        organization_name: 'Nested',
        organization_slug: 'nested',
        organization_external_id: 'crm-7',
        trusted_metadata: { billing: { plan: 'pro', address: { country: 'FR' } }, features: {} },
      }),
      organizationObject({
        organization_id: 'organization-test-over',
        organization_name: 'Over',
        organization_slug: 'over',
        trusted_metadata: {
          ['k'.repeat(41)]: 'a value behind too long a key',
          note: 'n'.repeat(601),
          profile: { preferences: { email_digest_frequency: 'weekly-secret' } },
          stytch_slug: 'not-the-slug',
          ...many,
        },
      }),
    ];
    const members = [
      memberObject({ organization_id: orgs[0].organization_id, member_id: 'member-test-m', email_address: 'm@example.com', trusted_metadata: { employee_id: 'E-1' }, untrusted_metadata: { theme: 'dark' } }),
      memberObject({ organization_id: orgs[1].organization_id, member_id: 'member-test-n', email_address: 'n@example.com' }),
    ];
    const project: StytchProject = { projectId: 'project-test-meta', organizations: orgs, members, users: [], policy: DEFAULT_POLICY, passwords: [], scrypt: DEFAULT_STYTCH_SCRYPT };
    const fake = await fakeFor(project);
    const { journal } = newJournal('stytch-b2b');
    expect((await runExport(journal, createStytchB2BProvider({ ...conn(fake), windowMs: 200 }), createEventBus())).completed).toBe(true);
    const staged = new Map(
      journal.all<{ source_id: string; metadata: string | null; state: string }>('SELECT source_id, metadata, state FROM organizations').map((o) => [o.source_id, o]),
    );
    const issues = journal.all<IssueRow>('SELECT severity, field, record_kind, source_id, message FROM issues');
    journal.close();

    expect(JSON.parse(staged.get('organization-test-flat')!.metadata!)).toEqual({ stytch_slug: 'flat', plan: 'pro', seats: '25', beta: 'true', tags: '["a","b"]' });
    expect(JSON.parse(staged.get('organization-test-nested')!.metadata!)).toEqual({
      stytch_slug: 'nested',
      stytch_external_id: 'crm-7',
      'billing.plan': 'pro',
      'billing.address.country': 'FR',
    });
    // Over the limits: imported all the same, with the 50 keys that fit.
    const over = staged.get('organization-test-over')!;
    expect(over.state).toBe('pending');
    const overMetadata = JSON.parse(over.metadata!) as Record<string, string>;
    expect(Object.keys(overMetadata)).toHaveLength(50);
    expect(overMetadata).toMatchObject({ stytch_slug: 'over', k00: 'v0', k48: 'v48' });

    const dropped = issues.filter((i) => i.source_id === 'organization-test-over' && i.field?.startsWith('metadata'));
    expect(dropped.every((i) => i.severity === 'warning' && i.record_kind === 'organization')).toBe(true);
    expect(dropped.map((i) => i.field)).toEqual([
      `metadata.${'k'.repeat(41)}`,
      'metadata.note',
      'metadata.profile.preferences.email_digest_frequency',
      'metadata.stytch_slug',
      ...Array.from({ length: 11 }, (_, i) => `metadata.k${49 + i}`),
    ]);
    expect(dropped[0].message).toMatch(/^trusted_metadata key "k{41}" is not carried into WorkOS metadata: the key is 41 characters, WorkOS allows at most 40/);
    expect(dropped[1].message).toMatch(/"note" .*its value is 601 characters, WorkOS allows at most 600/);
    expect(dropped[2].message).toMatch(/"profile\.preferences\.email_digest_frequency" .*the key is 42 characters/);
    expect(dropped[3].message).toMatch(/"stytch_slug" .*the key is already set/);
    expect(dropped[4].message).toMatch(/"k49" .*at most 50 metadata keys/);
    // Values are never repeated in messages.
    expect(JSON.stringify(dropped)).not.toMatch(/weekly-secret|a value behind|nnnnnnnn|not-the-slug/);
    expect(issues.filter((i) => i.source_id?.startsWith('organization-test-') && i.source_id !== 'organization-test-over' && i.field?.startsWith('metadata'))).toEqual([]);

    // A member's metadata has no WorkOS home: said, not dropped silently.
    const memberIssues = issues.filter((i) => i.record_kind === 'membership' && i.field === 'metadata');
    expect(memberIssues.map((i) => i.source_id)).toEqual(['m@example.com@organization-test-flat']);
    expect(memberIssues[0].message).toMatch(/member-test-m has trusted_metadata \("employee_id"\) and untrusted_metadata \("theme"\); WorkOS memberships hold no metadata/);
    expect(memberIssues[0].message).not.toMatch(/E-1|dark/);
  });

  it("carries consumer users' trusted_metadata, and untrusted_metadata under untrusted., into the staged users", async () => {
    const email = (id: string) => [{ email_id: `email-${id}`, email: `${id}@example.com`, verified: true }];
    const users = [
      userObject({ user_id: 'user-test-flat', emails: email('flat'), trusted_metadata: { plan: 'pro', credits: 12.5 } }),
      userObject({ user_id: 'user-test-nested', emails: email('nested'), trusted_metadata: { org: { id: 'o-1', roles: ['admin'] } }, untrusted_metadata: { ui: { theme: 'dark' } } }),
      userObject({ user_id: 'user-test-over', emails: email('over'), trusted_metadata: { ...many, deep: { ['x'.repeat(40)]: 1 } } }),
      userObject({ user_id: 'user-test-none', emails: email('none') }),
    ];
    const project: StytchProject = { projectId: 'project-test-cmeta', organizations: [], members: [], users, policy: DEFAULT_POLICY, passwords: [], scrypt: DEFAULT_STYTCH_SCRYPT };
    const fake = await fakeFor(project);
    const { journal } = newJournal('stytch');
    expect((await runExport(journal, createStytchConsumerProvider({ ...conn(fake), windowMs: 200 }), createEventBus())).completed).toBe(true);
    const staged = new Map(journal.all<{ source_id: string; metadata: string | null; state: string }>('SELECT source_id, metadata, state FROM users').map((u) => [u.source_id, u]));
    const issues = journal.all<IssueRow>(`SELECT severity, field, record_kind, source_id, message FROM issues WHERE field LIKE 'metadata%'`);
    journal.close();

    expect(JSON.parse(staged.get('user-test-flat')!.metadata!)).toEqual({ plan: 'pro', credits: '12.5' });
    expect(JSON.parse(staged.get('user-test-nested')!.metadata!)).toEqual({ 'org.id': 'o-1', 'org.roles': '["admin"]', 'untrusted.ui.theme': 'dark' });
    expect(staged.get('user-test-none')!.metadata).toBeNull();
    const over = staged.get('user-test-over')!;
    expect(over.state).toBe('pending');
    expect(Object.keys(JSON.parse(over.metadata!))).toEqual(Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`));
    expect(issues.every((i) => i.severity === 'warning' && i.record_kind === 'user' && i.source_id === 'user-test-over')).toBe(true);
    expect(issues.map((i) => i.field)).toEqual([`metadata.deep.${'x'.repeat(40)}`, ...Array.from({ length: 10 }, (_, i) => `metadata.k${50 + i}`)]);
    expect(issues[0].message).toMatch(/^trusted_metadata key "deep\.x{40}" is not carried into WorkOS metadata: the key is 45 characters/);
  });
});

describe('Stytch 429s are said and counted', () => {
  it('B2B: onRateLimited hears every 429 wait; stats() counts requests, 429s and the time waited', async () => {
    const { project, expectedFor } = generateStytchProject({ organizations: 12, members: 240, seed: 6 });
    // The fake allows 4 searches per 100 ms and the provider is told 20: it runs into the limit.
    const fake = await fakeFor(project, { limit: 4, windowMs: 100 });
    fake.inject429(3);
    const provider = createStytchB2BProvider({ ...conn(fake), ratePerMinute: 20, windowMs: 100, pageSize: 10, orgIdsPerQuery: 4 });
    expect(provider.stats!()).toEqual({ requests: 0, rateLimited: 0, waitedMs: 0 });
    const waits: number[] = [];
    const batches: Awaited<ReturnType<typeof collect>> = [];
    for await (const batch of provider.export({ onRateLimited: (ms) => waits.push(ms) })) batches.push(batch);

    const server = fake.stats();
    const stats = provider.stats!();
    expect(server.injected429).toBe(3);
    expect(stats.rateLimited).toBe(server.rateLimited + server.injected429);
    expect(waits).toHaveLength(stats.rateLimited);
    expect(waits.every((ms) => ms > 0 && ms <= 100)).toBe(true);
    expect(stats.requests).toBe(server.requests);
    expect(stats.waitedMs).toBeGreaterThan(0);
    // And nothing was lost to them.
    expect(server.repeatedPages).toEqual([]);
    expect(flatten(batches).memberships.length).toBe(expectedFor(['active', 'invited', 'pending']).memberships.length);
  });

  it('consumer: the exporter shows the waits and keeps the counts in the journal', async () => {
    const { project } = generateStytchProject({ organizations: 0, members: 0, consumerUsers: 60, seed: 12 });
    const fake = await fakeFor(project, { consumerLimit: 1000, windowMs: 200 });
    fake.inject429(2);
    const provider = createStytchConsumerProvider({ ...conn(fake), windowMs: 200, pageSize: 20 });
    const { journal } = newJournal('stytch');
    const bus = createEventBus();
    const events: MigrationEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const result = await runExport(journal, provider, bus);
    const saved = journal.getMeta<SourceStats>(SOURCE_STATS_KEY);
    journal.close();

    expect(result.completed).toBe(true);
    expect(events.filter((e) => e.type === 'rate_limited' && e.bucket === 'source')).toHaveLength(2);
    expect(events.some((e) => e.type === 'notice' && /Stytch answered 429/.test(e.message))).toBe(true);
    const stats = provider.stats!();
    expect(stats).toMatchObject({ requests: fake.stats().requests, rateLimited: 2 });
    expect(stats.requests).toBe(3 + 2);
    expect(saved).toEqual(stats);
    expect(result.sourceStats).toEqual(stats);
  });
});

describe('Stytch consumer provider', () => {
  it('exports users page by page, resumes at the saved cursor, and reports phone-only users', async () => {
    const { project } = generateStytchProject({ organizations: 0, members: 0, consumerUsers: 120, phoneOnlyRate: 0.1, seed: 9 });
    const fake = await fakeFor(project, { consumerLimit: 150, windowMs: 200 });
    const make = () => createStytchConsumerProvider({ ...conn(fake), windowMs: 200, pageSize: 25 });
    expect((await make().check()).summary).toMatch(/120 users/);
    fake.resetStats();

    // Stop after two pages, then resume from the last cursor with a new provider.
    const first: Awaited<ReturnType<typeof collect>> = [];
    for await (const batch of make().export({})) {
      first.push(batch);
      if (first.length === 2) break;
    }
    const rest = await collect(make(), first[1].cursor);
    const all = flatten([...first, ...rest]);
    expect(fake.stats().repeatedPages).toEqual([]);
    expect(fake.stats().pagesServed).toBe(5);
    expect(rest.at(-1)!.progress).toEqual({ done: 120, total: 120, unit: 'users' });

    const phoneOnly = project.users.filter((u) => u.emails.length === 0);
    expect(phoneOnly.length).toBeGreaterThan(3);
    expect(all.users.length).toBe(120 - phoneOnly.length);
    const emailIssues = all.issues.filter((i) => i.field === 'email' && i.severity === 'error');
    expect(emailIssues.map((i) => i.sourceId).sort()).toEqual(phoneOnly.map((u) => u.user_id).sort());
    expect(emailIssues[0].message).toMatch(/phone number only .*cannot be migrated/);
    // Phone numbers are masked in messages.
    expect(JSON.stringify(emailIssues)).not.toContain(phoneOnly[0].phone_numbers[0].phone_number);

    // Mapping: first verified email (else the first), first + middle, providers lowercased.
    const withOld = project.users.find((u) => u.emails.length === 2)!;
    const mapped = all.users.find((u) => u.sourceId === withOld.user_id)!;
    const chosen = withOld.emails.find((e) => e.verified) ?? withOld.emails[0];
    expect(mapped.email).toBe(chosen.email);
    expect(mapped.emailVerified).toBe(chosen.verified);
    const middle = project.users.find((u) => u.name?.middle_name && u.emails.length)!;
    expect(all.users.find((u) => u.sourceId === middle.user_id)).toMatchObject({ firstName: `${middle.name!.first_name} ${middle.name!.middle_name}`, lastName: middle.name!.last_name });
    const social = all.users.filter((u) => u.socialProviders?.length);
    expect(social.length).toBeGreaterThan(0);
    expect(social.every((u) => u.socialProviders!.every((p) => p === p.toLowerCase()))).toBe(true);
  });

  it('tells a B2B project from a consumer one by Stytch answer', async () => {
    const { project } = generateStytchProject({ organizations: 1, members: 1 });
    const fake = await fakeFor(project);
    const error = await createStytchConsumerProvider({ ...conn(fake), secret: 'wrong' }).check().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/unauthorized_credentials/);
  });
});

describe('the fake Stytch answers like the reference says', () => {
  it('401, 400 without organization_ids, 400 over limit 1000, 429 body, request_id and status_code in every body', async () => {
    const { project } = generateStytchProject({ organizations: 3, members: 10 });
    const fake = await fakeFor(project, { limit: 2, windowMs: 60_000 });
    const auth = `Basic ${Buffer.from(`${fake.projectId}:${fake.secret}`).toString('base64')}`;
    const post = async (p: string, body: unknown, authorization = auth) => {
      const res = await fetch(new URL(p, fake.url), { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const unauthorized = await post('/v1/b2b/organizations/search', {}, 'Basic bm9wZTpub3Bl');
    expect(unauthorized).toMatchObject({ status: 401, body: { status_code: 401, error_type: 'unauthorized_credentials' } });
    expect(unauthorized.body.request_id).toMatch(/^request-id-test-/);
    const noOrgs = await post('/v1/b2b/organizations/members/search', { limit: 10 });
    expect(noOrgs).toMatchObject({ status: 400, body: { status_code: 400 } });
    const tooMany = await post('/v1/b2b/organizations/search', { limit: 1001 });
    expect(tooMany).toMatchObject({ status: 400, body: { status_code: 400, error_type: 'invalid_limit' } });
    const limited = await post('/v1/b2b/organizations/search', { limit: 1 });
    expect(limited).toMatchObject({
      status: 429,
      body: { status_code: 429, error_type: 'too_many_requests', error_message: 'Too many requests have been made.' },
    });
    expect(fake.stats().rateLimited).toBe(1);
  });
});
