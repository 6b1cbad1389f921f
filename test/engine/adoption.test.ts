import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { generateDataset, knownPassword, pbkdf2Hash, writeDatasetCsv } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectSandboxHolds, FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { importInto, stagedJournal } from './util.js';

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
