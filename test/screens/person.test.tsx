/**
 * The wizard as a person meets it (issue 11): no trap, no lost key, a layout that follows the
 * terminal, a finish line, the hand-offs in words, feedback on every input, words and numbers
 * people read. Each test walks the real app around a real store against the WorkOS sandbox.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statusCommand } from '../../src/headless/commands.js';
import { progressLine } from '../../src/headless/output.js';
import { closingLines } from '../../src/interactive.js';
import { SOURCES } from '../../src/providers/index.js';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox, type SandboxLimits } from '../../src/sandbox/index.js';
import { rateWords } from '../../src/screens/ui.js';
import type { WizardDeps } from '../../src/store/wizard.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { expectFitsIn80Columns, expectKeys, expectShows, KEY, renderWizard, rowCount, sleep, walkToPlan, walkToRoles, walkToSourceAuth, type Size, type Wizard } from './harness.js';

/** 100 writes a second: 60 users take about 0.6 s, long enough to act in the middle of them. */
const SLOW: SandboxLimits = {
  writes: { limit: 10, windowMs: 100 },
  reads: { limit: 200, windowMs: 100 },
  general: { limit: 300, windowMs: 100 },
};

let sandbox: Sandbox;
const wizards: Wizard[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ limits: FAST_LIMITS });
});
afterAll(() => sandbox.close());
afterEach(() => {
  const drawn = wizards.splice(0);
  for (const w of drawn) w.unmount();
  // Whatever a test drew fits the terminal it drew on.
  for (const w of drawn) expectFitsIn80Columns(w);
});

function project(options: { users?: number; organizations?: number; withPasswords?: number; edit?: (csv: string) => string } = {}) {
  const cwd = tempDir('wm-person-');
  const users = options.users ?? 8;
  const dataset = generateDataset({ users, organizations: options.organizations ?? 2, memberships: users + 2, seed: 4 });
  const file = path.join(cwd, 'users.csv');
  writeDatasetCsv(dataset, file, { withPasswords: options.withPasswords });
  if (options.edit) fs.writeFileSync(file, options.edit(fs.readFileSync(file, 'utf8')));
  return { cwd, dataset };
}

function open(cwd: string, overrides: Partial<WizardDeps> = {}, size?: Size, on: Sandbox = sandbox): Wizard {
  const w = renderWizard({ cwd, env: { WORKOS_API_KEY: on.apiKey, WORKOS_API_URL: on.url }, limits: FAST_LIMITS, ...overrides }, size);
  wizards.push(w);
  return w;
}

/** The live area of a frame: from its (last) header to its end, without the log drawn above it. */
const liveArea = (frame: string) => {
  const lines = frame.split('\n');
  const header = lines.map((l) => /^workos-migrate {2}\d+\/10 {2}/.test(l)).lastIndexOf(true);
  return lines.slice(header).join('\n').trimEnd();
};

/** A path or command shown whole on one line, or cut in its middle with "…": never wrapped. */
function expectOnOneLine(frame: string, text: string) {
  const lines = frame.split('\n').map((l) => l.trim());
  const ok = lines.some((l) => {
    if (l.endsWith(text) || l.includes(text)) return true;
    const [head, tail] = l.split('…');
    return tail !== undefined && head.length > 8 && text.includes(head.replace(/^.*?(\/|workos-migrate)/, '$1')) && text.endsWith(tail);
  });
  expect(ok, `"${text}" is not on one line of:\n${frame}`).toBe(true);
}

