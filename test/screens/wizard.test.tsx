/**
 * The whole wizard in process, Welcome to Verify, against the WorkOS sandbox: driven only by keys
 * written to stdin, read only from the frames drawn, and judged by what WorkOS ends up holding.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { expectSandboxHolds, FAST_LIMITS, tempDir } from '../helpers.js';
import { chooseSource, expectFitsIn80Columns, expectKeys, expectShows, KEY, renderWizard, type Wizard } from './harness.js';

describe('the wizard from Welcome to Verify (file source, WorkOS sandbox)', () => {
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it('imports exactly the CSV into WorkOS and shows the checks passing', async () => {
    const cwd = tempDir('wm-screens-');
    const dataset = generateDataset({ users: 40, organizations: 4, memberships: 60, seed: 3 });
    writeDatasetCsv(dataset, path.join(cwd, 'users.csv'));
    const w = (wizard = renderWizard({ cwd, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url }, limits: FAST_LIMITS }));

    // 1. Welcome: nothing to resume yet.
    let frame = await w.waitFor('Start a new migration');
    expect(frame).toContain('1/10  Welcome');
    expect(frame).toContain('No migration in .workos-migrate/ yet.');
    expectKeys(frame, '↑↓ choose', 'Enter open', 'q quit');
    await w.press(KEY.enter);

    // 2. Source: the file, among the available sources.
    frame = await w.waitFor('Where are your users now?');
    expectKeys(frame, 'Enter select', 'Esc back');
    await chooseSource(w, 'A file (CSV, JSON, NDJSON)');

    // 3. Source authentication: the path, checked at once, its columns shown.
    frame = await w.waitFor('File (CSV, JSON or NDJSON):');
    expectKeys(frame, 'Enter next');
    await w.type('users.csv');
    await w.press(KEY.enter);
    frame = await w.waitFor('Enter continue');
    expect(frame).toMatch(/✔ users\.csv: CSV/);
    expect(frame).toMatch(/email\s+→ email/);
    expectKeys(frame, 'Enter continue', 'e edit', 'm change a column', 'Esc back');
    await w.press(KEY.enter);

    // 4. WorkOS authentication: the key from the environment, checked live, masked.
    frame = await w.waitFor('Test environment');
    expect(frame).toContain('4/10  WorkOS authentication');
    expect(frame).toContain('WORKOS_API_KEY: sk_test_•••••••••••• (from the environment)');
    expect(frame).toContain(sandbox.url);
    expectKeys(frame, 'Enter start the export', 'e enter another key', 'Esc back');
    await w.press(KEY.enter);

    // 5-6. Export, then the plan of what was found.
    frame = await w.waitFor('Nothing has been written to WorkOS yet', 20_000);
    expect(w.frames().some((f) => f.includes('5/10  Export'))).toBe(true);
    expect(frame).toContain('40 users to create or adopt');
    expect(frame).toContain('4 organizations to create or adopt');
    expect(frame).toMatch(/60 memberships\n/);
    expectKeys(frame, 'c continue');
    expect(sandbox.state.users.size).toBe(0);
    await w.press('c');

    // 7. Strategy: signup freeze, its checklist confirmed with y.
    frame = await w.waitFor('How will new signups be handled during the import?');
    expectKeys(frame, 'Enter select', 'Esc back');
    await w.press(KEY.enter);
    frame = await w.waitFor('Are signups off now?');
    expect(frame).toContain('☐ New signups are turned off in your application');
    expectKeys(frame, 'y confirm', 'n or Enter not yet', 'Esc other strategy');
    await w.press('y');

    // 8. Role mapping: the CSV's roles have their WorkOS namesakes.
    frame = await w.waitFor('c confirm and start the import');
    expect(frame).toContain('8/10  Role mapping');
    expect(frame).toMatch(/member\s+\d+ members → member/);
    expect(frame).toMatch(/admin\s+\d+ members → admin/);
    expect(w.store.getState().strategy).toBe('freeze');
    expect(w.store.getState().freezeConfirmedAt).toBeDefined();
    await w.press('c');

    // 9-10. Import, then Verify with every check passing.
    frame = await w.waitFor('For you to tick', 30_000);
    expect(w.frames().some((f) => f.includes('9/10  Import') && /p pause/.test(f))).toBe(true);
    await w.waitFor(/Reports:/);
    frame = w.frame();
    expect(frame).toContain('10/10  Verify');
    expect(frame).toMatch(/✔ The API key still works/);
    expectShows(frame, '✔ Imported users exist with the right email, names, verification, external id and metadata: 40 of 40 checked match');
    expectShows(frame, '✔ Memberships exist with the mapped role, active: 60 of 60 checked match');
    expect(frame).toMatch(/✔ Records that did not make it: none/);
    expect(frame).not.toContain('✖');
    expectKeys(frame, 'Enter details / tick', 'r check again', 'q quit');

    // WorkOS holds exactly the dataset, and the report files were written.
    expectSandboxHolds(sandbox, dataset);
    const journalPath = w.store.getState().journalPath!;
    expect(fs.existsSync(journalPath)).toBe(true);
    expect(fs.readdirSync(journalPath.replace(/\.db$/, '.reports'))).toContain('id-map.csv');

    // The manual items (the list's last two) tick and untick where the cursor is; q leaves with success.
    await w.press('\u001B[F', KEY.up, KEY.enter);
    await w.waitFor('☑ Signups are re-enabled');
    await w.press(KEY.down, KEY.enter);
    frame = await w.waitFor('☑ A migrated user signed in successfully');
    expect(frame).toContain('☑ Signups are re-enabled');
    await w.press(KEY.enter);
    frame = await w.waitFor('☐ A migrated user signed in successfully');
    expect(w.store.getState().manualTicks).toEqual({ signups: true, 'sign-in': false });
    await w.press('q');
    expect(w.store.getState().exit).toEqual({ code: 0, message: undefined });

    // The secret key was never drawn, and the layout held at 80 columns all along.
    expect(w.frames().some((f) => f.includes(sandbox.apiKey))).toBe(false);
    expectFitsIn80Columns(w);
  });

  it('offers the stopped migration on Welcome, with its phase and counts, and resumes it to the end', async () => {
    const cwd = tempDir('wm-screens-');
    const dataset = generateDataset({ users: 12, organizations: 2, memberships: 15, seed: 5 });
    writeDatasetCsv(dataset, path.join(cwd, 'people.csv'));
    const own = await startSandbox({ limits: FAST_LIMITS });
    try {
      const deps = { cwd, env: { WORKOS_API_KEY: own.apiKey, WORKOS_API_URL: own.url }, limits: FAST_LIMITS };

      // A first run stops on the plan (the operator quits there with Ctrl-C).
      let w = (wizard = renderWizard(deps));
      await w.waitFor('Start a new migration');
      await w.press(KEY.enter);
      await w.waitFor('Where are your users now?');
      await chooseSource(w, 'A file');
      await w.waitFor('File (CSV');
      await w.type('people.csv');
      await w.press(KEY.enter);
      await w.waitFor('Enter continue');
      await w.press(KEY.enter);
      await w.waitFor('Test environment');
      await w.press(KEY.enter);
      await w.waitFor('Nothing has been written');
      await w.press(KEY.ctrlC);
      await w.until((s) => s.exit !== undefined);
      expect(w.store.getState().exit).toEqual({ code: 130, message: 'Stopped. Run workos-migrate again to resume.' });
      w.unmount();

      // The next run lists it: source, phase, records done of total.
      w = wizard = renderWizard(deps);
      const frame = await w.waitFor('Resume file');
      expect(frame).toContain('Migrations in .workos-migrate/ (1)');
      expect(frame).toMatch(/❯ Resume file · exported · 0\/29 records · 0 failed · \d{4}-\d\d-\d\d \d\d:\d\d/);
      expect(frame).toContain('Start a new migration');
      expectFitsIn80Columns(w);

      // Enter resumes it where it stopped: the key is checked again, then the plan.
      await w.press(KEY.enter);
      await w.waitFor('Nothing has been written');
      expect(w.frame()).toContain('12 users to create or adopt');
      await w.press('c');
      await w.waitFor('How will new signups');
      await w.press(KEY.down, KEY.enter);
      await w.waitFor('Is dual-write in place and deployed?');
      await w.press('y');
      await w.waitFor('c confirm and start the import');
      await w.press('c');
      await w.waitFor(/Reports:/, 30_000);
      expect(w.frame()).not.toContain('✖');
      expectSandboxHolds(own, dataset);
      const journalPath = w.store.getState().journalPath!;
      w.unmount();
      wizard = undefined;
      const journal = Journal.open(journalPath);
      try {
        expect(journal.getMeta('strategy')).toBe('dual-write');
      } finally {
        journal.close();
      }
      // Still one journal: the resume did not start a second migration.
      expect(fs.readdirSync(path.join(cwd, '.workos-migrate')).filter((f) => f.endsWith('.db'))).toHaveLength(1);
    } finally {
      await own.close();
    }
  });
});
