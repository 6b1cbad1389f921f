/**
 * The lazy-migration module's own test, written by `workos-migrate lazy`. It runs against a
 * WorkOS TEST environment (never production) or the workos-migrate sandbox, with a stand-in for
 * the old system, creating users under example.com and deleting them afterwards:
 *
 *   WORKOS_API_KEY=sk_test_... WORKOS_CLIENT_ID=client_... npx vitest run workos-lazy-migration.test.ts
 *   (WORKOS_API_URL=http://127.0.0.1:4100 for the sandbox)
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLazySignIn, MOVED_KEY, type OldSystemProfile } from './workos-lazy-migration.js';

const apiKey = process.env.WORKOS_API_KEY ?? '';
const clientId = process.env.WORKOS_CLIENT_ID ?? '';

function client(url = process.env.WORKOS_API_URL): WorkOS {
  if (!url) return new WorkOS(apiKey);
  const u = new URL(url);
  return new WorkOS(apiKey, { apiHostname: u.hostname, https: u.protocol === 'https:', port: u.port ? Number(u.port) : undefined });
}

/** A stand-in for the old system: users with scrypt hashes, and a count of the questions asked. */
function oldSystem() {
  const users = new Map<string, { profile: OldSystemProfile; salt: Buffer; key: Buffer }>();
  const asked: string[] = [];
  return {
    asked,
    add(email: string, password: string, profile: OldSystemProfile) {
      const salt = randomBytes(16);
      users.set(email.toLowerCase(), { profile, salt, key: scryptSync(password, salt, 32) });
    },
    verify: async (email: string, password: string): Promise<OldSystemProfile | null> => {
      asked.push(email);
      const user = users.get(email.toLowerCase());
      if (!user) return null;
      return timingSafeEqual(scryptSync(password, user.salt, 32), user.key) ? user.profile : null;
    },
  };
}

describe('lazy migration: each user moves into WorkOS on their next sign-in', () => {
  const run = Math.random().toString(36).slice(2, 10);
  const email = (name: string) => `lazy-${run}-${name}@example.com`;
  let workos: WorkOS;

  beforeAll(() => {
    if (!apiKey || !clientId) throw new Error('Set WORKOS_API_KEY (sk_test_...) and WORKOS_CLIENT_ID (client_...) of a WorkOS test environment, or of the sandbox with WORKOS_API_URL.');
    if (apiKey.startsWith('sk_live_')) throw new Error('This test creates and deletes users: run it against a test environment, not production.');
    workos = client();
  });
  afterAll(async () => {
    for (const name of ['unknown', 'wrong', 'imported', 'moved']) {
      const found = await workos?.userManagement.listUsers({ email: email(name) }).catch(() => undefined);
      for (const u of found?.data ?? []) await workos.userManagement.deleteUser(u.id).catch(() => undefined);
    }
  });

  it('moves an unknown user on their first sign-in; the second goes straight to WorkOS', async () => {
    const old = oldSystem();
    old.add(email('unknown'), 'old-Secret-1', { id: `old-${run}-1`, firstName: 'Ada', lastName: 'Lovelace', emailVerified: true });
    const lazy = createLazySignIn({ workos, clientId, verifyWithOldSystem: old.verify });

    const first = await lazy.signIn(email('unknown'), 'old-Secret-1');
    expect(first).toMatchObject({ status: 'signed_in', via: 'moved', moved: 'created' });
    expect(old.asked).toEqual([email('unknown')]);
    const [user] = (await workos.userManagement.listUsers({ email: email('unknown') })).data;
    expect(user).toMatchObject({ externalId: `old-${run}-1`, firstName: 'Ada', lastName: 'Lovelace', emailVerified: true });
    expect(user.metadata[MOVED_KEY]).toMatch(/^moved /);

    const second = await lazy.signIn(email('unknown'), 'old-Secret-1');
    expect(second).toMatchObject({ status: 'signed_in', via: 'workos' });
    if (second.status === 'signed_in') expect(second.authentication.user.id).toBe(user.id);
    expect(old.asked).toHaveLength(1);
  });

  it('never creates anything for a wrong password', async () => {
    const old = oldSystem();
    old.add(email('wrong'), 'right-Secret-2', { id: `old-${run}-2` });
    const lazy = createLazySignIn({ workos, clientId, verifyWithOldSystem: old.verify });
    expect(await lazy.signIn(email('wrong'), 'not-the-Secret')).toEqual({ status: 'invalid_credentials' });
    expect(await lazy.signIn(email('nobody'), 'any-Secret')).toEqual({ status: 'invalid_credentials' });
    expect((await workos.userManagement.listUsers({ email: email('wrong') })).data).toEqual([]);
    expect((await workos.userManagement.listUsers({ email: email('nobody') })).data).toEqual([]);
  });

  it('sets the password of a user the import created without one, without a second user', async () => {
    const imported = await workos.userManagement.createUser({ email: email('imported'), externalId: `old-${run}-3`, firstName: 'Grace' });
    const old = oldSystem();
    old.add(email('imported'), 'old-Secret-3', { id: `old-${run}-3` });
    const lazy = createLazySignIn({ workos, clientId, verifyWithOldSystem: old.verify });
    const result = await lazy.signIn(email('imported'), 'old-Secret-3');
    expect(result).toMatchObject({ status: 'signed_in', via: 'moved', moved: 'updated' });
    if (result.status === 'signed_in') expect(result.authentication.user.id).toBe(imported.id);
    const listed = (await workos.userManagement.listUsers({ email: email('imported') })).data;
    expect(listed.map((u) => u.id)).toEqual([imported.id]);
    expect(listed[0]).toMatchObject({ firstName: 'Grace', externalId: `old-${run}-3` });
  });

  it('once moved, WorkOS alone decides: a password changed in WorkOS is not undone by the old one', async () => {
    const old = oldSystem();
    old.add(email('moved'), 'old-Secret-4', { id: `old-${run}-4` });
    const lazy = createLazySignIn({ workos, clientId, verifyWithOldSystem: old.verify });
    const moved = await lazy.signIn(email('moved'), 'old-Secret-4');
    expect(moved).toMatchObject({ status: 'signed_in', via: 'moved' });
    if (moved.status !== 'signed_in') return;
    await workos.userManagement.updateUser({ userId: moved.authentication.user.id, password: 'new-Secret-5' });
    old.asked.length = 0;
    expect(await lazy.signIn(email('moved'), 'old-Secret-4')).toEqual({ status: 'invalid_credentials' });
    expect(old.asked).toEqual([]);
    expect(await lazy.signIn(email('moved'), 'new-Secret-5')).toMatchObject({ status: 'signed_in', via: 'workos' });
  });
});
