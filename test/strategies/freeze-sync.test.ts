/**
 * The signup freeze, checked, and `sync`: a Better Auth database (PostgreSQL, made by Better Auth)
 * migrated with the freeze; users signing up afterwards fail Verify, named; the source then
 * changes (a new user, a changed email, a changed name, a deleted user) and a sync pass, stopped
 * once mid-export and resumed, carries exactly those; Verify passes; a pass with deletions removes
 * the deleted user from WorkOS.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startSandbox, verifyPasswordHash, type Sandbox } from '../../src/sandbox/index.js';
import { createEventBus, type MigrationEvent } from '../../src/services/events.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { startMigration, syncMigration, verifyMigration, type Decisions, type RunContext } from '../../src/services/run/orchestrator.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { BULK_PASSWORDS, buildFixture, serverUp, type Fixture } from '../better-auth/fixture.js';
import { ROLES } from '../better-auth/util.js';

const up = await serverUp('postgres');
const skip = !up && !process.env.CI;

const decisions: Decisions = {
  confirmProduction: async () => true,
  reviewPlan: async () => undefined,
  chooseStrategy: async () => 'freeze',
  mapRoles: async (proposal) => ({ roleMap: proposal.roleMap, defaultRole: 'member' }),
};

describe.skipIf(skip)('signup freeze and sync (Better Auth on PostgreSQL)', () => {
  let fixture: Fixture;
  let sandbox: Sandbox;
  let dir: string;
  let db: pg.Client;
  let journalPath: string;
  const events: MigrationEvent[] = [];

  const context = (signal = new AbortController().signal): RunContext => {
    const bus = createEventBus();
    bus.subscribe((e) => events.push(e));
    return { env: { WORKOS_API_KEY: sandbox.apiKey, DATABASE_URL: fixture.url }, bus, decisions, signal };
  };
  const notices = () => events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
  const byEmail = (email: string) => [...sandbox.state.users.values()].find((u) => u.email === email);
  const withJournal = async <T>(use: (journal: Journal) => Promise<T>): Promise<T> => {
    const journal = Journal.open(journalPath);
    try {
      journal.lock();
      return await use(journal);
    } finally {
      journal.close();
    }
  };

  beforeAll(async () => {
    dir = tempDir('wm-freeze-');
    fixture = await buildFixture({ dialect: 'postgres', dir, bulk: 120 });
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
    db = new pg.Client({ connectionString: fixture.url });
    await db.connect();
    journalPath = `${dir}/.workos-migrate/freeze.db`;
  }, 240_000);
  afterAll(async () => {
    await db?.end();
    await sandbox?.close();
    await fixture?.close();
  });

  /** A user signs up in the source: its row, and a password account reusing a bulk user's hash. */
  const signUp = async (id: string, email: string, name: string) => {
    const now = new Date(Date.now() + 60_000);
    await db.query(`INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt") VALUES ($1, $2, $3, true, $4, $4)`, [id, name, email, now]);
    const hash = (await db.query<{ password: string }>(`SELECT a.password FROM account a JOIN "user" u ON u.id = a."userId" WHERE u.email = 'bulk0@example.org'`)).rows[0].password;
    await db.query(`INSERT INTO account (id, "accountId", "providerId", "userId", password, "createdAt", "updatedAt") VALUES ($1, $2, 'credential', $2, $3, $4, $4)`, [`acc-${id}`, id, hash, now]);
  };

  it('a freeze that leaks fails Verify, naming who signed up', async () => {
    const settings: RunSettings = {
      version: 1,
      source: { kind: 'better-auth', options: { secretEnv: 'DATABASE_URL', pageSize: 25 } },
      workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' },
      limits: FAST_LIMITS,
      createdAt: new Date().toISOString(),
    };
    const outcome = await startMigration(context(), settings, journalPath, {});
    expect(outcome.status).toBe('imported');
    const staged = fixture.expected.users.length;
    expect(sandbox.state.users.size).toBe(staged);
    expect(notices().some((m) => m.includes(`Sign-up freeze noted: ${staged} users in the source now`))).toBe(true);

    // Clean so far.
    const clean = await withJournal((journal) => verifyMigration(context(), journal));
    expect(clean.checks.find((c) => c.id === 'freeze')?.status).toBe('pass');

    await signUp('late-1', 'late.one@example.org', 'Late One');
    await signUp('late-2', 'late.two@example.org', 'Late Two');
    const leaked = await withJournal((journal) => verifyMigration(context(), journal));
    const freeze = leaked.checks.find((c) => c.id === 'freeze')!;
    expect(freeze.status).toBe('fail');
    expect(freeze.detail).toMatch(/2 users signed up in the source after the snapshot/);
    expect(freeze.detail).toMatch(/workos-migrate sync --journal/);
    expect(freeze.examples!.join(' ')).toContain('late.one@example.org');
    expect(freeze.examples!.join(' ')).toContain('late.two@example.org');
  }, 300_000);

  it('sync carries exactly the new, changed and (on request) deleted users, across a stop', async () => {
    // Bulk user k has BULK_PASSWORDS[k % 4]: users 4, 5, 6, 8 (k = 4, 5, 6, 8).
    const bulk = (k: number) => fixture.expected.users.find((u) => u.email === `bulk${k}@example.org`)!;
    const [changedEmail, renamed, deleted, rehashed] = [bulk(4), bulk(5), bulk(6), bulk(8)];
    // A password changed in the source: user 8 now has user 1's hash.
    await db.query(`UPDATE account SET password = (SELECT a.password FROM account a JOIN "user" u ON u.id = a."userId" WHERE u.email = 'bulk1@example.org') WHERE "userId" = $1`, [rehashed.id]);
    await db.query(`UPDATE "user" SET email = 'moved.address@example.org' WHERE id = $1`, [changedEmail.id]);
    await db.query(`UPDATE "user" SET name = 'Renamed Person' WHERE id = $1`, [renamed.id]);
    await db.query(`DELETE FROM account WHERE "userId" = $1`, [deleted.id]);
    await db.query(`DELETE FROM "user" WHERE id = $1`, [deleted.id]);
    const workosBefore = new Map([...sandbox.state.users.values()].map((u) => [u.id, { ...u }]));
    const writesBefore = sandbox.stats().byRoute ? JSON.stringify(sandbox.stats()) : '';
    void writesBefore;

    // Stopped during the pass's export (after its first page is staged), then resumed.
    const stop = new AbortController();
    const ctx = context(stop.signal);
    ctx.bus.subscribe((e) => {
      if (e.type === 'progress' && e.phase === 'export' && e.counts.done > 0) stop.abort();
    });
    const first = await withJournal((journal) => syncMigration(ctx, journal, {}));
    expect(first.status).toBe('stopped');
    expect(sandbox.state.users.size).toBe(workosBefore.size);

    const second = await withJournal((journal) => syncMigration(context(), journal, {}));
    expect(second.status).toBe('imported');

    // Two new users, with the password their source hash proves.
    expect(sandbox.state.users.size).toBe(workosBefore.size + 2);
    for (const email of ['late.one@example.org', 'late.two@example.org']) {
      const user = byEmail(email)!;
      expect(user, email).toBeDefined();
      const credential = sandbox.state.credentials.get(user.id) as { password_hash: string; password_hash_type: string };
      expect(verifyPasswordHash(credential.password_hash_type as never, credential.password_hash, BULK_PASSWORDS[0])).toBe(true);
    }
    // The changed email and name went to the same WorkOS users; nothing else changed.
    const moved = [...sandbox.state.users.values()].find((u) => u.external_id === changedEmail.id)!;
    expect(moved.email).toBe('moved.address@example.org');
    expect([...sandbox.state.users.values()].find((u) => u.external_id === renamed.id)!.first_name).toBe('Renamed');
    const rehashedUser = [...sandbox.state.users.values()].find((u) => u.external_id === rehashed.id)!;
    const newCredential = sandbox.state.credentials.get(rehashedUser.id) as { password_hash: string; password_hash_type: string };
    expect(verifyPasswordHash(newCredential.password_hash_type as never, newCredential.password_hash, BULK_PASSWORDS[1])).toBe(true);
    expect(verifyPasswordHash(newCredential.password_hash_type as never, newCredential.password_hash, BULK_PASSWORDS[0])).toBe(false);
    // Carried, the hash left the journal.
    expect(await withJournal(async (journal) => journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE password_hash IS NOT NULL AND state = 'done'`)?.n)).toBe(0);
    // The deleted user is reported, not deleted.
    expect([...sandbox.state.users.values()].some((u) => u.external_id === deleted.id)).toBe(true);
    for (const [id, before] of workosBefore) {
      if ([changedEmail.id, renamed.id, rehashed.id].includes(before.external_id!)) continue;
      const now = sandbox.state.users.get(id)!;
      expect({ email: now.email, first: now.first_name, last: now.last_name }).toEqual({ email: before.email, first: before.first_name, last: before.last_name });
    }
    expect(notices().filter((m) => m.startsWith("Sync pass 1:")).join("\n")).toMatch(/Sync pass 1: 2 new users, 0 new organizations, 0 new memberships, 3 users changed, 1 gone from the source \(kept in WorkOS/);

    // The user gone from the source is named in the summary, with the flag that deletes it.
    if (second.status === 'imported') {
      expect(second.summary.goneFromSource.count).toBe(1);
      expect(second.summary.goneFromSource.examples.join(' ')).toContain(deleted.id);
      expect(fs.readFileSync(second.reports.summary, 'utf8')).toMatch(/## Gone from the source[\s\S]*--apply-deletions/);
    }
    // The freeze's snapshot moved to the pass: Verify passes.
    const after = await withJournal((journal) => verifyMigration(context(), journal));
    expect(after.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(after.checks.find((c) => c.id === 'freeze')?.status).toBe('pass');

    // A second pass with deletions: only the deleted user goes.
    const sizeBefore = sandbox.state.users.size;
    const third = await withJournal((journal) => syncMigration(context(), journal, { deletions: true }));
    expect(third.status).toBe('imported');
    expect(sandbox.state.users.size).toBe(sizeBefore - 1);
    expect([...sandbox.state.users.values()].some((u) => u.external_id === deleted.id)).toBe(false);
    if (third.status === 'imported') {
      expect(third.notImported).toBe(0);
      expect(third.summary.goneFromSource.count).toBe(0);
    }
    const final = await withJournal((journal) => verifyMigration(context(), journal));
    expect(final.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
  }, 300_000);
});