describe('1. role mapping', () => {
  it('opens the picker on the current role (Enter Enter changes nothing), asks before granting more, and flags an unknown role', async () => {
    // One membership of the source is an "owner": no such role in the environment.
    const { cwd } = project({ edit: (csv) => csv.replace(/,member\n$/, ',owner\n') });
    const w = open(cwd);
    let frame = await walkToRoles(w, 'users.csv');
    expect(frame).toMatch(/! owner\s+1 member → member \(default\)/);
    expectShows(frame, 'Not roles in WorkOS: owner (1 member). They get the default, member, unless you map them.');

    // The first row is the source's member role: Enter, Enter keeps it.
    expect(frame).toMatch(/❯ member\s/);
    await w.press(KEY.enter);
    await w.waitFor('member becomes:');
    expect(w.frame()).toMatch(/❯ member \(/);
    await w.press(KEY.enter);
    await w.waitFor('c confirm and start the import');
    expect(w.store.getState().roles.mapping.member).toBe('member');

    // To admin (one up): more than the source gave, so asked first; Enter is no.
    await w.press(KEY.enter);
    await w.waitFor('member becomes:');
    await w.press(KEY.up, KEY.enter);
    frame = await w.waitFor('Grant admin?');
    expect(frame).toMatch(/member → admin gives \d+ members more than the source did/);
    expect(frame).toContain('y/N');
    await w.press(KEY.enter);
    await w.waitFor('c confirm and start the import');
    expect(w.store.getState().roles.mapping.member).toBe('member');
    // y grants it.
    await w.press(KEY.enter);
    await w.waitFor('member becomes:');
    await w.press(KEY.up, KEY.enter);
    await w.waitFor('Grant admin?');
    await w.press('y');
    await w.waitFor(/member\s+\d+ members → admin/);
    expect(w.store.getState().roles.mapping.member).toBe('admin');
  }, 60_000);
});

describe('2. strategy', () => {
  it('Enter on the strategy already chosen goes on after going back, and "Are signups off now?" defaults to no', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToPlan(w);
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    let frame = await w.waitFor('Are signups off now?');
    expect(frame).toContain('y/N');
    // Enter is not a yes.
    await w.press(KEY.enter);
    frame = await w.waitFor('Put it in place first');
    expect(w.store.getState().step).toBe('strategy');
    await w.press('y');
    await w.waitFor('c confirm and start the import');

    // Back to the strategy: the one chosen is focused, and Enter on it goes on.
    await w.press(KEY.esc);
    frame = await w.waitFor('How will new signups be handled');
    expect(frame).toMatch(/❯ Signup freeze/);
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');
    await w.waitFor('c confirm and start the import');
  }, 60_000);
});

describe('3. keys that arrive in one chunk', () => {
  it('are each handled: across screens (Welcome to Source), in a list, and in the plan', async () => {
    const { cwd } = project();
    const available = SOURCES.filter((s) => s.available);
    const w = open(cwd);
    await w.waitFor('Start a new migration');
    // Enter on Welcome, then Down Down and Enter on the Source screen: one write.
    await w.type(`${KEY.enter}${KEY.down}${KEY.down}${KEY.enter}`);
    await w.until((s) => s.step === 'source-auth');
    expect(w.store.getState().sourceKind).toBe(available[Math.min(2, available.length - 1)].kind);

    // Esc back, and Down Down Down Enter in one write.
    await w.press(KEY.esc);
    await w.waitFor('Where are your users now?');
    await w.press(KEY.up, KEY.up, KEY.up, KEY.up);
    await w.type(`${KEY.down}${KEY.down}${KEY.down}${KEY.enter}`);
    await w.until((s) => s.step === 'source-auth' && s.sourceKind === available[Math.min(3, available.length - 1)].kind);
  }, 60_000);

  it('move the plan\'s cursor as many times as they were pressed', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToPlan(w);
    await w.type(`${KEY.down}${KEY.down}${KEY.enter}`);
    // The third line (memberships) is open: its examples say "user in organization as role".
    const frame = await w.waitFor(/╭/);
    expect(frame).toMatch(/ in org_\d+ as /);
  }, 60_000);
});

