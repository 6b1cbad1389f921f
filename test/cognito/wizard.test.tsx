/**
 * The AWS Cognito path through the wizard, in process: the real SDK against the fake pool (its
 * endpoint from COGNITO_ENDPOINT), the pool id typed, the access key id and the secret typed into
 * masked fields, an organization named so the groups become roles; migrated into the WorkOS
 * sandbox. Neither key is in any frame or in any file the run wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectedCognitoState, generateCognitoPool, startFakeCognito, type FakeCognito } from '../../src/sandbox/cognito/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { chooseSource, expectFitsIn80Columns, expectKeys, expectShows, KEY, renderWizard, type Wizard } from '../screens/harness.js';
import { expectWorkOSHoldsPool, filesUnder, ROLES } from './util.js';

const KEY_ID = 'AKIAWIZARDTEST000077';
const SECRET = 'wiz/Secret+Key-9xQk27LmNb5Vc3Xz1Pq8Rt6Yu4Io2';

describe('the wizard with an AWS Cognito source', () => {
  let fake: FakeCognito;
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  beforeAll(async () => {
    fake = await startFakeCognito({ pool: generateCognitoPool({ users: 150, seed: 31 }), accessKeyId: KEY_ID, secretAccessKey: SECRET });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
  });
  afterAll(async () => {
    await fake?.close();
    await sandbox?.close();
  });
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it('takes both AWS keys masked, checks the pool live, and migrates it with its groups as roles', async () => {
    const cwd = tempDir('wm-cognito-wizard-');
    const env: NodeJS.ProcessEnv = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, COGNITO_ENDPOINT: fake.url };
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS }));

    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    await chooseSource(w, 'AWS Cognito');

    let frame = await w.waitFor('Cognito user pool id (us-east-1_AbC123):');
    expect(frame).toContain('3/10  Source authentication');
    await w.type(fake.pool.id);
    await w.press(KEY.enter);
    // The region is optional: the pool id says it.
    await w.waitFor(/AWS region \(optional: the pool id says it\):/);
    await w.press(KEY.enter);

    // Both keys are typed into masked fields.
    await w.waitFor('AWS access key id:');
    await w.type(KEY_ID);
    frame = await w.waitFor('*'.repeat(KEY_ID.length));
    expect(frame).not.toContain(KEY_ID);
    await w.press(KEY.enter);
    await w.waitFor('AWS secret access key:');
    await w.type(SECRET);
    frame = await w.waitFor('*'.repeat(SECRET.length));
    expect(frame).not.toContain(SECRET);
    await w.press(KEY.enter);
    await w.waitFor(/WorkOS organization for every user, groups as roles \(optional\):/);
    await w.type('Acme');
    await w.press(KEY.enter);
    await w.waitFor(/Disabled users: skip or import \(optional\):/);
    await w.press(KEY.enter);

    // One live call (ListUsers) and the pool's name; the passwords that cannot move said up front.
    frame = await w.waitFor('Enter continue', 20_000);
    expect(frame).toContain(`✔ AWS Cognito user pool ${fake.pool.name} (${fake.pool.id}): about 150 users`);
    expectShows(frame, 'no password hashes can leave Cognito (resets or lazy migration)');
    expect(frame).toMatch(/AWS secret access key: •+/);
    expectKeys(frame, 'Enter continue', 'e edit', 'Esc back');
    await w.press(KEY.enter);

    await w.waitFor('Test environment');
    await w.press(KEY.enter);

    const expected = expectedCognitoState(fake.pool);
    frame = await w.waitFor('Nothing has been written to WorkOS yet', 30_000);
    expect(frame).toContain(`${expected.users.length} users to create or adopt`);
    expect(frame).toMatch(/1 organizations? to create or adopt/);
    expect(frame).toMatch(/users will need a password reset/);
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');

    // The groups are the environment's role slugs: mapped as they are.
    frame = await w.waitFor('c confirm and start the import');
    expect(frame).toMatch(/admin\s+\d+ members? → admin/);
    expect(frame).toMatch(/editor\s+\d+ members? → editor/);
    await w.press('c');

    frame = await w.waitFor(/Reports:/, 90_000);
    expect(frame).toContain('10/10  Verify');
    expectWorkOSHoldsPool(sandbox, expected, { name: 'Acme', poolId: fake.pool.id, defaultRole: 'member' });

    // Neither key was ever drawn, nor written anywhere.
    for (const secret of [KEY_ID, SECRET]) expect(w.frames().some((f) => f.includes(secret)), secret).toBe(false);
    const journalPath = w.store.getState().journalPath!;
    const files = [...filesUnder(path.dirname(journalPath)), ...filesUnder(cwd)];
    expect(files.some((f) => f.endsWith('password-resets.csv'))).toBe(true);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      expect(bytes.includes(Buffer.from(SECRET)), `${file} holds the AWS secret access key`).toBe(false);
      expect(bytes.includes(Buffer.from(KEY_ID)), `${file} holds the AWS access key id`).toBe(false);
    }
    expectFitsIn80Columns(w);
  }, 150_000);
});
