import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectSandboxHolds, FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';

describe('faults', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      limits: FAST_LIMITS,
      faults: { rate429: 0.1, rate500: 0.02, lostResponse: 0.01, retryAfterSeconds: 0.05, seed: 99 },
    });
  });
  afterAll(() => sandbox.close());

  it('with 10% 429s, 2% 500s and 1% lost responses, every record ends done and nothing is doubled', async () => {
    const dir = tempDir();
    const dataset = generateDataset({ users: 600, organizations: 40, memberships: 900, seed: 5 });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file);
    const journalPath = path.join(dir, 'faults.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code, result.stderr).toBe(0);

    const injected = sandbox.stats().faultsInjected;
    expect(injected.rate429).toBeGreaterThan(50);
    expect(injected.rate500).toBeGreaterThan(5);
    expect(injected.lostResponse).toBeGreaterThan(3);

    expectSandboxHolds(sandbox, dataset);
    const journal = Journal.open(journalPath);
    const counts = journal.counts();
    journal.close();
    for (const kind of ['organization', 'user', 'membership'] as const) {
      expect(counts[kind].done).toBe(counts[kind].total);
    }
    // A lost response is our own write: found again by look-up, it counts as created, not adopted.
    expect(counts.user.adopted).toBe(0);
  }, 120_000);
});
