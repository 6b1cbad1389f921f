/**
 * Each screen on its own terms: its keys, where Esc goes, what it refuses and how it says so.
 * The whole app is rendered around a real store (the screens are only ever drawn inside it), and
 * the WorkOS sandbox answers whatever a screen asks for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { SOURCES } from '../../src/providers/index.js';
import { createWizardStore, type WizardDeps } from '../../src/store/wizard.js';
import { expectSandboxHolds, FAST_LIMITS, tempDir } from '../helpers.js';
import { chooseSource, expectFitsIn80Columns, expectKeys, expectShows, KEY, renderWizard, sleep, walkToPlan, walkToRoles, walkToSourceAuth, type Wizard } from './harness.js';

const LIVE_KEY = 'sk_live_screens_test_9f8e7d';

let sandbox: Sandbox;
const wizards: Wizard[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ limits: FAST_LIMITS, apiKeys: ['sk_test_sandbox', LIVE_KEY] });
});
afterAll(() => sandbox.close());
afterEach(() => {
  // Whatever a test drew, the layout held at 80 columns.
  const drawn = wizards.splice(0);
  for (const w of drawn) w.unmount();
  for (const w of drawn) expectFitsIn80Columns(w);
});

/** A working directory with a small CSV export in it. */
function project(options: { users?: number; file?: string } = {}) {
  const cwd = tempDir('wm-screens-');
  const dataset = generateDataset({ users: options.users ?? 8, organizations: 2, memberships: (options.users ?? 8) + 2, seed: 4 });
  writeDatasetCsv(dataset, path.join(cwd, options.file ?? 'users.csv'));
  return { cwd, dataset };
}

function open(cwd: string, overrides: Partial<WizardDeps> = {}, on: Sandbox = sandbox): Wizard {
  const w = renderWizard({ cwd, env: { WORKOS_API_KEY: on.apiKey, WORKOS_API_URL: on.url }, limits: FAST_LIMITS, ...overrides });
  wizards.push(w);
  return w;
}

