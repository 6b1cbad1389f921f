/**
 * The Clerk path through the wizard, in process: the secret key typed into a masked field, the
 * Dashboard export named beside it, checked with one live read of the fake Backend API, and
 * migrated into the WorkOS sandbox. The key is drawn in no frame and lands in no file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectedClerkState, generateClerkInstance, startFakeClerk, writeClerkExport, type FakeClerk } from '../../src/sandbox/clerk/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { chooseSource, expectFitsIn80Columns, KEY, renderWizard, type Wizard } from '../screens/harness.js';
import { expectWorkOSHolds, FAST_CLERK, filesUnder, ROLES } from './util.js';

const SECRET = 'sk_test_WizardKey9Vq3Lm7Tz';

describe('the wizard with a Clerk source', () => {
  let fake: FakeClerk;
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  let cwd: string;
  beforeAll(async () => {
    cwd = tempDir('wm-clerk-wizard-');
    fake = await startFakeClerk({ instance: await generateClerkInstance({ users: 60, organizations: 3, seed: 8 }), secretKey: SECRET, ...FAST_CLERK });
    writeClerkExport(path.join(cwd, 'users.csv'), fake.instance);
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    await fake?.close();
  });
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it('takes the secret key masked and the export, checks them live, and migrates into WorkOS', async () => {
    const env: NodeJS.ProcessEnv = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, CLERK_API_URL: fake.url };
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS }));

    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    await chooseSource(w, 'Clerk');

    let frame = await w.waitFor(/Clerk secret key \(sk_live_\.\.\. or sk_test_\.\.\.\):/);
    expect(frame).toContain('3/10  Source authentication');
    await w.type(SECRET);
    frame = await w.waitFor('*'.repeat(SECRET.length));
    expect(frame).not.toContain(SECRET);
    await w.press(KEY.enter);
    await w.waitFor(/Dashboard user export CSV, for passwords and TOTP \(optional\):/);
    await w.type('users.csv');
    await w.waitFor('users.csv');
    await w.press(KEY.enter);
    await w.waitFor(/Banned and locked users: skip or import \(optional\):/);
    await w.press(KEY.enter);

    // One live read: the instance's counts; the export named, what it carries said.
    frame = await w.waitFor('Enter continue', 30_000);
    const flat = frame.replace(/\s+/g, ' ');
    expect(flat).toMatch(/✔ Clerk development instance: 60 users, 3 organizations/);
    expect(flat).toMatch(/bcrypt passwords and TOTP secrets carried/);
    expect(frame).not.toContain(SECRET);
    await w.press(KEY.enter);

    await w.waitFor('Test environment');
    await w.press(KEY.enter);

    const expected = expectedClerkState(fake.instance, { from: 'csv' });
    frame = await w.waitFor('Nothing has been written to WorkOS yet', 30_000);
    expect(frame).toContain(`${expected.users.length} users to create or adopt`);
    expect(frame).toContain('3 organizations to create or adopt');
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');

    // Clerk's built-in roles map to the environment's admin and member.
    frame = await w.waitFor('c confirm and start the import');
    expect(frame).toMatch(/org:admin\s+\d+ members? → admin/);
    expect(frame).toMatch(/org:member\s+\d+ members? → member/);
    await mapCustomRole(w, 'org:billing', 'billing');
    await w.press('c');

    frame = await w.waitFor(/Reports:/, 60_000);
    expect(frame).toContain('10/10  Verify');
    await expectWorkOSHolds(sandbox, fake, expected);

    // The key was never drawn, nor written anywhere.
    expect(w.frames().some((f) => f.includes(SECRET))).toBe(false);
    for (const file of filesUnder(cwd)) expect(fs.readFileSync(file).includes(Buffer.from(SECRET)), `${file} holds the Clerk secret key`).toBe(false);
    expectFitsIn80Columns(w);
  }, 120_000);
});

/** On the Roles step: moves to the source role's line, Enter, and picks the WorkOS slug for it. */
async function mapCustomRole(w: Wizard, source: string, slug: string): Promise<void> {
  const selected = () => /❯ ?(.*)/.exec(w.frame())?.[1] ?? '';
  for (let i = 0; i < 10 && !selected().includes(source); i++) {
    const before = w.frame();
    await w.press(KEY.down);
    await w.waitFor((f) => f !== before, 2_000).catch(() => undefined);
  }
  await w.press(KEY.enter);
  await w.waitFor(`${source} becomes:`);
  for (let i = 0; i < 10 && !selected().startsWith(slug); i++) {
    const before = w.frame();
    await w.press(KEY.down);
    await w.waitFor((f) => f !== before, 2_000).catch(() => undefined);
  }
  await w.press(KEY.enter);
  await w.waitFor(new RegExp(`${source}\\s+\\d+ members? → ${slug}\\n`));
}
