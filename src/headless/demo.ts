import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDataset, writeDatasetCsv } from '../sandbox/dataset.js';
import { REAL_LIMITS, startSandbox } from '../sandbox/index.js';
import { generateStytchProject, startFakeStytch } from '../sandbox/stytch/index.js';
import { runCommand, type CommandContext, type MigrateFlags } from './commands.js';

interface DemoOptions {
  users: number;
  organizations: number;
  fast: boolean;
}

/**
 * Everything a demo runs against, on 127.0.0.1 only: a WorkOS sandbox, a fake Stytch B2B project,
 * and a generated export file, with the environment a real operator would have set.
 */
async function startDemo(ctx: CommandContext, options: DemoOptions) {
  const sandbox = await startSandbox({ limits: options.fast ? false : REAL_LIMITS });
  const { project } = generateStytchProject({ organizations: options.organizations, members: options.users, seed: 7 });
  const stytch = await startFakeStytch({ project, enforceLimits: !options.fast });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workos-migrate-demo-'));
  const dataset = generateDataset({ users: options.users, organizations: options.organizations, memberships: Math.round(options.users * 1.5) });
  const file = path.join(dir, 'users.csv');
  writeDatasetCsv(dataset, file, { withPasswords: 0.3 });
  return {
    dir,
    file,
    dataset,
    sandbox,
    env: {
      ...ctx.env,
      WORKOS_API_KEY: sandbox.apiKey,
      WORKOS_API_URL: sandbox.url,
      STYTCH_PROJECT_ID: stytch.projectId,
      STYTCH_SECRET: stytch.secret,
      STYTCH_API_URL: stytch.url,
    },
    description:
      `a WorkOS sandbox on ${sandbox.url} (${options.fast ? 'no rate limits' : 'real rate limits: 50 writes/s'}), ` +
      `a fake Stytch B2B project on ${stytch.url} (${project.organizations.length} organizations), ` +
      `and users.csv (${dataset.users.length} users in ${dataset.organizations.length} organizations)`,
    async close() {
      await Promise.all([sandbox.close(), stytch.close()]);
    },
  };
}

const NO_LIMITS = { writes: { limit: 100_000, windowMs: 1000 }, reads: { limit: 100_000, windowMs: 1000 }, general: { limit: 100_000, windowMs: 1000 } };

/** `workos-migrate demo --headless`: the same run an operator would make, against the local sandbox. */
export async function demoCommand(ctx: CommandContext, options: DemoOptions & { json: boolean; source: string }): Promise<number> {
  const demo = await startDemo(ctx, options);
  try {
    if (!options.json) ctx.stderr.write(`Demo: ${demo.description}.\n`);
    const flags: MigrateFlags & { journal: string } = {
      json: options.json,
      yes: true,
      dryRun: false,
      retryFailed: false,
      roleMap: {},
      // Stytch projects carry custom roles; the demo gives them WorkOS's default member role.
      defaultRole: options.source === 'stytch-b2b' ? 'member' : undefined,
      limits: options.fast ? NO_LIMITS : undefined,
      journal: path.join(demo.dir, 'demo.db'),
    };
    const source = options.source === 'stytch-b2b' ? { kind: 'stytch-b2b', options: { projectId: demo.env.STYTCH_PROJECT_ID, secretEnv: 'STYTCH_SECRET', apiUrl: demo.env.STYTCH_API_URL } } : { kind: 'file', options: { path: demo.file } };
    return await runCommand({ ...ctx, env: demo.env }, source, flags);
  } finally {
    await demo.close();
  }
}

/** `workos-migrate demo` in a terminal: the wizard, with both demo sources ready to choose. */
export async function demoWizard(ctx: CommandContext, options: DemoOptions): Promise<number> {
  const demo = await startDemo(ctx, options);
  try {
    const { runWizard } = await import('../interactive.js');
    return await runWizard({
      cwd: demo.dir,
      env: demo.env,
      limits: options.fast ? NO_LIMITS : undefined,
      banner: `Demo: ${demo.description}. Choose "A file" and type users.csv, or Stytch B2B.`,
    });
  } finally {
    await demo.close();
  }
}
