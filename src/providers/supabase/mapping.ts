/**
 * Supabase `auth.users` rows (with their `auth.identities` and `auth.mfa_factors`) -> the
 * normalized source records. Pure functions.
 *
 * - A user per row, its uuid the externalId; `email_confirmed_at` set -> verified; the name from
 *   `raw_user_meta_data` (first_name/last_name, given_name/family_name, else full_name/name split).
 * - `encrypted_password`: GoTrue's bcrypt (`$2a$10$...`) passed through as it is; an argon2 one
 *   (imported into Supabase from elsewhere) too; any other form (`$fbscrypt$`) kept with its name
 *   so the export's validation lists the user for a password reset.
 * - Identities other than email and phone are social providers, counted per provider; `sso:*`
 *   identities and `is_sso_user` are the SSO handoff (a warning).
 * - `raw_app_meta_data` (GoTrue and the service role write it) and `raw_user_meta_data` (under
 *   `user.`: users write it themselves with updateUser) into WorkOS metadata, flattened by the one
 *   flattening every source uses; every key left out a warning.
 * - Anonymous users are left out and listed; users without an email (phone sign-in) cannot be
 *   WorkOS users (an error, listed); deleted and banned users follow the operator's choice.
 */
import { splitFullName } from '../../services/mapping/text.js';
import { detectHashType } from '../../services/mapping/hash.js';
import { droppedMetadataMessage, toWorkosMetadata } from '../stytch/metadata.js';
import type { SourceIssue, SourceUser } from '../types.js';

export const USER_METADATA_PREFIX = 'user.';

export type Choice = 'skip' | 'import';

export interface UserRow {
  id: unknown;
  email: unknown;
  encrypted_password?: unknown;
  email_confirmed_at?: unknown;
  raw_app_meta_data?: unknown;
  raw_user_meta_data?: unknown;
  phone?: unknown;
  banned_until?: unknown;
  deleted_at?: unknown;
  is_sso_user?: unknown;
  is_anonymous?: unknown;
}

export interface IdentityRow {
  provider: unknown;
}

export interface FactorRow {
  factor_type: unknown;
  secret?: unknown;
}

export interface UserContext {
  deleted: Choice;
  banned: Choice;
  /** Now, in ms: a ban that ended is no ban. */
  now: number;
}

export interface MappedUser {
  user?: SourceUser;
  issues: SourceIssue[];
  /** Set when the operator's choice leaves the user out: staged, then skipped with this reason. */
  leftOut?: string;
  /** The SSO identity (`sso:<provider id>`, or `is_sso_user`) the user signs in through. */
  sso?: string;
}

export const text = (v: unknown): string => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** PostgreSQL booleans arrive as booleans; a view or a copy may hold text. */
const bool = (v: unknown): boolean => v === true || (typeof v === 'string' && ['t', 'true', '1'].includes(v.toLowerCase()));

/** A timestamptz as ms: node-pg gives Dates, and ±Infinity for 'infinity' (a ban with no end). */
export function timeOf(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  const s = String(v).trim().toLowerCase();
  if (s === 'infinity') return Infinity;
  if (s === '-infinity') return -Infinity;
  const t = Date.parse(String(v));
  return Number.isNaN(t) ? undefined : t;
}

const day = (ms: number) => (ms === Infinity ? 'for good (infinity)' : `until ${new Date(ms).toISOString().slice(0, 10)}`);

/** jsonb arrives parsed; a text copy of the column is parsed here. Undefined when not JSON. */
function json(v: unknown): { value?: unknown; bad?: boolean } {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'string') return { value: v };
  if (!v.trim()) return {};
  try {
    return { value: JSON.parse(v) };
  } catch {
    return { bad: true };
  }
}

/** The person's name from raw_user_meta_data, as sign-up forms and OAuth providers fill it. */
function nameOf(meta: unknown): { firstName?: string; lastName?: string } {
  if (!isObject(meta)) return {};
  const first = str(meta.first_name) ?? str(meta.given_name) ?? str(meta.firstName);
  const last = str(meta.last_name) ?? str(meta.family_name) ?? str(meta.lastName);
  if (first || last) return { firstName: first, lastName: last };
  const full = str(meta.full_name) ?? str(meta.name);
  // Some providers put the email or a handle there: not a name.
  return full && !full.includes('@') ? splitFullName(full) : {};
}

/** What an identity's provider is: the email/phone sign-in, SSO, or a social provider. */
export function identityKind(provider: string): 'email' | 'phone' | 'sso' | 'anonymous' | 'social' {
  const p = provider.trim().toLowerCase();
  if (p === 'email' || p === 'phone' || p === 'anonymous') return p;
  if (p === 'sso' || p.startsWith('sso:')) return 'sso';
  return 'social';
}

/** GoTrue keeps a TOTP secret in base32 (pquerna/otp), or encrypted as an EncryptedString JSON. */
const BASE32 = /^[A-Z2-7]+=*$/;

