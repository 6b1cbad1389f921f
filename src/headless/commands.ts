import fs from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../errors.js';
import { createEventBus, type EventBus } from '../services/events.js';
import { runExport } from '../services/export/exporter.js';
import { runDryRun } from '../services/import/dry-run.js';
import { Importer } from '../services/import/importer.js';
import { Journal } from '../services/journal/journal.js';
import type { BucketLimit, BucketName, RecordKind, RunSettings } from '../services/journal/types.js';
import {
  apiKeyFrom,
  defaultJournalPath,
  planOf,
  providerFor,
  newestJournal,
  resolveJournalToResume,
  resolveRoles,
  targetFor,
} from '../services/migration.js';
import { FAILURES_HEADER, writeReports } from '../services/report/report.js';
import { environmentOfKey, type WorkOSTarget } from '../services/workos/target.js';
import { formatDuration, HeadlessOutput } from './output.js';

export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborted on Ctrl-C / SIGTERM: calls in flight finish, nothing new starts. */
  signal: AbortSignal;
}

export interface MigrateFlags {
  json: boolean;
  yes: boolean;
  dryRun: boolean;
  retryFailed: boolean;
  failuresFile?: string;
  roleMap: Record<string, string>;
  defaultRole?: string;
  concurrency?: number;
  workosUrl?: string;
  limits?: Partial<Record<BucketName, BucketLimit>>;
  keepExistingRoles?: boolean;
}

