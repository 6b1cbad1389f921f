/**
 * Seeded Clerk instances for the fake Backend API, the tests and the benchmark: users as the
 * Backend API returns them (email addresses with their verification, phone numbers, external
 * accounts, metadata, banned / locked, password_enabled / totp_enabled), organizations with
 * memberships (org:admin, org:member and a custom org:billing), and the Dashboard CSV export of
 * the same users, which alone carries password digests and TOTP secrets (Clerk's own docs:
 * "Only the Clerk Dashboard export includes password digests and TOTP secrets").
 *
 * Password users of the bcrypt hasher get a real bcrypt digest (cost 4, hash-wasm) of a known
 * password (kept in `secrets`), so a test can prove the hash WorkOS received by signing in with it.
 * Users of other hashers (argon2id, md5, scrypt_werkzeug: users Clerk itself imported and who
 * have not signed in since) carry digests of no known password: they are listed for reset.
 */
import fs from 'node:fs';
import { bcrypt } from 'hash-wasm';
import { mulberry32 } from '../rate-limit.js';

export interface ClerkEmailAddress {
  id: string;
  object: 'email_address';
  email_address: string;
  verification: { status: 'verified' | 'unverified'; strategy: string } | null;
  linked_to: { type: string; id: string }[];
}

export interface ClerkPhoneNumber {
  id: string;
  object: 'phone_number';
  phone_number: string;
  reserved_for_second_factor: boolean;
  verification: { status: 'verified' | 'unverified'; strategy: string } | null;
}

export interface ClerkUser {
  id: string;
  object: 'user';
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  primary_email_address_id: string | null;
  primary_phone_number_id: string | null;
  email_addresses: ClerkEmailAddress[];
  phone_numbers: ClerkPhoneNumber[];
  external_accounts: { id: string; object: 'external_account'; provider: string; email_address: string }[];
  password_enabled: boolean;
  totp_enabled: boolean;
  backup_code_enabled: boolean;
  two_factor_enabled: boolean;
  banned: boolean;
  locked: boolean;
  public_metadata: Record<string, unknown>;
  private_metadata: Record<string, unknown>;
  unsafe_metadata: Record<string, unknown>;
  external_id: string | null;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
}

export interface ClerkOrganization {
  object: 'organization';
  id: string;
  name: string;
  slug: string;
  members_count?: number;
  max_allowed_memberships: number;
  public_metadata: Record<string, unknown>;
  private_metadata: Record<string, unknown>;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface ClerkMembershipSeed {
  id: string;
  user_id: string;
  role: string;
  role_name: string;
  created_at: number;
}

/** What only the Dashboard export knows about a user. */
export interface ClerkSecrets {
  password?: string;
  digest?: string;
  hasher?: string;
  totpSecret?: string;
}

export interface ClerkDomainSeed {
  id: string;
  name: string;
  status: 'verified' | 'unverified';
}

export interface ClerkInvitationSeed {
  id: string;
  email_address: string;
  role: string;
  status: 'pending' | 'accepted' | 'revoked';
}

export interface ClerkInstance {
  users: ClerkUser[];
  organizations: ClerkOrganization[];
  /** org id -> its memberships, in creation order. */
  memberships: Map<string, ClerkMembershipSeed[]>;
  /** org id -> its domains and its invitations (pending, accepted, revoked). */
  domains: Map<string, ClerkDomainSeed[]>;
  invitations: Map<string, ClerkInvitationSeed[]>;
  /** user id -> digest, hasher, TOTP secret (the Dashboard export's columns). */
  secrets: Map<string, ClerkSecrets>;
}

export interface ClerkInstanceOptions {
  users: number;
  organizations: number;
  seed?: number;
  /** Shares of users: banned / locked / with a Google account only / TOTP enrolled. */
  bannedRate?: number;
  lockedRate?: number;
  googleRate?: number;
  totpRate?: number;
  /** Share of password users whose hasher is not bcrypt (argon2id, md5, scrypt_werkzeug). Default 0.08. */
  otherHasherRate?: number;
  /** Users with no email address at all (phone-only sign-up). Default 2. */
  phoneOnly?: number;
}

/**
 * bcrypt (even at cost 4) takes milliseconds in WebAssembly: the instance draws its users'
 * passwords from a pool of this many distinct (password, digest) pairs, each digest with its own salt.
 */
const PASSWORD_POOL = 48;

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'McCarthy', 'Hamilton', 'Thompson', 'Perlman', 'Berners-Lee'];
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ID = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const OTHER_HASHERS = ['argon2id', 'md5', 'scrypt_werkzeug'];
export const CUSTOM_ROLE = 'org:billing';

