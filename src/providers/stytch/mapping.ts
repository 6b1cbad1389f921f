/**
 * Stytch records -> the normalized source records. Pure functions, one page at a time.
 *
 * Decisions (see README of this folder, index.ts):
 * - A WorkOS user per distinct email: Stytch has a member per (person, organization), WorkOS a user
 *   with memberships. The user's source id is the lowercased, trimmed email (stateless, so a
 *   resumed export and every page agree on it without a lookup); an email longer than WorkOS's
 *   128-character externalId becomes `email-sha256:<hex>`. Within a page, members of one email are
 *   merged (verified if any is, social providers and MFA united, the first password found); across
 *   pages the journal keeps the first staged user (its staging is first-wins).
 * - Roles: SourceMembership.roles holds every role the member holds, direct ones first, then the
 *   implicit ones (email_assignment, sso_connection, sso_connection_group, scim_connection_group),
 *   and the default `stytch_member` last, so that an environment taking one role per membership
 *   gets the meaningful one. Implicit roles are kept by default (the member keeps the access they
 *   have today) and each membership holding one gets a warning naming the role and where it came
 *   from; `implicitRoles: 'drop'` leaves them out (the warning says so).
 * - Members keep their Stytch status (invited and pending ones are not made active here: the
 *   importer follows the operator's choice) and their member_id as the membership's sourceRef.
 * - Metadata (metadata.ts): an organization's trusted_metadata and a consumer user's
 *   trusted_metadata (and untrusted_metadata, under `untrusted.`) become WorkOS metadata within its
 *   limits, every key left out a warning. A member's metadata is not carried (a WorkOS membership
 *   has none, and a user stands for members of several organizations): a warning names it.
 * - SSO/SCIM organizations, SMS and TOTP second factors: warnings with what to do by hand.
 */
import { createHash } from 'node:crypto';
import type { Member, Organization, User } from 'stytch';
import { splitFullName } from '../../services/mapping/index.js';
import { lookupPassword, type StytchPasswordExport } from '../../services/passwords/stytch.js';
import type { SourceIssue, SourceMembership, SourceOrganization, SourceRole, SourceUser } from '../types.js';
import { droppedMetadataMessage, toWorkosMetadata } from './metadata.js';

export const DEFAULT_ROLE = 'stytch_member';
const DIRECT = 'direct_assignment';
const METADATA_VALUE_MAX = 600;
const EXTERNAL_ID_MAX = 128;

export type ImplicitRoles = 'keep' | 'drop';

/** The user source id for an email: the email lowercased, or a hash of it when too long for an externalId. */
export function userSourceIdFor(email: string): string {
  const norm = email.trim().toLowerCase();
  if (norm.length <= EXTERNAL_ID_MAX) return norm;
  return `email-sha256:${createHash('sha256').update(norm).digest('hex')}`;
}

export const membershipIssueId = (userSourceId: string, orgSourceId: string) => `${userSourceId}@${orgSourceId}`;

/** Untrusted metadata keeps a prefix in WorkOS: users could write it themselves in Stytch. */
export const UNTRUSTED_PREFIX = 'untrusted.';

const hasKeys = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && Object.keys(value).length > 0;