export const EXIT = { ok: 0, error: 1, incomplete: 2, stopped: 130 } as const;

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** `workos-migrate run --source file --file PATH ...`: a new migration, start to finish. */
export async function runCommand(
  ctx: CommandContext,
  source: { kind: string; options: Record<string, unknown> },
  flags: MigrateFlags & { journal?: string },
): Promise<number> {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  const journalPath = flags.journal ? path.resolve(ctx.cwd, flags.journal) : defaultJournalPath(ctx.cwd, source.kind);
  if (fs.existsSync(journalPath)) {
    if (flags.retryFailed) {
      const journal = Journal.open(journalPath);
      try {
        journal.lock();
        return await migrate(ctx, journal, flags, out);
      } finally {
        journal.close();
      }
    }
    throw new ExpectedError(
      `A journal already exists at ${journalPath}.`,
      `Continue it with \`workos-migrate resume --journal ${journalPath}\`, retry its failures with \`run --retry-failed --journal ${journalPath}\`, or choose a new --journal.`,
    );
  }
  if (flags.retryFailed) throw new ExpectedError('--retry-failed needs the journal of an earlier run.', 'Pass it with --journal PATH.');
  const workosUrl = flags.workosUrl ?? ctx.env.WORKOS_API_URL;
  const settings: RunSettings = {
    version: 1,
    source: { kind: source.kind, options: source.options },
    workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: workosUrl || undefined, environment: environmentOfKey(apiKeyFrom(ctx.env)) },
    limits: flags.limits,
    concurrency: flags.concurrency,
    roleMap: flags.roleMap,
    defaultRole: flags.defaultRole,
    updateExistingRoles: !flags.keepExistingRoles,
    createdAt: new Date().toISOString(),
  };
  // Everything is checked before the journal exists: a wrong key or file leaves nothing behind.
  const target = targetFor(settings, ctx.env);
  await target.checkKey({ signal: ctx.signal });
  confirmEnvironment(settings, flags);
  const provider = providerFor(settings, ctx.env);
  const checked = await provider.check();
  out.info(`Source: ${checked.summary}`);
  const journal = Journal.create(journalPath, settings);
  journal.lock();
  out.info(`Journal: ${journal.path}`);
  try {
    return await migrate(ctx, journal, flags, out);
  } catch (error) {
    // A source that turns out unreadable past its head leaves no half-staged journal behind:
    // nothing reached WorkOS, and the next run starts from a fixed file.
    if (error instanceof ExpectedError && settings.source.kind === 'file' && (journal.phase === 'created' || journal.phase === 'exporting')) {
      journal.close();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${journalPath}${suffix}`, { force: true });
      throw new ExpectedError(`${error.message}${error.message.endsWith('.') ? '' : '.'} Nothing was written to WorkOS and the journal was removed.`, error.nextStep);
    }
    throw error;
  } finally {
    journal.close();
  }
}

/** `workos-migrate resume`: picks a journal up where it stopped. */
export async function resumeCommand(ctx: CommandContext, flags: MigrateFlags & { journal?: string }): Promise<number> {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  const journal = Journal.open(resolveJournalToResume(ctx.cwd, flags.journal));
  try {
    journal.lock();
    out.info(`Resuming ${journal.path} (${journal.phase}).`);
    return await migrate(ctx, journal, flags, out);
  } finally {
    journal.close();
  }
}

/**
 * A resumed journal must keep writing where it began: same kind of environment, and the users it
 * already imported still there. Otherwise done records would point into another environment.
 */
async function confirmSameEnvironment(journal: Journal, target: WorkOSTarget, signal: AbortSignal): Promise<void> {
  const saved = journal.settings.workos.environment;
  if (saved && saved !== 'unknown' && target.environment !== saved) {
    throw new ExpectedError(
      `This journal was written to a ${saved} environment, but WORKOS_API_KEY is a ${target.environment} key.`,
      'Resume with the key of the environment the migration began in.',
    );
  }
  const sample = journal.get<{ workos_id: string; email: string }>(`SELECT workos_id, email FROM users WHERE state = 'done' ORDER BY id LIMIT 1`);
  if (sample && !(await target.getUser(sample.workos_id, { signal }))) {
    throw new ExpectedError(
      `The users this journal already imported are not in this WorkOS environment (${sample.email} is ${sample.workos_id} there, and this key cannot find it).`,
      'Resume with the key of the environment the migration began in.',
    );
  }
}

function confirmEnvironment(settings: RunSettings, flags: { yes: boolean; dryRun: boolean }): void {
  if (settings.workos.environment === 'production' && !flags.yes && !flags.dryRun) {
    throw new ExpectedError(
      'WORKOS_API_KEY is a production key (sk_live_): this run would write to your production environment.',
      'Pass --yes to confirm, or try it first with --dry-run or a test key (sk_test_).',
    );
  }
}

async function migrate(ctx: CommandContext, journal: Journal, flags: MigrateFlags, out: HeadlessOutput): Promise<number> {
  const bus = createEventBus();
  const detach = out.attach(bus);
  try {
    // Flags override the journal's endpoint and limits, saved only once the environment checks out.
    const saved = journal.settings;
    const settings: RunSettings = {
      ...saved,
      workos: { ...saved.workos, apiUrl: flags.workosUrl ?? saved.workos.apiUrl },
      limits: flags.limits ? { ...saved.limits, ...flags.limits } : saved.limits,
    };
    const target = targetFor(settings, ctx.env, {
      onRateLimited: (bucket, retryAfterMs) => bus.emit({ type: 'rate_limited', bucket, retryAfterMs }),
    });
    await target.checkKey({ signal: ctx.signal });
    await confirmSameEnvironment(journal, target, ctx.signal);
    confirmEnvironment({ ...settings, workos: { ...settings.workos, environment: target.environment } }, flags);
    if (flags.workosUrl || flags.limits) journal.updateSettings({ workos: settings.workos, limits: settings.limits });

    if (journal.phase === 'created' || journal.phase === 'exporting') {
      const provider = providerFor(settings, ctx.env);
      const exported = await runExport(journal, provider, bus, { signal: ctx.signal });
      if (!exported.completed) return stopped(journal, out);
    }
    printPlan(journal, out);

    const roles = await resolveRolesOrFail(journal, target, flags, ctx.signal);
    if (flags.dryRun) {
      const result = await runDryRun(journal, target, bus, { concurrency: settings.concurrency, signal: ctx.signal });
      out.result(
        { dryRun: result },
        [
          `Dry run (nothing was written to WorkOS):`,
          `  organizations: ${result.organizations.create} to create, ${result.organizations.adopt} already there`,
          `  users: ${result.users.create} to create, ${result.users.adopt} already there (${result.users.adoptByEmail} found by email)`,
          `  memberships: ${result.memberships.total} to create or adopt`,
          `Run \`workos-migrate resume --journal ${journal.path}\` to import.`,
        ],
      );
      return result.stopped ? EXIT.stopped : EXIT.ok;
    }

    if (flags.retryFailed) {
      const only = flags.failuresFile ? readFailuresFile(flags.failuresFile) : undefined;
      const reset = journal.resetFailed(only);
      out.info(`Retrying ${plural(reset, 'record')}.`);
    }
    const importer = new Importer(journal, target, bus, {
      concurrency: flags.concurrency ?? settings.concurrency,
      signal: ctx.signal,
      roleMap: roles.roleMap,
      defaultRole: settings.defaultRole,
      multipleRoles: settings.multipleRoles,
      updateExistingRoles: settings.updateExistingRoles !== false,
    });
    const result = await importer.run();
    bus.flush();
    if (result.stopped) return stopped(journal, out);

    const reports = writeReports(journal);
    const counts = journal.counts();
    const notImported = (['organization', 'user', 'membership'] as RecordKind[]).reduce(
      (sum, kind) => sum + counts[kind].failed + counts[kind].skipped,
      0,
    );
    const summary = (['organization', 'user', 'membership'] as RecordKind[]).map(
      (kind) =>
        `  ${kind}s: ${counts[kind].done - counts[kind].adopted} created, ${counts[kind].adopted} adopted, ${counts[kind].failed} failed, ${counts[kind].skipped} skipped`,
    );
    const lines = [
      `Import finished in ${formatDuration(result.elapsedMs / 1000)} (${plural(result.calls, 'API call')}).`,
      ...summary,
      `Id map: ${reports.idMap}`,
      `Summary: ${reports.summary}`,
    ];
    if (reports.failureCount) {
      lines.push(
        `${plural(reports.failureCount, 'record')} did not make it: see ${reports.failures}. Retry what WorkOS or the network failed with \`workos-migrate run --retry-failed --journal ${journal.path}\`; for what the source got wrong, fix it and run again with a new journal (existing records are adopted).`,
      );
    }
    out.result({ counts, reports, elapsedMs: result.elapsedMs, calls: result.calls }, lines);
    return notImported || reports.failureCount ? EXIT.incomplete : EXIT.ok;
  } finally {
    bus.flush();
    detach();
  }
}

