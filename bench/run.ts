/**
 * `npm run bench`: the figures the engine is held to, printed as ratios to their targets.
 * - import: writes/s against the sandbox at WorkOS's real write limit (target >= 0.95 of 50/s, 0 failed)
 * - staging: rows/s of a 1,000,000-row CSV into the journal (target >= 100,000) and peak RSS (<= 150 MB)
 * BENCH_ONLY=import|stage runs one; BENCH_USERS and BENCH_ROWS shrink them for a quick look.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchImport } from './import.js';
import { writeBigCsv } from './stage.js';

const only = process.env.BENCH_ONLY;
const lines: string[] = [];
let ok = true;

if (!only || only === 'stage') {
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-'));
  const file = path.join(dir, 'big.csv');
  writeBigCsv(file, rows);
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'stage.ts'), '--child', file, String(rows)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { rows: number; seconds: number; rowsPerSecond: number; peakRssMb: number };
  const pass = r.rowsPerSecond >= 100_000 && r.peakRssMb <= 150 && r.rows === rows;
  ok &&= pass;
  lines.push(
    `staging   ${r.rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(1)} s = ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s ` +
      `(${(r.rowsPerSecond / 100_000).toFixed(2)} of the 100,000 target), peak RSS ${r.peakRssMb.toFixed(0)} MB (limit 150)  ${pass ? 'PASS' : 'FAIL'}`,
  );
  process.stdout.write(`${lines.at(-1)}\n`);
}

if (!only || only === 'import') {
  const r = await benchImport();
  const pass = r.ratio >= 0.95 && r.failed === 0;
  ok &&= pass;
  lines.push(
    `import    ${r.writes.toLocaleString('en-US')} writes in ${r.seconds.toFixed(1)} s = ${r.writesPerSecond.toFixed(2)} writes/s = ${r.ratio.toFixed(3)} of the 50/s ceiling; ` +
      `${r.failed} failed, ${r.rateLimited} answered 429, at most ${r.maxWritesInAnyWindow} writes in any 10 s window  ${pass ? 'PASS' : 'FAIL'}`,
  );
  process.stdout.write(`${lines.at(-1)}\n`);
}

process.exitCode = ok ? 0 : 1;
