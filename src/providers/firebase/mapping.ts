/**
 * One Firebase user (the auth:export JSON shape; CSV rows are turned into it) -> the normalized
 * records. Pure functions.
 *
 * - `localId` is the source id (the WorkOS externalId); `displayName` split at its last space.
 * - `passwordHash` + `salt` -> WorkOS `firebase-scrypt` (hash.ts), the signer key by reference.
 * - `providerUserInfo`: each social provider counted (google.com -> google); `password` is the
 *   email/password sign-in; phone and SAML/OIDC sign-ins cannot move as they are: warnings.
 * - `mfaInfo`: phone factors -> mfa.sms, TOTP ones -> mfa.totp (Firebase never exports the
 *   secret); each listed for re-enrolment.
 * - `disabled`: the operator's choice (`skip`, the default, leaves them out; `import`).
 * - `customAttributes` (a JSON text) into metadata through the one flattening every source uses;
 *   text that is not JSON is a warning naming the user and line.
 */
import { splitFullName } from '../../services/mapping/index.js';
import { droppedMetadataMessage, toWorkosMetadata } from '../stytch/metadata.js';
import type { SourceIssue, SourceMembership, SourceUser } from '../types.js';
import { firebasePhc, type FirebaseHashConfig } from './hash.js';
import type { OrganizationsFile, OrgRow } from './organizations.js';

export type DisabledChoice = 'skip' | 'import';

/** The keys of an exported user this source reads; any other is listed as not carried. */
const READ = new Set(['localId', 'email', 'emailVerified', 'passwordHash', 'salt', 'displayName', 'disabled', 'customAttributes', 'providerUserInfo', 'mfaInfo']);

/** Why the keys WorkOS has no place for are not carried (named once in the plan and the summary). */
export const NOT_CARRIED: Record<string, string> = {
  photoUrl: 'WorkOS users are created without a profile picture: keep the URL in your application if you need it',
  phoneNumber: 'WorkOS users have no phone number: keep it in your application (users who sign in with their phone only are listed)',
  createdAt: 'WorkOS sets its own creation time',
  lastSignedInAt: 'WorkOS records sign-ins from the first one there',
  lastLoginAt: 'WorkOS records sign-ins from the first one there',
  passwordUpdatedAt: 'WorkOS keeps no password age',
  validSince: 'sessions do not move: users sign in again in WorkOS',
  tenantId: 'Identity Platform tenants do not map to WorkOS by themselves: assign organizations with --firebase-organizations',
};

export interface UserContext {
  /** The hash parameters less the signer key (staged by reference to `signerEnv`). */
  hash: Pick<FirebaseHashConfig, 'saltSeparator' | 'rounds' | 'memCost'>;
  signerEnv: string;
  disabled: DisabledChoice;
  organizations?: OrganizationsFile;
  /** Rows of the organizations file taken so far (by line), to report the ones no user took. */
  matched?: Set<number>;
}

