/**
 * Firebase export staging: a `firebase auth:export` JSON of BENCH_FIREBASE_USERS users (default
 * 200,000; firebase-tools' pretty-printed layout, each with a hash, claims and providers) streamed
 * into a journal, then the same users as CSV. Prints users staged per second, the file's size and
 * the peak RSS above the starting one: the file is never held in memory, so the peak stays far
 * below the file's size.
 *
 *   npx tsx bench/firebase-export.ts
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFirebaseProvider } from '../src/providers/firebase/index.js';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';

const USERS = Number(process.env.BENCH_FIREBASE_USERS ?? 200_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-firebase-'));
// Hashes are copied from a few real-looking values: staging does not recompute them.
const hashes = Array.from({ length: 16 }, () => ({ hash: randomBytes(64).toString('base64'), salt: randomBytes(16).toString('base64') }));

function user(i: number) {
  const h = hashes[i % hashes.length];
  return {
    localId: `uid${i.toString(36).padStart(8, '0')}`,
    email: `user${i}@example.com`,
    emailVerified: i % 3 !== 0,
    passwordHash: h.hash,
    salt: h.salt,
    displayName: `User Number${i}`,
    createdAt: String(1_600_000_000_000 + i),
    lastSignedInAt: String(1_700_000_000_000 + i),
    disabled: false,
    ...(i % 5 === 0 ? { customAttributes: JSON.stringify({ plan: 'pro', seats: i % 9 }) } : {}),
    providerUserInfo: [{ providerId: 'password', rawId: `user${i}@example.com`, email: `user${i}@example.com` }, ...(i % 7 === 0 ? [{ providerId: 'google.com', rawId: `g${i}` }] : [])],
  };
}

function writeJson(file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, '{"users": [\n');
  for (let i = 0; i < USERS; i++) fs.writeSync(fd, `${JSON.stringify(user(i), null, 2)}${i + 1 < USERS ? ',\n' : '\n'}`);
  fs.writeSync(fd, ']}\n');
  fs.closeSync(fd);
}

function writeCsv(file: string): void {
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < USERS; i++) {
    const u = user(i);
    const row: string[] = Array(28).fill('');
    [row[0], row[1], row[2], row[3], row[4], row[5]] = [u.localId, u.email, String(u.emailVerified), u.passwordHash, u.salt, u.displayName];
    [row[23], row[24], row[26]] = [u.createdAt, u.lastSignedInAt, 'false'];
    if (u.customAttributes) row[27] = `"${u.customAttributes.replace(/"/g, '""')}"`;
    fs.writeSync(fd, `${row.join(',')}\n`);
  }
  fs.closeSync(fd);
}

async function stage(file: string): Promise<{ seconds: number; staged: number; peakMb: number }> {
  const journal = Journal.create(path.join(dir, `${path.basename(file)}.db`), {
    version: 1,
    source: { kind: 'firebase', options: { exportFile: file } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  try {
    const provider = createFirebaseProvider({ exportFile: file, saltSeparator: 'Bw==', signerKey: 'AA' });
    await runExport(journal, provider, createEventBus(), {});
    return { seconds: (performance.now() - started) / 1000, staged: journal.counts().user.total, peakMb: (peak - base) / 2 ** 20 };
  } finally {
    clearInterval(watch);
    journal.close();
  }
}

const json = path.join(dir, 'users.json');
const csv = path.join(dir, 'users.csv');
writeJson(json);
writeCsv(csv);
for (const file of [json, csv]) {
  const size = fs.statSync(file).size / 2 ** 20;
  const r = await stage(file);
  console.log(
    `firebase ${path.extname(file).slice(1)}: ${r.staged.toLocaleString('en-US')} users staged in ${r.seconds.toFixed(1)} s (${Math.round(r.staged / r.seconds).toLocaleString('en-US')}/s); file ${size.toFixed(0)} MB, peak RSS +${r.peakMb.toFixed(0)} MB`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
