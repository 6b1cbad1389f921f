/**
 * `workos-migrate run --source auth0` headless, against the fake tenant and the WorkOS sandbox:
 * a child process killed (SIGKILL) while it polls the export job, then `resume` to the end.
 * The client secret is in no file the run leaves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectedAuth0State, generateAuth0Tenant, startFakeAuth0, writeAuth0MfaExport, writeAuth0PasswordExport, type FakeAuth0 } from '../../src/sandbox/auth0/index.js';
import { FAST_LIMITS, rateFlags, runCli, spawnCli, tempDir } from '../helpers.js';
import { fakeEnv } from './util.js';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('workos-migrate run --source auth0 (headless)', () => {
  let sandbox: Sandbox;
  let fake: FakeAuth0;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
    fake = await startFakeAuth0({
      tenant: generateAuth0Tenant({ users: 250, organizations: 6, seed: 12 }),
      clientSecret: 'auth0-secret-Zq7Xk2pLw9',
      burst: 20,
      perSecond: 40,
      jobMs: 6000,
    });
  });
  afterAll(async () => {
    await sandbox.close();
    await fake.close();
  });

  it('survives a kill -9 during the job poll, resumes the same job, and writes the secret nowhere', async () => {
    const dir = tempDir('wm-auth0-cli-');
    const journal = path.join(dir, '.workos-migrate', 'auth0.db');
    fs.mkdirSync(path.dirname(journal), { recursive: true });
    writeAuth0PasswordExport(path.join(dir, 'passwords.json'), fake.tenant);
    writeAuth0MfaExport(path.join(dir, 'mfa.json'), fake.tenant);
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, ...fakeEnv(fake) };
    const args = ['run', '--source', 'auth0', '--auth0-password-export', 'passwords.json', '--auth0-mfa-export', 'mfa.json', '--default-role', 'member', '--journal', journal, ...rateFlags(FAST_LIMITS)];

    const child = spawnCli(args, { cwd: dir, env });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (fake.stats().jobPolls < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.stats().jobPolls, stderr).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await exited;
    expect(sandbox.state.users.size).toBe(0);

    const resumed = await runCli(['resume', '--journal', journal, ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    // Exit 0: the blocked users left out by the default choice (and their memberships) are not
    // failures; left-out.csv names each, failures.csv none.
    expect(resumed.code, resumed.stderr).toBe(0);
    const leftOut = fs.readFileSync(filesUnder(dir).find((f) => f.endsWith('left-out.csv'))!, 'utf8');
    const failures = fs.readFileSync(filesUnder(dir).find((f) => f.endsWith('failures.csv'))!, 'utf8');
    expect(expectedAuth0State(fake.tenant).blocked.length).toBeGreaterThan(0);
    for (const id of expectedAuth0State(fake.tenant).blocked) {
      expect(leftOut).toMatch(new RegExp(`^user,${id.replace(/[|]/g, '\\|')},.*blocked in Auth0`, 'm'));
      expect(failures).not.toContain(id);
    }
    expect(fake.stats().jobsCreated).toBe(1);
    expect(fake.stats().repeatedPages).toEqual([]);

    const expected = expectedAuth0State(fake.tenant);
    expect(sandbox.state.users.size).toBe(expected.users.length);
    expect(sandbox.state.organizations.size).toBe(6);
    expect(sandbox.state.memberships.size).toBe(expected.memberships.length);
    for (const file of filesUnder(dir)) {
      expect(fs.readFileSync(file).includes(Buffer.from(fake.clientSecret)), `${file} holds the Auth0 client secret`).toBe(false);
    }
    // SMS users to import are counted in the plan (each has its warning in the journal, see
    // migration.test.ts); a blocked one, left out, re-enrolls nowhere.
    const blocked = new Set(expected.blocked);
    const sms = fake.tenant.mfaRows.filter((r) => r.type === 'sms' && !blocked.has(r.user_id as string)).length;
    expect(sms).toBeLessThan(fake.tenant.mfaRows.filter((r) => r.type === 'sms').length);
    expect(resumed.stderr).toContain(`${sms} SMS-MFA`);
  });

  it('demo --source auth0 runs the whole flow against a local fake tenant', async () => {
    const result = await runCli(['demo', '--headless', '--source', 'auth0', '--fast', '--users', '80', '--organizations', '3'], { cwd: tempDir(), env: {} });
    // Blocked users left out by the default choice are not failures.
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/a fake Auth0 tenant on http:\/\/127\.0\.0\.1/);
    expect(result.stderr).toMatch(/Import finished/);
  });

  it('refuses an unknown --auth0-blocked choice and says so', async () => {
    const result = await runCli(['run', '--source', 'auth0', '--auth0-blocked', 'maybe'], { cwd: tempDir(), env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--auth0-blocked maybe is not understood/);
  });
});
