import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { verifyPasswordHash } from '../../src/sandbox/index.js';
import { splitFullName } from '../../src/services/mapping/text.js';
import type { ExpectedState } from './fixture.js';

export const ROLES = ['owner', 'admin', 'member'];

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const verified = new Map<string, boolean>();
/** Recomputes `password` through the PHC string WorkOS received (each distinct pair once: scrypt r=16 is slow). */
function signsIn(type: string, hash: string, password: string): boolean | null {
  const key = `${type}\u0000${hash}\u0000${password}`;
  if (!verified.has(key)) verified.set(key, verifyPasswordHash(type as never, hash, password) === true);
  return verified.get(key)!;
}

/**
 * WorkOS holds exactly the Better Auth database: every user once with its id as external id, its
 * name split, its verification, its password (recomputed through the hash WorkOS received);
 * organizations by id with name, slug and metadata; memberships with all their roles.
 */
export function expectWorkOSHolds(sandbox: Sandbox, expected: ExpectedState, options: { teams?: 'skip' | 'flatten'; invited?: 'skip' | 'active' | 'invite' } = {}): void {
  const users = [...sandbox.state.users.values()];
  const orgs = [...sandbox.state.organizations.values()];
  const memberships = [...sandbox.state.memberships.values()];
  expect(users.length).toBe(expected.users.length);
  const userByExternal = new Map(users.map((u) => [u.external_id, u]));
  let hashes = 0;
  for (const exp of expected.users) {
    const user = userByExternal.get(exp.id)!;
    expect(user, exp.email).toBeDefined();
    expect(user.email).toBe(exp.email);
    const { firstName, lastName } = splitFullName(exp.name);
    expect(user.first_name ?? undefined).toBe(firstName);
    expect(user.last_name ?? undefined).toBe(lastName);
    expect(user.email_verified).toBe(exp.emailVerified);
    const credential = sandbox.state.credentials.get(user.id);
    if (exp.password === undefined) {
      expect(credential, `${exp.email} has no password`).toBeUndefined();
      continue;
    }
    expect(credential?.kind, exp.email).toBe('hash');
    const c = credential as { password_hash: string; password_hash_type: string };
    expect(c.password_hash_type).toBe('scrypt');
    expect(c.password_hash).toMatch(/^\$scrypt\$v=1\$n=16384,r=16,p=1,kl=64\$[A-Za-z0-9+/]{43}\$[A-Za-z0-9+/]{86}$/);
    const nfkc = exp.password.normalize('NFKC');
    expect(signsIn(c.password_hash_type, c.password_hash, nfkc), `${exp.email} signs in with the NFKC form of its password`).toBe(true);
    // A password NFKC changes does not sign in as typed: what the NFKC warning says.
    if (nfkc !== exp.password) expect(signsIn(c.password_hash_type, c.password_hash, exp.password)).toBe(false);
    hashes++;
  }
  expect(hashes).toBe(expected.users.filter((u) => u.password !== undefined).length);

  const teamOrgs = options.teams === 'flatten' ? 1 : 0;
  expect(orgs.length).toBe(expected.organizations.length + teamOrgs);
  const orgByExternal = new Map(orgs.map((o) => [o.external_id, o]));
  for (const exp of expected.organizations) {
    const org = orgByExternal.get(exp.id)!;
    expect(org, exp.name).toBeDefined();
    expect(org.name).toBe(exp.name);
    expect(org.metadata).toEqual(exp.metadata);
  }
  const want = new Map<string, string[]>();
  const add = (userId: string, orgId: string, roles: string[]) => want.set(`${userByExternal.get(userId)!.id}/${orgByExternal.get(orgId)!.id}`, [...roles].sort());
  for (const m of expected.memberships) add(m.userId, m.orgId, m.roles);
  if (options.invited === 'active') for (const m of expected.invitedMembers) add(m.userId, m.orgId, m.roles);
  if (options.teams === 'flatten') {
    const team = expected.team;
    const roleIn = (userId: string) => expected.memberships.find((m) => m.userId === userId && m.orgId === team.orgId)!.roles;
    for (const userId of team.memberIds) add(userId, `team:${team.id}`, roleIn(userId));
  }
  const got = new Map(memberships.map((m) => [`${m.user_id}/${m.organization_id}`, m.roles.map((r) => r.slug).sort()]));
  expect(got.size).toBe(memberships.length);
  expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
  // Invited members sent a WorkOS invitation each (to their email, for their organization, with
  // their first mapped role), and no membership until they accept.
  const invitations = [...sandbox.state.invitations.values()].map((i) => `${i.email}/${i.organization_id}/${i.role_slug}`).sort();
  // Invitations of emails with no user are sent too: nothing else can carry them.
  const invitedWant =
    options.invited === 'invite'
      ? [
          ...expected.invitedMembers.map((m) => `${expected.users.find((u) => u.id === m.userId)!.email}/${orgByExternal.get(m.orgId)!.id}/${m.roles[0]}`),
          ...expected.invitedEmails.map((e) => `${e.email}/${orgByExternal.get(e.orgId)!.id}/${e.role}`),
        ].sort()
      : [];
  expect(invitations).toEqual(invitedWant);
}

/** The users with a verified Better Auth TOTP hold one WorkOS TOTP factor each, with the same secret. */
export function expectTotpFactors(sandbox: Sandbox, expected: ExpectedState): void {
  const idByExternal = new Map([...sandbox.state.users.values()].map((u) => [u.external_id, u.id]));
  const factors = [...sandbox.state.authFactors.values()];
  const want = expected.users.filter((u) => u.totp);
  expect(want.length).toBe(2);
  expect(factors.length).toBe(want.length);
  for (const u of want) {
    const mine = factors.filter((f) => f.user_id === idByExternal.get(u.id));
    expect(mine.map((f) => f.totp.secret), u.email).toEqual([u.totp]);
  }
}