function stopped(journal: Journal, out: HeadlessOutput): number {
  out.result({ stopped: true, journal: journal.path }, [
    `Stopped. Calls in flight finished and the journal is consistent.`,
    `Resume with: workos-migrate resume --journal ${journal.path}`,
  ]);
  return EXIT.stopped;
}

async function resolveRolesOrFail(journal: Journal, target: ReturnType<typeof targetFor>, flags: MigrateFlags, signal: AbortSignal) {
  const usage = journal.roleUsage();
  const explicit = { ...journal.settings.roleMap, ...flags.roleMap };
  const defaultRole = flags.defaultRole ?? journal.settings.defaultRole;
  if (!usage.length && !Object.keys(explicit).length && !defaultRole) return { roleMap: {}, unmapped: [], unknownTargets: [], usage };
  const environmentRoles = (await target.listEnvironmentRoles(signal ? { signal } : {})).map((r) => r.slug);
  const resolution = resolveRoles(journal, environmentRoles, explicit, defaultRole);
  if (resolution.unknownTargets.length) {
    throw new ExpectedError(
      `No such role in this WorkOS environment: ${resolution.unknownTargets.map((u) => `${u.slug} (for ${u.source})`).join(', ')}.`,
      `Its roles are: ${environmentRoles.join(', ')}. Fix --role-map / --default-role.`,
    );
  }
  if (resolution.unmapped.length) {
    throw new ExpectedError(
      `These source roles have no WorkOS role: ${resolution.unmapped.join(', ')}.`,
      `Map them with --role-map SOURCE=SLUG (environment roles: ${environmentRoles.join(', ')}) or give --default-role SLUG.`,
    );
  }
  journal.updateSettings({ roleMap: { ...journal.settings.roleMap, ...flags.roleMap }, defaultRole });
  return resolution;
}

