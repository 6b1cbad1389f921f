/**
 * `workos-migrate` headless with a Cognito source, as a child process against the fake pool and
 * the WorkOS sandbox: SIGKILLed in the middle of the export, SIGKILLed again in the middle of the
 * import, then resumed to the end. WorkOS ends exact, no staged Cognito page was read again, the plan
 * said up front that no password can move (and where the lazy migration is), and neither the
 * access key id nor the secret is in any file the runs left.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectedCognitoState, generateCognitoPool, startFakeCognito, type FakeCognito } from '../../src/sandbox/cognito/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { FAST_LIMITS, rateFlags, runCli, spawnCli, tempDir } from '../helpers.js';
import { cognitoEnv, csvRows, expectWorkOSHoldsPool, filesUnder, ROLES } from './util.js';

/** Cognito keeps its hashes: the reset list says so, not "no password in the source". */
const COGNITO_NO_PASSWORD = 'Cognito never releases password hashes: a password reset, or the lazy migration (workos-migrate lazy)';

const SECRET = 'cli/Secret+Key-Zq7Xk2pLw9mN4bV6cX8zA1sD3fG5';
const KEY_ID = 'AKIACLITEST000000042';

/** Runs the CLI and SIGKILLs it when `ready` says so (checked every 15 ms), or lets it finish. */
function runAndKill(args: string[], cwd: string, env: NodeJS.ProcessEnv, ready: (stderr: string) => boolean): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { cwd, env });
    let stderr = '';
    let sent = false;
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const watch = setInterval(() => {
      if (!sent && ready(stderr)) sent = child.kill('SIGKILL');
    }, 15);
    child.on('exit', (code) => {
      clearInterval(watch);
      resolve({ killed: sent && code === null, code, stderr });
    });
  });
}

function stagedUsers(journalPath: string): number {
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
}

describe('workos-migrate with a Cognito source, killed twice (kill -9)', () => {
  let sandbox: Sandbox;
  let fake: FakeCognito;
  beforeAll(async () => {
    fake = await startFakeCognito({ pool: generateCognitoPool({ users: 200, seed: 12 }), accessKeyId: KEY_ID, secretAccessKey: SECRET });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
  });
  afterAll(async () => {
    await sandbox?.close();
    await fake?.close();
  });

  it('resumes the export after the last staged page and the import after the kill, and ends exact', async () => {
    const dir = tempDir('wm-cognito-cli-');
    const journalPath = path.join(dir, '.workos-migrate', 'cognito.db');
    fs.mkdirSync(path.dirname(journalPath), { recursive: true });
    // Small pages at a slow pace: the export lasts long enough to be killed in the middle.
    Journal.create(journalPath, {
      version: 1,
      source: { kind: 'cognito', options: { userPoolId: fake.pool.id, organization: 'Acme', pageSize: 10, rates: { userList: 8 } } },
      workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' },
      createdAt: new Date().toISOString(),
    }).close();
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, ...cognitoEnv(fake) };
    const flags = ['--journal', journalPath, ...rateFlags(FAST_LIMITS)];

    // Killed as soon as the journal holds staged users (watched from outside, as another process would).
    const exportKill = await runAndKill(['resume', ...flags], dir, env, () => stagedUsers(journalPath) > 0);
    expect(exportKill.killed, exportKill.stderr).toBe(true);
    let journal = Journal.open(journalPath);
    const cursor = JSON.parse(journal.cursor('cognito')!.cursor) as { phase: string; token: string; users: number };
    expect(journal.phase).toBe('exporting');
    const staged = journal.counts().user.total;
    journal.close();
    expect(cursor.phase).toBe('users');
    expect(staged).toBeGreaterThan(0);
    expect(staged).toBeLessThan(190);
    expect(sandbox.state.users.size).toBe(0);

    // Resumed, then killed once the import has created some users.
    const importKill = await runAndKill(['resume', ...flags], dir, env, () => sandbox.state.users.size >= 60);
    expect(importKill.killed, importKill.stderr).toBe(true);
    expect(importKill.stderr).toMatch(/Resuming the export of AWS Cognito after \d+ users/);
    // The plan said it before any write: no hash can leave Cognito, and where the lazy migration is.
    expect(importKill.stderr).toMatch(/Cognito never lets password hashes out/);
    expect(importKill.stderr).toMatch(/workos-migrate lazy --out DIR/);
    expect(sandbox.state.users.size).toBeLessThan(expectedCognitoState(fake.pool).users.length);

    const done = await runCli(['resume', ...flags], { cwd: dir, env });
    // Phone-only users cannot be WorkOS users: the run says some records did not make it (exit 2).
    expect(done.code, done.stderr).toBe(2);
    expect(done.stderr).toMatch(/did not make it/);

    const expected = expectedCognitoState(fake.pool);
    expectWorkOSHoldsPool(sandbox, expected, { name: 'Acme', poolId: fake.pool.id, defaultRole: 'member' });
    // Nothing staged was read again: at most the page the kill caught in flight (read, never staged).
    expect(fake.stats().repeatedPages.filter((p) => p !== `users@${cursor.users}/10`)).toEqual([]);
    journal = Journal.open(journalPath);
    const counts = journal.counts();
    journal.close();
    expect(counts.user).toMatchObject({ done: expected.users.length, skipped: expected.disabled.length, failed: 0 });

    const files = filesUnder(dir);
    const resets = csvRows(files.find((f) => f.endsWith('password-resets.csv'))!);
    // Every password user (and each SAML-federated one, who has no social sign-in either) is to be reset.
    expect(resets.filter((r) => r.reason === COGNITO_NO_PASSWORD).map((r) => r.source_id).sort()).toEqual(
      expected.users.filter((u) => !u.social).map((u) => u.sub).sort(),
    );
    expect(expected.users.filter((u) => u.password).every((u) => resets.some((r) => r.source_id === u.sub))).toBe(true);
    const failures = csvRows(files.find((f) => f.endsWith('failures.csv'))!);
    expect(failures.filter((r) => r.code === 'email').map((r) => r.source_id).sort()).toEqual([...expected.noEmail].sort());
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      expect(bytes.includes(Buffer.from(SECRET)), `${file} holds the AWS secret access key`).toBe(false);
      expect(bytes.includes(Buffer.from(KEY_ID)), `${file} holds the AWS access key id`).toBe(false);
    }
  }, 180_000);
});
