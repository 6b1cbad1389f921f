/**
 * Stytch B2B export throughput against the fake Stytch enforcing the REAL limit (100 searches a
 * minute, sliding window): the provider pages small pages (10 records) into a journal for
 * BENCH_STYTCH_SECONDS (default 70 s, ~110 pages), then stops. Prints pages a minute as a ratio
 * to the 100/min ceiling (the pacer aims a little under it: about 0.96-0.98), with the 429s the
 * fake answered (target 0) and the most searches it saw in any 60 s window (must be <= 100).
 *
 *   npx tsx bench/stytch-export.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createStytchB2BProvider } from '../src/providers/stytch/index.js';
import { generateStytchProject, startFakeStytch, STYTCH_B2B_LIMIT } from '../src/sandbox/stytch/index.js';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';

export interface StytchExportBenchResult {
  /** Search pages the fake served (organizations and members). */
  pages: number;
  minutes: number;
  pagesPerMinute: number;
  /** pagesPerMinute / 100. */
  ratio: number;
  /** 429s the fake answered (the pacer should make it 0). */
  rateLimited: number;
  /** Most searches the fake saw in any 60 s window (never over 100). */
  maxInAnyWindow: number;
}

export async function benchStytchExport(seconds = Number(process.env.BENCH_STYTCH_SECONDS ?? 70)): Promise<StytchExportBenchResult> {
  // Enough data that the run never runs out of pages: 40 organizations x ~75 members, 10 a page.
  const { project } = generateStytchProject({ organizations: 40, members: 3_000, seed: 1 });
  const fake = await startFakeStytch({ project, limit: STYTCH_B2B_LIMIT.limit, windowMs: STYTCH_B2B_LIMIT.windowMs });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-stytch-'));
  const journal = Journal.create(path.join(dir, 'bench.db'), {
    version: 1,
    source: { kind: 'stytch-b2b', options: { projectId: project.projectId }, secretEnv: { secret: 'STYTCH_SECRET' } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  try {
    const provider = createStytchB2BProvider({ projectId: fake.projectId, secret: fake.secret, apiUrl: fake.url, pageSize: 10, orgIdsPerQuery: 10 });
    const stop = new AbortController();
    const started = performance.now();
    const timer = setTimeout(() => stop.abort(new Error('bench time is up')), seconds * 1000);
    const result = await runExport(journal, provider, createEventBus(), { signal: stop.signal });
    clearTimeout(timer);
    const minutes = (performance.now() - started) / 60_000;
    const stats = fake.stats();
    if (result.completed) throw new Error('the bench ran out of pages before its time was up: give it more members');
    const pages = stats.pagesServed;
    return {
      pages,
      minutes,
      pagesPerMinute: pages / minutes,
      ratio: pages / minutes / STYTCH_B2B_LIMIT.limit,
      rateLimited: stats.rateLimited,
      maxInAnyWindow: stats.maxInAnyWindow.b2b,
    };
  } finally {
    journal.close();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchStytchExport();
  process.stdout.write(
    `stytch    ${r.pages} pages in ${r.minutes.toFixed(2)} min = ${r.pagesPerMinute.toFixed(1)} pages/min = ${r.ratio.toFixed(3)} of the 100/min ceiling; ` +
      `${r.rateLimited} answered 429, at most ${r.maxInAnyWindow} in any 60 s window\n`,
  );
}
