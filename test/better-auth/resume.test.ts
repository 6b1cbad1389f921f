/**
 * A Better Auth export stopped in the middle of its keyset paging resumes after the last staged
 * key (no user read twice, none missed); the import SIGKILLed at several moments and resumed each
 * time ends with the exact state, on SQLite, PostgreSQL and MariaDB.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/providers/index.js';
import type { SourceProvider } from '../../src/providers/types.js';
import { startSandbox, type Sandbox, type SandboxLimits } from '../../src/sandbox/index.js';
import { createEventBus } from '../../src/services/events.js';
import { runExport } from '../../src/services/export/exporter.js';
import { Journal } from '../../src/services/journal/journal.js';
import { rateFlags, spawnCli, tempDir } from '../helpers.js';
import { APP_SECRET, buildFixture, serverUp, type Fixture, type FixtureDialect } from './fixture.js';
import { expectTotpFactors, expectWorkOSHolds, ROLES } from './util.js';

const DIALECTS: FixtureDialect[] = ['sqlite', 'postgres', 'mysql'];
const up: Record<string, boolean> = {};
for (const d of DIALECTS) up[d] = await serverUp(d);

const LIMITS: SandboxLimits = {
  writes: { limit: 15, windowMs: 100 },
  reads: { limit: 40, windowMs: 100 },
  general: { limit: 60, windowMs: 100 },
};

/** The provider of a process that stops after `batches` staged batches, counting the users it read. */
function stopAfter(provider: SourceProvider, batches: number, controller: AbortController, seen: string[]): SourceProvider {
  return {
    ...provider,
    async *export(options) {
      let n = 0;
      for await (const batch of provider.export(options)) {
        seen.push(...(batch.users ?? []).map((u) => u.sourceId));
        if (++n >= batches) controller.abort(new Error('stopped by the test'));
        yield batch;
      }
    },
  };
}

/** Runs the CLI and SIGKILLs it `delayMs` after the import shows progress (or lets it finish). */
function runAndKill(args: string[], cwd: string, env: NodeJS.ProcessEnv, delayMs: number): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { cwd, env });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!timer && /^(organizations|users|memberships) /m.test(stderr)) timer = setTimeout(() => (killed = child.kill('SIGKILL')), delayMs);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ killed: killed && code === null, code, stderr });
    });
  });
}

