/**
 * The dual-write module's own test, written by `workos-migrate dual-write`. It runs against a
 * WorkOS TEST environment (never production) or the workos-migrate sandbox, creating users under
 * example.com and deleting them afterwards:
 *
 *   WORKOS_API_KEY=sk_test_... WORKOS_CLIENT_ID=client_... npx vitest run workos-dual-write.test.ts
 *   (WORKOS_API_URL=http://127.0.0.1:4100 for the sandbox)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDualWrite, fileQueue, memoryQueue, type AppUser, type DualWriteEvent } from './workos-dual-write.js';

const apiKey = process.env.WORKOS_API_KEY ?? '';
const clientId = process.env.WORKOS_CLIENT_ID ?? '';

function client(url = process.env.WORKOS_API_URL): WorkOS {
  if (!url) return new WorkOS(apiKey);
  const u = new URL(url);
  return new WorkOS(apiKey, { apiHostname: u.hostname, https: u.protocol === 'https:', port: u.port ? Number(u.port) : undefined });
}

describe('dual-write into WorkOS', () => {
  const run = Math.random().toString(36).slice(2, 10);
  const email = (name: string) => `dual-write-${run}-${name}@example.com`;
  const created = new Set<string>();
  const saved = new Map<string, string>();
  const saveWorkosUserId = async (appUserId: string, workosUserId: string) => {
    saved.set(appUserId, workosUserId);
    created.add(workosUserId);
  };
  let workos: WorkOS;

  beforeAll(() => {
    if (!apiKey || !clientId) throw new Error('Set WORKOS_API_KEY (sk_test_...) and WORKOS_CLIENT_ID (client_...) of a WorkOS test environment, or of the sandbox with WORKOS_API_URL.');
    if (apiKey.startsWith('sk_live_')) throw new Error('This test creates and deletes users: run it against a test environment, not production.');
    workos = client();
  });
  afterAll(async () => {
    for (const id of created) await workos?.userManagement.deleteUser(id).catch(() => undefined);
  });

  const signsIn = (address: string, password: string) =>
    workos.userManagement.authenticateWithPassword({ clientId, email: address, password }).then(
      () => true,
      () => false,
    );

  it('mirrors a sign-up with its password and stores the WorkOS id; then an email change, a password change and the deletion', async () => {
    const dual = createDualWrite({ workos, saveWorkosUserId, queue: memoryQueue() });
    const user: AppUser = { id: `app-${run}-1`, email: email('signup'), firstName: 'Ada', lastName: 'Lovelace', emailVerified: true };
    const result = await dual.userCreated(user, { password: 'first-Secret-1' });
    expect(result.status).toBe('delivered');
    const workosUserId = saved.get(user.id)!;
    expect(workosUserId).toBeTruthy();
    const inWorkOS = await workos.userManagement.getUser(workosUserId);
    expect(inWorkOS).toMatchObject({ email: user.email, externalId: user.id, firstName: 'Ada', lastName: 'Lovelace', emailVerified: true });
    expect(await signsIn(user.email, 'first-Secret-1')).toBe(true);

    expect((await dual.emailChanged({ ...user, workosUserId }, email('changed'))).status).toBe('delivered');
    expect((await workos.userManagement.getUser(workosUserId)).email).toBe(email('changed'));

    // Found by its external id this time (no stored WorkOS id given).
    expect((await dual.passwordChanged({ ...user, email: email('changed') }, { password: 'second-Secret-2' })).status).toBe('delivered');
    expect(await signsIn(email('changed'), 'second-Secret-2')).toBe(true);
    expect(await signsIn(email('changed'), 'first-Secret-1')).toBe(false);

    expect((await dual.userDeleted({ ...user, workosUserId })).status).toBe('delivered');
    await expect(workos.userManagement.getUser(workosUserId)).rejects.toMatchObject({ status: 404 });
    expect(await dual.pending()).toEqual([]);
  });

  it('never fails the sign-up when WorkOS is unreachable: the change waits in the file queue, in order, and is delivered later', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dual-write-')), 'queue.json');
    const events: DualWriteEvent[] = [];
    // Nothing listens on port 9 here: every call is refused, as when WorkOS is down.
    const down = createDualWrite({ workos: client('http://127.0.0.1:9'), saveWorkosUserId, queue: fileQueue(file), onEvent: (e) => events.push(e), retryDelayMs: 0 });
    const user: AppUser = { id: `app-${run}-2`, email: email('offline'), firstName: 'Grace' };
    expect((await down.userCreated(user, { password: 'offline-Secret-3' })).status).toBe('queued');
    expect((await down.emailChanged(user, email('offline-changed'))).status).toBe('queued');
    expect(events.map((e) => e.type)).toEqual(['password_not_mirrored', 'queued', 'queued']);
    // Durable: the queue is on disk, without the plain password.
    const onDisk = fs.readFileSync(file, 'utf8');
    expect(JSON.parse(onDisk)).toHaveLength(2);
    expect(onDisk).not.toContain('offline-Secret-3');
    expect(await down.flush()).toBe(2);

    // Back up (a new process reading the same file): delivered in order.
    const up = createDualWrite({ workos, saveWorkosUserId, queue: fileQueue(file) });
    expect(await up.flush()).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual([]);
    const inWorkOS = await workos.userManagement.getUser(saved.get(user.id)!);
    expect(inWorkOS).toMatchObject({ email: email('offline-changed'), externalId: user.id, firstName: 'Grace' });
  });

  it('adopts a user WorkOS already has (created by the import, or an earlier try) instead of failing or duplicating it', async () => {
    const user: AppUser = { id: `app-${run}-3`, email: email('imported') };
    const imported = await workos.userManagement.createUser({ email: user.email, externalId: user.id });
    created.add(imported.id);
    const events: DualWriteEvent[] = [];
    const dual = createDualWrite({ workos, saveWorkosUserId, queue: memoryQueue(), onEvent: (e) => events.push(e) });
    const result = await dual.userCreated(user);
    expect(result).toEqual({ status: 'delivered', workosUserId: imported.id });
    expect(events).toEqual([{ type: 'delivered', kind: 'create', appUserId: user.id, workosUserId: imported.id, adopted: true }]);
    expect(saved.get(user.id)).toBe(imported.id);
    expect((await workos.userManagement.listUsers({ email: user.email })).data).toHaveLength(1);
  });
});
