/**
 * Seeded Auth0 tenants for the fake server, the tests, the demo and the benchmark: users on a
 * database connection, Google (social) and a SAML (enterprise) connection, some blocked, with
 * app_metadata / user_metadata; tenant roles; organizations (name + display_name) with members
 * and member roles and enabled connections; the support exports (passwords with both `_id`
 * shapes, `alt_id`, emails only in `identifiers`; MFA with otp, recovery-code, sms, webauthn);
 * and the WorkOS state a correct migration ends in.
 *
 * bcrypt cannot be computed here without a library: hashes are well-formed bcrypt strings of no
 * known password, and tests compare the hash WorkOS received with the file's.
 */
import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from '../rate-limit.js';

export interface Auth0Identity {
  provider: string;
  user_id: string;
  connection: string;
  isSocial: boolean;
}

export interface Auth0User {
  user_id: string;
  email: string;
  email_verified: boolean;
  name: string;
  given_name?: string;
  family_name?: string;
  nickname: string;
  picture: string;
  blocked?: boolean;
  identities: Auth0Identity[];
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  last_login?: string;
}

export interface Auth0Role {
  id: string;
  name: string;
  description: string;
}

export interface Auth0Org {
  id: string;
  name: string;
  display_name: string;
  metadata?: Record<string, string>;
  branding?: Record<string, unknown>;
}

export interface Auth0ConnectionInfo {
  id: string;
  name: string;
  strategy: string;
}

export interface Auth0Tenant {
  domain: string;
  users: Auth0User[];
  roles: Auth0Role[];
  organizations: Auth0Org[];
  /** org id -> members (user id -> role ids). */
  members: Map<string, { user_id: string; roles: string[] }[]>;
  /** org id -> enabled connection ids. */
  enabledConnections: Map<string, string[]>;
  connections: Auth0ConnectionInfo[];
  /** Password support export lines (objects), with the plain hash kept per user id for tests. */
  passwordRows: Record<string, unknown>[];
  hashes: Map<string, string>;
  /** MFA support export lines. */
  mfaRows: Record<string, unknown>[];
}

export interface Auth0TenantOptions {
  users: number;
  organizations: number;
  seed?: number;
  domain?: string;
  /** Shares of users: google / saml (the rest on the database connection). Defaults 0.15 / 0.05. */
  googleRate?: number;
  samlRate?: number;
  blockedRate?: number;
  /** Share of database users with a row in the password export. Default 0.8. */
  passwordRate?: number;
  /** Shares of users with an otp secret / sms / webauthn. Defaults 0.08 / 0.05 / 0.02. */
  otpRate?: number;
  smsRate?: number;
  webauthnRate?: number;
  /** Tenant roles beyond admin, member and billing, held by nobody (for role paging). Default 60. */
  extraRoles?: number;
  /** Share of users with a membership (each in 1 to 3 organizations). Default 0.7. */
  memberRate?: number;
}

export interface ExpectedAuth0State {
  /** Users that end in WorkOS (blocked ones are skipped by default). */
  users: Auth0User[];
  blocked: string[];
  organizations: Auth0Org[];
  memberships: { userId: string; orgId: string; roles: string[] }[];
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'McCarthy', 'Hamilton', 'Thompson', 'Perlman', 'Berners-Lee'];
const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const DB_CONNECTION: Auth0ConnectionInfo = { id: 'con_db000000000001', name: 'Username-Password-Authentication', strategy: 'auth0' };
export const GOOGLE_CONNECTION: Auth0ConnectionInfo = { id: 'con_google00000001', name: 'google-oauth2', strategy: 'google-oauth2' };
export const SAML_CONNECTION: Auth0ConnectionInfo = { id: 'con_saml0000000001', name: 'acme-saml', strategy: 'samlp' };

