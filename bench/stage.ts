/**
 * Staging throughput and memory: a generated 1,000,000-row CSV streamed into a fresh journal.
 * Run in its own process (by bench/run.ts) so its peak RSS is its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEventBus } from '../src/services/events.js';
import { runExport } from '../src/services/export/exporter.js';
import { Journal } from '../src/services/journal/journal.js';
import { createProvider } from '../src/providers/index.js';

export function writeBigCsv(file: string, rows: number): void {
  const fd = fs.openSync(file, 'w');
  let chunk = 'id,email,first_name,last_name,email_verified,organization_id,organization_name,role\n';
  for (let i = 1; i <= rows; i++) {
    chunk += `u${i},user${i}@example.com,First${i % 97},Last${i % 89},true,org${i % 1000},Org ${i % 1000},${i % 10 ? 'member' : 'admin'}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

async function stage(file: string, rows: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-stage-'));
  const journal = Journal.create(path.join(dir, 'stage.db'), {
    version: 1,
    source: { kind: 'file', options: { path: file } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  const started = performance.now();
  const result = await runExport(journal, createProvider('file', { path: file }, {}), createEventBus());
  const seconds = (performance.now() - started) / 1000;
  const counts = journal.counts();
  journal.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ rows: result.done, expectedRows: rows, seconds, rowsPerSecond: result.done / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, users: counts.user.total, memberships: counts.membership.total })}\n`,
  );
}

if (process.argv[2] === '--child') await stage(process.argv[3], Number(process.argv[4]));
