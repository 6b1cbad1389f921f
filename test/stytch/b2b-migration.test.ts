/**
 * Stytch B2B end to end through the real SDK over HTTP: 50 organizations and 2,000 members (some
 * people in several organizations) exported into a real journal, stopped twice in the middle of
 * paging and resumed from the journal's cursor, then imported into the WorkOS sandbox.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStytchB2BProvider } from '../../src/providers/stytch/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { generateStytchProject, startFakeStytch, writeStytchPasswordExport, type FakeStytch, type GeneratedStytchProject } from '../../src/sandbox/stytch/index.js';
import { createEventBus } from '../../src/services/events.js';
import { runExport } from '../../src/services/export/exporter.js';
import { Importer } from '../../src/services/import/importer.js';
import { Journal } from '../../src/services/journal/journal.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { expectWorkOSHoldsProject, newJournal, scryptPhcVerifies, stopAfter } from './util.js';

const WINDOW_MS = 1_000;

describe('Stytch B2B -> journal -> WorkOS sandbox', () => {
  let generated: GeneratedStytchProject;
  let fake: FakeStytch;
  let sandbox: Sandbox;
  let journalFile: string;
  let passwordFile: string;

  beforeAll(async () => {
    generated = generateStytchProject({ organizations: 50, members: 2_000, sharedEmailRate: 0.2, passwordRate: 0.1, seed: 11 });
    fake = await startFakeStytch({ project: generated.project, limit: 100, windowMs: WINDOW_MS });
    sandbox = await startSandbox({ limits: FAST_LIMITS });
    passwordFile = path.join(tempDir('wm-stytch-pw-'), 'stytch-passwords.csv');
    writeStytchPasswordExport(passwordFile, generated.project.passwords, generated.project.scrypt);
  });
  afterAll(async () => {
    await fake?.close();
    await sandbox?.close();
  });

  const provider = () =>
    createStytchB2BProvider({
      projectId: fake.projectId,
      secret: fake.secret,
      apiUrl: fake.url,
      windowMs: WINDOW_MS,
      // Small pages so that the export spans ~100 pages and can be stopped in the middle.
      pageSize: 20,
      orgIdsPerQuery: 10,
      passwordExportPath: passwordFile,
      // Active members only: what becomes of invited ones is the importer's (see provider.test.ts).
      memberStatuses: ['active'],
    });

  it('stages every organization, user and membership exactly once across two stops, asking for no page twice', async () => {
    const { expected, project } = generated;
    // The data has what the test is about.
    expect(expected.users.length).toBeLessThan(expected.memberships.length - 200);
    expect(expected.organizations.some((o) => o.sso)).toBe(true);

    const bus = createEventBus();
    const created = newJournal('stytch-b2b');
    journalFile = created.file;
    created.journal.close();

    // Run 1: stopped after 7 batches (orgs page 1, then six member pages of its first group).
    let journal = Journal.open(journalFile);
    const stop1 = new AbortController();
    const run1 = await runExport(journal, stopAfter(provider(), 7, stop1), bus, { signal: stop1.signal });
    expect(run1.completed).toBe(false);
    const cursor1 = JSON.parse(journal.cursor('stytch-b2b')!.cursor);
    expect(cursor1).toMatchObject({ phase: 'members', batch: 0 });
    expect(cursor1.member).not.toBe('');
    expect(cursor1.pending.length).toBe(20);
    journal.close();

    // Run 2 (a new process): resumes at the saved cursor, stopped again in the second organization page.
    journal = Journal.open(journalFile);
    const stop2 = new AbortController();
    const run2 = await runExport(journal, stopAfter(provider(), 45, stop2), bus, { signal: stop2.signal });
    expect(run2.completed).toBe(false);
    const cursor2 = JSON.parse(journal.cursor('stytch-b2b')!.cursor);
    expect(cursor2.batch).toBeGreaterThan(cursor1.batch);
    journal.close();

    // Run 3: to the end.
    journal = Journal.open(journalFile);
    const run3 = await runExport(journal, provider(), bus);
    expect(run3.completed).toBe(true);
    expect(JSON.parse(journal.cursor('stytch-b2b')!.cursor).phase).toBe('done');

    // Not one page was asked for twice: resuming started exactly at the next page.
    const stats = fake.stats();
    expect(stats.repeatedPages).toEqual([]);
    expect(stats.rateLimited).toBe(0);
    expect(stats.maxInAnyWindow.b2b).toBeLessThanOrEqual(100);
    // The policy was read once (first run only), the organizations paged once.
    expect(stats.byPath['GET /v1/b2b/rbac/policy']).toBe(1);
    expect(stats.byPath['POST /v1/b2b/organizations/search']).toBe(3);

    // Every record exactly once.
    const orgs = journal.all<{ source_id: string; name: string; domains: string; metadata: string }>('SELECT source_id, name, domains, metadata FROM organizations');
    expect(orgs.map((o) => o.source_id).sort()).toEqual(expected.organizations.map((o) => o.sourceId).sort());
    const users = journal.all<{ source_id: string; email: string; first_name: string | null; last_name: string | null }>('SELECT source_id, email, first_name, last_name FROM users');
    expect(users.length).toBe(expected.users.length);
    expect(new Set(users.map((u) => u.source_id))).toEqual(new Set(expected.users.map((u) => u.sourceId)));
    const byId = new Map(expected.users.map((u) => [u.sourceId, u]));
    for (const u of users) {
      expect(u.email.toLowerCase()).toBe(u.source_id);
      expect(u.first_name ?? undefined).toBe(byId.get(u.source_id)!.firstName);
      expect(u.last_name ?? undefined).toBe(byId.get(u.source_id)!.lastName);
    }
    const memberships = journal.all<{ user_source_id: string; org_source_id: string; roles: string; status: string | null; source_ref: string | null }>(
      'SELECT user_source_id, org_source_id, roles, status, source_ref FROM memberships',
    );
    expect(memberships.length).toBe(expected.memberships.length);
    // Each membership carries its member_id (for the id map), and is active.
    expect(memberships.map((m) => [m.user_source_id, m.org_source_id, m.source_ref]).sort()).toEqual(
      expected.memberships.map((m) => [m.userSourceId, m.orgSourceId, m.memberId]).sort(),
    );
    expect(memberships.every((m) => m.status === null)).toBe(true);
    const expectedKeys = new Set(expected.memberships.map((m) => `${m.userSourceId}|${m.orgSourceId}`));
    expect(new Set(memberships.map((m) => `${m.user_source_id}|${m.org_source_id}`))).toEqual(expectedKeys);
    // Meaningful role first, stytch_member last.
    const expectedRoles = new Map(expected.memberships.map((m) => [`${m.userSourceId}|${m.orgSourceId}`, m]));
    for (const m of memberships) {
      const roles = JSON.parse(m.roles) as string[];
      const exp = expectedRoles.get(`${m.user_source_id}|${m.org_source_id}`)!;
      expect(new Set(roles)).toEqual(new Set(exp.roles));
      expect(roles.at(-1)).toBe('stytch_member');
      if (exp.admin) expect(roles[0]).toBe('stytch_admin');
    }

    // Organizations: domains pending, slug and external id in metadata.
    const sample = project.organizations[0];
    const staged = orgs.find((o) => o.source_id === sample.organization_id)!;
    expect(JSON.parse(staged.domains)).toEqual(sample.email_allowed_domains.map((domain) => ({ domain, state: 'pending' })));
    expect(JSON.parse(staged.metadata)).toEqual({ stytch_slug: sample.organization_slug, stytch_external_id: sample.organization_external_id });

    // Roles: the policy's and the organizations' custom roles, once each.
    const roles = journal.all<{ slug: string; description: string | null }>('SELECT slug, description FROM roles').map((r) => r.slug);
    expect(roles).toEqual(expect.arrayContaining(['stytch_admin', 'stytch_member', 'billing_viewer', ...project.organizations.flatMap((o) => o.custom_roles.map((r) => r.role_id))]));

    // Warnings, once each even across the stops: one per SSO organization, one per SCIM organization.
    const issues = journal.all<{ severity: string; field: string | null; source_id: string | null; message: string }>('SELECT severity, field, source_id, message FROM issues');
    const ssoIssues = issues.filter((i) => i.field === 'sso');
    expect(ssoIssues.map((i) => i.source_id).sort()).toEqual(expected.organizations.filter((o) => o.sso).map((o) => o.sourceId).sort());
    expect(ssoIssues.every((i) => i.severity === 'warning' && /Admin Portal/.test(i.message) && /intent: 'sso'/.test(i.message))).toBe(true);
    expect(issues.filter((i) => i.field === 'scim').length).toBe(expected.organizations.filter((o) => o.scim).length);
    expect(issues.some((i) => i.field === 'mfa' && /SMS/.test(i.message))).toBe(true);
    expect(issues.some((i) => i.field === 'mfa' && /TOTP/.test(i.message))).toBe(true);
    expect(issues.some((i) => i.field === 'roles' && /through an email-domain rule/.test(i.message))).toBe(true);
    // No invalid record, no duplicate email left for finalize to skip.
    expect(run3.duplicateEmails).toBe(0);
    expect(run3.orphanMemberships).toBe(0);
    expect(journal.counts().user.skipped).toBe(0);
    // Password hashes attached by member id, converted to scrypt PHC.
    const hashed = journal.all<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE password_hash_type = 'scrypt'`)[0].n;
    const withRow = new Set(project.passwords.map((p) => p.id));
    const hashedPeople = new Set(project.members.filter((m) => m.status === 'active' && withRow.has(m.member_id)).map((m) => m.email_address.toLowerCase()));
    expect(hashed).toBe(hashedPeople.size);
    expect(hashed).toBeGreaterThan(100);
    // Cross-organization passwords: no hash was found too late for its user.
    expect(issues.filter((i) => i.field === 'passwordHash')).toEqual([]);
    journal.close();
  });

  it('imports exactly the expected users (one per email), organizations and memberships into WorkOS', async () => {
    const { expected, project } = generated;
    const journal = Journal.open(journalFile);
    const target = new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS });
    const result = await new Importer(journal, target, createEventBus(), {
      roleMap: { stytch_admin: 'admin', stytch_member: 'member' },
    }).run();
    expect(result.stopped).toBe(false);
    const counts = journal.counts();
    journal.close();
    expect(counts.user).toMatchObject({ total: expected.users.length, done: expected.users.length, failed: 0 });
    expect(counts.membership).toMatchObject({ total: expected.memberships.length, done: expected.memberships.length, failed: 0 });
    expect(counts.organization).toMatchObject({ total: 50, done: 50 });

    expectWorkOSHoldsProject(sandbox, expected);
    const users = [...sandbox.state.users.values()];

    // Passwords: every hashed person has a scrypt credential that verifies their known password.
    const idByEmail = new Map(users.map((u) => [u.email.toLowerCase(), u.id]));
    const checked = new Set<string>();
    const exportedMembers = new Set(expected.memberships.map((m) => m.memberId));
    for (const row of project.passwords) {
      if (!exportedMembers.has(row.id)) continue;
      const email = project.members.find((m) => m.member_id === row.id)!.email_address.toLowerCase();
      if (checked.has(email)) continue;
      checked.add(email);
      const credential = sandbox.state.credentials.get(idByEmail.get(email)!);
      expect(credential).toMatchObject({ kind: 'hash', password_hash_type: 'scrypt' });
      expect(scryptPhcVerifies((credential as { password_hash: string }).password_hash, row.password)).toBe(true);
    }
    expect(checked.size).toBeGreaterThan(50);
  });
});