function printPlan(journal: Journal, out: HeadlessOutput): void {
  const plan = planOf(journal);
  const c = plan.counts;
  const lines = [
    `Found ${plural(c.organization.total, 'organization')}, ${plural(c.user.total, 'user')}, ${plural(c.membership.total, 'membership')}.`,
  ];
  if (plan.hashTypes.length) lines.push(`  password hashes: ${plan.hashTypes.map((h) => `${h.type} ${h.users}`).join(', ')}; ${plan.withoutPassword} users without one`);
  if (plan.duplicates) lines.push(`  ${plural(plan.duplicates, 'duplicate email')} (skipped; see the failures file)`);
  if (plan.issues.errors) {
    lines.push(`  ${plural(plan.issues.errors, 'problem')} in the source (those rows are not imported; all are in the failures file), e.g.:`);
    for (const e of plan.issues.examples) lines.push(`    ${e.location}${e.field ? ` [${e.field}]` : ''}: ${e.message}`);
  }
  if (plan.manual.length) {
    lines.push(`  to do by hand (${plural(plan.issues.warnings, 'warning')}; all are in the summary):`);
    for (const m of plan.manual) lines.push(`    ${m.count} × ${m.recordKind} ${m.field}: ${m.example.length > 160 ? `${m.example.slice(0, 157)}...` : m.example}`);
  }
  if (plan.socialProviders.length) lines.push(`  social sign-in to configure in WorkOS: ${plan.socialProviders.map((p) => `${p.provider} (${p.users})`).join(', ')}`);
  if (plan.mfa.sms) lines.push(`  ${plural(plan.mfa.sms, 'user')} with SMS MFA must re-enroll`);
  out.result({ plan }, lines);
}

/** The failures file's rows, for `--retry-failed --failures FILE`. */
function readFailuresFile(file: string): { kind: RecordKind; sourceId: string }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ExpectedError(`Cannot read the failures file ${file}: ${(error as Error).message}.`, 'Pass the failures.csv a run wrote.');
  }
  const [header, ...rows] = text.split(/\r?\n/).filter(Boolean);
  if (header !== FAILURES_HEADER.join(',')) {
    throw new ExpectedError(`${file} is not a workos-migrate failures file (its header is "${header}").`, 'Pass the failures.csv a run wrote.');
  }
  const records: { kind: RecordKind; sourceId: string }[] = [];
  for (const row of rows) {
    const [kind, sourceId] = parseCsvStart(row);
    if (kind === 'organization' || kind === 'user' || kind === 'membership') records.push({ kind, sourceId });
  }
  return records;
}

/** The first two fields of a CSV line written by csvField (quoted fields may hold commas). */
function parseCsvStart(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 2 && i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else value += line[i++];
      }
      fields.push(value);
      i++;
    } else {
      const end = line.indexOf(',', i);
      fields.push(line.slice(i, end < 0 ? undefined : end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return fields;
}

/** `workos-migrate status`: where a migration stands, from its journal alone. */
export function statusCommand(ctx: CommandContext, flags: { journal?: string; json: boolean }): number {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  const journal = Journal.open(flags.journal ? path.resolve(ctx.cwd, flags.journal) : newestJournal(ctx.cwd));
  try {
    const plan = planOf(journal);
    const cursor = journal.cursor(journal.settings.source.kind);
    const c = plan.counts;
    const row = (kind: RecordKind) =>
      `  ${`${kind}s`.padEnd(14)} ${String(c[kind].total).padStart(8)} staged · ${c[kind].done - c[kind].adopted} created · ${c[kind].adopted} adopted · ${c[kind].failed} failed · ${c[kind].skipped} skipped · ${c[kind].pending + c[kind].in_flight} to do`;
    out.result(
      { journal: journal.path, phase: journal.phase, lastActivity: journal.lastActivity, source: journal.settings.source, workos: journal.settings.workos, cursor, plan },
      [
        `Journal: ${journal.path}`,
        `Source: ${journal.settings.source.kind}; phase: ${journal.phase}; last activity: ${journal.lastActivity ?? 'unknown'}`,
        ...(cursor ? [`Export: ${cursor.done.toLocaleString('en-US')} ${cursor.unit ?? 'records'} read`] : []),
        row('organization'),
        row('user'),
        row('membership'),
        `  source problems: ${plan.issues.errors} errors, ${plan.issues.warnings} warnings`,
      ],
    );
    return EXIT.ok;
  } finally {
    journal.close();
  }
}

/** `workos-migrate report`: writes the report files now. */
export function reportCommand(ctx: CommandContext, flags: { journal?: string; json: boolean; out?: string }): number {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  const journal = Journal.open(flags.journal ? path.resolve(ctx.cwd, flags.journal) : newestJournal(ctx.cwd));
  try {
    const reports = writeReports(journal, flags.out ? path.resolve(ctx.cwd, flags.out) : undefined);
    out.result({ reports }, [`Id map: ${reports.idMap}`, `SQL template: ${reports.idMapSql}`, `Failures (${reports.failureCount}): ${reports.failures}`, `Summary: ${reports.summary}`]);
    return EXIT.ok;
  } finally {
    journal.close();
  }
}

export type { EventBus };
