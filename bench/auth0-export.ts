/**
 * Auth0 export pace against the fake tenant enforcing a token bucket per endpoint (`burst`
 * tokens, `perSecond` refill, advertised through x-ratelimit-limit / -remaining / -reset): the
 * provider pages organization members 5 at a time (the busiest bucket) into a journal for
 * BENCH_AUTH0_SECONDS (default 30 s), then stops. The ratio is the members requests the tenant
 * served over the most its bucket allows in that time (burst + perSecond x seconds); the 429s
 * the fake answered must stay 0. Two tenants: a free one (10 burst, 2/s) and a paid one (50, 16/s).
 *
 *   npx tsx bench/auth0-export.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAuth0Provider } from '../src/providers/auth0/index.js';
import { generateAuth0Tenant, startFakeAuth0 } from '../src/sandbox/auth0/index.js';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';

export interface Auth0ExportBenchResult {
  tier: string;
  seconds: number;
  /** Members pages the tenant served. */
  requests: number;
  /** What the bucket allows in that time: burst + perSecond x seconds. */
  allowed: number;
  ratio: number;
  rateLimited: number;
  /** Most members requests the tenant saw in one calendar second. */
  maxPerSecond: number;
  perSecond: number;
}

const MEMBERS = 'GET /api/v2/organizations/:id/members';

export async function benchAuth0Export(tier: { name: string; burst: number; perSecond: number }, seconds = Number(process.env.BENCH_AUTH0_SECONDS ?? 30)): Promise<Auth0ExportBenchResult> {
  const tenant = generateAuth0Tenant({ users: 6000, organizations: 40, memberRate: 1, extraRoles: 0, seed: 2 });
  const fake = await startFakeAuth0({ tenant, burst: tier.burst, perSecond: tier.perSecond, jobMs: 3_600_000 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-auth0-'));
  const journal = Journal.create(path.join(dir, 'bench.db'), {
    version: 1,
    source: { kind: 'auth0', options: { domain: fake.domain }, secretEnv: { clientSecret: 'AUTH0_CLIENT_SECRET' } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  try {
    const provider = createAuth0Provider({ domain: fake.domain, clientId: fake.clientId, clientSecret: fake.clientSecret, apiUrl: fake.url, take: 5 });
    const stop = new AbortController();
    let first: number | undefined;
    // The clock starts at the first members page: the bucket is full then, as the formula assumes.
    const timing = setInterval(() => {
      if (first === undefined && (fake.stats().byRoute[MEMBERS] ?? 0) > 0) {
        first = performance.now();
        setTimeout(() => stop.abort(new Error('bench time is up')), seconds * 1000);
      }
    }, 1);
    const result = await runExport(journal, provider, createEventBus(), { signal: stop.signal });
    clearInterval(timing);
    const elapsed = (performance.now() - (first ?? performance.now())) / 1000;
    if (result.completed) throw new Error('the bench ran out of pages before its time was up: give it more members');
    const stats = fake.stats();
    const requests = stats.byRoute[MEMBERS] ?? 0;
    const allowed = tier.burst + tier.perSecond * elapsed;
    return {
      tier: tier.name,
      seconds: elapsed,
      requests,
      allowed,
      ratio: requests / allowed,
      rateLimited: stats.rateLimited,
      maxPerSecond: stats.maxPerSecond[MEMBERS] ?? 0,
      perSecond: tier.perSecond,
    };
  } finally {
    journal.close();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const AUTH0_TIERS = [
  { name: 'free (burst 10, 2/s)', burst: 10, perSecond: 2 },
  { name: 'paid (burst 50, 16/s)', burst: 50, perSecond: 16 },
];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const tier of AUTH0_TIERS) {
    const r = await benchAuth0Export(tier);
    process.stdout.write(
      `auth0 ${r.tier}: ${r.requests} members pages in ${r.seconds.toFixed(1)} s of ${r.allowed.toFixed(0)} allowed = ${r.ratio.toFixed(3)} of the advertised limit; ` +
        `${r.rateLimited} answered 429; at most ${r.maxPerSecond} in one second (refill ${r.perSecond}/s)\n`,
    );
  }
}
