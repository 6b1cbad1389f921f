/**
 * `npm run bench`: the figures the engine is held to, printed as ratios to their targets.
 * - import: writes/s against the sandbox at WorkOS's real write limit (target >= 0.95 of 50/s, 0 failed)
 * - staging: rows/s of a 1,000,000-row CSV into the journal (target >= 100,000) and peak RSS (<= 150 MB)
 * - the same import with the wizard drawing it, side by side with the engine alone
 * - stytch export: pages/min against the fake at Stytch's real limit (target >= 0.95 of 100/min)
 * - verify: read calls to verify 100,000 users by listing against users / 100 (target <= 1.2), elapsed, peak RSS
 * BENCH_ONLY=import|stage|stytch|verify runs one; BENCH_USERS, BENCH_ROWS and BENCH_VERIFY_USERS shrink them for a quick look.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchImport, type ImportBenchResult } from './import.js';
import { benchStytchExport } from './stytch-export.js';
import { benchVerify, verifyLine } from './verify.js';
import { benchWizardImport } from './wizard.js';
import { ensureBuilt } from '../test/e2e/tmux.js';
import { writeBigCsv } from './stage.js';

const only = process.env.BENCH_ONLY;
const lines: string[] = [];
let ok = true;

if (!only || only === 'stage') {
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-'));
  const file = path.join(dir, 'big.csv');
  writeBigCsv(file, rows);
  ensureBuilt();
  const out = execFileSync(process.execPath, [path.join(import.meta.dirname, 'stage-child.mjs'), JSON.stringify({ kind: 'file', options: { path: file } }), dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  const child = JSON.parse(out.trim().split('\n').at(-1)!) as { done: number; seconds: number; peakRssMb: number };
  const r = { rows: child.done, seconds: child.seconds, rowsPerSecond: child.done / child.seconds, peakRssMb: child.peakRssMb };
  const pass = r.rowsPerSecond >= 100_000 && r.peakRssMb <= 150 && r.rows === rows;
  ok &&= pass;
  lines.push(
    `staging         ${r.rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(1)} s = ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s ` +
      `(${(r.rowsPerSecond / 100_000).toFixed(2)} of the 100,000 target), peak RSS ${r.peakRssMb.toFixed(0)} MB (limit 150)  ${pass ? 'PASS' : 'FAIL'}`,
  );
  process.stdout.write(`${lines.at(-1)}\n`);
}

const importLine = (label: string, r: ImportBenchResult, extra = '') => {
  const pass = r.ratio >= 0.95 && r.failed === 0;
  ok &&= pass;
  const line =
    `${label.padEnd(16)}${r.writes.toLocaleString('en-US')} writes in ${r.seconds.toFixed(1)} s = ${r.writesPerSecond.toFixed(2)} writes/s = ${r.ratio.toFixed(3)} of the 50/s ceiling; ` +
    `${r.failed} failed, ${r.rateLimited} answered 429, at most ${r.maxWritesInAnyWindow} writes in any 10 s window${extra}  ${pass ? 'PASS' : 'FAIL'}`;
  lines.push(line);
  process.stdout.write(`${line}\n`);
  return r;
};

if (!only || only === 'import') {
  const engine = importLine('import (engine)', await benchImport());
  const wizard = await benchWizardImport();
  importLine('import (wizard)', wizard, `; ${wizard.frames.toLocaleString('en-US')} frames drawn`);
  process.stdout.write(`import side by side: engine alone ${engine.ratio.toFixed(3)}, with the wizard drawing ${wizard.ratio.toFixed(3)} of the ceiling\n`);
}

if (!only || only === 'stytch') {
  const r = await benchStytchExport();
  const pass = r.ratio >= 0.95;
  ok &&= pass;
  const line = `stytch export   ${r.pages} pages in ${r.minutes.toFixed(2)} min = ${r.pagesPerMinute.toFixed(1)} pages/min = ${r.ratio.toFixed(3)} of the 100/min limit  ${pass ? 'PASS' : 'FAIL'}`;
  lines.push(line);
  process.stdout.write(`${line}\n`);
}

if (!only || only === 'verify') {
  const { line, pass } = verifyLine(await benchVerify());
  ok &&= pass;
  lines.push(line);
  process.stdout.write(`${line}\n`);
}

process.exitCode = ok ? 0 : 1;
