/**
 * Parsing throughput of the file source alone (no journal): generates a CSV of N rows (default
 * 1,000,000; 8 columns: id,email,first_name,last_name,email_verified,organization_id,
 * organization_name,role), exports it through createFileProvider and prints rows/s and peak RSS.
 *
 *   npx tsx bench/file-parse.ts [--rows 1000000] [--keep] [--baseline]
 *
 * --baseline also times csv-parse by itself on the same file (the floor of what the provider can do).
 * The file goes to bench/out/ (git-ignored) and is deleted afterwards unless --keep.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { createFileProvider } from '../src/providers/file/index.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rows = value('--rows', 1_000_000);
const dir = path.join(import.meta.dirname, 'out');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `file-parse-${rows}.csv`);

function generate(): void {
  const fd = fs.openSync(file, 'w');
  let chunk = 'id,email,first_name,last_name,email_verified,organization_id,organization_name,role\n';
  for (let i = 0; i < rows; i++) {
    const org = i % 5000;
    chunk += `usr_${i},user${i}@example${i % 1000}.com,First${i % 977},Last${i % 1013},${i % 3 ? 'true' : 'false'},org_${org},Org ${org},${i % 7 ? 'member' : 'admin'}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

async function baseline(): Promise<void> {
  const start = performance.now();
  let n = 0;
  const parser = fs.createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(parse({ relax_column_count: true, skip_empty_lines: true }));
  for await (const _record of parser) n++;
  const seconds = (performance.now() - start) / 1000;
  console.log(`csv-parse alone: ${n - 1} rows in ${seconds.toFixed(2)} s = ${Math.round((n - 1) / seconds).toLocaleString('en-US')} rows/s`);
}

async function run(): Promise<void> {
  const provider = createFileProvider({ path: file });
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let done = 0;
  let users = 0;
  let memberships = 0;
  let organizations = 0;
  let issues = 0;
  let batches = 0;
  for await (const batch of provider.export({})) {
    batches++;
    done = batch.progress?.done ?? done;
    users += batch.users?.length ?? 0;
    memberships += batch.memberships?.length ?? 0;
    organizations += batch.organizations?.length ?? 0;
    issues += batch.issues?.length ?? 0;
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `file provider: ${done.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s = ${Math.round(done / seconds).toLocaleString('en-US')} rows/s ` +
      `(CPU ${cpuSeconds.toFixed(2)} s = ${Math.round(done / cpuSeconds).toLocaleString('en-US')} rows per CPU-second)`,
  );
  console.log(`  ${batches} batches, ${users} users, ${memberships} memberships, ${organizations} organizations, ${issues} issues`);
  console.log(`  peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
}

const t0 = performance.now();
generate();
console.log(`generated ${rows.toLocaleString('en-US')} rows (${(fs.statSync(file).size / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
try {
  await run();
  if (flag('--baseline')) await baseline();
} finally {
  if (!flag('--keep')) fs.rmSync(file, { force: true });
}
