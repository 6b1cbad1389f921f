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

/** What a kept demo folder remembers: the options it was made with and the ports its servers had. */
interface DemoMemory {
  users: number;
  organizations: number;
  fast: boolean;
  ports: { workos: number; stytch: number; auth0: number };
}

/** Starts a server on the port it had last time (the journal names its URL), or on any if that one is taken. */
async function onPort<T>(port: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  if (port) {
    try {
      return await start(port);
    } catch {
      // Taken (another demo is running): a fresh port; a resume of the earlier run then says it cannot reach it.
    }
  }
  return start(0);
}

/**
 * Everything a demo runs against, on 127.0.0.1 only: a WorkOS sandbox, a fake Stytch B2B project,
 * and a generated export file, with the environment a real operator would have set. `keep`: the
 * folder is the demo's own (the wizard's), kept with the sandbox's state between runs, so that a
 * demo stopped halfway is offered for resuming by the next `demo`.
 */
async function startDemo(ctx: CommandContext, options: DemoOptions, keep?: string) {
  let memory: DemoMemory | undefined;
  if (keep) {
    try {
      memory = JSON.parse(fs.readFileSync(path.join(keep, 'demo.json'), 'utf8')) as DemoMemory;
    } catch {
      memory = undefined;
    }
    // Made with other numbers: its journals would not match the generated data; start afresh.
    if (memory && (memory.users !== options.users || memory.organizations !== options.organizations || memory.fast !== options.fast)) {
      fs.rmSync(keep, { recursive: true, force: true });
      memory = undefined;
    }
    fs.mkdirSync(keep, { recursive: true, mode: 0o700 });
  }
  const sandbox = await onPort(memory?.ports.workos, (port) => startSandbox({ port, limits: options.fast ? false : REAL_LIMITS }));
  const stateFile = keep ? path.join(keep, 'workos-sandbox.json') : undefined;
  if (stateFile && fs.existsSync(stateFile)) sandbox.restore(JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, unknown>);
  const { project } = generateStytchProject({ organizations: options.organizations, members: options.users, seed: 7 });
  const stytch = await onPort(memory?.ports.stytch, (port) => startFakeStytch({ project, port, enforceLimits: !options.fast }));
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'workos-migrate-demo-'));
  // A fake Auth0 tenant (paced like a small paid tenant) and its password export beside users.csv.
  const auth0Tenant = generateAuth0Tenant({ users: options.users, organizations: options.organizations, extraRoles: 0, seed: 7 });
  const auth0 = await onPort(memory?.ports.auth0, (port) =>
    startFakeAuth0({ tenant: auth0Tenant, port, ...(options.fast ? { enforceLimits: false, jobMs: 500 } : { burst: 10, perSecond: 5, jobMs: 3000 }) }),
  );
  const passwords = path.join(dir, 'auth0-passwords.json');
  if (!fs.existsSync(passwords)) writeAuth0PasswordExport(passwords, auth0Tenant);
  const dataset = generateDataset({ users: options.users, organizations: options.organizations, memberships: Math.round(options.users * 1.5) });
  const file = path.join(dir, 'users.csv');
  if (!fs.existsSync(file)) writeDatasetCsv(dataset, file, { withPasswords: 0.3 });
  // The sandbox's state follows the run (every 2 s and at the end): a demo killed mid-import resumes against what it wrote.
  const save = () => {
    if (!stateFile) return;
    fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(sandbox.dump()), { mode: 0o600 });
    fs.renameSync(`${stateFile}.tmp`, stateFile);
  };
  if (keep) {
    const remembered: DemoMemory = { users: options.users, organizations: options.organizations, fast: options.fast, ports: { workos: sandbox.port, stytch: Number(new URL(stytch.url).port), auth0: Number(new URL(auth0.url).port) } };
    fs.writeFileSync(path.join(keep, 'demo.json'), JSON.stringify(remembered));
  }
  const saver = keep ? setInterval(save, 2000) : undefined;
  saver?.unref();
  return {
    dir,
    file,
    dataset,
    sandbox,
    resumed: !!memory,
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
      if (saver) clearInterval(saver);
      save();
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

/**
 * The wizard's demo folder: one, kept between runs (with the sandbox's state), so that a demo
 * stopped halfway is offered for resuming by the next `demo`. WORKOS_MIGRATE_DEMO_DIR moves it.
 */
export function demoFolder(env: NodeJS.ProcessEnv): string {
  return env.WORKOS_MIGRATE_DEMO_DIR || path.join(os.tmpdir(), 'workos-migrate-demo');
}

/** `workos-migrate demo` in a terminal: the wizard, with both demo sources ready to choose. */
export async function demoWizard(ctx: CommandContext, options: DemoOptions): Promise<number> {
  const demo = await startDemo(ctx, options, demoFolder(ctx.env));
  const again = `workos-migrate demo${options.fast ? ' --fast' : ''}${options.users !== 300 ? ` --users ${options.users}` : ''}${options.organizations !== 8 ? ` --organizations ${options.organizations}` : ''}`;
  try {
    const { runWizard } = await import('../interactive.js');
    return await runWizard({
      cwd: demo.dir,
      env: demo.env,
      limits: options.fast ? NO_LIMITS : undefined,
      // The sandbox lives only while the demo runs: a stopped demo is resumed by running it again.
      resumeCommand: again,
      banner:
        `Demo in ${demo.dir}: ${demo.description}. Choose "A file" and type users.csv, Stytch B2B, or Auth0 (its password export: auth0-passwords.json).` +
        (demo.resumed ? ' Its earlier runs are kept: resume one below, or start anew.' : ''),
    });
  } finally {
    await demo.close();
  }
}
