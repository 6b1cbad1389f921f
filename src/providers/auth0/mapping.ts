/**
 * Auth0 records -> the normalized source records. Pure functions.
 *
 * - A user's source id is its Auth0 `user_id` (`auth0|...`, `google-oauth2|...`): memberships
 *   name users by it, and it becomes the WorkOS externalId.
 * - Per connection (identities[]): database users (`auth0`) get their hash from the password
 *   file; social users (isSocial) are created without a password and counted per provider;
 *   enterprise users (SAML, OIDC, Azure AD, ...) are flagged for the SSO handoff (a warning).
 * - Blocked users follow the operator's choice (`skip`, the default, or `import`).
 * - app_metadata (trusted) and user_metadata (under `user.`: users can write it themselves)
 *   into WorkOS metadata, flattened; each dropped key a warning.
 * - Organizations: `display_name` -> WorkOS name (else `name`); `name` kept in metadata as
 *   `auth0_name`; the organization's metadata (string values) flattened beside it.
 * - Both field namings of a bulk export: the Management API's (user_id, email, given_name...) and
 *   the Import/Export extension's (Id, Email, Email Verified, Given Name, Family Name).
 */
import { splitFullName } from '../../services/mapping/index.js';
import type { SourceIssue, SourceOrganization, SourceUser } from '../types.js';
import { droppedMetadataMessage, toWorkosMetadata } from '../stytch/metadata.js';
import type { MfaEntry, PasswordFile, PasswordRow } from './files.js';

export const USER_METADATA_PREFIX = 'user.';

export type BlockedChoice = 'skip' | 'import';

const ENTERPRISE = new Set(['samlp', 'oidc', 'waad', 'adfs', 'okta', 'google-apps', 'pingfederate', 'ad', 'auth0-adldap', 'office365', 'ip']);
const SOCIAL_NAME: Record<string, string> = { 'google-oauth2': 'google', windowslive: 'microsoft', github: 'github', apple: 'apple', linkedin: 'linkedin', facebook: 'facebook', gitlab: 'gitlab' };

export const isEnterpriseStrategy = (strategy: string | undefined): boolean => !!strategy && ENTERPRISE.has(strategy);

interface Identity {
  provider?: string;
  connection?: string;
  isSocial?: boolean;
  user_id?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);

export interface UserContext {
  passwords?: PasswordFile;
  mfa?: Map<string, MfaEntry>;
  blocked: BlockedChoice;
  /** Password rows matched so far (by user id), to report the rows no exported user took. */
  matched?: Set<string>;
}

export interface MappedUser {
  user?: SourceUser;
  issues: SourceIssue[];
  /** Set when the user is blocked and the choice is skip: staged, then marked skipped with this reason. */
  skipReason?: string;
}

