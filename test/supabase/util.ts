import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { checkPasswordHash } from '../../src/sandbox/passwords.js';
import type { ExpectedState } from './fixture.js';

export const ROLES = ['admin', 'member'];

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const verified = new Map<string, Promise<boolean | null>>();
/** Recomputes `password` through the PHC string WorkOS received (each distinct pair once: bulk users share hashes). */
function signsIn(type: string, hash: string, password: string): Promise<boolean | null> {
  const key = `${type}\u0000${hash}\u0000${password}`;
  if (!verified.has(key)) verified.set(key, checkPasswordHash(type as never, hash, password));
  return verified.get(key)!;
}

/**
 * WorkOS holds exactly the Supabase project (with the default choices): every importable user
 * once, its uuid as external id, its name, verification and metadata; each password user's bcrypt
 * hash, recomputed from a known password (a wrong one refused); the TOTP secret carried; the
 * organizations of the file; the memberships with their mapped roles. Nothing else.
 */
export async function expectWorkOSHolds(sandbox: Sandbox, expected: ExpectedState): Promise<void> {
  const users = [...sandbox.state.users.values()];
  expect(users.length).toBe(expected.users.length);
  const byExternal = new Map(users.map((u) => [u.external_id, u]));
  expect(byExternal.size).toBe(users.length);
  let hashes = 0;
  for (const exp of expected.users) {
    const user = byExternal.get(exp.id)!;
    expect(user, exp.email).toBeDefined();
    expect(user.email).toBe(exp.email);
    expect(user.first_name ?? undefined, exp.email).toBe(exp.firstName);
    expect(user.last_name ?? undefined, exp.email).toBe(exp.lastName);
    expect(user.email_verified, exp.email).toBe(exp.emailVerified);
    expect(user.metadata, exp.email).toEqual(exp.metadata);
    const credential = sandbox.state.credentials.get(user.id) as { kind: string; password_hash: string; password_hash_type: string } | undefined;
    if (exp.password === undefined) {
      expect(credential, `${exp.email} has no password`).toBeUndefined();
      continue;
    }
    expect(credential?.kind, exp.email).toBe('hash');
    expect(credential!.password_hash_type).toBe('bcrypt');
    expect(credential!.password_hash).toMatch(/^\$2a\$(04|10)\$[./A-Za-z0-9]{53}$/);
    expect(await signsIn('bcrypt', credential!.password_hash, exp.password), `${exp.email} signs in with its password`).toBe(true);
    hashes++;
  }
  expect(hashes).toBe(expected.users.filter((u) => u.password !== undefined).length);
  // A wrong password is refused through the same hashes (one of each cost).
  for (const exp of [expected.users[0], expected.users.at(-1)!]) {
    const c = sandbox.state.credentials.get(byExternal.get(exp.id)!.id) as { password_hash: string };
    expect(await checkPasswordHash('bcrypt', c.password_hash, `${exp.password}x`)).toBe(false);
  }

  const factors = [...sandbox.state.authFactors.values()];
  const totp = expected.users.filter((u) => u.totp);
  expect(factors.length).toBe(totp.length);
  for (const u of totp) expect(factors.filter((f) => f.user_id === byExternal.get(u.id)!.id).map((f) => f.totp.secret)).toEqual([u.totp]);

  const orgs = [...sandbox.state.organizations.values()];
  expect(orgs.map((o) => [o.external_id, o.name]).sort()).toEqual(expected.organizations.map((o) => [o.id, o.name]).sort());
  const orgByExternal = new Map(orgs.map((o) => [o.external_id, o]));
  const want = Object.fromEntries(expected.memberships.map((m) => [`${byExternal.get(m.userId)!.id}/${orgByExternal.get(m.orgId)!.id}`, [...m.roles].sort()]));
  const memberships = [...sandbox.state.memberships.values()];
  const got = Object.fromEntries(memberships.map((m) => [`${m.user_id}/${m.organization_id}`, m.roles.map((r) => r.slug).sort()]));
  expect(Object.keys(got).length).toBe(memberships.length);
  expect(got).toEqual(want);
  expect(memberships.every((m) => m.status === 'active')).toBe(true);
}
