import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadlessOutput } from '../../src/headless/output.js';
import type { SourceMembership, SourceOrganization, SourceUser } from '../../src/providers/types.js';
import { startSandbox, type Sandbox, type SandboxLimits } from '../../src/sandbox/index.js';
import { createEventBus, type MigrationEvent } from '../../src/services/events.js';
import { Journal } from '../../src/services/journal/journal.js';
import { userRows } from '../../src/services/journal/rows.js';
import { writeReports } from '../../src/services/report/report.js';
import { planOf } from '../../src/services/migration.js';
import { planLines } from '../../src/services/run/plan-lines.js';
import { runVerification } from '../../src/services/verify.js';
import { WorkOSTarget, type CallOptions } from '../../src/services/workos/target.js';
import { FAST_LIMITS, rateFlags, sandboxEnv, spawnCli, tempDir } from '../helpers.js';
import { importInto, lostAnswer, stagedJournal, targetOptions } from './util.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A deterministic 32-character base32 secret per index. */
function secretFor(i: number): string {
  let x = (i + 1) * 2654435761;
  let out = '';
  for (let k = 0; k < 32; k++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += BASE32[x % 32];
  }
  return out;
}

/** Users, half of them with a TOTP secret (some written as apps show them: grouped, lower case). */
function dataset(prefix: string, count: number): { users: SourceUser[]; organizations: SourceOrganization[]; memberships: SourceMembership[]; secrets: Map<string, string> } {
  const secrets = new Map<string, string>();
  const users: SourceUser[] = [];
  for (let i = 0; i < count; i++) {
    const user: SourceUser = { sourceId: `${prefix}-u${i}`, email: `${prefix}-${i}@totp.example.com`, firstName: `F${i}`, emailVerified: true };
    if (i % 2 === 0) {
      const secret = secretFor(i + prefix.length * 1000);
      secrets.set(user.sourceId, secret);
      user.totpSecret = i % 4 === 0 ? secret.toLowerCase().replace(/(.{4})/g, '$1 ').trim() : secret;
      // A TOTP carried over is not one to re-enroll.
      user.mfa = { totp: true };
    }
    users.push(user);
  }
  const organizations: SourceOrganization[] = [{ sourceId: `${prefix}-org`, name: `${prefix} org`, domains: [] }];
  const memberships: SourceMembership[] = users.slice(0, 5).map((u) => ({ userSourceId: u.sourceId, orgSourceId: `${prefix}-org`, roles: ['member'] }));
  return { users, organizations, memberships, secrets };
}

/** The sandbox's TOTP factors, by WorkOS user id. */
function factorsOf(sandbox: Sandbox, userId: string) {
  return [...sandbox.state.authFactors.values()].filter((f) => f.user_id === userId);
}

function workosIdOf(journal: Journal, sourceId: string): string {
  return journal.get<{ workos_id: string }>(`SELECT workos_id FROM users WHERE source_id = ?`, sourceId)!.workos_id;
}

/** Every byte of the journal on disk: the file and its WAL, if any. */
function journalBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
}