describe('Welcome', () => {
  it('shows its keys, and q leaves with success', async () => {
    const { cwd } = project();
    const w = open(cwd, { banner: 'Demo: everything runs against local sandbox servers.' });
    const frame = await w.waitFor('Start a new migration');
    expect(frame).toContain('Demo: everything runs against local sandbox servers.');
    expectKeys(frame, '↑↓ choose', 'Enter open', 'q quit');
    await w.press('q');
    await w.until((s) => s.exit !== undefined);
    expect(w.store.getState().exit?.code).toBe(0);
  });

  it('resumes without WORKOS_API_KEY: asks for the key (never drawn), says when it is refused, then goes on', async () => {
    const { cwd } = project();
    // A first run, through the store, stops after its export.
    const first = createWizardStore({ cwd, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url }, limits: FAST_LIMITS });
    const a = first.getState().actions;
    a.chooseSource('file');
    a.setField('path', 'users.csv');
    await a.checkSource();
    await a.checkWorkOS();
    await a.startExport();
    expect(first.getState().step).toBe('plan');
    a.dispose();

    // The next run has no key in its environment.
    const w = open(cwd, { env: { WORKOS_API_URL: sandbox.url } });
    let frame = await w.waitFor('Resume file · exported');
    expect(frame).toMatch(/Migrations in \.workos-migrate\/ \(1\)/);
    await w.press(KEY.enter);
    frame = await w.waitFor('WORKOS_API_KEY:');
    expect(frame).toContain('4/10  WorkOS authentication');
    expectKeys(frame, 'type the key (hidden)', 'Enter check');
    // Resuming: no way back into a migration's earlier steps.
    expect(frame).not.toContain('Esc back');

    await w.type('sk_test_not_the_key');
    expect(w.frame()).toContain('*'.repeat('sk_test_not_the_key'.length));
    await w.press(KEY.enter);
    frame = await w.waitFor(/✖ /);
    expect(frame).toContain('WORKOS_API_KEY: sk_test_••••••••••••');
    expectKeys(frame, 'e enter another key');
    expect(w.store.getState().step).toBe('workos-auth');

    await w.press('e');
    await w.waitFor('type the key (hidden)');
    await w.type(sandbox.apiKey);
    await w.press(KEY.enter);
    frame = await w.waitFor('Nothing has been written to WorkOS yet');
    expect(frame).toContain('8 users to create or adopt');
    expect(w.frames().some((f) => f.includes('sk_test_not_the_key') || f.includes(sandbox.apiKey))).toBe(false);
  });

  it('resuming with a refused key in the environment shows the refusal on the WorkOS screen', async () => {
    const { cwd } = project();
    const first = createWizardStore({ cwd, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url }, limits: FAST_LIMITS });
    const a = first.getState().actions;
    a.chooseSource('file');
    a.setField('path', 'users.csv');
    await a.checkWorkOS();
    await a.startExport();
    a.dispose();

    const w = open(cwd, { env: { WORKOS_API_KEY: 'sk_test_revoked_since', WORKOS_API_URL: sandbox.url } });
    await w.waitFor('Resume file');
    await w.press(KEY.enter);
    const frame = await w.waitFor(/✖ /);
    expect(frame).toContain('4/10  WorkOS authentication');
    expect(frame).toContain('WORKOS_API_KEY: sk_test_•••••••••••• (from the environment)');
    expectKeys(frame, 'e enter another key');
    expect(w.frames().some((f) => f.includes('sk_test_revoked_since'))).toBe(false);
  });

  it('resuming against another environment is refused on the WorkOS screen, as headless is', async () => {
    const { cwd } = project();
    const other = await startSandbox({ limits: FAST_LIMITS, apiKeys: ['sk_test_sandbox', LIVE_KEY] });
    try {
      // The first run imports into a test environment, then stops at verification.
      const first = createWizardStore({ cwd, env: { WORKOS_API_KEY: other.apiKey, WORKOS_API_URL: other.url }, limits: FAST_LIMITS });
      const a = first.getState().actions;
      a.chooseSource('file');
      a.setField('path', 'users.csv');
      await a.checkWorkOS();
      await a.startExport();
      a.confirmPlan();
      // Answered back to back, as a script would: the answer waits for its question.
      a.chooseStrategy('freeze');
      await expect.poll(() => first.getState().roles.status.state, { timeout: 20_000 }).toBe('ok');
      expect(a.confirmRoles().ok).toBe(true);
      await expect.poll(() => first.getState().verifyStatus.state, { timeout: 30_000 }).toBe('ok');
      a.dispose();

      // A production key for the same journal: refused before anything is asked or written.
      let w = open(cwd, { env: { WORKOS_API_KEY: LIVE_KEY, WORKOS_API_URL: other.url } }, other);
      // Finished: offered to open (its checklist), not to resume.
      await w.waitFor('Open (finished) file');
      await w.press(KEY.enter);
      await w.waitFor('PRODUCTION environment');
      await w.press('y');
      let frame = await w.waitFor(/written to a test environment/, 20_000);
      expect(frame).toContain('4/10  WorkOS authentication');
      w.unmount();
      w.store.getState().actions.dispose();

      // The same kind of key, but the users it imported are not there (another environment).
      const before = other.state.users.size;
      other.state.users.clear();
      w = open(cwd, {}, other);
      await w.waitFor('Open (finished) file');
      await w.press(KEY.enter);
      frame = await w.waitFor(/not in this WorkOS environment/, 20_000);
      expect(frame).toContain('4/10  WorkOS authentication');
      expect(before).toBeGreaterThan(0);
      expect(other.state.users.size).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('says so when a listed migration cannot be opened, and stays', async () => {
    const { cwd } = project();
    const store = createWizardStore({ cwd, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url }, limits: FAST_LIMITS });
    const a = store.getState().actions;
    a.chooseSource('file');
    a.setField('path', 'users.csv');
    await a.checkWorkOS();
    await a.startExport();
    const journalPath = store.getState().journalPath!;
    a.dispose();

    const w = open(cwd);
    await w.waitFor('Resume file');
    // Gone between the listing and the choice.
    fs.rmSync(journalPath);
    await w.press(KEY.enter);
    await w.until((s) => s.logLines.some((l) => l.level === 'error'));
    await sleep(50);
    expect(w.store.getState().step).toBe('welcome');
    expect(w.frame()).toContain(w.store.getState().logLines.at(-1)!.text.slice(0, 30));
    expect(w.frame()).toContain('1/10  Welcome');
  });
});

