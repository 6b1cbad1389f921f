/**
 * The Better Auth path through the wizard, in process: a PostgreSQL database made by Better Auth
 * itself, its URL (with a password) typed into a masked field, migrated into the WorkOS sandbox.
 * The password is never drawn unmasked and lands in no file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { APP_SECRET, buildFixture, RENAMED, serverUp, type Fixture } from '../better-auth/fixture.js';
import { expectWorkOSHolds, filesUnder, ROLES } from '../better-auth/util.js';
import { chooseSource, expectFitsIn80Columns, expectKeys, KEY, renderWizard, type Wizard } from './harness.js';

const PASSWORD = 'wm-Wiz-S3cret-pw';
const postgresUp = await serverUp('postgres');

describe('the wizard with a Better Auth source', () => {
  // PostgreSQL trusts this host, so a URL with any password connects: the password to hide.
  const skip = !postgresUp && !process.env.CI;
  let fixture: Fixture;
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  let cwd: string;
  beforeAll(async () => {
    if (skip) return;
    cwd = tempDir('wm-screens-ba-');
    fixture = await buildFixture({ dialect: 'postgres', dir: cwd });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await fixture?.close();
  });
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it.skipIf(skip)('takes the database URL masked, checks it read-only, and migrates the app into WorkOS', async () => {
    const url = fixture.url.replace('postgres://postgres@', `postgres://postgres:${PASSWORD}@`);
    const env: NodeJS.ProcessEnv = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, BETTER_AUTH_SECRET: APP_SECRET };
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS }));

    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    await chooseSource(w, 'Better Auth');

    let frame = await w.waitFor(/Database URL \(postgres:\/\/, mysql:\/\/\) or SQLite file:/);
    expect(frame).toContain('3/10  Source authentication');
    await w.type(url);
    frame = await w.waitFor('*'.repeat(url.length));
    expect(frame).not.toContain(PASSWORD);
    await w.press(KEY.enter);
    // The schema is Better Auth's own: no renamed tables. Teams: flattened into organizations.
    await w.waitFor(/Renamed tables\/columns, e\.g\. user=app_users \(optional\):/);
    await w.press(KEY.enter);
    await w.waitFor(/Teams: skip, or flatten into organizations \(optional\):/);
    await w.type('flatten');
    await w.waitFor('flatten');
    await w.press(KEY.enter);

    // Checked with one live read: the tables found, read-only said, the URL's password masked.
    frame = await w.waitFor('Enter continue', 30_000);
    expect(frame).toContain('✔ Better Auth database');
    expect(frame).toContain('postgres://postgres:****@127.0.0.1');
    expect(frame.replace(/\s+/g, ' ')).toMatch(/read-only transactions: nothing is ever written to it/);
    expect(frame).toContain('Database URL (postgres://, mysql://) or SQLite file: ••••••••••••');
    expect(frame.replace(/\s+/g, ' ')).toMatch(/teams: each becomes an organization/);
    expectKeys(frame, 'Enter continue', 'e edit', 'Esc back');
    await w.press(KEY.enter);

    await w.waitFor('Test environment');
    await w.press(KEY.enter);

    frame = await w.waitFor('Nothing has been written to WorkOS yet', 30_000);
    expect(frame).toContain(`${fixture.expected.users.length} users to create or adopt`);
    // Five organizations and the team of three (the default teams are the organizations themselves).
    expect(frame).toContain(`${fixture.expected.organizations.length + 1} organizations to create or adopt`);
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');

    // Better Auth's roles are the environment's slugs: mapped as they are.
    frame = await w.waitFor('c confirm and start the import');
    expect(frame).toMatch(/owner\s+\d+ members? → owner\n/);
    await w.press('c');

    frame = await w.waitFor(/Reports:/, 60_000);
    expect(frame).toContain('10/10  Verify');
    expect(frame).not.toContain('✖');
    expectWorkOSHolds(sandbox, fixture.expected, { teams: 'flatten' });

    // The password was never drawn, nor written anywhere.
    expect(w.frames().some((f) => f.includes(PASSWORD))).toBe(false);
    const journalPath = w.store.getState().journalPath!;
    for (const file of filesUnder(path.dirname(journalPath))) {
      expect(fs.readFileSync(file).includes(Buffer.from(PASSWORD)), `${file} holds the database password`).toBe(false);
    }
    expectFitsIn80Columns(w);
  }, 180_000);

  it('reads a renamed schema named on the screen (SQLite), and says which tables it found', async () => {
    const dir = tempDir('wm-screens-ba-renamed-');
    const renamed = await buildFixture({ dialect: 'sqlite', dir, names: RENAMED });
    const own = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
    try {
      const env: NodeJS.ProcessEnv = { WORKOS_API_KEY: own.apiKey, WORKOS_API_URL: own.url, DATABASE_URL: renamed.url };
      const w = (wizard = renderWizard({ cwd: dir, env, limits: FAST_LIMITS }));
      await w.waitFor('Start a new migration');
      await w.press(KEY.enter);
      await w.waitFor('Where are your users now?');
      await chooseSource(w, 'Better Auth');
      // DATABASE_URL pre-fills the field (masked all the same).
      let frame = await w.waitFor(/Database URL \(postgres:\/\/, mysql:\/\/\) or SQLite file:/);
      expect(frame).toContain('(from DATABASE_URL; Enter');
      await w.press(KEY.enter);
      await w.waitFor(/Renamed tables\/columns/);
      const names = [...Object.entries(RENAMED.tables!), ...Object.entries(RENAMED.fields!)].map(([k, v]) => `${k}=${v}`).join(', ');
      await w.type(names);
      await w.waitFor('roles_csv');
      await w.press(KEY.enter);
      await w.waitFor(/Teams: skip/);
      await w.press(KEY.enter);
      frame = (await w.waitFor('Enter continue', 30_000)).replace(/\s+/g, ' ');
      expect(frame).toMatch(/✔ Better Auth database .* opened read-only: nothing is ever written to it/);
      expect(frame).toMatch(/app_users \(user\) 43 rows, app_accounts \(account\) 44 rows/);
      // Without BETTER_AUTH_SECRET the TOTP users re-enrol, and the check says so.
      expect(frame).toMatch(/two-factor users re-enrol/);
      await w.press(KEY.enter);
      await w.waitFor('Test environment');
      await w.press(KEY.enter);
      await w.waitFor('Nothing has been written to WorkOS yet', 30_000);
      await w.press('c');
      await w.waitFor('How will new signups be handled');
      await w.press(KEY.enter);
      await w.waitFor('Are signups off now?');
      await w.press('y');
      await w.waitFor('c confirm and start the import');
      await w.press('c');
      frame = await w.waitFor(/Reports:/, 60_000);
      expect(frame).not.toContain('✖');
      expectWorkOSHolds(own, renamed.expected);
      expect(own.state.authFactors.size).toBe(0);
      expectFitsIn80Columns(w);
    } finally {
      await own.close();
      await renamed.close();
    }
  }, 180_000);
});