describe('4. layout', () => {
  it("uses the terminal's width, not 80 columns", async () => {
    const { cwd } = project();
    const banner = `Demo: ${'a long banner that says what this demo runs against, '.repeat(3)}end.`;
    const w = open(cwd, { banner }, { columns: 140, rows: 40 });
    const frame = await w.waitFor('Start a new migration');
    const widest = Math.max(...frame.split('\n').map((l) => [...l].length));
    expect(widest).toBeGreaterThan(80);
    expect(widest).toBeLessThanOrEqual(140);
  });

  it('at 80x24 keeps every screen within the height through Verify, and never wraps a path', async () => {
    const { cwd } = project({ users: 30, withPasswords: 0.5 });
    const w = open(cwd, {}, { columns: 80, rows: 24 });
    await walkToRoles(w, 'users.csv');
    await w.press('c');
    const frame = await w.waitFor(/For you to tick/, 60_000);
    for (const f of w.frames()) {
      const live = liveArea(f);
      expect(live.split('\n').length, `taller than 24 rows:\n${live}`).toBeLessThanOrEqual(24);
    }
    expectOnOneLine(frame, w.store.getState().verify!.reports.dir);
  }, 90_000);

  it('follows a resize in the middle of the import: every frame after it fits the new width', async () => {
    const { cwd } = project({ users: 60 });
    const slow = await startSandbox({ limits: SLOW });
    try {
      const w = open(cwd, { env: { WORKOS_API_KEY: slow.apiKey, WORKOS_API_URL: slow.url }, limits: SLOW }, { columns: 100, rows: 30 }, slow);
      await walkToRoles(w, 'users.csv');
      await w.press('c');
      await w.waitFor((f) => (rowCount(f, 'users')?.finished ?? 0) > 0, 30_000);
      const before = w.frames().length;
      w.resize(64, 24);
      await w.waitFor(/For you to tick/, 60_000);
      // The live area (the log above it was printed before, and the terminal re-wraps it).
      const after = w.frames().slice(before + 1);
      for (const f of after) for (const line of liveArea(f).split('\n')) expect([...line].length, line).toBeLessThanOrEqual(64);
      expect(liveArea(w.frame()).match(/workos-migrate {2}\d+\/10/g)).toHaveLength(1);
    } finally {
      await slow.close();
    }
  }, 120_000);
});

