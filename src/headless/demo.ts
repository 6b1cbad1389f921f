import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDataset, writeDatasetCsv } from '../sandbox/dataset.js';
import { REAL_LIMITS, startSandbox } from '../sandbox/index.js';
import { generateStytchProject, startFakeStytch } from '../sandbox/stytch/index.js';
import { generateAuth0Tenant, startFakeAuth0, writeAuth0PasswordExport } from '../sandbox/auth0/index.js';
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
  // A fake Auth0 tenant (paced like a small paid tenant) and its password export beside users.csv.
  const auth0Tenant = generateAuth0Tenant({ users: options.users, organizations: options.organizations, extraRoles: 0, seed: 7 });
  const auth0 = await startFakeAuth0({ tenant: auth0Tenant, ...(options.fast ? { enforceLimits: false, jobMs: 500 } : { burst: 10, perSecond: 5, jobMs: 3000 }) });
  writeAuth0PasswordExport(path.join(dir, 'auth0-passwords.json'), auth0Tenant);
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
      AUTH0_DOMAIN: auth0.domain,
      AUTH0_CLIENT_ID: auth0.clientId,
      AUTH0_CLIENT_SECRET: auth0.clientSecret,
      AUTH0_API_URL: auth0.url,
    },
    description:
      `a WorkOS sandbox on ${sandbox.url} (${options.fast ? 'no rate limits' : 'real rate limits: 50 writes/s'}), ` +
      `a fake Stytch B2B project on ${stytch.url} (${project.organizations.length} organizations), ` +
      `a fake Auth0 tenant on ${auth0.url} (${auth0Tenant.users.length} users; its password export is auth0-passwords.json), ` +
      `and users.csv (${dataset.users.length} users in ${dataset.organizations.length} organizations)`,
    async close() {
      await Promise.all([sandbox.close(), stytch.close(), auth0.close()]);
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
      defaultRole: options.source === 'stytch-b2b' || options.source === 'auth0' ? 'member' : undefined,
      limits: options.fast ? NO_LIMITS : undefined,
      journal: path.join(demo.dir, 'demo.db'),
    };
    const auth0Source = {
      kind: 'auth0',
      options: { domain: demo.env.AUTH0_DOMAIN, clientId: demo.env.AUTH0_CLIENT_ID, apiUrl: demo.env.AUTH0_API_URL, secretEnv: 'AUTH0_CLIENT_SECRET', passwordExportPath: path.join(demo.dir, 'auth0-passwords.json'), pollMs: 500 },
    };
    const source = options.source === 'auth0' ? auth0Source : options.source === 'stytch-b2b' ? { kind: 'stytch-b2b', options: { projectId: demo.env.STYTCH_PROJECT_ID, secretEnv: 'STYTCH_SECRET', apiUrl: demo.env.STYTCH_API_URL } } : { kind: 'file', options: { path: demo.file } };
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
      banner: `Demo: ${demo.description}. Choose "A file" and type users.csv, Stytch B2B, or Auth0 (its password export: auth0-passwords.json).`,
    });
  } finally {
    await demo.close();
  }
}
