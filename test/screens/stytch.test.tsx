/**
 * The Stytch B2B path through the wizard, in process: the real SDK against the fake Stytch API
 * (its rate window scaled down), the WorkOS sandbox as the target.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { generateStytchProject, startFakeStytch, type FakeStytch, type GeneratedStytchProject } from '../../src/sandbox/stytch/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { expectWorkOSHoldsProject } from '../stytch/util.js';
import { expectFitsIn80Columns, expectKeys, expectShows, KEY, renderWizard, type Wizard } from './harness.js';

const SECRET = 'secret-test-Zq81xKw7Hd';
const WINDOW_MS = 1_000;

/** A new migration from Welcome to Stytch B2B's credentials (the first source listed). */
async function toStytchCredentials(w: Wizard): Promise<string> {
  await w.waitFor('Start a new migration');
  await w.press(KEY.enter);
  await w.waitFor('Where are your users now?');
  await w.press(KEY.enter);
  return w.waitFor('Stytch project id:');
}

describe('the wizard with a Stytch B2B source', () => {
  let generated: GeneratedStytchProject;
  let fake: FakeStytch;
  let sandbox: Sandbox;
  let wizard: Wizard | undefined;
  beforeAll(async () => {
    generated = generateStytchProject({ organizations: 4, members: 40, sharedEmailRate: 0.2, adminRate: 0.3, seed: 21 });
    fake = await startFakeStytch({ project: generated.project, secret: SECRET, windowMs: WINDOW_MS });
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(async () => {
    await fake?.close();
    await sandbox?.close();
  });
  afterEach(() => {
    wizard?.unmount();
    wizard = undefined;
  });

  it('takes the credentials (project id from the environment, secret masked) and migrates the project into WorkOS', async () => {
    const { expected } = generated;
    const cwd = tempDir('wm-screens-stytch-');
    const env: NodeJS.ProcessEnv = {
      WORKOS_API_KEY: sandbox.apiKey,
      WORKOS_API_URL: sandbox.url,
      STYTCH_PROJECT_ID: fake.projectId,
      STYTCH_API_URL: fake.url,
    };
    // Active members only: the WorkOS state below is the active members' (invited ones are
    // skipped by default; the engine tests cover them).
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS, sourceOptions: { windowMs: WINDOW_MS, memberStatuses: ['active'] } }));

    await w.waitFor('Start a new migration');
    await w.press(KEY.enter);
    await w.waitFor('Where are your users now?');
    expect(w.frame()).toMatch(/❯ ?Stytch B2B: organizations, members, roles/);
    await w.press(KEY.enter);

    // The project id is pre-filled from STYTCH_PROJECT_ID, and says so.
    let frame = await w.waitFor('Stytch project id:');
    expect(frame).toContain('3/10  Source authentication');
    expect(frame).toContain(`Stytch project id: ${fake.projectId}`);
    expect(frame).toContain('(from STYTCH_PROJECT_ID)');
    expectKeys(frame, 'Enter next', 'Esc back');
    await w.press(KEY.enter);

    // The secret is typed into a masked field.
    await w.waitFor('Stytch secret:');
    await w.type(SECRET);
    frame = await w.waitFor('*'.repeat(SECRET.length));
    expect(frame).not.toContain(SECRET);
    await w.press(KEY.enter);
    // The optional password export: left empty.
    await w.waitFor(/Password export from Stytch support \(optional\):/);
    await w.press(KEY.enter);

    // Checked with one live call; the review shows where each value came from.
    frame = await w.waitFor('Enter continue');
    expectShows(frame, `✔ Stytch B2B project ${fake.projectId}: 4 organizations; exporting active members`);
    expect(frame).toMatch(/Stytch project id: \S+\s+\(from STYTCH_PROJECT_ID\)/);
    expect(frame).toContain('Stytch secret: ••••••••••••');
    expectKeys(frame, 'Enter continue', 'e edit', 'Esc back');
    await w.press(KEY.enter);

    await w.waitFor('Test environment');
    await w.press(KEY.enter);

    // Export (paced through the fake's scaled window), then the plan.
    frame = await w.waitFor('Nothing has been written to WorkOS yet', 20_000);
    expect(frame).toContain(`${expected.users.length} users to create or adopt`);
    expect(frame).toContain(`${expected.organizations.length} organizations to create or adopt`);
    expect(frame).toMatch(new RegExp(`${expected.memberships.length} memberships`));
    await w.press('c');
    await w.waitFor('How will new signups be handled');
    await w.press(KEY.enter);
    await w.waitFor('Are signups off now?');
    await w.press('y');

    // Roles: Stytch's conventional roles map to their WorkOS counterparts by default.
    frame = await w.waitFor('c confirm and start the import');
    expect(frame).toMatch(/stytch_admin\s+\d+ members → admin\n/);
    expect(frame).toMatch(/stytch_member\s+\d+ members → member\n/);
    expect(w.store.getState().roles.mapping).toMatchObject({ stytch_admin: 'admin', stytch_member: 'member' });
    await w.press('c');

    frame = await w.waitFor(/Reports:/, 30_000);
    expect(frame).toContain('10/10  Verify');
    expectShows(frame, `✔ Imported users exist with the right email, names, verification, external id and metadata: ${expected.users.length} of ${expected.users.length} checked match`);
    expectShows(frame, `✔ Memberships exist with the mapped role, active: ${expected.memberships.length} of ${expected.memberships.length} checked match`);
    expect(frame).not.toContain('✖');

    // WorkOS holds the project: one user per email, organizations by id, memberships with the mapped role.
    expectWorkOSHoldsProject(sandbox, expected);
    expect(expected.memberships.some((m) => m.admin)).toBe(true);

    // Paced under the fake's limit: never a 429, never a page twice.
    expect(fake.stats().rateLimited).toBe(0);
    expect(fake.stats().repeatedPages).toEqual([]);

    // The secret was never drawn (not in any frame) nor written to the journal.
    expect(w.frames().some((f) => f.includes(SECRET))).toBe(false);
    const journalPath = w.store.getState().journalPath!;
    expect(fs.readFileSync(journalPath).includes(SECRET)).toBe(false);
    expectFitsIn80Columns(w);
  });

  it('Ctrl-C during the export stops it; r resumes from the saved page, none asked twice', async () => {
    // A slow Stytch (0.3 s a request), so that the export is still running when Ctrl-C comes.
    const slow = await startFakeStytch({ project: generated.project, secret: SECRET, windowMs: WINDOW_MS, latencyMs: 300 });
    try {
      const cwd = tempDir('wm-screens-stytch-');
      const env: NodeJS.ProcessEnv = {
        WORKOS_API_KEY: sandbox.apiKey,
        WORKOS_API_URL: sandbox.url,
        STYTCH_PROJECT_ID: slow.projectId,
        STYTCH_SECRET: SECRET,
        STYTCH_API_URL: slow.url,
      };
      const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS, sourceOptions: { windowMs: WINDOW_MS } }));
      await toStytchCredentials(w);
      await w.press(KEY.enter, KEY.enter, KEY.enter);
      await w.waitFor('Enter continue', 10_000);
      await w.press(KEY.enter);
      await w.waitFor('Test environment');
      slow.resetStats();
      await w.press(KEY.enter);
      let frame = await w.waitFor('5/10  Export');
      expectKeys(frame, 'Ctrl-C stop (resumes from the last page)');
      await w.press(KEY.ctrlC);
      frame = await w.waitFor('Stopped. The export resumes from its last page.');
      expectKeys(frame, 'r retry', 'Ctrl-C quit');
      expect(w.store.getState().exit).toBeUndefined();
      expect(w.store.getState().step).toBe('export');

      await w.press('r');
      frame = await w.waitFor('Nothing has been written to WorkOS yet', 20_000);
      // By default invited and pending members are read too (listed, then skipped at import).
      expect(frame).toContain(`${generated.expectedFor(['active', 'invited', 'pending']).users.length} users to create or adopt`);
      expect(slow.stats().repeatedPages).toEqual([]);
      // Invited members are named, with what will happen to them, and i changes it.
      expectShows(frame, 'members only invited in the source: listed, not imported (i to change)');
      await w.press('i');
      await w.waitFor('imported as active members');
      await w.press('i');
      await w.waitFor('sent a WorkOS invitation');
      expectFitsIn80Columns(w);
    } finally {
      wizard?.unmount();
      wizard = undefined;
      await slow.close();
    }
  });

  it('says why the credentials are refused, and lets them be edited', async () => {
    const cwd = tempDir('wm-screens-stytch-');
    const env: NodeJS.ProcessEnv = { STYTCH_PROJECT_ID: fake.projectId, STYTCH_API_URL: fake.url, STYTCH_SECRET: 'secret-test-wrong-one' };
    const w = (wizard = renderWizard({ cwd, env, limits: FAST_LIMITS, sourceOptions: { windowMs: WINDOW_MS } }));
    await toStytchCredentials(w);
    await w.press(KEY.enter);
    // The secret from the environment: masked, named, kept with Enter.
    let frame = await w.waitFor('Stytch secret:');
    expect(frame).toContain('(from STYTCH_SECRET; Enter keeps it)');
    await w.press(KEY.enter, KEY.enter);
    frame = await w.waitFor(/✖ Stytch refused the credentials/);
    expect(frame).toContain('Stytch secret: •••••••••••• (from STYTCH_SECRET)');
    expectKeys(frame, 'r check again', 'e edit', 'Esc back');
    expect(frame).not.toContain('Enter continue');
    // Enter does not go on with refused credentials.
    await w.press(KEY.enter);
    expect(w.store.getState().step).toBe('source-auth');

    // e edits: the right secret is typed over the one from the environment.
    await w.press('e');
    await w.waitFor('type the value');
    await w.press(KEY.enter);
    await w.waitFor('Stytch secret:');
    await w.type(SECRET);
    await w.press(KEY.enter, KEY.enter);
    frame = await w.waitFor('Enter continue');
    expect(frame).toContain('✔ Stytch B2B project');
    expect(frame).toMatch(/Stytch secret: •+\n/);
    expect(w.frames().some((f) => f.includes(SECRET) || f.includes('secret-test-wrong-one'))).toBe(false);
    expectFitsIn80Columns(w);
  });
});
