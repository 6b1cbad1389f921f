/**
 * Auth0 end to end through the real `auth0` SDK over HTTP: 1,200 users (database, Google, SAML;
 * some blocked), 30 organizations with members and roles, tenant roles, the password and MFA
 * support exports. The export is stopped during the job poll and again in the middle of the
 * download's staging, the import once in the middle; each resumed from the journal. The end state
 * in WorkOS is exact, and no page or export job was asked for twice.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import {
  expectedAuth0State,
  generateAuth0Tenant,
  startFakeAuth0,
  writeAuth0MfaExport,
  writeAuth0PasswordExport,
  type Auth0Tenant,
  type FakeAuth0,
} from '../../src/sandbox/auth0/index.js';
import { createEventBus } from '../../src/services/events.js';
import { runExport } from '../../src/services/export/exporter.js';
import { Importer } from '../../src/services/import/importer.js';
import { Journal } from '../../src/services/journal/journal.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { newAuth0Journal, providerFor, stopWhen } from './util.js';

describe('Auth0 -> journal -> WorkOS sandbox, stopped three times', () => {
  let tenant: Auth0Tenant;
  let fake: FakeAuth0;
  let sandbox: Sandbox;
  let journalFile: string;
  let passwordFile: string;
  let mfaFile: string;

  beforeAll(async () => {
    tenant = generateAuth0Tenant({ users: 1200, organizations: 30, seed: 21 });
    // A paid tenant's pace, short-lived tokens (refreshed mid-run), 2% of answers a 502/503 page,
    // and a job that takes long enough to be stopped during its poll.
    // The job takes ten minutes unless the test finishes it: the first run is stopped during its
    // poll however slow the machine.
    fake = await startFakeAuth0({ tenant, burst: 20, perSecond: 40, tokenLifeSec: 11, jobMs: 600_000, linkLifeMs: 60_000, errorRate: 0.02, seed: 3 });
    sandbox = await startSandbox({ limits: FAST_LIMITS });
    const dir = tempDir('wm-auth0-files-');
    passwordFile = path.join(dir, 'passwords.json');
    mfaFile = path.join(dir, 'mfa.json');
    writeAuth0PasswordExport(passwordFile, tenant);
    writeAuth0MfaExport(mfaFile, tenant);
  });
  afterAll(async () => {
    await fake?.close();
    await sandbox?.close();
  });

  const provider = () => providerFor(fake, { take: 20, rolesPerPage: 25, pageSize: 100, pollMs: 150, passwordExportPath: passwordFile, mfaExportPath: mfaFile });

  it('stages every record once across a stop during the job poll and one during the download', async () => {
    journalFile = newAuth0Journal();
    const bus = createEventBus();
    const progress: { done: number; unit: string }[] = [];

    // Run 1: stopped at the first poll of the export job (still processing).
    let journal = Journal.open(journalFile);
    const stop1 = new AbortController();
    const run1 = await runExport(journal, stopWhen(provider(), (b) => (b.progress && progress.push(b.progress), b.progress?.unit === '% of the export job'), stop1), bus, { signal: stop1.signal });
    expect(run1.completed).toBe(false);
    const cursor1 = JSON.parse(journal.cursor('auth0')!.cursor);
    expect(cursor1.phase).toBe('poll');
    expect(cursor1.job).toMatch(/^job_/);
    expect(journal.counts().organization.total).toBe(30);
    journal.close();
    expect(fake.stats().jobsCreated).toBe(1);
    expect(progress.some((p) => p.unit === '% of the export job' && p.done < 100)).toBe(true);
    fake.finishJobs();

    // Run 2: resumes the poll of the same job, then stopped after three batches of the download.
    journal = Journal.open(journalFile);
    const stop2 = new AbortController();
    let userBatches = 0;
    const run2 = await runExport(journal, stopWhen(provider(), (b) => (b.users?.length ? ++userBatches : 0) >= 3, stop2), bus, { signal: stop2.signal });
    expect(run2.completed).toBe(false);
    const cursor2 = JSON.parse(journal.cursor('auth0')!.cursor);
    expect(cursor2).toMatchObject({ phase: 'download', line: 300, job: cursor1.job });
    expect(journal.counts().user.total).toBe(300);
    journal.close();

    // Run 3: to the end (the job's link re-asked, the first 300 lines skipped).
    journal = Journal.open(journalFile);
    const run3 = await runExport(journal, provider(), bus);
    expect(run3.completed).toBe(true);
    expect(JSON.parse(journal.cursor('auth0')!.cursor).phase).toBe('done');

    const stats = fake.stats();
    expect(stats.jobsCreated).toBe(1);
    expect(stats.repeatedPages).toEqual([]);
    expect(stats.downloads).toBe(2);
    // Paced to the headers: the tenant never had to say 429.
    expect(stats.rateLimited).toBe(0);
    expect(stats.injected5xx).toBeGreaterThan(0);
    // Tokens of 11 s: refreshed before expiry, never sent expired.
    expect(stats.tokensExpired).toBe(0);
    expect(stats.tokenRequests).toBeGreaterThan(1);
    expect(stats.byRoute['GET /api/v2/users'] ?? 0).toBe(0);

    const expected = expectedAuth0State(tenant);
    const counts = journal.counts();
    expect(counts.user.total).toBe(1200);
    expect(counts.user.skipped).toBe(expected.blocked.length);
    expect(counts.organization.total).toBe(30);
    const allMemberships = [...tenant.members.values()].reduce((n, l) => n + l.length, 0);
    expect(counts.membership.total).toBe(allMemberships);
    const roles = journal.all<{ slug: string }>('SELECT slug FROM roles').map((r) => r.slug);
    expect(roles.sort()).toEqual(tenant.roles.map((r) => r.name).sort());

    // Blocked users: staged, skipped with the reason.
    const blocked = journal.all<{ source_id: string; last_error: string }>(`SELECT source_id, last_error FROM users WHERE state = 'skipped'`);
    expect(blocked.map((b) => b.source_id).sort()).toEqual([...expected.blocked].sort());
    expect(blocked.every((b) => /blocked in Auth0/.test(b.last_error))).toBe(true);
    expect(journal.all<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE state = 'skipped' AND error_code = 'left_out'`)[0].n).toBe(expected.blocked.length);

    // Social users: no password, providers counted; enterprise users: an SSO warning each.
    const social = journal.all<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE social LIKE '%google%'`)[0].n;
    expect(social).toBe(tenant.users.filter((u) => u.user_id.startsWith('google-oauth2|')).length);
    const issues = journal.all<{ field: string | null; source_id: string | null; message: string; location: string }>('SELECT field, source_id, message, location FROM issues');
    const samlUsers = tenant.users.filter((u) => u.user_id.startsWith('samlp|')).map((u) => u.user_id);
    expect(issues.filter((i) => i.field === 'sso' && i.source_id?.startsWith('samlp|')).map((i) => i.source_id).sort()).toEqual(samlUsers.sort());
    // Organizations with the SAML connection enabled: an Admin Portal warning each.
    const samlOrgs = [...tenant.enabledConnections].filter(([, c]) => c.includes('con_saml0000000001')).map(([id]) => id);
    expect(issues.filter((i) => i.field === 'sso' && i.source_id?.startsWith('org_')).map((i) => i.source_id).sort()).toEqual(samlOrgs.sort());
    // The password row of a user no longer in the export: reported once, not created.
    expect(issues.filter((i) => /deleted\.user@example\.com/.test(i.message))).toHaveLength(1);
    // Rows matched by email (their _id is not the user's): a warning each.
    expect(issues.filter((i) => i.field === 'passwordHash' && /same email/.test(i.message)).length).toBeGreaterThan(0);
    // SMS users listed; a too-long user_metadata key reported.
    const smsUsers = tenant.mfaRows.filter((r) => r.type === 'sms').map((r) => r.user_id as string);
    expect(issues.filter((i) => i.field === 'mfa' && /SMS/.test(i.message)).map((i) => i.source_id).sort()).toEqual(smsUsers.sort());
    expect(issues.some((i) => i.field?.startsWith('metadata.user.a_very_long'))).toBe(true);
    journal.close();
  });

  it('imports exactly the tenant into WorkOS, stopped once in the middle', async () => {
    const expected = expectedAuth0State(tenant);
    const roleMap = { admin: 'admin', member: 'member', billing: 'member' };
    const target = () => new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS });

    let journal = Journal.open(journalFile);
    const stop = new AbortController();
    const watch = setInterval(() => {
      if (sandbox.state.users.size >= 400) stop.abort();
    }, 5);
    const first = await new Importer(journal, target(), createEventBus(), { roleMap, defaultRole: 'member', signal: stop.signal }).run();
    clearInterval(watch);
    expect(first.stopped).toBe(true);
    expect(sandbox.state.users.size).toBeLessThan(expected.users.length);
    journal.close();

    journal = Journal.open(journalFile);
    const second = await new Importer(journal, target(), createEventBus(), { roleMap, defaultRole: 'member' }).run();
    expect(second.stopped).toBe(false);
    const counts = journal.counts();
    journal.close();
    expect(counts.user).toMatchObject({ done: expected.users.length, failed: 0 });
    expect(counts.membership).toMatchObject({ done: expected.memberships.length, failed: 0 });
    expect(counts.organization).toMatchObject({ done: 30, failed: 0 });

    // Users: exactly the unblocked ones, by external id, with names and metadata.
    const users = [...sandbox.state.users.values()];
    expect(users.length).toBe(expected.users.length);
    const byExternal = new Map(users.map((u) => [u.external_id, u]));
    for (const exp of expected.users) {
      const u = byExternal.get(exp.user_id)!;
      expect(u, exp.user_id).toBeDefined();
      expect(u.email).toBe(exp.email);
      expect(u.first_name ?? undefined).toBe(exp.given_name);
      expect(u.last_name ?? undefined).toBe(exp.family_name);
      if (exp.app_metadata) expect(u.metadata.plan).toBe(exp.app_metadata.plan);
      if (exp.user_metadata?.theme) expect(u.metadata['user.theme']).toBe(exp.user_metadata.theme);
    }
    // Passwords: the hash WorkOS holds is the file's (bcrypt cannot be recomputed here).
    let hashed = 0;
    for (const exp of expected.users) {
      const hash = tenant.hashes.get(exp.user_id);
      const credential = sandbox.state.credentials.get(byExternal.get(exp.user_id)!.id) as { kind?: string; password_hash?: string; password_hash_type?: string } | undefined;
      if (!hash) {
        expect(credential?.kind === 'hash' ? credential.password_hash : undefined).toBeUndefined();
        continue;
      }
      hashed++;
      expect(credential).toMatchObject({ kind: 'hash', password_hash_type: 'bcrypt', password_hash: hash });
    }
    expect(hashed).toBeGreaterThan(500);

    // Organizations: display name as the name, Auth0 name in metadata.
    const orgs = [...sandbox.state.organizations.values()];
    expect(orgs.length).toBe(30);
    const orgByExternal = new Map(orgs.map((o) => [o.external_id, o]));
    for (const o of tenant.organizations) {
      expect(orgByExternal.get(o.id)!.name).toBe(o.display_name);
      expect(orgByExternal.get(o.id)!.metadata.auth0_name).toBe(o.name);
    }
    // Memberships: one per (user, organization), admin where Auth0 says admin.
    const memberships = [...sandbox.state.memberships.values()];
    expect(memberships.length).toBe(expected.memberships.length);
    const byKey = new Map(memberships.map((m) => [`${m.user_id}/${m.organization_id}`, m]));
    for (const exp of expected.memberships) {
      const m = byKey.get(`${byExternal.get(exp.userId)!.id}/${orgByExternal.get(exp.orgId)!.id}`);
      expect(m, `${exp.userId} in ${exp.orgId}`).toBeDefined();
      const slugs = m!.roles.map((r) => r.slug);
      expect(slugs.includes('admin')).toBe(exp.roles.includes('admin'));
    }
    // TOTP secrets staged from the MFA file reach WorkOS as factors.
    const otp = tenant.mfaRows.filter((r) => r.type === 'otp' && byExternal.has(r.user_id as string));
    const factors = [...sandbox.state.authFactors.values()];
    expect(factors.length).toBe(otp.length);
    const factorByUser = new Map(factors.map((f) => [f.user_id, f]));
    for (const r of otp) expect(factorByUser.get(byExternal.get(r.user_id as string)!.id)?.totp.secret).toBe(r.otp_secret);
  });
});