export function generateAuth0Tenant(options: Auth0TenantOptions): Auth0Tenant {
  const rand = mulberry32(options.seed ?? 1);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
  const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
  const domain = options.domain ?? 'acme-test.us.auth0.com';
  const roles: Auth0Role[] = [
    { id: 'rol_admin0000000001', name: 'admin', description: 'Administrators' },
    { id: 'rol_member000000001', name: 'member', description: 'Members' },
    { id: 'rol_billing00000001', name: 'billing', description: 'Billing managers' },
  ];
  for (let i = 0; i < (options.extraRoles ?? 60); i++) roles.push({ id: `rol_extra${String(i).padStart(10, '0')}`, name: `extra-${i}`, description: `Extra role ${i}` });

  const users: Auth0User[] = [];
  const passwordRows: Record<string, unknown>[] = [];
  const hashes = new Map<string, string>();
  const mfaRows: Record<string, unknown>[] = [];
  const when = (i: number) => new Date(Date.UTC(2023, 0, 1) + i * 3_600_000).toISOString();
  for (let i = 0; i < options.users; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}.${i}@example.com`.toLowerCase();
    const r = rand();
    const kind = r < (options.googleRate ?? 0.15) ? 'google' : r < (options.googleRate ?? 0.15) + (options.samlRate ?? 0.05) ? 'saml' : 'db';
    // Some database users keep an alt_id (older tenants): their user_id is auth0|<alt_id>.
    const altId = kind === 'db' && i % 17 === 3 ? `legacy${i}` : undefined;
    const oid = hex(24);
    const idPart = kind === 'db' ? (altId ?? oid) : kind === 'google' ? String(100000000000000 + i) : email;
    const userId = kind === 'db' ? `auth0|${idPart}` : kind === 'google' ? `google-oauth2|${idPart}` : `samlp|acme-saml|${idPart}`;
    const identity: Auth0Identity =
      kind === 'db'
        ? { provider: 'auth0', user_id: idPart, connection: DB_CONNECTION.name, isSocial: false }
        : kind === 'google'
          ? { provider: 'google-oauth2', user_id: idPart, connection: 'google-oauth2', isSocial: true }
          : { provider: 'samlp', user_id: idPart, connection: SAML_CONNECTION.name, isSocial: false };
    const user: Auth0User = {
      user_id: userId,
      email,
      email_verified: kind !== 'db' || rand() < 0.8,
      name: i % 11 === 5 ? email : `${first} ${last}`,
      ...(i % 11 === 5 ? {} : { given_name: first, family_name: last }),
      nickname: first.toLowerCase(),
      picture: `https://s.gravatar.com/avatar/${hex(32)}`,
      identities: [identity],
      created_at: when(i),
      updated_at: when(i + 1),
    };
    if (rand() < (options.blockedRate ?? 0.03)) user.blocked = true;
    if (i % 5 === 0) user.app_metadata = { plan: pick(['free', 'pro', 'enterprise']), limits: { seats: 1 + (i % 40) }, flags: ['beta'] };
    if (i % 7 === 0) user.user_metadata = { theme: pick(['dark', 'light']), locale: 'en-US' };
    if (i % 97 === 13) user.user_metadata = { ...user.user_metadata, ['a_very_long_metadata_key_that_is_over_forty_characters']: 'x' };
    users.push(user);

    if (kind === 'db' && rand() < (options.passwordRate ?? 0.8)) {
      const hash = `$2b$10$${chars(B64, 53)}`;
      hashes.set(userId, hash);
      const shape = i % 3;
      // A few rows whose id does not match the user (merged by email, with a warning).
      const rowId = !altId && i % 29 === 7 ? hex(24) : oid;
      const row: Record<string, unknown> = {
        _id: shape === 0 ? { $oid: rowId } : rowId,
        ...(shape === 2 ? {} : { email }),
        email_verified: user.email_verified,
        passwordHash: hash,
        password_set_date: { $date: when(i) },
        tenant: domain.split('.')[0],
        connection: DB_CONNECTION.name,
        identifiers: [{ type: 'email', value: email, verified: user.email_verified }],
        ...(altId ? { alt_id: altId } : {}),
      };
      passwordRows.push(row);
    }
    const m = rand();
    if (m < (options.otpRate ?? 0.08)) {
      mfaRows.push({ user_id: userId, type: 'otp', otp_secret: chars(B32, 32) });
      mfaRows.push({ user_id: userId, type: 'recovery-code', recovery_code: chars(B32, 24) });
    } else if (m < (options.otpRate ?? 0.08) + (options.smsRate ?? 0.05)) {
      mfaRows.push({ user_id: userId, type: 'sms', phone_number: `+1555${String(i).padStart(7, '0')}` });
    } else if (m < (options.otpRate ?? 0.08) + (options.smsRate ?? 0.05) + (options.webauthnRate ?? 0.02)) {
      mfaRows.push({ user_id: userId, type: 'webauthn-roaming', name: 'YubiKey' });
    }
  }
  // A row of a user deleted since: in the password file, not in the export.
  passwordRows.push({ _id: { $oid: hex(24) }, email: 'deleted.user@example.com', passwordHash: `$2b$10$${chars(B64, 53)}`, connection: DB_CONNECTION.name });

  const organizations: Auth0Org[] = [];
  const members = new Map<string, { user_id: string; roles: string[] }[]>();
  const enabledConnections = new Map<string, string[]>();
  for (let i = 0; i < options.organizations; i++) {
    const id = `org_${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 16)}`;
    organizations.push({ id, name: `acme-${i}`, display_name: `Acme ${i} Inc.`, metadata: i % 4 === 0 ? { tier: 'gold', region: 'eu' } : {} });
    members.set(id, []);
    enabledConnections.set(id, i % 6 === 1 ? [DB_CONNECTION.id, SAML_CONNECTION.id] : [DB_CONNECTION.id, GOOGLE_CONNECTION.id]);
  }
  if (organizations.length) {
    for (const user of users) {
      if (rand() >= (options.memberRate ?? 0.7)) continue;
      const count = 1 + Math.floor(rand() * 3);
      const chosen = new Set<string>();
      for (let k = 0; k < count; k++) chosen.add(pick(organizations).id);
      for (const orgId of chosen) {
        const x = rand();
        const memberRoles = x < 0.1 ? [roles[0].id, roles[2].id] : x < 0.25 ? [roles[0].id] : x < 0.9 ? [roles[1].id] : [];
        members.get(orgId)!.push({ user_id: user.user_id, roles: memberRoles });
      }
    }
  }
  return { domain, users, roles, organizations, members, enabledConnections, connections: [DB_CONNECTION, GOOGLE_CONNECTION, SAML_CONNECTION], passwordRows, hashes, mfaRows };
}

