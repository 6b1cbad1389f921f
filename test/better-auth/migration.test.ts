/**
 * A Better Auth database made by Better Auth itself (40 signed-up users incl. non-ASCII
 * passwords, 5 organizations, multi-role members, a user in three organizations, a team of three,
 * pending invitations, two users with verified TOTP, social-only users, 2,000 bulk users),
 * migrated headless into the WorkOS sandbox from SQLite, PostgreSQL and MariaDB: the exact state,
 * every imported hash recomputed from the PHC string WorkOS received.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBetterAuthProvider, secretsFromEnv } from '../../src/providers/better-auth/index.js';
import type { ExportBatch } from '../../src/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';
import { APP_SECRET, buildFixture, serverUp, type Fixture, type FixtureDialect } from './fixture.js';
import { expectTotpFactors, expectWorkOSHolds, filesUnder, ROLES } from './util.js';

const DIALECTS: FixtureDialect[] = ['sqlite', 'postgres', 'mysql'];
const up: Record<string, boolean> = {};
for (const d of DIALECTS) up[d] = await serverUp(d);

/** A password in the URL (PostgreSQL trusts this host, so any password connects): it must land in no file. */
const withPassword = (url: string) => url.replace('postgres://postgres@', 'postgres://postgres:wm-Pg-S3cret-pw@');