export async function generateClerkInstance(options: ClerkInstanceOptions): Promise<ClerkInstance> {
  const rand = mulberry32(options.seed ?? 1);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
  const base = Date.UTC(2024, 0, 1);
  const users: ClerkUser[] = [];
  const secrets = new Map<string, ClerkSecrets>();
  const phoneOnly = options.phoneOnly ?? 2;
  const pool: { password: string; digest: string }[] = [];
  for (let k = 0; k < PASSWORD_POOL; k++) {
    const password = `Clerk-pw-${k}-${chars(ID, 6)}!`;
    const salt = new Uint8Array(16).map(() => Math.floor(rand() * 256));
    pool.push({ password, digest: await bcrypt({ password, salt, costFactor: 4, outputType: 'encoded' }) });
  }

  for (let i = 0; i < options.users; i++) {
    const id = `user_2${chars(ID, 8)}${String(i).padStart(6, '0')}`;
    const first = rand() < 0.05 ? null : pick(FIRST);
    const last = rand() < 0.05 ? null : pick(LAST);
    const emails: ClerkEmailAddress[] = [];
    const phones: ClerkPhoneNumber[] = [];
    const noEmail = i >= 7 && i < 7 + phoneOnly;
    if (!noEmail) {
      const verified = rand() >= 0.1;
      emails.push({
        id: `idn_${chars(ID, 10)}${i}`,
        object: 'email_address',
        email_address: `${(first ?? 'user').toLowerCase()}.${(last ?? 'x').toLowerCase().replace(/[^a-z]/g, '')}.${i}@example.com`,
        verification: { status: verified ? 'verified' : 'unverified', strategy: 'email_code' },
        linked_to: [],
      });
      // Second addresses: verified (listed: WorkOS keeps one email) or not.
      const extra = rand();
      if (extra < 0.08) emails.push({ id: `idn_${chars(ID, 10)}x${i}`, object: 'email_address', email_address: `alt.${i}@example.org`, verification: { status: 'verified', strategy: 'email_link' }, linked_to: [] });
      else if (extra < 0.12) emails.push({ id: `idn_${chars(ID, 10)}u${i}`, object: 'email_address', email_address: `pending.${i}@example.org`, verification: { status: 'unverified', strategy: 'email_code' }, linked_to: [] });
    }
    if (noEmail || rand() < 0.1) {
      phones.push({
        id: `idn_${chars(ID, 10)}p${i}`,
        object: 'phone_number',
        phone_number: `+1555${String(1000000 + i).slice(-7)}`,
        reserved_for_second_factor: !noEmail && rand() < 0.5,
        verification: { status: 'verified', strategy: 'phone_code' },
      });
    }
    const google = !noEmail && rand() < (options.googleRate ?? 0.15);
    const passwordEnabled = !noEmail && !google;
    const totp = passwordEnabled && rand() < (options.totpRate ?? 0.1);
    const user: ClerkUser = {
      id,
      object: 'user',
      username: rand() < 0.3 ? `user${i}` : null,
      first_name: first,
      last_name: last,
      primary_email_address_id: emails[0]?.id ?? null,
      primary_phone_number_id: phones[0]?.id ?? null,
      email_addresses: emails,
      phone_numbers: phones,
      external_accounts: google ? [{ id: `eac_${chars(ID, 12)}`, object: 'external_account', provider: 'oauth_google', email_address: emails[0].email_address }] : [],
      password_enabled: passwordEnabled,
      totp_enabled: totp,
      backup_code_enabled: totp && rand() < 0.5,
      two_factor_enabled: totp || phones.some((p) => p.reserved_for_second_factor),
      banned: rand() < (options.bannedRate ?? 0.03),
      locked: rand() < (options.lockedRate ?? 0.01),
      public_metadata: rand() < 0.6 ? { plan: pick(['free', 'pro', 'team']), seats: Math.floor(rand() * 20) } : {},
      private_metadata: rand() < 0.3 ? { stripe_customer: `cus_${chars(ID, 10)}` } : {},
      unsafe_metadata: rand() < 0.2 ? { theme: pick(['dark', 'light']) } : {},
      external_id: null,
      created_at: base + i * 60_000,
      updated_at: base + i * 60_000,
      last_sign_in_at: rand() < 0.7 ? base + i * 60_000 + 3_600_000 : null,
    };
    // One key longer than WorkOS takes: reported as not carried.
    if (i === 3) user.public_metadata = { ...user.public_metadata, ['a_very_long_metadata_key_' + 'x'.repeat(40)]: 'too long' };
    users.push(user);
    const secret: ClerkSecrets = {};
    if (passwordEnabled) {
      if (rand() < (options.otherHasherRate ?? 0.08)) {
        secret.hasher = pick(OTHER_HASHERS);
        secret.digest = secret.hasher === 'argon2id' ? `$argon2id$v=19$m=65536,t=3,p=4$${chars(ID, 22)}$${chars(ID, 43)}` : secret.hasher === 'md5' ? chars('0123456789abcdef', 32) : `scrypt:32768:8:1$${chars(ID, 16)}$${chars('0123456789abcdef', 128)}`;
      } else {
        const pair = pool[i % PASSWORD_POOL];
        secret.password = pair.password;
        secret.hasher = 'bcrypt';
        secret.digest = pair.digest;
      }
    }
    if (totp) secret.totpSecret = chars(B32, 32);
    if (Object.keys(secret).length) secrets.set(id, secret);
  }

  const organizations: ClerkOrganization[] = [];
  const memberships = new Map<string, ClerkMembershipSeed[]>();
  const domains = new Map<string, ClerkDomainSeed[]>();
  const invitations = new Map<string, ClerkInvitationSeed[]>();
  const withEmail = users.filter((u) => u.email_addresses.length);
  for (let o = 0; o < options.organizations; o++) {
    const id = `org_2${chars(ID, 10)}${String(o).padStart(4, '0')}`;
    const members: ClerkMembershipSeed[] = [];
    const size = 5 + Math.floor(rand() * 60);
    const taken = new Set<string>();
    for (let m = 0; m < size && taken.size < withEmail.length; m++) {
      const user = pick(withEmail);
      if (taken.has(user.id)) continue;
      taken.add(user.id);
      const role = members.length === 0 ? 'org:admin' : rand() < 0.1 ? 'org:admin' : rand() < 0.1 ? CUSTOM_ROLE : 'org:member';
      members.push({ id: `orgmem_${chars(ID, 12)}`, user_id: user.id, role, role_name: role === 'org:admin' ? 'Admin' : role === CUSTOM_ROLE ? 'Billing' : 'Member', created_at: base + m * 1000 });
    }
    organizations.push({
      object: 'organization',
      id,
      name: `${pick(['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark'])} ${o}`,
      slug: `org-${o}`,
      max_allowed_memberships: 0,
      public_metadata: rand() < 0.5 ? { tier: pick(['gold', 'silver']) } : {},
      private_metadata: {},
      created_by: members[0]?.user_id ?? '',
      created_at: base + o * 1000,
      updated_at: base + o * 1000,
    });
    memberships.set(id, members);
    const own: ClerkDomainSeed[] = [];
    if (rand() < 0.6) own.push({ id: `orgdmn_${chars(ID, 12)}`, name: `org${o}.example.com`, status: rand() < 0.7 ? 'verified' : 'unverified' });
    if (rand() < 0.2) own.push({ id: `orgdmn_${chars(ID, 12)}`, name: `org${o}-eu.example.com`, status: 'unverified' });
    domains.set(id, own);
    const invites: ClerkInvitationSeed[] = [];
    for (let k = 0, n = Math.floor(rand() * 4); k < n; k++) {
      invites.push({ id: `orginv_${chars(ID, 12)}`, email_address: `invitee.${o}.${k}@example.net`, role: k === 0 ? 'org:admin' : 'org:member', status: k === 3 ? 'revoked' : 'pending' });
    }
    invitations.set(id, invites);
  }
  return { users, organizations, memberships, domains, invitations, secrets };
}

