/**
 * Seeded Stytch projects for the fake server, the tests and the benchmark: organizations, members
 * (some people in several organizations under one email), consumer users, the RBAC policy, optional
 * password hashes made the way Stytch makes them, and the WorkOS state a correct migration ends in.
 *
 * Objects are the wire objects (the SDK's own types), complete with the fields Stytch sends.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import type { Member, Organization, Policy, User } from 'stytch';
import { mulberry32 } from '../rate-limit.js';

export type MemberStatus = 'active' | 'invited' | 'pending' | 'deleted';

export interface StytchScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

/** A password row as Stytch support exports it, with the plain password kept for tests. */
export interface StytchPasswordRecord {
  id: string;
  /** base64url text */
  hash: string;
  /** base64url text; scrypt's salt input is THIS TEXT's bytes */
  salt: string;
  hash_method: 'scrypt' | 'bcrypt' | 'argon2' | 'md5';
  password: string;
}

export interface StytchProjectOptions {
  organizations: number;
  members: number;
  /** Share of members who are a person already in another organization (same email). Default 0.15. */
  sharedEmailRate?: number;
  seed?: number;
  projectId?: string;
  /** Share of members per status; the rest are active. Default invited 0.05, pending 0.03, deleted 0.04. */
  statusRates?: Partial<Record<Exclude<MemberStatus, 'active'>, number>>;
  /** Organizations with an active SSO connection / SCIM connection. Defaults 0.1 / 0.06. */
  ssoRate?: number;
  scimRate?: number;
  /** Members with SMS MFA / TOTP / an OAuth registration. Defaults 0.05 / 0.05 / 0.25. */
  smsRate?: number;
  totpRate?: number;
  oauthRate?: number;
  /** Members with stytch_admin (direct), or admin through an implicit source. Defaults 0.1 / 0.04. */
  adminRate?: number;
  implicitAdminRate?: number;
  /** Organizations defining a custom role, given to some of their non-admin members. Default 0.1. */
  customRoleRate?: number;
  /** Members whose shared email is written with other capitals in another organization. Default 0.3 of shared. */
  mixedCaseRate?: number;
  /** Consumer users (POST /v1/users/search). Default 0. */
  consumerUsers?: number;
  /** Consumer users with a phone number and no email. Default 0.05. */
  phoneOnlyRate?: number;
  /** People with a (cross-organization) password: a row per member in the support export. Default 0. */
  passwordRate?: number;
  /** scrypt parameters of the generated hashes (small N keeps tests fast). Default N=1024, r=8, p=1, 32. */
  scrypt?: StytchScryptParams;
}

export interface ExpectedUser {
  /** The provider's user source id: the lowercased email. */
  sourceId: string;
  email: string;
  firstName?: string;
  lastName?: string;
  memberIds: string[];
}

export interface ExpectedMembership {
  userSourceId: string;
  orgSourceId: string;
  memberId: string;
  /** Every role id the member holds (stytch_member included). */
  roles: string[];
  admin: boolean;
}

export interface ExpectedStytchState {
  organizations: { sourceId: string; name: string; slug: string; domains: string[]; sso: boolean; scim: boolean }[];
  users: ExpectedUser[];
  memberships: ExpectedMembership[];
}

export interface StytchProject {
  projectId: string;
  organizations: Organization[];
  members: Member[];
  users: User[];
  policy: Policy;
  passwords: StytchPasswordRecord[];
  scrypt: StytchScryptParams;
}

export interface GeneratedStytchProject {
  project: StytchProject;
  /** The WorkOS state after exporting active members (the provider's default). */
  expected: ExpectedStytchState;
  /** The same for other member statuses. */
  expectedFor(statuses: MemberStatus[]): ExpectedStytchState;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Margaret', 'Linus', 'Sophie', 'Guido', 'Mary Ann'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee', 'Hamilton', 'Torvalds', 'Wilson', 'van Rossum'];
const WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne', 'Soylent', 'Wonka'];
const IDPS = ['okta', 'microsoft-entra', 'google-workspace', 'generic'];
const OAUTH = ['google', 'microsoft', 'github', 'slack', 'hubspot'];

export const DEFAULT_STYTCH_SCRYPT: StytchScryptParams = { N: 1024, r: 8, p: 1, keyLength: 32 };

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

const ISO = (i: number) => new Date(Date.UTC(2023, 0, 1) + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function organizationObject(fields: Partial<Organization> & Pick<Organization, 'organization_id' | 'organization_name' | 'organization_slug'>): Organization {
  return {
    organization_logo_url: '',
    sso_jit_provisioning: 'NOT_ALLOWED',
    sso_jit_provisioning_allowed_connections: [],
    sso_active_connections: [],
    email_allowed_domains: [],
    email_jit_provisioning: 'NOT_ALLOWED',
    email_invites: 'ALL_ALLOWED',
    auth_methods: 'ALL_ALLOWED',
    allowed_auth_methods: [],
    mfa_policy: 'OPTIONAL',
    rbac_email_implicit_role_assignments: [],
    mfa_methods: 'ALL_ALLOWED',
    allowed_mfa_methods: [],
    oauth_tenant_jit_provisioning: 'NOT_ALLOWED',
    claimed_email_domains: [],
    first_party_connected_apps_allowed_type: 'ALL_ALLOWED',
    allowed_first_party_connected_apps: [],
    third_party_connected_apps_allowed_type: 'ALL_ALLOWED',
    allowed_third_party_connected_apps: [],
    custom_roles: [],
    trusted_metadata: {},
    ...fields,
  };
}

export function memberObject(fields: Partial<Member> & Pick<Member, 'organization_id' | 'member_id' | 'email_address'>): Member {
  return {
    status: 'active',
    name: '',
    sso_registrations: [],
    is_breakglass: false,
    member_password_id: '',
    oauth_registrations: [],
    email_address_verified: true,
    mfa_phone_number_verified: false,
    is_admin: false,
    totp_registration_id: '',
    retired_email_addresses: [],
    is_locked: false,
    mfa_enrolled: false,
    mfa_phone_number: '',
    default_mfa_method: '',
    roles: [{ role_id: 'stytch_member', sources: [{ type: 'direct_assignment' }] }],
    trusted_metadata: {},
    untrusted_metadata: {},
    ...fields,
  };
}

export function userObject(fields: Partial<User> & Pick<User, 'user_id'>): User {
  return {
    emails: [],
    status: 'active',
    phone_numbers: [],
    webauthn_registrations: [],
    providers: [],
    totps: [],
    crypto_wallets: [],
    biometric_registrations: [],
    is_locked: false,
    roles: [],
    trusted_metadata: {},
    untrusted_metadata: {},
    ...fields,
  };
}

export const DEFAULT_POLICY: Policy = {
  roles: [
    { role_id: 'stytch_admin', description: 'Granted to Members who can manage their Organization.', permissions: [] },
    { role_id: 'stytch_member', description: 'Granted to all Members of an Organization.', permissions: [] },
    { role_id: 'billing_viewer', description: 'Can see invoices.', permissions: [] },
  ],
  resources: [],
  scopes: [],
};

/** A Stytch-style scrypt hash: salt text = base64url of random bytes; scrypt input = the salt TEXT. */
export function stytchScryptHash(password: string, params: StytchScryptParams, saltText = randomBytes(16).toString('base64url')): { salt: string; hash: string } {
  const key = scryptSync(password, Buffer.from(saltText, 'utf8'), params.keyLength, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  });
  return { salt: saltText, hash: key.toString('base64url') };
}

