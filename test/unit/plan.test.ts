/**
 * The Plan counts passwords, social sign-ins and second factors among the users the import will
 * send: a user left out by choice, ruled out as invalid or merged into a duplicate is not one of
 * them (their counts would promise resets and re-enrolments that never happen).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SourceUser } from '../../src/providers/types.js';
import { Journal } from '../../src/services/journal/journal.js';
import { planOf } from '../../src/services/migration.js';
import { planLines } from '../../src/services/run/plan-lines.js';
import { tempDir } from '../helpers.js';

const BCRYPT = '$2b$10$abcdefghijklmnopqrstuu0123456789012345678901234567890';

describe('planOf', () => {
  it('counts hashes, resets, social providers and MFA among the users to import only', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), {
      version: 1,
      source: { kind: 'file', options: { path: '/tmp/x.csv' } },
      workos: { apiKeyEnv: 'WORKOS_API_KEY' },
      createdAt: new Date().toISOString(),
    });
    const user = (id: string, extra: Partial<SourceUser> = {}): SourceUser => ({ sourceId: id, email: `${id}@example.com`, ...extra });
    journal.stageBatch({
      users: [
        user('kept', { passwordHash: BCRYPT, passwordHashType: 'bcrypt' }),
        user('social', { socialProviders: ['google'], mfa: { sms: true } }),
        user('blocked', { passwordHash: BCRYPT, passwordHashType: 'bcrypt', socialProviders: ['github'], mfa: { totp: true } }),
        user('blocked-nopw'),
        user('dup', { email: 'KEPT@example.com' }),
      ],
      invalid: [
        { kind: 'user', sourceId: 'blocked', reason: 'blocked in the source', byChoice: true },
        { kind: 'user', sourceId: 'blocked-nopw', reason: 'blocked in the source', byChoice: true },
      ],
      cursor: { source: 'file', cursor: '1', done: 5, unit: 'rows' },
    });
    expect(journal.finalizeStaging().duplicateEmails).toBe(1);
    const plan = planOf(journal);
    expect(plan.leftOut).toBe(2);
    expect(plan.duplicates).toBe(1);
    expect(plan.hashTypes).toEqual([{ type: 'bcrypt', users: 1 }]);
    // Only "social" will sign in without a password: the left-out and merged users are not reset.
    expect(plan.withoutPassword).toBe(1);
    expect(plan.socialProviders).toEqual([{ provider: 'google', users: 1 }]);
    expect(plan.mfa).toEqual({ sms: 1, totp: 0 });
    journal.close();
  });

  it('says which invited members active cannot carry: invitations of emails with no user', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), {
      version: 1,
      source: { kind: 'better-auth', options: {} },
      workos: { apiKeyEnv: 'WORKOS_API_KEY' },
      createdAt: new Date().toISOString(),
    });
    journal.stageBatch({
      organizations: [{ sourceId: 'o1', name: 'Org', domains: [] }],
      users: [{ sourceId: 'u1', email: 'u1@example.com' }],
      memberships: [
        { userSourceId: 'u1', orgSourceId: 'o1', roles: ['member'], status: 'invited' },
        { userSourceId: 'invitation:new@example.com', orgSourceId: 'o1', roles: ['member'], status: 'invited', inviteEmail: 'new@example.com' },
      ],
    });
    journal.finalizeStaging();
    const line = (choice: 'skip' | 'active' | 'invite') => {
      journal.updateSettings({ invitedMembers: choice });
      return planLines(planOf(journal), { keys: false }).find((l) => l.id === 'invited')?.text;
    };
    expect(planOf(journal).invited).toMatchObject({ invited: 2, withoutUser: 1 });
    expect(line('skip')).toBe('2 members only invited in the source: listed, not imported');
    expect(line('active')).toBe('2 members only invited in the source: 1 imported as active members; 1 with no user there listed (only an invitation carries them)');
    expect(line('invite')).toBe('2 members only invited in the source: sent a WorkOS invitation');
    journal.close();
  });
});
