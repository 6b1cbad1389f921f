/**
 * Clerk records -> the normalized source records. Pure functions.
 *
 * - A user's source id is its Clerk `user_...` id: memberships name users by it, and it becomes
 *   the WorkOS externalId.
 * - Email: the primary address, verified when Clerk verified it (an unverified primary arrives
 *   unverified). WorkOS keeps one email per user: any other address is listed in a warning.
 * - Passwords: only the Dashboard CSV export carries `password_digest` (never the Backend API).
 *   `password_hasher = bcrypt` moves as WorkOS `bcrypt`; any other hasher (argon2id, md5,
 *   scrypt_werkzeug...) keeps its name as the type, without the digest, so the plan says why the
 *   user resets. API users with a password are told to come with the export.
 * - TOTP: the export's `totp_secret` is enrolled as a WorkOS factor; from the API only the fact
 *   (`totp_enabled`) is known: a re-enrolment. SMS second factors and backup codes re-enrol.
 * - Metadata (API only): public_metadata as is, private_metadata under `private.`, unsafe_metadata
 *   (users write it themselves) under `unsafe.`; the username as `clerk_username`. One flattening
 *   for every source (toWorkosMetadata); each key that does not fit is a warning.
 * - Banned and locked users follow the operator's choice (skip, the default, or import).
 */
import { detectHashType } from '../../services/mapping/index.js';
import { droppedMetadataMessage, toWorkosMetadata, type MetadataSource } from '../stytch/metadata.js';
import type { SourceIssue, SourceMembership, SourceOrganization, SourceRole, SourceUser } from '../types.js';

export type BannedChoice = 'skip' | 'import';

