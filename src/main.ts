/**
 * argv -> command, and the one place that turns errors into messages and exit codes: expected
 * errors print what to do; anything else is a bug, with its stack behind --debug.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeError, ExpectedError } from './errors.js';
import { secretFlags, sourceDefinition, sourceFlags } from './providers/index.js';
import { oneOf, pairs, positiveInt, type FlagValues } from './services/flags.js';
import { EXIT, reportCommand, resumeCommand, runCommand, statusCommand, syncCommand, verifyCommand, type CommandContext, type MigrateFlags } from './headless/commands.js';
import { demoCommand } from './headless/demo.js';
import { kitCommand, signInCommand } from './headless/kits.js';
import { handoffsCommand, resetsCommand, rollbackCommand, writeIdsCommand } from './headless/handoffs.js';
import { COMMAND_HELP, MAIN_HELP } from './headless/help.js';
import { loadEnv } from './services/env.js';
import { newestJournal, parseRateOverride } from './services/migration.js';
import type { BucketLimit, BucketName } from './services/journal/types.js';

const COMMON_OPTIONS = {
  journal: { type: 'string' },
  'workos-url': { type: 'string' },
  json: { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  concurrency: { type: 'string' },
  rate: { type: 'string', multiple: true },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** The operator's choices where WorkOS and the source disagree; the safe one is the default. */
