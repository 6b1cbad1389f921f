import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox, type SandboxLimits } from '../../src/sandbox/index.js';
import { expectSandboxHolds, rateFlags, sandboxEnv, spawnCli, tempDir } from '../helpers.js';

const LIMITS: SandboxLimits = {
  writes: { limit: 12, windowMs: 100 },
  reads: { limit: 40, windowMs: 100 },
  general: { limit: 60, windowMs: 100 },
};

/** Runs the CLI until the import is under way, then kills it after `delayMs` (or lets it finish). */
function runAndKill(args: string[], cwd: string, env: NodeJS.ProcessEnv, delayMs: number): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { cwd, env });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!timer && /^(organizations|users|memberships) /m.test(stderr)) {
        timer = setTimeout(() => {
          killed = child.kill('SIGKILL');
        }, delayMs);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ killed: killed && code === null, code, stderr });
    });
  });
}

describe('crash safety', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // Latency keeps calls in flight, so kills land between a request and its answer.
    sandbox = await startSandbox({ limits: LIMITS, faults: { latencyMs: [2, 25], seed: 3 } });
  });
  afterAll(() => sandbox.close());

  it('SIGKILLed at 20+ random moments of the import and resumed each time, ends exact', async () => {
    const dir = tempDir();
    const dataset = generateDataset({ users: 400, organizations: 30, memberships: 650, seed: 11 });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file, { withPasswords: 0.2 });
    const journal = path.join(dir, 'crash.db');
    const env = sandboxEnv(sandbox);
    const flags = ['--journal', journal, ...rateFlags(LIMITS)];

    let kills = 0;
    let random = 12345;
    const nextDelay = () => {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      return 30 + (random % 350);
    };
    let finished = false;
    for (let round = 0; round < 40 && !finished; round++) {
      const args = round === 0 ? ['run', '--source', 'file', '--file', file, ...flags] : ['resume', ...flags];
      const outcome = await runAndKill(args, dir, env, nextDelay());
      if (outcome.killed) kills++;
      else {
        expect(outcome.code, outcome.stderr).toBe(0);
        finished = true;
      }
    }
    if (!finished) {
      const outcome = await runAndKill(['resume', ...flags], dir, env, 1e9);
      expect(outcome.code, outcome.stderr).toBe(0);
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expectSandboxHolds(sandbox, dataset);

    const opened = Journal.open(journal);
    const counts = opened.counts();
    const confirmed = opened.get<{ n: number }>(
      `SELECT (SELECT COUNT(*) FROM users WHERE last_error LIKE 'confirmed by look-up%') + (SELECT COUNT(*) FROM memberships WHERE last_error LIKE 'confirmed by look-up%') AS n`,
    )!.n;
    const withoutRoles = opened.get<{ n: number }>(`SELECT COUNT(*) AS n FROM memberships WHERE state = 'done' AND role_slugs IS NULL`)!.n;
    opened.close();
    // Memberships found by look-up after a kill recorded the roles WorkOS has, for verification.
    expect(withoutRoles).toBe(0);
    // Kills landed between requests and their answers, and those records were found by look-up
    // on resume: none was created again and then "adopted" as if someone else had made it.
    expect(confirmed).toBeGreaterThan(0);
    expect(counts.user.adopted + counts.membership.adopted + counts.organization.adopted).toBe(0);
    for (const kind of ['organization', 'user', 'membership'] as const) {
      expect(counts[kind].in_flight + counts[kind].pending + counts[kind].failed).toBe(0);
    }
    expect(counts.user.done).toBe(400);
    expect(counts.membership.done).toBe(650);
  }, 240_000);
});
