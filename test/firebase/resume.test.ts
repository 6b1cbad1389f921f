/**
 * A Firebase migration of 1,000 users SIGKILLed in the middle of its export (reading a pipe fed
 * half the file), then in the middle of its import, and resumed each time: the export goes on
 * after the last staged user (none staged twice), a resume without the signer key stops before any
 * write and says so, and the end state is exact with nothing created twice.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxLimits } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { rateFlags, runCli, spawnCli, tempDir } from '../helpers.js';
import { buildFixture, FAST_PARAMS, writeJsonExport, writeOrganizations, type Fixture } from './fixture.js';
import { expectNowhere, expectWorkOSHolds } from './util.js';

const LIMITS: SandboxLimits = {
  writes: { limit: 50, windowMs: 100 },
  reads: { limit: 100, windowMs: 100 },
  general: { limit: 150, windowMs: 100 },
};

/** Runs the CLI and SIGKILLs it `delayMs` after the import shows progress (or lets it finish). */
function runAndKill(args: string[], cwd: string, env: NodeJS.ProcessEnv, delayMs: number): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { cwd, env });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!timer && /^(organizations|users|memberships) /m.test(stderr)) timer = setTimeout(() => (killed = child.kill('SIGKILL')), delayMs);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ killed: killed && code === null, code, stderr });
    });
  });
}

describe('Firebase: killed mid-export and mid-import, resumed', () => {
  let fixture: Fixture;
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('wm-fb-resume-');
    fixture = buildFixture({ users: 1_000 });
    writeJsonExport(path.join(dir, 'users.json'), fixture);
    writeOrganizations(path.join(dir, 'orgs.csv'), fixture);
    sandbox = await startSandbox({ limits: LIMITS, faults: { latencyMs: [1, 10], seed: 12 } });
  }, 120_000);
  afterAll(() => sandbox?.close());

  it('ends exact after a kill -9 in the export and another in the import', async () => {
    const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, FIREBASE_SIGNER_KEY: FAST_PARAMS.signerKey };
    const journalPath = path.join(dir, '.workos-migrate', 'firebase.db');
    fs.mkdirSync(path.dirname(journalPath), { recursive: true });
    // Batches of five users: the export lasts long enough to be killed in the middle.
    Journal.create(journalPath, {
      version: 1,
      source: {
        kind: 'firebase',
        options: {
          exportFile: path.join(dir, 'users.json'),
          organizationsFile: path.join(dir, 'orgs.csv'),
          saltSeparator: FAST_PARAMS.saltSeparator,
          rounds: String(FAST_PARAMS.rounds),
          memCost: String(FAST_PARAMS.memCost),
          pageSize: 5,
          secretEnv: 'FIREBASE_SIGNER_KEY',
        },
      },
      workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' },
      createdAt: new Date().toISOString(),
    }).close();
    const flags = ['--journal', journalPath, '--role-map', 'billing=member', ...rateFlags(LIMITS)];

    // The export reads a pipe that gets only the first half of the file: it is SIGKILLed as soon
    // as the journal holds staged users (watched from outside, as another process would), and
    // cannot have finished by then, however loaded the machine.
    const exportFile = path.join(dir, 'users.json');
    const whole = fs.readFileSync(exportFile);
    fs.rmSync(exportFile);
    execFileSync('mkfifo', [exportFile]);
    const pipe = fs.createWriteStream(exportFile);
    pipe.on('error', () => undefined); // the reader is killed: EPIPE
    const killed = await new Promise<boolean>((resolve) => {
      const child = spawnCli(['resume', ...flags], { cwd: dir, env });
      pipe.write(whole.subarray(0, Math.floor(whole.length / 2)));
      let sent = false;
      const watch = setInterval(() => {
        try {
          const db = new Database(journalPath, { readonly: true, fileMustExist: true });
          const n = (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
          db.close();
          if (n > 0 && !sent) sent = child.kill('SIGKILL');
        } catch {
          // the journal is being written: next tick
        }
      }, 10);
      child.on('exit', (code) => {
        clearInterval(watch);
        resolve(sent && code === null);
      });
    });
    // A writer still waiting for a reader (the child died before opening the pipe) is let go.
    fs.closeSync(fs.openSync(exportFile, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    pipe.destroy();
    // The whole export is there for the resume.
    fs.rmSync(exportFile);
    fs.writeFileSync(exportFile, whole);
    expect(killed).toBe(true);
    let journal = Journal.open(journalPath);
    const staged = journal.counts().user.total;
    const cursor = JSON.parse(journal.cursor('firebase')!.cursor) as { phase: string; n: number };
    expect(journal.phase).toBe('exporting');
    journal.close();
    expect(staged).toBeGreaterThan(0);
    expect(staged).toBeLessThan(fixture.users.length / 2);
    expect(cursor.phase).toBe('users');
    // The cursor counts the file's users staged (the phone-only one is staged as an issue, not a user).
    expect(cursor.n - staged).toBeLessThanOrEqual(1);
    expect(sandbox.state.users.size).toBe(0);

    // Without the signer key the export finishes, and the import stops before its first write.
    const keyless = await runCli(['resume', ...flags], { cwd: dir, env: { ...env, FIREBASE_SIGNER_KEY: '' } });
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toMatch(/Resuming the export of Firebase after \d+ records/);
    expect(keyless.stderr).toMatch(/FIREBASE_SIGNER_KEY is not set: the staged password hashes need it, and it is never written to the journal/);
    expect(sandbox.state.users.size).toBe(0);
    journal = Journal.open(journalPath);
    const expected = fixture.expected();
    // Every user of the file staged exactly once (the disabled ones too, left out by choice).
    expect(journal.counts().user.total).toBe(expected.users.length + expected.disabled.length);
    journal.close();

    // The import, SIGKILLed while it writes, and resumed to the end.
    const cut = await runAndKill(['resume', ...flags], dir, env, 300);
    expect(cut.killed, cut.stderr).toBe(true);
    // Killed in the middle: something written, not everything.
    expect(sandbox.state.organizations.size + sandbox.state.users.size).toBeGreaterThan(0);
    expect(sandbox.state.users.size + sandbox.state.memberships.size).toBeLessThan(expected.users.length + expected.memberships.length);
    const finished = await runAndKill(['resume', ...flags], dir, env, 1e9);
    // Exit 2: the phone-only user (no email) did not move, and says so in the failures file.
    expect(finished.code, finished.stderr).toBe(2);
    expectWorkOSHolds(sandbox, expected);
    journal = Journal.open(journalPath);
    const counts = journal.counts();
    journal.close();
    expect(counts.user.done).toBe(expected.users.length);
    expect(counts.user.adopted).toBe(0);
    for (const kind of ['organization', 'user', 'membership'] as const) expect(counts[kind].in_flight + counts[kind].pending).toBe(0);
    expectNowhere(dir, FAST_PARAMS.signerKey, 'the signer key');
  }, 240_000);
});
