/**
 * The import benchmark with the wizard drawing it: the same 5,000 users and memberships at the
 * real write limit, driven through the store while Ink renders the Import screen at full speed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { render } from 'ink';
import React from 'react';
import { App } from '../src/app.js';
import { generateDataset, writeDatasetCsv } from '../src/sandbox/dataset.js';
import { REAL_LIMITS, startSandbox } from '../src/sandbox/index.js';
import { createWizardStore } from '../src/store/wizard.js';
import { importResult, type ImportBenchResult } from './import.js';

/** A terminal that accepts frames and counts them. */
class FakeTerminal extends Writable {
  frames = 0;
  bytes = 0;
  /** The last few KB drawn, to prove what was on screen. */
  text = '';
  columns = 100;
  rows = 30;
  isTTY = true;
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.frames++;
    this.bytes += chunk.length;
    this.text = (this.text + chunk.toString()).slice(-8192);
    done();
  }
}

/** A keyboard nobody types on: Ink wants a TTY stdin for raw mode, whatever its source. */
function idleKeyboard(): NodeJS.ReadStream {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined, ref: () => undefined, unref: () => undefined }) as unknown as NodeJS.ReadStream;
}

const until = async (check: () => boolean, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`benchmark wizard: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

export async function benchWizardImport(users = Number(process.env.BENCH_USERS ?? 5_000)): Promise<ImportBenchResult & { frames: number }> {
  const sandbox = await startSandbox({ limits: REAL_LIMITS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-wizard-'));
  const dataset = generateDataset({ users, organizations: 50, memberships: users });
  writeDatasetCsv(dataset, path.join(dir, 'users.csv'));
  const store = createWizardStore({ cwd: dir, env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url } });
  const terminal = new FakeTerminal();
  const instance = render(<App store={store} />, { stdout: terminal as unknown as NodeJS.WriteStream, stdin: idleKeyboard(), exitOnCtrlC: false, patchConsole: false });
  try {
    const a = store.getState().actions;
    a.startNew();
    a.chooseSource('file');
    a.setField('path', 'users.csv');
    await a.checkSource();
    await a.checkWorkOS();
    await a.startExport();
    a.confirmPlan();
    a.chooseStrategy('freeze');
    await until(() => store.getState().roles.status.state === 'ok', 'roles');
    sandbox.resetStats();
    let started = 0;
    let ended = 0;
    const unsubscribe = store.subscribe((s) => {
      if (!started && s.importProgress.users) started = performance.now();
      const m = s.importProgress.memberships?.counts;
      if (!ended && m && m.total > 0 && m.done + m.failed + m.skipped === m.total) ended = performance.now();
    });
    const confirmed = a.confirmRoles();
    if (!confirmed.ok) throw new Error(confirmed.message);
    await until(() => store.getState().step === 'verify' || store.getState().importStatus.state === 'error', 'the import', 30 * 60_000);
    unsubscribe();
    const s = store.getState();
    if (s.importStatus.state === 'error') throw new Error(s.importStatus.message);
    if (!terminal.text.includes('memberships')) throw new Error(`benchmark wizard: the Import screen was not drawn:\n${terminal.text.slice(-2000)}`);
    const writes = (s.importProgress.users?.counts.done ?? 0) + (s.importProgress.memberships?.counts.done ?? 0);
    const failed = (s.importProgress.users?.counts.failed ?? 0) + (s.importProgress.memberships?.counts.failed ?? 0);
    return { ...importResult(writes, (ended - started) / 1000, failed, sandbox), frames: terminal.frames };
  } finally {
    store.getState().actions.stop();
    instance.unmount();
    store.getState().actions.dispose();
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
