/**
 * Issue 10 on the wizard: the dual-write strategy writes its module from the Strategy screen, and
 * a finished migration is offered a sync (the source read again) when reopened.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { KEY, renderWizard, walkToPlan } from './harness.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ limits: FAST_LIMITS });
});
afterAll(() => sandbox.close());

describe('the Strategy screen', () => {
  it('dual-write: w writes the module and its test into ./workos-dual-write/, then y confirms', async () => {
    const cwd = tempDir('wm-strategy-');
    const dataset = generateDataset({ users: 6, organizations: 1, memberships: 6, seed: 9 });
    writeDatasetCsv(dataset, path.join(cwd, 'users.csv'));
    const w = renderWizard({ cwd, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url }, limits: FAST_LIMITS });
    try {
      await walkToPlan(w);
      await w.press('c');
      await w.waitFor('How will new signups be handled');
      await w.press(KEY.down);
      await w.press(KEY.enter);
      let frame = await w.waitFor('Is dual-write in place and deployed?');
      expect(frame).toContain('w write the module');
      await w.press('w');
      frame = await w.waitFor('Written (see docs/dual-write.md');
      const written = w.store.getState().dualWriteKit?.files ?? [];
      expect(written.length).toBeGreaterThan(0);
      for (const file of written) {
        expect(file.startsWith(path.join(cwd, 'workos-dual-write'))).toBe(true);
        expect(fs.readFileSync(file, 'utf8')).toMatch(/@workos-inc\/node/);
      }
      // A second w does not overwrite: it says why.
      await w.press('w');
      await w.until((s) => !!s.dualWriteKit?.error);
      expect(w.store.getState().dualWriteKit!.error).toMatch(/already exist/);
      await w.press('y');
      await w.until((s) => s.step === 'roles' || s.step === 'import');
      expect(w.store.getState().strategy).toBe('dual-write');
    } finally {
      w.unmount();
    }
  }, 90_000);
});

describe('a finished migration reopened', () => {
  it('is offered a sync: the source read again, the user added since imported, Verify shown', async () => {
    const cwd = tempDir('wm-sync-');
    const dataset = generateDataset({ users: 6, organizations: 1, memberships: 6, seed: 10 });
    const file = path.join(cwd, 'users.csv');
    writeDatasetCsv(dataset, file);
    const first = await runCli(['run', '--file', 'users.csv', '--default-role', 'member', ...rateFlags(FAST_LIMITS)], { cwd, env: sandboxEnv(sandbox) });
    expect(first.code, first.stderr).toBe(0);
    const before = sandbox.state.users.size;
    // A sign-up since: one more row in the export.
    const header = fs.readFileSync(file, 'utf8').split('\n')[0].split(',');
    const row = header.map((column) => ({ id: 'late-signup', email: 'late.signup@example.com', first_name: 'Late', last_name: 'Signup' })[column] ?? '');
    fs.appendFileSync(file, `${fs.readFileSync(file, 'utf8').endsWith('\n') ? '' : '\n'}${row.join(',')}\n`);

    const w = renderWizard({ cwd, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url }, limits: FAST_LIMITS });
    try {
      const frame = await w.waitFor('Sync file: read the source again');
      expect(frame).toContain('Open (finished)');
      await w.press(KEY.down);
      await w.press(KEY.enter);
      await w.until((s) => s.step === 'verify' && s.verifyStatus.state === 'ok', 60_000);
      expect(sandbox.state.users.size).toBe(before + 1);
      expect([...sandbox.state.users.values()].some((u) => u.email === 'late.signup@example.com' && u.external_id === 'late-signup')).toBe(true);
    } finally {
      w.unmount();
    }
  }, 120_000);
  it('chosen, then left for the migration itself, is not synced: the journal reopened goes on from where it stands', async () => {
    const cwd = tempDir('wm-sync-left-');
    const dataset = generateDataset({ users: 4, organizations: 1, memberships: 4, seed: 12 });
    const file = path.join(cwd, 'users.csv');
    writeDatasetCsv(dataset, file);
    const own = await startSandbox({ limits: FAST_LIMITS });
    try {
      const first = await runCli(['run', '--file', 'users.csv', '--default-role', 'member', ...rateFlags(FAST_LIMITS)], { cwd, env: sandboxEnv(own) });
      expect(first.code, first.stderr).toBe(0);
      const before = own.state.users.size;
      const header = fs.readFileSync(file, 'utf8').split('\n')[0].split(',');
      const row = header.map((column) => ({ id: 'late-signup', email: 'late.signup@example.com', first_name: 'Late', last_name: 'Signup' })[column] ?? '');
      fs.appendFileSync(file, `${fs.readFileSync(file, 'utf8').endsWith('\n') ? '' : '\n'}${row.join(',')}\n`);

      // No key in the environment: Sync stops on the WorkOS screen, where the operator leaves it.
      const w = renderWizard({ cwd, env: { WORKOS_API_URL: own.url }, limits: FAST_LIMITS });
      try {
        await w.waitFor('Sync file: read the source again');
        await w.press(KEY.down);
        await w.press(KEY.enter);
        await w.until((s) => s.step === 'workos-auth');
        const actions = w.store.getState().actions;
        await actions.resume(w.store.getState().journals[0].path);
        actions.setApiKey(own.apiKey);
        await actions.checkWorkOS();
        await w.until((s) => s.step === 'verify' && s.verifyStatus.state === 'ok', 60_000);
        // Opened, not synced: the sign-up since was not read.
        expect(own.state.users.size).toBe(before);
        expect([...own.state.users.values()].some((u) => u.email === 'late.signup@example.com')).toBe(false);
      } finally {
        w.unmount();
      }
    } finally {
      await own.close();
    }
  }, 120_000);
});

describe('rollback from Welcome', () => {
  it('shows what goes, refuses anything but the environment typed, then deletes exactly what was created', async () => {
    const own = await startSandbox({ limits: FAST_LIMITS });
    const cwd = tempDir('wm-rollback-');
    try {
      const dataset = generateDataset({ users: 5, organizations: 1, memberships: 5, seed: 11 });
      writeDatasetCsv(dataset, path.join(cwd, 'users.csv'));
      // One user is in WorkOS before: adopted by the run, never deleted by the rollback.
      const existing = dataset.users[0];
      const adoptedRun = await fetch(`${own.url}/user_management/users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${own.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: existing.email }),
      });
      expect(adoptedRun.status).toBe(201);
      const first = await runCli(['run', '--file', 'users.csv', '--default-role', 'member', ...rateFlags(FAST_LIMITS)], { cwd, env: sandboxEnv(own) });
      expect(first.code, first.stderr).toBe(0);
      expect(own.state.users.size).toBe(5);

      const w = renderWizard({ cwd, env: { WORKOS_API_KEY: own.apiKey, WORKOS_API_URL: own.url }, limits: FAST_LIMITS });
      try {
        await w.waitFor('Roll back file: delete from WorkOS');
        await w.press(KEY.down, KEY.down);
        await w.press(KEY.enter);
        let frame = await w.waitFor('Type test to delete these from WorkOS');
        expect(frame).toMatch(/4 users/);
        expect(frame).toMatch(/Kept \(they were in WorkOS before\): 1 user/);
        await w.type('production');
        await w.press(KEY.enter);
        frame = await w.waitFor('Type test (the environment this migration wrote to)');
        expect(own.state.users.size).toBe(5);
        await w.type('test');
        await w.press(KEY.enter);
        await w.until((s) => s.rollback?.status === 'done', 60_000);
        expect(w.store.getState().rollback!.message).toMatch(/Rolled back: 4 users, 1 organization/);
        expect([...own.state.users.values()].map((u) => u.email)).toEqual([existing.email]);
        expect(own.state.organizations.size).toBe(0);
      } finally {
        w.unmount();
      }
    } finally {
      await own.close();
    }
  }, 120_000);
});