describe('Source', () => {
  it('offers the available sources only, lists the others as not available yet, and Esc goes back', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    let frame = await w.waitFor('Where are your users now?');
    expect(frame).toContain('2/10  Source');
    expectKeys(frame, '↑↓ choose', 'Enter select', 'Esc back');
    const available = SOURCES.filter((s) => s.available);
    for (const source of available) expect(frame).toContain(`${source.name}: `);
    const later = SOURCES.filter((s) => !s.available);
    if (later.length) expect(frame).toMatch(new RegExp(`Not available yet:\\n\\s+${later[0].name}: `));
    else expect(frame).not.toContain('Not available yet');

    await w.press(KEY.esc);
    frame = await w.waitFor('Start a new migration');
    expect(w.store.getState().step).toBe('welcome');

    // Down past the end stays on the last available source, never one that is not available.
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    await w.press(...Array.from({ length: available.length + 2 }, () => KEY.down), KEY.enter);
    await w.until((s) => s.step === 'source-auth');
    expect(w.store.getState().sourceKind).toBe(available.at(-1)!.kind);
  });
});

describe('Source authentication (file)', () => {
  it('refuses a file that is not there, with the reason, and takes the right one after e', async () => {
    const { cwd } = project();
    const w = open(cwd);
    let frame = await walkToSourceAuth(w);
    expect(frame).toContain('3/10  Source authentication');
    expectKeys(frame, 'type the value', 'Enter next', 'Esc back');

    await w.type('nowhere.csv');
    await w.press(KEY.enter);
    frame = await w.waitFor(/✖ /);
    expect(frame).toContain('nowhere.csv');
    expectKeys(frame, 'r check again', 'e edit', 'Esc back');
    expect(frame).not.toContain('Enter continue');
    // Enter does not go on past a failed check.
    await w.press(KEY.enter);
    expect(w.store.getState().step).toBe('source-auth');

    await w.press('e');
    await w.waitFor('type the value');
    await w.press(...Array.from({ length: 'nowhere.csv'.length }, () => KEY.backspace));
    await w.type('users.csv');
    await w.press(KEY.enter);
    frame = await w.waitFor('Enter continue');
    expect(frame).toMatch(/✔ users\.csv: CSV/);
    await w.press(KEY.enter);
    await w.waitFor('4/10  WorkOS authentication');
  });

  it('takes a path typed (or pasted) and entered at once, as fast as a terminal sends it', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToSourceAuth(w);
    // The text and the Enter in one go, before anything is drawn in between.
    await w.burst('users.csv', KEY.enter);
    let frame = await w.waitFor(/✔ users\.csv: CSV|✖ /);
    expect(frame).toMatch(/✔ users\.csv: CSV/);
    // Pasted with its newline: the same.
    await w.press('e');
    await w.waitFor('type the value');
    await w.press(...Array.from({ length: 9 }, () => KEY.backspace));
    await w.waitFor(/^› File \(CSV, JSON or NDJSON\): *$/m);
    await w.type('users.csv\r');
    frame = await w.waitFor(/✔ users\.csv: CSV|✖ /);
    expect(frame).toMatch(/✔ users\.csv: CSV/);
    expect(w.store.getState().sourceFields[0].value).toBe('users.csv');
  });

  it('Tab completes a path from the export files found nearby', async () => {
    const { cwd } = project();
    fs.mkdirSync(path.join(cwd, 'exports'));
    fs.copyFileSync(path.join(cwd, 'users.csv'), path.join(cwd, 'exports', 'all-users.csv'));
    const w = open(cwd);
    const frame = await walkToSourceAuth(w);
    expectKeys(frame, 'Tab complete', 'Enter next');
    await w.type('exp');
    await w.press(KEY.tab);
    await w.waitFor(/^› File \(CSV, JSON or NDJSON\): exports\/all-users\.csv *$/m);
    await w.press(KEY.enter);
    await w.waitFor(/✔ all-users\.csv: CSV/);
    expect(w.store.getState().sourceFields[0].value).toBe(path.join('exports', 'all-users.csv'));
  });

  it('says which column is missing from a file without emails, located, before anything is written', async () => {
    const { cwd } = project();
    fs.writeFileSync(path.join(cwd, 'people.csv'), 'id,name\n1,Ada Lovelace\n2,Grace Hopper\n');
    const w = open(cwd);
    await walkToSourceAuth(w);
    await w.type('people.csv');
    await w.press(KEY.enter);
    const frame = await w.waitFor(/✖ /);
    expect(frame).toContain('people.csv');
    expect(frame.toLowerCase()).toContain('email');
    expect(w.store.getState().sourceCheck.state).toBe('error');
    expect(fs.existsSync(path.join(cwd, '.workos-migrate'))).toBe(false);
  });

  it('m maps a column to another field; the check runs again with it', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToSourceAuth(w);
    await w.type('users.csv');
    await w.press(KEY.enter);
    let frame = await w.waitFor('Enter continue');
    expect(frame).toMatch(/role\s+→ role/);

    await w.press('m');
    frame = await w.waitFor('Which column?');
    expectKeys(frame, '↑↓ choose', 'Enter select', 'Esc cancel');
    // The CSV's last column is "role".
    const columns = w.store.getState().fileInspection!.columns;
    await w.press(...Array.from({ length: columns.indexOf('role') }, () => KEY.down), KEY.enter);
    await w.waitFor('"role" holds:');
    // Its last choice keeps it as metadata.
    await w.press(...Array.from({ length: w.store.getState().mappableFields.length }, () => KEY.down), KEY.enter);
    frame = await w.waitFor(/role\s+→ metadata\.role/);
    expect(w.store.getState().columnMap).toEqual({ role: 'metadata.role' });
    await w.waitFor('Enter continue');

    // Esc leaves the column picker without a change.
    await w.press('m');
    await w.waitFor('Which column?');
    await w.press(KEY.esc);
    frame = await w.waitFor('Enter continue');
    expect(frame).not.toContain('Which column?');
    expect(w.store.getState().columnMap).toEqual({ role: 'metadata.role' });
  });

  it('Esc while typing goes back to Source; coming back from WorkOS opens the review, not the first field', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToSourceAuth(w);
    await w.press(KEY.esc);
    await w.waitFor('Where are your users now?');
    expect(w.store.getState().step).toBe('source');

    await chooseSource(w, 'A file');
    await w.waitFor('File (CSV, JSON or NDJSON):');
    await w.type('users.csv');
    await w.press(KEY.enter);
    await w.waitFor('Enter continue');
    // e then Esc: back to the review, the value kept.
    await w.press('e');
    await w.waitFor('type the value');
    await w.press(KEY.esc);
    let frame = await w.waitFor('Enter continue');
    expect(frame).toContain('File (CSV, JSON or NDJSON): users.csv');

    await w.press(KEY.enter);
    await w.waitFor('Test environment');
    await w.press(KEY.esc);
    frame = await w.waitFor('Enter continue');
    expect(w.store.getState().step).toBe('source-auth');
    expect(frame).toContain('File (CSV, JSON or NDJSON): users.csv');
    expect(frame).toMatch(/✔ users\.csv: CSV/);
    // Esc from the review goes back to Source.
    await w.press(KEY.esc);
    await w.waitFor('Where are your users now?');
  });
});

