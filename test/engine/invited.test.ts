import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Journal } from '../../src/services/journal/journal.js';
import { summaryFacts, writeReports } from '../../src/services/report/report.js';
import { runVerification, type VerifyReport } from '../../src/services/verify.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';
import { importInto, stagedJournal } from './util.js';

/** One organization with an active member, an invited one and a pending one. */
function journalFor(prefix: string, dir = tempDir()): Journal {
  return stagedJournal(
    {
      organizations: [{ sourceId: `${prefix}-org`, name: `${prefix} Org`, domains: [] }],
      users: ['active', 'invited', 'pending'].map((who) => ({ sourceId: `${prefix}-${who}`, email: `${prefix}-${who}@example.com` })),
      memberships: [
        { userSourceId: `${prefix}-active`, orgSourceId: `${prefix}-org`, roles: ['member'] },
        { userSourceId: `${prefix}-invited`, orgSourceId: `${prefix}-org`, roles: ['admin'], status: 'invited', sourceRef: `member-${prefix}-invited` },
        { userSourceId: `${prefix}-pending`, orgSourceId: `${prefix}-org`, roles: ['member'], status: 'pending' },
      ],
    },
    dir,
  );
}

type Row = { user_source_id: string; state: string; outcome: string | null; error_code: string | null; last_error: string | null; workos_id: string | null };
const rowsOf = (journal: Journal) =>
  journal.all<Row>(`SELECT user_source_id, state, outcome, error_code, last_error, workos_id FROM memberships ORDER BY id`);