export function expectedAuth0State(tenant: Auth0Tenant, options: { blocked?: 'skip' | 'import' } = {}): ExpectedAuth0State {
  const skip = (options.blocked ?? 'skip') === 'skip';
  const users = tenant.users.filter((u) => !(skip && u.blocked));
  const kept = new Set(users.map((u) => u.user_id));
  const roleName = new Map(tenant.roles.map((r) => [r.id, r.name]));
  const memberships: ExpectedAuth0State['memberships'] = [];
  for (const [orgId, list] of tenant.members) {
    for (const m of list) if (kept.has(m.user_id)) memberships.push({ userId: m.user_id, orgId, roles: m.roles.map((r) => roleName.get(r)!) });
  }
  return { users, blocked: tenant.users.filter((u) => u.blocked).map((u) => u.user_id), organizations: tenant.organizations, memberships };
}

const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export function writeAuth0PasswordExport(file: string, tenant: Auth0Tenant): void {
  fs.writeFileSync(file, ndjson(tenant.passwordRows), { mode: 0o600 });
}

export function writeAuth0MfaExport(file: string, tenant: Auth0Tenant): void {
  fs.writeFileSync(file, ndjson(tenant.mfaRows), { mode: 0o600 });
}

/** The users as a bulk export writes them (fields as asked), gzip by default. */
export function auth0ExportFile(users: Auth0User[], options: { gzip?: boolean; fields?: string[]; extension?: boolean } = {}): Buffer {
  const rows = users.map((u) => {
    if (options.extension) {
      return { Id: u.user_id, Email: u.email, 'Email Verified': u.email_verified, 'Given Name': u.given_name, 'Family Name': u.family_name, Name: u.name, blocked: u.blocked, identities: u.identities, app_metadata: u.app_metadata, user_metadata: u.user_metadata };
    }
    if (!options.fields?.length) return u;
    const out: Record<string, unknown> = {};
    for (const f of options.fields) if ((u as unknown as Record<string, unknown>)[f] !== undefined) out[f] = (u as unknown as Record<string, unknown>)[f];
    return out;
  });
  const text = Buffer.from(ndjson(rows));
  return options.gzip === false ? text : gzipSync(text);
}
