/**
 * The README's first command, as a new user runs it right after `npm install`: `npx workos-migrate
 * demo` from the project's folder, with a clean npx cache, reaches the wizard's first frame in a
 * few seconds. npx treats the folder as the package and runs its `prepare` again: that must not
 * rebuild what `npm install` just built (it used to show a bare npm spinner for about a minute).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';
import { CLI, ensureBuilt, Tmux } from './tmux.js';

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(hasTmux)('first start', () => {
  let t: Tmux | undefined;
  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(() => t?.close());

  it('`npx workos-migrate demo` in the project, from a clean npx cache, shows Welcome without building again', async () => {
    const home = tempDir('wm-e2e-first-');
    // The npm on PATH and a cache of its own: nothing left from an earlier npx run.
    t = new Tmux(ROOT, { PATH: process.env.PATH ?? '', HOME: home, npm_config_cache: path.join(home, 'npm-cache'), WORKOS_MIGRATE_DEMO_DIR: path.join(home, 'demo') });
    const built = fs.statSync(CLI).mtimeMs;
    const started = Date.now();
    t.run('npx workos-migrate demo --fast --users 20');
    await t.waitFor(/Start a new migration/, 30_000);
    // What made it slow, asserted as behaviour (pace is for bench/): prepare did not build again.
    expect(fs.statSync(CLI).mtimeMs).toBe(built);
    console.log(`first start: the Welcome frame after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.keys('q');
    expect(await t.exitCode(20_000)).toBe(0);
  }, 60_000);
});
