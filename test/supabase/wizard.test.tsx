/**
 * The Supabase path through the wizard, in process: the project's database URL (with a password)
 * typed into a masked field, the organizations file named, the connection checked read-only, the
 * plan, and the import into the WorkOS sandbox. The password is never drawn and lands in no file
 * under the run's directory.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { chooseSource, expectFitsIn80Columns, expectKeys, KEY, renderWizard, type Wizard } from '../screens/harness.js';
import { buildFixture, serverUp, type Fixture } from './fixture.js';
import { expectWorkOSHolds, filesUnder, ROLES } from './util.js';

const PASSWORD = 'sb-Wiz-S3cret-pw';
const up = await serverUp();

describe.skipIf(!up && !process.env.CI)('the wizard with a Supabase source', () => {
  let fixture: Fixture;
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  let cwd: string;
  beforeAll(async () => {
    cwd = tempDir('wm-supabase-wizard-');
    fixture = await buildFixture({ dir: cwd, bulk: 60 });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
  }, 120_000);
  afterAll(async () => {
    wizard?.unmount();
    await sandbox?.close();
    await fixture?.close();
  });
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it('takes the database URL masked, checks it read-only, and migrates the project into WorkOS', async () => {
    const url = fixture.url.replace('postgres://postgres@', `postgres://postgres:${PASSWORD}@`);
    const env: NodeJS.ProcessEnv = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url };
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS }));

    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    await chooseSource(w, 'Supabase');

    let frame = await w.waitFor(/Project database URL \(postgres:\/\/\), read-only:/);
    expect(frame).toContain('3/10  Source authentication');
    await w.type(url);
    frame = await w.waitFor('*'.repeat(url.length));
    expect(frame).not.toContain(PASSWORD);
    await w.press(KEY.enter);
    await w.waitFor(/Organizations CSV: user, organization id, name, role \(optional\):/);
    await w.type(fixture.organizationsFile);
    await w.waitFor((f) => f.replace(/\s+/g, '').includes(fixture.organizationsFile.replace(/\s+/g, '')));
    await w.press(KEY.enter);
    await w.waitFor(/Deleted users: skip or import \(optional\):/);
    await w.press(KEY.enter);
    await w.waitFor(/Banned users: skip or import \(optional\):/);
    await w.press(KEY.enter);

    // One live read: the counts, read-only said, the URL's password masked.
    frame = await w.waitFor('Enter continue', 30_000);
    const flat = frame.replace(/\s+/g, ' ');
    expect(frame).toContain('✔ Supabase database');
    expect(flat).toContain('postgres://postgres:****@127.0.0.1');
    expect(flat).toMatch(/read-only transactions: nothing is ever written to it/);
    expect(flat).toMatch(/1 anonymous user left out/);
    expect(flat).toMatch(/organizations from organizations-.*\.csv: 5 organizations/);
    expect(frame).toContain('Project database URL (postgres://), read-only: ••••••••••••');
    expectKeys(frame, 'Enter continue', 'e edit', 'Esc back');
    await w.press(KEY.enter);

    await w.waitFor('Test environment');
    await w.press(KEY.enter);

    frame = await w.waitFor('Nothing has been written to WorkOS yet', 60_000);
    const { expected } = fixture;
    // The users staged: importable ones and the deleted/banned left out by the default choice.
    expect(frame).toContain(`${expected.users.length} users to create or adopt`);
    expect(frame).toContain(`${expected.leftOut.length} users left out by your choice`);
    expect(frame).toContain(`${expected.organizations.length} organizations to create or adopt`);
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');

    // The file's roles are the environment's slugs: mapped as they are.
    frame = await w.waitFor('c confirm and start the import');
    expect(frame).toMatch(/admin\s+\d+ members? → admin\n/);
    await w.press('c');

    frame = await w.waitFor(/Reports:/, 90_000);
    expect(frame).toContain('10/10  Verify');
    await expectWorkOSHolds(sandbox, expected);

    // The password was never drawn, nor written anywhere under the run's directory.
    expect(w.frames().some((f) => f.includes(PASSWORD))).toBe(false);
    const files = filesUnder(cwd);
    expect(files.some((f) => f.endsWith('.db'))).toBe(true);
    for (const file of files) {
      expect(fs.readFileSync(file).includes(Buffer.from(PASSWORD)), `${file} holds the database password`).toBe(false);
    }
    expectFitsIn80Columns(w);
  }, 180_000);
});
