/**
 * A sync pass meets its new records with the journal's: a user added in the source since, with the
 * email of a user already imported (in another case), is merged into that user, never sent to
 * WorkOS to adopt the other person's account; a new user the source got wrong is staged with its
 * reason and reported, as a first run would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ limits: FAST_LIMITS });
});
afterAll(() => sandbox.close());

describe('sync', () => {
  it('merges a new user whose email is taken into the user who has it, and reports a new one that is invalid', async () => {
    const cwd = tempDir('wm-sync-dup-');
    const dataset = generateDataset({ users: 5, organizations: 1, memberships: 5, seed: 13 });
    const file = path.join(cwd, 'users.csv');
    writeDatasetCsv(dataset, file);
    const journal = path.join(cwd, 'j.db');
    const first = await runCli(['run', '--file', 'users.csv', '--journal', journal, '--default-role', 'member', ...rateFlags(FAST_LIMITS)], { cwd, env: sandboxEnv(sandbox) });
    expect(first.code, first.stderr).toBe(0);
    const taken = dataset.users[0];
    const before = [...sandbox.state.users.values()].map((u) => [u.email, u.external_id]).sort();

    // A sign-up since, under another id, with the first user's email in capitals.
    const header = fs.readFileSync(file, 'utf8').split('\n')[0].split(',');
    const row = header.map((column) => ({ id: 'twin-signup', email: taken.email.toUpperCase(), first_name: 'Twin' })[column] ?? '');
    // And one the source got wrong: staged with its reason, as a first run would, not passed over.
    const bad = header.map((column) => ({ id: 'bad-signup', email: 'not-an-email' })[column] ?? '');
    fs.appendFileSync(file, `${fs.readFileSync(file, 'utf8').endsWith('\n') ? '' : '\n'}${row.join(',')}\n${bad.join(',')}\n`);

    const synced = await runCli(['sync', '--journal', journal, ...rateFlags(FAST_LIMITS)], { cwd, env: sandboxEnv(sandbox) });
    // As in a first run: a merged duplicate did not make it on its own, and failures.csv says where it went.
    expect(synced.code, synced.stderr).toBe(2);
    expect(synced.stderr).toMatch(/Sync pass 1: 2 new users/);
    expect(fs.readFileSync(path.join(cwd, 'j.reports', 'failures.csv'), 'utf8')).toMatch(new RegExp(`twin-signup.*same email as user ${taken.sourceId}`));
    // WorkOS unchanged: no user added, none taken over by the new id.
    expect([...sandbox.state.users.values()].map((u) => [u.email, u.external_id]).sort()).toEqual(before);
    const j = Journal.open(journal);
    try {
      const twin = j.get<{ state: string; error_code: string; merged_into: string }>(`SELECT state, error_code, merged_into FROM users WHERE source_id = 'twin-signup'`);
      expect(twin).toEqual({ state: 'skipped', error_code: 'duplicate_email', merged_into: taken.sourceId });
      expect(j.get(`SELECT state, error_code FROM users WHERE source_id = 'bad-signup'`)).toEqual({ state: 'skipped', error_code: 'invalid' });
    } finally {
      j.close();
    }
  }, 120_000);
});