/** One line of the bulk export (either naming). */
export function mapExportUser(raw: Record<string, unknown>, line: string, ctx: UserContext): MappedUser {
  const issues: SourceIssue[] = [];
  const id = str(raw.user_id) ?? str(raw.Id) ?? str(raw.id);
  if (!id) {
    issues.push({ location: line, field: 'user_id', severity: 'error', recordKind: 'user', message: 'a user without user_id (or Id); not imported. Check that the export requested the user_id field.' });
    return { issues };
  }
  const where = `auth0 user ${id} (${line})`;
  const warn = (field: string, message: string) => issues.push({ location: where, field, severity: 'warning', recordKind: 'user', sourceId: id, message });
  const email = str(raw.email) ?? str(raw.Email);
  if (!email) {
    issues.push({ location: where, field: 'email', severity: 'error', recordKind: 'user', sourceId: id, message: 'user has no email address (a phone or username-only user); WorkOS users need one. Not imported.' });
    return { issues };
  }
  let firstName = str(raw.given_name) ?? str(raw['Given Name']);
  let lastName = str(raw.family_name) ?? str(raw['Family Name']);
  if (!firstName && !lastName) {
    const full = str(raw.name) ?? str(raw.Name);
    // Auth0 fills `name` with the email when none is given: not a name.
    if (full && full.toLowerCase() !== email.toLowerCase() && !full.includes('@')) ({ firstName, lastName } = splitFullName(full));
  }
  const user: SourceUser = { sourceId: id, email, firstName, lastName, emailVerified: bool(raw.email_verified) ?? bool(raw['Email Verified']) ?? false, origin: where };

  const identities: Identity[] = Array.isArray(raw.identities) ? (raw.identities as Identity[]) : [{ provider: id.slice(0, id.indexOf('|')), connection: str(raw.Connection) }];
  let social: Set<string> | undefined;
  let database = false;
  for (const identity of identities) {
    const provider = identity?.provider ?? '';
    if (identity?.isSocial === true || SOCIAL_NAME[provider]) (social ??= new Set()).add(SOCIAL_NAME[provider] ?? provider);
    else if (provider === 'auth0') database = true;
    else if (isEnterpriseStrategy(provider)) {
      warn(
        'sso',
        `${email} signs in through the enterprise connection ${identity.connection ?? provider} (${provider}); it cannot move as a password. Set that connection up again in WorkOS (SSO, through an Admin Portal link for its organization's IT admin): the user is imported and is linked by email at their first SSO sign-in.`,
      );
    }
  }
  if (social) user.socialProviders = [...social];

  // Password: by user id, else by email (a warning: the ids did not match).
  let row: PasswordRow | undefined = ctx.passwords?.byId.get(id);
  if (!row && ctx.passwords) {
    const byEmail = ctx.passwords.byEmail.get(email.toLowerCase());
    if (byEmail && !ctx.passwords.byId.has(id)) {
      row = byEmail;
      warn('passwordHash', `the password export has no row for ${id}; the row of ${byEmail.userId} (line ${byEmail.line}) has the same email and was used. Check that it is the same person.`);
    }
  }
  if (row) {
    ctx.matched?.add(row.userId);
    user.passwordHash = row.hash;
    user.passwordHashType = /^\$2[abxy]\$/.test(row.hash) ? 'bcrypt' : 'unknown';
  } else if (database && ctx.passwords) {
    warn('passwordHash', `${email} is a database user but the password export has no row for them: imported without a password (a password reset).`);
  }

  const mfa = ctx.mfa?.get(id);
  if (mfa) {
    if (mfa.totpSecret) user.totpSecret = mfa.totpSecret;
    if (mfa.sms) {
      user.mfa = { sms: true };
      warn('mfa', `${email} uses SMS (or voice) codes as a second factor; WorkOS has no SMS MFA: after the switch they re-enroll with an authenticator app (TOTP) or use Magic Auth. Tell them before the cut-over.`);
    }
    if (mfa.webauthn) warn('mfa', `${email} has a security key or passkey (WebAuthn) enrolled in Auth0; it cannot be moved: they enroll it again in WorkOS.`);
    if (mfa.recoveryCode) warn('mfa', `${email} has an Auth0 recovery code; recovery codes cannot be moved: they get new ones when they set up MFA in WorkOS.`);
    if (mfa.other?.length) warn('mfa', `${email} has Auth0 ${mfa.other.join(', ')} enrollment(s) that cannot be moved; they re-enroll in WorkOS.`);
  }

  const { metadata, dropped } = toWorkosMetadata({}, [
    { label: 'app_metadata', value: raw.app_metadata },
    { label: 'user_metadata', value: raw.user_metadata, prefix: USER_METADATA_PREFIX },
  ]);
  user.metadata = metadata;
  for (const d of dropped) warn(`metadata.${d.key}`, droppedMetadataMessage(d));

  const blocked = bool(raw.blocked) ?? bool(raw.Blocked) ?? false;
  if (blocked) {
    if (ctx.blocked === 'skip') {
      return { user, issues, skipReason: 'blocked in Auth0: not imported (--auth0-blocked skip, the default). Pass --auth0-blocked import to import blocked users too.' };
    }
    warn('blocked', `${email} is blocked in Auth0 and is imported (--auth0-blocked import) as an ordinary WorkOS user: block them in your application if they must stay locked out.`);
  }
  return { user, issues };
}

export interface Auth0Organization {
  id?: string;
  name?: string;
  display_name?: string;
  metadata?: Record<string, unknown> | null;
}

export function mapOrganization(org: Auth0Organization): { organization?: SourceOrganization; issues: SourceIssue[] } {
  const id = org.id;
  if (!id) return { issues: [{ location: 'auth0 organizations', severity: 'error', recordKind: 'organization', message: 'an organization without an id; not imported.' }] };
  const where = `auth0 organization ${id}`;
  const own: Record<string, string> = {};
  if (org.name) own.auth0_name = org.name;
  const { metadata, dropped } = toWorkosMetadata(own, [{ label: 'metadata', value: org.metadata }]);
  const issues: SourceIssue[] = dropped.map((d) => ({
    location: where,
    field: `metadata.${d.key}`,
    severity: 'warning' as const,
    recordKind: 'organization' as const,
    sourceId: id,
    message: `organization metadata key "${d.key}" is not carried into WorkOS metadata: ${d.why}.`,
  }));
  return { organization: { sourceId: id, name: org.display_name?.trim() || org.name || id, domains: [], metadata, origin: where }, issues };
}
