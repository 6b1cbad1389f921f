/**
 * A Firebase project's `auth:export`, made here: users with known passwords hashed by Firebase's
 * published scrypt variant (written out below with node:crypto, apart from the tool's own code:
 * scrypt(password, salt ‖ separator, N = 2^mem_cost, r = rounds, p = 1, 32 bytes) as the key of
 * AES-256-CTR with a zero IV over the signer key), social and phone-MFA users, custom claims
 * (one of them broken), disabled users, a phone-only user; an organizations file assigning some
 * users (by uid and by email) to organizations. The export is written as JSON (firebase-tools'
 * pretty-printed `{"users": [...]}`, hashes in URL-safe base64 as the API gives them) or as CSV
 * (firebase-tools' 28 columns, no header).
 */
import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';

export interface HashParams {
  signerKey: string;
  saltSeparator: string;
  rounds: number;
  memCost: number;
}

/** A project's parameters (made up: a 64-byte key, Firebase's usual separator and defaults). */
export const PARAMS: HashParams = {
  signerKey: Buffer.from('fixture signer key of a made-up Firebase project, 64 bytes long!!').toString('base64'),
  saltSeparator: 'Bw==',
  rounds: 8,
  memCost: 14,
};

/** Cheaper parameters for the bulk fixtures (256 KiB a hash instead of 16 MiB): the same algorithm. */
export const FAST_PARAMS: HashParams = { ...PARAMS, memCost: 8 };

const b64 = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

/** Firebase's scrypt, for the fixture (standard base64 out). */
export function firebaseHash(password: string, salt: Buffer, params: HashParams): string {
  const N = 2 ** params.memCost;
  const key = scryptSync(password, Buffer.concat([salt, b64(params.saltSeparator)]), 32, { N, r: params.rounds, p: 1, maxmem: 256 * N * params.rounds + (1 << 20) });
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(b64(params.signerKey)), cipher.final()]).toString('base64');
}

const urlSafe = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_');

export interface FixtureUser {
  localId: string;
  email?: string;
  emailVerified: boolean;
  displayName?: string;
  password?: string;
  passwordHash?: string;
  salt?: string;
  disabled: boolean;
  customAttributes?: string;
  providers: string[];
  smsMfa: boolean;
  phoneNumber?: string;
  createdAt: string;
  lastSignedInAt: string;
}

export interface ExpectedFirebase {
  /** Users WorkOS must hold (with an email, not disabled unless imported). */
  users: { id: string; email: string; firstName?: string; lastName?: string; emailVerified: boolean; password?: string; metadata: Record<string, string>; social: string[]; sms: boolean }[];
  disabled: string[];
  noEmail: string[];
  badClaims: { id: string; line?: number }[];
  organizations: { id: string; name: string }[];
  /** Memberships of imported users, with the WorkOS role after the test's role map. */
  memberships: { userId: string; orgId: string; role: string }[];
  /** Organization rows naming nobody in the export. */
  strayRows: number;
}

