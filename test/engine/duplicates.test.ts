import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { writeReports } from '../../src/services/report/report.js';
import { importInto, stagedJournal } from './util.js';

describe('two source users with one email', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS, multipleRoles: true });
  });
  afterAll(() => sandbox.close());

  it('the second is merged into the first: its memberships go to the kept user, roles merged where both are members', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'users.csv');
    fs.writeFileSync(
      file,
      [
        'id,email,first_name,organization_id,organization_name,role',
        'd1,same@example.com,First,o-a,Org A,member',
        'd2,SAME@example.com,Second,o-a,Org A,admin',
        'd2,SAME@example.com,Second,o-b,Org B,member',
        'd3,other@example.com,Other,o-b,Org B,member',
      ].join('\n'),
    );
    const journalPath = path.join(dir, 'dupes.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    // The duplicate user and its merged membership are reported as not imported on their own.
    expect(result.code, result.stderr).toBe(2);

    const users = [...sandbox.state.users.values()];
    expect(users.map((u) => [u.email, u.external_id, u.first_name]).sort()).toEqual([
      ['other@example.com', 'd3', 'Other'],
      ['same@example.com', 'd1', 'First'],
    ]);
    const kept = users.find((u) => u.external_id === 'd1')!;
    const orgId = (externalId: string) => [...sandbox.state.organizations.values()].find((o) => o.external_id === externalId)!.id;
    const membershipsOf = (userId: string) =>
      [...sandbox.state.memberships.values()].filter((m) => m.user_id === userId).map((m) => [m.organization_id, m.roles.map((r) => r.slug).sort()]);
    expect(membershipsOf(kept.id).sort()).toEqual(
      [
        [orgId('o-a'), ['admin', 'member']],
        [orgId('o-b'), ['member']],
      ].sort(),
    );
    // One create per WorkOS membership: nothing sent twice for the same person and organization.
    expect(sandbox.stats().byRoute['POST /user_management/organization_memberships']).toEqual({ 201: 3 });

    const journal = Journal.open(journalPath);
    const d2 = journal.get<{ state: string; error_code: string; merged_into: string; last_error: string }>(`SELECT state, error_code, merged_into, last_error FROM users WHERE source_id = 'd2'`)!;
    const memberships = journal.all<{ org_source_id: string; state: string; error_code: string | null; last_error: string | null; workos_id: string | null }>(
      `SELECT org_source_id, state, error_code, last_error, workos_id FROM memberships WHERE user_source_id = 'd2' ORDER BY org_source_id`,
    );
    journal.close();
    expect(d2).toMatchObject({ state: 'skipped', error_code: 'duplicate_email', merged_into: 'd1' });
    expect(d2.last_error).toMatch(/same email as user d1 .*its memberships are carried by that user; its own name and password are not/);
    expect(memberships[0]).toMatchObject({ org_source_id: 'o-a', state: 'skipped', error_code: 'merged' });
    expect(memberships[0].last_error).toMatch(/same person as user d1 .*its roles admin were added to it/);
    expect(memberships[1]).toMatchObject({ org_source_id: 'o-b', state: 'done' });
    expect(memberships[1].last_error).toMatch(/carried by user d1/);
    expect(memberships[1].workos_id).toMatch(/^om_/);
  });

  it('--retry-failed carries the blocked memberships of duplicates a journal staged before merging', async () => {
    const journal = stagedJournal({
      users: [
        { sourceId: 'old1', email: 'legacy-dupe@example.com' },
        { sourceId: 'old2', email: 'Legacy-Dupe@example.com' },
      ],
      organizations: [{ sourceId: 'old-org', name: 'Legacy Org', domains: [] }],
      memberships: [{ userSourceId: 'old2', orgSourceId: 'old-org', roles: ['member'] }],
    });
    // As an older release left it: the duplicate not linked, its membership blocked for good.
    const [blocked] = journal.workableMemberships(0, 10);
    journal.markSkipped('membership', blocked.id, 'blocked', 'user old2 was not imported (skipped); it is retried with the user');
    const dupe = journal.get<{ id: number }>(`SELECT id FROM users WHERE source_id = 'old2'`)!;
    journal.markSkipped('user', dupe.id, 'duplicate_email', 'same email as user old1');
    journal.all(`UPDATE users SET merged_into = NULL WHERE source_id = 'old2' RETURNING id`);
    await importInto(sandbox, journal);
    expect(journal.get<{ state: string }>(`SELECT state FROM memberships`)!.state).toBe('skipped');

    expect(journal.resetFailed()).toBe(1);
    await importInto(sandbox, journal);
    const membership = journal.get<{ state: string; workos_id: string }>(`SELECT state, workos_id FROM memberships`)!;
    const kept = journal.get<{ workos_id: string }>(`SELECT workos_id FROM users WHERE source_id = 'old1'`)!;
    journal.close();
    expect(membership.state).toBe('done');
    expect(sandbox.state.memberships.get(membership.workos_id)!.user_id).toBe(kept.workos_id);
  });

  it('two duplicates merged into one user, both in an organization the kept user is not in: one membership carries both, with both roles', async () => {
    const journal = stagedJournal({
      users: [
        { sourceId: 'twin-a', email: 'twin@example.com' },
        { sourceId: 'twin-b', email: 'TWIN@example.com' },
        { sourceId: 'twin-c', email: 'Twin@Example.com' },
      ],
      organizations: [{ sourceId: 'twin-org', name: 'Twin Org', domains: [] }],
      memberships: [
        { userSourceId: 'twin-b', orgSourceId: 'twin-org', roles: ['member'], sourceRef: 'member-b' },
        { userSourceId: 'twin-c', orgSourceId: 'twin-org', roles: ['admin'], sourceRef: 'member-c' },
      ],
    });
    sandbox.resetStats();
    await importInto(sandbox, journal);
    const kept = journal.get<{ workos_id: string }>(`SELECT workos_id FROM users WHERE source_id = 'twin-a'`)!;
    const inOrg = [...sandbox.state.memberships.values()].filter((m) => m.user_id === kept.workos_id);
    expect(inOrg.map((m) => m.roles.map((r) => r.slug).sort())).toEqual([['admin', 'member']]);
    // One create, and no role overwritten afterwards.
    expect(sandbox.stats().byRoute['POST /user_management/organization_memberships']).toEqual({ 201: 1 });
    expect(sandbox.stats().byRoute['PUT /user_management/organization_memberships/:id']).toBeUndefined();

    const rows = journal.all<{ id: number; user_source_id: string; state: string; error_code: string | null; carried_by: number | null; workos_id: string | null; last_error: string | null }>(
      `SELECT id, user_source_id, state, error_code, carried_by, workos_id, last_error FROM memberships ORDER BY id`,
    );
    const reports = writeReports(journal);
    journal.close();
    expect(rows.map((r) => [r.user_source_id, r.state, r.error_code])).toEqual([
      ['twin-b', 'done', null],
      ['twin-c', 'skipped', 'merged'],
    ]);
    expect(rows[1].carried_by).toBe(rows[0].id);
    expect(rows[1].last_error).toMatch(/same person as user twin-a .*the membership of twin-b in twin-org .*carries it .*its roles admin were added to it/);
    // Both source membership ids resolve to the one WorkOS membership.
    const memberMap = fs.readFileSync(reports.memberIdMap, 'utf8');
    expect(memberMap).toContain(`member-b,${kept.workos_id},`);
    expect(memberMap).toContain(`member-c,${kept.workos_id},`);
    expect(memberMap.split(rows[0].workos_id!).length - 1).toBe(2);
  });
});

describe('two source users with one email, one with a password', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('the one with a password is kept, whichever came first: a social-only twin does not take the person\'s password away', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'users.csv');
    const hash = '$2b$10$' + 'a'.repeat(53);
    fs.writeFileSync(
      file,
      ['id,email,first_name,password_hash,password_hash_type', 'social-1,twin@example.com,Social,,', `db-1,Twin@example.com,Database,${hash},bcrypt`].join('\n'),
    );
    const journalPath = path.join(dir, 'twins.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code, result.stderr).toBe(2);
    const twin = [...sandbox.state.users.values()].find((u) => u.email.toLowerCase() === 'twin@example.com')!;
    expect(twin.external_id).toBe('db-1');
    expect((sandbox.state.credentials.get(twin.id) as { password_hash?: string } | undefined)?.password_hash).toBe(hash);
    const journal = Journal.open(journalPath);
    const social = journal.get<{ error_code: string; merged_into: string }>(`SELECT error_code, merged_into FROM users WHERE source_id = 'social-1'`)!;
    journal.close();
    expect(social).toEqual({ error_code: 'duplicate_email', merged_into: 'db-1' });
  });
});