export function generateStytchProject(options: StytchProjectOptions): GeneratedStytchProject {
  const random = mulberry32(options.seed ?? 42);
  const chance = (p: number) => random() < p;
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const projectId = options.projectId ?? 'project-test-00000000-0000-4000-a000-000000000001';
  const scrypt = options.scrypt ?? DEFAULT_STYTCH_SCRYPT;

  const organizations: Organization[] = [];
  for (let i = 0; i < options.organizations; i++) {
    const n = i + 1;
    const word = WORDS[i % WORDS.length];
    const id = `organization-test-${uuidFrom(random)}`;
    const sso = chance(options.ssoRate ?? 0.1);
    const scim = chance(options.scimRate ?? 0.06);
    const custom = chance(options.customRoleRate ?? 0.1);
    organizations.push(
      organizationObject({
        organization_id: id,
        organization_name: `${word} ${['Labs', 'Systems', 'Works', 'Group'][i % 4]} ${n}`,
        organization_slug: `${word.toLowerCase()}-${n}`,
        organization_external_id: i % 3 === 0 ? `crm-${n}` : undefined,
        email_allowed_domains: [`${word.toLowerCase()}${n}.example.com`, ...(i % 5 === 0 ? [`${word.toLowerCase()}${n}-eu.example.com`] : [])],
        sso_active_connections: sso
          ? [{ connection_id: `saml-connection-test-${uuidFrom(random)}`, display_name: `${word} SSO`, identity_provider: pick(IDPS) }]
          : [],
        scim_active_connection: scim
          ? { connection_id: `scim-connection-test-${uuidFrom(random)}`, display_name: `${word} directory`, bearer_token_last_four: '1234' }
          : undefined,
        custom_roles: custom ? [{ role_id: `${word.toLowerCase()}_${n}_editor`, description: `Editors of ${word} ${n}`, permissions: [] }] : [],
        rbac_email_implicit_role_assignments: [],
        created_at: ISO(i),
      }),
    );
  }

  // People: one email, one name; a share of members is a person seen before, in another organization.
  interface Person {
    email: string;
    name: string;
    orgs: Set<number>;
    /** Cross-organization passwords: a person with one has it in every organization. */
    password: boolean;
  }
  const people: Person[] = [];
  const members: Member[] = [];
  const passwords: StytchPasswordRecord[] = [];
  const passwordByPerson = new Map<Person, { password: string; salt: string; hash: string }>();
  const statusRates = { invited: 0.05, pending: 0.03, deleted: 0.04, ...options.statusRates };
  const perOrg = Array.from({ length: organizations.length }, () => 0);
  for (let m = 0; m < options.members && organizations.length; m++) {
    // Round-robin keeps every organization populated; shared people land in an org they are not in yet.
    const orgIndex = m % organizations.length;
    const org = organizations[orgIndex];
    let person: Person | undefined;
    if (people.length && chance(options.sharedEmailRate ?? 0.15)) {
      for (let tries = 0; tries < 5 && !person; tries++) {
        const candidate = people[Math.floor(random() * people.length)];
        if (!candidate.orgs.has(orgIndex)) person = candidate;
      }
    }
    let email: string;
    if (person) {
      email = chance(options.mixedCaseRate ?? 0.3) ? person.email.replace(/^./, (c) => c.toUpperCase()) : person.email;
    } else {
      const k = people.length + 1;
      const first = FIRST[k % FIRST.length];
      const last = LAST[(k * 7) % LAST.length];
      const name = chance(0.03) ? '' : k % 11 === 0 ? first : `${first} ${last}`;
      person = {
        email: `${first.toLowerCase().replace(/\s+/g, '.')}.${k}@people${k % 17}.example.net`,
        name,
        orgs: new Set(),
        password: chance(options.passwordRate ?? 0),
      };
      people.push(person);
      email = person.email;
    }
    person.orgs.add(orgIndex);
    perOrg[orgIndex]++;

    const roll = random();
    let status: MemberStatus = 'active';
    if (roll < statusRates.deleted) status = 'deleted';
    else if (roll < statusRates.deleted + statusRates.pending) status = 'pending';
    else if (roll < statusRates.deleted + statusRates.pending + statusRates.invited) status = 'invited';

    const roles: Member['roles'] = [];
    const adminRoll = random();
    if (adminRoll < (options.adminRate ?? 0.1)) {
      roles.push({ role_id: 'stytch_admin', sources: [{ type: 'direct_assignment' }] });
    } else if (adminRoll < (options.adminRate ?? 0.1) + (options.implicitAdminRate ?? 0.04)) {
      const type = org.sso_active_connections.length ? pick(['sso_connection_group', 'email_assignment']) : 'email_assignment';
      roles.push({ role_id: 'stytch_admin', sources: [{ type, details: type === 'email_assignment' ? { email_domain: org.email_allowed_domains[0] } : {} }] });
    } else if (org.custom_roles.length && chance(0.3)) {
      roles.push({ role_id: org.custom_roles[0].role_id, sources: [{ type: 'direct_assignment' }] });
    }
    roles.push({ role_id: 'stytch_member', sources: [{ type: 'direct_assignment' }] });

    const memberId = `member-test-${uuidFrom(random)}`;
    const sms = chance(options.smsRate ?? 0.05);
    const totp = chance(options.totpRate ?? 0.05);
    const hasPassword = status !== 'deleted' && person.password;
    members.push(
      memberObject({
        organization_id: org.organization_id,
        member_id: memberId,
        email_address: email,
        email_address_verified: status === 'active' ? chance(0.9) : false,
        status,
        name: person.name,
        roles,
        is_admin: roles.some((r) => r.role_id === 'stytch_admin'),
        oauth_registrations: chance(options.oauthRate ?? 0.25)
          ? [{ provider_type: pick(OAUTH), provider_subject: `sub-${m}`, member_oauth_registration_id: `member-oauth-registration-test-${m}` }]
          : [],
        sso_registrations: org.sso_active_connections.length && chance(0.5)
          ? [{ connection_id: org.sso_active_connections[0].connection_id, external_id: `idp-${m}`, registration_id: `member-registration-test-${m}` }]
          : [],
        mfa_phone_number: sms ? `+1555${String(1000000 + m).slice(-7)}` : '',
        mfa_phone_number_verified: sms,
        mfa_enrolled: sms || totp,
        default_mfa_method: sms ? 'sms_otp' : totp ? 'totp' : '',
        totp_registration_id: totp ? `member-totp-test-${uuidFrom(random)}` : '',
        member_password_id: hasPassword ? `member-password-test-${uuidFrom(random)}` : '',
        external_id: m % 4 === 0 ? `app-user-${m}` : undefined,
        created_at: ISO(m),
      }),
    );
    if (hasPassword) {
      // Cross-organization passwords: one person, one password, a row per member.
      let pw = passwordByPerson.get(person);
      if (!pw) {
        const password = `pw-${person.email}-${m}`;
        pw = { password, ...stytchScryptHash(password, scrypt, Buffer.from(Array.from({ length: 16 }, () => Math.floor(random() * 256))).toString('base64url')) };
        passwordByPerson.set(person, pw);
      }
      passwords.push({ id: memberId, hash: pw.hash, salt: pw.salt, hash_method: 'scrypt', password: pw.password });
    }
  }

  const users: User[] = [];
  for (let u = 0; u < (options.consumerUsers ?? 0); u++) {
    const first = FIRST[u % FIRST.length];
    const last = LAST[(u * 3) % LAST.length];
    const userId = `user-test-${uuidFrom(random)}`;
    const phoneOnly = chance(options.phoneOnlyRate ?? 0.05);
    const email = `${first.toLowerCase().replace(/\s+/g, '.')}.c${u + 1}@consumer.example.org`;
    users.push(
      userObject({
        user_id: userId,
        status: chance(0.9) ? 'active' : 'pending',
        name: { first_name: first, middle_name: u % 9 === 0 ? 'Q' : '', last_name: last },
        emails: phoneOnly
          ? []
          : [
              ...(u % 10 === 0 ? [{ email_id: `email-test-${u}-0`, email: `old.${email}`, verified: false }] : []),
              { email_id: `email-test-${u}`, email, verified: chance(0.85) },
            ],
        phone_numbers: phoneOnly || chance(0.1) ? [{ phone_id: `phone-number-test-${u}`, phone_number: `+1555${String(2000000 + u).slice(-7)}`, verified: true }] : [],
        providers: chance(options.oauthRate ?? 0.25)
          ? [{ provider_type: pick(['Google', 'Github', 'Microsoft', 'Apple']), provider_subject: `c-${u}`, profile_picture_url: '', locale: 'en', oauth_user_registration_id: `oauth-user-registration-test-${u}` }]
          : [],
        totps: chance(options.totpRate ?? 0.05) ? [{ totp_id: `totp-test-${u}`, verified: true }] : [],
        password: undefined,
        created_at: ISO(u),
      }),
    );
  }

  const project: StytchProject = { projectId, organizations, members, users, policy: structuredClone(DEFAULT_POLICY), passwords, scrypt };
  const expectedFor = (statuses: MemberStatus[]) => expectedState(project, statuses);
  return { project, expected: expectedFor(['active']), expectedFor };
}

