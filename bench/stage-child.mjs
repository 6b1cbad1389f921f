// Staging benchmarks, child side: the built tool (dist/, as `npx workos-migrate` runs it) stages a
// source into a fresh journal through the CLI's provider (files and databases read in its export
// worker); peak RSS is this process's own. Plain Node, no loader: the worker thread inherits the
// process's flags.
//
//   node bench/stage-child.mjs SOURCE_JSON DIR [QUERIES_JSON]
// SOURCE_JSON is the journal's `source` ({ kind, options }); the source's secrets come from the
// environment. QUERIES_JSON names SQL counts over the journal to report ({ name: "SELECT COUNT(*) AS n ..." }).
// Prints one JSON line: completed, seconds, finalizeSeconds, done (the source's units), users,
// memberships, organizations, each named count, peakRssMb.
import path from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const { createEventBus } = await import(new URL('services/events.js', dist));
const { runExport } = await import(new URL('services/export/exporter.js', dist));
const { Journal } = await import(new URL('services/journal/journal.js', dist));
const { providerFor } = await import(new URL('services/migration.js', dist));

const [sourceJson, dir, queriesJson] = process.argv.slice(2);
const settings = { version: 1, source: JSON.parse(sourceJson), workos: { apiKeyEnv: 'WORKOS_API_KEY' }, createdAt: new Date().toISOString() };
const journal = Journal.create(path.join(dir, 'stage.db'), settings);
// Timed apart: finalizing (duplicates, orphans) is the journal's work after the last batch, not the source's.
const finalize = journal.finalizeStaging.bind(journal);
let finalizeMs = 0;
journal.finalizeStaging = (...args) => {
  const t = performance.now();
  try {
    return finalize(...args);
  } finally {
    finalizeMs += performance.now() - t;
  }
};
const started = performance.now();
const result = await runExport(journal, providerFor(settings, process.env), createEventBus());
const seconds = (performance.now() - started) / 1000;
const counts = journal.counts();
const named = Object.fromEntries(Object.entries(JSON.parse(queriesJson ?? '{}')).map(([name, sql]) => [name, journal.get(sql).n]));
journal.close();
process.stdout.write(
  `${JSON.stringify({
    completed: result.completed,
    seconds,
    finalizeSeconds: finalizeMs / 1000,
    done: result.done,
    users: counts.user.total,
    memberships: counts.membership.total,
    organizations: counts.organization.total,
    ...named,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