describe.each(DIALECTS)('Better Auth (%s) -> WorkOS sandbox, headless', (dialect) => {
  // Where the server is missing (a laptop), skipped; CI has both servers.
  const skip = !up[dialect] && !process.env.CI;
  let fixture: Fixture;
  let sandbox: Sandbox;
  let dir: string;
  let url: string;
  beforeAll(async () => {
    if (skip) return;
    dir = tempDir('wm-ba-');
    fixture = await buildFixture({ dialect, dir, bulk: 2_000 });
    url = dialect === 'postgres' ? withPassword(fixture.url) : fixture.url;
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
  }, 180_000);
  afterAll(async () => {
    await sandbox?.close();
    await fixture?.close();
  });

  it.skipIf(skip)('stages what Better Auth holds: users with accounts, members with roles split, invitations, decrypted TOTP', async () => {
    const provider = createBetterAuthProvider({ databaseUrl: url, secrets: secretsFromEnv({ BETTER_AUTH_SECRET: APP_SECRET }), pageSize: 500 });
    const check = await provider.check();
    expect(check.summary).toMatch(/read-only/);
    expect(check.summary).toMatch(/nothing is ever written/);
    expect(check.summary).not.toMatch(/wm-Pg-S3cret-pw/);
    const batches: ExportBatch[] = [];
    for await (const b of provider.export({})) batches.push(b);
    const users = batches.flatMap((b) => b.users ?? []);
    const memberships = batches.flatMap((b) => b.memberships ?? []);
    const issues = batches.flatMap((b) => b.issues ?? []);
    const { expected } = fixture;
    expect(users.length).toBe(expected.users.length);
    // Every user's records came in the batch of the user.
    for (const b of batches) {
      const ids = new Set((b.users ?? []).map((u) => u.sourceId));
      for (const m of b.memberships ?? []) if (m.status !== 'invited') expect(ids.has(m.userSourceId)).toBe(true);
    }
    const byId = new Map(users.map((u) => [u.sourceId, u]));
    for (const exp of expected.users) {
      const u = byId.get(exp.id)!;
      expect(u.socialProviders ?? []).toEqual(exp.social);
      expect(u.totpSecret).toBe(exp.totp);
      expect(u.mfa).toBeUndefined();
    }
    expect(expected.users.filter((u) => u.totp).length).toBe(2);
    // Pending invitations: of existing users, invited members; of emails with no user, invitations
    // alone (no user goes with them).
    const invited = memberships.filter((m) => m.status === 'invited');
    expect(invited.map((m) => [m.userSourceId, m.orgSourceId, m.roles, m.inviteEmail]).sort()).toEqual(
      [
        ...expected.invitedMembers.map((m) => [m.userId, m.orgId, m.roles, undefined]),
        ...expected.invitedEmails.map((e) => [`invitation:${e.email}`, e.orgId, [e.role], e.email]),
      ].sort(),
    );
    // Teams left out by default, and said so; the NFKC caveat said once.
    expect(issues.filter((i) => i.field === 'teams')).toHaveLength(1);
    expect(issues.filter((i) => i.message.includes('NFKC'))).toHaveLength(1);
    // Carried TOTP secrets come with the one caveat: codes other than Better Auth's defaults.
    expect(issues.filter((i) => i.field === 'totp')).toHaveLength(1);
    // Without the app's secret: the two TOTP users are marked for re-enrolment.
    const without = createBetterAuthProvider({ databaseUrl: url, pageSize: 500 });
    const again: ExportBatch[] = [];
    for await (const b of without.export({})) again.push(b);
    const marked = again.flatMap((b) => b.users ?? []).filter((u) => u.mfa?.totp);
    expect(marked.map((u) => u.sourceId).sort()).toEqual(expected.users.filter((u) => u.totp).map((u) => u.id).sort());
    expect(marked.every((u) => !u.totpSecret)).toBe(true);
    expect(again.flatMap((b) => b.issues ?? []).filter((i) => i.field === 'mfa')).toHaveLength(2);
    expect(again.flatMap((b) => b.issues ?? []).filter((i) => i.field === 'totp')).toHaveLength(0);
  });

  it.skipIf(skip)('migrates it with workos-migrate run: exact state, every hash signs in, the URL written nowhere', async () => {
    const journal = path.join(dir, 'run.db');
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, BETTER_AUTH_SECRET: APP_SECRET };
    const result = await runCli(['run', '--source', 'better-auth', '--database-url', url, '--journal', journal, ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/read-only/);
    expectWorkOSHolds(sandbox, fixture.expected);
    // The two TOTP secrets, decrypted with BETTER_AUTH_SECRET, are WorkOS TOTP factors now.
    expectTotpFactors(sandbox, fixture.expected);

    const j = Journal.open(journal);
    const invited = j.all<{ user_source_id: string; state: string; status: string; error_code: string }>(`SELECT user_source_id, state, status, error_code FROM memberships WHERE status IS NOT NULL`);
    const settings = j.settings;
    j.close();
    // Pending invitations are invited members (of new emails too): listed, skipped by default.
    expect(invited.map((m) => m.user_source_id).sort()).toEqual(
      [...fixture.expected.invitedMembers.map((m) => m.userId), ...fixture.expected.invitedEmails.map((e) => `invitation:${e.email}`)].sort(),
    );
    expect(invited.every((m) => m.state === 'skipped' && m.status === 'invited' && m.error_code === 'invited')).toBe(true);
    const listed = fs.readFileSync(filesUnder(dir).find((f) => f.endsWith('invited-members.csv'))!, 'utf8');
    for (const e of fixture.expected.invitedEmails) expect(listed).toMatch(new RegExp(`^${e.email},,${e.orgId},`, 'm'));
    expect(settings.source.options.secretEnv).toBe('DATABASE_URL');
    const secrets = [url, 'wm-Pg-S3cret-pw', APP_SECRET].filter((s) => dialect === 'postgres' || s !== 'wm-Pg-S3cret-pw');
    for (const file of filesUnder(dir).filter((f) => f.includes('run.db'))) {
      const content = fs.readFileSync(file);
      for (const s of secrets) expect(content.includes(Buffer.from(s)), `${file} holds ${s.slice(0, 12)}...`).toBe(false);
    }
    // Nor the TOTP secrets, once enrolled: not in the journal, not in a report.
    const totps = fixture.expected.users.flatMap((u) => (u.totp ? [u.totp] : []));
    for (const file of filesUnder(dir).filter((f) => f.includes('run.db'))) {
      for (const t of totps) expect(fs.readFileSync(file).includes(Buffer.from(t)), `${file} holds a TOTP secret`).toBe(false);
    }
    const summary = filesUnder(dir).find((f) => f.endsWith('summary.md'))!;
    expect(fs.readFileSync(summary, 'utf8')).toMatch(/NFKC/);
  }, 180_000);

  it.skipIf(skip || dialect !== 'sqlite')('resume takes --database-url again (the journal only names DATABASE_URL), and says what is missing without it', async () => {
    const own = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
    try {
      const journal = path.join(dir, 'dry.db');
      const env = { WORKOS_API_KEY: own.apiKey, WORKOS_API_URL: own.url };
      const dry = await runCli(['run', '--source', 'better-auth', '--database-url', url, '--journal', journal, '--dry-run', ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
      expect(dry.code, dry.stderr).toBe(0);
      expect(own.state.users.size).toBe(0);
      // Staged already: the import needs no source. A journal made to export again does.
      const j = Journal.open(journal);
      j.setPhase('exporting');
      j.close();
      const missing = await runCli(['resume', '--journal', journal, ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/DATABASE_URL is not set/);
      const again = await runCli(['resume', '--journal', journal, '--database-url', url, ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
      expect(again.code, again.stderr).toBe(0);
      expectWorkOSHolds(own, { ...fixture.expected });
    } finally {
      await own.close();
    }
  }, 180_000);
});
