/**
 * Better Auth staging benchmark: a PostgreSQL database with Better Auth's own schema (its
 * migrations), 1,000,000 users, each with a credential account (4 hashes of better-auth's
 * hashPassword reused), 1,000 organizations and a membership for every tenth user, staged into a
 * journal by the built tool (bench/stage-child.mjs) in a child process. Prints the rows read
 * (users + accounts + memberships) per second against 100,000, the staging's peak RSS against
 * 200 MB (bounded memory: keyset pages of 1,000), and that every user was staged once with its
 * scrypt hash converted.
 *
 *   npx tsx bench/better-auth.ts    (BENCH_USERS=100000 for a quick look; TEST_POSTGRES_URL,
 *                                    default postgres://postgres@127.0.0.1:5432/test)
 * The database is created for the run and dropped after it; BENCH_BA_DB=NAME keeps it under that
 * name instead, seeded once for BENCH_USERS users, and later runs read it again.
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
import { ensureBuilt } from '../test/e2e/tmux.js';

interface StageResult {
  completed: boolean;
  seconds: number;
  /** After the last batch: duplicates and orphans found, the journal checkpointed. */
  finalizeSeconds: number;
  users: number;
  memberships: number;
  organizations: number;
  scrypt: number;
  peakRssMb: number;
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

const users = Number(process.env.BENCH_USERS ?? 1_000_000);
const admin = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const kept = process.env.BENCH_BA_DB;
const name = kept || `wm_ba_bench_${process.pid}`;
const url = admin.replace(/\/[^/]*$/, `/${name}`);
const client = new pg.Client({ connectionString: admin });
await client.connect();
const exists = kept ? (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount : 0;
if (!exists) await client.query(`CREATE DATABASE "${name}"`);
await client.end();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-ba-bench-'));
try {
  if (!exists) {
    const t0 = performance.now();
    await seed(url, users);
    process.stdout.write(`seeded ${users.toLocaleString('en-US')} users + accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  // Staged by the built tool in a child process (plain node, as `npx workos-migrate` runs it), so
  // that its peak RSS is the staging's alone.
  ensureBuilt();
  const source = { kind: 'better-auth', options: { secretEnv: 'DATABASE_URL' } };
  const queries = { scrypt: `SELECT COUNT(*) AS n FROM users WHERE password_hash_type = 'scrypt' AND password_hash LIKE '$scrypt$v=1$n=16384,r=16,p=1,kl=64$%'` };
  const out = execFileSync(process.execPath, [path.join(import.meta.dirname, 'stage-child.mjs'), JSON.stringify(source), dir, JSON.stringify(queries)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, DATABASE_URL: url },
  });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as StageResult;
  // Rows read from the application's database: users, their accounts and their memberships.
  const rows = r.users + users + r.memberships;
  const rowsPerSecond = rows / r.seconds;
  const staged = r.completed && r.users === users && r.scrypt === users && r.memberships === Math.floor(users / 10);
  const ok = staged && rowsPerSecond >= 100_000 && r.peakRssMb <= 200;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  process.stdout.write(
    `better-auth staging  ${n(r.users)} users + ${n(users)} accounts + ${n(r.memberships)} memberships (${r.organizations} organizations) from PostgreSQL in ${r.seconds.toFixed(1)} s` +
      ` (finalizing ${r.finalizeSeconds.toFixed(1)} s) = ${n(rowsPerSecond)} rows/s (${(rowsPerSecond / 100_000).toFixed(2)} of 100,000), ${n(r.users / r.seconds)} users/s;` +
      ` peak RSS ${r.peakRssMb.toFixed(0)} MB (${(r.peakRssMb / 200).toFixed(2)} of 200); ${n(r.scrypt)} scrypt hashes converted${staged ? '' : ' (staged records NOT as expected)'}  ${ok ? 'PASS' : 'FAIL'}\n`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
  if (!kept) {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  }
}