export interface Fixture {
  users: FixtureUser[];
  params: HashParams;
  /** Organization rows: user key (uid or email), org id, org name, role. */
  orgRows: [string, string, string, string][];
  expected(options?: { disabled?: 'skip' | 'import' }): ExpectedFirebase;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee'];

/** Roles in the organizations file, and the WorkOS role each one ends as (billing by --role-map billing=member). */
export const ROLE_OF: Record<string, string> = { admin: 'admin', member: 'member', billing: 'member' };

export function buildFixture(options: { users: number; params?: HashParams; passwordShare?: number }): Fixture {
  const params = options.params ?? FAST_PARAMS;
  const users: FixtureUser[] = [];
  for (let i = 0; i < options.users; i++) {
    const first = FIRST[i % FIRST.length];
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
    const u: FixtureUser = {
      localId: `fb${String(i).padStart(5, '0')}Uid${(i * 7919).toString(36)}`,
      email: `${first.toLowerCase()}.${last.toLowerCase()}.${i}@example.com`,
      emailVerified: i % 3 !== 0,
      displayName: i % 11 === 5 ? undefined : `${first} ${i % 4 === 0 ? 'van ' : ''}${last}`,
      disabled: i % 97 === 13,
      providers: [],
      smsMfa: i % 41 === 7,
      createdAt: String(1_600_000_000_000 + i * 1000),
      lastSignedInAt: String(1_700_000_000_000 + i * 1000),
    };
    // Most sign in with a password; some with Google or GitHub as well, some with them alone.
    const social = i % 9 === 4 ? ['google.com'] : i % 13 === 6 ? ['github.com', 'google.com'] : [];
    const withPassword = (i % 100) / 100 < (options.passwordShare ?? 0.7) || social.length === 0;
    if (withPassword) {
      u.password = `pw-${i}-Known!`;
      const salt = randomBytes(16);
      const hash = firebaseHash(u.password, salt, params);
      u.passwordHash = hash;
      u.salt = salt.toString('base64');
    }
    u.providers = [...(withPassword ? ['password'] : []), ...social];
    if (u.smsMfa) u.phoneNumber = `+1555${String(i).padStart(7, '0')}`;
    if (i % 5 === 2) u.customAttributes = JSON.stringify({ plan: i % 2 ? 'pro' : 'free', seats: i % 17, flags: { beta: i % 4 === 2 } });
    if (i === 17) u.customAttributes = '{"plan": "pro", broken';
    if (i === 23) {
      // A phone-only user: no email.
      delete u.email;
      delete u.password;
      delete u.passwordHash;
      delete u.salt;
      u.providers = ['phone'];
      u.phoneNumber = '+15550000023';
    }
    users.push(u);
  }

  // Organizations: four, the users spread over them (some twice), named by uid or by email.
  const orgs = [
    ['org_acme', 'Acme, Inc.'],
    ['org_globex', 'Globex'],
    ['org_initech', 'Initech'],
    ['org_umbrella', 'Umbrella'],
  ];
  const orgRows: [string, string, string, string][] = [];
  users.forEach((u, i) => {
    if (i % 4 === 3) return;
    const [id, name] = orgs[i % orgs.length];
    const role = i % 10 === 0 ? 'admin' : i % 10 === 1 ? 'billing' : 'member';
    orgRows.push([i % 2 === 0 || !u.email ? u.localId : u.email.toUpperCase(), id, name, role]);
    if (i % 25 === 0) orgRows.push([u.localId, orgs[(i + 1) % orgs.length][0], orgs[(i + 1) % orgs.length][1], 'member']);
  });
  orgRows.push(['nobody-here', 'org_acme', 'Acme, Inc.', 'member']);

  return {
    users,
    params,
    orgRows,
    expected({ disabled = 'skip' } = {}) {
      const imported = users.filter((u) => u.email && (disabled === 'import' || !u.disabled));
      const importedIds = new Set(imported.map((u) => u.localId));
      const byKey = new Map<string, FixtureUser>();
      for (const u of users) {
        byKey.set(u.localId, u);
        if (u.email) byKey.set(u.email.toLowerCase(), u);
      }
      const memberships = new Map<string, { userId: string; orgId: string; role: string }>();
      let strayRows = 0;
      for (const [key, orgId, , role] of orgRows) {
        const u = byKey.get(key.includes('@') ? key.toLowerCase() : key);
        if (!u) {
          strayRows++;
          continue;
        }
        if (!importedIds.has(u.localId)) continue;
        memberships.set(`${u.localId}/${orgId}`, { userId: u.localId, orgId, role: ROLE_OF[role] });
      }
      return {
        users: imported.map((u) => {
          const name = u.displayName;
          const at = name?.lastIndexOf(' ') ?? -1;
          let metadata: Record<string, string> = {};
          if (u.customAttributes && u.localId !== users[17]?.localId) {
            const c = JSON.parse(u.customAttributes) as { plan: string; seats: number; flags: { beta: boolean } };
            metadata = { plan: c.plan, seats: String(c.seats), 'flags.beta': String(c.flags.beta) };
          }
          return {
            id: u.localId,
            email: u.email!,
            firstName: name ? (at > 0 ? name.slice(0, at) : name) : undefined,
            lastName: name && at > 0 ? name.slice(at + 1) : undefined,
            emailVerified: u.emailVerified,
            password: u.password,
            metadata,
            social: u.providers.filter((p) => p !== 'password' && p !== 'phone').map((p) => p.replace(/\.com$/, '')),
            sms: u.smsMfa,
          };
        }),
        disabled: users.filter((u) => u.disabled && u.email).map((u) => u.localId),
        noEmail: users.filter((u) => !u.email).map((u) => u.localId),
        badClaims: users.length > 17 ? [{ id: users[17].localId }] : [],
        organizations: orgs.map(([id, name]) => ({ id, name })),
        memberships: [...memberships.values()],
        strayRows,
      };
    },
  };
}

function jsonUser(u: FixtureUser): Record<string, unknown> {
  return {
    localId: u.localId,
    ...(u.email ? { email: u.email } : {}),
    emailVerified: u.emailVerified,
    ...(u.passwordHash ? { passwordHash: urlSafe(u.passwordHash), salt: urlSafe(u.salt!) } : {}),
    ...(u.displayName ? { displayName: u.displayName } : {}),
    lastSignedInAt: u.lastSignedInAt,
    createdAt: u.createdAt,
    ...(u.phoneNumber ? { phoneNumber: u.phoneNumber } : {}),
    disabled: u.disabled,
    ...(u.customAttributes ? { customAttributes: u.customAttributes } : {}),
    providerUserInfo: u.providers.map((providerId) => ({
      providerId,
      rawId: providerId === 'password' ? u.email : providerId === 'phone' ? u.phoneNumber : `${providerId}-${u.localId}`,
      ...(u.email && providerId !== 'phone' ? { email: u.email } : {}),
      ...(u.displayName ? { displayName: u.displayName } : {}),
    })),
    ...(u.smsMfa ? { mfaInfo: [{ mfaEnrollmentId: `mfa-${u.localId}`, displayName: 'phone', phoneInfo: u.phoneNumber, enrolledAt: '2024-01-01T00:00:00Z' }] } : {}),
  };
}

/** firebase-tools' JSON: `{"users": [` then each user pretty-printed, `,\n` between them. */
export function writeJsonExport(file: string, fixture: Fixture): void {
  const body = fixture.users.map((u) => JSON.stringify(jsonUser(u), null, 2)).join(',\n');
  fs.writeFileSync(file, `{"users": [\n${body}]\n}\n`);
}

/** The line each user starts on in writeJsonExport's file. */
export function jsonLineOf(fixture: Fixture, localId: string): number {
  let line = 2;
  for (const u of fixture.users) {
    if (u.localId === localId) return line;
    line += JSON.stringify(jsonUser(u), null, 2).split('\n').length;
  }
  throw new Error(`no user ${localId}`);
}

const csvCell = (s: string | undefined) => (s === undefined ? '' : /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** firebase-tools' CSV: 28 columns, no header (the MFA factors are not in it). */
export function writeCsvExport(file: string, fixture: Fixture): void {
  const lines = fixture.users.map((u) => {
    const row: string[] = Array(28).fill('');
    row[0] = u.localId;
    row[1] = u.email ?? '';
    row[2] = String(u.emailVerified);
    row[3] = u.passwordHash ?? '';
    row[4] = u.salt ?? '';
    row[5] = csvCell(u.displayName);
    const at: Record<string, number> = { 'google.com': 7, 'facebook.com': 11, 'twitter.com': 15, 'github.com': 19 };
    for (const p of u.providers) if (at[p]) [row[at[p]], row[at[p] + 1]] = [`${p}-${u.localId}`, u.email ?? ''];
    row[23] = u.createdAt;
    row[24] = u.lastSignedInAt;
    row[25] = u.phoneNumber ?? '';
    row[26] = String(u.disabled);
    row[27] = csvCell(u.customAttributes);
    return row.join(',');
  });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

export function writeOrganizations(file: string, fixture: Fixture): void {
  fs.writeFileSync(file, `user,organization_id,organization_name,role\n${fixture.orgRows.map((r) => r.map((c) => csvCell(c)).join(',')).join('\n')}\n`);
}
