/**
 * The lazy-migration kit: `workos-migrate lazy --out DIR` writes the sign-in module and its test;
 * the generated files type-check alone and pass their own test against the sandbox (an unknown
 * user moved on first sign-in, the second straight to WorkOS, a wrong password creating nothing,
 * a user without a password given it, a moved user never sent back to the old system); and users
 * the real importer brought without hashes (a source whose hashes cannot leave) move one by one.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitTemplateDir } from '../../src/kits/index.js';
import { createLazySignIn, MOVED_KEY, type OldSystemProfile } from '../../src/kits/lazy/workos-lazy-migration.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, runCli, tempDir } from '../helpers.js';
import { importInto, stagedJournal } from '../engine/util.js';
import { linkNodeModules, runGeneratedTest, typecheck } from './util.js';

const FILES = ['workos-lazy-migration.ts', 'workos-lazy-migration.test.ts'];

describe('the lazy-migration kit', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('lazy --out DIR writes the module and its test; they type-check alone and pass their own test against the sandbox', async () => {
    const cwd = tempDir('wm-lazy-');
    const result = await runCli(['lazy', '--out', 'auth'], { cwd, env: {} });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/docs\/lazy-migration\.md/);
    const out = path.join(cwd, 'auth');
    for (const f of FILES) expect(fs.readFileSync(path.join(out, f), 'utf8'), f).toBe(fs.readFileSync(path.join(kitTemplateDir('lazy'), f), 'utf8'));
    linkNodeModules(out);
    const compiled = await typecheck(out, FILES);
    expect(compiled.code, compiled.output).toBe(0);
    const tested = await runGeneratedTest(out, FILES[1], sandbox);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.output).toMatch(/Tests\s+4 passed \(4\)/);
  }, 180_000);

  it('users the import brought without a password move on their next sign-in; a wrong password changes nothing', async () => {
    // The old system: Cognito-like, its hashes cannot leave; the import carried the users without one.
    const old = new Map<string, { id: string; salt: Buffer; key: Buffer }>();
    const sources = Array.from({ length: 5 }, (_, i) => ({ sourceId: `cognito-${i}`, email: `lazy-${i}@lazy.example.com`, firstName: `Lazy${i}` }));
    for (const s of sources) {
      const salt = randomBytes(16);
      old.set(s.email, { id: s.sourceId, salt, key: scryptSync(`old-pw-${s.sourceId}`, salt, 32) });
    }
    const asked: string[] = [];
    const verifyWithOldSystem = async (email: string, password: string): Promise<OldSystemProfile | null> => {
      asked.push(email);
      const u = old.get(email.toLowerCase());
      return u && timingSafeEqual(scryptSync(password, u.salt, 32), u.key) ? { id: u.id } : null;
    };
    const journal = stagedJournal({ users: sources });
    await importInto(sandbox, journal);
    journal.close();
    const imported = new Map([...sandbox.state.users.values()].map((u) => [u.email, u]));
    for (const s of sources) expect(sandbox.state.credentials.has(imported.get(s.email)!.id)).toBe(false);

    const workos = new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port });
    const lazy = createLazySignIn({ workos, clientId: 'client_lazy', verifyWithOldSystem });
    const usersBefore = sandbox.state.users.size;

    // A wrong password: nothing set, nothing created.
    expect(await lazy.signIn(sources[0].email, 'guess')).toEqual({ status: 'invalid_credentials' });
    expect(await lazy.signIn('stranger@lazy.example.com', 'guess')).toEqual({ status: 'invalid_credentials' });
    expect(sandbox.state.users.size).toBe(usersBefore);
    expect(sandbox.state.credentials.has(imported.get(sources[0].email)!.id)).toBe(false);

    // The right one: the imported user (same id, its external id kept) gets the password.
    for (const s of sources.slice(0, 3)) {
      const result = await lazy.signIn(s.email, `old-pw-${s.sourceId}`);
      expect(result, s.email).toMatchObject({ status: 'signed_in', via: 'moved', moved: 'updated' });
      if (result.status === 'signed_in') expect(result.authentication.user).toMatchObject({ id: imported.get(s.email)!.id, externalId: s.sourceId });
      expect(sandbox.checkPassword(s.email, `old-pw-${s.sourceId}`)).toBe(true);
      expect(sandbox.state.users.get(imported.get(s.email)!.id)!.metadata[MOVED_KEY]).toMatch(/^moved /);
    }
    expect(sandbox.state.users.size).toBe(usersBefore);
    // Next time: WorkOS alone, the old system not asked.
    asked.length = 0;
    expect(await lazy.signIn(sources[0].email, `old-pw-${sources[0].sourceId}`)).toMatchObject({ status: 'signed_in', via: 'workos' });
    expect(asked).toEqual([]);
    // Those who have not signed in yet are still without a password: the cutover's password resets are for them.
    for (const s of sources.slice(3)) expect(sandbox.state.credentials.has(imported.get(s.email)!.id)).toBe(false);
  });
});