describe('5. the finish line', () => {
  it('shows the import done at 100% before Verify, the elapsed time, a rate in words never above its limit, "paused" while paused; the shell gets a closing block', async () => {
    const { cwd } = project({ users: 60 });
    const slow = await startSandbox({ limits: SLOW });
    try {
      const w = open(cwd, { env: { WORKOS_API_KEY: slow.apiKey, WORKOS_API_URL: slow.url }, limits: SLOW }, { columns: 100, rows: 30 }, slow);
      await walkToRoles(w, 'users.csv');
      await w.press('c');
      await w.waitFor((f) => (rowCount(f, 'users')?.finished ?? 0) >= 3, 30_000);
      await w.press('p');
      let frame = await w.waitFor(/Paused: calls in flight finish/);
      await sleep(300);
      frame = w.frame();
      // Paused: the row says so instead of a frozen rate and ETA.
      expect(frame).toMatch(/^\s+\d+ created · paused$/m);
      expect(frame).toMatch(/Elapsed \d+s · paused/);
      await w.press('p');
      await w.waitFor(/For you to tick/, 60_000);

      const frames = w.frames();
      const verifyAt = frames.findIndex((f) => f.includes('10/10  Verify'));
      const done = frames.slice(0, verifyAt).filter((f) => f.includes('✔ Import done in'));
      expect(done.length).toBeGreaterThan(0);
      expect(rowCount(done.at(-1)!, 'users')).toEqual({ finished: 60, total: 60 });
      expect(done.at(-1)).toMatch(/users\s+█+ 60\/60 100%/);
      expect(frames.some((f) => /Elapsed \d+s · about \d+s left in all/.test(f))).toBe(true);
      // The rate as people read it, never above its limit.
      const rates = frames.flatMap((f) => [...f.matchAll(/(\d+) writes\/s, limit (\d+)/g)]).map((m) => [Number(m[1]), Number(m[2])]);
      expect(rates.length).toBeGreaterThan(0);
      for (const [rate, limit] of rates) expect(rate).toBeLessThanOrEqual(limit);
      expect(frames.some((f) => /\(\d\.\d\d of/.test(f))).toBe(false);

      // What the shell keeps: done, what next, where the files are; each path whole on its line.
      const closing = closingLines(w.store.getState());
      expect(closing).toContain('Done: 60 users, 2 organizations and 62 memberships are in WorkOS.');
      expect(closing).toContain('What to do next:');
      expect(closing).toContain('Where the files are:');
      expect(closing).toContain(`  reports: ${w.store.getState().verify!.reports.dir}`);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('says the rate as writes per second against the limit, clamped to it', () => {
    const progress = { type: 'progress', phase: 'users', counts: { total: 10, done: 1, created: 1, adopted: 0, failed: 0, skipped: 0 }, unit: 'users' } as const;
    expect(rateWords({ ...progress, ratePerSecond: 49.4, ceilingPerSecond: 50 })).toBe('49 writes/s, limit 50');
    expect(rateWords({ ...progress, ratePerSecond: 61, ceilingPerSecond: 50 })).toBe('50 writes/s, limit 50');
    expect(rateWords({ ...progress, ratePerSecond: 1234.4 })).toBe('1,234 users/s');
  });
});

describe('6. hand-offs', () => {
  it('are on the Plan and on Verify in words, with the users who will need a reset (those without a hash) as examples; status prints more than counts', async () => {
    const { cwd } = project({ users: 12, withPasswords: 0.5 });
    const csv = fs.readFileSync(path.join(cwd, 'users.csv'), 'utf8').split('\n').slice(1).filter(Boolean);
    const withHash = new Set(csv.filter((l) => l.split(',')[5]).map((l) => l.split(',')[1]));
    const without = new Set(csv.filter((l) => !l.split(',')[5]).map((l) => l.split(',')[1]));
    expect(withHash.size).toBeGreaterThan(0);
    const w = open(cwd);
    let frame = await walkToPlan(w);
    expectShows(frame, `By hand after the import: ${without.size} users without a password hash WorkOS can take will reset their password`);
    // Open it: the examples are users without a hash.
    const lines = frame.split('\n').filter((l) => /^[❯ ] /.test(l));
    const at = lines.findIndex((l) => l.includes('By hand after the import'));
    await w.press(...Array.from({ length: at }, () => KEY.down), KEY.enter);
    frame = await w.waitFor(/╭/);
    const shown = [...frame.matchAll(/([\w.+-]+@[\w.-]+)/g)].map((m) => m[1]);
    expect(shown.length).toBeGreaterThan(0);
    for (const email of shown) {
      expect(without.has(email), `${email} has a hash`).toBe(true);
    }

    // status: the plan in words with examples, and the hand-offs.
    let printed = '';
    const stdout = new Writable({
      write(chunk, _encoding, done) {
        printed += String(chunk);
        done();
      },
    });
    // The headless output says its lines on stderr (stdout is for --json).
    statusCommand({ cwd, env: {}, stdout: new PassThrough(), stderr: stdout, signal: new AbortController().signal }, { journal: w.store.getState().journalPath, json: false });
    expect(printed).toContain('The plan:');
    expect(printed).toContain('By hand after the import:');
    expect(printed).toMatch(/e\.g\. .+@/);

    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');
    await w.waitFor('c confirm and start the import');
    await w.press('c');
    frame = await w.waitFor(/For you to tick/, 60_000);
    expectShows(frame, `→ ${without.size} users without a password hash WorkOS can take will reset their password`);
  }, 90_000);
});

describe('9. input feedback', () => {
  const noColor = process.env.NO_COLOR;
  afterEach(() => {
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
  });

  it('under NO_COLOR marks the focused field, shows a caret and the Tab completion apart; an empty required field is refused on the screen', async () => {
    process.env.NO_COLOR = '1';
    const { cwd } = project();
    fs.mkdirSync(path.join(cwd, 'exports'));
    fs.copyFileSync(path.join(cwd, 'users.csv'), path.join(cwd, 'exports', 'all-users.csv'));
    const w = open(cwd);
    let frame = await walkToSourceAuth(w);
    expect(frame).toMatch(/^› File \(CSV, JSON or NDJSON\): █/m);
    await w.type('exp');
    frame = await w.waitFor('(Tab: exports/all-users.csv)');
    expect(frame).toMatch(/^› File \(CSV, JSON or NDJSON\): exp█ {2}\(Tab: exports\/all-users\.csv\)/m);
    // Empty: refused here, in the wizard's words.
    await w.press(KEY.backspace, KEY.backspace, KEY.backspace, KEY.enter);
    frame = await w.waitFor('is needed');
    expectShows(frame, 'File (CSV, JSON or NDJSON) is needed: type it, or Esc to go back.');
    expect(frame).not.toMatch(/--\w/);
    expect(w.store.getState().step).toBe('source-auth');
    expect(w.store.getState().sourceCheck.state).toBe('idle');
  });

  it('Esc on the Plan goes back to the file to change a column, and the plan is made again from it', async () => {
    const { cwd } = project();
    const w = open(cwd);
    await walkToPlan(w);
    expectKeys(w.frame(), 'Esc change columns');
    const first = w.store.getState().journalPath!;
    await w.press(KEY.esc);
    let frame = await w.waitFor('m change a column');
    expect(w.store.getState().step).toBe('source-auth');
    await w.until(() => !fs.existsSync(first));
    // first_name read as metadata instead.
    await w.press('m');
    await w.waitFor('Which column?');
    await w.press(KEY.down, KEY.down, KEY.enter);
    await w.waitFor('"first_name" holds:');
    // The picker opens on what the column holds now; the last choice keeps it as metadata.
    expect(w.frame()).toMatch(/❯ first_name/);
    await w.press('\u001B[F');
    frame = await w.waitFor(/❯ metadata\.first_name/);
    await w.press(KEY.enter);
    await w.waitFor('Enter continue');
    await w.press(KEY.enter);
    await w.waitFor('Test environment');
    await w.press(KEY.enter);
    frame = await w.waitFor('Nothing has been written to WorkOS yet', 20_000);
    expect(w.store.getState().journalPath).not.toBe(first);
    expect(Object.values(w.store.getState().columnMap)).toHaveLength(1);
  }, 60_000);

  it('Esc on Import and on Verify says what it does there', async () => {
    const { cwd } = project({ users: 60 });
    const slow = await startSandbox({ limits: SLOW });
    try {
      const w = open(cwd, { env: { WORKOS_API_KEY: slow.apiKey, WORKOS_API_URL: slow.url }, limits: SLOW }, undefined, slow);
      await walkToRoles(w, 'users.csv');
      await w.press('c');
      await w.waitFor((f) => (rowCount(f, 'users')?.finished ?? 0) >= 1, 30_000);
      await w.press(KEY.esc);
      await w.waitFor('An import does not go back. p pauses it; Ctrl-C stops it cleanly, to resume later.');
      expect(w.store.getState().step).toBe('import');
      await w.waitFor(/For you to tick/, 60_000);
      await w.press(KEY.esc);
      await w.waitFor('there is no step to go back to');
      expect(w.store.getState().exit).toBeUndefined();
    } finally {
      await slow.close();
    }
  }, 120_000);
});

describe('10. words and numbers', () => {
  it('a dry run says what it would create, and the headless pace reads as the wizard\'s', () => {
    const counts = { total: 2400, done: 2400, created: 2300, adopted: 100, failed: 0, skipped: 0 };
    const dry = progressLine({ type: 'progress', phase: 'dry-run', counts, unit: 'look-ups', ratePerSecond: 120.4 });
    expect(dry).toContain('2,300 would be created');
    expect(dry).toContain('100 would be adopted (already in WorkOS)');
    expect(dry).not.toMatch(/\d created/);
    const real = progressLine({ type: 'progress', phase: 'users', counts, unit: 'users', ratePerSecond: 50.7, ceilingPerSecond: 50 });
    expect(real).toContain('50 writes/s, limit 50');
    expect(real).toContain('2,300 created');
  });

  it('says "found" for records found by look-up (their first answer lost), not "created"', async () => {
    const { cwd, dataset } = project({ users: 20 });
    const lossy = await startSandbox({ limits: FAST_LIMITS, faults: { lostResponse: 0.3, seed: 11 } });
    try {
      const w = open(cwd, { env: { WORKOS_API_KEY: lossy.apiKey, WORKOS_API_URL: lossy.url } }, undefined, lossy);
      await walkToRoles(w, 'users.csv');
      await w.press('c');
      await w.waitFor(/For you to tick/, 90_000);
      const found = w.frames().flatMap((f) => [...f.matchAll(/(\d+) created, (\d+) found by look-up \(written before\)/g)]);
      expect(found.length).toBeGreaterThan(0);
      expect(lossy.state.users.size).toBe(dataset.users.length);
    } finally {
      await lossy.close();
    }
  }, 120_000);

  it('says "1 organization", explains "adopt" where it is first shown', async () => {
    const { cwd } = project({ organizations: 1 });
    const w = open(cwd);
    const frame = await walkToPlan(w);
    expect(frame).toContain('1 organization to create or adopt');
    expect(frame).toContain('Adopt: a user or organization already in WorkOS');
  });
});
