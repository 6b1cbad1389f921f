/**
 * Better Auth rows -> the normalized source records. Pure functions.
 *
 * - A user per `user` row (its id the externalId); `name` split at its last space; the
 *   `credential` account's password converted (services/passwords/better-auth.ts); every other
 *   account's providerId a social provider.
 * - An organization per `organization` row: its id the externalId (the slug when the id is too
 *   long for one), its slug in metadata (`better_auth_slug`), its `metadata` JSON flattened into
 *   WorkOS metadata within its limits, every key left out a warning.
 * - A membership per `member` row, its comma-joined roles split (`admin,billing` -> two roles).
 */
import { flattenMetadata } from '../../services/mapping/metadata.js';
import { splitFullName } from '../../services/mapping/text.js';
import { convertBetterAuthPassword } from '../../services/passwords/better-auth.js';
import type { SourceIssue, SourceOrganization, SourceUser } from '../types.js';

export const EXTERNAL_ID_MAX = 128;
const METADATA_VALUE_MAX = 600;
export const DEFAULT_MEMBER_ROLE = 'member';

export const text = (v: unknown): string => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));

/** SQLite and MySQL keep booleans as 0/1; PostgreSQL as booleans; some schemas as text. */
export function bool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
  if (typeof v === 'string') return ['1', 't', 'true', 'yes'].includes(v.trim().toLowerCase());
  if (Buffer.isBuffer(v)) return v.length > 0 && v[0] !== 0;
  return false;
}

/** Better Auth stores several roles comma-joined (`admin,billing`). */
export function splitRoles(role: unknown): string[] {
  const roles = [...new Set(text(role).split(',').map((r) => r.trim()).filter(Boolean))];
  return roles.length ? roles : [DEFAULT_MEMBER_ROLE];
}

/** The externalId for an organization: its id, or its slug when the id is too long for WorkOS. */
export function orgSourceIdOf(id: string, slug: string | undefined): string | undefined {
  if (id.length <= EXTERNAL_ID_MAX) return id;
  if (slug && slug.length <= EXTERNAL_ID_MAX) return slug;
  return undefined;
}

export function mapOrganization(row: { id: unknown; name: unknown; slug?: unknown; metadata?: unknown }, table: string): { organization?: SourceOrganization; issues: SourceIssue[] } {
  const id = text(row.id);
  const slug = text(row.slug) || undefined;
  const where = `better-auth ${table} ${id}`;
  const issues: SourceIssue[] = [];
  const sourceId = orgSourceIdOf(id, slug);
  if (!sourceId) {
    issues.push({ location: where, field: 'id', severity: 'error', recordKind: 'organization', sourceId: id.slice(0, 200), message: `organization id is ${id.length} characters and it has no slug of at most ${EXTERNAL_ID_MAX}; WorkOS external ids hold at most ${EXTERNAL_ID_MAX}. Not imported.` });
    return { issues };
  }
  const warn = (field: string, message: string) => issues.push({ location: where, field, severity: 'warning', recordKind: 'organization', sourceId, message });
  if (sourceId !== id) warn('id', `organization id is ${id.length} characters, over WorkOS's ${EXTERNAL_ID_MAX} for an external id: its slug ${slug} is the external id instead.`);
  const metadata: Record<string, string> = Object.create(null);
  if (slug && slug.length <= METADATA_VALUE_MAX) metadata.better_auth_slug = slug;
  const raw = row.metadata;
  if (raw !== null && raw !== undefined && text(raw).trim() !== '') {
    let parsed: unknown = raw;
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      try {
        parsed = JSON.parse(text(raw));
      } catch {
        parsed = undefined;
        warn('metadata', `"${text(row.name)}" has metadata that is not JSON; it is not carried into WorkOS metadata. Set it in WorkOS by hand if it matters.`);
      }
    }
    if (parsed !== undefined && parsed !== null) {
      const object = typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { metadata: parsed };
      for (const d of flattenMetadata(object, metadata)) {
        for (const key of d.keys ?? [d.key]) {
          warn(`metadata.${key}`, `metadata key "${key}" is not carried into WorkOS metadata: ${d.keys ? `WorkOS allows at most 50 metadata keys and the first 50 are taken` : d.reason}. Keep it in your application's database, or set it in WorkOS under a shorter key after the import.`);
        }
      }
    }
  }
  const organization: SourceOrganization = {
    sourceId,
    name: text(row.name).trim() || slug || id,
    domains: [],
    metadata: Object.keys(metadata).length ? { ...metadata } : undefined,
    origin: where,
  };
  if (!text(row.name).trim()) warn('name', `organization has no name; ${organization.name} is used.`);
  return { organization, issues };
}

export interface AccountRow {
  providerId: unknown;
  password?: unknown;
}

export function mapUser(
  row: { id: unknown; email: unknown; name?: unknown; emailVerified?: unknown },
  accounts: AccountRow[],
  table: string,
): { user?: SourceUser; issues: SourceIssue[] } {
  const id = text(row.id);
  const where = `better-auth ${table} ${id}`;
  const issues: SourceIssue[] = [];
  const email = text(row.email).trim();
  if (!email) {
    issues.push({ location: where, field: 'email', severity: 'error', recordKind: 'user', sourceId: id, message: 'user has no email address; WorkOS needs one for every user. Not imported.' });
    return { issues };
  }
  const { firstName, lastName } = splitFullName(text(row.name));
  const user: SourceUser = { sourceId: id, email, firstName, lastName, emailVerified: bool(row.emailVerified), origin: where };
  const social = new Set<string>();
  let password: string | undefined;
  for (const account of accounts) {
    const provider = text(account.providerId).trim();
    if (provider === 'credential') {
      const value = text(account.password).trim();
      if (!value) continue;
      if (password === undefined) password = value;
      else if (password !== value) {
        issues.push({ location: where, field: 'passwordHash', severity: 'warning', recordKind: 'user', sourceId: id, message: `${email} has two credential accounts with different passwords; a WorkOS user has one: the first was imported.` });
      }
    } else if (provider) social.add(provider.toLowerCase());
  }
  if (social.size) user.socialProviders = [...social];
  if (password !== undefined) {
    const converted = convertBetterAuthPassword(password);
    if (converted.ok) {
      user.passwordHash = converted.hash;
      user.passwordHashType = converted.type;
    } else {
      // Kept with its type: the export's validation names the type WorkOS does not take, and the
      // user is imported without a password and listed for a reset.
      user.passwordHash = password;
      user.passwordHashType = converted.type;
    }
  }
  return { user, issues };
}