describe.each(DIALECTS)('Better Auth (%s): stopped and killed, resumed', (dialect) => {
  const skip = !up[dialect] && !process.env.CI;
  let fixture: Fixture;
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    if (skip) return;
    dir = tempDir('wm-ba-resume-');
    fixture = await buildFixture({ dialect, dir, bulk: 500 });
    sandbox = await startSandbox({ limits: LIMITS, roles: ROLES, multipleRoles: true, faults: { latencyMs: [2, 20], seed: 5 } });
  }, 180_000);
  afterAll(async () => {
    await sandbox?.close();
    await fixture?.close();
  });

  it.skipIf(skip)('SIGKILLed in the middle of the export, resumes it from the saved key and ends exact', async () => {
    const own = await startSandbox({ limits: LIMITS, roles: ROLES, multipleRoles: true });
    try {
      const env = { WORKOS_API_KEY: own.apiKey, WORKOS_API_URL: own.url, DATABASE_URL: fixture.url, BETTER_AUTH_SECRET: APP_SECRET };
      const journalPath = path.join(dir, 'killed-export.db');
      // Pages of one user: the export takes long enough to be killed in the middle.
      Journal.create(journalPath, {
        version: 1,
        source: { kind: 'better-auth', options: { secretEnv: 'DATABASE_URL', pageSize: 1 } },
        workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: own.url, environment: 'test' },
        createdAt: new Date().toISOString(),
      }).close();
      // Killed as soon as the journal holds staged users (watched from outside, as another process would).
      const killed = await new Promise<boolean>((resolve) => {
        const child = spawnCli(['resume', '--journal', journalPath, ...rateFlags(LIMITS)], { cwd: dir, env });
        let sent = false;
        const watch = setInterval(() => {
          try {
            const db = new Database(journalPath, { readonly: true, fileMustExist: true });
            const n = (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
            db.close();
            if (n > 0 && !sent) sent = child.kill('SIGKILL');
          } catch {
            // the journal is being opened: next tick
          }
        }, 15);
        child.on('exit', (code) => {
          clearInterval(watch);
          resolve(sent && code === null);
        });
      });
      expect(killed).toBe(true);
      let journal = Journal.open(journalPath);
      const phase = journal.phase;
      const cursor = JSON.parse(journal.cursor('better-auth')!.cursor) as { phase: string; after: string | null };
      const staged = journal.counts().user.total;
      journal.close();
      expect(phase).toBe('exporting');
      expect(staged).toBeGreaterThan(0);
      expect(staged).toBeLessThan(fixture.expected.users.length);
      expect(own.state.users.size).toBe(0);
      if (cursor.phase === 'users') expect(cursor.after).not.toBeNull();

      const outcome = await runAndKill(['resume', '--journal', journalPath, ...rateFlags(LIMITS)], dir, env, 1e9);
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(outcome.stderr).toMatch(/Resuming the export of Better Auth after \d+ records/);
      expectWorkOSHolds(own, fixture.expected);
      journal = Journal.open(journalPath);
      expect(journal.counts().user.total).toBe(fixture.expected.users.length);
      journal.close();
    } finally {
      await own.close();
    }
  }, 300_000);

  it.skipIf(skip)('resumes the export after the last staged key, and a killed import ends exact', async () => {
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, DATABASE_URL: fixture.url, BETTER_AUTH_SECRET: APP_SECRET };
    const journalPath = path.join(dir, 'resume.db');
    const options = { secretEnv: 'DATABASE_URL', pageSize: 100 };
    Journal.create(journalPath, {
      version: 1,
      source: { kind: 'better-auth', options },
      workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' },
      createdAt: new Date().toISOString(),
    }).close();

    // Stopped twice in the users' pages: each pass goes on after the last staged user.
    const seen: string[] = [];
    for (const batches of [4, 2]) {
      const journal = Journal.open(journalPath);
      const stop = new AbortController();
      const run = await runExport(journal, stopAfter(createProvider('better-auth', options, env), batches, stop, seen), createEventBus(), { signal: stop.signal });
      expect(run.completed).toBe(false);
      const cursor = JSON.parse(journal.cursor('better-auth')!.cursor) as { phase: string; after: string };
      expect(cursor.phase).toBe('users');
      expect(cursor.after).toBe(seen[seen.length - 1]);
      journal.close();
    }
    // No user read twice across the passes, in key order.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(500);

    // The rest of the export and the import, SIGKILLed a few times while importing.
    const flags = ['--journal', journalPath, ...rateFlags(LIMITS)];
    let kills = 0;
    let finished = false;
    for (const delay of [150, 400, 700, 1_000]) {
      const outcome = await runAndKill(['resume', ...flags], dir, env, delay);
      if (outcome.killed) kills++;
      else {
        expect(outcome.code, outcome.stderr).toBe(0);
        finished = true;
        break;
      }
    }
    if (!finished) {
      const outcome = await runAndKill(['resume', ...flags], dir, env, 1e9);
      expect(outcome.code, outcome.stderr).toBe(0);
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expectWorkOSHolds(sandbox, fixture.expected);
    expectTotpFactors(sandbox, fixture.expected);
    const journal = Journal.open(journalPath);
    const counts = journal.counts();
    journal.close();
    expect(counts.user.done).toBe(fixture.expected.users.length);
    expect(counts.user.adopted).toBe(0);
    for (const kind of ['organization', 'user', 'membership'] as const) expect(counts[kind].in_flight + counts[kind].pending + counts[kind].failed).toBe(0);
  }, 300_000);
});
