import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { REAL_LIMITS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectSandboxHolds, tempDir } from '../helpers.js';
import { ensureBuilt, Tmux } from './tmux.js';

const DOWN = 'Down';

/** A new migration of ./users.csv through every screen, up to the start of the import. */
async function walkToImport(t: Tmux): Promise<void> {
  await t.waitFor(/Start a new migration/);
  t.keys('Enter');
  await t.waitFor(/Where are your users now/);
  // The file is chosen by name, one Down at a time: another source in the list moves nothing here.
  for (let i = 0; i < 12 && !/❯ ?A file/.test(t.screen()); i++) {
    t.keys(DOWN);
    await new Promise((r) => setTimeout(r, 150));
  }
  t.keys('Enter');
  await t.waitFor(/File \(CSV, JSON or NDJSON\)/);
  t.type('users.csv');
  t.keys('Enter');
  await t.waitFor(/Enter continue/);
  t.keys('Enter');
  await t.waitFor(/Test environment/);
  t.keys('Enter');
  await t.waitFor(/Nothing has been written to WorkOS yet/);
  t.keys('c');
  await t.waitFor(/How will new signups be handled/);
  t.keys('Enter');
  await t.waitFor(/Are signups off now/);
  t.keys('y');
  await t.waitFor(/c confirm and start the import/);
  t.keys('c');
}
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(hasTmux)('the built binary in a terminal', () => {
  const sessions: Tmux[] = [];
  const session = (cwd: string, env: Record<string, string>) => {
    const t = new Tmux(cwd, env);
    sessions.push(t);
    return t;
  };
  beforeAll(() => ensureBuilt(), 120_000);
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
  });

  it('without a terminal, names the headless command instead of starting the wizard', () => {
    const dir = tempDir();
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [path.join(import.meta.dirname, '../../dist/cli.js')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (error) {
      code = (error as { status: number }).status;
      stderr = (error as { stderr: string }).stderr;
    }
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/needs a terminal.*workos-migrate run --source file --file PATH/);
  });

  it('runs `demo` from Welcome to a passing Verify', async () => {
    const dir = tempDir();
    // The demo keeps its folder between runs: this one's own, not the shared default.
    const t = session(dir, { PATH: process.env.PATH ?? '', WORKOS_MIGRATE_DEMO_DIR: path.join(dir, 'demo') });
    t.start(['demo', '--fast', '--users', '60']);
    await walkToImport(t);
    const verify = (await t.waitFor(/For you to tick/, 60_000)).replace(/\s+/g, ' ');
    // At 100x30 the checklist pages: its lines are one each, the counts say it all.
    expect(verify).toMatch(/✔ Imported users exist with the right email/);
    expect(verify).toMatch(/users 60 staged, 60 done, 60 in WorkOS/);
    expect(verify).toMatch(/✔ Memberships exist with the mapped role/);
    expect(verify).not.toMatch(/✖/);
    t.keys('q');
    expect(await t.exitCode()).toBe(0);
  }, 120_000);

  describe('killed during the import', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await startSandbox({ limits: REAL_LIMITS });
    });
    afterAll(() => sandbox.close());

    it('resumes from the Welcome screen to completion, with the exact expected state', async () => {
      const dir = tempDir();
      const dataset = generateDataset({ users: 150, organizations: 6, memberships: 220, seed: 8 });
      writeDatasetCsv(dataset, path.join(dir, 'users.csv'));
      const env = { PATH: process.env.PATH ?? '', WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url };

      const first = session(dir, env);
      first.start([]);
      await walkToImport(first);
      // At 50 writes/s the users take a few seconds: kill it in the middle of them.
      await first.waitFor(/users\s+\S+\s+([2-9]\d|1[0-4]\d)\/150/, 30_000);
      first.killProgram();
      expect(await first.exitCode()).not.toBe(0);
      expect(sandbox.state.users.size).toBeLessThan(150);

      const second = session(dir, env);
      second.start([]);
      const welcome = await second.waitFor(/Resume file · importing/);
      expect(welcome).toMatch(/Start a new migration/);
      second.keys('Enter');
      const verify = await second.waitFor(/For you to tick/, 60_000);
      expect(verify).not.toMatch(/✖/);
      second.keys('q');
      expect(await second.exitCode()).toBe(0);

      expectSandboxHolds(sandbox, dataset);
      expect(fs.readdirSync(path.join(dir, '.workos-migrate')).filter((f) => f.endsWith('.db'))).toHaveLength(1);
    }, 120_000);
  });
});
