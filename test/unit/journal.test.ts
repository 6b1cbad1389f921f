import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { Journal } from '../../src/services/journal/journal.js';
import { MIGRATIONS } from '../../src/services/journal/schema.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { tempDir } from '../helpers.js';

const settings = (): RunSettings => ({
  version: 1,
  source: { kind: 'file', options: { path: '/tmp/x.csv' } },
  workos: { apiKeyEnv: 'WORKOS_API_KEY' },
  createdAt: new Date().toISOString(),
});

describe('Journal', () => {
  it('is created 0600, refuses to be created twice, and reopens with its settings', () => {
    const file = path.join(tempDir(), 'nested', 'j.db');
    const journal = Journal.create(file, settings());
    journal.close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(() => Journal.create(file, settings())).toThrow(ExpectedError);
    const reopened = Journal.open(file);
    expect(reopened.settings.source.kind).toBe('file');
    expect(reopened.phase).toBe('created');
    reopened.close();
  });

  it('gives a clear answer for a missing file, a file that is not a journal, and a newer schema', () => {
    const dir = tempDir();
    expect(() => Journal.open(path.join(dir, 'none.db'))).toThrow(/No journal at/);
    fs.writeFileSync(path.join(dir, 'junk.db'), 'this is not sqlite at all, just text'.repeat(100));
    expect(() => Journal.open(path.join(dir, 'junk.db'))).toThrow(/not a workos-migrate journal/);
    const newer = path.join(dir, 'newer.db');
    Journal.create(newer, settings()).close();
    const db = new Database(newer);
    db.pragma('user_version = 99');
    db.close();
    expect(() => Journal.open(newer)).toThrow(/newer workos-migrate/);
  });

  it('stages idempotently: repeated people merge, roles add up, conflicts become issues', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    const user = { sourceId: 'u1', email: 'Ada@Example.com', origin: 'f.csv:2' };
    journal.stageBatch({
      users: [user],
      organizations: [{ sourceId: 'o1', name: 'One', domains: [] }],
      memberships: [{ userSourceId: 'u1', orgSourceId: 'o1', roles: ['admin'] }],
      cursor: { source: 'file', cursor: '1', done: 1, unit: 'rows' },
    });
    journal.stageBatch({
      users: [user, { sourceId: 'u1', email: 'other@example.com', origin: 'f.csv:9' }],
      memberships: [{ userSourceId: 'u1', orgSourceId: 'o1', roles: ['billing', 'admin'] }],
      cursor: { source: 'file', cursor: '3', done: 3, unit: 'rows' },
    });
    const counts = journal.counts();
    expect(counts.user.total).toBe(1);
    expect(counts.membership.total).toBe(1);
    expect(JSON.parse(journal.get<{ roles: string }>('SELECT roles FROM memberships')!.roles)).toEqual(['admin', 'billing']);
    const issue = journal.get<{ location: string; message: string }>('SELECT location, message FROM issues')!;
    expect(issue.location).toBe('f.csv:9');
    expect(issue.message).toMatch(/already has email ada@example.com/);
    expect(journal.cursor('file')).toMatchObject({ cursor: '3', done: 3 });
    journal.close();
  });

  it('finds duplicate emails across case and memberships with no user or organization, in one pass', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    journal.stageBatch({
      users: [
        { sourceId: 'a', email: 'same@example.com' },
        { sourceId: 'b', email: 'SAME@example.com' },
      ],
      organizations: [{ sourceId: 'o1', name: 'One', domains: [] }],
      memberships: [
        { userSourceId: 'a', orgSourceId: 'o1', roles: [] },
        { userSourceId: 'ghost', orgSourceId: 'o1', roles: [] },
        { userSourceId: 'a', orgSourceId: 'nowhere', roles: [] },
      ],
    });
    expect(journal.finalizeStaging()).toEqual({ duplicateEmails: 1, orphanMemberships: 2 });
    const b = journal.get<{ state: string; error_code: string; last_error: string }>(`SELECT state, error_code, last_error FROM users WHERE source_id = 'b'`)!;
    expect(b).toMatchObject({ state: 'skipped', error_code: 'duplicate_email' });
    expect(b.last_error).toMatch(/same email as user a/);
    journal.close();
  });

  it('puts failed records, and the memberships they blocked, back to pending on retry', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    journal.stageBatch({
      users: [{ sourceId: 'a', email: 'a@example.com' }, { sourceId: 'b', email: 'b@example.com' }],
      organizations: [{ sourceId: 'o1', name: 'One', domains: [] }],
      memberships: [{ userSourceId: 'a', orgSourceId: 'o1', roles: [] }],
    });
    const [a, b] = journal.workableUsers(0, 10);
    journal.markInFlight('user', a.id);
    journal.markFailed('user', a.id, 'transient', 'HTTP 500');
    journal.markInFlight('user', b.id);
    journal.markFailed('user', b.id, 'transient', 'HTTP 500');
    const [m] = journal.workableMemberships(0, 10);
    journal.markSkipped('membership', m.id, 'blocked', 'user a was not imported');
    expect(journal.resetFailed([{ kind: 'user', sourceId: 'a' }])).toBe(2);
    const counts = journal.counts();
    expect(counts.user).toMatchObject({ pending: 1, failed: 1 });
    expect(counts.membership).toMatchObject({ pending: 1 });
    expect(journal.workableUsers(0, 10)[0].attempts).toBe(1);
    journal.close();
  });

  it('merges a duplicate into the kept user: roles add up where both are members, the rest goes to the kept user', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    journal.stageBatch({
      users: [
        { sourceId: 'bad', email: 'same@example.com' },
        { sourceId: 'a', email: 'same@example.com' },
        { sourceId: 'b', email: 'SAME@example.com' },
        { sourceId: 'c', email: 'Same@Example.com' },
      ],
      organizations: [{ sourceId: 'o1', name: 'One', domains: [] }, { sourceId: 'o2', name: 'Two', domains: [] }],
      memberships: [
        { userSourceId: 'a', orgSourceId: 'o1', roles: ['member'], status: 'invited' },
        { userSourceId: 'b', orgSourceId: 'o1', roles: ['admin'] },
        { userSourceId: 'c', orgSourceId: 'o1', roles: ['billing', 'member'], status: 'pending' },
        { userSourceId: 'b', orgSourceId: 'o2', roles: ['member'] },
      ],
      // The first row was invalid: it is never the one kept.
      invalid: [{ kind: 'user', sourceId: 'bad', reason: 'metadata: too many keys' }],
    });
    expect(journal.finalizeStaging().duplicateEmails).toBe(2);
    const users = journal.all<{ source_id: string; state: string; error_code: string | null; merged_into: string | null }>(
      `SELECT source_id, state, error_code, merged_into FROM users ORDER BY id`,
    );
    expect(users).toEqual([
      { source_id: 'bad', state: 'skipped', error_code: 'invalid', merged_into: null },
      { source_id: 'a', state: 'pending', error_code: null, merged_into: null },
      { source_id: 'b', state: 'skipped', error_code: 'duplicate_email', merged_into: 'a' },
      { source_id: 'c', state: 'skipped', error_code: 'duplicate_email', merged_into: 'a' },
    ]);
    const memberships = journal.all<{ user_source_id: string; org_source_id: string; roles: string; status: string | null; state: string; error_code: string | null }>(
      `SELECT user_source_id, org_source_id, roles, status, state, error_code FROM memberships ORDER BY id`,
    );
    expect(memberships).toEqual([
      // Active in one of the source records: an active member, with every role.
      { user_source_id: 'a', org_source_id: 'o1', roles: '["member","admin","billing"]', status: null, state: 'pending', error_code: null },
      { user_source_id: 'b', org_source_id: 'o1', roles: '["admin"]', status: null, state: 'skipped', error_code: 'merged' },
      { user_source_id: 'c', org_source_id: 'o1', roles: '["billing","member"]', status: 'pending', state: 'skipped', error_code: 'merged' },
      { user_source_id: 'b', org_source_id: 'o2', roles: '["member"]', status: null, state: 'pending', error_code: null },
    ]);
    // The duplicate's own membership elsewhere is the kept user's to import.
    const workable = journal.workableMemberships(0, 10);
    expect(workable.map((m) => [m.user_source_id, m.user_merged_into, m.user_email])).toEqual([
      ['a', null, 'same@example.com'],
      ['b', 'a', 'same@example.com'],
    ]);
    // --retry-failed leaves merged, invited and orphan memberships as they are.
    journal.markSkipped('membership', workable[0].id, 'invited', 'invited in the source');
    expect(journal.resetFailed()).toBe(0);
    expect(journal.counts().membership).toMatchObject({ skipped: 3, pending: 1 });
    journal.close();
  });

  it('merges two duplicates of one person in an organization the kept user is not in: one carries both (roles added up, active if either is)', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    journal.stageBatch({
      users: [
        { sourceId: 'a', email: 'p@example.com' },
        { sourceId: 'b', email: 'P@example.com' },
        { sourceId: 'c', email: 'p@EXAMPLE.com' },
      ],
      organizations: [{ sourceId: 'x', name: 'X', domains: [] }],
      memberships: [
        { userSourceId: 'b', orgSourceId: 'x', roles: ['member'], status: 'invited' },
        { userSourceId: 'c', orgSourceId: 'x', roles: ['admin', 'member'] },
      ],
    });
    journal.finalizeStaging();
    const rows = journal.all<{ id: number; user_source_id: string; roles: string; status: string | null; state: string; error_code: string | null; carried_by: number | null }>(
      `SELECT id, user_source_id, roles, status, state, error_code, carried_by FROM memberships ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: rows[0].id, user_source_id: 'b', roles: '["member","admin"]', status: null, state: 'pending', error_code: null, carried_by: null },
      { id: rows[1].id, user_source_id: 'c', roles: '["admin","member"]', status: null, state: 'skipped', error_code: 'merged', carried_by: rows[0].id },
    ]);
    // One record to import, for the kept user.
    expect(journal.workableMemberships(0, 10).map((m) => [m.user_source_id, m.kept_user_source_id])).toEqual([['b', 'a']]);
    journal.close();
  });

  it('records an issue the import learns once, however often a resumed run learns it again', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    const issue = { severity: 'warning' as const, location: 'o1', field: 'domains', message: 'WorkOS refused the domain gmail.com', recordKind: 'organization' as const, sourceId: 'o1' };
    journal.addIssue(issue);
    journal.addIssue(issue);
    journal.addIssue({ ...issue, message: 'WorkOS refused the domain yahoo.com' });
    expect(journal.issueCount()).toBe(2);
    journal.close();
  });

  it('upgrades a schema 2 journal: how each done membership was imported, and what carries a merged one, are read from what it holds', () => {
    const file = path.join(tempDir(), 'v2.db');
    const db = new Database(file);
    for (const migration of MIGRATIONS.slice(0, 2)) db.exec(migration);
    db.pragma('user_version = 2');
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('settings', JSON.stringify({ ...settings(), invitedMembers: 'invite' }));
    db.exec(`
      INSERT INTO users (source_id, email, email_norm, state, workos_id) VALUES ('a', 'a@x.com', 'a@x.com', 'done', 'user_a');
      INSERT INTO users (source_id, email, email_norm, state, error_code, merged_into) VALUES ('d', 'A@x.com', 'a@x.com', 'skipped', 'duplicate_email', 'a');
      INSERT INTO organizations (source_id, name, state, workos_id) VALUES ('o1', 'One', 'done', 'org_1'), ('o2', 'Two', 'done', 'org_2');
      INSERT INTO memberships (user_source_id, org_source_id, state, workos_id, status) VALUES
        ('a', 'o1', 'done', 'om_1', NULL),
        ('d', 'o1', 'skipped', NULL, NULL),
        ('a', 'o2', 'done', 'invitation_2', 'invited');
      UPDATE memberships SET error_code = 'merged' WHERE user_source_id = 'd';
    `);
    db.close();
    const journal = Journal.open(file);
    const rows = journal.all<{ user_source_id: string; org_source_id: string; imported_as: string | null; carried_by: number | null }>(
      'SELECT user_source_id, org_source_id, imported_as, carried_by FROM memberships ORDER BY id',
    );
    expect(rows).toEqual([
      { user_source_id: 'a', org_source_id: 'o1', imported_as: 'membership', carried_by: null },
      { user_source_id: 'd', org_source_id: 'o1', imported_as: null, carried_by: 1 },
      { user_source_id: 'a', org_source_id: 'o2', imported_as: 'invitation', carried_by: null },
    ]);
    expect(journal.invitedCounts()).toEqual({ total: 1, active: 0, invitations: 1, skipped: 0, inviteOnly: 0, failed: 0, notYet: 0 });
    journal.close();
  });
});
