/**
 * Rollback in process: the WorkOS invitations the import sent are revoked (one accepted since is
 * kept and named); a record an interrupted import may have created is named, never deleted; the
 * plan alone writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { rollbackMigration, rollbackOf, rollbackPlan, rollbackPlanLines } from '../../src/services/rollback.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { FAST_LIMITS, journalSql } from '../helpers.js';
import { importInto, stagedJournal } from '../engine/util.js';

describe('rollback (in process)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('revokes the invitations it sent, keeps an accepted one, and never deletes an uncertain record', async () => {
    const journal = stagedJournal({
      organizations: [{ sourceId: 'org-a', name: 'Org A', domains: [] }],
      users: [
        { sourceId: 'u1', email: 'u1@example.com' },
        { sourceId: 'u2', email: 'u2@example.com' },
        { sourceId: 'u3', email: 'u3@example.com' },
        { sourceId: 'u4', email: 'u4@example.com' },
      ],
      memberships: [
        { userSourceId: 'u1', orgSourceId: 'org-a', roles: ['member'] },
        { userSourceId: 'u2', orgSourceId: 'org-a', roles: ['member'], status: 'invited' },
        { userSourceId: 'u3', orgSourceId: 'org-a', roles: ['member'], status: 'invited' },
      ],
    });
    journal.updateSettings({ workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' } });
    const imported = await importInto(sandbox, journal, { invitedMembers: 'invite' });
    expect(imported.stopped).toBe(false);
    const invitations = [...sandbox.state.invitations.values()];
    expect(invitations).toHaveLength(2);
    // One was accepted since: nothing to revoke.
    const accepted = invitations.find((i) => i.email === 'u3@example.com')!;
    accepted.state = 'accepted';
    // An import interrupted mid-create: u4 may be in WorkOS; the rollback does not know it is its own.
    const u4 = [...sandbox.state.users.values()].find((u) => u.external_id === 'u4')!;
    journalSql(journal, `UPDATE users SET state = 'in_flight', workos_id = NULL, outcome = NULL WHERE source_id = 'u4'`);

    const target = new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS });
    const planned = await rollbackMigration({ env: {} }, journal, { confirm: false, target });
    expect(planned.status).toBe('planned');
    expect(planned.plan.toDelete).toMatchObject({ invitations: 2, users: 3, organizations: 1, memberships: 0, membershipsWithUsers: 1 });
    expect(planned.plan.uncertain).toEqual([{ kind: 'user', sourceId: 'u4', label: 'u4@example.com' }]);
    expect(rollbackPlanLines(planned.plan).join('\n')).toMatch(/Not deleted: 1 record an interrupted import may have created \(user u4@example.com\)/);
    expect(rollbackOf(journal)).toBeUndefined();
    expect(sandbox.state.users.size).toBe(4);

    const result = await rollbackMigration({ env: {} }, journal, { confirm: true, target, organizationDeletes: { limit: 50, windowMs: 1_000 } });
    if (result.status !== 'done') throw new Error(`rollback ${result.status}`);
    expect(result.deleted).toMatchObject({ invitations: 1, users: 3, organizations: 1 });
    expect(result.kept.map((k) => `${k.kind} ${k.label}`)).toEqual(['invitation u3 in org-a']);
    expect(sandbox.state.invitations.get(invitations.find((i) => i.email === 'u2@example.com')!.id)!.state).toBe('revoked');
    expect(accepted.state).toBe('accepted');
    expect([...sandbox.state.users.keys()]).toEqual([u4.id]);
    expect(sandbox.state.organizations.size).toBe(0);
    expect(rollbackPlan(journal).toDelete).toMatchObject({ users: 0, organizations: 0, invitations: 0 });
    journal.close();
  }, 60_000);
});
