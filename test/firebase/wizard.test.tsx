/**
 * The Firebase path through the wizard, in process: the export file, the hash parameters with the
 * signer key typed into a masked field, an organizations file, a test account whose password is
 * masked too and checks the parameters before the import; migrated into the WorkOS sandbox. The
 * signer key and the test password are drawn in no frame and written to no file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { chooseSource, expectFitsIn80Columns, expectKeys, KEY, renderWizard, type Wizard } from '../screens/harness.js';
import { buildFixture, FAST_PARAMS, writeJsonExport, type Fixture } from './fixture.js';
import { expectNowhere, expectWorkOSHolds } from './util.js';

describe('the wizard with a Firebase source', () => {
  let fixture: Fixture;
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  let cwd: string;
  beforeAll(async () => {
    cwd = tempDir('wm-fb-wizard-');
    fixture = buildFixture({ users: 150 });
    writeJsonExport(path.join(cwd, 'users.json'), fixture);
    // Roles the environment has (admin, member): mapped as they are, no question left.
    const rows = fixture.orgRows.map((r) => [r[0], r[1], `"${r[2]}"`, r[3] === 'billing' ? 'member' : r[3]].join(','));
    fs.writeFileSync(path.join(cwd, 'orgs.csv'), `user,organization_id,organization_name,role\n${rows.join('\n')}\n`);
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  }, 120_000);
  afterAll(() => sandbox?.close());
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it('takes the hash parameters (signer key masked), checks them with a test account, and migrates the export', async () => {
    const env: NodeJS.ProcessEnv = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url };
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS }));
    const someone = fixture.users.find((u) => u.password && u.email && !u.disabled)!;
    const key = FAST_PARAMS.signerKey;

    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    await chooseSource(w, 'Firebase');

    let frame = await w.waitFor(/auth:export file \(JSON or CSV\):/);
    expect(frame).toContain('3/10  Source authentication');
    await w.type('users.json');
    await w.press(KEY.enter);
    await w.waitFor(/Signer key \(base64_signer_key\):/);
    await w.type(key);
    frame = await w.waitFor('*'.repeat(key.length));
    expect(frame).not.toContain(key.slice(0, 12));
    await w.press(KEY.enter);
    await w.waitFor(/Salt separator \(base64_salt_separator, often Bw==\):/);
    await w.type(FAST_PARAMS.saltSeparator);
    await w.press(KEY.enter);
    await w.waitFor(/Rounds \(optional, default 8\):/);
    await w.press(KEY.enter);
    await w.waitFor(/Memory cost, mem_cost \(optional, default 14\):/);
    await w.type(String(FAST_PARAMS.memCost));
    await w.press(KEY.enter);
    await w.waitFor(/Organizations file/);
    await w.type('orgs.csv');
    await w.press(KEY.enter);
    await w.waitFor(/Disabled users: skip or import/);
    await w.press(KEY.enter);
    await w.waitFor(/Test account email/);
    await w.type(someone.email!);
    await w.press(KEY.enter);
    await w.waitFor(/Test account password \(optional\):/);
    await w.type(someone.password!);
    frame = await w.waitFor('*'.repeat(someone.password!.length));
    expect(frame).not.toContain(someone.password!);
    await w.press(KEY.enter);

    // Checked: the file read, the parameters proven by the test account, the organizations counted.
    frame = await w.waitFor('Enter continue', 60_000);
    const flat = frame.replace(/\s+/g, ' ');
    expect(flat).toMatch(/✔ Firebase export users\.json \(JSON\)/);
    expect(flat).toMatch(/the hash parameters are the project's/);
    expect(flat).toMatch(/4 organizations, \d+ memberships in orgs\.csv/);
    expect(frame).toContain('Signer key (base64_signer_key): ••••');
    expectKeys(frame, 'Enter continue', 'Esc back');
    await w.press(KEY.enter);

    await w.waitFor('Test environment');
    await w.press(KEY.enter);
    frame = await w.waitFor('Nothing has been written to WorkOS yet', 60_000);
    const expected = fixture.expected();
    expect(frame).toContain(`${expected.users.length} users to create or adopt`);
    expect(frame).toMatch(new RegExp(`${expected.disabled.length} users? left out by your choice`));
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');
    await w.waitFor('c confirm and start the import');
    await w.press('c');

    frame = await w.waitFor(/Reports:/, 120_000);
    expect(frame).toContain('10/10  Verify');
    expect(frame, frame).not.toContain('✖');
    expectWorkOSHolds(sandbox, expected);

    // The signer key and the test password: drawn in no frame, written to no file.
    for (const secret of [key, key.replace(/=+$/, ''), someone.password!]) expect(w.frames().some((f) => f.includes(secret))).toBe(false);
    expectNowhere(cwd, key, 'the signer key');
    expectNowhere(path.dirname(w.store.getState().journalPath!), someone.password!, 'the test password');
    expectFitsIn80Columns(w);
  }, 240_000);
});