describe('members invited (or pending) in the source', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  const membershipsIn = (orgExternalId: string) => {
    const org = [...sandbox.state.organizations.values()].find((o) => o.external_id === orgExternalId)!;
    const email = new Map([...sandbox.state.users.values()].map((u) => [u.id, u.email]));
    return [...sandbox.state.memberships.values()].filter((m) => m.organization_id === org.id).map((m) => [email.get(m.user_id), m.status, m.role.slug]);
  };
  const invitationsTo = (orgExternalId: string) => {
    const org = [...sandbox.state.organizations.values()].find((o) => o.external_id === orgExternalId)!;
    return [...sandbox.state.invitations.values()].filter((i) => i.organization_id === org.id);
  };

  it('skip (the default): no membership, and the record says why and how to import them', async () => {
    const journal = journalFor('skip');
    await importInto(sandbox, journal);
    const rows = rowsOf(journal);
    journal.close();
    expect(rows.map((r) => [r.user_source_id, r.state, r.error_code])).toEqual([
      ['skip-active', 'done', null],
      ['skip-invited', 'skipped', 'invited'],
      ['skip-pending', 'skipped', 'invited'],
    ]);
    expect(rows[1].last_error).toMatch(/^invited in the source .*--invited-members active .*--invited-members invite/);
    expect(rows[2].last_error).toMatch(/^pending in the source/);
    expect(membershipsIn('skip-org')).toEqual([['skip-active@example.com', 'active', 'member']]);
    expect(invitationsTo('skip-org')).toEqual([]);
  });

  it('active: they become active members, and the record says they were invited', async () => {
    const journal = journalFor('act');
    await importInto(sandbox, journal, { invitedMembers: 'active' });
    const rows = rowsOf(journal);
    journal.close();
    expect(rows.every((r) => r.state === 'done' && r.outcome === 'created')).toBe(true);
    expect(rows[1].last_error).toMatch(/invited in the source; imported as an active member/);
    expect(membershipsIn('act-org').sort()).toEqual([
      ['act-active@example.com', 'active', 'member'],
      ['act-invited@example.com', 'active', 'admin'],
      ['act-pending@example.com', 'active', 'member'],
    ]);
    expect(invitationsTo('act-org')).toEqual([]);
  });

  it('invite: WorkOS sends each an invitation with the mapped role, once, even after an interrupted send', async () => {
    const dir = tempDir();
    const journal = journalFor('inv', dir);
    await importInto(sandbox, journal, { invitedMembers: 'invite' });
    const rows = rowsOf(journal);
    journal.close();
    expect(rows.map((r) => [r.user_source_id, r.state, r.outcome])).toEqual([
      ['inv-active', 'done', 'created'],
      ['inv-invited', 'done', 'created'],
      ['inv-pending', 'done', 'created'],
    ]);
    const invitations = invitationsTo('inv-org');
    expect(invitations.map((i) => [i.email, i.state, i.role_slug]).sort()).toEqual([
      ['inv-invited@example.com', 'pending', 'admin'],
      ['inv-pending@example.com', 'pending', 'member'],
    ]);
    // The invitation's id is the record's WorkOS id; no membership exists until it is accepted.
    expect(rows[1].workos_id).toBe(invitations.find((i) => i.email === 'inv-invited@example.com')!.id);
    expect(rows[1].last_error).toMatch(/WorkOS invitation sent to inv-invited@example.com/);
    expect(membershipsIn('inv-org')).toEqual([['inv-active@example.com', 'active', 'member']]);

    // As a kill during the send leaves it: in flight, no answer recorded. The resume finds the
    // invitation and sends none again.
    const db = new Database(path.join(dir, 'journal.db'));
    db.prepare(`UPDATE memberships SET state = 'in_flight', workos_id = NULL, outcome = NULL WHERE user_source_id = 'inv-invited'`).run();
    db.close();
    const reopened = Journal.open(path.join(dir, 'journal.db'));
    await importInto(sandbox, reopened, { invitedMembers: 'invite' });
    const again = rowsOf(reopened);
    reopened.close();
    expect(again[1]).toMatchObject({ state: 'done', workos_id: rows[1].workos_id });
    expect(invitationsTo('inv-org')).toHaveLength(2);
    expect(sandbox.stats().byRoute['POST /user_management/invitations']).toEqual({ 201: 2 });
  });

  const verify = (journal: Journal) => runVerification(journal, new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS }));
  const checkOf = (report: VerifyReport, id: string) => report.checks.find((c) => c.id === id)!;
  const csv = (file: string) => parse(fs.readFileSync(file, 'utf8')) as string[][];

  it('skipped under skip, then imported once the choice is active: re-queued, imported, and checked as what each record became', async () => {
    const journal = journalFor('later');
    await importInto(sandbox, journal);
    expect(journal.phase).toBe('imported');

    // The operator now chooses active (as a resumed run saves it) before anything re-imports them:
    // verification must not count them as made active.
    journal.updateSettings({ invitedMembers: 'active' });
    let report = await verify(journal);
    expect(checkOf(report, 'invited')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^2 not imported: skipped while the choice was skip; your choice is now active/) });
    expect(checkOf(report, 'memberships')).toMatchObject({ counts: { total: 1 } });

    expect(journal.requeueInvited('skip')).toBe(0);
    expect(journal.requeueInvited('active')).toBe(2);
    expect(journal.phase).toBe('importing');
    await importInto(sandbox, journal, { invitedMembers: 'active' });
    expect(rowsOf(journal).map((r) => [r.user_source_id, r.state])).toEqual([
      ['later-active', 'done'],
      ['later-invited', 'done'],
      ['later-pending', 'done'],
    ]);
    expect(membershipsIn('later-org').sort()).toEqual([
      ['later-active@example.com', 'active', 'member'],
      ['later-invited@example.com', 'active', 'admin'],
      ['later-pending@example.com', 'active', 'member'],
    ]);
    report = await verify(journal);
    expect(checkOf(report, 'memberships')).toMatchObject({ status: 'pass', counts: { checked: 3, total: 3 } });
    expect(checkOf(report, 'invited')).toMatchObject({ status: 'info', detail: '2 made active members (checked with the memberships above)' });

    // Another choice later changes nothing about what they are in WorkOS: memberships, still checked as such.
    journal.updateSettings({ invitedMembers: 'invite' });
    report = await verify(journal);
    expect(checkOf(report, 'memberships')).toMatchObject({ status: 'pass', counts: { checked: 3, total: 3 } });
    expect(checkOf(report, 'invited')).toMatchObject({ status: 'info', detail: '2 made active members (checked with the memberships above)' });
    const reports = writeReports(journal);
    const facts = summaryFacts(journal, reports);
    journal.close();
    const member = csv(reports.memberIdMap).find((r) => r[0] === 'member-later-invited')!;
    expect(member[3]).toMatch(/^om_/);
    expect(member[4]).toBe('');
    expect(csv(reports.invitedMembers).slice(1).map((r) => [r[1], r[5]])).toEqual([
      ['later-invited', 'active member'],
      ['later-pending', 'active member'],
    ]);
    expect(facts.invitedMembers).toMatchObject({ action: 'invite', total: 2, madeActive: 2, invitationsSent: 0, skippedByChoice: 0 });
  }, 120_000);

  it('--retry-failed re-queues members skipped under skip once the choice is no longer skip', async () => {
    const journal = journalFor('again');
    await importInto(sandbox, journal);
    // Still skip: nothing to retry.
    expect(journal.resetFailed()).toBe(0);
    expect(rowsOf(journal).filter((r) => r.state === 'skipped')).toHaveLength(2);

    journal.updateSettings({ invitedMembers: 'invite' });
    expect(journal.resetFailed()).toBe(2);
    await importInto(sandbox, journal, { invitedMembers: 'invite' });
    const rows = rowsOf(journal);
    const reports = writeReports(journal);
    journal.close();
    expect(rows.map((r) => [r.user_source_id, r.state])).toEqual([
      ['again-active', 'done'],
      ['again-invited', 'done'],
      ['again-pending', 'done'],
    ]);
    expect(invitationsTo('again-org').map((i) => i.email).sort()).toEqual(['again-invited@example.com', 'again-pending@example.com']);
    const member = csv(reports.memberIdMap).find((r) => r[0] === 'member-again-invited')!;
    expect([member[3], member[4]]).toEqual(['', rows[1].workos_id]);
  }, 120_000);

  it('an invitation of someone with no user: no orphan, listed under skip and active, sent once the choice is invite', async () => {
    const journal = stagedJournal({
      organizations: [{ sourceId: 'new-org', name: 'New Org', domains: [] }],
      users: [{ sourceId: 'new-member', email: 'new-member@example.com' }],
      memberships: [
        { userSourceId: 'new-member', orgSourceId: 'new-org', roles: ['member'] },
        { userSourceId: 'invitation:newcomer@example.com', orgSourceId: 'new-org', roles: ['admin'], status: 'invited', inviteEmail: 'newcomer@example.com', sourceRef: 'invitation:i1' },
      ],
    });
    // No user goes with it by design: not an orphan.
    expect(rowsOf(journal).map((r) => [r.user_source_id, r.state])).toEqual([
      ['new-member', 'pending'],
      ['invitation:newcomer@example.com', 'pending'],
    ]);

    // active: there is no one to make a member of, and verification says what carries it.
    journal.updateSettings({ invitedMembers: 'active' });
    await importInto(sandbox, journal, { invitedMembers: 'active' });
    expect(rowsOf(journal)[1]).toMatchObject({ state: 'skipped', error_code: 'invitation_only', last_error: expect.stringMatching(/newcomer@example.com .*no user.*--invited-members invite/) });
    let report = await verify(journal);
    expect(checkOf(report, 'invited')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^1 invited people have no user in the source.*--invited-members invite/) });
    let reports = writeReports(journal);
    expect(csv(reports.invitedMembers).slice(1).map((r) => [r[0], r[1], r[2], r[5]])).toEqual([
      ['newcomer@example.com', '', 'new-org', 'not imported: no user in the source to make a member (--invited-members invite sends an invitation)'],
    ]);
    expect(fs.readFileSync(reports.failures, 'utf8')).not.toMatch(/newcomer/);
    // Another run under active leaves it be; invite takes it up.
    expect(journal.requeueInvited('active')).toBe(0);
    journal.updateSettings({ invitedMembers: 'invite' });
    expect(journal.requeueInvited('invite')).toBe(1);
    await importInto(sandbox, journal, { invitedMembers: 'invite' });
    expect(rowsOf(journal)[1]).toMatchObject({ state: 'done', workos_id: expect.stringMatching(/^invitation_/) });
    expect(invitationsTo('new-org').map((i) => [i.email, i.role_slug])).toEqual([['newcomer@example.com', 'admin']]);
    expect(membershipsIn('new-org')).toEqual([['new-member@example.com', 'active', 'member']]);
    report = await verify(journal);
    expect(checkOf(report, 'invited')).toMatchObject({ status: 'pass', counts: { checked: 1, total: 1 } });
    reports = writeReports(journal);
    journal.close();
    expect(csv(reports.invitedMembers).slice(1).map((r) => [r[0], r[5]])).toEqual([['newcomer@example.com', 'invitation sent']]);
  }, 120_000);
});
