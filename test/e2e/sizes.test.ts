/**
 * The built binary in tmux at the sizes people use (80x24, 100x30, 160x40): keys sent in bursts,
 * a resize in the middle of the import, and on every screen no line wider than the terminal, one
 * header (no ghost of an earlier frame), no path or command split across lines. Then the demo is
 * stopped halfway and `demo` again offers to resume it, to the end.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SOURCES } from '../../src/providers/index.js';
import { tempDir } from '../helpers.js';
import { ensureBuilt, Tmux } from './tmux.js';

const DOWN = '\u001B[B';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Every line of the screen fits the terminal, and the wizard's header is there once at most. */
function expectCleanScreen(t: Tmux, screen: string) {
  for (const line of screen.split('\n')) expect([...line].length, `wider than ${t.size.columns}: ${line}`).toBeLessThanOrEqual(t.size.columns);
  expect((screen.match(/workos-migrate {2}\d+\/10 {2}/g) ?? []).length, screen).toBeLessThanOrEqual(1);
}

/** A path or command is on one line: whole, or cut in the middle with "…", never wrapped. */
function expectNotSplit(screen: string, text: string) {
  const lines = screen.split('\n').map((l) => l.trim());
  const whole = lines.some((l) => l.includes(text));
  const cut = lines.some((l) => {
    const [head, tail] = l.split('…');
    return tail !== undefined && tail.length > 4 && text.endsWith(tail.trim()) && head.length > 4;
  });
  expect(whole || cut, `"${text}" is split on:\n${screen}`).toBe(true);
}

/** Welcome to the import of users.csv, the keys of each screen sent in one write. */
async function walkInBursts(t: Tmux): Promise<void> {
  await t.waitFor(/Start a new migration/);
  // Enter on Welcome, then the Downs to "A file" and Enter on the Source screen: one write.
  const downs = SOURCES.filter((s) => s.available).findIndex((s) => s.kind === 'file');
  t.burst(`\r${DOWN.repeat(downs)}\r`);
  await t.waitFor(/File \(CSV, JSON or NDJSON\)/);
  t.burst('users.csv\r');
  await t.waitFor(/Enter continue/);
  t.burst('\r');
  await t.waitFor(/Test environment/);
  t.burst('\r');
  await t.waitFor(/Nothing has been written to WorkOS yet/);
  t.burst('c');
  await t.waitFor(/How will new signups be handled/);
  // Enter on the strategy focused, then the question: y.
  t.burst('\r');
  await t.waitFor(/Are signups off now\? y\/N/);
  t.burst('y');
  await t.waitFor(/c confirm and start the import/);
  t.burst('c');
}

describe.runIf(hasTmux)('the wizard in terminals of every size', () => {
  const sessions: Tmux[] = [];
  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
  });

  for (const size of [
    { columns: 80, rows: 24 },
    { columns: 100, rows: 30 },
    { columns: 160, rows: 40 },
  ]) {
    it(`${size.columns}x${size.rows}: bursts of keys, a resize mid-import, every screen within the width, nothing split`, async () => {
      const home = tempDir('wm-e2e-size-');
      const t = new Tmux(home, { PATH: process.env.PATH ?? '', WORKOS_MIGRATE_DEMO_DIR: path.join(home, 'demo') }, { ...size });
      sessions.push(t);
      // Real limits (50 writes/s): 150 users take a few seconds, time to resize in the middle.
      t.start(['demo', '--users', '150', '--organizations', '4']);
      await walkInBursts(t);
      let screen = await t.waitFor(/users\s+\S+\s+\d+\/150/, 30_000);
      expectCleanScreen(t, screen);
      // Narrower and shorter in the middle of the import, then back.
      t.resize(size.columns - 10, size.rows - 2);
      await sleep(400);
      expectCleanScreen(t, t.screen());
      t.resize(size.columns, size.rows);
      screen = await t.waitFor(/For you to tick/, 90_000);
      await sleep(300);
      screen = t.screen();
      expectCleanScreen(t, screen);
      expect(screen).toMatch(/10\/10 {2}Verify/);
      expect(screen).not.toMatch(/9\/10 {2}Import/);
      expect(screen).not.toMatch(/✖/);
      const reports = fs
        .readdirSync(path.join(home, 'demo', '.workos-migrate'))
        .filter((f) => f.endsWith('.reports'))
        .map((f) => path.join(home, 'demo', '.workos-migrate', f))[0];
      expectNotSplit(screen, reports);

      t.keys('q');
      expect(await t.exitCode(30_000)).toBe(0);
      // The shell keeps a closing block: done, what next, where the files are (each path whole once joined back).
      const shell = t.history(true);
      expect(shell).toContain('Done: 150 users');
      expect(shell).toContain('What to do next:');
      expect(shell).toContain(`  reports: ${reports}`);
    }, 180_000);
  }

  it('a demo stopped halfway is offered by `demo` again, and resumes to a passing Verify', async () => {
    const home = tempDir('wm-e2e-demo-');
    const env = { PATH: process.env.PATH ?? '', WORKOS_MIGRATE_DEMO_DIR: path.join(home, 'demo') };
    const first = new Tmux(home, env);
    sessions.push(first);
    first.start(['demo', '--users', '200', '--organizations', '4']);
    await walkInBursts(first);
    await first.waitFor(/users\s+\S+\s+([2-9]\d|1[0-4]\d)\/200/, 30_000);
    first.keys('C-c');
    await first.waitFor(/Stopped; the journal is consistent/, 30_000);
    // The command it gives works: the demo again, not a resume of a sandbox that is gone.
    expect(first.screen()).toContain('workos-migrate demo --users 200 --organizations 4');
    first.keys('q');
    expect(await first.exitCode(30_000)).toBe(130);

    const second = new Tmux(home, env);
    sessions.push(second);
    second.start(['demo', '--users', '200', '--organizations', '4']);
    const welcome = await second.waitFor(/Resume file · importing/, 30_000);
    expect(welcome).toContain('Its earlier runs are kept');
    second.keys('Enter');
    const verify = await second.waitFor(/For you to tick/, 90_000);
    expect(verify).not.toMatch(/✖/);
    expect(verify.replace(/\s+/g, " ")).toMatch(/users 200 staged, 200 done, 200 in WorkOS/);
    second.keys('q');
    expect(await second.exitCode(30_000)).toBe(0);
  }, 240_000);
});
