import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStytchProject, startFakeStytch, type FakeStytch, type GeneratedStytchProject } from '../../src/sandbox/stytch/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('workos-migrate run --source stytch-b2b (headless)', () => {
  let sandbox: Sandbox;
  let stytch: FakeStytch;
  let generated: GeneratedStytchProject;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
    generated = generateStytchProject({ organizations: 6, members: 150, seed: 4 });
    stytch = await startFakeStytch({ project: generated.project, secret: 'secret-test-Xq81kZ0pLm' });
  });
  afterAll(async () => {
    await sandbox.close();
    await stytch.close();
  });

  it('migrates the project with the credentials from the environment and writes the secret nowhere', async () => {
    const dir = tempDir();
    const env = {
      WORKOS_API_KEY: sandbox.apiKey,
      WORKOS_API_URL: sandbox.url,
      STYTCH_PROJECT_ID: stytch.projectId,
      STYTCH_SECRET: stytch.secret,
      STYTCH_API_URL: stytch.url,
    };
    // Active members only: what becomes of invited ones is the importer's choice (see the dry run below).
    const result = await runCli(['run', '--source', 'stytch-b2b', '--stytch-statuses', 'active', '--default-role', 'member', ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    // The Stytch roles went to their WorkOS counterparts by default.
    expect(result.stderr).toMatch(/to do by hand/);
    const { expected } = generated;
    expect(sandbox.state.users.size).toBe(expected.users.length);
    expect(sandbox.state.memberships.size).toBe(expected.memberships.length);
    const admins = [...sandbox.state.memberships.values()].filter((m) => m.role.slug === 'admin').length;
    expect(admins).toBe(expected.memberships.filter((m) => m.admin).length);
    expect(admins).toBeGreaterThan(0);
    for (const file of filesUnder(path.join(dir, '.workos-migrate'))) {
      expect(fs.readFileSync(file).includes(Buffer.from(stytch.secret)), `${file} holds the Stytch secret`).toBe(false);
    }
    const summary = filesUnder(path.join(dir, '.workos-migrate')).find((f) => f.endsWith('summary.md'))!;
    expect(fs.readFileSync(summary, 'utf8')).toMatch(/## What to do by hand/);
  });

  it('lists invited and pending members by default, with their status and member id, in a dry run', async () => {
    const dir = tempDir();
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, STYTCH_PROJECT_ID: stytch.projectId, STYTCH_SECRET: stytch.secret, STYTCH_API_URL: stytch.url };
    const usersBefore = sandbox.state.users.size;
    const result = await runCli(['run', '--source', 'stytch-b2b', '--dry-run', '--default-role', 'member', ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(sandbox.state.users.size).toBe(usersBefore);
    const file = filesUnder(path.join(dir, '.workos-migrate')).find((f) => f.endsWith('.db'))!;
    const journal = Journal.open(file);
    const rows = journal.all<{ status: string | null; source_ref: string | null }>('SELECT status, source_ref FROM memberships');
    journal.close();
    const statusOf = new Map(generated.project.members.map((m) => [m.member_id, m.status]));
    const all = generated.expectedFor(['active', 'invited', 'pending']);
    expect(rows.length).toBe(all.memberships.length);
    expect(rows.filter((r) => r.status !== null).length).toBe(all.memberships.length - generated.expected.memberships.length);
    expect(rows.filter((r) => r.status !== null).length).toBeGreaterThan(0);
    for (const r of rows) expect(r.status ?? 'active').toBe(statusOf.get(r.source_ref!));
  });

  it('skips invited members by default (exit 0, listed), and a resume with --invited-members active imports them', async () => {
    const own = await startSandbox({ limits: FAST_LIMITS });
    try {
      const dir = tempDir();
      const env = { WORKOS_API_KEY: own.apiKey, WORKOS_API_URL: own.url, STYTCH_PROJECT_ID: stytch.projectId, STYTCH_SECRET: stytch.secret, STYTCH_API_URL: stytch.url };
      const journalPath = path.join(dir, 'j.db');
      const first = await runCli(['run', '--source', 'stytch-b2b', '--journal', journalPath, '--default-role', 'member', ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
      // Left out by the operator's (default) choice: reported, not a failure.
      expect(first.code, first.stderr).toBe(0);
      const invitedCsv = filesUnder(dir).find((f) => f.endsWith('invited-members.csv'))!;
      let journal = Journal.open(journalPath);
      const invited = journal.all<{ state: string }>(`SELECT state FROM memberships WHERE status IS NOT NULL`);
      journal.close();
      expect(invited.length).toBeGreaterThan(0);
      expect(invited.every((m) => m.state === 'skipped')).toBe(true);
      expect(fs.readFileSync(invitedCsv, 'utf8').trim().split('\n').length).toBe(invited.length + 1);
      const before = own.state.memberships.size;

      const again = await runCli(['resume', '--journal', journalPath, '--invited-members', 'active', ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
      expect(again.code, again.stderr).toBe(0);
      journal = Journal.open(journalPath);
      const after = journal.all<{ state: string; imported_as: string | null }>(`SELECT state, imported_as FROM memberships WHERE status IS NOT NULL`);
      journal.close();
      expect(after.every((m) => m.state === 'done' && m.imported_as === 'membership')).toBe(true);
      expect(own.state.memberships.size).toBe(before + invited.length);
    } finally {
      await own.close();
    }
  });

  it('says what is missing when the secret is not set, before writing anything', async () => {
    const dir = tempDir();
    const result = await runCli(['run', '--source', 'stytch-b2b'], {
      cwd: dir,
      env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, STYTCH_PROJECT_ID: stytch.projectId, STYTCH_API_URL: stytch.url },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/✖ STYTCH_SECRET is not set/);
    expect(fs.existsSync(path.join(dir, '.workos-migrate'))).toBe(false);
  });

  it("gives Stytch's own reason for a wrong secret", async () => {
    const dir = tempDir();
    const result = await runCli(['run', '--source', 'stytch-b2b'], {
      cwd: dir,
      env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, STYTCH_PROJECT_ID: stytch.projectId, STYTCH_SECRET: 'wrong', STYTCH_API_URL: stytch.url },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unauthorized_credentials/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
