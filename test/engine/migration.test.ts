import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectSandboxHolds, FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';

describe('a file migration into the sandbox through the real SDK', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  }, 120_000);
  afterAll(() => sandbox.close());

  // Big enough for many pages of records and many windows of the rate limit; the scale of a real
  // migration is the benchmarks' (bench/). Generous time: the suite shares two cores.
  it('imports 1,000 users, 80 organizations and 1,500 memberships exactly', async () => {
    const dir = tempDir();
    const dataset = generateDataset({ users: 1_000, organizations: 80, memberships: 1_500, seed: 7 });
    expect(dataset.memberships.length).toBe(1_500);
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file, { withPasswords: 0.25 });
    const journalPath = path.join(dir, 'run.db');

    const result = await runCli(['run', '--source', 'file', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], {
      cwd: dir,
      env: sandboxEnv(sandbox),
    });
    expect(result.stderr).toContain('Import finished');
    expect(result.code).toBe(0);
    expectSandboxHolds(sandbox, dataset);

    // The bcrypt hashes went through with their users.
    const hashed = [...sandbox.state.credentials.values()].filter((c) => c.kind === 'hash');
    expect(hashed.length).toBeGreaterThan(150);
    // The pacer never crossed the sandbox's ceiling.
    const stats = sandbox.stats();
    expect(stats.maxInAnyWindow.writes).toBeLessThanOrEqual(FAST_LIMITS.writes.limit);
    expect(stats.maxInAnyWindow.general).toBeLessThanOrEqual(FAST_LIMITS.general.limit);

    const journal = Journal.open(journalPath);
    const counts = journal.counts();
    journal.close();
    expect(counts.user).toMatchObject({ total: 1_000, done: 1_000, failed: 0, in_flight: 0, pending: 0 });
    expect(counts.membership).toMatchObject({ total: 1_500, done: 1_500 });
    expect(counts.organization).toMatchObject({ total: 80, done: 80 });

    // The id map links every source id to the WorkOS id the sandbox holds.
    const idMap = fs.readFileSync(path.join(dir, 'run.reports', 'id-map.csv'), 'utf8').trim().split('\n');
    expect(idMap[0]).toBe('source_id,email,workos_user_id');
    expect(idMap.length).toBe(1_001);
    const byExternal = new Map([...sandbox.state.users.values()].map((u) => [u.external_id, u.id]));
    for (const line of idMap.slice(1)) {
      const [sourceId, , workosId] = line.split(',');
      expect(byExternal.get(sourceId)).toBe(workosId);
    }
    expect(fs.readFileSync(path.join(dir, 'run.reports', 'id-map.sql'), 'utf8')).toContain('UPDATE users');

    // Running the same journal again is refused with the way forward, not a second import.
    const again = await runCli(['run', '--file', file, '--journal', journalPath], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*resume --journal/s);
  }, 240_000);
});
