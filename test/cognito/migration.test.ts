/**
 * Cognito end to end through the official SDK over HTTP: a pool of 1,000 users (password users,
 * Google / Facebook / Apple / SAML federated users, temporary passwords, required resets, disabled
 * and phone-only users, `custom:*` attributes) with three groups, into one WorkOS organization
 * with the groups as roles. The export is stopped in the middle of ListUsers and again in the
 * middle of the groups' members, the import once in the middle; each resumed from the journal.
 * WorkOS ends exact, no page was read twice, and since no hash can leave Cognito every password
 * user is in password-resets.csv with the reason (federated ones named as social sign-ins).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { attributesOf, expectedCognitoState, generateCognitoPool, startFakeCognito, type CognitoPool, type FakeCognito } from '../../src/sandbox/cognito/index.js';
import { createEventBus } from '../../src/services/events.js';
import { runExport } from '../../src/services/export/exporter.js';
import { Importer } from '../../src/services/import/importer.js';
import { Journal } from '../../src/services/journal/journal.js';
import { writeReports } from '../../src/services/report/report.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { stopWhen } from '../auth0/util.js';
import { csvRows, expectWorkOSHoldsPool, newCognitoJournal, providerFor, ROLES } from './util.js';

/** Cognito keeps its hashes: the reset list says so, not "no password in the source". */
const COGNITO_NO_PASSWORD = 'Cognito never releases password hashes: a password reset, or the lazy migration (workos-migrate lazy)';

const ORG = 'Acme Inc';

