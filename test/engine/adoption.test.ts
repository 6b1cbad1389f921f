import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { writeReports } from '../../src/services/report/report.js';
import { generateDataset, knownPassword, pbkdf2Hash, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectSandboxHolds, FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { WorkOSCallError, WorkOSTarget } from '../../src/services/workos/target.js';
import { importInto, stagedJournal, targetOptions } from './util.js';

describe('adoption of what already exists in WorkOS', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('gives existing users (found by external id and by email) the source password hash, their external id and every membership', async () => {
    const dir = tempDir();
    const dataset = generateDataset({ users: 120, organizations: 10, memberships: 200, seed: 21 });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file, { knownPasswords: true });

    // Already in WorkOS before the run, each with a password of its own: an organization (same
    // external id), users found by external id, users found by email only (other case, no
    // external id), one user whose external id is another system's, and memberships (one with
    // another role than the source's).
    const org = dataset.organizations[0];
    const seededOrg = sandbox.seedOrganization({ name: org.name, external_id: org.sourceId });
    const old = { password_hash: pbkdf2Hash('old-password'), password_hash_type: 'pbkdf2' };
    const byExternalId = dataset.users.slice(0, 10).map((u) => sandbox.seedUser({ email: u.email, external_id: u.sourceId, first_name: u.firstName, last_name: u.lastName, ...old }));
    const byEmail = dataset.users.slice(10, 20).map((u) => sandbox.seedUser({ email: u.email.toUpperCase(), first_name: u.firstName, last_name: u.lastName, ...old }));
    const legacy = dataset.users[20];
    sandbox.seedUser({ email: legacy.email, external_id: 'legacy-7', first_name: legacy.firstName, last_name: legacy.lastName, ...old });
    const seededMemberships = dataset.memberships.filter((m) => m.orgSourceId === org.sourceId && dataset.users.slice(0, 20).some((u) => u.sourceId === m.userSourceId));
    expect(seededMemberships.length).toBeGreaterThan(0);
    const seededUserId = (sourceId: string) => [...byExternalId, ...byEmail][dataset.users.findIndex((u) => u.sourceId === sourceId)].id;
    const wrongRole = seededMemberships[0];
    for (const m of seededMemberships) {
      sandbox.seedMembership({
        user_id: seededUserId(m.userSourceId),
        organization_id: seededOrg.id,
        role_slug: m === wrongRole ? (m.role === 'admin' ? 'member' : 'admin') : m.role,
      });
    }
    const adoptedUsersWithMemberships = dataset.memberships.filter((m) => dataset.users.slice(0, 21).some((u) => u.sourceId === m.userSourceId));
    expect(adoptedUsersWithMemberships.length).toBeGreaterThan(seededMemberships.length);

    const journalPath = path.join(dir, 'adopt.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/users: 99 created, 21 adopted/);

    // Every user, adopted or created, signs in with the source's password; the old one is gone.
    for (const u of dataset.users) expect(sandbox.checkPassword(u.email, knownPassword(u.sourceId)), u.email).toBe(true);
    for (const u of dataset.users.slice(0, 21)) expect(sandbox.checkPassword(u.email, 'old-password')).toBe(false);
    // Adopted by email: the source id became the external id; another system's id was left alone.
    expectSandboxHolds(sandbox, dataset, { adoptedByEmail: new Set([legacy.sourceId]) });
    expect([...sandbox.state.users.values()].find((u) => u.email === legacy.email)!.external_id).toBe('legacy-7');

    const journal = Journal.open(journalPath);
    const counts = journal.counts();
    const note = journal.get<{ last_error: string }>(
      `SELECT last_error FROM memberships WHERE user_source_id = ? AND org_source_id = ?`,
      wrongRole.userSourceId,
      wrongRole.orgSourceId,
    );
    const states = journal.all<{ password_state: string | null; n: number }>(`SELECT password_state, COUNT(*) AS n FROM users GROUP BY password_state`);
    const hashes = journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE password_hash IS NOT NULL`)!.n;
    const issue = journal.get<{ severity: string; field: string; message: string }>(`SELECT severity, field, message FROM issues WHERE source_id = ?`, legacy.sourceId);
    journal.close();
    expect(counts.user.adopted).toBe(21);
    expect(counts.organization.adopted).toBe(1);
    expect(counts.membership).toMatchObject({ total: dataset.memberships.length, done: dataset.memberships.length, adopted: seededMemberships.length });
    expect(note?.last_error).toMatch(/role changed from/);
    expect(states).toEqual([{ password_state: 'set', n: 120 }]);
    expect(hashes).toBe(0);
    expect(issue).toMatchObject({ severity: 'warning', field: 'externalId' });
    expect(issue!.message).toMatch(/has the external id legacy-7, not the source id/);
    expect(fs.existsSync(path.join(dir, 'adopt.reports', 'summary.md'))).toBe(true);
  });

  it('adopted passwords "keep" leaves the password WorkOS has, and every user gets its password state', async () => {
    const seeded = sandbox.seedUser({ email: 'keeper@example.com', password_hash: pbkdf2Hash('kept-password'), password_hash_type: 'pbkdf2' });
    const journal = stagedJournal({
      users: [
        { sourceId: 'k1', email: 'Keeper@example.com', passwordHash: pbkdf2Hash('source-password'), passwordHashType: 'pbkdf2' },
        { sourceId: 'k2', email: 'fresh-keep@example.com', passwordHash: pbkdf2Hash('fresh-password'), passwordHashType: 'pbkdf2' },
        { sourceId: 'k3', email: 'nopass-keep@example.com' },
        { sourceId: 'k4', email: 'md5-keep@example.com', passwordHash: '5f4dcc3b5aa765d61d8327deb882cf99', passwordHashType: 'md5' },
      ],
    });
    await importInto(sandbox, journal, { adoptedPasswords: 'keep' });
    const rows = journal.all<{ source_id: string; state: string; outcome: string; password_state: string; last_error: string | null }>(
      `SELECT source_id, state, outcome, password_state, last_error FROM users ORDER BY source_id`,
    );
    journal.close();
    expect(rows.map((r) => [r.source_id, r.state, r.outcome, r.password_state])).toEqual([
      ['k1', 'done', 'adopted', 'kept'],
      ['k2', 'done', 'created', 'set'],
      ['k3', 'done', 'created', 'none'],
      ['k4', 'done', 'created', 'unsupported'],
    ]);
    expect(rows[0].last_error).toMatch(/kept the password WorkOS had/);
    expect(sandbox.checkPassword('keeper@example.com', 'kept-password')).toBe(true);
    expect(sandbox.checkPassword('keeper@example.com', 'source-password')).toBe(false);
    expect(sandbox.checkPassword('fresh-keep@example.com', 'fresh-password')).toBe(true);
    // Keeping the password is about the password only: the source id still becomes its external id.
    expect(sandbox.state.users.get(seeded.id)!.external_id).toBe('k1');
  });

  it('an adopted user whose source hash WorkOS refuses is still adopted, keeps its password, and says so', async () => {
    const seeded = sandbox.seedUser({ email: 'refused@example.com', password_hash: pbkdf2Hash('old-one'), password_hash_type: 'pbkdf2' });
    // n is not a power of two: well-formed enough to stage, refused by WorkOS.
    const bad = '$scrypt$v=1$n=1000,r=8,p=1,kl=32$c2FsdHNhbHQ$' + 'A'.repeat(43);
    const journal = stagedJournal({
      users: [{ sourceId: 'r1', email: 'refused@example.com', passwordHash: bad, passwordHashType: 'scrypt' }],
      organizations: [{ sourceId: 'r-org', name: 'Refused Hash Org', domains: [] }],
      memberships: [{ userSourceId: 'r1', orgSourceId: 'r-org', roles: ['member'] }],
    });
    await importInto(sandbox, journal);
    const user = journal.get<{ state: string; outcome: string; password_state: string; last_error: string }>(`SELECT state, outcome, password_state, last_error FROM users`)!;
    const membership = journal.get<{ state: string }>(`SELECT state FROM memberships`)!;
    journal.close();
    expect(user).toMatchObject({ state: 'done', outcome: 'adopted', password_state: 'rejected' });
    expect(user.last_error).toMatch(/WorkOS refused the source's scrypt hash .*keeps the password WorkOS had/);
    expect(user.last_error).not.toContain(bad);
    expect(membership.state).toBe('done');
    expect(sandbox.checkPassword('refused@example.com', 'old-one')).toBe(true);
    expect(sandbox.state.users.get(seeded.id)!.external_id).toBe('r1');
  });

  it('an adopted user gets the names, metadata keys and email verification WorkOS lacks, never a value WorkOS has; what differs is named once, without values', async () => {
    // 48 keys already: room for two more of the source's.
    const had = { ...Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`k${i}`, 'v'])), plan: 'gold' };
    const profile = sandbox.seedUser({ email: 'profile@example.com', last_name: 'Workos-Last', metadata: had });
    const verified = sandbox.seedUser({ email: 'verified@example.com', first_name: 'Vera', email_verified: true });
    const journal = stagedJournal({
      users: [
        {
          sourceId: 'p1',
          email: 'profile@example.com',
          firstName: 'Source-First',
          lastName: 'Source-Last',
          emailVerified: true,
          metadata: { plan: 'silver', team: 'blue', region: 'eu', tier: 'three' },
        },
        { sourceId: 'p2', email: 'verified@example.com', firstName: 'Vera', emailVerified: false },
      ],
    });
    sandbox.resetStats();
    await importInto(sandbox, journal);
    const rows = journal.all<{ source_id: string; state: string; outcome: string; last_error: string | null }>(`SELECT source_id, state, outcome, last_error FROM users ORDER BY id`);
    const issues = journal.all<{ source_id: string; severity: string; field: string; message: string }>(`SELECT source_id, severity, field, message FROM issues ORDER BY id`);
    journal.close();

    const p = sandbox.state.users.get(profile.id)!;
    expect([p.first_name, p.last_name, p.email_verified, p.external_id]).toEqual(['Source-First', 'Workos-Last', true, 'p1']);
    expect(p.metadata).toEqual({ ...had, team: 'blue', region: 'eu' });
    // The source says not verified: WorkOS's verification stays.
    const v = sandbox.state.users.get(verified.id)!;
    expect([v.first_name, v.email_verified, v.external_id]).toEqual(['Vera', true, 'p2']);
    // One update per user: the hash-free patch carries the external id and what was filled in.
    expect(sandbox.stats().byRoute['PUT /user_management/users/:id']).toEqual({ 200: 2 });

    expect(rows.map((r) => [r.source_id, r.state, r.outcome])).toEqual([
      ['p1', 'done', 'adopted'],
      ['p2', 'done', 'adopted'],
    ]);
    expect(rows[0].last_error).toMatch(/filled in from the source: first name, email verified, metadata\.team, metadata\.region/);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ source_id: 'p1', severity: 'warning', field: 'profile' });
    expect(issues[0].message).toMatch(/last name, metadata\.plan left as WorkOS had them/);
    expect(issues[0].message).toMatch(/metadata keys tier not added \(WorkOS holds at most 50 keys/);
    for (const value of ['Workos-Last', 'Source-Last', 'gold', 'silver', 'three']) expect(issues[0].message).not.toContain(value);
  });

  it('an update WorkOS refuses for another reason than the hash does not mark the hash refused', async () => {
    sandbox.seedUser({ email: 'other-refusal@example.com', first_name: 'O', last_name: 'R' });
    let refusedOnce = false;
    const target = new (class extends WorkOSTarget {
      override async updateUser(...args: Parameters<WorkOSTarget['updateUser']>) {
        if (!refusedOnce && args[1].passwordHash) {
          refusedOnce = true;
          throw new WorkOSCallError({ kind: 'invalid', code: 'user_update_error', message: 'Could not update user.' });
        }
        return super.updateUser(...args);
      }
    })(targetOptions(sandbox));
    const journal = stagedJournal({ users: [{ sourceId: 'o1', email: 'other-refusal@example.com', firstName: 'O', lastName: 'R', passwordHash: pbkdf2Hash('fine-password'), passwordHashType: 'pbkdf2' }] });
    await importInto(sandbox, journal, {}, target);
    const first = journal.get<{ state: string; error_code: string; password_state: string | null; last_error: string }>(`SELECT state, error_code, password_state, last_error FROM users`)!;
    expect(refusedOnce).toBe(true);
    // Not a refused hash: the user failed with WorkOS's answer, for a retry.
    expect(first).toMatchObject({ state: 'failed', error_code: 'user_update_error', password_state: null });
    expect(first.last_error).not.toMatch(/refused the source's/);
    expect(journal.resetFailed()).toBe(1);
    await importInto(sandbox, journal, {}, target);
    const again = journal.get<{ state: string; outcome: string; password_state: string }>(`SELECT state, outcome, password_state FROM users`)!;
    journal.close();
    expect(again).toEqual({ state: 'done', outcome: 'adopted', password_state: 'set' });
    expect(sandbox.checkPassword('other-refusal@example.com', 'fine-password')).toBe(true);
  });

  it('a stop right after the create without a refused hash resumes with the password still rejected (keep)', async () => {
    const bad = '$scrypt$v=1$n=1000,r=8,p=1,kl=32$c2FsdHNhbHQ$' + 'B'.repeat(43);
    // The create without the hash lands, and the process dies before its answer is recorded.
    const dying = new (class extends WorkOSTarget {
      override async createUser(...args: Parameters<WorkOSTarget['createUser']>): Promise<string> {
        const id = await super.createUser(...args);
        if (!args[0].passwordHash) throw new Error('killed');
        return id;
      }
    })(targetOptions(sandbox));
    const journal = stagedJournal({ users: [{ sourceId: 'stop1', email: 'stopped-refused@example.com', passwordHash: bad, passwordHashType: 'scrypt' }] });
    await expect(importInto(sandbox, journal, { adoptedPasswords: 'keep' }, dying)).rejects.toThrow('killed');
    expect(journal.get<{ state: string }>(`SELECT state FROM users`)!.state).toBe('in_flight');
    await importInto(sandbox, journal, { adoptedPasswords: 'keep' });
    const user = journal.get<{ state: string; outcome: string; password_state: string }>(`SELECT state, outcome, password_state FROM users`)!;
    const reports = writeReports(journal);
    journal.close();
    expect(user).toEqual({ state: 'done', outcome: 'created', password_state: 'rejected' });
    expect(fs.readFileSync(reports.passwordResets, 'utf8')).toMatch(/stopped-refused@example\.com,stop1,user_\w+,rejected hash/);
    expect([...sandbox.state.users.values()].filter((u) => u.email === 'stopped-refused@example.com')).toHaveLength(1);
  });

  it('--retry-failed forgets the WorkOS user of an adoption that failed: a stop in the retry never completes that user instead', async () => {
    const other = sandbox.seedUser({ email: 'someone-else@example.com' });
    const journal = stagedJournal({ users: [{ sourceId: 'stale1', email: 'stale@example.com' }] });
    // As an adoption that failed while completing leaves its record.
    const [row] = journal.workableUsers(0, 10);
    journal.markAdopting('user', row.id, other.id);
    journal.markFailed('user', row.id, 'bug', 'unexpected answer');
    expect(journal.resetFailed()).toBe(1);
    // The retry's create lands, and the process dies before its answer is recorded.
    const dying = new (class extends WorkOSTarget {
      override async createUser(...args: Parameters<WorkOSTarget['createUser']>): Promise<string> {
        await super.createUser(...args);
        throw new Error('killed');
      }
    })(targetOptions(sandbox));
    await expect(importInto(sandbox, journal, {}, dying)).rejects.toThrow('killed');
    await importInto(sandbox, journal);
    const user = journal.get<{ state: string; outcome: string; workos_id: string }>(`SELECT state, outcome, workos_id FROM users`)!;
    journal.close();
    const created = [...sandbox.state.users.values()].find((u) => u.email === 'stale@example.com')!;
    expect(user).toEqual({ state: 'done', outcome: 'created', workos_id: created.id });
    expect(created.external_id).toBe('stale1');
    expect(sandbox.state.users.get(other.id)!.external_id).toBeNull();
  });

  it('a stop between adopting a user and setting its hash is finished on resume, still counted as adopted', async () => {
    const seeded = sandbox.seedUser({ email: 'half@example.com' });
    const journal = stagedJournal({ users: [{ sourceId: 'h1', email: 'half@example.com', passwordHash: pbkdf2Hash('half-password'), passwordHashType: 'pbkdf2' }] });
    // As a killed run leaves it: the adoption committed, its completing call never answered.
    const [row] = journal.workableUsers(0, 10);
    journal.markAdopting('user', row.id, seeded.id);
    await importInto(sandbox, journal);
    const user = journal.get<{ state: string; outcome: string; workos_id: string; password_state: string }>(`SELECT state, outcome, workos_id, password_state FROM users`)!;
    journal.close();
    expect(user).toEqual({ state: 'done', outcome: 'adopted', workos_id: seeded.id, password_state: 'set' });
    expect(sandbox.checkPassword('half@example.com', 'half-password')).toBe(true);
    expect(sandbox.state.users.get(seeded.id)!.external_id).toBe('h1');
  });
});

describe('adoption when WorkOS answers a taken email with 409 user_already_exists', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // As WorkOS's own emulator (and older API versions) answer.
    sandbox = await startSandbox({ limits: FAST_LIMITS, userConflict: 'user_already_exists' });
  });
  afterAll(() => sandbox.close());

  it('adopts the existing users just the same: hash, external id, memberships', async () => {
    const dir = tempDir();
    const dataset = generateDataset({ users: 30, organizations: 3, memberships: 45, seed: 4 });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file, { knownPasswords: true });
    for (const u of dataset.users.slice(0, 8)) sandbox.seedUser({ email: u.email, first_name: u.firstName, last_name: u.lastName });
    const journalPath = path.join(dir, 'conflict.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/users: 22 created, 8 adopted/);
    expect(sandbox.stats().byRoute['POST /user_management/users']).toEqual({ 201: 22, 409: 8 });
    expectSandboxHolds(sandbox, dataset);
    for (const u of dataset.users) expect(sandbox.checkPassword(u.email, knownPassword(u.sourceId))).toBe(true);
  });
});