describe('WorkOS authentication', () => {
  it('asks for a key when the environment has none, masks it, and shows a refused one plainly', async () => {
    const { cwd } = project();
    const w = open(cwd, { env: { WORKOS_API_URL: sandbox.url } });
    await walkToSourceAuth(w);
    await w.type('users.csv');
    await w.press(KEY.enter);
    await w.waitFor('Enter continue');
    await w.press(KEY.enter);
    let frame = await w.waitFor('type the key (hidden)');
    expectKeys(frame, 'type the key (hidden)', 'Enter check', 'Esc back');

    // Enter with nothing typed says what is expected.
    await w.press(KEY.enter);
    frame = await w.waitFor('Enter the WorkOS API key');
    expect(w.store.getState().step).toBe('workos-auth');

    // Not a WorkOS key at all: none of it is drawn.
    await w.type('letmein-2024');
    await w.press(KEY.enter);
    frame = await w.waitFor(/✖ /);
    expect(frame).toContain('WORKOS_API_KEY: ••••••••••••');
    await w.press('e');
    await w.waitFor('Esc keep the current key');

    await w.type('sk_test_wrong_key_42');
    frame = await w.waitFor('*'.repeat('sk_test_wrong_key_42'.length));
    await w.press(KEY.enter);
    frame = await w.waitFor(/✖ /);
    expect(frame).toContain('WORKOS_API_KEY: sk_test_••••••••••••');
    expect(frame).not.toContain('Enter start the export');
    // Enter does nothing with a refused key.
    await w.press(KEY.enter);
    expect(w.store.getState().step).toBe('workos-auth');

    await w.press('e');
    await w.waitFor('Esc keep the current key');
    await w.type(sandbox.apiKey);
    await w.press(KEY.enter);
    frame = await w.waitFor('Test environment');
    expectKeys(frame, 'Enter start the export', 'e enter another key', 'Esc back');
    expect(w.frames().some((f) => f.includes('letmein') || f.includes('sk_test_wrong_key_42') || f.includes(sandbox.apiKey))).toBe(false);
    await w.press(KEY.esc);
    await w.waitFor('Enter continue');
    expect(w.store.getState().step).toBe('source-auth');
  });

  it('a production key is said plainly and needs a yes before the export can start', async () => {
    const { cwd } = project();
    const w = open(cwd, { env: { WORKOS_API_KEY: LIVE_KEY, WORKOS_API_URL: sandbox.url } });
    await walkToSourceAuth(w);
    await w.type('users.csv');
    await w.press(KEY.enter);
    await w.waitFor('Enter continue');
    await w.press(KEY.enter);
    let frame = await w.waitFor('PRODUCTION environment');
    expect(frame).toContain('This writes to your production users. Continue? y/N');
    expect(frame).toContain('WORKOS_API_KEY: sk_live_••••••••••••');
    expect(frame).not.toContain('Enter start the export');

    // Enter takes the default, which is no: back to typing another key, no export.
    await w.press(KEY.enter);
    frame = await w.waitFor('type the key (hidden)');
    expect(w.store.getState().step).toBe('workos-auth');
    expect(w.store.getState().journalPath).toBeUndefined();
    // Esc keeps the key given; y confirms it.
    await w.press(KEY.esc);
    await w.waitFor('Continue? y/N');
    await w.press('y');
    frame = await w.waitFor('Enter start the export');
    expect(w.store.getState().productionConfirmed).toBe(true);
    await w.press(KEY.enter);
    await w.waitFor('Nothing has been written to WorkOS yet');
    expect(w.frames().some((f) => f.includes(LIVE_KEY))).toBe(false);
  });
});

