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
});
