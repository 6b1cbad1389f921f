import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectSandboxHolds, FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';

describe('adoption of what already exists in WorkOS', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('adopts existing users (by external id and by email) and memberships, and still gives adopted users their memberships', async () => {
    const dir = tempDir();
    const dataset = generateDataset({ users: 120, organizations: 10, memberships: 200, seed: 21 });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file);

    // Already in WorkOS before the run: an organization (same external id), users found by
    // external id, users found by email only (other case, no external id), and memberships,
    // one of them with another role than the source's.
    const org = dataset.organizations[0];
    const seededOrg = sandbox.seedOrganization({ name: org.name, external_id: org.sourceId });
    const byExternalId = dataset.users.slice(0, 10).map((u) => sandbox.seedUser({ email: u.email, external_id: u.sourceId, first_name: u.firstName, last_name: u.lastName }));
    const byEmail = dataset.users.slice(10, 20).map((u) => sandbox.seedUser({ email: u.email.toUpperCase(), first_name: u.firstName, last_name: u.lastName }));
    const seededMemberships = dataset.memberships.filter((m) => m.orgSourceId === org.sourceId && dataset.users.slice(0, 20).some((u) => u.sourceId === m.userSourceId));
    expect(seededMemberships.length).toBeGreaterThan(0);
    const seededUserId = (sourceId: string) => [...byExternalId, ...byEmail][dataset.users.findIndex((u) => u.sourceId === sourceId)].id;
    const wrongRole = seededMemberships[0];
    for (const m of seededMemberships) {
      sandbox.seedMembership({
        user_id: seededUserId(m.userSourceId),
        organization_id: seededOrg.id,
        role_slug: m === wrongRole ? (m.role === 'admin' ? 'member' : 'admin') : m.role,
      });
    }
    const adoptedUsersWithMemberships = dataset.memberships.filter((m) => dataset.users.slice(0, 20).some((u) => u.sourceId === m.userSourceId));
    expect(adoptedUsersWithMemberships.length).toBeGreaterThan(seededMemberships.length);

    const journalPath = path.join(dir, 'adopt.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/users: 100 created, 20 adopted/);

    expectSandboxHolds(sandbox, dataset, { adoptedByEmail: new Set(dataset.users.slice(10, 20).map((u) => u.sourceId)) });

    const journal = Journal.open(journalPath);
    const counts = journal.counts();
    const note = journal.get<{ last_error: string }>(
      `SELECT last_error FROM memberships WHERE user_source_id = ? AND org_source_id = ?`,
      wrongRole.userSourceId,
      wrongRole.orgSourceId,
    );
    journal.close();
    expect(counts.user.adopted).toBe(20);
    expect(counts.organization.adopted).toBe(1);
    expect(counts.membership.adopted).toBe(seededMemberships.length);
    expect(note?.last_error).toMatch(/role changed from/);
    expect(fs.existsSync(path.join(dir, 'adopt.reports', 'summary.md'))).toBe(true);
  });
});
