/**
 * Generated migrations for the demo, the tests and the benchmarks: a CSV export of users,
 * organizations and memberships, and the exact state WorkOS must end in once it is imported.
 */
import { pbkdf2Sync } from 'node:crypto';
import fs from 'node:fs';
import { mulberry32 } from './rate-limit.js';

export interface DatasetOptions {
  users: number;
  organizations: number;
  /** Total memberships; every user gets at least one while organizations last. */
  memberships: number;
  seed?: number;
  /** Share of users carrying a (well-formed) bcrypt hash. */
  withPasswords?: number;
}

export interface ExpectedUser {
  sourceId: string;
  email: string;
  firstName: string;
  lastName: string;
}
export interface ExpectedMembership {
  userSourceId: string;
  orgSourceId: string;
  role: string;
}

export interface Dataset {
  users: ExpectedUser[];
  organizations: { sourceId: string; name: string; domain: string }[];
  memberships: ExpectedMembership[];
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Margaret', 'Linus', 'Sophie', 'Guido'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee', 'Hamilton', 'Torvalds', 'Wilson', 'van Rossum'];
const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateDataset(options: DatasetOptions): Dataset {
  const random = mulberry32(options.seed ?? 42);
  const pad = (n: number) => String(n).padStart(6, '0');
  const organizations = Array.from({ length: options.organizations }, (_, i) => ({
    sourceId: `org_${pad(i + 1)}`,
    name: `${LAST[i % LAST.length]} ${['Labs', 'Systems', 'Works', 'Group', 'Partners'][i % 5]} ${i + 1}`,
    domain: `org${i + 1}.example.com`,
  }));
  const users = Array.from({ length: options.users }, (_, i) => ({
    sourceId: `usr_${pad(i + 1)}`,
    email: `${FIRST[i % FIRST.length].toLowerCase()}.${i + 1}@example.com`,
    firstName: FIRST[i % FIRST.length],
    lastName: LAST[(i * 7) % LAST.length],
  }));
  const memberships: ExpectedMembership[] = [];
  const taken = new Set<string>();
  const add = (u: number, o: number) => {
    const key = `${u}:${o}`;
    if (taken.has(key) || !organizations.length) return false;
    taken.add(key);
    memberships.push({ userSourceId: users[u].sourceId, orgSourceId: organizations[o].sourceId, role: random() < 0.1 ? 'admin' : 'member' });
    return true;
  };
  for (let u = 0; u < users.length && memberships.length < options.memberships; u++) add(u, u % Math.max(1, organizations.length));
  const capacity = users.length * organizations.length;
  while (memberships.length < Math.min(options.memberships, capacity)) {
    add(Math.floor(random() * users.length), Math.floor(random() * organizations.length));
  }
  return { users, organizations, memberships };
}

/** The password a generated user signs in with when the dataset is written with `knownPasswords`. */
export const knownPassword = (sourceId: string) => `pw-${sourceId}`;

/** A WorkOS pbkdf2 string for `password` (few iterations: fast to make and to check). */
export function pbkdf2Hash(password: string, salt = `salt-${password}`): string {
  const b64 = (buf: Buffer) => buf.toString('base64').replace(/=+$/, '');
  const saltBytes = Buffer.from(salt);
  return `$pbkdf2$i=1000,d=sha256$${b64(saltBytes)}$${b64(pbkdf2Sync(password, saltBytes, 1000, 32, 'sha256'))}`;
}

function fakeBcrypt(random: () => number): string {
  let tail = '';
  for (let i = 0; i < 53; i++) tail += B64[Math.floor(random() * 64)];
  return `$2b$10$${tail}`;
}

/**
 * Writes the dataset as the CSV an application export would be: one row per membership.
 * `withPasswords` gives that share of users a well-formed bcrypt hash of no known password;
 * `knownPasswords` gives every user a pbkdf2 hash of `knownPassword(sourceId)`, which a sign-in
 * against the sandbox can check.
 */
export function writeDatasetCsv(dataset: Dataset, file: string, options: { withPasswords?: number; knownPasswords?: boolean; seed?: number } = {}): void {
  const random = mulberry32((options.seed ?? 42) + 1);
  const orgs = new Map(dataset.organizations.map((o) => [o.sourceId, o]));
  const byUser = new Map<string, ExpectedMembership[]>();
  for (const m of dataset.memberships) {
    const list = byUser.get(m.userSourceId);
    if (list) list.push(m);
    else byUser.set(m.userSourceId, [m]);
  }
  const fd = fs.openSync(file, 'w');
  let chunk = 'id,email,first_name,last_name,email_verified,password_hash,password_hash_type,organization_id,organization_name,organization_domains,role\n';
  for (const user of dataset.users) {
    const hash = options.knownPasswords ? pbkdf2Hash(knownPassword(user.sourceId)) : options.withPasswords && random() < options.withPasswords ? fakeBcrypt(random) : '';
    const type = !hash ? '' : options.knownPasswords ? 'pbkdf2' : 'bcrypt';
    const rows = byUser.get(user.sourceId) ?? [undefined];
    for (const m of rows) {
      const org = m ? orgs.get(m.orgSourceId)! : undefined;
      chunk += `${user.sourceId},${user.email},${user.firstName},${user.lastName},true,${hash.includes(',') ? `"${hash}"` : hash},${type},${org?.sourceId ?? ''},${org?.name ?? ''},${org?.domain ?? ''},${m?.role ?? ''}\n`;
    }
    if (chunk.length > 1 << 16) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}
