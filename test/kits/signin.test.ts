/**
 * The sign-in check end to end: users with bcrypt, scrypt (converted from Stytch and from Better
 * Auth), firebase-scrypt, pbkdf2 and argon2 hashes of known passwords go through the real importer
 * into the sandbox; `authenticateWithPassword` (through the sign-in check) then signs each in with
 * the right password and refuses a wrong one. Where a published test vector exists (OpenWall's
 * bcrypt, Firebase's scrypt, the Argon2 reference), it is used, so the sandbox's verifier is not
 * only checked against hashes made by the same library.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { hashPassword as betterAuthHash } from 'better-auth/crypto';
import { argon2id, bcrypt } from 'hash-wasm';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StagedBatch } from '../../src/services/journal/journal.js';
import { convertBetterAuthPassword } from '../../src/services/passwords/better-auth.js';
import { stytchScryptToPhc } from '../../src/services/passwords/stytch.js';
import { signInCommand } from '../../src/headless/kits.js';
import { checkSignIn } from '../../src/services/signin.js';
import { pbkdf2Hash } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { importInto, stagedJournal } from '../engine/util.js';

const unpadded = (b64: string) => b64.replace(/=+$/, '');

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}
const CLIENT_ID = 'client_sandbox_test';

interface Case {
  label: string;
  email: string;
  password: string;
  hash: string;
  type: string;
}

async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  const add = (label: string, password: string, hash: string, type: string) =>
    out.push({ label, email: `${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}@signin.example.com`, password, hash, type });

  // bcrypt: OpenWall's published vector, and one made here.
  add('bcrypt openwall vector', 'U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', 'bcrypt');
  add('bcrypt', 'bcrypt-secret-1', await bcrypt({ password: 'bcrypt-secret-1', salt: randomBytes(16), costFactor: 6 }), 'bcrypt');

  // Stytch: scrypt over the salt's base64url TEXT, converted by the importer's converter.
  const stytchSalt = randomBytes(16).toString('base64url');
  const params = { N: 16384, r: 8, p: 1, keyLength: 32 };
  const stytchKey = scryptSync('stytch-secret-2', Buffer.from(stytchSalt, 'utf8'), 32, { N: params.N, r: params.r, p: params.p, maxmem: 64 << 20 });
  add('scrypt stytch', 'stytch-secret-2', stytchScryptToPhc(params, stytchSalt, stytchKey.toString('base64url')), 'scrypt');

  // Better Auth: its own hasher's saltHex:keyHex, converted by the importer's converter.
  const converted = convertBetterAuthPassword(await betterAuthHash('better-auth-secret-3'));
  if (!converted.ok) throw new Error(converted.why);
  add('scrypt better auth', 'better-auth-secret-3', converted.hash, converted.type);

  // Firebase's published vector (github.com/firebase/scrypt), in WorkOS's PHC form.
  const fb = {
    hash: 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
    salt: '42xEC+ixf3L2lw==',
    sk: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
    ss: 'Bw==',
  };
  add('firebase scrypt', 'user1password', `$firebase-scrypt$hash=${unpadded(fb.hash)}$salt=${unpadded(fb.salt)}$sk=${unpadded(fb.sk)}$ss=${unpadded(fb.ss)}$r=8$m=14`, 'firebase-scrypt');

  add('pbkdf2', 'pbkdf2-secret-4', pbkdf2Hash('pbkdf2-secret-4'), 'pbkdf2');

  // argon2: the reference implementation's README example (argon2i), and an argon2id made here.
  add('argon2 reference vector', 'password', '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG', 'argon2');
  const argon = await argon2id({ password: 'argon2-secret-5', salt: randomBytes(16), iterations: 2, parallelism: 1, memorySize: 4096, hashLength: 32, outputType: 'encoded' });
  add('argon2id', 'argon2-secret-5', argon, 'argon2');
  return out;
}

describe('the sign-in check', () => {
  let sandbox: Sandbox;
  let users: Case[];
  let dir: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
    users = await cases();
    dir = tempDir('wm-signin-');
    const batch: StagedBatch = {
      users: users.map((u, i) => ({ sourceId: `src-${i}`, email: u.email, firstName: u.label, passwordHash: u.hash, passwordHashType: u.type })),
    };
    const journal = stagedJournal(batch, dir);
    await importInto(sandbox, journal);
    const states = journal.all<{ email: string; state: string; password_state: string }>(`SELECT email, state, password_state FROM users ORDER BY email`);
    journal.close();
    // Every hash carried: the importer set each user's password.
    expect(states.filter((s) => s.state !== 'done' || s.password_state !== 'set')).toEqual([]);
    expect(states).toHaveLength(users.length);
  }, 120_000);
  afterAll(() => sandbox.close());

  const check = (email: string, password: string) => checkSignIn({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, clientId: CLIENT_ID, email, password });

  it('passes with the right password and fails with a wrong one, for every hash type imported', async () => {
    expect(new Set(users.map((u) => u.type))).toEqual(new Set(['bcrypt', 'scrypt', 'firebase-scrypt', 'pbkdf2', 'argon2']));
    for (const u of users) {
      const right = await check(u.email, u.password);
      expect(right, u.label).toMatchObject({ ok: true, email: u.email });
      if (!right.ok) continue;
      expect(right.userId).toMatch(/^user_/);
      expect(right.externalId).toMatch(/^src-\d+$/);
      const wrong = await check(u.email, `${u.password}x`);
      expect(wrong, u.label).toMatchObject({ ok: false, code: 'invalid_credentials' });
      if (!wrong.ok) expect(wrong.reason).toMatch(/has the user .* but refused the password/);
    }
  }, 120_000);

  it('says when WorkOS has no such user, and when the user has no password', async () => {
    const unknown = await check('nobody@signin.example.com', 'whatever');
    expect(unknown).toMatchObject({ ok: false, code: 'invalid_credentials' });
    if (!unknown.ok) expect(unknown.reason).toBe('WorkOS has no user with the email nobody@signin.example.com.');
    sandbox.seedUser({ email: 'social@signin.example.com', external_id: 'social-1' });
    const social = await check('social@signin.example.com', 'anything');
    expect(social).toMatchObject({ ok: false });
    if (!social.ok) expect(social.reason).toMatch(/external id social-1.*no password in WorkOS/);
  });

  it('signs in a user created with a plain password, which the sandbox keeps only as its own hash', async () => {
    const workos = new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port });
    const created = await workos.userManagement.createUser({ email: 'plain@signin.example.com', password: 'plain-secret-6' });
    expect(JSON.stringify(sandbox.state.credentials.get(created.id))).not.toContain('plain-secret-6');
    expect(await check('plain@signin.example.com', 'plain-secret-6')).toMatchObject({ ok: true, userId: created.id });
    expect(await check('plain@signin.example.com', 'plain-secret-7')).toMatchObject({ ok: false });
    await workos.userManagement.updateUser({ userId: created.id, password: 'plain-secret-7' });
    expect(await check('plain@signin.example.com', 'plain-secret-7')).toMatchObject({ ok: true });
  });

  it('workos-migrate verify --sign-in: exit 0 when it signs in, 2 with the reason when refused, 1 without a password or client id; the password is never printed', async () => {
    const u = users.find((x) => x.label === 'argon2id')!;
    const env = { ...sandboxEnv(sandbox), WORKOS_CLIENT_ID: CLIENT_ID, WORKOS_MIGRATE_TEST_PASSWORD: u.password };
    const passed = await runCli(['verify', '--sign-in', u.email], { cwd: dir, env });
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stderr).toMatch(new RegExp(`Sign-in check passed: ${u.email} signed in`));

    const refused = await runCli(['verify', '--sign-in', u.email, '--json'], { cwd: dir, env: { ...env, WORKOS_MIGRATE_TEST_PASSWORD: 'not-it' } });
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout.trim())).toMatchObject({ type: 'sign_in_check', ok: false, code: 'invalid_credentials', email: u.email });

    const byFlag = await runCli(['verify', '--sign-in', u.email, '--client-id', CLIENT_ID], { cwd: dir, env: { ...sandboxEnv(sandbox), WORKOS_MIGRATE_TEST_PASSWORD: u.password } });
    expect(byFlag.code, byFlag.stderr).toBe(0);

    const noPassword = await runCli(['verify', '--sign-in', u.email], { cwd: dir, env: { ...sandboxEnv(sandbox), WORKOS_CLIENT_ID: CLIENT_ID } });
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toMatch(/Set WORKOS_MIGRATE_TEST_PASSWORD/);
    const noClient = await runCli(['verify', '--sign-in', u.email], { cwd: dir, env: { ...sandboxEnv(sandbox), WORKOS_MIGRATE_TEST_PASSWORD: u.password } });
    expect(noClient.code).toBe(1);
    expect(noClient.stderr).toMatch(/WORKOS_CLIENT_ID/);

    // In a terminal, without the variable, it asks (the prompt's answer is not echoed back).
    const asked: string[] = [];
    const out = { stdout: new Collect(), stderr: new Collect() };
    const prompted = await signInCommand(
      { cwd: dir, env: { ...sandboxEnv(sandbox), WORKOS_CLIENT_ID: CLIENT_ID }, ...out, signal: new AbortController().signal },
      { email: u.email, json: false, interactive: true, askSecret: async (question) => (asked.push(question), u.password) },
    );
    expect(prompted).toBe(0);
    expect(asked).toEqual([`Password of ${u.email} (not shown, not stored): `]);
    expect(out.stderr.text).toMatch(/Sign-in check passed/);
    expect(out.stdout.text + out.stderr.text).not.toContain(u.password);

    for (const r of [passed, refused, byFlag, noPassword, noClient]) {
      expect(r.stdout + r.stderr).not.toContain(u.password);
      expect(r.stdout + r.stderr).not.toContain(sandbox.apiKey);
    }
  });
});