describe('Export', () => {
  it('shows a failed export with r to retry, and retries it', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToSourceAuth(w);
    await w.type('users.csv');
    await w.press(KEY.enter);
    await w.waitFor('Enter continue');
    await w.press(KEY.enter);
    await w.waitFor('Test environment');
    // The file goes away between the check and the export.
    fs.renameSync(path.join(cwd, 'users.csv'), path.join(cwd, 'away.txt'));
    await w.press(KEY.enter);
    let frame = await w.waitFor(/✖ /);
    expect(frame).toContain('5/10  Export');
    expectKeys(frame, 'r retry', 'Ctrl-C quit');
    // No way back from here but forward or out.
    await w.press(KEY.esc);
    expect(w.store.getState().step).toBe('export');

    fs.renameSync(path.join(cwd, 'away.txt'), path.join(cwd, 'users.csv'));
    await w.press('r');
    frame = await w.waitFor('Nothing has been written to WorkOS yet');
    expect(frame).toContain('8 users to create or adopt');
  });
});

describe('Plan', () => {
  it('Enter opens the examples of a line; Ctrl-C quits without confirming', async () => {
    const { cwd } = project();
    const w = open(cwd);
    let frame = await walkToPlan(w);
    expect(frame).toContain('6/10  Plan');
    expectKeys(frame, '↑↓ choose', 'Enter examples', 'c continue', 'Ctrl-C quit');

    await w.press(KEY.enter);
    frame = await w.waitFor('@example.com');
    expect(frame).toMatch(/╭/);
    await w.press(KEY.down, KEY.enter);
    frame = await w.waitFor('[org_000001]');
    // Drawn once, then still: no render loop behind an open line.
    const drawn = w.frames().length;
    await sleep(300);
    expect(w.frames().length).toBe(drawn);
    // Enter on the open line closes it, and opens it again.
    await w.press(KEY.enter);
    await w.waitFor((f) => !f.includes('╭'));
    await w.press(KEY.enter);
    await w.waitFor('[org_000001]');

    const journalPath = w.store.getState().journalPath!;
    await w.press(KEY.ctrlC);
    await w.until((s) => s.exit !== undefined);
    expect(w.store.getState().exit).toEqual({ code: 130, message: 'Stopped. Run workos-migrate again to resume.' });
    w.store.getState().actions.dispose();
    const journal = Journal.open(journalPath);
    try {
      // Ctrl-C is not "c": the plan was not confirmed.
      expect(journal.getMeta('answered')).toBeUndefined();
    } finally {
      journal.close();
    }
  });
  it("a switches what users already in WorkOS get (the source's password or their own), and the journal keeps it", async () => {
    const cwd = tempDir('wm-screens-');
    const dataset = generateDataset({ users: 8, organizations: 2, memberships: 10, seed: 4 });
    writeDatasetCsv(dataset, path.join(cwd, 'users.csv'), { withPasswords: 0.5 });
    const w = open(cwd);
    let frame = await walkToPlan(w);
    expectShows(frame, "Users already in WorkOS: get the source's password (a to change)");
    expectKeys(frame, 'a passwords');
    await w.press('a');
    frame = await w.waitFor('keep their WorkOS password');
    await w.press('a');
    frame = await w.waitFor("get the source's password");
    await w.press('a');
    await w.waitFor('keep their WorkOS password');
    const journalPath = w.store.getState().journalPath!;
    w.store.getState().actions.dispose();
    const journal = Journal.open(journalPath);
    try {
      expect(journal.settings.adoptedPasswords).toBe('keep');
    } finally {
      journal.close();
    }
  });
});

