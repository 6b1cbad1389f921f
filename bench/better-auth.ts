/**
 * Better Auth staging benchmark: a PostgreSQL database with Better Auth's own schema (its
 * migrations), 1,000,000 users, each with a credential account (4 hashes of better-auth's
 * hashPassword reused), 1,000 organizations and a membership for every tenth user, staged into a
 * journal by the Better Auth source in a child process. Prints users/s, the staging's peak RSS
 * (bounded memory: keyset pages of 1,000) and that every user was staged once with its scrypt hash
 * converted.
 *
 *   npx tsx bench/better-auth.ts    (BENCH_USERS=100000 for a quick look; TEST_POSTGRES_URL,
 *                                    default postgres://postgres@127.0.0.1:5432/test)
 * The database is created for the run and dropped after it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { betterAuth } from 'better-auth';
import { hashPassword } from 'better-auth/crypto';
import { getMigrations } from 'better-auth/db/migration';
import { organization } from 'better-auth/plugins';
import pg from 'pg';
import { providerFor } from '../src/services/migration.js';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';

interface StageResult {
  completed: boolean;
  seconds: number;
  users: number;
  memberships: number;
  organizations: number;
  scrypt: number;
  peakRssMb: number;
}

/** Child side: stages the database into a journal; its peak RSS is the staging's own. */
async function stage(url: string, dir: string): Promise<StageResult> {
  const settings = { version: 1 as const, source: { kind: 'better-auth', options: { secretEnv: 'DATABASE_URL' } }, workos: { apiKeyEnv: 'WORKOS_API_KEY' }, createdAt: new Date().toISOString() };
  const journal = Journal.create(path.join(dir, 'stage.db'), settings);
  const started = performance.now();
  // As a run reads it: in the export worker, staging on this thread.
  const result = await runExport(journal, providerFor(settings, { DATABASE_URL: url }), createEventBus());
  const seconds = (performance.now() - started) / 1000;
  const counts = journal.counts();
  const scrypt = journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE password_hash_type = 'scrypt' AND password_hash LIKE '$scrypt$v=1$n=16384,r=16,p=1,kl=64$%'`)!.n;
  journal.close();
  return {
    completed: result.completed,
    seconds,
    users: counts.user.total,
    memberships: counts.membership.total,
    organizations: counts.organization.total,
    scrypt,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

async function seed(url: string, users: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const auth = betterAuth({ database: pool, secret: 'bench-secret-0123456789abcdefghijklmnop', logger: { disabled: true }, emailAndPassword: { enabled: true }, plugins: [organization()] } as never) as { options: never };
    await (await getMigrations(auth.options)).runMigrations();
    const hashes = await Promise.all(['bench-0', 'bench-1', 'bench-2', 'bench-3'].map((p) => hashPassword(p)));
    await pool.query(
      `INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
       SELECT 'u' || lpad(g::text, 8, '0'), 'First' || g || ' Last' || (g % 97), 'user' || g || '@example.com', g % 2 = 0, now(), now() FROM generate_series(1, $1::int) g`,
      [users],
    );
    await pool.query(
      `INSERT INTO account (id, "accountId", "providerId", "userId", password, "createdAt", "updatedAt")
       SELECT 'a' || lpad(g::text, 8, '0'), 'u' || lpad(g::text, 8, '0'), 'credential', 'u' || lpad(g::text, 8, '0'), ($2::text[])[g % 4 + 1], now(), now() FROM generate_series(1, $1::int) g`,
      [users, hashes],
    );
    await pool.query(`INSERT INTO organization (id, name, slug, "createdAt") SELECT 'o' || g, 'Org ' || g, 'org-' || g, now() FROM generate_series(1, 1000) g`);
    await pool.query(
      `INSERT INTO member (id, "organizationId", "userId", role, "createdAt")
       SELECT 'm' || g, 'o' || (g % 1000 + 1), 'u' || lpad(g::text, 8, '0'), CASE WHEN g % 50 = 0 THEN 'admin,member' ELSE 'member' END, now() FROM generate_series(10, $1::int, 10) g`,
      [users],
    );
    await pool.query('ANALYZE');
  } finally {
    await pool.end();
  }
}

if (process.argv[2] === '--stage') {
  process.stdout.write(`${JSON.stringify(await stage(process.argv[3], process.argv[4]))}\n`);
  process.exit(0);
}

const users = Number(process.env.BENCH_USERS ?? 1_000_000);
const admin = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const name = `wm_ba_bench_${process.pid}`;
const url = admin.replace(/\/[^/]*$/, `/${name}`);
const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`CREATE DATABASE "${name}"`);
await client.end();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-ba-bench-'));
try {
  const t0 = performance.now();
  await seed(url, users);
  process.stdout.write(`seeded ${users.toLocaleString('en-US')} users + accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  // Staged in a child process (tsx, from source), so that its peak RSS is the staging's alone; its
  // heap capped at 96 MB proves the working set bounded (uncapped, V8 grows lazily to ~300 MB).
  const out = execFileSync(process.execPath, ['--max-old-space-size=96', '--max-semi-space-size=8', '--import', 'tsx', import.meta.filename, '--stage', url, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as StageResult;
  const ok = r.completed && r.users === users && r.scrypt === users && r.memberships === Math.floor(users / 10) && r.peakRssMb <= 250;
  process.stdout.write(
    `better-auth staging  ${r.users.toLocaleString('en-US')} users (+ ${users.toLocaleString('en-US')} accounts, ${r.memberships.toLocaleString('en-US')} memberships, ${r.organizations} organizations) from PostgreSQL in ${r.seconds.toFixed(1)} s = ` +
      `${Math.round(r.users / r.seconds).toLocaleString('en-US')} users/s; peak RSS ${r.peakRssMb.toFixed(0)} MB (limit 250); ${r.scrypt.toLocaleString('en-US')} scrypt hashes converted  ${ok ? 'PASS' : 'FAIL'}\n`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await c.end();
}
