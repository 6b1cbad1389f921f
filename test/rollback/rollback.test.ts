/**
 * Rollback of a finished migration with adopted records: exactly what the journal created is
 * deleted (memberships of adopted users, created users with theirs, created organizations), never
 * an adopted user, organization or membership, nor anything the migration did not touch; an
 * organization someone else has joined since is kept and named. Killed mid-rollback (SIGKILL of the
 * real CLI) and run again: nothing is deleted twice, no error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { rollbackMigration, rollbackOf } from '../../src/services/rollback.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { FAST_LIMITS, journalSql, rateFlags, runCli, sandboxEnv, spawnCli, tempDir } from '../helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rollback', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('deletes exactly what the migration created, keeps what it adopted, and survives a kill mid-way', async () => {
    const dir = tempDir('wm-rollback-');
    const dataset = generateDataset({ users: 60, organizations: 6, memberships: 100, seed: 7 });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file);

    // In WorkOS before the migration: one of its organizations, 15 of its users (10 by external
    // id, 5 by email), their memberships in that organization, and a user and an organization
    // the migration knows nothing of.
    const adoptedOrg = sandbox.seedOrganization({ name: dataset.organizations[0].name, external_id: dataset.organizations[0].sourceId });
    const adoptedUsers = dataset.users.slice(0, 15).map((u, i) =>
      sandbox.seedUser({ email: i < 10 ? u.email : u.email.toUpperCase(), ...(i < 10 ? { external_id: u.sourceId } : {}), first_name: u.firstName, last_name: u.lastName }),
    );
    const stranger = sandbox.seedUser({ email: 'stranger@elsewhere.test', first_name: 'Not', last_name: 'Migrated' });
    const strangerOrg = sandbox.seedOrganization({ name: 'Not Migrated Inc' });
    const seededMemberships = dataset.memberships
      .filter((m) => m.orgSourceId === adoptedOrg.external_id && dataset.users.slice(0, 15).some((u) => u.sourceId === m.userSourceId))
      .map((m) => sandbox.seedMembership({ user_id: adoptedUsers[dataset.users.findIndex((u) => u.sourceId === m.userSourceId)].id, organization_id: adoptedOrg.id, role_slug: m.role }));
    sandbox.seedMembership({ user_id: stranger.id, organization_id: strangerOrg.id });
    expect(seededMemberships.length).toBeGreaterThan(0);

    const journalPath = path.join(dir, 'migration.db');
    const env = sandboxEnv(sandbox);
    const run = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/users: 45 created, 15 adopted/);

    // After the import, someone else joins one of the organizations the migration created.
    const joinedOrg = [...sandbox.state.organizations.values()].find((o) => o.external_id === dataset.organizations[1].sourceId)!;
    const strangersMembership = sandbox.seedMembership({ user_id: stranger.id, organization_id: joinedOrg.id });

    const before = {
      users: new Set(sandbox.state.users.keys()),
      organizations: new Set(sandbox.state.organizations.keys()),
      memberships: new Set(sandbox.state.memberships.keys()),
    };
    const journal = Journal.open(journalPath);
    const created = {
      users: new Set(journal.all<{ workos_id: string }>(`SELECT workos_id FROM users WHERE outcome = 'created'`).map((r) => r.workos_id)),
      organizations: new Set(journal.all<{ workos_id: string }>(`SELECT workos_id FROM organizations WHERE outcome = 'created'`).map((r) => r.workos_id)),
      // Memberships of adopted users the migration created: deleted one by one.
      ofAdopted: journal.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM memberships m JOIN users u ON u.source_id = m.user_source_id WHERE m.outcome = 'created' AND u.outcome = 'adopted'`,
      )!.n,
    };
    journal.close();
    expect(created.users.size).toBe(45);
    expect(created.organizations.size).toBe(5);
    expect(created.ofAdopted).toBeGreaterThan(0);
    const mustStay = {
      users: new Set([...adoptedUsers.map((u) => u.id), stranger.id]),
      organizations: new Set([adoptedOrg.id, strangerOrg.id, joinedOrg.id]),
      memberships: new Set([...sandbox.state.memberships.values()].filter((m) => seededMemberships.some((s) => s.id === m.id) || m.user_id === stranger.id).map((m) => m.id)),
    };
    expect(mustStay.memberships.has(strangersMembership.id)).toBe(true);

    // Without --yes: the plan, the environment named, exit 1, nothing deleted.
    const listed = await runCli(['rollback', '--journal', journalPath], { cwd: dir, env });
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(/test environment/);
    expect(listed.stderr).toMatch(/45 users/);
    expect(listed.stderr).toMatch(/5 organizations/);
    expect(listed.stderr).toMatch(/Kept \(they were in WorkOS before\): 15 users, 1 organization/);
    expect(listed.stderr).toMatch(/Nothing was deleted.*--yes/s);
    expect(new Set(sandbox.state.users.keys())).toEqual(before.users);

    // Slow enough to be killed mid-way: the journal's own writes limit (the sandbox's is looser).
    journalSql({ path: journalPath }, `UPDATE meta SET value = json_set(value, '$.limits.writes', json('{"limit":20,"windowMs":1000}')) WHERE key = 'settings'`);
    sandbox.resetStats();
    const child = spawnCli(['rollback', '--journal', journalPath, '--yes'], { cwd: dir, env });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (before.users.size - sandbox.state.users.size < 5 && Date.now() < deadline) await sleep(5);
    child.kill('SIGKILL');
    await exited;
    expect(before.users.size - sandbox.state.users.size, stderr).toBeGreaterThanOrEqual(5);
    // Killed before the end: users left to delete, organizations untouched.
    expect(sandbox.state.users.size).toBeGreaterThan(mustStay.users.size);
    expect(sandbox.state.organizations.size).toBe(before.organizations.size);
    const midway = Journal.open(journalPath);
    expect(rollbackOf(midway)?.state).toBe('in_progress');
    midway.close();

    // Resume refuses to import into a journal being rolled back; status says so.
    const resumed = await runCli(['resume', '--journal', journalPath], { cwd: dir, env });
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/rolled back/);

    // Run again: it finishes, with no error.
    journalSql({ path: journalPath }, `UPDATE meta SET value = json_set(value, '$.limits.writes', json('{"limit":100,"windowMs":100}')) WHERE key = 'settings'`);
    const again = await runCli(['rollback', '--journal', journalPath, '--yes'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Rollback finished in the test environment/);
    expect(again.stderr).toMatch(/kept organization .*holds memberships this migration did not create/);

    // Exactly what was created is gone; everything adopted or foreign is there, as it was.
    expect(new Set(sandbox.state.users.keys())).toEqual(mustStay.users);
    expect(new Set(sandbox.state.organizations.keys())).toEqual(mustStay.organizations);
    expect(new Set(sandbox.state.memberships.keys())).toEqual(mustStay.memberships);
    for (const id of created.users) expect(sandbox.state.users.has(id)).toBe(false);
    for (const id of created.organizations) if (id !== joinedOrg.id) expect(sandbox.state.organizations.has(id)).toBe(false);

    // Nothing deleted twice: each deletion succeeded once; the ones a kill caught answered 404.
    const stats = sandbox.stats().byRoute;
    expect(stats['DELETE /user_management/users/:id']?.[204]).toBe(45);
    expect(stats['DELETE /user_management/organization_memberships/:id']?.[204]).toBe(created.ofAdopted);
    expect(stats['DELETE /organizations/:id']?.[202]).toBe(4);
    const notFound = (stats['DELETE /user_management/users/:id']?.[404] ?? 0) + (stats['DELETE /user_management/organization_memberships/:id']?.[404] ?? 0);
    expect(notFound).toBeLessThanOrEqual(16); // at most the calls in flight when it was killed

    const done = Journal.open(journalPath);
    const record = rollbackOf(done)!;
    expect(record.state).toBe('done');
    expect(record.deleted).toMatchObject({ users: 45, organizations: 4, memberships: created.ofAdopted });
    expect(record.kept).toBe(1);
    const adoptedTouched = done.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE outcome = 'adopted' AND rollback_state IS NOT NULL`)!.n;
    expect(adoptedTouched).toBe(0);
    done.close();

    const status = await runCli(['status', '--journal', journalPath], { cwd: dir, env });
    expect(status.stderr).toMatch(/rolled back/i);
    const report = await runCli(['report', '--journal', journalPath], { cwd: dir, env });
    expect(report.code, report.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'migration.reports', 'summary.md'), 'utf8')).toMatch(/\*\*Rolled back\*\* .*\(45 users, 4 organizations/);

    // Once more: nothing left to delete, no call that deletes.
    sandbox.resetStats();
    const third = await runCli(['rollback', '--journal', journalPath, '--yes'], { cwd: dir, env });
    expect(third.code, third.stderr).toBe(0);
    expect(Object.keys(sandbox.stats().byRoute).filter((r) => r.startsWith('DELETE'))).toEqual([]);
  }, 180_000);

  it('refuses a key of another environment before deleting anything', async () => {
    const dir = tempDir('wm-rollback-');
    const dataset = generateDataset({ users: 5, organizations: 1, memberships: 5, seed: 3 });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file);
    const journalPath = path.join(dir, 'm.db');
    const run = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(run.code, run.stderr).toBe(0);
    // Another sandbox: the same kind of key, but none of these users.
    const other = await startSandbox({ limits: FAST_LIMITS });
    try {
      const journal = Journal.open(journalPath);
      const target = new WorkOSTarget({ apiKey: other.apiKey, apiUrl: other.url, limits: FAST_LIMITS });
      await expect(rollbackMigration({ env: {} }, journal, { confirm: true, target })).rejects.toThrow(/not in this WorkOS environment/);
      expect(rollbackOf(journal)).toBeUndefined();
      expect(journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE rollback_state IS NOT NULL`)!.n).toBe(0);
      journal.close();
    } finally {
      await other.close();
    }
    expect(sandbox.state.users.size).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
