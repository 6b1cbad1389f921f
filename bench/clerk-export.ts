/**
 * Clerk export pace against the fake Backend API enforcing Clerk's sliding limit (`limit`
 * requests per `windowMs`, 429 + Retry-After past it): the provider reads 400 organizations (their
 * domains, memberships and invitations: three requests each, the next ones sent ahead) into a journal for BENCH_CLERK_SECONDS (default 20 s) from its first organizations page, then stops.
 * The ratio is the requests the fake served over the most its window allows in that time
 * (limit x seconds / window); the 429s it answered must stay 0, the most in any window at most
 * the limit. Two instances, Clerk's limits scaled ten times faster: development (100 per 1 s)
 * and production (1000 per 1 s).
 *
 *   npx tsx bench/clerk-export.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClerkProvider } from '../src/providers/clerk/index.js';
import { generateClerkInstance, startFakeClerk } from '../src/sandbox/clerk/index.js';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';

export interface ClerkExportBenchResult {
  tier: string;
  seconds: number;
  requests: number;
  allowed: number;
  ratio: number;
  rateLimited: number;
  maxInWindow: number;
  limit: number;
}

export async function benchClerkExport(tier: { name: string; limit: number; windowMs: number }, seconds = Number(process.env.BENCH_CLERK_SECONDS ?? 20)): Promise<ClerkExportBenchResult> {
  const instance = await generateClerkInstance({ users: 3000, organizations: 400, seed: 2 });
  const fake = await startFakeClerk({ instance, limit: tier.limit, windowMs: tier.windowMs });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-clerk-'));
  const journal = Journal.create(path.join(dir, 'bench.db'), {
    version: 1,
    source: { kind: 'clerk', options: { secretEnv: 'CLERK_SECRET_KEY' }, secretEnv: { secretKey: 'CLERK_SECRET_KEY' } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  try {
    const provider = createClerkProvider({ secretKey: fake.secretKey, apiUrl: fake.url, rate: { limit: tier.limit, windowMs: tier.windowMs }, orgPageSize: 20 });
    const stop = new AbortController();
    let started: number | undefined;
    let before = 0;
    // The clock starts at the first organizations page (the users' pages before it are few and
    // large: their cost is staging, not pace).
    const timing = setInterval(() => {
      if (started === undefined && (fake.stats().byRoute['GET /v1/organizations'] ?? 0) > 0) {
        started = performance.now();
        before = fake.stats().requests;
        setTimeout(() => stop.abort(new Error('bench time is up')), seconds * 1000);
      }
    }, 1);
    await runExport(journal, provider, createEventBus(), { signal: stop.signal });
    clearInterval(timing);
    const elapsed = (performance.now() - (started ?? performance.now())) / 1000;
    const stats = fake.stats();
    const requests = stats.requests - before;
    const allowed = Math.floor((tier.limit * elapsed * 1000) / tier.windowMs);
    return { tier: tier.name, seconds: elapsed, requests, allowed, ratio: requests / allowed, rateLimited: stats.rateLimited, maxInWindow: stats.maxInWindow, limit: tier.limit };
  } finally {
    journal.close();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const tier of [
    { name: 'development (100 per 1 s)', limit: 100, windowMs: 1000 },
    { name: 'production (1000 per 1 s)', limit: 1000, windowMs: 1000 },
  ]) {
    const r = await benchClerkExport(tier);
    console.log(
      `clerk ${r.tier}: ${r.requests} requests in ${r.seconds.toFixed(1)} s = ${(r.ratio * 100).toFixed(1)}% of the ${r.allowed} allowed; ` +
        `429s ${r.rateLimited}; most in one window ${r.maxInWindow} (limit ${r.limit})`,
    );
  }
}
