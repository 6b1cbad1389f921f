/**
 * The report files from a journal set up row by row (real SQLite): formula defusing in the files
 * people open and exact values in the ones programs load, the failures file read back exactly,
 * the password resets, the id maps for merged duplicates and source membership ids, and the
 * summary's facts. Rows the importer writes (password_state, merged_into, invited outcomes) are
 * set directly, so these tests do not wait on the importer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import type { SourceMembership, SourceOrganization, SourceUser } from '../../src/providers/types.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RecordKind, RunSettings } from '../../src/services/journal/types.js';
import { readFailuresFile, summaryFacts, writeReports } from '../../src/services/report/report.js';
import { tempDir, journalSql } from '../helpers.js';

const settings = (extra: Partial<RunSettings> = {}): RunSettings => ({
  version: 1,
  source: { kind: 'file', options: { path: '/tmp/users.csv' } },
  workos: { apiKeyEnv: 'WORKOS_API_KEY' },
  createdAt: new Date().toISOString(),
  ...extra,
});

function journalWith(batch: { users?: SourceUser[]; organizations?: SourceOrganization[]; memberships?: SourceMembership[] }, extra: Partial<RunSettings> = {}) {
  const dir = tempDir('wm-report-');
  const journal = Journal.create(path.join(dir, 'j.db'), settings(extra));
  journal.stageBatch(batch);
  return { dir, journal };
}


const idOf = (journal: Journal, kind: RecordKind, sourceId: string) => {
  const sqlText =
    kind === 'membership'
      ? `SELECT id FROM memberships WHERE user_source_id || char(31) || org_source_id = ?`
      : `SELECT id FROM ${kind === 'user' ? 'users' : 'organizations'} WHERE source_id = ?`;
  return journal.get<{ id: number }>(sqlText, sourceId)!.id;
};

const readCsv = (file: string) => parse(fs.readFileSync(file, 'utf8')) as string[][];

const user = (sourceId: string, email: string, extra: Partial<SourceUser> = {}): SourceUser => ({ sourceId, email, ...extra });

describe('failures.csv and readFailuresFile', () => {
  const formulaIds = ['=HYPERLINK("http://evil.example/?x","click")', '+SUM(1,2)', '-2+3', '@cmd', '\tleading tab', '\rleading cr', "'quoted", "'=already"];
  const safeIds = ['-42', '+7', '1e5', 'plain, with comma', 'u-normal'];

  it('defuses formula cells for spreadsheets, keeps numbers, and reads the exact source ids back', () => {
    const ids = [...formulaIds, ...safeIds];
    const { dir, journal } = journalWith({
      organizations: [{ sourceId: '=org()', name: '@Evil Org', domains: [] }],
      users: ids.map((id, i) => user(id, `u${i}@example.com`)),
      memberships: [{ userSourceId: formulaIds[0], orgSourceId: '=org()', roles: ['admin'] }],
    });
    for (const id of ids) journal.markFailed('user', idOf(journal, 'user', id), 'invalid', `=cmd|' /C calc'!A0 for ${id}`);
    journal.markFailed('organization', idOf(journal, 'organization', '=org()'), 'transient', '-boom');
    journal.markSkipped('membership', idOf(journal, 'membership', `${formulaIds[0]}\u001f=org()`), 'blocked', '+blocked');
    const reports = writeReports(journal);
    journal.close();

    const rows = readCsv(reports.failures);
    expect(rows[0]).toEqual(['kind', 'source_id', 'label', 'origin', 'state', 'code', 'reason']);
    for (const row of rows.slice(1)) {
      for (const cell of row) {
        // A spreadsheet reads nothing here as a formula: every risky cell starts with the quote.
        if (/^[=+\-@\t\r]/.test(cell)) expect(cell, JSON.stringify(row)).toMatch(/^[+-]?\d+(\.\d*)?(e\d+)?$/i);
      }
    }
    const userRows = new Map(rows.filter((r) => r[0] === 'user').map((r) => [r[2], r]));
    expect(userRows.get('u0@example.com')![1]).toBe(`'${formulaIds[0]}`);
    expect(userRows.get('u0@example.com')![6]).toBe(`'=cmd|' /C calc'!A0 for ${formulaIds[0]}`);
    expect(userRows.get(`u${formulaIds.length}@example.com`)![1]).toBe('-42');
    expect(userRows.get(`u${formulaIds.length + 1}@example.com`)![1]).toBe('+7');
    expect(rows.find((r) => r[0] === 'organization')).toEqual(['organization', "'=org()", "'@Evil Org", '', 'failed', 'transient', "'-boom"]);

    // --retry-failed --failures reads back exactly what the journal holds.
    expect(readFailuresFile(reports.failures)).toEqual([
      { kind: 'organization', sourceId: '=org()' },
      ...ids.map((sourceId) => ({ kind: 'user', sourceId })),
      { kind: 'membership', sourceId: `${formulaIds[0]}\u001f=org()` },
    ]);
  });

  it('keeps the id map exact for the SQL load, and says so in the template', () => {
    const { journal } = journalWith({ users: [user('=1+2', 'a@example.com'), user('-42', 'b@example.com')] });
    journal.markDone('user', idOf(journal, 'user', '=1+2'), 'user_01A', 'created');
    journal.markDone('user', idOf(journal, 'user', '-42'), 'user_01B', 'created');
    const reports = writeReports(journal);
    journal.close();
    expect(readCsv(reports.idMap)).toEqual([
      ['source_id', 'email', 'workos_user_id'],
      ['=1+2', 'a@example.com', 'user_01A'],
      ['-42', 'b@example.com', 'user_01B'],
    ]);
    expect(fs.readFileSync(reports.idMapSql, 'utf8')).toMatch(/exact values \(no spreadsheet formula escaping\)/);
  });

  it('refuses a file that is not a failures file, with the next step', () => {
    const dir = tempDir('wm-report-');
    const other = path.join(dir, 'id-map.csv');
    fs.writeFileSync(other, 'source_id,email,workos_user_id\nu1,a@example.com,user_1\n');
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    const broken = path.join(dir, 'broken.csv');
    fs.writeFileSync(broken, 'kind,source_id,label,origin,state,code,reason\nuser,"unterminated\n');
    for (const file of [other, empty, broken, path.join(dir, 'missing.csv')]) {
      let error: unknown;
      try {
        readFailuresFile(file);
      } catch (e) {
        error = e;
      }
      expect(error, file).toBeInstanceOf(ExpectedError);
      expect((error as ExpectedError).nextStep).toMatch(/failures\.csv/);
    }
    expect(() => readFailuresFile(other)).toThrow(/is not a workos-migrate failures file/);
  });
});

describe('password-resets.csv', () => {
  it('lists exactly the imported users without the source password, with the reason, and never a hash', () => {
    const hash = '$2b$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01';
    const { journal } = journalWith({
      users: [
        user('set', 'set@example.com', { passwordHash: hash, passwordHashType: 'bcrypt' }),
        user('kept', 'kept@example.com', { passwordHash: hash, passwordHashType: 'bcrypt' }),
        user('none', 'none@example.com'),
        user('md5', 'md5@example.com', { passwordHash: '5f4dcc3b5aa765d61d8327deb882cf99', passwordHashType: 'md5' }),
        user('rejected', 'rejected@example.com', { passwordHash: '$2b$broken', passwordHashType: 'bcrypt' }),
        user('social', 'social@example.com', { socialProviders: ['google', 'github'] }),
        // Written before password_state existed: read from the hash type.
        user('old-sha', 'old@example.com', { passwordHash: 'abc', passwordHashType: 'sha256' }),
        user('old-none', 'oldnone@example.com'),
        user('failed', 'failed@example.com'),
        user('dupe', 'SOCIAL@example.com'),
      ],
    });
    const states: Record<string, string | null> = { set: 'set', kept: 'kept', none: 'none', md5: 'unsupported', rejected: 'rejected', social: 'none', 'old-sha': null, 'old-none': null };
    for (const [sourceId, state] of Object.entries(states)) {
      journal.markDone('user', idOf(journal, 'user', sourceId), `user_${sourceId}`, sourceId === 'kept' ? 'adopted' : 'created');
      journalSql(journal, `UPDATE users SET password_state = ? WHERE source_id = ?`, state, sourceId);
    }
    journal.markFailed('user', idOf(journal, 'user', 'failed'), 'transient', 'HTTP 500');
    journal.markSkipped('user', idOf(journal, 'user', 'dupe'), 'duplicate_email', 'same email as user social');
    journalSql(journal, `UPDATE users SET merged_into = 'social', password_state = 'none' WHERE source_id = 'dupe'`);

    const reports = writeReports(journal);
    const facts = summaryFacts(journal);
    journal.close();
    const rows = readCsv(reports.passwordResets);
    expect(rows[0]).toEqual(['email', 'source_id', 'workos_user_id', 'reason']);
    expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['none@example.com', 'none', 'user_none'],
      ['md5@example.com', 'md5', 'user_md5'],
      ['rejected@example.com', 'rejected', 'user_rejected'],
      ['social@example.com', 'social', 'user_social'],
      ['old@example.com', 'old-sha', 'user_old-sha'],
      ['oldnone@example.com', 'old-none', 'user_old-none'],
    ]);
    const reason = new Map(rows.slice(1).map((r) => [r[1], r[3]]));
    expect(reason.get('none')).toBe('no password in the source');
    expect(reason.get('md5')).toMatch(/^unsupported hash: WorkOS cannot take md5 hashes/);
    expect(reason.get('rejected')).toMatch(/^rejected hash: WorkOS refused the bcrypt hash/);
    expect(reason.get('social')).toMatch(/^social sign-in only \(google, github\)/);
    expect(reason.get('old-sha')).toMatch(/sha256/);
    expect(reason.get('old-none')).toBe('no password in the source');
    expect(reports.resetCount).toBe(6);

    expect(facts.passwords).toMatchObject({ adoptedPasswords: 'source', states: { set: 1, kept: 1, none: 3, unsupported: 2, rejected: 1 }, resets: 6, socialOnly: 1 });
    for (const file of fs.readdirSync(reports.dir)) {
      const text = fs.readFileSync(path.join(reports.dir, file), 'utf8');
      expect(text, file).not.toContain(hash);
      expect(text, file).not.toContain('5f4dcc3b5aa765d61d8327deb882cf99');
    }
  });
});

describe('id maps', () => {
  it('maps a merged duplicate to its kept user, and source membership ids to the WorkOS user and organization', () => {
    const { journal } = journalWith({
      organizations: [{ sourceId: 'org-1', name: 'Acme', domains: [] }, { sourceId: 'org-2', name: 'Globex', domains: [] }],
      users: [user('keep', 'ann@example.com'), user('dupe', 'ANN@example.com'), user('bob', 'bob@example.com'), user('inv', 'inv@example.com')],
      memberships: [
        { userSourceId: 'keep', orgSourceId: 'org-1', roles: ['admin'], sourceRef: 'member-live-keep' },
        { userSourceId: 'dupe', orgSourceId: 'org-1', roles: ['member'], sourceRef: 'member-live-dupe' },
        { userSourceId: 'dupe', orgSourceId: 'org-2', roles: ['member'], sourceRef: 'member-live-dupe-2' },
        { userSourceId: 'bob', orgSourceId: 'org-1', roles: ['member'] },
        { userSourceId: 'inv', orgSourceId: 'org-1', roles: ['member'], status: 'invited', sourceRef: 'member-live-inv' },
      ],
    }, { invitedMembers: 'invite' });
    for (const o of ['org-1', 'org-2']) journal.markDone('organization', idOf(journal, 'organization', o), o.replace('-', '_'), 'created');
    for (const u of ['keep', 'bob', 'inv']) journal.markDone('user', idOf(journal, 'user', u), `user_${u}`, 'created');
    journal.markSkipped('user', idOf(journal, 'user', 'dupe'), 'duplicate_email', 'same email as user keep');
    journalSql(journal, `UPDATE users SET merged_into = 'keep' WHERE source_id = 'dupe'`);
    journal.markDone('membership', idOf(journal, 'membership', 'keep\u001forg-1'), 'om_keep', 'created');
    // Both in org-1: WorkOS holds the kept user's membership; in org-2 the kept user carries the duplicate's.
    journal.markSkipped('membership', idOf(journal, 'membership', 'dupe\u001forg-1'), 'merged', 'merged: same person as user keep');
    journalSql(journal, `UPDATE memberships SET carried_by = ? WHERE user_source_id = 'dupe' AND org_source_id = 'org-1'`, idOf(journal, 'membership', 'keep\u001forg-1'));
    journal.markDone('membership', idOf(journal, 'membership', 'dupe\u001forg-2'), 'om_dupe2', 'created');
    journal.markDone('membership', idOf(journal, 'membership', 'bob\u001forg-1'), 'om_bob', 'created');
    journal.markDone('membership', idOf(journal, 'membership', 'inv\u001forg-1'), 'invitation_inv', 'created', undefined, 'invitation');
    const reports = writeReports(journal);
    journal.close();

    expect(readCsv(reports.idMap)).toEqual([
      ['source_id', 'email', 'workos_user_id'],
      ['keep', 'ann@example.com', 'user_keep'],
      ['bob', 'bob@example.com', 'user_bob'],
      ['inv', 'inv@example.com', 'user_inv'],
      ['dupe', 'ANN@example.com', 'user_keep'],
    ]);
    expect(readCsv(reports.memberIdMap)).toEqual([
      ['member_id', 'workos_user_id', 'workos_organization_id', 'workos_membership_id', 'workos_invitation_id', 'user_source_id', 'org_source_id'],
      ['member-live-keep', 'user_keep', 'org_1', 'om_keep', '', 'keep', 'org-1'],
      ['member-live-dupe', 'user_keep', 'org_1', 'om_keep', '', 'dupe', 'org-1'],
      ['member-live-dupe-2', 'user_keep', 'org_2', 'om_dupe2', '', 'dupe', 'org-2'],
      ['member-live-inv', 'user_inv', 'org_1', '', 'invitation_inv', 'inv', 'org-1'],
    ]);
    // Its own name and password were not carried: it stays in the failures file, saying where it went.
    expect(readCsv(reports.failures).slice(1).map((r) => [r[0], r[1], r[5]])).toEqual([
      ['user', 'dupe', 'duplicate_email'],
      ['membership', 'dupe\u001forg-1', 'merged'],
    ]);
    expect(fs.readFileSync(reports.idMapSql, 'utf8')).toMatch(/member-id-map\.csv/);
  });
});

describe('summary facts', () => {
  it('carries ignored columns, invited members, password choice and states, source requests and refused domains, and summary.md says the same', () => {
    const { journal } = journalWith({
      organizations: [
        { sourceId: 'org-1', name: 'Acme', domains: [{ domain: 'acme.com', state: 'verified' }] },
        { sourceId: 'org-2', name: 'Globex', domains: [] },
      ],
      users: [user('a', 'a@example.com'), user('b', 'b@example.com'), user('c', 'c@example.com')],
      memberships: [
        { userSourceId: 'a', orgSourceId: 'org-1', roles: ['admin'] },
        { userSourceId: 'b', orgSourceId: 'org-1', roles: ['member'], status: 'invited', sourceRef: 'member-b' },
        { userSourceId: 'c', orgSourceId: 'org-2', roles: ['member'], status: 'pending' },
      ],
    }, { adoptedPasswords: 'keep', invitedMembers: 'skip' });
    journal.setMeta('ignored_columns', [{ column: 'phone', reason: 'WorkOS users have no phone number' }]);
    journal.setMeta('source_stats', { requests: 120, rateLimited: 3, waitedMs: 4200 });
    journal.stageBatch({ issues: [{ severity: 'warning', location: 'org-1', recordKind: 'organization', sourceId: 'org-1', field: 'domains', message: 'acme.com is claimed by another organization' }] });
    for (const o of ['org-1', 'org-2']) journal.markDone('organization', idOf(journal, 'organization', o), `org_${o}`, 'created');
    for (const u of ['a', 'b', 'c']) journal.markDone('user', idOf(journal, 'user', u), `user_${u}`, u === 'a' ? 'adopted' : 'created');
    journalSql(journal, `UPDATE users SET password_state = CASE source_id WHEN 'a' THEN 'kept' ELSE 'none' END`);
    journal.markDone('membership', idOf(journal, 'membership', 'a\u001forg-1'), 'om_a', 'created');
    journal.markSkipped('membership', idOf(journal, 'membership', 'b\u001forg-1'), 'invited', 'invited in the source: not imported (your choice)');
    journal.markSkipped('membership', idOf(journal, 'membership', 'c\u001forg-2'), 'invited', 'pending in the source: not imported (your choice)');

    const reports = writeReports(journal);
    const facts = summaryFacts(journal);
    journal.close();

    expect(facts.ignoredColumns).toEqual([{ column: 'phone', reason: 'WorkOS users have no phone number' }]);
    expect(facts.sourceRequests).toEqual({ requests: 120, rateLimited: 3, waitedMs: 4200 });
    expect(facts.invitedMembers).toEqual({ action: 'skip', total: 2, done: 0, madeActive: 0, invitationsSent: 0, skippedByChoice: 2, failed: 0, notYet: 0 });
    expect(facts.passwords).toMatchObject({ adoptedPasswords: 'keep', states: { set: 0, kept: 1, none: 2, unsupported: 0, rejected: 0 }, resets: 2 });
    expect(facts.refusedDomains).toEqual({
      count: 1,
      list: [{ organization: 'Acme', sourceId: 'org-1', workosId: 'org_org-1', message: 'acme.com is claimed by another organization' }],
    });
    // Skipped by choice is not a failure: the invited members have their own file.
    expect(facts.failures.count).toBe(0);
    expect(readCsv(reports.failures).length).toBe(1);
    expect(readCsv(reports.invitedMembers).slice(1).map((r) => [r[0], r[3], r[4], r[5]])).toEqual([
      ['b@example.com', 'member-b', 'invited', 'not imported (your choice)'],
      ['c@example.com', '', 'pending', 'not imported (your choice)'],
    ]);
    // The facts survive JSON (what --json prints) unchanged.
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);

    const md = fs.readFileSync(reports.summary, 'utf8');
    expect(md).toContain('`phone`: WorkOS users have no phone number');
    expect(md).toContain('Source API: 120 requests, 3 rate-limited answers (429)');
    expect(md).toContain('2 members invited or pending in the source; your choice: skip (not imported)');
    expect(md).toContain(reports.invitedMembers);
    expect(md).toContain('kept their WorkOS password (your choice)');
    expect(md).toMatch(/0 with the source's password, 1 kept the password WorkOS already had, 2 without one/);
    expect(md).toContain('Acme [org-1] (org_org-1): acme.com is claimed by another organization');
    expect(md).toContain(`2 users to send a password reset: ${reports.passwordResets}`);
    // Refused domains have their own section, not a second line under "by hand".
    expect(md).not.toMatch(/organization warning on domains/);
  });
});