describe('Strategy', () => {
  it('n refuses to go on, Esc returns to the choice then to the plan, and dual-write is recorded', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToPlan(w);
    await w.press('c');
    let frame = await w.waitFor('How will new signups be handled during the import?');
    expect(frame).toContain('7/10  Strategy');

    await w.press(KEY.enter);
    frame = await w.waitFor('Are signups off now?');
    await w.press('n');
    frame = await w.waitFor('Put it in place first');
    expect(w.store.getState().step).toBe('strategy');
    expect(w.store.getState().strategy).toBeUndefined();

    await w.press(KEY.esc);
    frame = await w.waitFor('How will new signups be handled');
    expectKeys(frame, 'Esc back');
    await w.press(KEY.esc);
    await w.waitFor('Nothing has been written to WorkOS yet');
    expect(w.store.getState().step).toBe('plan');

    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.down, KEY.enter);
    frame = await w.waitFor('Is dual-write in place and deployed?');
    expect(frame).toContain('New signups also create the user in WorkOS');
    await w.press('y');
    await w.waitFor('c confirm and start the import');
    expect(w.store.getState().strategy).toBe('dual-write');
    expect(w.store.getState().freezeConfirmedAt).toBeUndefined();
  });
});

describe('Role mapping', () => {
  it('refuses a slug the environment does not have, and maps to one it has', async () => {
    const { cwd } = project();
    const w = open(cwd);
    let frame = await walkToRoles(w, 'users.csv');
    expect(frame).toContain('8/10  Role mapping');
    expectKeys(frame, '↑↓ choose', 'Enter change', 'c confirm and start the import', 'Esc back');
    expect(frame).toContain('(admin, member)');

    // The first row is the CSV's "member" role.
    await w.press(KEY.enter);
    frame = await w.waitFor('member becomes:');
    expectKeys(frame, 'Enter select', 't type a slug', 'Esc cancel');
    await w.press('t');
    frame = await w.waitFor('Enter check');
    await w.type('superuser');
    await w.press(KEY.enter);
    frame = await w.waitFor('"superuser" is not a role of this WorkOS environment (admin, member).');
    expect(w.store.getState().roles.mapping.member).toBe('member');
    expect(frame).toMatch(/member\s+\d+ members → member/);

    // Picked from the environment's roles: the picker opens on the current one (admin is one
    // up), and granting more than the source did is confirmed first.
    await w.press(KEY.enter);
    await w.waitFor('member becomes:');
    await w.press(KEY.up, KEY.enter);
    await w.waitFor('Grant admin?');
    await w.press('y');
    frame = await w.waitFor(/member\s+\d+ members → admin/);
    expect(frame).not.toContain('is not a role');
    expect(w.store.getState().roles.mapping.member).toBe('admin');

    // Esc: out of the picker, then back to the strategy.
    await w.press(KEY.enter);
    await w.waitFor('member becomes:');
    await w.press(KEY.esc);
    await w.waitFor('c confirm and start the import');
    await w.press(KEY.esc);
    await w.waitFor('How will new signups be handled');
    expect(w.store.getState().step).toBe('strategy');
  });

  it('Ctrl-C quits from here without starting the import', async () => {
    const own = await startSandbox({ limits: FAST_LIMITS });
    try {
      const { cwd } = project();
      const w = open(cwd, {}, own);
      await walkToRoles(w, 'users.csv');
      await w.press(KEY.ctrlC);
      await w.until((s) => s.exit !== undefined);
      await sleep(100);
      expect(w.store.getState().exit?.code).toBe(130);
      expect(w.store.getState().step).toBe('roles');
      expect(w.store.getState().importStatus.state).toBe('idle');
      expect(own.state.users.size + own.state.organizations.size).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('c does nothing while the roles are still being read', async () => {
    const own = await startSandbox({ limits: FAST_LIMITS });
    try {
      const { cwd } = project();
      const w = open(cwd, {}, own);
      await walkToPlan(w);
      await w.press('c');
      await w.waitFor('How will new signups be handled');
      await w.press(KEY.enter);
      await w.waitFor('Are signups off now?');
      // WorkOS answers slowly from here: the roles take 600 ms to arrive.
      own.setFaults({ latencyMs: [600, 600] });
      await w.press('y');
      const frame = await w.waitFor("Reading the WorkOS environment's roles...");
      expectKeys(frame, 'Esc back');
      await w.press('c');
      await sleep(100);
      expect(w.store.getState().step).toBe('roles');
      expect(w.store.getState().importStatus.state).toBe('idle');
      own.setFaults({});
      await w.waitFor('c confirm and start the import');
      expect(w.store.getState().importStatus.state).toBe('idle');
      expect(own.state.organizations.size).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('will not start the import while a role has no mapping and there is no default', async () => {
    const own = await startSandbox({ limits: FAST_LIMITS, roles: ['admin', 'viewer'] });
    try {
      const { cwd, dataset } = project();
      const w = open(cwd, {}, own);
      let frame = await walkToRoles(w, 'users.csv');
      expect(frame).toMatch(/member\s+\d+ members → not mapped/);
      expect(frame).toMatch(/\(any unmapped role\)\s+→ none/);
      await w.press('c');
      frame = await w.waitFor('Map member or choose a default role.');
      expect(w.store.getState().step).toBe('roles');
      expect(own.state.users.size).toBe(0);

      // A default for whatever is unmapped: viewer (the last row, then the second role).
      const rows = w.store.getState().roles.usage.length;
      await w.press(...Array.from({ length: rows }, () => KEY.down), KEY.enter);
      await w.waitFor('Default for unmapped roles:');
      await w.press(KEY.down, KEY.enter);
      frame = await w.waitFor(/member\s+\d+ members → viewer \(default\)/);
      await w.press('c');
      await w.waitFor(/For you to tick/, 20_000);
      expectSandboxHolds(own, { ...dataset, memberships: dataset.memberships.map((m) => (m.role === 'member' ? { ...m, role: 'viewer' } : m)) });
    } finally {
      await own.close();
    }
  });
});

describe('Verify', () => {
  it('r checks again against WorkOS; a failing check is shown and q then exits with failure', async () => {
    const own = await startSandbox({ limits: FAST_LIMITS });
    try {
      const { cwd, dataset } = project();
      const w = open(cwd, {}, own);
      await walkToRoles(w, 'users.csv');
      await w.press('c');
      let frame = await w.waitFor(/For you to tick/, 20_000);
      expect(frame).not.toContain('✖');
      expectKeys(frame, 'Enter details / tick', 'r check again', 'q quit');

      // Someone deletes a migrated user in WorkOS; checking again finds it.
      const gone = [...own.state.users.values()].find((u) => u.email === dataset.users[0].email)!;
      own.state.users.delete(gone.id);
      await w.press('r');
      frame = await w.waitFor(/✖ Imported users exist/);
      expectShows(frame, `${dataset.users[0].email}`);
      await w.press('q');
      await w.until((s) => s.exit !== undefined);
      expect(w.store.getState().exit).toEqual({ code: 1, message: 'Some checks failed: see the report files.' });
    } finally {
      await own.close();
    }
  });
});
