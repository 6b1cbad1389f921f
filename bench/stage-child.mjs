// Staging benchmark, child side: the built tool (dist/, as `npx workos-migrate` runs it) stages
// the given CSV into a fresh journal; peak RSS is this process's own. Plain Node, no loader.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const { createEventBus } = await import(new URL('services/events.js', dist));
const { runExport } = await import(new URL('services/export/exporter.js', dist));
const { Journal } = await import(new URL('services/journal/journal.js', dist));
const { providerFor } = await import(new URL('services/migration.js', dist));

const [file, rows] = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-stage-'));
const settings = { version: 1, source: { kind: 'file', options: { path: file } }, workos: { apiKeyEnv: 'WORKOS_API_KEY' }, createdAt: new Date().toISOString() };
const journal = Journal.create(path.join(dir, 'stage.db'), settings);
const started = performance.now();
// The provider the CLI uses: the file is parsed in a worker thread while this thread stages.
const result = await runExport(journal, providerFor(settings, {}), createEventBus());
const seconds = (performance.now() - started) / 1000;
const counts = journal.counts();
journal.close();
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ rows: result.done, expectedRows: Number(rows), seconds, rowsPerSecond: result.done / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, users: counts.user.total, memberships: counts.membership.total })}\n`,
);