export interface MappedUser {
  user?: SourceUser;
  memberships: SourceMembership[];
  issues: SourceIssue[];
  /** Set when the user is disabled and the choice is skip: staged, then left out with this reason. */
  leftOut?: string;
  /** Keys of this record that are not read. */
  unread: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const SOCIAL_NAME: Record<string, string> = { 'google.com': 'google', 'facebook.com': 'facebook', 'github.com': 'github', 'twitter.com': 'twitter', 'apple.com': 'apple', 'microsoft.com': 'microsoft', 'yahoo.com': 'yahoo' };

export function mapFirebaseUser(raw: unknown, where: string, ctx: UserContext): MappedUser {
  const issues: SourceIssue[] = [];
  const none = (message: string, field?: string, sourceId?: string): MappedUser => ({
    memberships: [],
    issues: [{ location: where, field, severity: 'error', recordKind: 'user', sourceId, message }],
    unread: [],
  });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return none('not a user object; it is not imported. Check that the file is the one `firebase auth:export` wrote.');
  const r = raw as Record<string, unknown>;
  if (typeof r.__problem === 'string') return none(`${r.__problem}; this row is not imported.`);
  const id = str(r.localId);
  if (!id) return none('a user without localId (the UID); it is not imported. Check that the file is the one `firebase auth:export` wrote.', 'localId');
  const at = `firebase user ${id} (${where})`;
  const warn = (field: string, message: string) => issues.push({ location: at, field, severity: 'warning', recordKind: 'user', sourceId: id, message });
  const email = str(r.email);
  if (!email) {
    const how = str(r.phoneNumber) ? 'signs in with a phone number only' : Array.isArray(r.providerUserInfo) && r.providerUserInfo.length ? 'has no email on its Firebase record' : 'is anonymous or has no email';
    return { memberships: [], issues: [{ location: at, field: 'email', severity: 'error', recordKind: 'user', sourceId: id, message: `the user ${how}; WorkOS users need an email address. Not imported: give the user an email in Firebase and export again, or let them sign up.` }], unread: [] };
  }
  const user: SourceUser = { sourceId: id, email, emailVerified: r.emailVerified === true || r.emailVerified === 'true', origin: at };
  const full = str(r.displayName);
  if (full && full.toLowerCase() !== email.toLowerCase()) Object.assign(user, splitFullName(full));

  // The password.
  const passwordHash = str(r.passwordHash);
  if (passwordHash) {
    const phc = firebasePhc(passwordHash, str(r.salt), ctx.hash, ctx.signerEnv);
    if ('phc' in phc) {
      user.passwordHash = phc.phc;
      user.passwordHashType = 'firebase-scrypt';
    } else warn('passwordHash', `${email}: ${phc.problem}; imported without a password (a password reset). Check the export: firebase-tools writes both in base64.`);
  }

  // Sign-in providers.
  const social = new Set<string>();
  for (const p of Array.isArray(r.providerUserInfo) ? (r.providerUserInfo as Record<string, unknown>[]) : []) {
    const providerId = str(p?.providerId) ?? '';
    if (!providerId || providerId === 'password') continue;
    if (providerId === 'phone') warn('providerUserInfo', `${email} also signs in with a phone number (${providerId}); WorkOS has no phone sign-in: they use their email there.`);
    else if (/^(saml|oidc)\./.test(providerId)) {
      warn('sso', `${email} signs in through the enterprise provider ${providerId}; it cannot move as a password. Set that connection up in WorkOS (SSO, through an Admin Portal link for its organization's IT admin): the user is linked by email at their first SSO sign-in.`);
    } else social.add(SOCIAL_NAME[providerId] ?? providerId.replace(/\.com$/, ''));
  }
  if (social.size) user.socialProviders = [...social].sort();

  // Second factors: Firebase exports none of their secrets.
  let sms = false;
  let totp = false;
  for (const m of Array.isArray(r.mfaInfo) ? (r.mfaInfo as Record<string, unknown>[]) : []) {
    if (m?.phoneInfo !== undefined) sms = true;
    else if (m?.totpInfo !== undefined) totp = true;
  }
  if (sms || totp) {
    user.mfa = { ...(sms ? { sms: true } : {}), ...(totp ? { totp: true } : {}) };
    if (sms) warn('mfa', `${email} uses SMS codes as a second factor; WorkOS has no SMS MFA: after the switch they enroll an authenticator app (TOTP) or use Magic Auth. Tell them before the cut-over.`);
    if (totp) warn('mfa', `${email} has an authenticator app (TOTP) enrolled in Firebase, whose secret Firebase does not export: they enroll it again in WorkOS.`);
  }

  // customAttributes: a JSON text (the custom claims).
  const claims = r.customAttributes;
  if (typeof claims === 'string' && claims.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(claims);
    } catch (error) {
      warn('customAttributes', `${email}: customAttributes is not valid JSON (${(error as Error).message}); not carried into metadata. Fix the custom claims in Firebase (or this line of the export) and run again if they matter.`);
    }
    if (parsed !== undefined) {
      const { metadata, dropped } = toWorkosMetadata({}, [{ label: 'customAttributes', value: parsed }]);
      if (metadata) user.metadata = metadata;
      for (const d of dropped) warn(`metadata.${d.key}`, droppedMetadataMessage(d));
    }
  }

  // Organizations from the operator's file: by uid, then by email.
  const memberships: SourceMembership[] = [];
  const orgs = ctx.organizations;
  if (orgs) {
    const rows: OrgRow[] = [...(orgs.byUid.get(id) ?? []), ...(orgs.byEmail.get(email.toLowerCase()) ?? [])];
    const byOrg = new Map<string, SourceMembership>();
    for (const row of rows) {
      ctx.matched?.add(row.line);
      const m = byOrg.get(row.orgId);
      if (m) m.roles = [...new Set([...m.roles, ...row.roles])];
      else byOrg.set(row.orgId, { userSourceId: id, orgSourceId: row.orgId, roles: row.roles, origin: `${orgs.file}:${row.line}` });
    }
    memberships.push(...byOrg.values());
  }

  const unread = Object.keys(r).filter((k) => !READ.has(k));
  if (r.disabled === true || r.disabled === 'true') {
    if (ctx.disabled === 'skip') {
      return { user, memberships, issues, unread, leftOut: 'disabled in Firebase: not imported (--firebase-disabled skip, the default). Pass --firebase-disabled import to import disabled users too.' };
    }
    warn('disabled', `${email} is disabled in Firebase and is imported (--firebase-disabled import) as an ordinary WorkOS user: block them in your application if they must stay locked out.`);
  }
  return { user, memberships, issues, unread };
}
