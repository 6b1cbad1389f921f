/**
 * Cognito export pace against the fake pool enforcing the UserList quota (30 requests a second,
 * sliding one-second window, TooManyRequestsException over it): BENCH_COGNITO_USERS users
 * (default 12,000) into one organization (ListUsers, then ListUsersInGroup per group) staged into a
 * journal. Prints the UserList requests per second against the 30/s ceiling, the most the fake saw
 * in any one second, the 429s (0 when only this export uses the quota), and users staged a second.
 * A second pass shares the quota with "the application" (the fake allows 20/s): 429s are waited
 * out and nothing is lost.
 *
 *   npx tsx bench/cognito-export.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCognitoProvider } from '../src/providers/cognito/index.js';
import { generateCognitoPool, startFakeCognito } from '../src/sandbox/cognito/index.js';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';

async function pass(users: number, quota: number) {
  const fake = await startFakeCognito({ pool: generateCognitoPool({ users, seed: 9 }), userListRps: quota });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-cognito-'));
  const journal = Journal.create(path.join(dir, 'bench.db'), {
    version: 1,
    source: { kind: 'cognito', options: { userPoolId: fake.pool.id } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  try {
    const provider = createCognitoProvider({ userPoolId: fake.pool.id, region: fake.pool.region, endpoint: fake.url, accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey, organization: 'Bench' });
    const started = performance.now();
    const result = await runExport(journal, provider, createEventBus());
    const seconds = (performance.now() - started) / 1000;
    const s = fake.stats();
    const userList = (s.byOperation.ListUsers ?? 0) + (s.byOperation.ListUsersInGroup ?? 0) - s.rateLimited;
    return { quota, completed: result.completed, staged: journal.counts().user.total, seconds, userList, perSecond: userList / seconds, maxInOneSecond: s.maxPerSecond.UserList, rateLimited: s.rateLimited, repeated: s.repeatedPages.length };
  } finally {
    journal.close();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const users = Number(process.env.BENCH_COGNITO_USERS ?? 12_000);
for (const quota of [30, 20]) {
  const r = await pass(users, quota);
  console.log(
    `cognito export, ${users.toLocaleString('en-US')} users, quota left ${quota}/s: ${r.staged.toLocaleString('en-US')} staged in ${r.seconds.toFixed(1)} s ` +
      `(${(r.staged / r.seconds).toFixed(0)} users/s); UserList ${r.perSecond.toFixed(1)} req/s = ${(r.perSecond / 30).toFixed(2)} of the 30/s ceiling; ` +
      `most in one second ${r.maxInOneSecond}; 429s ${r.rateLimited}; pages read twice ${r.repeated}`,
  );
}
