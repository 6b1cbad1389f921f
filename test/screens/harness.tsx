/**
 * Drives the wizard in process: <App/> rendered by ink-testing-library around a real store, keys
 * written to its stdin, frames read back. Every helper waits for what it expects to be drawn
 * (Ink renders and @inkjs/ui fires its callbacks asynchronously).
 */
import { stripVTControlCharacters } from 'node:util';
import { EventEmitter } from 'node:events';
import { render as inkRender } from 'ink';
import React from 'react';
import { expect } from 'vitest';
import type { StoreApi } from 'zustand/vanilla';
import { App } from '../../src/app.js';
import { createWizardStore, type WizardDeps, type WizardState } from '../../src/store/wizard.js';

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
  ctrlC: '\u0003',
  backspace: '\u007F',
} as const;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A frame as a person reads it: no escape codes. */
export const plain = (frame: string | undefined) => stripVTControlCharacters(frame ?? '');

export interface Wizard {
  store: StoreApi<WizardState>;
  /** Every frame drawn so far, plain. */
  frames(): string[];
  frame(): string;
  /** Writes keys, one write each, with a pause so that Ink handles them one by one. */
  press(...keys: string[]): Promise<void>;
  /** Writes keys back to back, with no pause: as a fast typist, a paste or a terminal multiplexer sends them. */
  burst(...keys: string[]): Promise<void>;
  type(text: string): Promise<void>;
  /** Waits until the last frame matches (a string: white space aside; or a predicate), and returns it. */
  waitFor(pattern: RegExp | string | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Waits until the store is in a state. */
  until(predicate: (state: WizardState) => boolean, timeoutMs?: number): Promise<void>;
  unmount(): void;
  /** The terminal changes size (Ink and the wizard hear 'resize'). */
  resize(columns: number, rows: number): void;
  size(): Size;
}

/**
 * A terminal of a given size (ink-testing-library's is fixed at 100 columns): the wizard lays out
 * at its width and pages its lists at its height, and `resize` changes both as a terminal does.
 */
class FakeStdout extends EventEmitter {
  frames: string[] = [];
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = () => this.frames.at(-1);
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string) => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = () => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

function render(tree: React.ReactElement, size: { columns: number; rows: number }) {
  const stdout = new FakeStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const stderr = new FakeStdout(size.columns, size.rows);
  const instance = inkRender(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    stdin,
    stdout,
    frames: stdout.frames,
    lastFrame: stdout.lastFrame,
    unmount: instance.unmount,
    cleanup: instance.cleanup,
    resize(columns: number, rows: number) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit('resize');
    },
  };
}

export interface Size {
  columns: number;
  rows: number;
}

