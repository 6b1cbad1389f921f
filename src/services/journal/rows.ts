/**
 * Users and memberships as the journal stores them: one small array of column values per record.
 * The export worker builds them, so the thread that writes SQLite only binds values (and
 * structured-cloning plain arrays is far cheaper than cloning keyed objects). Small arrays, not
 * one flat array per batch: large arrays live outside V8's young generation and linger.
 */
import type { SourceMembership, SourceUser } from '../../providers/types.js';

// A user row: source_id, email, email_norm, first_name, last_name, email_verified, password_hash,
// password_hash_type, metadata, social, mfa, origin, totp_secret. A membership row: user_source_id,
// org_source_id, roles (JSON), origin, status, source_ref, invite_email.
export type Cell = string | number | null;

const json = (value: unknown): string | null =>
  value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0) ? null : JSON.stringify(value);

export function userRows(users: readonly SourceUser[]): Cell[][] {
  return users.map((user) => {
    const email = user.email.trim();
    const totp = totpSecretOf(user.totpSecret);
    return [
      user.sourceId,
      email,
      email.toLowerCase(),
      user.firstName ?? null,
      user.lastName ?? null,
      user.emailVerified === undefined ? null : user.emailVerified ? 1 : 0,
      user.passwordHash ?? null,
      user.passwordHashType ?? null,
      json(user.metadata),
      user.socialProviders?.length ? JSON.stringify(user.socialProviders) : null,
      json(totp ? withoutTotp(user.mfa) : user.mfa),
      user.origin ?? null,
      totp,
    ];
  });
}

/**
 * A TOTP secret as WorkOS takes it: base32 is case-insensitive and authenticator apps show it in
 * groups, so spaces and dashes go and letters are upper case. Null when there is none.
 */
export function totpSecretOf(secret: string | undefined | null): string | null {
  const clean = secret?.replace(/[\s-]/g, '').toUpperCase();
  return clean ? clean : null;
}

/** A TOTP carried over is not one to re-enroll: `mfa.totp` says "needs re-enrolment". */
function withoutTotp(mfa: SourceUser['mfa']): SourceUser['mfa'] {
  if (!mfa?.totp) return mfa;
  const { totp: _carried, ...rest } = mfa;
  return rest;
}

export function membershipRows(memberships: readonly SourceMembership[]): Cell[][] {
  return memberships.map((m) => [
    m.userSourceId,
    m.orgSourceId,
    JSON.stringify(m.roles.length > 1 ? [...new Set(m.roles)] : m.roles),
    m.origin ?? null,
    m.status && m.status !== 'active' ? m.status : null,
    m.sourceRef ?? null,
    m.inviteEmail ?? null,
  ]);
}