/**
 * What WorkOS must hold once the project is migrated with the given member statuses: an
 * organization per Stytch organization, a user per distinct (case-insensitive) email among the
 * exported members, a membership per exported member.
 */
export function expectedState(project: StytchProject, statuses: MemberStatus[]): ExpectedStytchState {
  const allowed = new Set<string>(statuses);
  const organizations = project.organizations.map((o) => ({
    sourceId: o.organization_id,
    name: o.organization_name,
    slug: o.organization_slug,
    domains: o.email_allowed_domains,
    sso: o.sso_active_connections.length > 0,
    scim: !!o.scim_active_connection,
  }));
  const users = new Map<string, ExpectedUser>();
  const memberships: ExpectedMembership[] = [];
  for (const m of project.members) {
    if (!allowed.has(m.status)) continue;
    const key = m.email_address.trim().toLowerCase();
    let user = users.get(key);
    if (!user) {
      const parts = m.name.trim().split(/\s+/).filter(Boolean);
      user = {
        sourceId: key,
        email: key,
        firstName: parts.length > 1 ? parts.slice(0, -1).join(' ') : parts[0],
        lastName: parts.length > 1 ? parts[parts.length - 1] : undefined,
        memberIds: [],
      };
      users.set(key, user);
    }
    user.memberIds.push(m.member_id);
    memberships.push({
      userSourceId: key,
      orgSourceId: m.organization_id,
      memberId: m.member_id,
      roles: m.roles.map((r) => r.role_id),
      admin: m.roles.some((r) => r.role_id === 'stytch_admin'),
    });
  }
  return { organizations, users: [...users.values()], memberships };
}

