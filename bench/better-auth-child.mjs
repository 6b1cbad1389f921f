// Better Auth staging benchmark, child side: the built tool (dist/, as `npx workos-migrate` runs
// it) stages the database into a fresh journal, reading in its export worker; peak RSS is this
// process's own. Plain Node, no loader. Prints one JSON line.
import path from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const { createEventBus } = await import(new URL('services/events.js', dist));
const { runExport } = await import(new URL('services/export/exporter.js', dist));
const { Journal } = await import(new URL('services/journal/journal.js', dist));
const { providerFor } = await import(new URL('services/migration.js', dist));

const [url, dir] = process.argv.slice(2);
const settings = { version: 1, source: { kind: 'better-auth', options: { secretEnv: 'DATABASE_URL' } }, workos: { apiKeyEnv: 'WORKOS_API_KEY' }, createdAt: new Date().toISOString() };
const journal = Journal.create(path.join(dir, 'stage.db'), settings);
const bus = createEventBus();
// The export's end is its last batch staged; finalizing (duplicates, orphans) and the checkpoint follow.
let exported;
const emit = bus.emit;
bus.emit = (event) => {
  if (event.type === 'progress' && event.phase === 'export') exported = performance.now();
  emit(event);
};
const started = performance.now();
const result = await runExport(journal, providerFor(settings, { DATABASE_URL: url }), bus);
const ended = performance.now();
const counts = journal.counts();
const scrypt = journal.get(`SELECT COUNT(*) AS n FROM users WHERE password_hash_type = 'scrypt' AND password_hash LIKE '$scrypt$v=1$n=16384,r=16,p=1,kl=64$%'`).n;
journal.close();
process.stdout.write(
  `${JSON.stringify({
    completed: result.completed,
    seconds: (ended - started) / 1000,
    finalizeSeconds: exported ? (ended - exported) / 1000 : undefined,
    users: counts.user.total,
    memberships: counts.membership.total,
    organizations: counts.organization.total,
    scrypt,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
