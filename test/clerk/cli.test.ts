/**
 * `workos-migrate run --source clerk` headless, users from the Backend API alone, as child
 * processes killed with SIGKILL: once in the middle of the export (users staged, organizations
 * not), once in the middle of the import, then `resume` to the end. WorkOS ends exact (metadata,
 * verification, banned users left out and listed), nothing was created twice, no page staged
 * before the kill was read again, and the secret key is in no file the run leaves.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectedClerkState, generateClerkInstance, startFakeClerk, type FakeClerk } from '../../src/sandbox/clerk/index.js';
import { FAST_LIMITS, rateFlags, runCli, spawnCli, tempDir } from '../helpers.js';
import { clerkEnv, expectWorkOSHolds, filesUnder, mayRepeat, ROLES, type ClerkCursorView } from './util.js';

/** Reads a journal another process is writing (null while it is being created). */
function peek<T>(file: string, sql: string): T | null {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).get() as T;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

/** Runs the CLI and SIGKILLs it once `when` holds (checked every 10 ms). */
function runAndKill(args: string[], cwd: string, env: NodeJS.ProcessEnv, when: () => boolean): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { cwd, env });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    let sent = false;
    const watch = setInterval(() => {
      if (!sent && when()) sent = child.kill('SIGKILL');
    }, 10);
    child.on('exit', (code) => {
      clearInterval(watch);
      resolve({ killed: sent && code === null, stderr });
    });
  });
}

describe('workos-migrate run --source clerk (headless), killed twice', () => {
  let sandbox: Sandbox;
  let fake: FakeClerk;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES });
    // 10 requests a second: the organizations' pages take long enough to be killed among them.
    fake = await startFakeClerk({ instance: await generateClerkInstance({ users: 400, organizations: 10, seed: 12 }), secretKey: 'sk_test_CliSecret7Qz9Xk2pLw', limit: 10, windowMs: 1000 });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    await fake?.close();
  });

  it('resumes a kill -9 in the export and one in the import, ends exact, and writes the key nowhere', async () => {
    const dir = tempDir('wm-clerk-cli-');
    const journal = path.join(dir, '.workos-migrate', 'clerk.db');
    fs.mkdirSync(path.dirname(journal), { recursive: true });
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, ...clerkEnv(fake) };
    const expected = expectedClerkState(fake.instance, { from: 'api' });

    // 1. Killed once the users are staged (one page of 500), before the organizations are.
    const run = ['run', '--source', 'clerk', '--clerk-rate', '10/1s', '--role-map', 'org:billing=billing', '--journal', journal, ...rateFlags(FAST_LIMITS)];
    const first = await runAndKill(run, dir, env, () => (peek<{ n: number }>(journal, 'SELECT COUNT(*) AS n FROM users')?.n ?? 0) > 0);
    expect(first.killed, first.stderr).toBe(true);
    const cursor = JSON.parse(peek<{ cursor: string }>(journal, "SELECT cursor FROM cursors WHERE source = 'clerk'")!.cursor) as ClerkCursorView;
    expect(['orgs', 'members']).toContain(cursor.phase);
    expect(sandbox.state.users.size).toBe(0);
    const db = new Database(journal, { readonly: true });
    const stagedOrgs = new Set((db.prepare('SELECT source_id FROM organizations').all() as { source_id: string }[]).map((r) => r.source_id));
    db.close();
    const repeatable = mayRepeat(fake, cursor, stagedOrgs);

    // 2. Resumed, and killed in the middle of the import.
    const second = await runAndKill(['resume', '--journal', journal, ...rateFlags(FAST_LIMITS)], dir, env, () => sandbox.state.users.size >= 100);
    expect(second.killed, second.stderr).toBe(true);
    expect(sandbox.state.users.size).toBeLessThan(expected.users.length);

    // 3. Resumed to the end.
    const done = await runCli(['resume', '--journal', journal, ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    // Banned and locked users left out by the default choice are not failures; the users without
    // an email address did not make it (exit 2), each named in failures.csv, and nothing else is.
    expect(expected.noEmail.length).toBeGreaterThan(0);
    expect(done.code, done.stderr).toBe(2);
    expect(fake.stats().repeatedPages.filter((p) => !repeatable(p))).toEqual([]);
    expect(fake.stats().rateLimited).toBe(0);
    await expectWorkOSHolds(sandbox, fake, expected);

    const files = filesUnder(dir);
    const failures = fs.readFileSync(files.find((f) => f.endsWith('failures.csv'))!, 'utf8').trim().split('\n').slice(1);
    expect(failures.map((l) => l.split(',')[1]).sort()).toEqual([...expected.noEmail].sort());
    expect(failures.every((l) => /not_imported,email,"the user has no email address/.test(l))).toBe(true);
    const leftOut = fs.readFileSync(files.find((f) => f.endsWith('left-out.csv'))!, 'utf8');
    expect(expected.leftOut.length).toBeGreaterThan(0);
    for (const id of expected.leftOut) expect(leftOut).toMatch(new RegExp(`^user,${id},.*(banned|locked) in Clerk`, 'm'));
    // Password users reset: the plan said why (the API never returns digests).
    expect(second.stderr).toMatch(/users will need a password reset/);
    for (const file of files) expect(fs.readFileSync(file).includes(Buffer.from(fake.secretKey)), `${file} holds the Clerk secret key`).toBe(false);
  }, 150_000);
});
