/**
 * Seeded Cognito user pools for the fake server, the tests and the demo: users as ListUsers
 * answers them (Username, Attributes[{ Name, Value }], Enabled, UserStatus, dates), with the
 * standard attributes, `custom:*` ones, federated users whose `identities` attribute names their
 * provider (Google, Facebook, Sign in with Apple, a SAML IdP), admin-created users still on their
 * temporary password, users told to reset, unconfirmed sign-ups, disabled users and phone-only
 * users (no email); groups with members (some in two groups); and the WorkOS state a correct
 * migration ends in.
 *
 * Cognito never hands out password hashes, so there are none here: the state says which users
 * sign in with a password (those must end in password-resets.csv).
 */
import { mulberry32 } from '../rate-limit.js';

export interface CognitoAttribute {
  Name: string;
  Value: string;
}

export type CognitoUserStatus = 'UNCONFIRMED' | 'CONFIRMED' | 'EXTERNAL_PROVIDER' | 'UNKNOWN' | 'RESET_REQUIRED' | 'FORCE_CHANGE_PASSWORD';

export interface CognitoUser {
  Username: string;
  Attributes: CognitoAttribute[];
  /** Epoch seconds, as the JSON protocol sends timestamps. */
  UserCreateDate: number;
  UserLastModifiedDate: number;
  Enabled: boolean;
  UserStatus: CognitoUserStatus;
}

export interface CognitoGroup {
  GroupName: string;
  Description?: string;
  Precedence?: number;
  CreationDate: number;
  LastModifiedDate: number;
}

export interface CognitoPool {
  id: string;
  name: string;
  region: string;
  users: CognitoUser[];
  groups: CognitoGroup[];
  /** Group name -> usernames, in the order ListUsersInGroup answers them. */
  members: Map<string, string[]>;
}

export interface CognitoPoolOptions {
  users: number;
  seed?: number;
  region?: string;
  /** Groups beyond admin/editor/viewer: `group-N` with a few members each. */
  extraGroups?: number;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Radia', 'Donald', 'Frances', 'John'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Torvalds', 'Perlman', 'Knuth', 'Allen', 'Backus'];
export const SOCIAL_TYPES = [
  { providerType: 'Google', providerName: 'Google', workos: 'google' },
  { providerType: 'Facebook', providerName: 'Facebook', workos: 'facebook' },
  { providerType: 'SignInWithApple', providerName: 'SignInWithApple', workos: 'apple' },
] as const;
export const SAML_PROVIDER = 'AcmeOkta';

/** A value longer than WorkOS's 600 characters: its key is left out with a warning. */
export const LONG_ATTRIBUTE = 'custom:notes';

const uuid = (rand: () => number) => {
  const hex = () => Math.floor(rand() * 16).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
};

export function generateCognitoPool(options: CognitoPoolOptions): CognitoPool {
  const rand = mulberry32(options.seed ?? 7);
  const region = options.region ?? 'us-east-1';
  const id = `${region}_Fake${Math.floor(rand() * 1e6).toString(36)}`;
  const users: CognitoUser[] = [];
  const base = Date.UTC(2023, 0, 1) / 1000;
  for (let i = 0; i < options.users; i++) {
    const sub = uuid(rand);
    const first = FIRST[i % FIRST.length];
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
    const email = `${first.toLowerCase()}.${last.toLowerCase()}.${i}@example.com`;
    const attrs: CognitoAttribute[] = [{ Name: 'sub', Value: sub }];
    let status: CognitoUserStatus = 'CONFIRMED';
    let username = sub;
    const kind = i % 40;
    if (kind === 7) {
      // Phone-only: no email, cannot be a WorkOS user.
      attrs.push({ Name: 'phone_number', Value: `+1555${String(1000000 + i).slice(-7)}` }, { Name: 'phone_number_verified', Value: 'true' });
      users.push({ Username: username, Attributes: attrs, UserCreateDate: base + i, UserLastModifiedDate: base + i, Enabled: true, UserStatus: status });
      continue;
    }
    attrs.push({ Name: 'email', Value: i % 97 === 3 ? email.toUpperCase() : email });
    attrs.push({ Name: 'email_verified', Value: i % 9 === 4 ? 'false' : 'true' });
    if (i % 11 === 5) attrs.push({ Name: 'name', Value: `${first} ${last}` });
    else if (i % 13 !== 6) attrs.push({ Name: 'given_name', Value: first }, { Name: 'family_name', Value: last });
    if (i % 3 === 0) attrs.push({ Name: 'custom:plan', Value: ['free', 'pro', 'enterprise'][i % 3 === 0 ? (i / 3) % 3 : 0] });
    if (i % 4 === 1) attrs.push({ Name: 'custom:tenant_id', Value: `t-${i % 17}` });
    if (i % 5 === 2) attrs.push({ Name: 'locale', Value: 'en-GB' }, { Name: 'phone_number', Value: `+4420${String(7000000 + i).slice(-7)}` });
    if (i === 11) attrs.push({ Name: LONG_ATTRIBUTE, Value: 'x'.repeat(700) });
    if (kind === 3 || kind === 13 || kind === 23 || kind === 33) {
      // Federated: the username is PROVIDER_id, the identities attribute says which provider.
      const social = kind === 33 ? undefined : SOCIAL_TYPES[(kind - 3) / 10];
      const providerName = social?.providerName ?? SAML_PROVIDER;
      const providerType = social?.providerType ?? 'SAML';
      const userId = String(100000000 + i);
      username = `${providerName.toLowerCase()}_${userId}`;
      status = 'EXTERNAL_PROVIDER';
      attrs.push({
        Name: 'identities',
        Value: JSON.stringify([{ userId, providerName, providerType, issuer: providerType === 'SAML' ? 'https://acme.okta.com' : null, primary: 'true', dateCreated: String((base + i) * 1000) }]),
      });
    } else if (kind === 9) status = 'FORCE_CHANGE_PASSWORD';
    else if (kind === 19) status = 'RESET_REQUIRED';
    else if (kind === 29) status = 'UNCONFIRMED';
    else if (kind === 15) username = `user${i}`; // a pool with usernames (not email as the sign-in name)
    users.push({
      Username: username,
      Attributes: attrs,
      UserCreateDate: base + i,
      UserLastModifiedDate: base + i + 3600,
      Enabled: i % 31 !== 17,
      UserStatus: status,
    });
  }
  const groups: CognitoGroup[] = [
    { GroupName: 'admin', Description: 'Administrators', Precedence: 1, CreationDate: base, LastModifiedDate: base },
    { GroupName: 'editor', Description: 'Can edit content', Precedence: 5, CreationDate: base, LastModifiedDate: base },
    { GroupName: 'viewer', Precedence: 10, CreationDate: base, LastModifiedDate: base },
  ];
  for (let g = 0; g < (options.extraGroups ?? 0); g++) groups.push({ GroupName: `group-${g}`, CreationDate: base, LastModifiedDate: base });
  const members = new Map<string, string[]>(groups.map((g) => [g.GroupName, []]));
  users.forEach((u, i) => {
    if (i % 10 === 0) members.get('admin')!.push(u.Username);
    if (i % 4 === 1 || i % 10 === 0) members.get('editor')!.push(u.Username);
    if (i % 4 === 2) members.get('viewer')!.push(u.Username);
    for (let g = 0; g < (options.extraGroups ?? 0); g++) if (i % 50 === g) members.get(`group-${g}`)!.push(u.Username);
  });
  return { id, name: `fake pool ${options.seed ?? 7}`, region, users, groups, members };
}