function expectNoSecret(text: string | Buffer, secrets: Iterable<string>, where: string): void {
  for (const secret of secrets) {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    expect(bytes.includes(Buffer.from(secret)), `${where} holds a TOTP secret`).toBe(false);
    expect(bytes.includes(Buffer.from(secret.toLowerCase())), `${where} holds a TOTP secret (lower case)`).toBe(false);
    expect(bytes.includes(Buffer.from(secret.slice(0, 16))), `${where} holds part of a TOTP secret`).toBe(false);
  }
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** What the headless runner would print for these events, as text and as --json. */
function printed(events: MigrationEvent[]): string {
  let all = '';
  for (const json of [false, true]) {
    const out = new Collect();
    const err = new Collect();
    const bus = createEventBus(0);
    new HeadlessOutput(out, err, json).attach(bus);
    for (const e of events) bus.emit(e);
    bus.flush();
    all += out.text + err.text;
  }
  return all;
}

describe('TOTP factors from the source', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('enrolls each staged secret once, purges it, and says it nowhere', async () => {
    const dir = tempDir();
    const data = dataset('a', 24);
    // Half staged as SourceUser objects, half as the export worker's rows.
    const journal = stagedJournal({ organizations: data.organizations, users: data.users.slice(0, 12), memberships: data.memberships }, dir);
    journal.stageBatch({ rows: { users: userRows(data.users.slice(12)), memberships: [] } });
    journal.finalizeStaging();

    expect(journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE totp_state = 'pending' AND totp_secret IS NOT NULL`)!.n).toBe(12);
    // Carried over, not to re-enroll.
    expect(journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE mfa IS NOT NULL`)!.n).toBe(0);
    const plan = planOf(journal);
    expect(plan.totpToEnroll).toBe(12);
    expect(planLines(plan, { keys: false }).find((l) => l.id === 'mfa')?.text).toMatch(/^12 TOTP factors to enroll/);

    const { events, stopped } = await importInto(sandbox, journal);
    expect(stopped).toBe(false);
    for (const user of data.users) {
      const factors = factorsOf(sandbox, workosIdOf(journal, user.sourceId));
      const secret = data.secrets.get(user.sourceId);
      if (!secret) {
        expect(factors).toHaveLength(0);
        continue;
      }
      expect(factors, user.email).toHaveLength(1);
      expect(factors[0].type).toBe('totp');
      expect(factors[0].totp.secret).toBe(secret);
    }
    const rows = journal.all<{ totp_state: string; totp_secret: string | null; totp_factor_id: string | null }>(`SELECT totp_state, totp_secret, totp_factor_id FROM users WHERE totp_state IS NOT NULL`);
    expect(rows).toHaveLength(12);
    for (const r of rows) {
      expect(r.totp_state).toBe('done');
      expect(r.totp_secret).toBeNull();
      expect(r.totp_factor_id).toMatch(/^auth_factor_/);
    }

    // The phase was told like the others.
    expect(events).toContainEqual({ type: 'phase', phase: 'factors', status: 'end' });
    const last = events.filter((e) => e.type === 'progress' && e.phase === 'factors').at(-1) as Extract<MigrationEvent, { type: 'progress' }>;
    expect(last.counts).toMatchObject({ total: 12, done: 12, failed: 0, skipped: 0 });
    expect(printed(events)).toMatch(/factors +12\/12 TOTP factors · 12 enrolled · 0 failed/);

    const reports = writeReports(journal);
    const summary = fs.readFileSync(reports.summary, 'utf8');
    expect(summary).toMatch(/12 users with a TOTP secret in the source: 12 enrolled in WorkOS/);
    expect(planOf(journal).totpToEnroll).toBe(0);

    // Nowhere: events, printed output (text and --json), report files, the journal's bytes.
    const secrets = [...data.secrets.values()];
    expectNoSecret(JSON.stringify(events), secrets, 'the events');
    expectNoSecret(printed(events), secrets, 'the output');
    for (const f of fs.readdirSync(reports.dir)) expectNoSecret(fs.readFileSync(path.join(reports.dir, f)), secrets, f);
    journal.close();
    expectNoSecret(journalBytes(journal.path), secrets, 'the journal file');

    // Verification lists each user's factors; a factor deleted behind our back is caught.
    const reopened = Journal.open(journal.path);
    const target = new WorkOSTarget(targetOptions(sandbox));
    const clean = await runVerification(reopened, target);
    expect(clean.checks.find((c) => c.id === 'factors')).toMatchObject({ status: 'pass', counts: { checked: 12, total: 12 } });
    const victim = data.users[2];
    const [gone] = factorsOf(sandbox, workosIdOf(reopened, victim.sourceId));
    sandbox.state.authFactors.delete(gone.id);
    const report = await runVerification(reopened, target);
    const check = report.checks.find((c) => c.id === 'factors')!;
    expect(check.status).toBe('fail');
    expect(check.counts).toMatchObject({ checked: 12, failed: 1 });
    expect(check.examples!.join('\n')).toContain(victim.email);
    // Above the threshold: said, not listed.
    const big = await runVerification(reopened, target, { fullCheckUpTo: 5 });
    expect(big.checks.find((c) => c.id === 'factors')).toMatchObject({ status: 'info' });
    reopened.close();
  });

  it('stopped mid-factors (one sent with its answer lost, one sent as the run stopped) and resumed: exactly one each', async () => {
    const dir = tempDir();
    const data = dataset('b', 40);
    const journal = stagedJournal({ organizations: data.organizations, users: data.users, memberships: data.memberships }, dir);
    const stop = new AbortController();
    let enrolls = 0;
    class Flaky extends WorkOSTarget {
      override async enrollTotpFactor(userId: string, secret: string, opts: CallOptions = {}): Promise<{ id: string }> {
        const n = ++enrolls;
        const factor = await super.enrollTotpFactor(userId, secret, opts);
        // Landed, but the answer was lost: the retry must look before it enrolls again.
        if (n === 3) throw lostAnswer();
        // Landed as the run was stopped (a kill between the request and the journal's commit).
        if (n === 8) {
          stop.abort();
          throw new Error('killed');
        }
        return factor;
      }
    }
    const first = await importInto(sandbox, journal, { signal: stop.signal, concurrency: 1 }, new Flaky(targetOptions(sandbox)));
    expect(first.stopped).toBe(true);
    const mid = journal.factorCounts();
    expect(mid.in_flight).toBe(1);
    expect(mid.done).toBeGreaterThanOrEqual(6);
    expect(mid.pending).toBeGreaterThan(0);
    // The in_flight one still has its secret (a stop before its answer); the done ones do not.
    expect(journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE totp_state = 'in_flight' AND totp_secret IS NOT NULL`)!.n).toBe(1);
    expect(journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE totp_state = 'done' AND totp_secret IS NOT NULL`)!.n).toBe(0);
    journal.close();

    const resumed = Journal.open(journal.path);
    const second = await importInto(sandbox, resumed);
    expect(second.stopped).toBe(false);
    for (const user of data.users) {
      const factors = factorsOf(sandbox, workosIdOf(resumed, user.sourceId));
      expect(factors, user.email).toHaveLength(data.secrets.has(user.sourceId) ? 1 : 0);
      if (factors.length) expect(factors[0].totp.secret).toBe(data.secrets.get(user.sourceId));
    }
    expect(resumed.factorCounts()).toMatchObject({ total: 20, done: 20, failed: 0, skipped: 0, pending: 0, in_flight: 0 });
    // Each factor id in the journal is the one WorkOS holds.
    for (const r of resumed.all<{ workos_id: string; totp_factor_id: string }>(`SELECT workos_id, totp_factor_id FROM users WHERE totp_state = 'done'`)) {
      expect(factorsOf(sandbox, r.workos_id).map((f) => f.id)).toEqual([r.totp_factor_id]);
    }
    expect(
      resumed.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE totp_error = 'confirmed by look-up after an interrupted call'`)!.n,
    ).toBe(2);
    resumed.close();
    expectNoSecret(journalBytes(journal.path), data.secrets.values(), 'the journal file');
  });

  it('does not give an adopted user with a TOTP factor a second one; says why; a refused secret fails without being said', async () => {
    const dir = tempDir();
    const data = dataset('c', 8);
    // c-u0 is in WorkOS already with a factor of its own; c-u2 is there without one.
    const sdk = new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port });
    const withFactor = sandbox.seedUser({ email: data.users[0].email, external_id: data.users[0].sourceId });
    const own = await sdk.userManagement.enrollAuthFactor({ userId: withFactor.id, type: 'totp', totpSecret: 'JBSWY3DPEHPK3PXP' });
    const without = sandbox.seedUser({ email: data.users[2].email });
    // c-u4's secret is not base32: WorkOS refuses it.
    const bad = 'NOT-BASE-32!!1189';
    data.users[4].totpSecret = bad;
    data.secrets.set(data.users[4].sourceId, bad.replace(/-/g, ''));

    // c-u6 is invalid in the source (skipped at staging): its secret goes with it.
    const journal = stagedJournal(
      { organizations: data.organizations, users: data.users, memberships: data.memberships, invalid: [{ kind: 'user', sourceId: data.users[6].sourceId, reason: 'bad row' }] },
      dir,
    );
    const { events } = await importInto(sandbox, journal);
    expect(journal.get(`SELECT totp_state, totp_error_code, totp_secret FROM users WHERE source_id = ?`, data.users[6].sourceId)).toEqual({
      totp_state: 'skipped',
      totp_error_code: 'user_skipped',
      totp_secret: null,
    });

    const kept = factorsOf(sandbox, withFactor.id);
    expect(kept.map((f) => f.id)).toEqual([own.authenticationFactor.id]);
    expect(kept[0].totp.secret).toBe('JBSWY3DPEHPK3PXP');
    const skipped = journal.get<{ totp_state: string; totp_error_code: string; totp_error: string; totp_secret: string | null }>(
      `SELECT totp_state, totp_error_code, totp_error, totp_secret FROM users WHERE source_id = ?`,
      data.users[0].sourceId,
    )!;
    expect(skipped).toMatchObject({ totp_state: 'skipped', totp_error_code: 'existing_factor', totp_secret: null });
    expect(skipped.totp_error).toMatch(/already has a TOTP factor/);

    // Adopted without a factor: gets the source's.
    expect(factorsOf(sandbox, without.id).map((f) => f.totp.secret)).toEqual([data.secrets.get(data.users[2].sourceId)]);

    const failed = journal.get<{ totp_state: string; totp_error_code: string; totp_error: string; totp_secret: string | null }>(
      `SELECT totp_state, totp_error_code, totp_error, totp_secret FROM users WHERE source_id = ?`,
      data.users[4].sourceId,
    )!;
    expect(failed.totp_state).toBe('failed');
    expect(failed.totp_error).toMatch(/not enrolled/);
    // Kept for a retry, in the journal only.
    expect(failed.totp_secret).not.toBeNull();
    expect(factorsOf(sandbox, workosIdOf(journal, data.users[4].sourceId))).toHaveLength(0);

    const reports = writeReports(journal);
    const failures = fs.readFileSync(reports.failures, 'utf8');
    expect(failures).toMatch(/^factor,c-u0,.*skipped,existing_factor,/m);
    expect(failures).toMatch(/^factor,c-u4,.*failed,/m);
    expect(fs.readFileSync(reports.summary, 'utf8')).toMatch(/4 users with a TOTP secret in the source: 1 enrolled in WorkOS .*1 failed, 2 skipped/);
    expect(events.filter((e) => e.type === 'record' && e.kind === 'factor').map((e) => (e as { outcome: string }).outcome).sort()).toEqual(['failed', 'skipped']);

    const secrets = [...data.secrets.values()];
    expectNoSecret(JSON.stringify(events), secrets, 'the events');
    expectNoSecret(printed(events), secrets, 'the output');
    for (const f of fs.readdirSync(reports.dir)) expectNoSecret(fs.readFileSync(path.join(reports.dir, f)), secrets, f);

    // Verify: the skipped and failed ones are said; the enrolled ones are checked.
    const report = await runVerification(journal, new WorkOSTarget(targetOptions(sandbox)));
    const check = report.checks.find((c) => c.id === 'factors')!;
    expect(check.status).toBe('warn');
    expect(check.detail).toMatch(/1 failed, 2 skipped/);
    journal.close();
  });

  it('SIGKILLed again and again during the factors phase of the real CLI and resumed: exactly one factor each, no secret left', async () => {
    const LIMITS: SandboxLimits = { writes: { limit: 12, windowMs: 100 }, reads: { limit: 40, windowMs: 100 }, general: { limit: 60, windowMs: 100 } };
    const slow = await startSandbox({ limits: LIMITS, faults: { latencyMs: [2, 25], seed: 5 } });
    try {
      const dir = tempDir();
      const data = dataset('k', 240);
      const file = path.join(dir, 'kill.db');
      const journal = Journal.create(file, {
        version: 1,
        source: { kind: 'test', options: {} },
        workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: slow.url },
        createdAt: new Date().toISOString(),
      });
      journal.stageBatch({ organizations: data.organizations, users: data.users, memberships: data.memberships });
      journal.finalizeStaging();
      journal.setPhase('exported');
      journal.close();

      const env = sandboxEnv(slow);
      const args = ['resume', '--journal', file, ...rateFlags(LIMITS)];
      let random = 777;
      const nextDelay = () => {
        random = (random * 1103515245 + 12345) % 2 ** 31;
        return 20 + (random % 250);
      };
      let output = '';
      let kills = 0;
      let finished = false;
      for (let round = 0; round < 30 && !finished; round++) {
        const delay = nextDelay();
        const outcome = await new Promise<{ killed: boolean; code: number | null; stderr: string }>((resolve) => {
          const child = spawnCli(args, { cwd: dir, env });
          let stderr = '';
          let timer: NodeJS.Timeout | undefined;
          let killed = false;
          child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.stderr!.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            if (!timer && /^factors /m.test(stderr)) timer = setTimeout(() => (killed = child.kill('SIGKILL')), delay);
          });
          child.on('exit', (code) => {
            clearTimeout(timer);
            resolve({ killed: killed && code === null, code, stderr });
          });
        });
        output += outcome.stderr;
        if (outcome.killed) kills++;
        else {
          expect(outcome.code, outcome.stderr).toBe(0);
          finished = true;
        }
      }
      expect(finished).toBe(true);
      expect(kills).toBeGreaterThanOrEqual(3);
      expect(output).toMatch(/^factors +120\/120 TOTP factors · 120 enrolled · 0 failed/m);

      const opened = Journal.open(file);
      for (const user of data.users) {
        const factors = [...slow.state.authFactors.values()].filter((f) => f.user_id === workosIdOf(opened, user.sourceId));
        expect(factors, user.email).toHaveLength(data.secrets.has(user.sourceId) ? 1 : 0);
        if (factors.length) expect(factors[0].totp.secret).toBe(data.secrets.get(user.sourceId));
      }
      expect(opened.factorCounts()).toMatchObject({ total: 120, done: 120, pending: 0, in_flight: 0 });
      // Kills landed between a request and its commit: those were looked up, not enrolled again.
      expect(opened.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE totp_error = 'confirmed by look-up after an interrupted call'`)!.n).toBeGreaterThanOrEqual(1);
      const reports = writeReports(opened);
      opened.close();
      const secrets = [...data.secrets.values()];
      expectNoSecret(output, secrets, 'the output');
      for (const f of fs.readdirSync(reports.dir)) expectNoSecret(fs.readFileSync(path.join(reports.dir, f)), secrets, f);
      expectNoSecret(journalBytes(file), secrets, 'the journal file');
    } finally {
      await slow.close();
    }
  });
});
