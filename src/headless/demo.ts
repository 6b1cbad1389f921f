import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDataset, writeDatasetCsv } from '../sandbox/dataset.js';
import { REAL_LIMITS, startSandbox } from '../sandbox/index.js';
import { runCommand, type CommandContext, type MigrateFlags } from './commands.js';

/**
 * `workos-migrate demo`: a local sandbox that behaves like WorkOS, a generated export, and the
 * same headless run an operator would make against the real API.
 */
export async function demoCommand(
  ctx: CommandContext,
  options: { users: number; organizations: number; fast: boolean; json: boolean },
): Promise<number> {
  const sandbox = await startSandbox({ limits: options.fast ? false : REAL_LIMITS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workos-migrate-demo-'));
  try {
    const dataset = generateDataset({
      users: options.users,
      organizations: options.organizations,
      memberships: Math.round(options.users * 1.5),
    });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file, { withPasswords: 0.3 });
    if (!options.json) {
      ctx.stderr.write(
        `Demo: a WorkOS sandbox on ${sandbox.url} (${options.fast ? 'no rate limits' : 'real rate limits: 50 writes/s'}), ` +
          `and ${dataset.users.length} users in ${dataset.organizations.length} organizations with ${dataset.memberships.length} memberships in ${file}.\n`,
      );
    }
    const flags: MigrateFlags & { journal: string } = {
      json: options.json,
      yes: true,
      dryRun: false,
      retryFailed: false,
      roleMap: {},
      journal: path.join(dir, 'demo.db'),
    };
    return await runCommand(
      { ...ctx, env: { ...ctx.env, WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url } },
      { kind: 'file', options: { path: file } },
      flags,
    );
  } finally {
    await sandbox.close();
  }
}

/** `workos-migrate demo` in a terminal: the wizard, against the sandbox, with a generated file. */
export async function demoWizard(ctx: CommandContext, options: { users: number; organizations: number; fast: boolean }): Promise<number> {
  const sandbox = await startSandbox({ limits: options.fast ? false : REAL_LIMITS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workos-migrate-demo-'));
  try {
    const dataset = generateDataset({ users: options.users, organizations: options.organizations, memberships: Math.round(options.users * 1.5) });
    const file = path.join(dir, 'users.csv');
    writeDatasetCsv(dataset, file, { withPasswords: 0.3 });
    const { runWizard } = await import('../interactive.js');
    return await runWizard({
      cwd: dir,
      env: { ...ctx.env, WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url },
      limits: options.fast ? { writes: { limit: 100_000, windowMs: 1000 }, reads: { limit: 100_000, windowMs: 1000 }, general: { limit: 100_000, windowMs: 1000 } } : undefined,
      banner: `Demo: WorkOS sandbox on ${sandbox.url}${options.fast ? ' (no rate limits)' : ' (real rate limits: 50 writes/s)'}; your export is users.csv (${dataset.users.length} users, ${dataset.organizations.length} organizations).`,
    });
  } finally {
    await sandbox.close();
  }
}