export const attributesOf = (u: CognitoUser): Record<string, string> => Object.fromEntries(u.Attributes.map((a) => [a.Name, a.Value]));

export interface ExpectedCognitoUser {
  sub: string;
  username: string;
  email: string;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  /** Signs in with a password in Cognito (not federated): ends in password-resets.csv. */
  password: boolean;
  social?: string;
  groups: string[];
  metadata: Record<string, string>;
}

export interface ExpectedCognitoState {
  /** Users that must be in WorkOS. */
  users: ExpectedCognitoUser[];
  /** Disabled users left out by the default choice (subs). */
  disabled: string[];
  /** Users without an email (subs): not imported, an error each. */
  noEmail: string[];
  /** Federated users per WorkOS provider name (imported users only). */
  social: Record<string, number>;
}

const NAMED = new Set(['sub', 'email', 'email_verified', 'given_name', 'family_name', 'identities']);

/** What WorkOS must hold after the migration (`disabled: 'import'` brings disabled users in). */
export function expectedCognitoState(pool: CognitoPool, options: { disabled?: 'skip' | 'import' } = {}): ExpectedCognitoState {
  const groupsOf = new Map<string, string[]>();
  for (const [group, usernames] of pool.members) for (const name of usernames) groupsOf.set(name, [...(groupsOf.get(name) ?? []), group]);
  const out: ExpectedCognitoState = { users: [], disabled: [], noEmail: [], social: {} };
  for (const u of pool.users) {
    const a = attributesOf(u);
    if (!a.email) {
      out.noEmail.push(a.sub);
      continue;
    }
    if (!u.Enabled && options.disabled !== 'import') {
      out.disabled.push(a.sub);
      continue;
    }
    let firstName = a.given_name ?? null;
    let lastName = a.family_name ?? null;
    const metadata: Record<string, string> = {};
    if (!firstName && !lastName && a.name) [firstName, lastName] = a.name.split(' ');
    else if (a.name) metadata.name = a.name;
    for (const [k, v] of Object.entries(a)) if (!NAMED.has(k) && k !== 'name' && v.length <= 600) metadata[k] = v;
    if (u.Username !== a.sub) metadata.cognito_username = u.Username;
    const identity = a.identities ? (JSON.parse(a.identities) as { providerType: string }[])[0] : undefined;
    const social = identity ? SOCIAL_TYPES.find((s) => s.providerType === identity.providerType)?.workos : undefined;
    if (social) out.social[social] = (out.social[social] ?? 0) + 1;
    out.users.push({
      sub: a.sub,
      username: u.Username,
      email: a.email,
      emailVerified: a.email_verified === 'true',
      firstName,
      lastName,
      password: u.UserStatus !== 'EXTERNAL_PROVIDER',
      social,
      groups: groupsOf.get(u.Username) ?? [],
      metadata,
    });
  }
  return out;
}
