/**
 * Auth0 staging benchmark: a 1,000,000-user bulk export (gzip NDJSON, the Management API's field
 * names: database, Google and SAML users, app and user metadata, some blocked) given with
 * --auth0-export, staged into a journal by the Auth0 source in a child process (roles and the
 * organizations come from the local fake tenant). The child runs the built tool (dist/, built
 * first when src/ is newer) with plain Node, as `npx workos-migrate` does, through the provider
 * the CLI uses (the export read in a worker thread). Prints rows/s (target >= 100,000), the
 * process's peak RSS (target <= 200 MB) and the time split between reading the export and
 * finalizing the staging, and checks every user was staged once.
 *
 *   npx tsx bench/auth0-staging.ts        (BENCH_USERS=100000 for a quick look; BENCH_AUTH0_FILE=F
 *                                          keeps the generated export in F for the next run)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { generateAuth0Tenant, startFakeAuth0 } from '../src/sandbox/auth0/index.js';
import { ensureBuilt } from '../test/e2e/tmux.js';

interface StageResult {
  completed: boolean;
  seconds: number;
  /** Of `seconds`, the journal's finalizeStaging (duplicates, orphans) after the last batch (bench/stage-child.mjs). */
  finalizeSeconds: number;
  users: number;
  leftOut: number;
  peakRssMb: number;
}

function* exportLines(users: number): Generator<string> {
  const hex = (i: number) => i.toString(16).padStart(24, '0');
  for (let i = 0; i < users; i++) {
    const kind = i % 20 === 0 ? 'google' : i % 20 === 1 ? 'saml' : 'db';
    const email = `user${i}@example.com`;
    const userId = kind === 'db' ? `auth0|${hex(i)}` : kind === 'google' ? `google-oauth2|${100000000000000 + i}` : `samlp|acme-saml|${email}`;
    const identity =
      kind === 'db'
        ? { connection: 'Username-Password-Authentication', provider: 'auth0', isSocial: false, user_id: hex(i) }
        : kind === 'google'
          ? { connection: 'google-oauth2', provider: 'google-oauth2', isSocial: true, user_id: String(100000000000000 + i) }
          : { connection: 'acme-saml', provider: 'samlp', isSocial: false, user_id: email };
    yield `${JSON.stringify({
      user_id: userId,
      email,
      email_verified: i % 3 !== 0,
      name: `First${i} Last${i % 97}`,
      given_name: `First${i}`,
      family_name: `Last${i % 97}`,
      ...(i % 1000 === 7 ? { blocked: true } : {}),
      identities: [identity],
      app_metadata: { plan: i % 2 ? 'pro' : 'free', tenant: { id: `t${i % 50}` } },
      user_metadata: { locale: 'en', theme: i % 2 ? 'dark' : 'light' },
      created_at: new Date(Date.UTC(2023, 0, 1) + i * 1000).toISOString(),
    })}\n`;
  }
}

async function writeExport(file: string, users: number): Promise<void> {
  // Lines joined in chunks: one write per line would make the generator, not the source, the bench.
  const chunks = (function* () {
    let chunk = '';
    for (const line of exportLines(users)) {
      chunk += line;
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  })();
  await pipeline(Readable.from(chunks), createGzip({ level: 6 }), fs.createWriteStream(file));
}

const users = Number(process.env.BENCH_USERS ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-auth0-bench-'));
const fake = await startFakeAuth0({ tenant: generateAuth0Tenant({ users: 0, organizations: 0, extraRoles: 0, seed: 3 }), enforceLimits: false });
try {
  ensureBuilt();
  // BENCH_AUTH0_FILE keeps the export between runs (written there once, for BENCH_USERS users).
  const file = process.env.BENCH_AUTH0_FILE || path.join(dir, 'export.json.gz');
  if (!process.env.BENCH_AUTH0_FILE || !fs.existsSync(file)) {
    const t0 = performance.now();
    await writeExport(file, users);
    process.stdout.write(`wrote ${users.toLocaleString('en-US')} users (${(fs.statSync(file).size / 1e6).toFixed(0)} MB gzip) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const env = { ...process.env, AUTH0_DOMAIN: fake.domain, AUTH0_CLIENT_ID: fake.clientId, AUTH0_CLIENT_SECRET: fake.clientSecret, AUTH0_API_URL: fake.url };
  // Asynchronously: the fake tenant the child reads roles from lives in this process.
  const source = { kind: 'auth0', options: { domain: fake.domain, clientId: fake.clientId, apiUrl: fake.url, secretEnv: 'AUTH0_CLIENT_SECRET', exportFile: file } };
  const queries = { leftOut: `SELECT COUNT(*) AS n FROM users WHERE error_code = 'left_out'` };
  const { stdout: out } = await promisify(execFile)(process.execPath, [path.join(import.meta.dirname, 'stage-child.mjs'), JSON.stringify(source), dir, JSON.stringify(queries)], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as StageResult;
  const rate = r.users / r.seconds;
  const exportSeconds = r.seconds - r.finalizeSeconds;
  const ok = r.completed && r.users === users && r.leftOut === Math.ceil((users - 7) / 1000) && rate >= 100_000 && r.peakRssMb <= 200;
  process.stdout.write(
    `auth0 staging  ${r.users.toLocaleString('en-US')} users from a gzip export in ${r.seconds.toFixed(1)} s = ${Math.round(rate).toLocaleString('en-US')} rows/s (target 100,000: ${(rate / 100_000).toFixed(2)}); ` +
      `peak RSS ${r.peakRssMb.toFixed(0)} MB (limit 200); export ${exportSeconds.toFixed(1)} s (${Math.round(r.users / exportSeconds).toLocaleString('en-US')} rows/s) + finalize ${r.finalizeSeconds.toFixed(1)} s; ` +
      `${r.leftOut.toLocaleString('en-US')} blocked users left out  ${ok ? 'PASS' : 'FAIL'}\n`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