export type PasswordExportShape = 'comment' | 'pairs' | 'json' | 'headerless';

/**
 * Writes a support-style password export. Shapes: `comment` (`# N=.., r=.., p=.., key_length=..`),
 * `pairs` (`N,32768` lines), `json` (`{"N": ..}`), `headerless` (parameters, then rows without a
 * column header).
 */
export function writeStytchPasswordExport(
  file: string,
  rows: Pick<StytchPasswordRecord, 'id' | 'hash' | 'salt' | 'hash_method'>[],
  params: StytchScryptParams,
  shape: PasswordExportShape = 'comment',
): void {
  const lines: string[] = [];
  if (shape === 'comment' || shape === 'headerless') {
    lines.push('# Stytch password export', `# N=${params.N}, r=${params.r}, p=${params.p}, key_length=${params.keyLength}`);
  } else if (shape === 'pairs') {
    lines.push('hash_algorithm,scrypt', `N,${params.N}`, `r,${params.r}`, `p,${params.p}`, `key_length,${params.keyLength}`, '');
  } else {
    lines.push(JSON.stringify({ N: params.N, r: params.r, p: params.p, dkLen: params.keyLength }));
  }
  if (shape !== 'headerless') lines.push('id,hash,salt,hash_method');
  for (const row of rows) lines.push([row.id, row.hash, row.salt, row.hash_method].join(','));
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}