export function mapOrganization(
  org: Organization,
  options: { verifiedDomains?: boolean },
): { organization: SourceOrganization; roles: SourceRole[]; issues: SourceIssue[] } {
  const id = org.organization_id;
  const state = options.verifiedDomains ? 'verified' : 'pending';
  const domains = [...new Set((org.email_allowed_domains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean))].map((domain) => ({
    domain,
    state,
  })) as SourceOrganization['domains'];
  const own: Record<string, string> = {};
  if (org.organization_slug && org.organization_slug.length <= METADATA_VALUE_MAX) own.stytch_slug = org.organization_slug;
  if (org.organization_external_id && org.organization_external_id.length <= METADATA_VALUE_MAX) {
    own.stytch_external_id = org.organization_external_id;
  }
  // Organizations have no untrusted_metadata in Stytch.
  const { metadata, dropped } = toWorkosMetadata(own, [{ label: 'trusted_metadata', value: org.trusted_metadata }]);
  const organization: SourceOrganization = {
    sourceId: id,
    name: org.organization_name,
    domains,
    metadata,
    origin: `stytch organization ${id}`,
  };
  const roles: SourceRole[] = (org.custom_roles ?? []).map((r) => ({ slug: r.role_id, name: r.role_id, description: r.description || undefined }));

  const issues: SourceIssue[] = [];
  const warn = (field: string, message: string) =>
    issues.push({ location: `stytch organization ${id}`, field, message, recordKind: 'organization', sourceId: id, severity: 'warning' });
  for (const d of dropped) warn(`metadata.${d.key}`, droppedMetadataMessage(d));
  const label = `"${org.organization_name}"`;
  const sso = org.sso_active_connections ?? [];
  if (sso.length) {
    const list = sso.map((c) => `${c.display_name || c.connection_id} (${c.identity_provider || 'unknown IdP'})`).join(', ');
    warn(
      'sso',
      `${label} has ${sso.length} active SSO connection${sso.length > 1 ? 's' : ''}: ${list}. SSO connections cannot be exported from Stytch: after the import, send this organization's IT admin a WorkOS Admin Portal link to set SSO up again (portal.generateLink({ organization: <its WorkOS id>, intent: 'sso' })). Until then its members sign in with their other methods.`,
    );
  }
  if (org.scim_active_connection) {
    const c = org.scim_active_connection;
    warn(
      'scim',
      `${label} provisions members through SCIM (${c.display_name || c.connection_id}). SCIM connections cannot be exported from Stytch: after the import, send its IT admin a WorkOS Admin Portal link to set up Directory Sync (portal.generateLink({ organization: <its WorkOS id>, intent: 'dsync' })), and turn the Stytch connection off once WorkOS receives the directory.`,
    );
  }
  const implicit = org.rbac_email_implicit_role_assignments ?? [];
  if (implicit.length) {
    warn(
      'roles',
      `${label} assigns roles by email domain (${implicit.map((a) => `${a.domain} -> ${a.role_id}`).join(', ')}). The roles members hold today are imported; members who join later get WorkOS's default role unless you assign roles in WorkOS (e.g. through SSO/directory group role assignment).`,
    );
  }
  return { organization, roles, issues };
}

interface MemberMappingOptions {
  implicitRoles: ImplicitRoles;
  passwords?: StytchPasswordExport;
}

const SOURCE_LABEL: Record<string, string> = {
  email_assignment: 'an email-domain rule',
  sso_connection: 'an SSO connection',
  sso_connection_group: 'an SSO group',
  scim_connection_group: 'a SCIM group',
};

/** Role ids in import order, and the implicit (non-default) ones with their sources. */
export function orderRoles(member: Member, implicitRoles: ImplicitRoles): { roles: string[]; implicit: { role: string; sources: string[] }[] } {
  const direct: string[] = [];
  const implicitIds: string[] = [];
  const implicit: { role: string; sources: string[] }[] = [];
  let hasDefault = false;
  for (const role of member.roles ?? []) {
    const id = role.role_id;
    if (!id) continue;
    if (id === DEFAULT_ROLE) {
      hasDefault = true;
      continue;
    }
    const types = (role.sources ?? []).map((s) => s.type);
    // No sources listed: treat as direct (older objects).
    if (types.length === 0 || types.includes(DIRECT)) direct.push(id);
    else {
      implicitIds.push(id);
      implicit.push({ role: id, sources: types });
    }
  }
  const roles = [...new Set([...direct, ...(implicitRoles === 'keep' ? implicitIds : []), ...(hasDefault ? [DEFAULT_ROLE] : [])])];
  return { roles, implicit };
}

/**
 * One page of members into users (one per email in the page), memberships (one per member) and
 * the warnings a person needs to act on.
 */
