/**
 * Supabase staging benchmark: a database with GoTrue's `auth` schema (test/supabase/auth-schema.sql),
 * BENCH_USERS users (default 200,000) each with a bcrypt hash (one, reused) and an email identity,
 * every tenth with a GitHub identity too, staged into a journal by the Supabase source (keyset pages
 * of 1,000). Prints users/s, the peak RSS while staging (bounded memory: it must not grow with the
 * table) and that every user was staged once with its hash.
 *
 *   npx tsx bench/supabase.ts    (BENCH_USERS=20000 for a quick look; TEST_POSTGRES_URL,
 *                                 default postgres://postgres@127.0.0.1:5432/test)
 * The database is created for the run and dropped after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { bcrypt } from 'hash-wasm';
import pg from 'pg';
import { createProvider } from '../src/providers/index.js';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';

const USERS = Number(process.env.BENCH_USERS ?? 200_000);
const ADMIN = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const database = `supabase_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
const url = ADMIN.replace(/\/[^/]*$/, `/${database}`);

async function admin(statement: string) {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

await admin(`CREATE DATABASE "${database}"`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-supabase-'));
try {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(fs.readFileSync(path.join(import.meta.dirname, '../test/supabase/auth-schema.sql'), 'utf8'));
  const hash = await bcrypt({ password: 'bench-password', salt: randomBytes(16), costFactor: 10, outputType: 'encoded' });
  const filled = performance.now();
  await c.query(
    `INSERT INTO auth.users (id, instance_id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
     SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', 'user' || g || '@bench.example', $1, now(),
            '{"provider":"email","providers":["email"]}', jsonb_build_object('full_name', 'Bench ' || g), now(), now()
       FROM generate_series(1, $2::int) g`,
    [hash, USERS],
  );
  await c.query(`INSERT INTO auth.identities (provider_id, user_id, identity_data, provider) SELECT id::text, id, jsonb_build_object('sub', id, 'email', email), 'email' FROM auth.users`);
  await c.query(`INSERT INTO auth.identities (provider_id, user_id, identity_data, provider) SELECT 'gh-' || id, id, jsonb_build_object('sub', id), 'github' FROM auth.users WHERE (hashtext(id::text) % 10) = 0`);
  await c.query('ANALYZE auth.users; ANALYZE auth.identities');
  await c.end();
  console.log(`filled ${USERS.toLocaleString('en-US')} users in ${((performance.now() - filled) / 1000).toFixed(1)} s`);

  const settings = { version: 1 as const, source: { kind: 'supabase', options: { secretEnv: 'DATABASE_URL' } }, workos: { apiKeyEnv: 'WORKOS_API_KEY' }, createdAt: new Date().toISOString() };
  const journal = Journal.create(path.join(dir, 'stage.db'), settings);
  let peak = process.memoryUsage().rss;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const result = await runExport(journal, createProvider('supabase', settings.source.options, { DATABASE_URL: url }), createEventBus());
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sample);
  const staged = journal.get<{ n: number; hashed: number }>(`SELECT COUNT(*) AS n, SUM(password_hash_type = 'bcrypt') AS hashed FROM users`)!;
  journal.close();
  console.log(`staged ${staged.n.toLocaleString('en-US')} users (${staged.hashed.toLocaleString('en-US')} with their bcrypt hash) in ${seconds.toFixed(1)} s: ${Math.round(staged.n / seconds).toLocaleString('en-US')} users/s`);
  console.log(`peak RSS while staging: ${(peak / 1024 / 1024).toFixed(0)} MB`);
  if (!result.completed || staged.n !== USERS || staged.hashed !== USERS) {
    console.error('NOT every user was staged once with its hash');
    process.exitCode = 1;
  }
} finally {
  await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  fs.rmSync(dir, { recursive: true, force: true });
}
