/**
 * The Import screen under load: a sandbox slow enough (100 writes/s) that the import can be paused
 * and stopped in the middle of its users, and what WorkOS holds checked at each point.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDataset, writeDatasetCsv, type Dataset } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox, type SandboxLimits } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { expectSandboxHolds, tempDir } from '../helpers.js';
import { expectFitsIn80Columns, expectKeys, expectShows, KEY, renderWizard, rowCount, sleep, squeeze, walkToRoles, type Wizard } from './harness.js';

/** 100 writes a second (reads as fast as FAST_LIMITS): 60 users take about 0.6 s, long enough to act in the middle. */
const SLOW: SandboxLimits = {
  writes: { limit: 10, windowMs: 100 },
  reads: { limit: 200, windowMs: 100 },
  general: { limit: 300, windowMs: 100 },
};

describe('the Import screen', () => {
  const open: { wizard?: Wizard; sandbox?: Sandbox }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.wizard?.unmount();
      await o.sandbox?.close();
    }
  });

  async function setUp(): Promise<{ cwd: string; dataset: Dataset; sandbox: Sandbox; deps: Parameters<typeof renderWizard>[0] }> {
    const cwd = tempDir('wm-screens-import-');
    const dataset = generateDataset({ users: 60, organizations: 3, memberships: 60, seed: 9 });
    writeDatasetCsv(dataset, path.join(cwd, 'users.csv'));
    const sandbox = await startSandbox({ limits: SLOW });
    open.push({ sandbox });
    return { cwd, dataset, sandbox, deps: { cwd, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url }, limits: SLOW } };
  }
  const render = (deps: Parameters<typeof renderWizard>[0]) => {
    const wizard = renderWizard(deps);
    open.push({ wizard });
    return wizard;
  };
  /** Waits until some users, not all, are done. */
  const midUsers = (w: Wizard) =>
    w.waitFor((frame) => {
      const users = rowCount(frame, 'users');
      return !!users && users.finished >= 3 && users.finished < users.total - 20;
    });

  /** Waits until the users row has not changed for 300 ms. */
  async function settled(w: Wizard) {
    const deadline = Date.now() + 5_000;
    let last = JSON.stringify(rowCount(w.frame(), 'users'));
    let since = Date.now();
    while (Date.now() - since < 300) {
      if (Date.now() > deadline) throw new Error(`the users row never settled:\n${w.frame()}`);
      await sleep(20);
      const now = JSON.stringify(rowCount(w.frame(), 'users'));
      if (now !== last) {
        last = now;
        since = Date.now();
      }
    }
  }

  it('p pauses (nothing advances, in WorkOS or on screen) and p resumes to the end', async () => {
    const { dataset, sandbox, deps } = await setUp();
    const w = render(deps);
    await walkToRoles(w, 'users.csv');
    await w.press('c');
    let frame = await midUsers(w);
    expect(frame).toContain('9/10  Import');
    expectKeys(frame, 'p pause', 'Ctrl-C stop cleanly');

    await w.press('p');
    frame = await w.waitFor('Paused: calls in flight finish, nothing new starts. Press p to go on.');
    expectKeys(frame, 'p resume', 'Ctrl-C stop cleanly');
    expect(w.store.getState().importStatus.paused).toBe(true);
    // Calls in flight land (the row settles); after that nothing moves.
    await settled(w);
    const held = { users: sandbox.state.users.size, memberships: sandbox.state.memberships.size, row: rowCount(w.frame(), 'users') };
    expect(held.users).toBeLessThan(dataset.users.length);
    await sleep(700);
    expect(sandbox.state.users.size).toBe(held.users);
    expect(sandbox.state.memberships.size).toBe(held.memberships);
    expect(rowCount(w.frame(), 'users')).toEqual(held.row);
    expect(w.frame()).toContain('Paused');

    await w.press('p');
    frame = await w.waitFor(/For you to tick/, 30_000);
    expect(w.store.getState().importStatus.paused).toBe(false);
    expect(frame).not.toContain('✖');
    expectShows(frame, `✔ Imported users exist with the right email, names, verification, external id and metadata: ${dataset.users.length} of ${dataset.users.length} checked match`);
    expectSandboxHolds(sandbox, dataset);
    expectFitsIn80Columns(w);
  });

  it('Ctrl-C stops cleanly, says how to resume, and the next run resumes from Welcome to the end', async () => {
    const { dataset, sandbox, deps } = await setUp();
    let w = render(deps);
    await walkToRoles(w, 'users.csv');
    await w.press('c');
    await midUsers(w);

    await w.press(KEY.ctrlC);
    let frame = await w.waitFor('Stopped; the journal is consistent.');
    const journalPath = w.store.getState().journalPath!;
    expect(frame).toContain('Resume with:');
    // The command on a line of its own, never wrapped: whole, or cut in the middle where the
    // terminal is narrower than it (the shell gets it whole when the wizard ends).
    const command = `workos-migrate resume --journal ${journalPath}`;
    const line = frame.split('\n').find((l) => l.startsWith('workos-migrate resume --journal'))!;
    expect(line === command || (line.includes('…') && command.startsWith(line.split('…')[0]) && command.endsWith(line.split('…')[1]))).toBe(true);
    expectKeys(frame, 'q quit');
    expect(frame).not.toContain('p pause');
    // The wizard is still there (the app did not exit on the first Ctrl-C), and WorkOS has part of it.
    expect(w.store.getState().exit).toBeUndefined();
    expect(w.store.getState().step).toBe('import');
    const usersAtStop = sandbox.state.users.size;
    expect(usersAtStop).toBeGreaterThan(0);
    expect(usersAtStop).toBeLessThan(dataset.users.length);
    await sleep(300);
    expect(sandbox.state.users.size).toBe(usersAtStop);
    expectFitsIn80Columns(w);

    await w.press('q');
    await w.until((s) => s.exit !== undefined);
    expect(w.store.getState().exit?.code).toBe(130);
    w.unmount();
    open.length = 0;
    open.push({ sandbox });

    // Stopped cleanly: nothing left in flight in the journal, every user in WorkOS recorded as done.
    const journal = Journal.open(journalPath);
    try {
      const counts = journal.counts();
      expect(counts.user.in_flight + counts.organization.in_flight + counts.membership.in_flight).toBe(0);
      expect(counts.user.done).toBe(usersAtStop);
      expect(journal.phase).toBe('importing');
    } finally {
      journal.close();
    }

    // The next run offers it on Welcome and takes it to the end.
    w = render(deps);
    frame = await w.waitFor('Resume file');
    expect(frame).toMatch(new RegExp(`❯ Resume file · importing · \\d+/${dataset.users.length + dataset.organizations.length + dataset.memberships.length} records · 0 failed`));
    await w.press(KEY.enter);
    frame = await w.waitFor(/For you to tick/, 30_000);
    expect(frame).not.toContain('✖');
    expectSandboxHolds(sandbox, dataset);
    expectFitsIn80Columns(w);
  });
});
