import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { verifyPasswordHash } from '../../src/sandbox/passwords.js';
import type { ExpectedFirebase } from './fixture.js';

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** No file under `dir` holds `secret` (as given, or in the unpadded form a PHC string would carry). */
export function expectNowhere(dir: string, secret: string, what: string): void {
  const forms = [secret, secret.replace(/=+$/, '')];
  const files = filesUnder(dir);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    for (const form of forms) expect(bytes.includes(Buffer.from(form)), `${file} holds ${what}`).toBe(false);
  }
}

/**
 * WorkOS holds exactly the Firebase export: every imported user once with its uid as external id,
 * its name split, its verification, its custom claims as metadata, its password (recomputed through
 * the firebase-scrypt PHC string WorkOS received); the organizations of the mapping file, and one
 * membership per user and organization with the mapped role.
 */
export function expectWorkOSHolds(sandbox: Sandbox, expected: ExpectedFirebase): void {
  const users = [...sandbox.state.users.values()];
  expect(users.length).toBe(expected.users.length);
  const byExternal = new Map(users.map((u) => [u.external_id, u]));
  expect(byExternal.size).toBe(users.length);
  let hashes = 0;
  for (const e of expected.users) {
    const u = byExternal.get(e.id)!;
    expect(u, e.email).toBeDefined();
    expect(u.email).toBe(e.email);
    expect(u.first_name ?? undefined).toBe(e.firstName);
    expect(u.last_name ?? undefined).toBe(e.lastName);
    expect(u.email_verified).toBe(e.emailVerified);
    expect(u.metadata ?? {}).toEqual(e.metadata);
    const credential = sandbox.state.credentials.get(u.id) as { kind: string; password_hash: string; password_hash_type: string } | undefined;
    if (!e.password) {
      expect(credential, `${e.email} has no password`).toBeUndefined();
      continue;
    }
    expect(credential?.kind, e.email).toBe('hash');
    expect(credential!.password_hash_type).toBe('firebase-scrypt');
    expect(verifyPasswordHash('firebase-scrypt', credential!.password_hash, e.password), `${e.email} signs in with its password`).toBe(true);
    hashes++;
  }
  expect(hashes).toBe(expected.users.filter((u) => u.password).length);

  const orgs = [...sandbox.state.organizations.values()];
  expect(orgs.length).toBe(expected.organizations.length);
  const orgByExternal = new Map(orgs.map((o) => [o.external_id, o]));
  for (const e of expected.organizations) expect(orgByExternal.get(e.id)?.name, e.id).toBe(e.name);
  const want = Object.fromEntries(expected.memberships.map((m) => [`${byExternal.get(m.userId)!.id}/${orgByExternal.get(m.orgId)!.id}`, [m.role]]));
  const memberships = [...sandbox.state.memberships.values()];
  const got = Object.fromEntries(memberships.map((m) => [`${m.user_id}/${m.organization_id}`, m.roles.map((r) => r.slug).sort()]));
  expect(Object.keys(got).length).toBe(memberships.length);
  expect(got).toEqual(want);
}