export function mapMembers(
  members: Member[],
  options: MemberMappingOptions,
): { users: SourceUser[]; memberships: SourceMembership[]; issues: SourceIssue[] } {
  const users = new Map<string, SourceUser>();
  const passwordFrom = new Map<string, string>();
  const warned = new Set<string>();
  const memberships: SourceMembership[] = [];
  const issues: SourceIssue[] = [];

  for (const member of members) {
    const where = `stytch member ${member.member_id} (${member.organization_id})`;
    const email = (member.email_address ?? '').trim();
    if (!email) {
      issues.push({ location: where, field: 'email', severity: 'error', recordKind: 'user', sourceId: member.member_id, message: 'member has no email address; WorkOS needs one for every user. Not imported.' });
      continue;
    }
    const sourceId = userSourceIdFor(email);
    const { firstName, lastName } = splitFullName(member.name ?? '');
    const social = [...new Set((member.oauth_registrations ?? []).map((o) => o.provider_type.trim().toLowerCase()).filter(Boolean))];
    const sms = !!member.mfa_phone_number?.trim();
    const totp = !!member.totp_registration_id?.trim();
    const password = lookupPassword(options.passwords, member.member_id, member.member_password_id, email);

    let user = users.get(sourceId);
    if (!user) {
      user = { sourceId, email, firstName, lastName, emailVerified: !!member.email_address_verified, origin: where };
      users.set(sourceId, user);
    } else {
      user.emailVerified ||= !!member.email_address_verified;
      if (!user.firstName && !user.lastName && (firstName || lastName)) Object.assign(user, { firstName, lastName });
    }
    if (social.length) user.socialProviders = [...new Set([...(user.socialProviders ?? []), ...social])];
    if (sms || totp) user.mfa = { ...user.mfa, ...(sms ? { sms: true } : {}), ...(totp ? { totp: true } : {}) };
    if (password) {
      if (!user.passwordHash) {
        user.passwordHash = password.hash;
        user.passwordHashType = password.type;
        passwordFrom.set(sourceId, member.member_id);
      } else if (user.passwordHash !== password.hash) {
        issues.push({
          location: where,
          field: 'passwordHash',
          severity: 'warning',
          recordKind: 'user',
          sourceId,
          message: `${email} has another password in this organization than in the one of member ${passwordFrom.get(sourceId)}; a WorkOS user has one password: the first was imported, this one is not.`,
        });
      }
    }

    const warnOnce = (kind: string, field: string, message: string) => {
      if (warned.has(`${sourceId}\u0000${kind}`)) return;
      warned.add(`${sourceId}\u0000${kind}`);
      issues.push({ location: where, field, severity: 'warning', recordKind: 'user', sourceId, message });
    };
    if (sms) {
      warnOnce(
        'sms',
        'mfa',
        `${email} uses SMS codes as a second factor; WorkOS has no SMS MFA: after the switch they re-enroll with an authenticator app (TOTP), Magic Auth or a passkey. Tell them before the cut-over.`,
      );
    }
    if (totp) {
      warnOnce(
        'totp',
        'mfa',
        `${email} has an authenticator app (TOTP) enrolled; Stytch cannot export TOTP secrets, so they re-enroll it at their first WorkOS sign-in. Tell them before the cut-over.`,
      );
    }

    const { roles, implicit } = orderRoles(member, options.implicitRoles);
    const membershipId = membershipIssueId(sourceId, member.organization_id);
    memberships.push({
      userSourceId: sourceId,
      orgSourceId: member.organization_id,
      roles,
      // Invited and pending members are not made active here: the importer follows the operator's choice.
      status: member.status === 'invited' || member.status === 'pending' ? member.status : 'active',
      sourceRef: member.member_id,
      origin: where,
    });
    // A WorkOS membership holds no metadata, and one user stands for a member in each of its
    // organizations: a member's metadata has nowhere faithful to go, so it is named, not moved.
    const memberMetadata = [
      ['trusted_metadata', member.trusted_metadata],
      ['untrusted_metadata', member.untrusted_metadata],
    ].filter(([, v]) => hasKeys(v)) as [string, Record<string, unknown>][];
    if (memberMetadata.length) {
      const keys = (v: Record<string, unknown>) => {
        const all = Object.keys(v).map((k) => JSON.stringify(k));
        return all.length > 10 ? `${all.slice(0, 10).join(', ')} and ${all.length - 10} more` : all.join(', ');
      };
      const list = memberMetadata.map(([label, v]) => `${label} (${keys(v)})`).join(' and ');
      issues.push({
        location: where,
        field: 'metadata',
        severity: 'warning',
        recordKind: 'membership',
        sourceId: membershipId,
        message: `${email}'s member ${member.member_id} has ${list}; WorkOS memberships hold no metadata, so it is not carried. Keep it in your application's database (keyed by the member id in the id map).`,
      });
    }
    for (const { role, sources } of implicit) {
      const from = sources.map((s) => SOURCE_LABEL[s] ?? s).join(' and ');
      issues.push({
        location: where,
        field: 'roles',
        severity: 'warning',
        recordKind: 'membership',
        sourceId: membershipId,
        message:
          options.implicitRoles === 'keep'
            ? `${email} holds ${role} through ${from}, not by direct assignment; it is imported as a plain role on the membership. If it should keep following the IdP or the domain, set up role assignment in WorkOS (SSO/directory groups) and remove it there.`
            : `${email} holds ${role} through ${from}, not by direct assignment; it was left out (implicit roles: drop). Set up role assignment in WorkOS to give it back.`,
      });
    }
  }
  return { users: [...users.values()], memberships, issues };
}

