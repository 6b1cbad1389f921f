/**
 * Auth0 as the CLI runs it: the export read in the export worker (services/migration.ts
 * providerFor), staged on the main thread. Against an in-process export of the same tenant, the
 * journal is the same row for row, although the worker's run is stopped in the middle of the
 * download and resumed; the 429s the tenant answers are said while they happen and counted in the
 * run's source requests. Also: an export file the operator has, through the worker, with its
 * blocked users left out.
 */
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/providers/index.js';
import type { ExportBatch } from '../../src/providers/types.js';
import { auth0ExportFile, expectedAuth0State, generateAuth0Tenant, startFakeAuth0, writeAuth0MfaExport, writeAuth0PasswordExport, type FakeAuth0 } from '../../src/sandbox/auth0/index.js';
import { createEventBus, type MigrationEvent } from '../../src/services/events.js';
import { runExport } from '../../src/services/export/exporter.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { providerFor } from '../../src/services/migration.js';
import { tempDir } from '../helpers.js';
import { fakeEnv, stopWhen } from './util.js';

/** Everything staged, without ids and times: what the import and the reports read. */
function contents(journal: Journal) {
  const sorted = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    users: sorted(journal.all('SELECT source_id, email, email_norm, first_name, last_name, email_verified, password_hash, password_hash_type, metadata, social, mfa, origin, totp_secret, totp_state, state, error_code, last_error FROM users')),
    organizations: sorted(journal.all('SELECT source_id, name, domains, metadata, origin, state FROM organizations')),
    memberships: sorted(journal.all('SELECT user_source_id, org_source_id, roles, origin, status, state FROM memberships')),
    roles: sorted(journal.all('SELECT slug, name, description FROM roles')),
    issues: sorted(journal.all('SELECT severity, location, field, message, record_kind, source_id FROM issues')),
  };
}

describe('Auth0 through the export worker', () => {
  let fake: FakeAuth0;
  let dir: string;
  let settings: RunSettings;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const tenant = generateAuth0Tenant({ users: 1500, organizations: 8, seed: 31 });
    fake = await startFakeAuth0({ tenant, burst: 20, perSecond: 40, jobMs: 200 });
    dir = tempDir('wm-auth0-worker-');
    writeAuth0PasswordExport(path.join(dir, 'passwords.json'), tenant);
    writeAuth0MfaExport(path.join(dir, 'mfa.json'), tenant);
    env = fakeEnv(fake);
    settings = {
      version: 1,
      source: {
        kind: 'auth0',
        options: {
          domain: fake.domain,
          clientId: fake.clientId,
          apiUrl: fake.url,
          secretEnv: 'AUTH0_CLIENT_SECRET',
          passwordExportPath: path.join(dir, 'passwords.json'),
          mfaExportPath: path.join(dir, 'mfa.json'),
          pageSize: 100,
          pollMs: 100,
          take: 20,
        },
      },
      workos: { apiKeyEnv: 'WORKOS_API_KEY' },
      createdAt: new Date().toISOString(),
    };
  });
  afterAll(() => fake?.close());

  it('stages what the in-process export stages, across a stop in the download; 429s said at once and counted', async () => {
    const inProcess = Journal.create(path.join(dir, 'in-process.db'), settings);
    expect((await runExport(inProcess, createProvider('auth0', settings.source.options, env), createEventBus())).completed).toBe(true);
    const expected = contents(inProcess);
    inProcess.close();
    expect(expected.users).toHaveLength(1500);

    fake.resetStats();
    const file = path.join(dir, 'worker.db');
    Journal.create(file, settings).close();
    const events: MigrationEvent[] = [];
    const bus = createEventBus();
    bus.subscribe((e) => events.push(e));
    fake.inject429(2);

    // Run 1: stopped after three batches of users (the worker may have read further: not staged).
    let journal = Journal.open(file);
    const stop = new AbortController();
    let userBatches = 0;
    const counted = (b: ExportBatch) => (b.rows?.users.length ?? b.users?.length ?? 0) > 0;
    const run1 = await runExport(journal, stopWhen(providerFor(settings, env), (b) => (counted(b) ? ++userBatches : 0) >= 3, stop), bus, { signal: stop.signal });
    expect(run1.completed).toBe(false);
    expect(JSON.parse(journal.cursor('auth0')!.cursor)).toMatchObject({ phase: 'download', line: 300 });
    expect(journal.counts().user.total).toBe(300);
    journal.close();

    // Run 2: resumed to the end, the first 300 lines skipped (their passwords still matched).
    journal = Journal.open(file);
    const run2 = await runExport(journal, providerFor(settings, env), bus);
    expect(run2.completed).toBe(true);
    expect(contents(journal)).toEqual(expected);
    journal.close();

    // The waits were said as they happened, and the source's requests are the tenant's own count.
    // (At least the two injected: a loaded machine may provoke one more, counted the same way.)
    const tenant = fake.stats();
    expect(tenant.rateLimited).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === 'rate_limited')).toHaveLength(tenant.rateLimited);
    expect(events.some((e) => e.type === 'notice' && /Auth0 answered 429/.test(e.message))).toBe(true);
    expect(run2.sourceStats).toMatchObject({ rateLimited: tenant.rateLimited, requests: tenant.requests });
    expect(tenant.jobsCreated).toBe(1);
    expect(tenant.repeatedPages).toEqual([]);
  });

  it('reads an export file given with --auth0-export in the worker, blocked users left out', async () => {
    const exportFile = path.join(dir, 'users.json.gz');
    fs.writeFileSync(exportFile, auth0ExportFile(fake.tenant.users));
    const withFile: RunSettings = { ...settings, source: { ...settings.source, options: { ...settings.source.options, exportFile, pageSize: undefined } } };
    const journal = Journal.create(path.join(dir, 'file.db'), withFile);
    const result = await runExport(journal, providerFor(withFile, env), createEventBus());
    expect(result.completed).toBe(true);
    const counts = journal.counts();
    expect(counts.user.total).toBe(1500);
    const blocked = expectedAuth0State(fake.tenant).blocked;
    expect(counts.user.skipped).toBe(blocked.length);
    expect(journal.all<{ source_id: string }>(`SELECT source_id FROM users WHERE error_code = 'left_out'`).map((r) => r.source_id).sort()).toEqual([...blocked].sort());
    journal.close();
  });
});