const primaryEmail = (u: ClerkUser) => u.email_addresses.find((e) => e.id === u.primary_email_address_id);

/** A CSV cell, quoted when it needs to be. */
const cell = (v: string | null | undefined) => (v == null ? '' : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export const CLERK_EXPORT_COLUMNS = [
  'id', 'first_name', 'last_name', 'username', 'primary_email_address', 'primary_phone_number', 'verified_email_addresses',
  'unverified_email_addresses', 'verified_phone_numbers', 'unverified_phone_numbers', 'totp_secret', 'password_digest', 'password_hasher',
] as const;

/** The Dashboard's user export (CSV) of the instance: lists joined with `|`. */
export function clerkExportCsv(instance: ClerkInstance): string {
  const lines = [CLERK_EXPORT_COLUMNS.join(',')];
  for (const u of instance.users) {
    const s = instance.secrets.get(u.id) ?? {};
    const emails = (status: string) => u.email_addresses.filter((e) => (e.verification?.status ?? 'unverified') === status).map((e) => e.email_address).join('|');
    const phones = (status: string) => u.phone_numbers.filter((p) => (p.verification?.status ?? 'unverified') === status).map((p) => p.phone_number).join('|');
    const phone = u.phone_numbers.find((p) => p.id === u.primary_phone_number_id)?.phone_number;
    lines.push(
      [u.id, u.first_name, u.last_name, u.username, primaryEmail(u)?.email_address, phone, emails('verified'), emails('unverified'), phones('verified'), phones('unverified'), s.totpSecret, s.digest, s.hasher]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function writeClerkExport(file: string, instance: ClerkInstance): void {
  fs.writeFileSync(file, clerkExportCsv(instance));
}

export interface ExpectedClerkUser {
  id: string;
  email: string;
  emailVerified: boolean;
  firstName?: string;
  lastName?: string;
  /** The metadata WorkOS should hold (flattened strings). */
  metadata: Record<string, string>;
  /** Set when the hash moves (bcrypt, from the export): the password that signs in. */
  password?: string;
  totpSecret?: string;
}

export interface ExpectedClerkState {
  users: ExpectedClerkUser[];
  /** Banned or locked users left out (by the default choice). */
  leftOut: string[];
  /** Users without an email address: not imported. */
  noEmail: string[];
  memberships: { userId: string; orgId: string; role: string }[];
}

/**
 * What WorkOS holds after a correct migration. `from`: the API alone (metadata, banned known; no
 * hashes, no TOTP) or the Dashboard CSV (hashes and TOTP; no metadata, no ban state) with the
 * organizations from the API.
 */
export function expectedClerkState(instance: ClerkInstance, options: { from: 'api' | 'csv'; banned?: 'skip' | 'import' }): ExpectedClerkState {
  const users: ExpectedClerkUser[] = [];
  const leftOut: string[] = [];
  const noEmail: string[] = [];
  for (const u of instance.users) {
    const email = primaryEmail(u);
    if (!email) {
      noEmail.push(u.id);
      continue;
    }
    if (options.from === 'api' && (u.banned || u.locked) && (options.banned ?? 'skip') === 'skip') {
      leftOut.push(u.id);
      continue;
    }
    const metadata: Record<string, string> = {};
    if (u.username) metadata.clerk_username = u.username;
    if (options.from === 'api') {
      for (const [k, v] of Object.entries(u.public_metadata)) if (k.length <= 40) metadata[k] = String(v);
      for (const [k, v] of Object.entries(u.private_metadata)) metadata[`private.${k}`] = String(v);
      for (const [k, v] of Object.entries(u.unsafe_metadata)) metadata[`unsafe.${k}`] = String(v);
    }
    const s = instance.secrets.get(u.id);
    users.push({
      id: u.id,
      email: email.email_address,
      emailVerified: email.verification?.status === 'verified',
      firstName: u.first_name ?? undefined,
      lastName: u.last_name ?? undefined,
      metadata,
      ...(options.from === 'csv' && s?.hasher === 'bcrypt' ? { password: s.password } : {}),
      ...(options.from === 'csv' && s?.totpSecret ? { totpSecret: s.totpSecret } : {}),
    });
  }
  const imported = new Set(users.map((u) => u.id));
  const memberships: ExpectedClerkState['memberships'] = [];
  for (const [orgId, list] of instance.memberships) for (const m of list) if (imported.has(m.user_id)) memberships.push({ userId: m.user_id, orgId, role: m.role });
  return { users, leftOut, noEmail, memberships };
}
