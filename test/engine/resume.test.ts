import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbkdf2Hash } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';

const TEST_KEY = 'sk_test_resume_env_check';
const LIVE_KEY = 'sk_live_resume_env_check';

describe('resuming and reopening journals safely', () => {
  let sandbox: Sandbox;
  let other: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS, apiKeys: [TEST_KEY, LIVE_KEY] });
    other = await startSandbox({ limits: FAST_LIMITS, apiKeys: [TEST_KEY] });
  });
  afterAll(async () => {
    await sandbox.close();
    await other.close();
  });

  /** Two users with password hashes (a password the sandbox can check), in one organization. */
  function writeUsers(dir: string): string {
    const file = path.join(dir, 'users.csv');
    fs.writeFileSync(
      file,
      'id,email,role,organization_id,password_hash,password_hash_type\n' +
        `-42,minus@example.com,constructor,o1,"${pbkdf2Hash('minus-password')}",pbkdf2\n` +
        `u2,two@example.com,member,o1,"${pbkdf2Hash('two-password')}",pbkdf2\n`,
    );
    return file;
  }

  it('refuses to resume into another environment than the one the journal began in', async () => {
    const dir = tempDir();
    const journal = path.join(dir, 'env.db');
    const first = await runCli(['run', '--file', writeUsers(dir), '--journal', journal, '--default-role', 'member', ...rateFlags(FAST_LIMITS)], {
      cwd: dir,
      env: { WORKOS_API_KEY: TEST_KEY, WORKOS_API_URL: sandbox.url },
    });
    expect(first.code, first.stderr).toBe(0);

    const live = await runCli(['resume', '--journal', journal, '--yes'], { cwd: dir, env: { WORKOS_API_KEY: LIVE_KEY, WORKOS_API_URL: sandbox.url } });
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/✖ This journal was written to a test environment, but WORKOS_API_KEY is a production key/);

    // The journal keeps its endpoint; --workos-url can point elsewhere, and is checked.
    const elsewhere = await runCli(['resume', '--journal', journal, '--workos-url', other.url], { cwd: dir, env: { WORKOS_API_KEY: TEST_KEY } });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/already imported are not in this WorkOS environment/);
    expect(other.state.users.size).toBe(0);
    // The refused endpoint was not saved: a plain resume still goes where the journal began.
    const again = await runCli(['resume', '--journal', journal], { cwd: dir, env: { WORKOS_API_KEY: TEST_KEY } });
    expect(again.code, again.stderr).toBe(0);
  });

  it('keeps source ids exactly in the id map, and a source role named like an Object property gets the default role', async () => {
    const dir = tempDir();
    const journal = path.join(dir, 'ids.db');
    const result = await runCli(['run', '--file', writeUsers(dir), '--journal', journal, '--default-role', 'admin', ...rateFlags(FAST_LIMITS)], {
      cwd: dir,
      env: { WORKOS_API_KEY: TEST_KEY, WORKOS_API_URL: sandbox.url },
    });
    expect(result.code, result.stderr).toBe(0);
    const idMap = fs.readFileSync(path.join(dir, 'ids.reports', 'id-map.csv'), 'utf8');
    expect(idMap.split('\n')[1]).toMatch(/^-42,minus@example\.com,user_/);
    const minus = [...sandbox.state.users.values()].find((u) => u.email === 'minus@example.com')!;
    const membership = [...sandbox.state.memberships.values()].find((m) => m.user_id === minus.id)!;
    expect(membership.role.slug).toBe('admin');
    // The hashes went in with their users, and were purged from the journal once imported.
    expect(sandbox.checkPassword('minus@example.com', 'minus-password')).toBe(true);
    expect(sandbox.checkPassword('two@example.com', 'two-password')).toBe(true);
    const db = new Database(journal, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM users WHERE password_hash_type IS NOT NULL').get()).toEqual({ n: 2 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM users WHERE password_hash IS NOT NULL').get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a journal another live process is working on, and takes over one a dead process left', async () => {
    const dir = tempDir();
    const journal = path.join(dir, 'lock.db');
    const env = { WORKOS_API_KEY: TEST_KEY, WORKOS_API_URL: sandbox.url };
    const first = await runCli(['run', '--file', writeUsers(dir), '--journal', journal, '--default-role', 'member', '--dry-run', ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(fs.existsSync(`${journal}.lock`)).toBe(false);

    const other = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(`${journal}.lock`, String(other.pid));
      const busy = await runCli(['resume', '--journal', journal], { cwd: dir, env });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(new RegExp(`✖ Another workos-migrate \\(process ${other.pid}\\) is working on`));
      expect(fs.readFileSync(`${journal}.lock`, 'utf8')).toBe(String(other.pid));
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    // The holder died without cleaning up: its lock is stale and the resume goes on.
    const resumed = await runCli(['resume', '--journal', journal], { cwd: dir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.existsSync(`${journal}.lock`)).toBe(false);
  });

  it('leaves a database that is not a journal untouched', async () => {
    const dir = tempDir();
    const app = path.join(dir, 'app.db');
    const db = new Database(app);
    db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT)');
    db.close();
    const before = fs.readFileSync(app);
    const result = await runCli(['status', '--journal', app], { cwd: dir, env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/✖ .*app\.db is not a workos-migrate journal/);
    expect(fs.readFileSync(app).equals(before)).toBe(true);
    expect(fs.existsSync(`${app}-wal`)).toBe(false);
  });

  it('writes a .gitignore into the journal folder', async () => {
    const dir = tempDir();
    const result = await runCli(['run', '--file', writeUsers(dir), '--default-role', 'member', ...rateFlags(FAST_LIMITS)], {
      cwd: dir,
      env: { WORKOS_API_KEY: TEST_KEY, WORKOS_API_URL: sandbox.url },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, '.workos-migrate', '.gitignore'), 'utf8')).toBe('*\n');
  });
});
