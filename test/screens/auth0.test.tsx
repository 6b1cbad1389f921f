/**
 * The Auth0 path through the wizard, in process: the real `auth0` SDK against the fake tenant,
 * the domain and client id from the environment, the client secret typed into a masked field,
 * the password export given; migrated into the WorkOS sandbox. The secret is in no frame and no file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectedAuth0State, generateAuth0Tenant, startFakeAuth0, writeAuth0PasswordExport, type FakeAuth0 } from '../../src/sandbox/auth0/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { chooseSource, expectFitsIn80Columns, expectKeys, KEY, renderWizard, type Wizard } from './harness.js';

const SECRET = 'auth0-Wiz-Secret-9xQk27';

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('the wizard with an Auth0 source', () => {
  let fake: FakeAuth0;
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  beforeAll(async () => {
    fake = await startFakeAuth0({
      tenant: generateAuth0Tenant({ users: 120, organizations: 4, extraRoles: 0, seed: 31 }),
      clientSecret: SECRET,
      burst: 20,
      perSecond: 40,
      jobMs: 500,
    });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ['admin', 'member', 'billing'], multipleRoles: true });
  });
  afterAll(async () => {
    await fake?.close();
    await sandbox?.close();
  });
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it('takes the client secret masked, checks it live, and migrates the tenant into WorkOS', async () => {
    const cwd = tempDir('wm-screens-auth0-');
    writeAuth0PasswordExport(path.join(cwd, 'auth0-passwords.json'), fake.tenant);
    const env: NodeJS.ProcessEnv = {
      WORKOS_API_KEY: sandbox.apiKey,
      WORKOS_API_URL: sandbox.url,
      AUTH0_DOMAIN: fake.domain,
      AUTH0_CLIENT_ID: fake.clientId,
      AUTH0_API_URL: fake.url,
    };
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS, sourceOptions: { pollMs: 100 } }));

    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    await chooseSource(w, 'Auth0');

    // Domain and client id come from the environment, and say so.
    let frame = await w.waitFor('Auth0 domain (acme.us.auth0.com):');
    expect(frame).toContain('3/10  Source authentication');
    expect(frame).toContain('(from AUTH0_DOMAIN)');
    await w.press(KEY.enter);
    frame = await w.waitFor('(from AUTH0_CLIENT_ID)');
    await w.press(KEY.enter);

    // The secret is typed into a masked field.
    await w.waitFor('Auth0 client secret:');
    await w.type(SECRET);
    frame = await w.waitFor('*'.repeat(SECRET.length));
    expect(frame).not.toContain(SECRET);
    await w.press(KEY.enter);
    await w.waitFor(/Password export from Auth0 support \(optional\):/);
    await w.type('auth0-passwords.json');
    await w.press(KEY.enter);
    await w.waitFor(/MFA export from Auth0 support \(optional\):/);
    await w.press(KEY.enter);

    // One live call (the tenant's roles), the password file read.
    frame = await w.waitFor('Enter continue', 20_000);
    expect(frame).toContain(`✔ Auth0 tenant ${fake.domain}: 3 roles`);
    expect(frame).toContain('Auth0 client secret: ••••••••••••');
    expectKeys(frame, 'Enter continue', 'e edit', 'Esc back');
    await w.press(KEY.enter);

    await w.waitFor('Test environment');
    await w.press(KEY.enter);

    const expected = expectedAuth0State(fake.tenant);
    frame = await w.waitFor('Nothing has been written to WorkOS yet', 30_000);
    expect(frame).toContain(`${expected.users.length} users to create or adopt`);
    expect(frame).toContain(`${expected.organizations.length} organizations to create or adopt`);
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');

    // Auth0's role names are the environment's slugs: mapped as they are.
    frame = await w.waitFor('c confirm and start the import');
    expect(frame).toMatch(/admin\s+\d+ members? → admin\n/);
    await w.press('c');

    frame = await w.waitFor(/Reports:/, 60_000);
    expect(frame).toContain('10/10  Verify');
    expect(sandbox.state.users.size).toBe(expected.users.length);
    expect(sandbox.state.organizations.size).toBe(expected.organizations.length);
    expect(sandbox.state.memberships.size).toBe(expected.memberships.length);
    const hashed = [...sandbox.state.credentials.values()].filter((c) => (c as { kind?: string }).kind === 'hash').length;
    expect(hashed).toBeGreaterThan(0);
    expect(fake.stats().rateLimited).toBe(0);

    // The secret was never drawn, nor written anywhere.
    expect(w.frames().some((f) => f.includes(SECRET))).toBe(false);
    const journalPath = w.store.getState().journalPath!;
    for (const file of filesUnder(path.dirname(journalPath))) {
      expect(fs.readFileSync(file).includes(Buffer.from(SECRET)), `${file} holds the Auth0 client secret`).toBe(false);
    }
    expectFitsIn80Columns(w);
  }, 120_000);
});