const CHOICE_OPTIONS = {
  'adopted-passwords': { type: 'string' },
  'invited-members': { type: 'string' },
  strategy: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** The generated modules (dual-write, lazy): where to write them, and whether to replace earlier ones. */
const KIT_OPTIONS = {
  out: { type: 'string' },
  force: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

const OPTIONS: Record<string, ParseArgsConfig['options']> = {
  run: {
    ...COMMON_OPTIONS,
    ...CHOICE_OPTIONS,
    source: { type: 'string' },
    'role-map': { type: 'string', multiple: true },
    'default-role': { type: 'string' },
    'keep-existing-roles': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'retry-failed': { type: 'boolean', default: false },
    failures: { type: 'string' },
    ...sourceFlags(),
  },
  resume: {
    ...COMMON_OPTIONS,
    ...CHOICE_OPTIONS,
    'role-map': { type: 'string', multiple: true },
    'default-role': { type: 'string' },
    'keep-existing-roles': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    ...Object.fromEntries(Object.keys(secretFlags()).map((flag) => [flag, { type: 'string' }])),
  },
  sync: {
    ...COMMON_OPTIONS,
    'apply-deletions': { type: 'boolean', default: false },
    ...Object.fromEntries(Object.keys(secretFlags()).map((flag) => [flag, { type: 'string' }])),
  },
  status: { journal: { type: 'string' }, json: { type: 'boolean', default: false }, debug: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  report: {
    journal: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  verify: {
    journal: { type: 'string' },
    'sign-in': { type: 'string' },
    'client-id': { type: 'string' },
    json: { type: 'boolean', default: false },
    headless: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  'dual-write': KIT_OPTIONS,
  lazy: KIT_OPTIONS,
  rollback: {
    journal: { type: 'string' },
    yes: { type: 'boolean', short: 'y', default: false },
    concurrency: { type: 'string' },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  resets: {
    journal: { type: 'string' },
    send: { type: 'boolean', default: false },
    yes: { type: 'boolean', short: 'y', default: false },
    'retry-uncertain': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  handoffs: {
    journal: { type: 'string' },
    'return-url': { type: 'string' },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  'write-ids': {
    journal: { type: 'string' },
    'app-database-url': { type: 'string' },
    table: { type: 'string' },
    'id-column': { type: 'string' },
    column: { type: 'string' },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  demo: {
    headless: { type: 'boolean', default: false },
    source: { type: 'string' },
    users: { type: 'string' },
    organizations: { type: 'string' },
    fast: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
};

type Values = FlagValues;

function migrateFlags(values: Values): MigrateFlags {
  let limits: Partial<Record<BucketName, BucketLimit>> | undefined;
  for (const text of (values.rate as string[] | undefined) ?? []) {
    const [bucket, limit] = parseRateOverride(text);
    (limits ??= {})[bucket] = limit;
  }
  return {
    json: !!values.json,
    yes: !!values.yes,
    dryRun: !!values['dry-run'],
    retryFailed: !!values['retry-failed'],
    failuresFile: values.failures as string | undefined,
    roleMap: pairs(values['role-map'], '--role-map', 'SOURCE_ROLE=WORKOS_SLUG'),
    defaultRole: values['default-role'] as string | undefined,
    keepExistingRoles: !!values['keep-existing-roles'],
    concurrency: positiveInt(values.concurrency, '--concurrency'),
    workosUrl: values['workos-url'] as string | undefined,
    limits,
    adoptedPasswords: oneOf(values['adopted-passwords'], '--adopted-passwords', ['source', 'keep'] as const),
    invitedMembers: oneOf(values['invited-members'], '--invited-members', ['skip', 'active', 'invite'] as const),
    strategy: oneOf(values.strategy, '--strategy', ['freeze', 'dual-write'] as const),
  };
}

export interface MainContext extends CommandContext {
  /** A person at a terminal: the wizard can run. Decided once, up front. */
  interactive: boolean;
}

const NEEDS_TERMINAL =
  'The wizard needs a terminal. Without one, run it headless: workos-migrate run --source file --file PATH (see workos-migrate --help).';

/** Secret-carrying flags go into this run's environment (never the journal); the rest become the source's settings. */
function sourceOptionsFrom(source: string, values: Values, cwd: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const definition = sourceDefinition(source);
  if (!definition.available) throw new ExpectedError(`The ${definition.name} source is not available yet.`, 'Use --source file with an export of your users.');
  applySecretFlags(values, env);
  return definition.optionsFrom?.(values, cwd, env) ?? {};
}

function applySecretFlags(values: Values, env: NodeJS.ProcessEnv): void {
  for (const [flag, variable] of Object.entries(secretFlags())) {
    if (typeof values[flag] === 'string' && values[flag]) env[variable] = values[flag] as string;
  }
}

export async function main(argv: string[], base: MainContext): Promise<number> {
  const [command, ...rest] = argv;
  let debug = rest.includes('--debug');
  const write = (text: string) => base.stderr.write(text);
  try {
    if (!command) {
      if (!base.interactive) throw new ExpectedError(NEEDS_TERMINAL);
      const { runWizard } = await import('./interactive.js');
      return await runWizard({ cwd: base.cwd, env: loadEnv(base.env, path.join(base.cwd, '.env')) });
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      base.stdout.write(command === 'help' && rest[0] && COMMAND_HELP[rest[0]] ? COMMAND_HELP[rest[0]] : MAIN_HELP);
      return EXIT.ok;
    }
    if (command === '--version' || command === '-v') {
      base.stdout.write('workos-migrate 0.1.0\n');
      return EXIT.ok;
    }
    const options = OPTIONS[command];
    if (!options) {
      throw new ExpectedError(`Unknown command "${command}".`, 'Run `workos-migrate --help` for the commands.');
    }
    let values: Values;
    try {
      ({ values } = parseArgs({ args: rest, options, allowPositionals: false, strict: true }) as { values: Values });
    } catch (error) {
      throw new ExpectedError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}.`, `Run \`workos-migrate ${command} --help\` for its options.`);
    }
    debug = !!values.debug;
    if (values.help) {
      base.stdout.write(COMMAND_HELP[command]);
      return EXIT.ok;
    }
    const ctx: CommandContext = { ...base, env: loadEnv(base.env, path.join(base.cwd, '.env')) };
    switch (command) {
      case 'run': {
        const source = (values.source as string | undefined) ?? (values.file ? 'file' : undefined);
        if (!source) throw new ExpectedError('run needs a source.', 'Pass --source file --file PATH.');
        if (source === 'file' && !values.file && !values['retry-failed']) throw new ExpectedError('The file source needs a file.', 'Pass --file PATH (CSV, JSON or NDJSON).');
        const sourceOptions = sourceOptionsFrom(source, values, base.cwd, ctx.env);
        return await runCommand(ctx, { kind: source, options: sourceOptions }, { ...migrateFlags(values), journal: values.journal as string | undefined });
      }
      case 'resume':
        applySecretFlags(values, ctx.env);
        return await resumeCommand(ctx, { ...migrateFlags(values), journal: values.journal as string | undefined });
      case 'sync':
        applySecretFlags(values, ctx.env);
        return await syncCommand(ctx, { ...migrateFlags(values), journal: values.journal as string | undefined, applyDeletions: !!values['apply-deletions'] });
      case 'status':
        return statusCommand(ctx, { journal: values.journal as string | undefined, json: !!values.json });
      case 'report':
        return reportCommand(ctx, { journal: values.journal as string | undefined, json: !!values.json, out: values.out as string | undefined });
      case 'verify': {
        if (values['sign-in'] !== undefined) {
          return await signInCommand(ctx, { email: values['sign-in'] as string, clientId: values['client-id'] as string | undefined, json: !!values.json, interactive: base.interactive });
        }
        const journal = values.journal ? path.resolve(base.cwd, values.journal as string) : newestJournal(base.cwd);
        if (!base.interactive || values.headless || values.json) return await verifyCommand(ctx, { journal, json: !!values.json });
        const { runWizard } = await import('./interactive.js');
        return await runWizard({ cwd: base.cwd, env: ctx.env }, { verifyJournal: journal });
      }
      case 'dual-write':
      case 'lazy':
        return kitCommand(ctx, command, { out: values.out as string | undefined, force: !!values.force, json: !!values.json });
      case 'rollback':
        return await rollbackCommand(ctx, { journal: values.journal as string | undefined, yes: !!values.yes, json: !!values.json, concurrency: positiveInt(values.concurrency, '--concurrency') });
      case 'resets':
        return await resetsCommand(ctx, {
          journal: values.journal as string | undefined,
          send: !!values.send,
          yes: !!values.yes,
          retryUncertain: !!values['retry-uncertain'],
          json: !!values.json,
          concurrency: positiveInt(values.concurrency, '--concurrency'),
        });
      case 'handoffs':
        return await handoffsCommand(ctx, { journal: values.journal as string | undefined, json: !!values.json, returnUrl: values['return-url'] as string | undefined });
      case 'write-ids':
        return await writeIdsCommand(ctx, {
          journal: values.journal as string | undefined,
          json: !!values.json,
          appDatabaseUrl: values['app-database-url'] as string | undefined,
          table: values.table as string | undefined,
          idColumn: values['id-column'] as string | undefined,
          column: values.column as string | undefined,
        });
      case 'demo':
        if (base.interactive && !values.headless && !values.json) {
          const { demoWizard } = await import('./headless/demo.js');
          return await demoWizard(ctx, { users: positiveInt(values.users, '--users') ?? 300, organizations: positiveInt(values.organizations, '--organizations') ?? 8, fast: !!values.fast });
        }
        if (values.source !== undefined && values.source !== 'file' && values.source !== 'stytch-b2b' && values.source !== 'auth0') {
          throw new ExpectedError(`The demo has no source "${String(values.source)}".`, 'Choose --source file, stytch-b2b or auth0.');
        }
        return await demoCommand(ctx, {
          source: (values.source as string | undefined) ?? 'file',
          users: positiveInt(values.users, '--users') ?? 300,
          organizations: positiveInt(values.organizations, '--organizations') ?? 8,
          fast: !!values.fast,
          json: !!values.json,
        });
    }
    return EXIT.error;
  } catch (error) {
    if (error instanceof ExpectedError) {
      write(`✖ ${describeError(error)}\n`);
      return EXIT.error;
    }
    if (base.signal.aborted) {
      write('Stopped.\n');
      return EXIT.stopped;
    }
    write(`✖ Unexpected error (a workos-migrate bug): ${describeError(error)}\n`);
    if (debug && error instanceof Error && error.stack) write(`${error.stack}\n`);
    else write('  Run again with --debug to see the stack, and please report it.\n');
    return EXIT.error;
  }
}

