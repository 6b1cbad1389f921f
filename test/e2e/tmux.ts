/** Drives the built binary in a real pseudo-terminal (tmux, 100 x 30 unless told), as a person would. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers.js';

export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** Builds dist/ when it is missing or older than the sources, so the test runs today's code. */
export function ensureBuilt(): void {
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const full = path.join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
    }, 0);
  if (!fs.existsSync(CLI) || fs.statSync(CLI).mtimeMs < newest(path.join(ROOT, 'src'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }
}

export class Tmux {
  readonly name = `wm-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly exitFile: string;

  constructor(
    private readonly cwd: string,
    private readonly env: Record<string, string>,
    readonly size: { columns: number; rows: number } = { columns: 100, rows: 30 },
  ) {
    // Beside the session, never in the folder it runs in (the project's own, for the first-start test).
    this.exitFile = path.join(os.tmpdir(), `${this.name}.exit`);
  }

  start(args: string[]): void {
    this.run(`${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args.join(' ')}`);
  }

  /** Runs a shell command line (e.g. the README's `npx workos-migrate demo`) in the terminal. */
  run(commandLine: string): void {
    // A person's terminal: a clean environment (no CI variable from the test runner, which would
    // rightly make the tool headless), with only what the test passes.
    const base = { HOME: process.env.HOME ?? '/root', PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color' };
    const envs = Object.entries({ ...base, ...this.env }).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    const command = `cd ${JSON.stringify(this.cwd)} && env -i ${envs} ${commandLine}; echo $? > ${JSON.stringify(this.exitFile)}; sleep 30`;
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(this.size.columns), '-y', String(this.size.rows), command]);
  }

  keys(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  /** Bytes written to the terminal in one go (keys that arrive together: `\x1b[B\x1b[B\r`). */
  burst(bytes: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-H', ...[...Buffer.from(bytes)].map((b) => b.toString(16).padStart(2, '0'))]);
  }

  /** The terminal changes size, as when a person drags its window. */
  resize(columns: number, rows: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows)]);
    this.size.columns = columns;
    this.size.rows = rows;
  }

  /** The visible screen; `joined`: lines the terminal wrapped are joined back (what a copy gives). */
  screen(joined = false): string {
    return execFileSync('tmux', ['capture-pane', '-p', ...(joined ? ['-J'] : []), '-t', this.name], { encoding: 'utf8' });
  }

  /** The screen and its scrollback. */
  history(joined = false): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-S', '-', ...(joined ? ['-J'] : []), '-t', this.name], { encoding: 'utf8' });
  }

  /** Waits until the screen matches, or fails with what the screen shows. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = this.screen();
      if (pattern.test(last)) return last;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${pattern}; the screen shows:\n${last}`);
  }

  async exitCode(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (fs.existsSync(this.exitFile)) return Number(fs.readFileSync(this.exitFile, 'utf8').trim());
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the program did not exit; the screen shows:\n${this.screen()}`);
  }

  /** SIGKILLs the wizard's process (the node child of the pane's shell). */
  killProgram(): void {
    const shell = execFileSync('tmux', ['list-panes', '-t', this.name, '-F', '#{pane_pid}'], { encoding: 'utf8' }).trim();
    const child = execFileSync('pgrep', ['-P', shell], { encoding: 'utf8' }).trim().split('\n')[0];
    process.kill(Number(child), 'SIGKILL');
  }

  close(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
