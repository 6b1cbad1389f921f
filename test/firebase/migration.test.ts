/**
 * `workos-migrate run --source firebase` headless into the WorkOS sandbox: 1,200 users of a JSON
 * export (and the CSV form with disabled users imported) end in WorkOS exactly, every imported
 * password recomputed through the PHC string WorkOS received; the signer key, passed as a flag,
 * is in no file the run leaves; a wrong signer key is stopped by the test account before any write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';
import { buildFixture, FAST_PARAMS, jsonLineOf, writeCsvExport, writeJsonExport, writeOrganizations, type Fixture } from './fixture.js';
import { expectNowhere, expectWorkOSHolds, filesUnder } from './util.js';

const hashFlags = ['--firebase-salt-separator', FAST_PARAMS.saltSeparator, '--firebase-rounds', String(FAST_PARAMS.rounds), '--firebase-mem-cost', String(FAST_PARAMS.memCost)];

describe('workos-migrate run --source firebase', () => {
  let fixture: Fixture;
  let dir: string;
  beforeAll(() => {
    dir = tempDir('wm-fb-migration-');
    fixture = buildFixture({ users: 1_200 });
    writeJsonExport(path.join(dir, 'users.json'), fixture);
    writeCsvExport(path.join(dir, 'users.csv'), fixture);
    writeOrganizations(path.join(dir, 'orgs.csv'), fixture);
  }, 120_000);

  describe('a 1,200-user JSON export with organizations', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await startSandbox({ limits: FAST_LIMITS });
    });
    afterAll(() => sandbox?.close());

    it('migrates every user, organization and membership exactly; every password signs in; the signer key is written nowhere', async () => {
      const someone = fixture.users.find((u) => u.password && u.email && !u.disabled)!;
      const journal = path.join(dir, 'json', 'firebase.db');
      fs.mkdirSync(path.dirname(journal), { recursive: true });
      const result = await runCli(
        [
          'run', '--source', 'firebase', '--firebase-export', 'users.json', '--firebase-signer-key', FAST_PARAMS.signerKey, ...hashFlags,
          '--firebase-organizations', 'orgs.csv', '--firebase-test-email', someone.email!, '--role-map', 'billing=member',
          '--journal', journal, ...rateFlags(FAST_LIMITS),
        ],
        { cwd: dir, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, FIREBASE_TEST_PASSWORD: someone.password } },
      );
      // Disabled users left out by the default choice are not failures; the phone-only user and the
      // stray organization row are named in the failures file and the warnings (exit 2: not all moved).
      expect(result.stderr).toMatch(/the password of .* verifies: the hash parameters are the project's/);
      const expected = fixture.expected();
      expectWorkOSHolds(sandbox, expected);

      const out = path.dirname(journal);
      const read = (name: string) => fs.readFileSync(filesUnder(out).find((f) => f.endsWith(name))!, 'utf8');
      const leftOut = read('left-out.csv');
      for (const id of expected.disabled) expect(leftOut).toMatch(new RegExp(`^user,${id},.*disabled in Firebase`, 'm'));
      const failures = read('failures.csv');
      expect(failures).toContain(expected.noEmail[0]);
      for (const id of expected.disabled) expect(failures).not.toContain(id);
      expect(result.code, result.stderr).toBe(2);
      // The broken custom claims are a warning naming the user and the line.
      const badLine = jsonLineOf(fixture, expected.badClaims[0].id);
      expect(filesUnder(out).map((f) => fs.readFileSync(f, 'utf8')).join('\n')).toContain(`firebase user ${expected.badClaims[0].id} (users.json:${badLine})`);
      // SMS second factors and social providers are counted in the plan.
      const sms = expected.users.filter((u) => u.sms).length;
      expect(result.stderr).toContain(`${sms} SMS-MFA`);
      expect(result.stderr).toMatch(/google/);

      // The signer key and the test password: in no file (journal, reports, logs).
      expectNowhere(dir, FAST_PARAMS.signerKey, 'the signer key');
      expectNowhere(out, someone.password!, 'the test password');
    }, 180_000);
  });

  it('reads the CSV export, imports disabled users when told, and answers a missing signer key clearly', async () => {
    const sandbox = await startSandbox({ limits: FAST_LIMITS });
    try {
      const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, FIREBASE_SIGNER_KEY: FAST_PARAMS.signerKey };
      const small = buildFixture({ users: 300 });
      const sub = tempDir('wm-fb-csv-');
      writeCsvExport(path.join(sub, 'users.csv'), small);
      writeOrganizations(path.join(sub, 'orgs.csv'), small);
      const args = ['run', '--source', 'firebase', '--firebase-export', 'users.csv', ...hashFlags, '--firebase-organizations', 'orgs.csv', '--firebase-disabled', 'import', '--role-map', 'billing=member', ...rateFlags(FAST_LIMITS)];

      const missing = await runCli(args, { cwd: sub, env: { ...env, FIREBASE_SIGNER_KEY: '' } });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/FIREBASE_SIGNER_KEY is not set: the Firebase password hashes cannot be carried without the project's signer key/);
      expect(missing.stderr).not.toMatch(/\n\s+at /);
      expect(sandbox.state.users.size).toBe(0);

      const result = await runCli(args, { cwd: sub, env });
      expect(result.stderr).toMatch(/Firebase export users\.csv \(CSV\)/);
      const expected = small.expected({ disabled: 'import' });
      expect(expected.disabled.length).toBeGreaterThan(0);
      expectWorkOSHolds(sandbox, expected);
      expect(filesUnder(sub).some((f) => f.endsWith('left-out.csv') && fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length > 1)).toBe(false);
    } finally {
      await sandbox.close();
    }
  }, 120_000);

  it('stops before any write when the test account shows the signer key is wrong', async () => {
    const sandbox = await startSandbox({ limits: FAST_LIMITS });
    try {
      const someone = fixture.users.find((u) => u.password && u.email)!;
      const wrong = Buffer.from('the signer key of some other Firebase project, 64 bytes or so....').toString('base64');
      const sub = tempDir('wm-fb-wrong-key-');
      fs.copyFileSync(path.join(dir, 'users.json'), path.join(sub, 'users.json'));
      const result = await runCli(['run', '--source', 'firebase', '--firebase-export', 'users.json', ...hashFlags, '--firebase-test-email', someone.email!, ...rateFlags(FAST_LIMITS)], {
        cwd: sub,
        env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, FIREBASE_SIGNER_KEY: wrong, FIREBASE_TEST_PASSWORD: someone.password },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`The password of the test account ${someone.email!.replace(/\./g, '\\.')} does not verify against its Firebase hash \\(users\\.json line \\d+\\)`));
      expect(result.stderr).toMatch(/Password hash parameters/);
      expect(sandbox.state.users.size).toBe(0);
      expect(filesUnder(sub).filter((f) => f.endsWith('.db'))).toEqual([]);
    } finally {
      await sandbox.close();
    }
  }, 60_000);
});
