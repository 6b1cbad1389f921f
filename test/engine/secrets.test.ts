import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';

const KEY = 'sk_test_a1B2c3D4e5F6g7H8i9J0secretvalue';
// Well-formed for its type (so it is staged), but a value WorkOS's sandbox refuses to take: a
// bcrypt string with an out-of-range cost. It must appear in no file the tool writes.
const GOOD_HASH = '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
const BAD_HASH = '$2b$99$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('secrets stay in memory', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS, apiKeys: [KEY] });
  });
  afterAll(() => sandbox.close());

  it('writes the key nowhere, keeps the journal 0600, and keeps hashes out of every report and message', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'users.csv');
    fs.writeFileSync(
      file,
      [
        'id,email,first_name,password_hash,password_hash_type',
        `u1,ok@example.com,Ok,${GOOD_HASH},bcrypt`,
        `u2,bad@example.com,Bad,${BAD_HASH},bcrypt`,
        'u3,plain@example.com,Plain,,',
      ].join('\n'),
    );
    // The key comes from a .env file, as an operator would keep it.
    fs.writeFileSync(path.join(dir, '.env'), `WORKOS_API_KEY=${KEY}\nWORKOS_API_URL=${sandbox.url}\n`);
    const result = await runCli(['run', '--file', file, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: {} });
    // The refused hash does not stop its user: imported without a password, listed for a reset.
    expect(result.code, result.stderr).toBe(0);

    const written = filesUnder(path.join(dir, '.workos-migrate'));
    const journal = written.find((f) => f.endsWith('.db'))!;
    expect(journal).toBeDefined();
    expect(fs.statSync(journal).mode & 0o777).toBe(0o600);
    for (const f of written.filter((f) => /\.db-(wal|shm)$/.test(f))) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    for (const f of written) {
      const bytes = fs.readFileSync(f);
      expect(bytes.includes(Buffer.from(KEY)), `${f} holds the API key`).toBe(false);
      expect(bytes.includes(Buffer.from(KEY.slice(8))), `${f} holds part of the API key`).toBe(false);
    }
    expect(result.stdout + result.stderr).not.toContain(KEY);

    const db = new Database(journal, { readonly: true });
    const bad = db.prepare(`SELECT state, password_state, last_error FROM users WHERE source_id = 'u2'`).get() as { state: string; password_state: string; last_error: string };
    db.close();
    expect(bad).toMatchObject({ state: 'done', password_state: 'rejected' });
    expect(bad.last_error).toMatch(/WorkOS refused the source's bcrypt hash/);
    expect(bad.last_error).not.toContain(BAD_HASH.slice(7));
    expect(sandbox.state.credentials.get([...sandbox.state.users.values()].find((u) => u.email === 'bad@example.com')!.id)).toBeUndefined();
    for (const f of written.filter((f) => !f.includes('.db'))) {
      const text = fs.readFileSync(f, 'utf8');
      expect(text).not.toContain(GOOD_HASH.slice(7));
      expect(text).not.toContain(BAD_HASH.slice(7));
    }
    expect(result.stderr).not.toContain(BAD_HASH.slice(7));
  });
});

describe('a WorkOS that quotes a refused hash back', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS, echoHashes: true });
  });
  afterAll(() => sandbox.close());

  it('has its answer stored, said and reported without the hash, its salt or its digest', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'users.csv');
    // n is not a power of two: staged, and refused by WorkOS (which quotes it back here).
    const salt = 'c2FsdEBlY2hvLXRlc3Q';
    const digest = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE';
    const scrypt = `$scrypt$v=1$n=1000,r=8,p=1,kl=32$${salt}$${digest}`;
    fs.writeFileSync(
      file,
      ['id,email,password_hash,password_hash_type', `e1,echo-bcrypt@example.com,${BAD_HASH},bcrypt`, `e2,echo-scrypt@example.com,"${scrypt}",scrypt`].join('\n'),
    );
    const journalPath = path.join(dir, 'echo.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, '--json', ...rateFlags(FAST_LIMITS)], {
      cwd: dir,
      env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url },
    });
    expect(result.code, result.stderr).toBe(0);
    const db = new Database(journalPath, { readonly: true });
    const users = db.prepare(`SELECT source_id, password_state, last_error FROM users ORDER BY source_id`).all() as { source_id: string; password_state: string; last_error: string }[];
    const issues = (db.prepare(`SELECT message FROM issues`).all() as { message: string }[]).map((i) => i.message);
    db.close();
    expect(users.map((u) => [u.source_id, u.password_state])).toEqual([
      ['e1', 'rejected'],
      ['e2', 'rejected'],
    ]);
    // WorkOS's words are kept, the quoted hash is not.
    for (const u of users) expect(u.last_error).toMatch(/WorkOS refused the source's \w+ hash \(The password hash is not a valid \w+ hash: .*Received: \[hash\]/);
    const secrets = [BAD_HASH, BAD_HASH.slice(7, 29), BAD_HASH.slice(29), scrypt, salt, digest];
    const texts = [...users.map((u) => u.last_error), ...issues, result.stdout, result.stderr];
    for (const f of fs.readdirSync(path.join(dir, 'echo.reports'))) texts.push(fs.readFileSync(path.join(dir, 'echo.reports', f), 'utf8'));
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
