/**
 * A Supabase migration killed (SIGKILL of the CLI child) once in the middle of its keyset paging
 * and once in the middle of the import, resumed each time: the export goes on after the last
 * staged id (no page read twice, none missed), the import reconciles what was in flight, and
 * WorkOS ends with the exact state, nothing created twice.
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
import { rateFlags, runCli, spawnCli, tempDir } from '../helpers.js';
import { buildFixture, serverUp, type Fixture } from './fixture.js';
import { expectWorkOSHolds, ROLES } from './util.js';

const up = await serverUp();

/** Slow enough writes that the import is killed in its middle; reads fast. */
const LIMITS: SandboxLimits = {
  writes: { limit: 40, windowMs: 100 },
  reads: { limit: 100, windowMs: 100 },
  general: { limit: 100, windowMs: 100 },
};

/** The provider, recording each user id it reads. */
function recording(provider: SourceProvider, seen: string[]): SourceProvider {
  return {
    ...provider,
    async *export(options) {
      for await (const batch of provider.export(options)) {
        seen.push(...(batch.users ?? []).map((u) => u.sourceId));
        yield batch;
      }
    },
  };
}

/** Spawns the CLI and SIGKILLs it when `when` first holds (polled), or lets it finish. */
function runUntil(args: string[], cwd: string, env: NodeJS.ProcessEnv, when: (stderr: string) => boolean): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { cwd, env });
    let stderr = '';
    let sent = false;
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const watch = setInterval(() => {
      if (!sent && when(stderr)) sent = child.kill('SIGKILL');
    }, 10);
    child.on('exit', (code) => {
      clearInterval(watch);
      resolve({ killed: sent && code === null, code, stderr });
    });
  });
}

const stagedUsers = (journalPath: string): number => {
  try {
    const db = new Database(journalPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // being created
  }
};

describe.skipIf(!up && !process.env.CI)('Supabase: killed mid-export and mid-import, resumed', () => {
  let fixture: Fixture;
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('wm-supabase-resume-');
    fixture = await buildFixture({ dir, bulk: 1_000 });
    sandbox = await startSandbox({ limits: LIMITS, roles: ROLES, multipleRoles: true, faults: { latencyMs: [1, 8], seed: 12 } });
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await fixture?.close();
  });

  it('resumes the export after the last staged id and the import after a kill -9: exact state, nothing twice', async () => {
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, DATABASE_URL: fixture.url };
    const journalPath = path.join(dir, 'killed.db');
    // Pages of 10 users: the export lasts long enough to be killed in its middle.
    const options = { secretEnv: 'DATABASE_URL', organizationsFile: fixture.organizationsFile, pageSize: 10 };
    Journal.create(journalPath, {
      version: 1,
      source: { kind: 'supabase', options },
      workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' },
      createdAt: new Date().toISOString(),
    }).close();
    const flags = ['--journal', journalPath, ...rateFlags(LIMITS)];

    // 1. Killed as soon as the journal holds staged users (watched from outside, as another process would).
    const first = await runUntil(['resume', ...flags], dir, env, () => stagedUsers(journalPath) > 0);
    expect(first.killed, first.stderr).toBe(true);
    let journal = Journal.open(journalPath);
    expect(journal.phase).toBe('exporting');
    const cursor = JSON.parse(journal.cursor('supabase')!.cursor) as { phase: string; after: string | null };
    const before = new Set(journal.all<{ source_id: string }>('SELECT source_id FROM users').map((r) => r.source_id));
    expect(before.size).toBeGreaterThan(0);
    expect(before.size).toBeLessThan(fixture.expected.users.length);
    expect(cursor.phase).toBe('users');
    // The cursor is the last staged id: every staged user is at or before it.
    expect([...before].every((id) => id <= cursor.after!)).toBe(true);
    expect(sandbox.state.users.size).toBe(0);

    // The export resumed (in process, recording each user read): it starts after the saved id.
    const seen: string[] = [];
    const run = await runExport(journal, recording(createProvider('supabase', options, env), seen), createEventBus());
    expect(run.completed).toBe(true);
    journal.close();
    expect(seen.filter((id) => before.has(id))).toEqual([]);
    expect(seen.every((id) => id > cursor.after!)).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
    expect(before.size + seen.length).toBe(fixture.expected.users.length + fixture.expected.leftOut.length);

    // 2. The import, killed once its users are in progress, then resumed to the end.
    const second = await runUntil(['resume', ...flags], dir, env, () => sandbox.state.users.size >= 200);
    expect(second.killed, second.stderr).toBe(true);
    const partial = sandbox.state.users.size;
    expect(partial).toBeLessThan(fixture.expected.users.length);
    const last = await runCli(['resume', ...flags], { cwd: dir, env });
    // 2: the phone-only user and the organizations file's two unreadable lines (see migration.test.ts).
    expect(last.code, last.stderr).toBe(2);
    await expectWorkOSHolds(sandbox, fixture.expected);

    journal = Journal.open(journalPath);
    const counts = journal.counts();
    journal.close();
    expect(counts.user.done).toBe(fixture.expected.users.length);
    for (const kind of ['organization', 'user', 'membership'] as const) expect(counts[kind].in_flight + counts[kind].pending).toBe(0);
    // Nothing created twice: one WorkOS user per email, one membership per pair (expectWorkOSHolds), and
    // the sandbox never refused a duplicate external id or email.
    const emails = [...sandbox.state.users.values()].map((u) => u.email);
    expect(new Set(emails).size).toBe(emails.length);
  }, 180_000);
});
