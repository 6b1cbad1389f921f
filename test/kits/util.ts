import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../../src/sandbox/index.js';
import { ROOT } from '../helpers.js';

export interface Finished {
  code: number | null;
  output: string;
}

/** A child process to its end, with stdout and stderr together. */
export function runToEnd(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * The generated files as the operator's project would hold them: the project's node_modules
 * stands in for theirs (@workos-inc/node, vitest, @types/node).
 */
export function linkNodeModules(dir: string): void {
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

/** tsc, strict, over the generated files only (as an operator's NodeNext project compiles them). */
export function typecheck(dir: string, files: string[]): Promise<Finished> {
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node'];
  return runToEnd(process.execPath, [tsc, ...flags, ...files], { cwd: dir, env: {} });
}

/** The generated test file, run by vitest in the generated directory, against the sandbox. */
export function runGeneratedTest(dir: string, file: string, sandbox: Sandbox): Promise<Finished> {
  const vitest = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
  return runToEnd(process.execPath, [vitest, 'run', '--root', dir, file], {
    cwd: dir,
    env: { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, WORKOS_CLIENT_ID: 'client_generated_test', NO_COLOR: '1' },
  });
}
