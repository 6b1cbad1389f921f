/**
 * Import throughput against the sandbox enforcing WorkOS's real write limit (500 per 10 s):
 * 5,000 users with one membership each. Prints writes/s as a ratio to the ceiling.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Importer } from '../src/services/import/importer.js';
import { Journal } from '../src/services/journal/journal.js';
import { createProvider } from '../src/providers/index.js';
import { WorkOSTarget } from '../src/services/workos/target.js';
import { generateDataset, writeDatasetCsv } from '../src/sandbox/dataset.js';
import { REAL_LIMITS, startSandbox, type Sandbox } from '../src/sandbox/index.js';

export interface ImportBenchResult {
  writes: number;
  seconds: number;
  writesPerSecond: number;
  ratio: number;
  failed: number;
  rateLimited: number;
  maxWritesInAnyWindow: number;
}

/** Writes per second against the sandbox's real write ceiling, with what the sandbox saw. */
export function importResult(writes: number, seconds: number, failed: number, sandbox: Sandbox): ImportBenchResult {
  const stats = sandbox.stats();
  return {
    writes,
    seconds,
    writesPerSecond: writes / seconds,
    ratio: writes / seconds / (REAL_LIMITS.writes.limit / (REAL_LIMITS.writes.windowMs / 1000)),
    failed,
    rateLimited: stats.rateLimited,
    maxWritesInAnyWindow: stats.maxInAnyWindow.writes,
  };
}

export async function benchImport(users = Number(process.env.BENCH_USERS ?? 5_000), onBus?: (bus: ReturnType<typeof createEventBus>) => void): Promise<ImportBenchResult> {
  const sandbox = await startSandbox({ limits: REAL_LIMITS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-'));
  try {
    const dataset = generateDataset({ users, organizations: 50, memberships: users });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file);
    const journal = Journal.create(path.join(dir, 'bench.db'), {
      version: 1,
      source: { kind: 'file', options: { path: file } },
      workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url },
      createdAt: new Date().toISOString(),
    });
    const bus = createEventBus();
    onBus?.(bus);
    await runExport(journal, createProvider('file', { path: file }, {}), bus);
    const target = new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url });
    const started = new Map<string, number>();
    const ended = new Map<string, number>();
    bus.subscribe((e) => {
      if (e.type === 'phase') (e.status === 'start' ? started : ended).set(e.phase, performance.now());
    });
    sandbox.resetStats();
    const result = await new Importer(journal, target, bus, { roleMap: { admin: 'admin', member: 'member' } }).run();
    const counts = journal.counts();
    journal.close();
    // The write-bound phases: users, then memberships, back to back.
    const seconds = (ended.get('memberships')! - started.get('users')!) / 1000;
    const writes = counts.user.done + counts.membership.done;
    return importResult(writes, seconds, counts.user.failed + counts.membership.failed + counts.organization.failed + (result.stopped ? 1 : 0), sandbox);
  } finally {
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
