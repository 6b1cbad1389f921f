/**
 * Rollback against the sandbox at WorkOS's REAL limits (writes 500 / 10 s; organization deletes
 * 50 / 60 s): BENCH_ROLLBACK_USERS created users (default 1,500) with one membership each,
 * BENCH_ROLLBACK_ADOPTED adopted users (default 200) each with a membership the migration created,
 * over BENCH_ROLLBACK_ORGS created organizations (default 20). The sandbox is seeded directly and
 * the journal written as an import would leave it.
 *
 * Prints the write calls against the ideal (created users + memberships of adopted users: a
 * created user's memberships go with it), the deletion rate against the 50/s writes ceiling, the
 * organization deletions per minute against 50, elapsed time and the 429s WorkOS answered.
 *
 *   npx tsx bench/rollback.ts
 */
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { REAL_LIMITS, startSandbox } from '../src/sandbox/index.js';
import { Journal } from '../src/services/journal/journal.js';
import { rollbackMigration } from '../src/services/rollback.js';
import { WorkOSTarget } from '../src/services/workos/target.js';

const USERS = Number(process.env.BENCH_ROLLBACK_USERS ?? 1_500);
const ADOPTED = Number(process.env.BENCH_ROLLBACK_ADOPTED ?? 200);
const ORGS = Number(process.env.BENCH_ROLLBACK_ORGS ?? 20);

const sandbox = await startSandbox({ limits: REAL_LIMITS });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-rollback-'));
const journalPath = path.join(dir, 'journal.db');
try {
  const journal = Journal.create(journalPath, {
    version: 1,
    source: { kind: 'bench', options: {} },
    workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' },
    createdAt: new Date().toISOString(),
  });
  journal.close();
  const db = new Database(journalPath);
  const orgs = Array.from({ length: ORGS }, (_, i) => sandbox.seedOrganization({ name: `Org ${i}`, external_id: `org-${i}` }));
  const insertOrg = db.prepare(`INSERT INTO organizations (source_id, name, state, workos_id, outcome) VALUES (?, ?, 'done', ?, 'created')`);
  const insertUser = db.prepare(`INSERT INTO users (source_id, email, email_norm, state, workos_id, outcome) VALUES (?, ?, ?, 'done', ?, ?)`);
  const insertMembership = db.prepare(`INSERT INTO memberships (user_source_id, org_source_id, state, workos_id, outcome, imported_as) VALUES (?, ?, 'done', ?, 'created', 'membership')`);
  db.transaction(() => {
    orgs.forEach((o, i) => insertOrg.run(`org-${i}`, o.name, o.id));
    for (let i = 0; i < USERS + ADOPTED; i++) {
      const adopted = i >= USERS;
      const email = `user${i}@bench.test`;
      const user = sandbox.seedUser({ email, external_id: `u${i}` });
      insertUser.run(`u${i}`, email, email, user.id, adopted ? 'adopted' : 'created');
      const m = sandbox.seedMembership({ user_id: user.id, organization_id: orgs[i % ORGS].id });
      insertMembership.run(`u${i}`, `org-${i % ORGS}`, m.id);
    }
  })();
  db.close();

  const opened = Journal.open(journalPath);
  const target = new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url });
  sandbox.resetStats();
  const started = performance.now();
  let usersStarted = 0;
  let usersEnded = 0;
  let orgsStarted = 0;
  const result = await rollbackMigration({ env: {} }, opened, {
    confirm: true,
    target,
    onProgress: (kind, done, total) => {
      if (kind === 'user' && done === 1) usersStarted = performance.now();
      if (kind === 'user' && done === total) usersEnded = performance.now();
      if (kind === 'organization' && done === 1) orgsStarted = performance.now();
    },
  });
  const elapsed = (performance.now() - started) / 1000;
  const orgSeconds = (performance.now() - orgsStarted) / 1000;
  opened.close();
  const stats = sandbox.stats();
  const writes = stats.byBucket.writes;
  const ideal = USERS + ADOPTED;
  const userRate = USERS / ((usersEnded - usersStarted) / 1000);
  console.log(`rollback: ${USERS} created users, ${ADOPTED} adopted users with a created membership, ${ORGS} organizations (status ${result.status})`);
  console.log(`  deleted: ${JSON.stringify(result.status === 'planned' ? {} : result.deleted)}`);
  console.log(`  write calls ${writes} / ideal ${ideal} (created users + memberships of adopted users) = ${(writes / ideal).toFixed(3)}`);
  console.log(`  users deleted at ${userRate.toFixed(1)}/s = ${(userRate / (REAL_LIMITS.writes.limit / (REAL_LIMITS.writes.windowMs / 1000))).toFixed(2)} of the 50/s writes ceiling`);
  console.log(`  organizations: ${ORGS} deleted in ${orgSeconds.toFixed(1)} s, one every ${(orgSeconds / ORGS).toFixed(2)} s (the ceiling: 50 per 60 s, one every 1.2 s sustained)`);
  console.log(`  429 answers: ${stats.rateLimited}; elapsed ${elapsed.toFixed(1)} s`);
} finally {
  await sandbox.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