export function renderWizard(storeOrDeps: StoreApi<WizardState> | WizardDeps, size: Size = { columns: 80, rows: 60 }): Wizard {
  const store = 'getState' in storeOrDeps ? storeOrDeps : createWizardStore(storeOrDeps);
  const instance = render(<App store={store} />, size);
  let widest = size.columns;
  const frame = () => plain(instance.lastFrame());
  const wizard: Wizard = {
    store,
    frames: () => instance.frames.map(plain),
    frame,
    async press(...keys) {
      for (const key of keys) {
        instance.stdin.write(key);
        await sleep(30);
      }
    },
    async burst(...keys) {
      for (const key of keys) instance.stdin.write(key);
      await sleep(30);
    },
    async type(text) {
      instance.stdin.write(text);
      await sleep(30);
    },
    async waitFor(pattern, timeoutMs = 10_000) {
      // A string matches wherever the layout wrapped it; a pattern matches the frame as drawn.
      const matches = (text: string) =>
        typeof pattern === 'string' ? squeeze(text).includes(squeeze(pattern)) : typeof pattern === 'function' ? pattern(text) : pattern.test(text);
      const deadline = Date.now() + timeoutMs;
      while (!matches(frame())) {
        if (Date.now() > deadline) {
          throw new Error(`Timed out after ${timeoutMs} ms waiting for ${String(pattern)}; the last frame:\n${frame()}`);
        }
        await sleep(10);
      }
      // A new screen's key handlers attach in effects that run after its frame is drawn:
      // give them a moment, or the next key would reach nobody.
      await sleep(40);
      return frame();
    },
    async until(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(store.getState())) {
        if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms; step ${store.getState().step}; the last frame:\n${frame()}`);
        await sleep(10);
      }
    },
    resize(columns, rows) {
      widest = Math.max(widest, columns);
      instance.resize(columns, rows);
    },
    // The widest the terminal has been: frames drawn before a resize to narrower were drawn at it.
    size: () => ({ columns: widest, rows: instance.stdout.rows }),
    unmount() {
      instance.unmount();
      instance.cleanup();
      store.getState().actions.dispose();
    },
  };
  return wizard;
}

/** The widest line of any frame, in terminal cells (the wizard's glyphs are all one cell wide). */
export function widestLine(frames: string[]): { width: number; line: string } {
  let widest = { width: 0, line: '' };
  for (const f of frames) {
    for (const line of f.split('\n')) {
      const width = [...line].length;
      if (width > widest.width) widest = { width, line };
    }
  }
  return widest;
}

/** The layout holds at the terminal's width (80 columns unless the test chose another): no line of any frame drawn so far is wider. */
export function expectFitsIn80Columns(wizard: Wizard) {
  const { width, line } = widestLine(wizard.frames());
  const columns = wizard.size().columns;
  expect(width, `a line ${width} columns wide: ${JSON.stringify(line)}`).toBeLessThanOrEqual(columns);
}

/** The key hints: the frame's last block of lines (they wrap on a narrow terminal), joined. */
export function keyHints(frame: string): string {
  const lines = frame.split('\n').map((l) => l.trim());
  while (lines.length && !lines.at(-1)) lines.pop();
  const blank = lines.lastIndexOf('');
  return lines.slice(blank + 1).join(' ');
}

/** The screen shows these keys in its hints line (the last line of the frame). */
export function expectKeys(frame: string, ...hints: string[]) {
  const line = keyHints(frame);
  for (const hint of hints) expect(line, `key hints of:\n${frame}`).toContain(hint);
}

/** Text with every run of white space removed: for long paths that the layout wraps. */
export const squeeze = (text: string) => text.replace(/\s+/g, '');

/** The frame shows this text, wherever the layout wrapped it. */
export function expectShows(frame: string, text: string) {
  expect(squeeze(frame), `the frame:\n${frame}\ndoes not show: ${text}`).toContain(squeeze(text));
}

/**
 * On the Source screen, moves the cursor down to the source whose name starts the line and
 * selects it: by name, so a source added to the list does not move every test.
 */
export async function chooseSource(w: Wizard, name: string): Promise<void> {
  const selected = () => /❯ ?(.*)/.exec(w.frame())?.[1] ?? '';
  for (let i = 0; i < 20 && !selected().startsWith(name); i++) {
    const before = w.frame();
    await w.press(KEY.down);
    await w.waitFor((f) => f !== before, 2_000).catch(() => undefined);
  }
  if (!selected().startsWith(name)) throw new Error(`no source "${name}" on the Source screen:\n${w.frame()}`);
  await w.press(KEY.enter);
}

/** A new migration from Welcome to the file source's path field. */
export async function walkToSourceAuth(w: Wizard): Promise<string> {
  await w.waitFor('Start a new migration');
  await w.press(KEY.enter);
  await w.waitFor('Where are your users now?');
  await chooseSource(w, 'A file');
  return w.waitFor('File (CSV, JSON or NDJSON):');
}

/** On to the plan: the file checked, the WorkOS key checked, the export done. */
export async function walkToPlan(w: Wizard, file = 'users.csv'): Promise<string> {
  await walkToSourceAuth(w);
  await w.type(file);
  await w.press(KEY.enter);
  await w.waitFor('Enter continue');
  await w.press(KEY.enter);
  await w.waitFor('Test environment');
  await w.press(KEY.enter);
  return w.waitFor('Nothing has been written to WorkOS yet', 20_000);
}

/**
 * A new migration of a file in the working directory, from Welcome to the role mapping (signup
 * freeze confirmed): what the tests of the later screens start from.
 */
export async function walkToRoles(w: Wizard, file: string): Promise<string> {
  await walkToPlan(w, file);
  await w.press('c');
  await w.waitFor('How will new signups be handled');
  await w.press(KEY.enter);
  await w.waitFor('Are signups off now?');
  await w.press('y');
  return w.waitFor('c confirm and start the import');
}

/** Records finished of the total on an import progress row ("users  ███░░ 12/60"). */
export function rowCount(frame: string, label: 'organizations' | 'users' | 'memberships'): { finished: number; total: number } | undefined {
  const match = new RegExp(`^${label}\\s+[█░]+ ([\\d,]+)/([\\d,]+)`, 'm').exec(frame);
  return match ? { finished: Number(match[1].replace(/,/g, '')), total: Number(match[2].replace(/,/g, '')) } : undefined;
}