export function mapUser(row: UserRow, identities: IdentityRow[], factors: FactorRow[], ctx: UserContext): MappedUser {
  const id = text(row.id);
  const where = `supabase auth.users ${id}`;
  const issues: SourceIssue[] = [];
  const issue = (severity: 'error' | 'warning', field: string, message: string) => issues.push({ location: where, field, severity, recordKind: 'user', sourceId: id, message });
  const email = text(row.email).trim();

  if (bool(row.is_anonymous)) {
    issue(
      'warning',
      'is_anonymous',
      `an anonymous (guest) user${email ? ` (${email}, not yet confirmed)` : ''}: left out. Anonymous users have no way to sign in again once their session ends, and WorkOS has no anonymous users; if your app converts guests, they sign up again in WorkOS.`,
    );
    return { issues };
  }
  if (!email) {
    issue(
      'error',
      'email',
      text(row.phone).trim()
        ? 'signs in with a phone number only; WorkOS users need an email address. Not imported: ask the user for an email (or keep phone sign-in in your application) and create them in WorkOS then.'
        : 'has no email address (and no phone); WorkOS users need one. Not imported: add an email in Supabase and run again, or create the user in WorkOS by hand.',
    );
    return { issues };
  }

  const appMeta = json(row.raw_app_meta_data);
  const userMeta = json(row.raw_user_meta_data);
  const { firstName, lastName } = nameOf(userMeta.value);
  const user: SourceUser = { sourceId: id, email, firstName, lastName, emailVerified: timeOf(row.email_confirmed_at) !== undefined, origin: where };
  const warn = (field: string, message: string) => issue('warning', field, message);

  // Password: GoTrue writes bcrypt; hashes imported into Supabase may be argon2 (WorkOS takes both).
  const hash = text(row.encrypted_password).trim();
  if (hash) {
    const type = detectHashType(hash);
    user.passwordHash = hash;
    // Another form keeps its own name: the export's validation lists the user for a reset.
    user.passwordHashType = type ?? (/^\$([a-z0-9-]+)\$/i.exec(hash)?.[1]?.toLowerCase() || 'supabase-unknown');
  }

  const social = new Set<string>();
  let ssoIdentity: string | undefined;
  for (const identity of identities) {
    const provider = text(identity.provider).trim();
    const kind = identityKind(provider);
    if (kind === 'social') social.add(provider.toLowerCase());
    else if (kind === 'sso') ssoIdentity ??= provider;
  }
  if (social.size) user.socialProviders = [...social].sort();
  const sso = ssoIdentity ?? (bool(row.is_sso_user) ? 'is_sso_user' : undefined);
  if (sso) {
    warn(
      'sso',
      `${email} signs in through SAML SSO (${sso}); it cannot move as a password. Set that identity provider up again in WorkOS (SSO, through an Admin Portal link for its organization's IT admin): the user is imported and is linked by email at their first SSO sign-in.`,
    );
  }

  // Verified second factors (the caller reads only those).
  let totp = false;
  for (const f of factors) {
    const type = text(f.factor_type).toLowerCase();
    if (type === 'totp') {
      const secret = text(f.secret).trim().replace(/\s+/g, '').toUpperCase();
      if (!totp && BASE32.test(secret)) {
        user.totpSecret = secret.replace(/=+$/, '');
        totp = true;
      } else if (!totp) {
        user.mfa = { ...user.mfa, totp: true };
        warn('mfa', `${email} has an authenticator app (TOTP) whose secret Supabase keeps encrypted (GOTRUE_SECURITY_DB_ENCRYPTION): it cannot be carried, they enrol it again at their first WorkOS sign-in. Tell them before the cut-over.`);
        totp = true;
      } else warn('mfa', `${email} has more than one authenticator app (TOTP); a WorkOS user has one: the first was carried.`);
    } else if (type === 'phone') {
      user.mfa = { ...user.mfa, sms: true };
      warn('mfa', `${email} uses SMS codes as a second factor; WorkOS has no SMS MFA: after the switch they re-enrol with an authenticator app (TOTP) or use Magic Auth. Tell them before the cut-over.`);
    } else if (type === 'webauthn') {
      warn('mfa', `${email} has a security key or passkey (WebAuthn) as a second factor; it cannot be moved: they enrol it again in WorkOS.`);
    }
  }

  for (const [label, parsed] of [['raw_app_meta_data', appMeta], ['raw_user_meta_data', userMeta]] as const) {
    if (parsed.bad) warn(label, `${label} is not JSON; it is not carried into WorkOS metadata. Set it in WorkOS by hand if it matters.`);
  }
  const { metadata, dropped } = toWorkosMetadata({}, [
    { label: 'raw_app_meta_data', value: appMeta.value },
    { label: 'raw_user_meta_data', value: userMeta.value, prefix: USER_METADATA_PREFIX },
  ]);
  user.metadata = metadata;
  for (const d of dropped) {
    warn(`metadata.${d.key}`, droppedMetadataMessage(d));
  }

  const deletedAt = timeOf(row.deleted_at);
  if (deletedAt !== undefined) {
    if (ctx.deleted === 'skip') {
      return { user, issues, sso, leftOut: `deleted in Supabase (deleted_at ${new Date(deletedAt).toISOString().slice(0, 10)}): not imported (--supabase-deleted skip, the default). Pass --supabase-deleted import to import deleted users too.` };
    }
    warn('deleted_at', `${email} was deleted in Supabase (soft delete) and is imported (--supabase-deleted import) as an ordinary WorkOS user.`);
  }
  const bannedUntil = timeOf(row.banned_until);
  if (bannedUntil !== undefined && bannedUntil > ctx.now) {
    if (ctx.banned === 'skip') {
      return { user, issues, sso, leftOut: `banned in Supabase ${day(bannedUntil)}: not imported (--supabase-banned skip, the default). Pass --supabase-banned import to import banned users too.` };
    }
    warn('banned_until', `${email} is banned in Supabase ${day(bannedUntil)} and is imported (--supabase-banned import) as an ordinary WorkOS user: keep them locked out in your application until then.`);
  }
  return { user, issues, sso };
}
