/**
 * Clerk end to end over real HTTP (plain fetch to the fake Backend API) and the real journal:
 * 1,200 users from the Dashboard export (bcrypt digests of known passwords, other hashers, TOTP
 * secrets, unverified primaries, second addresses, phone-only users), 30 organizations with
 * memberships (org:admin, org:member, the custom org:billing) from the API. The export is stopped
 * in the middle of the file and again in the middle of the memberships, the import once in the
 * middle; each resumed from the journal. WorkOS ends exact, every carried password signs in, and
 * no API page was read twice.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectedClerkState, generateClerkInstance, startFakeClerk, writeClerkExport, type FakeClerk } from '../../src/sandbox/clerk/index.js';
import { createEventBus } from '../../src/services/events.js';
import { runExport } from '../../src/services/export/exporter.js';
import { Importer } from '../../src/services/import/importer.js';
import { Journal } from '../../src/services/journal/journal.js';
import { planOf } from '../../src/services/migration.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { expectWorkOSHolds, FAST_CLERK, mayRepeat, newClerkJournal, providerFor, ROLE_MAP, ROLES, stopWhen, type ClerkCursorView } from './util.js';

describe('Clerk export + API -> journal -> WorkOS sandbox, stopped three times', () => {
  let fake: FakeClerk;
  let sandbox: Sandbox;
  let journalFile: string;
  let exportFile: string;

  beforeAll(async () => {
    const instance = await generateClerkInstance({ users: 1200, organizations: 30, seed: 21 });
    fake = await startFakeClerk({ instance, ...FAST_CLERK });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES });
    exportFile = path.join(tempDir('wm-clerk-files-'), 'users.csv');
    writeClerkExport(exportFile, instance);
  }, 120_000);
  afterAll(async () => {
    await fake?.close();
    await sandbox?.close();
  });

  const provider = () => providerFor(fake, { exportFile, batchSize: 100, orgPageSize: 10, memberPageSize: 20 });

  it('stages every record once across a stop in the export file and one in the memberships', async () => {
    journalFile = newClerkJournal();
    const bus = createEventBus();

    // Run 1: stopped after three batches of the file (300 rows staged).
    let journal = Journal.open(journalFile);
    const stop1 = new AbortController();
    let userBatches = 0;
    const run1 = await runExport(journal, stopWhen(provider(), (b) => (b.users?.length ? ++userBatches : 0) >= 3, stop1), bus, { signal: stop1.signal });
    expect(run1.completed).toBe(false);
    expect(JSON.parse(journal.cursor('clerk')!.cursor)).toMatchObject({ phase: 'csv', row: 300 });
    expect(journal.counts().user.total).toBe(300 - fake.instance.users.slice(0, 300).filter((u) => !u.email_addresses.length).length);
    journal.close();
    expect(fake.stats().byRoute['GET /v1/users'] ?? 0).toBe(0);

    // Run 2: the rest of the file, then stopped in the middle of the memberships.
    journal = Journal.open(journalFile);
    const stop2 = new AbortController();
    let memberBatches = 0;
    const run2 = await runExport(journal, stopWhen(provider(), (b) => (b.memberships?.length ? ++memberBatches : 0) >= 25, stop2), bus, { signal: stop2.signal });
    expect(run2.completed).toBe(false);
    const cursor2 = JSON.parse(journal.cursor('clerk')!.cursor) as ClerkCursorView;
    expect(['members', 'orgs']).toContain(cursor2.phase);
    const repeatable = mayRepeat(fake, cursor2, new Set(journal.all<{ source_id: string }>('SELECT source_id FROM organizations').map((r) => r.source_id)), 20, 10);
    journal.close();
    const pagesBefore = fake.pages().length;

    // Run 3: to the end, from the saved page.
    journal = Journal.open(journalFile);
    const run3 = await runExport(journal, provider(), bus);
    expect(run3.completed).toBe(true);
    expect(JSON.parse(journal.cursor('clerk')!.cursor).phase).toBe('done');
    // No page staged before a stop asked for again (only pages sent ahead and not staged).
    expect(fake.stats().repeatedPages.filter((p) => !repeatable(p))).toEqual([]);
    expect(fake.pages().length).toBeGreaterThan(pagesBefore);
    // Paced under the instance's limit: Clerk never had to say 429.
    expect(fake.stats().rateLimited).toBe(0);
    expect(fake.stats().maxInWindow).toBeLessThanOrEqual(FAST_CLERK.limit);

    const expected = expectedClerkState(fake.instance, { from: 'csv' });
    const counts = journal.counts();
    expect(counts.user.total).toBe(expected.users.length);
    expect(counts.organization.total).toBe(30);
    const allMemberships = [...fake.instance.memberships.values()].reduce((n, l) => n + l.length, 0);
    expect(counts.membership.total).toBe(allMemberships);
    const roles = journal.all<{ slug: string }>('SELECT slug FROM roles').map((r) => r.slug).sort();
    expect(roles).toEqual(['org:admin', 'org:billing', 'org:member']);

    // What does not move is named: phone-only users (an error each), other hashers (their type
    // kept for the plan), second addresses and phone numbers (warnings).
    const issues = journal.all<{ field: string | null; source_id: string | null; message: string; location: string; severity: string }>('SELECT field, source_id, message, location, severity FROM issues');
    const noEmail = issues.filter((i) => i.field === 'primary_email_address' && i.severity === 'error').map((i) => i.source_id).sort();
    expect(noEmail).toEqual([...expected.noEmail].sort());
    for (const i of issues.filter((x) => x.field === 'primary_email_address')) expect(i.location).toMatch(/users\.csv:\d+ \(user_/);
    const others = [...fake.instance.secrets].filter(([, s]) => s.hasher && s.hasher !== 'bcrypt');
    expect(others.length).toBeGreaterThan(0);
    expect(issues.filter((i) => i.field === 'password_hasher').map((i) => i.source_id).sort()).toEqual(others.map(([id]) => id).sort());
    const plan = planOf(journal);
    for (const [, s] of others) expect(plan.hashTypes.map((h) => h.type)).toContain(s.hasher);
    expect(plan.unsupportedHashes).toBe(others.length);
    // Each user without a hash WorkOS takes counts once among the resets.
    expect(plan.withoutPassword + plan.unsupportedHashes).toBe(expected.users.filter((u) => !u.password).length);
    expect(plan.hashTypes.find((h) => h.type === 'bcrypt')!.users).toBe(expected.users.filter((u) => u.password).length);
    expect(plan.totpToEnroll).toBe(expected.users.filter((u) => u.totpSecret).length);
    const second = fake.instance.users.filter((u) => u.email_addresses.length > 1).map((u) => u.id).sort();
    expect(issues.filter((i) => i.field === 'email' && /WorkOS keeps one email address/.test(i.message)).map((i) => i.source_id).sort()).toEqual(second);
    // Hashes never in an issue.
    for (const [, s] of fake.instance.secrets) if (s.digest) expect(issues.some((i) => i.message.includes(s.digest!))).toBe(false);
    journal.close();
  }, 120_000);

  it('imports exactly the instance into WorkOS, stopped once in the middle; every password signs in', async () => {
    const expected = expectedClerkState(fake.instance, { from: 'csv' });
    const target = () => new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS });

    let journal = Journal.open(journalFile);
    const stop = new AbortController();
    const watch = setInterval(() => {
      if (sandbox.state.users.size >= 400) stop.abort();
    }, 5);
    const first = await new Importer(journal, target(), createEventBus(), { roleMap: ROLE_MAP, signal: stop.signal }).run();
    clearInterval(watch);
    expect(first.stopped).toBe(true);
    expect(sandbox.state.users.size).toBeLessThan(expected.users.length);
    journal.close();

    journal = Journal.open(journalFile);
    const second = await new Importer(journal, target(), createEventBus(), { roleMap: ROLE_MAP }).run();
    expect(second.stopped).toBe(false);
    const counts = journal.counts();
    journal.close();
    expect(counts.user).toMatchObject({ done: expected.users.length, failed: 0 });
    expect(counts.membership).toMatchObject({ done: expected.memberships.length, failed: 0 });
    expect(counts.organization).toMatchObject({ done: 30, failed: 0 });
    await expectWorkOSHolds(sandbox, fake, expected);
  }, 120_000);
});