/** A consumer user: the first verified email (else the first), name parts, providers, TOTP. */
export function mapConsumerUser(
  user: User,
  options: { passwords?: StytchPasswordExport },
): { user?: SourceUser; issues: SourceIssue[] } {
  const where = `stytch user ${user.user_id}`;
  const issues: SourceIssue[] = [];
  const emails = (user.emails ?? []).filter((e) => e.email?.trim());
  const chosen = emails.find((e) => e.verified) ?? emails[0];
  if (!chosen) {
    const phones = (user.phone_numbers ?? []).map((p) => p.phone_number).filter(Boolean);
    const masked = phones.map((p) => `…${p.slice(-4)}`).join(', ');
    issues.push({
      location: where,
      field: 'email',
      severity: 'error',
      recordKind: 'user',
      sourceId: user.user_id,
      message: phones.length
        ? `user signs in with a phone number only (${masked}) and has no email address; WorkOS users need an email, so this user cannot be migrated. Collect an email from them (or keep phone sign-in elsewhere).`
        : 'user has no email address (nor phone number); WorkOS users need an email, so this user cannot be migrated.',
    });
    return { issues };
  }
  const email = chosen.email.trim();
  const others = emails.filter((e) => e !== chosen).map((e) => e.email.trim());
  if (others.length) {
    issues.push({
      location: where,
      field: 'email',
      severity: 'warning',
      recordKind: 'user',
      sourceId: user.user_id,
      message: `user has ${emails.length} email addresses; a WorkOS user has one: ${email} is imported, ${others.join(', ')} not.`,
    });
  }
  const first = [user.name?.first_name, user.name?.middle_name].map((s) => s?.trim()).filter(Boolean).join(' ');
  const last = user.name?.last_name?.trim();
  const social = [...new Set((user.providers ?? []).map((p) => p.provider_type.trim().toLowerCase()).filter(Boolean))];
  const totp = (user.totps ?? []).some((t) => t.verified);
  const password = lookupPassword(options.passwords, user.user_id, user.password?.password_id, email);
  const { metadata, dropped } = toWorkosMetadata({}, [
    { label: 'trusted_metadata', value: user.trusted_metadata },
    { label: 'untrusted_metadata', value: user.untrusted_metadata, prefix: UNTRUSTED_PREFIX },
  ]);
  for (const d of dropped) {
    issues.push({ location: where, field: `metadata.${d.key}`, severity: 'warning', recordKind: 'user', sourceId: user.user_id, message: droppedMetadataMessage(d) });
  }
  const out: SourceUser = {
    sourceId: user.user_id,
    email,
    firstName: first || undefined,
    lastName: last || undefined,
    emailVerified: !!chosen.verified,
    socialProviders: social.length ? social : undefined,
    mfa: totp ? { totp: true } : undefined,
    passwordHash: password?.hash,
    passwordHashType: password?.type,
    metadata,
    origin: where,
  };
  if (totp) {
    issues.push({
      location: where,
      field: 'mfa',
      severity: 'warning',
      recordKind: 'user',
      sourceId: user.user_id,
      message: `${email} has an authenticator app (TOTP) enrolled; Stytch cannot export TOTP secrets, so they re-enroll it at their first WorkOS sign-in.`,
    });
  }
  return { user: out, issues };
}
