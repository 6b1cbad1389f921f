/**
 * The dual-write kit: `workos-migrate dual-write --out DIR` writes the module and its test; the
 * generated files type-check on their own and pass their own test against the sandbox; with
 * WorkOS down (the sandbox's listener closed) a sign-up still succeeds and its queue delivers
 * later; and a user the module created while the import runs is adopted by the importer, never
 * duplicated. The module imported in process is the template the command copies (byte-identical).
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDualWrite, fileQueue, memoryQueue, type DualWriteEvent } from '../../src/kits/dual-write/workos-dual-write.js';
import { kitTemplateDir } from '../../src/kits/index.js';
import { knownPassword, pbkdf2Hash } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { importInto, stagedJournal } from '../engine/util.js';
import { linkNodeModules, runGeneratedTest, typecheck } from './util.js';

const FILES = ['workos-dual-write.ts', 'workos-dual-write.test.ts'];

describe('the dual-write kit', () => {
  let sandbox: Sandbox;
  let workos: WorkOS;
  let out: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
    workos = new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port });
  });
  afterAll(() => sandbox.close());

  const usersWithEmail = (email: string) => [...sandbox.state.users.values()].filter((u) => u.email.toLowerCase() === email.toLowerCase());

  it('dual-write --out DIR writes the module and its test as the templates are, and never overwrites them without --force', async () => {
    const cwd = tempDir('wm-dual-write-');
    const first = await runCli(['dual-write', '--out', 'lib/workos'], { cwd, env: {} });
    expect(first.code, first.stderr).toBe(0);
    out = path.join(cwd, 'lib/workos');
    for (const f of FILES) expect(fs.readFileSync(path.join(out, f), 'utf8'), f).toBe(fs.readFileSync(path.join(kitTemplateDir('dual-write'), f), 'utf8'));
    expect(first.stderr).toMatch(/lib\/workos\/workos-dual-write\.ts/);
    expect(first.stderr).toMatch(/docs\/dual-write\.md/);

    fs.appendFileSync(path.join(out, FILES[0]), '\n// the operator edited this\n');
    const again = await runCli(['dual-write', '--out', 'lib/workos'], { cwd, env: {} });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exist.*--force/s);
    expect(fs.readFileSync(path.join(out, FILES[0]), 'utf8')).toMatch(/the operator edited this/);
    const forced = await runCli(['dual-write', '--out', 'lib/workos', '--force'], { cwd, env: {} });
    expect(forced.code, forced.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, FILES[0]), 'utf8')).not.toMatch(/the operator edited this/);

    const missing = await runCli(['dual-write'], { cwd, env: {} });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--out DIR/);
  });

  it('the generated module type-checks on its own and passes its own test against the sandbox', async () => {
    expect(out, 'the first test generated the files').toBeTruthy();
    linkNodeModules(out);
    const compiled = await typecheck(out, FILES);
    expect(compiled.code, compiled.output).toBe(0);
    const tested = await runGeneratedTest(out, FILES[1], sandbox);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.output).toMatch(/Tests\s+3 passed \(3\)/);
  }, 180_000);

  it('WorkOS down: the sign-up still succeeds, the change waits in the file queue and is delivered once WorkOS is back', async () => {
    const file = path.join(tempDir('wm-dw-queue-'), 'queue.json');
    const saved = new Map<string, string>();
    const events: DualWriteEvent[] = [];
    const dual = createDualWrite({
      workos,
      queue: fileQueue(file),
      retryDelayMs: 0,
      saveWorkosUserId: async (appUserId, workosUserId) => void saved.set(appUserId, workosUserId),
      onEvent: (e) => events.push(e),
    });
    // Long enough that the sign-up surely meets the closed port, however slow the machine.
    const { reopened } = await sandbox.outage(3_000);
    const signUp = await dual.userCreated({ id: 'app-outage-1', email: 'outage@dual-write.example.com', firstName: 'Olive' }, { passwordHash: pbkdf2Hash('outage-pw'), passwordHashType: 'pbkdf2' });
    expect(signUp.status).toBe('queued');
    expect(usersWithEmail('outage@dual-write.example.com')).toEqual([]);
    // The hash may wait on disk (it is what the app stores anyway); it is delivered with the user.
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toHaveLength(1);

    await reopened;
    expect(await dual.flush()).toBe(0);
    const [user] = usersWithEmail('outage@dual-write.example.com');
    expect(user).toMatchObject({ external_id: 'app-outage-1', first_name: 'Olive' });
    expect(saved.get('app-outage-1')).toBe(user.id);
    expect(sandbox.checkPassword('outage@dual-write.example.com', 'outage-pw')).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['queued', 'delivered']);
  });

  it('a change for a user WorkOS does not hold yet waits (in order) without holding back other users', async () => {
    const events: DualWriteEvent[] = [];
    const queue = memoryQueue();
    const dual = createDualWrite({ workos, queue, retryDelayMs: 0, saveWorkosUserId: async () => undefined, onEvent: (e) => events.push(e) });
    // A user from before the export, not imported yet: its email change must wait for the import.
    const historical = { id: 'app-historical-1', email: 'historical@dual-write.example.com' };
    expect((await dual.emailChanged(historical, 'historical-new@dual-write.example.com')).status).toBe('queued');
    expect((await dual.userDeleted(historical)).status).toBe('queued');
    // Another user's sign-up waiting behind them in the queue (from an outage) is not held back.
    const waiting = await queue.load();
    await queue.save([...waiting, { id: 'fresh', job: { kind: 'create', user: { id: 'app-fresh-1', email: 'fresh@dual-write.example.com' } }, attempts: 1, notBefore: 0 }]);
    expect(await dual.flush()).toBe(2);
    expect(usersWithEmail('fresh@dual-write.example.com')).toHaveLength(1);
    expect((await dual.pending()).map((j) => j.job.kind)).toEqual(['email', 'delete']);

    // The import brings the user: the email change, then the deletion, go through in that order.
    const imported = sandbox.seedUser({ email: historical.email, external_id: historical.id });
    expect(await dual.flush()).toBe(0);
    expect(sandbox.state.users.has(imported.id)).toBe(false);
    const delivered = events.flatMap((e) => (e.type === 'delivered' && e.appUserId === historical.id ? [e.kind] : []));
    expect(delivered).toEqual(['email', 'delete']);
  });

  it('a user the module created before or while the import runs is adopted by the importer, not duplicated', async () => {
    const saved = new Map<string, string>();
    const dual = createDualWrite({ workos, queue: memoryQueue(), saveWorkosUserId: async (a, w) => void saved.set(a, w) });
    const sources = Array.from({ length: 150 }, (_, i) => ({
      sourceId: `ba-user-${i}`,
      email: `member-${i}@dual-write.example.com`,
      firstName: `Member${i}`,
      passwordHash: pbkdf2Hash(knownPassword(`ba-user-${i}`)),
      passwordHashType: 'pbkdf2',
    }));
    // Signed up (and mirrored) after the export, before the import: in the source and in WorkOS.
    const early = sources[0];
    expect((await dual.userCreated({ id: early.sourceId, email: early.email, firstName: early.firstName })).status).toBe('delivered');

    const journal = stagedJournal({ users: sources });
    const importing = importInto(sandbox, journal);
    // Signed up while the import runs.
    const late = sources[149];
    const mirrored = await dual.userCreated({ id: late.sourceId, email: late.email, firstName: late.firstName });
    await importing;
    expect(mirrored.status).toBe('delivered');

    const rows = journal.all<{ source_id: string; state: string; outcome: string; workos_id: string }>(`SELECT source_id, state, outcome, workos_id FROM users`);
    journal.close();
    expect(rows.filter((r) => r.state !== 'done')).toEqual([]);
    expect(rows.find((r) => r.source_id === early.sourceId)).toMatchObject({ outcome: 'adopted', workos_id: saved.get(early.sourceId) });
    for (const s of sources) {
      const holders = usersWithEmail(s.email);
      expect(holders, s.email).toHaveLength(1);
      expect(holders[0].external_id).toBe(s.sourceId);
    }
    // Whichever came first, both name the same WorkOS user, and it signs in with the source's password.
    expect(rows.find((r) => r.source_id === late.sourceId)!.workos_id).toBe(saved.get(late.sourceId));
    expect(sandbox.checkPassword(early.email, knownPassword(early.sourceId))).toBe(true);
    expect(sandbox.checkPassword(late.email, knownPassword(late.sourceId))).toBe(true);
  });
});
