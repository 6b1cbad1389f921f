/**
 * Cognito users (as ListUsers and ListUsersInGroup answer them) -> the normalized source records.
 * Pure functions.
 *
 * - The source id is the `sub` attribute (stable, unique, never reused): it becomes the WorkOS
 *   externalId. The Username (the sign-in name, `google_1234` for a federated user) is kept in
 *   metadata as `cognito_username` where it differs, for the lazy-migration module and the app.
 * - email, email_verified ("true"/"false"), given_name, family_name (else `name` split) map to
 *   the user; every other attribute, `custom:*` included, goes into metadata through the one
 *   flattening every source uses; each key left out is a warning.
 * - No password hash ever leaves Cognito: users are created without one (the provider says so
 *   once, up front). UserStatus: EXTERNAL_PROVIDER users sign in through the provider in their
 *   `identities` attribute (a social one counted per provider; SAML / OIDC an SSO warning);
 *   FORCE_CHANGE_PASSWORD (never signed in, temporary password) and RESET_REQUIRED are warned.
 * - Disabled users (Enabled = false) follow the operator's choice (skip, the default, or import).
 */
import { splitFullName } from '../../services/mapping/index.js';
import type { SourceIssue, SourceUser } from '../types.js';
import { droppedMetadataMessage, toWorkosMetadata } from '../stytch/metadata.js';

export type DisabledChoice = 'skip' | 'import';

export interface CognitoUserRecord {
  Username?: string;
  Attributes?: { Name?: string; Value?: string }[];
  Enabled?: boolean;
  UserStatus?: string;
}

/** Cognito's built-in social providers -> the names WorkOS (and the plan) use. */
const SOCIAL: Record<string, string> = { Google: 'google', Facebook: 'facebook', SignInWithApple: 'apple', LoginWithAmazon: 'amazon' };

/** Attributes read into the user's own fields, not copied into metadata. */
const OWN = new Set(['sub', 'email', 'email_verified', 'given_name', 'family_name', 'identities']);

export const USERNAME_KEY = 'cognito_username';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function attributeMap(user: CognitoUserRecord): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const a of user.Attributes ?? []) if (a?.Name && typeof a.Value === 'string') out[a.Name] = a.Value;
  return out;
}

/** The `sub` of a user as ListUsersInGroup answers it (the same shape as ListUsers). */
export const subOf = (user: CognitoUserRecord): string | undefined => str(attributeMap(user).sub);

export interface MappedUser {
  user?: SourceUser;
  issues: SourceIssue[];
  /** Set when the user is disabled and the choice is skip: staged, then marked skipped with this reason. */
  skipReason?: string;
}

interface Identity {
  providerName?: string;
  providerType?: string;
}

export function mapCognitoUser(raw: CognitoUserRecord, poolId: string, disabled: DisabledChoice): MappedUser {
  const issues: SourceIssue[] = [];
  const attrs = attributeMap(raw);
  const username = str(raw.Username);
  const sub = str(attrs.sub);
  if (!sub) {
    issues.push({
      location: `cognito user ${username ?? '(no username)'} in ${poolId}`,
      field: 'sub',
      severity: 'error',
      recordKind: 'user',
      message: 'the user has no sub attribute (the stable id WorkOS keeps as its external id); not imported. Check that the IAM policy lets ListUsers read every attribute.',
    });
    return { issues };
  }
  const where = `cognito user ${username ?? sub}`;
  const warn = (field: string, message: string) => issues.push({ location: where, field, severity: 'warning', recordKind: 'user', sourceId: sub, message });
  const email = str(attrs.email);
  if (!email) {
    issues.push({
      location: where,
      field: 'email',
      severity: 'error',
      recordKind: 'user',
      sourceId: sub,
      message: `the user has no email address${attrs.phone_number ? ' (signs in with a phone number)' : ''}; WorkOS users need one. Not imported: add an email in Cognito and run again, or create them in WorkOS yourself.`,
    });
    return { issues };
  }
  let firstName = str(attrs.given_name);
  let lastName = str(attrs.family_name);
  const own: Record<string, string> = {};
  const full = str(attrs.name);
  if (!firstName && !lastName && full) ({ firstName, lastName } = splitFullName(full));
  // `name` used for the names is not repeated in metadata; otherwise it is kept there.
  const rest = Object.fromEntries(Object.entries(attrs).filter(([k]) => !OWN.has(k) && !(k === 'name' && full && (firstName || lastName) && !attrs.given_name && !attrs.family_name)));
  if (username && username !== sub) own[USERNAME_KEY] = username;
  const user: SourceUser = { sourceId: sub, email, firstName, lastName, emailVerified: attrs.email_verified?.trim().toLowerCase() === 'true', origin: where };

  const { metadata, dropped } = toWorkosMetadata(own, [{ label: 'attributes', value: rest }]);
  user.metadata = metadata;
  for (const d of dropped) {
    warn(`metadata.${d.key}`, droppedMetadataMessage(d));
  }

  let identities: Identity[] = [];
  if (attrs.identities) {
    try {
      const parsed = JSON.parse(attrs.identities) as unknown;
      if (Array.isArray(parsed)) identities = parsed as Identity[];
    } catch {
      warn('identities', `the identities attribute is not JSON; the user's sign-in provider is unknown. Check the user in the Cognito console.`);
    }
  }
  const social = new Set<string>();
  for (const identity of identities) {
    const type = identity?.providerType ?? '';
    if (SOCIAL[type]) social.add(SOCIAL[type]);
    else if (type === 'SAML' || type === 'OIDC') {
      warn(
        'sso',
        `${email} signs in through ${identity.providerName ?? type} (${type} federation in Cognito); it cannot move as a password. Set that identity provider up again in WorkOS (SSO, through an Admin Portal link for its organization's IT admin): the user is imported and linked by email at their first SSO sign-in.`,
      );
    }
  }
  if (social.size) user.socialProviders = [...social];

  switch (raw.UserStatus) {
    case 'FORCE_CHANGE_PASSWORD':
      warn('password', `${email} was created by an administrator and never replaced the temporary password: there is no password to carry. Send them a WorkOS invitation or a password reset (they are in password-resets.csv).`);
      break;
    case 'RESET_REQUIRED':
      warn('password', `${email} was told by Cognito to reset their password and has not: they reset it in WorkOS instead (they are in password-resets.csv).`);
      break;
    case 'COMPROMISED':
      warn('password', `Cognito marks ${email}'s password as compromised: make sure they reset it in WorkOS (they are in password-resets.csv).`);
      break;
  }

  if (raw.Enabled === false) {
    if (disabled === 'skip') {
      return { user, issues, skipReason: 'disabled in Cognito: not imported (--cognito-disabled skip, the default). Pass --cognito-disabled import to import disabled users too.' };
    }
    warn('disabled', `${email} is disabled in Cognito and is imported (--cognito-disabled import) as an ordinary WorkOS user: block them in your application if they must stay locked out.`);
  }
  return { user, issues };
}