describe('Cognito -> journal -> WorkOS sandbox, stopped three times', () => {
  let pool: CognitoPool;
  let fake: FakeCognito;
  let sandbox: Sandbox;
  let journalFile: string;

  beforeAll(async () => {
    pool = generateCognitoPool({ users: 1000, seed: 21 });
    fake = await startFakeCognito({ pool });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
    journalFile = newCognitoJournal({ userPoolId: pool.id, organization: ORG });
  });
  afterAll(async () => {
    await fake?.close();
    await sandbox?.close();
  });

  const provider = () => providerFor(fake, { organization: ORG, pageSize: 50 });

  it('stages every record once across a stop in ListUsers and one in the groups\' members', async () => {
    const bus = createEventBus();

    // Run 1: stopped after five pages of users.
    let journal = Journal.open(journalFile);
    const stop1 = new AbortController();
    let userPages = 0;
    const run1 = await runExport(journal, stopWhen(provider(), (b) => (b.users?.length ? ++userPages : 0) >= 5, stop1), bus, { signal: stop1.signal });
    expect(run1.completed).toBe(false);
    const cursor1 = JSON.parse(journal.cursor('cognito')!.cursor);
    expect(cursor1).toMatchObject({ phase: 'users', users: 250, groups: ['admin', 'editor', 'viewer'] });
    expect(cursor1.token).not.toBe('');
    expect(journal.counts().user.total).toBeLessThanOrEqual(250);
    journal.close();

    // Run 2: goes on from the saved token; stopped after three pages of group members.
    journal = Journal.open(journalFile);
    const stop2 = new AbortController();
    let memberPages = 0;
    const run2 = await runExport(journal, stopWhen(provider(), (b) => (b.memberships?.some((m) => m.roles.length) ? ++memberPages : 0) >= 3, stop2), bus, { signal: stop2.signal });
    expect(run2.completed).toBe(false);
    const cursor2 = JSON.parse(journal.cursor('cognito')!.cursor);
    // The admin group's 100 members in two pages, then the editors' first page: their second is next.
    expect(cursor2).toMatchObject({ phase: 'members', users: 1000, members: 150, group: 1 });
    expect(cursor2.token).not.toBe('');
    journal.close();

    // Run 3: to the end.
    journal = Journal.open(journalFile);
    const run3 = await runExport(journal, provider(), bus);
    expect(run3.completed).toBe(true);
    expect(JSON.parse(journal.cursor('cognito')!.cursor).phase).toBe('done');

    const stats = fake.stats();
    // Every page once: the stops lost nothing and repeated nothing.
    expect(stats.repeatedPages).toEqual([]);
    expect(stats.byOperation.ListUsers).toBe(1000 / 50);
    expect(stats.byOperation.ListGroups).toBe(1);
    // On a loaded machine the client's clock and the fake's window may disagree once or twice: each
    // 429 is waited out (the state below stays exact). The pace itself is measured in
    // bench/cognito-export.ts, not here.
    expect(stats.rateLimited).toBeLessThanOrEqual(3);

    const expected = expectedCognitoState(pool);
    const counts = journal.counts();
    expect(counts.user.total).toBe(1000 - expected.noEmail.length);
    expect(counts.user.skipped).toBe(expected.disabled.length);
    expect(counts.organization.total).toBe(1);
    expect(counts.membership.total).toBe(counts.user.total);
    const roles = journal.all<{ slug: string }>('SELECT slug FROM roles').map((r) => r.slug);
    expect(roles.sort()).toEqual(['admin', 'editor', 'viewer']);
    // Each member carries all of their groups (the journal adds them up across the listings).
    const staged = new Map(journal.all<{ user_source_id: string; roles: string }>('SELECT user_source_id, roles FROM memberships').map((m) => [m.user_source_id, JSON.parse(m.roles) as string[]]));
    for (const u of expected.users) expect(staged.get(u.sub)!.sort(), u.email).toEqual([...u.groups].sort());
    // The plan's first word on passwords, and the disabled users left out with the reason.
    const notice = journal.all<{ message: string }>(`SELECT message FROM issues WHERE field = 'password' AND record_kind IS NULL`);
    expect(notice).toHaveLength(1);
    expect(notice[0].message).toMatch(/lazy-migration module/);
    const left = journal.all<{ source_id: string; last_error: string }>(`SELECT source_id, last_error FROM users WHERE error_code = 'left_out'`);
    expect(left.map((l) => l.source_id).sort()).toEqual([...expected.disabled].sort());
    journal.close();
  }, 120_000);

  it('imports exactly the pool into WorkOS, stopped once in the middle; every password user is in password-resets.csv', async () => {
    const expected = expectedCognitoState(pool);
    // The editor group becomes WorkOS's member role; the others keep their names.
    const roleMap = { admin: 'admin', editor: 'member', viewer: 'viewer' };
    const target = () => new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS });

    let journal = Journal.open(journalFile);
    const stop = new AbortController();
    const watch = setInterval(() => {
      if (sandbox.state.users.size >= 400) stop.abort();
    }, 5);
    const first = await new Importer(journal, target(), createEventBus(), { roleMap, defaultRole: 'member', signal: stop.signal }).run();
    clearInterval(watch);
    expect(first.stopped).toBe(true);
    expect(sandbox.state.users.size).toBeLessThan(expected.users.length);
    journal.close();

    journal = Journal.open(journalFile);
    const second = await new Importer(journal, target(), createEventBus(), { roleMap, defaultRole: 'member' }).run();
    expect(second.stopped).toBe(false);
    const counts = journal.counts();
    expect(counts.user).toMatchObject({ done: expected.users.length, failed: 0, adopted: 0 });
    expect(counts.membership).toMatchObject({ done: expected.users.length, failed: 0 });

    expectWorkOSHoldsPool(sandbox, expected, { name: ORG, poolId: pool.id, defaultRole: 'member', roleMap });
    const members = [...sandbox.state.memberships.values()];
    expect(members.some((m) => m.roles.map((r) => r.slug).sort().join() === 'admin,member')).toBe(true);
    expect(members.some((m) => m.roles.some((r) => r.slug === 'editor'))).toBe(false);

    // No hash moved: each password user is named for a reset, each federated one as a social sign-in.
    const reports = writeReports(journal, path.join(tempDir('wm-cognito-reports-'), 'reports'));
    journal.close();
    const resets = new Map(csvRows(reports.passwordResets).map((r) => [r.source_id, r]));
    expect(resets.size).toBe(expected.users.length);
    const byExternal = new Map([...sandbox.state.users.values()].map((u) => [u.external_id, u]));
    for (const u of expected.users) {
      const row = resets.get(u.sub)!;
      expect(row, u.email).toBeDefined();
      expect(row.email).toBe(u.email);
      expect(row.workos_user_id).toBe(byExternal.get(u.sub)!.id);
      if (u.password) expect(row.reason, u.email).toBe(COGNITO_NO_PASSWORD);
      else if (u.social) expect(row.reason).toMatch(new RegExp(`^social sign-in only \\(${u.social}\\)`));
    }
    expect(expected.users.filter((u) => u.password).length).toBeGreaterThan(750);
    expect(Object.keys(expected.social).sort()).toEqual(['apple', 'facebook', 'google']);
    // Disabled users are in left-out.csv, not in the resets.
    const leftOut = csvRows(reports.leftOut);
    expect(leftOut.filter((r) => r.kind === 'user').map((r) => r.source_id).sort()).toEqual([...expected.disabled].sort());
    expect(leftOut.filter((r) => r.kind === 'user').every((r) => /disabled in Cognito/.test(r.reason))).toBe(true);
    // Their memberships are left out with them.
    expect(leftOut.filter((r) => r.kind === 'membership')).toHaveLength(expected.disabled.length);
    for (const sub of expected.disabled) expect(resets.has(sub)).toBe(false);
    // Federated SAML users: imported, and not counted as social.
    const saml = pool.users.filter((u) => attributesOf(u).identities?.includes('"SAML"') && u.Enabled).map((u) => attributesOf(u).sub);
    for (const sub of saml) expect(resets.get(sub)!.reason).toBe(COGNITO_NO_PASSWORD);
  }, 120_000);
});