export interface MappedUser {
  user?: SourceUser;
  issues: SourceIssue[];
  /** Set when the user is banned or locked and the choice is skip: staged, then left out with this reason. */
  leftOut?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** `oauth_google` -> `google`, as the plan counts social providers. */
const socialName = (provider: string) => provider.replace(/^oauth_/, '').replace(/^custom_/, '').toLowerCase();

interface Common {
  id: string;
  where: string;
  firstName?: string;
  lastName?: string;
  username?: string;
  email: string;
  verified: boolean;
  /** Other addresses than the primary one. */
  otherVerified: string[];
  otherUnverified: string[];
  phones: string[];
  metadata: MetadataSource[];
}

function buildUser(c: Common, issues: SourceIssue[]): SourceUser {
  const warn = (field: string, message: string) => issues.push({ location: c.where, field, severity: 'warning', recordKind: 'user', sourceId: c.id, message });
  const user: SourceUser = { sourceId: c.id, email: c.email, firstName: c.firstName, lastName: c.lastName, emailVerified: c.verified, origin: c.where };
  if (c.otherVerified.length || c.otherUnverified.length) {
    const list = [...c.otherVerified.map((e) => `${e} (verified)`), ...c.otherUnverified.map((e) => `${e} (unverified)`)].join(', ');
    warn('email', `WorkOS keeps one email address per user: the primary ${c.email} is imported, ${list} ${c.otherVerified.length + c.otherUnverified.length === 1 ? 'is' : 'are'} not. Keep them in your application if it needs them.`);
  }
  if (c.phones.length) warn('phone', `phone number${c.phones.length > 1 ? 's' : ''} ${c.phones.join(', ')} ${c.phones.length > 1 ? 'are' : 'is'} not carried: WorkOS users have no phone number.`);
  const { metadata, dropped } = toWorkosMetadata(c.username ? { clerk_username: c.username } : {}, c.metadata);
  user.metadata = metadata;
  for (const d of dropped) {
    warn(`metadata.${d.key}`, droppedMetadataMessage(d));
  }
  return user;
}

function bannedCheck(banned: boolean, locked: boolean, email: string, choice: BannedChoice, warn: (field: string, message: string) => void): string | undefined {
  if (!banned && !locked) return undefined;
  const what = banned && locked ? 'banned and locked' : banned ? 'banned' : 'locked';
  if (choice === 'skip') return `${what} in Clerk: not imported (--clerk-banned skip, the default). Pass --clerk-banned import to import banned and locked users too.`;
  warn('banned', `${email} is ${what} in Clerk and is imported (--clerk-banned import) as an ordinary WorkOS user: block them in your application if they must stay out.`);
  return undefined;
}

interface ApiEmail {
  id?: string;
  email_address?: string;
  verification?: { status?: string } | null;
}

/** One user of GET /v1/users. */
export function mapApiUser(raw: Record<string, unknown>, banned: BannedChoice): MappedUser {
  const issues: SourceIssue[] = [];
  const id = str(raw.id);
  if (!id) return { issues: [{ location: 'clerk users', field: 'id', severity: 'error', recordKind: 'user', message: 'a user without an id in the Backend API answer; not imported.' }] };
  const where = `clerk user ${id}`;
  const warn = (field: string, message: string) => issues.push({ location: where, field, severity: 'warning', recordKind: 'user', sourceId: id, message });
  const emails = (Array.isArray(raw.email_addresses) ? raw.email_addresses : []) as ApiEmail[];
  const primary = emails.find((e) => e.id && e.id === raw.primary_email_address_id) ?? emails.find((e) => e.verification?.status === 'verified') ?? emails[0];
  const email = str(primary?.email_address);
  if (!email) {
    issues.push({ location: where, field: 'email', severity: 'error', recordKind: 'user', sourceId: id, message: 'the user has no email address (a phone or username sign-up); WorkOS users need one. Not imported: add an email in Clerk and export again, or create them in WorkOS by hand.' });
    return { issues };
  }
  const others = emails.filter((e) => e !== primary && str(e.email_address));
  const phones = ((Array.isArray(raw.phone_numbers) ? raw.phone_numbers : []) as { phone_number?: string; reserved_for_second_factor?: boolean }[]);
  const user = buildUser(
    {
      id,
      where,
      email,
      firstName: str(raw.first_name),
      lastName: str(raw.last_name),
      username: str(raw.username),
      verified: primary?.verification?.status === 'verified',
      otherVerified: others.filter((e) => e.verification?.status === 'verified').map((e) => e.email_address!.trim()),
      otherUnverified: others.filter((e) => e.verification?.status !== 'verified').map((e) => e.email_address!.trim()),
      phones: phones.map((p) => str(p.phone_number)).filter((p): p is string => !!p),
      metadata: [
        { label: 'public_metadata', value: raw.public_metadata },
        { label: 'private_metadata', value: raw.private_metadata, prefix: 'private.' },
        { label: 'unsafe_metadata', value: raw.unsafe_metadata, prefix: 'unsafe.' },
      ],
    },
    issues,
  );
  const social = new Set<string>();
  for (const a of (Array.isArray(raw.external_accounts) ? raw.external_accounts : []) as { provider?: string }[]) if (str(a.provider)) social.add(socialName(a.provider!));
  if (social.size) user.socialProviders = [...social];
  if (raw.password_enabled === true) {
    warn('passwordHash', `${email} has a password in Clerk; the Backend API never returns digests: pass the Dashboard export (--clerk-export FILE) to carry it, else the user resets the password.`);
  }
  const sms = phones.some((p) => p.reserved_for_second_factor === true);
  if (raw.totp_enabled === true || sms) user.mfa = { ...(sms ? { sms: true } : {}), ...(raw.totp_enabled === true ? { totp: true } : {}) };
  if (raw.totp_enabled === true) warn('mfa', `${email} uses an authenticator app (TOTP); the Backend API never returns TOTP secrets: pass the Dashboard export (--clerk-export FILE) to carry it, else they enrol again in WorkOS.`);
  if (sms) warn('mfa', `${email} uses SMS codes as a second factor; WorkOS has no SMS MFA: after the switch they enrol an authenticator app (TOTP) or use Magic Auth. Tell them before the cut-over.`);
  if (raw.backup_code_enabled === true) warn('mfa', `${email} has Clerk backup codes; no export carries them: they get new ones when they set up MFA in WorkOS.`);
  const leftOut = bannedCheck(raw.banned === true, raw.locked === true, email, banned, warn);
  return { user, issues, leftOut };
}

/** A list cell of the Dashboard export: addresses separated by `|` (or `,`, `;`, spaces). */
export const listCell = (v: string | undefined): string[] => (v ?? '').split(/[|,;\s]+/).map((s) => s.trim()).filter(Boolean);

/** One row of the Dashboard CSV export (columns by name). */
export function mapCsvRow(row: Record<string, string | undefined>, location: string): MappedUser {
  const issues: SourceIssue[] = [];
  const id = str(row.id);
  if (!id) return { issues: [{ location, field: 'id', severity: 'error', recordKind: 'user', message: 'the id cell is empty; every row of the Clerk export has the user id (user_...). This row is not imported: check that the file is the export as the Dashboard gave it.' }] };
  const where = `${location} (${id})`;
  const warn = (field: string, message: string) => issues.push({ location: where, field, severity: 'warning', recordKind: 'user', sourceId: id, message });
  const verified = listCell(row.verified_email_addresses);
  const unverified = listCell(row.unverified_email_addresses);
  const email = str(row.primary_email_address) ?? verified[0];
  if (!email) {
    issues.push({ location: where, field: 'primary_email_address', severity: 'error', recordKind: 'user', sourceId: id, message: 'the user has no email address (a phone or username sign-up); WorkOS users need one. Not imported: add an email in Clerk and export again, or create them in WorkOS by hand.' });
    return { issues };
  }
  if (!str(row.primary_email_address)) warn('primary_email_address', `no primary email address; the first verified one, ${email}, is imported.`);
  const lower = email.toLowerCase();
  const isVerified = verified.some((e) => e.toLowerCase() === lower);
  const phones = [...new Set([str(row.primary_phone_number), ...listCell(row.verified_phone_numbers), ...listCell(row.unverified_phone_numbers)].filter((p): p is string => !!p))];
  const user = buildUser(
    {
      id,
      where,
      email,
      firstName: str(row.first_name),
      lastName: str(row.last_name),
      username: str(row.username),
      verified: isVerified,
      otherVerified: verified.filter((e) => e.toLowerCase() !== lower),
      otherUnverified: unverified.filter((e) => e.toLowerCase() !== lower),
      phones,
      metadata: [],
    },
    issues,
  );
  const digest = str(row.password_digest);
  const hasher = str(row.password_hasher)?.toLowerCase();
  if (digest) {
    if (!hasher || hasher === 'bcrypt') {
      if (detectHashType(digest) === 'bcrypt') {
        user.passwordHash = digest;
        user.passwordHashType = 'bcrypt';
      } else {
        user.passwordHashType = hasher ?? 'unknown';
        warn('password_digest', `${email}'s password_digest is not a bcrypt hash${hasher ? ' although password_hasher says bcrypt' : ''}; imported without a password (a password reset). Check that the file is the export as the Dashboard gave it.`);
      }
    } else {
      // The type stays (the plan counts the users per hasher); the digest is of no use to WorkOS.
      user.passwordHashType = hasher;
      warn('password_hasher', `${email}'s password was hashed by Clerk's ${hasher} hasher (a user Clerk imported who has not signed in since); only bcrypt digests move to WorkOS: imported without a password (a password reset).`);
    }
  } else if (hasher) warn('password_digest', `${email} has password_hasher ${hasher} but no password_digest; imported without a password (a password reset).`);
  const totp = str(row.totp_secret);
  if (totp) {
    const secret = totp.replace(/[\s-]/g, '').toUpperCase().replace(/=+$/, '');
    if (/^[A-Z2-7]{16,}$/.test(secret)) user.totpSecret = secret;
    else {
      user.mfa = { totp: true };
      warn('totp_secret', `${email}'s totp_secret is not a base32 secret (letters A-Z and digits 2-7); the second factor is not carried: they enrol again in WorkOS.`);
    }
  }
  return { user, issues };
}

/** One organization of GET /v1/organizations, with its domains (GET .../domains): verified ones stay verified. */
export function mapOrganization(raw: Record<string, unknown>, domains: Record<string, unknown>[] = []): { organization?: SourceOrganization; issues: SourceIssue[] } {
  const id = str(raw.id);
  if (!id) return { issues: [{ location: 'clerk organizations', field: 'id', severity: 'error', recordKind: 'organization', message: 'an organization without an id; not imported.' }] };
  const where = `clerk organization ${id}`;
  const own: Record<string, string> = {};
  if (str(raw.slug)) own.clerk_slug = str(raw.slug)!;
  const { metadata, dropped } = toWorkosMetadata(own, [
    { label: 'public_metadata', value: raw.public_metadata },
    { label: 'private_metadata', value: raw.private_metadata, prefix: 'private.' },
  ]);
  const issues: SourceIssue[] = dropped.map((d) => ({
    location: where,
    field: `metadata.${d.key}`,
    severity: 'warning' as const,
    recordKind: 'organization' as const,
    sourceId: id,
    message: `organization ${d.label} key "${d.key}" is not carried into WorkOS metadata: ${d.why}.`,
  }));
  const seen = new Set<string>();
  const list: SourceOrganization['domains'] = [];
  for (const d of domains) {
    const name = str(d.name)?.toLowerCase();
    if (!name || seen.has(name)) continue;
    seen.add(name);
    list.push({ domain: name, state: (d.verification as { status?: string } | null)?.status === 'verified' ? 'verified' : 'pending' });
  }
  return { organization: { sourceId: id, name: str(raw.name) ?? str(raw.slug) ?? id, domains: list, metadata, origin: where }, issues };
}

/** A pending invitation (GET .../invitations?status=pending): not carried, said with what to do. */
export function invitationIssue(raw: Record<string, unknown>, orgId: string, orgName?: string): SourceIssue {
  const email = str(raw.email_address) ?? '?';
  return {
    location: `clerk organization ${orgId} invitation ${str(raw.id) ?? '?'}`,
    field: 'invitation',
    severity: 'warning',
    recordKind: 'organization',
    sourceId: orgId,
    message: `${email} has a pending invitation to ${orgName ?? orgId}${str(raw.role) ? ` as ${str(raw.role)}` : ''} in Clerk; invitations do not move: send a WorkOS invitation after the import (userManagement.sendInvitation) if it still stands.`,
  };
}

/** One membership of GET /v1/organizations/{id}/memberships, with the role it names. */
export function mapMembership(raw: Record<string, unknown>, orgId: string): { membership?: SourceMembership; role?: SourceRole; issue?: SourceIssue } {
  const data = (raw.public_user_data ?? {}) as { user_id?: string };
  const userId = str(data.user_id);
  const role = str(raw.role);
  const where = `clerk organization ${orgId} membership ${str(raw.id) ?? '?'}`;
  if (!userId) return { issue: { location: where, field: 'public_user_data.user_id', severity: 'error', recordKind: 'membership', message: 'a membership without a user id; not imported.' } };
  return {
    membership: { userSourceId: userId, orgSourceId: orgId, roles: role ? [role] : [], sourceRef: str(raw.id), origin: where },
    ...(role ? { role: { slug: role, name: str(raw.role_name) } } : {}),
  };
}
