import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { main } from '../src/main.js';
import type { Dataset } from '../src/sandbox/dataset.js';
import type { Sandbox, SandboxLimits } from '../src/sandbox/index.js';

export const ROOT = path.resolve(import.meta.dirname, '..');

export function tempDir(prefix = 'wm-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Limits scaled down in time for fast tests, enforced alike by the sandbox and the tool. */
export const FAST_LIMITS: SandboxLimits = {
  writes: { limit: 100, windowMs: 100 },
  reads: { limit: 200, windowMs: 100 },
  general: { limit: 300, windowMs: 100 },
};

export function rateFlags(limits: SandboxLimits): string[] {
  return (['writes', 'reads', 'general'] as const).flatMap((b) => ['--rate', `${b}=${limits[b].limit}/${limits[b].windowMs}ms`]);
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in this process, exactly as bin would run it, with its output captured. */
export async function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<CliResult> {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await main(args, {
    interactive: false,
    cwd: options.cwd,
    env: options.env ?? {},
    stdout,
    stderr,
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export function sandboxEnv(sandbox: Sandbox): NodeJS.ProcessEnv {
  return { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url };
}

/** The CLI as a child process (through tsx, from source), for kills and signals. */
export function spawnCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess {
  // tsx resolved from the project, since the child runs in a temporary directory.
  const tsx = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  return spawn(process.execPath, ['--import', tsx, path.join(ROOT, 'src/cli.tsx'), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * The sandbox holds exactly the dataset: every user once with its external id, every
 * organization once, every membership once with its role, and nothing else.
 */
export function expectSandboxHolds(
  sandbox: Sandbox,
  dataset: Dataset,
  /** Users adopted by email keep the (absent) external id WorkOS had for them. */
  options: { extraUsers?: number; extraOrganizations?: number; adoptedByEmail?: Set<string> } = {},
) {
  const users = [...sandbox.state.users.values()];
  const orgs = [...sandbox.state.organizations.values()];
  const memberships = [...sandbox.state.memberships.values()];
  expect(users.length).toBe(dataset.users.length + (options.extraUsers ?? 0));
  expect(orgs.length).toBe(dataset.organizations.length + (options.extraOrganizations ?? 0));
  expect(memberships.length).toBe(dataset.memberships.length);

  const userByEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));
  const userIdBySource = new Map<string, string>();
  for (const expected of dataset.users) {
    const user = userByEmail.get(expected.email.toLowerCase());
    expect(user, `user ${expected.email}`).toBeDefined();
    if (!options.adoptedByEmail?.has(expected.sourceId)) expect(user!.external_id).toBe(expected.sourceId);
    expect(user!.first_name).toBe(expected.firstName);
    expect(user!.last_name).toBe(expected.lastName);
    userIdBySource.set(expected.sourceId, user!.id);
  }
  const orgByExternal = new Map(orgs.map((o) => [o.external_id, o]));
  for (const expected of dataset.organizations) {
    const org = orgByExternal.get(expected.sourceId);
    expect(org, `organization ${expected.sourceId}`).toBeDefined();
    expect(org!.name).toBe(expected.name);
  }
  const membershipByKey = new Map(memberships.map((m) => [`${m.user_id}/${m.organization_id}`, m]));
  expect(membershipByKey.size).toBe(memberships.length);
  for (const expected of dataset.memberships) {
    const key = `${userIdBySource.get(expected.userSourceId)}/${orgByExternal.get(expected.orgSourceId)!.id}`;
    const membership = membershipByKey.get(key);
    expect(membership, `membership ${expected.userSourceId} in ${expected.orgSourceId}`).toBeDefined();
    expect(membership!.role.slug).toBe(expected.role);
  }
}

/** A change to a journal as another process would make it (a test's hand on the importer's records). */
export function journalSql(journal: { path: string }, statement: string, ...params: unknown[]): void {
  const db = new Database(journal.path);
  try {
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}
