import fs from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../errors.js';
import { createEventBus, type EventBus } from '../services/events.js';
import { Journal } from '../services/journal/journal.js';
import type { BucketLimit, BucketName, RecordKind, RunSettings } from '../services/journal/types.js';
import { apiKeyFrom, defaultJournalPath, newestJournal, planOf, resolveJournalToResume, type Plan } from '../services/migration.js';
import { readFailuresFile, writeReports } from '../services/report/report.js';
import {
  continueMigration,
  startMigration,
  syncMigration,
  type Strategy,
  verifyMigration,
  type Decisions,
  type RunContext,
  type RunOutcome,
  type RunOverrides,
} from '../services/run/orchestrator.js';
import { handoffsOf } from '../services/run/handoffs.js';
import { planLines } from '../services/run/plan-lines.js';
import { rollbackStatusLine } from '../services/rollback.js';
import { environmentOfKey } from '../services/workos/target.js';
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
  adoptedPasswords?: RunSettings['adoptedPasswords'];
  invitedMembers?: RunSettings['invitedMembers'];
  /** Sign-ups frozen in the source (checked: counted now, again before the import and at verify) or mirrored by dual-write. */
  strategy?: Strategy;
}

export const EXIT = { ok: 0, error: 1, incomplete: 2, stopped: 130 } as const;

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** The headless shell's answers: flags, never a prompt. */
function headlessDecisions(flags: MigrateFlags, out: HeadlessOutput): Decisions {
  return {
    confirmProduction: async () => flags.yes,
    reviewPlan: async (plan) => printPlan(plan, out),
    chooseStrategy: async (saved) => flags.strategy ?? saved,
    // Checked by the orchestration: an unmapped role or an unknown slug stops the run, naming the flag.
    mapRoles: async (proposal) => ({ roleMap: { ...proposal.roleMap, ...flags.roleMap }, defaultRole: flags.defaultRole ?? proposal.defaultRole }),
  };
}

function overridesOf(flags: MigrateFlags): RunOverrides {
  return {
    apiUrl: flags.workosUrl,
    limits: flags.limits,
    concurrency: flags.concurrency,
    roleMap: flags.roleMap,
    defaultRole: flags.defaultRole,
    keepExistingRoles: flags.keepExistingRoles,
    adoptedPasswords: flags.adoptedPasswords,
    invitedMembers: flags.invitedMembers,
  };
}

/** Runs one orchestration call with the headless shell attached: events printed, outcome summed up. */
async function headless(ctx: CommandContext, flags: MigrateFlags, go: (run: RunContext) => Promise<RunOutcome>): Promise<number> {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  const bus = createEventBus();
  const detach = out.attach(bus);
  try {
    const outcome = await go({ env: ctx.env, bus, signal: ctx.signal, decisions: headlessDecisions(flags, out) });
    bus.flush();
    return printOutcome(outcome, out);
  } finally {
    bus.flush();
    detach();
  }
}

/** `workos-migrate run --source file --file PATH ...`: a new migration, start to finish. */
export async function runCommand(
  ctx: CommandContext,
  source: { kind: string; options: Record<string, unknown> },
  flags: MigrateFlags & { journal?: string },
): Promise<number> {
  const journalPath = flags.journal ? path.resolve(ctx.cwd, flags.journal) : defaultJournalPath(ctx.cwd, source.kind);
  if (fs.existsSync(journalPath)) {
    if (flags.retryFailed) return withJournal(journalPath, (journal) => continueHeadless(ctx, journal, flags));
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
    adoptedPasswords: flags.adoptedPasswords,
    invitedMembers: flags.invitedMembers,
    createdAt: new Date().toISOString(),
  };
  return headless(ctx, flags, (run) => startMigration(run, settings, journalPath, { dryRun: flags.dryRun }));
}

/** `workos-migrate resume`: picks a journal up where it stopped. */
export async function resumeCommand(ctx: CommandContext, flags: MigrateFlags & { journal?: string }): Promise<number> {
  return withJournal(resolveJournalToResume(ctx.cwd, flags.journal), (journal) => {
    if (!flags.json) ctx.stderr.write(`Resuming ${journal.path} (${journal.phase}).\n`);
    return continueHeadless(ctx, journal, flags);
  });
}

/** `workos-migrate sync`: the source read again; what is new or changed since goes to WorkOS. */
export async function syncCommand(ctx: CommandContext, flags: MigrateFlags & { journal?: string; applyDeletions: boolean }): Promise<number> {
  const file = flags.journal ? path.resolve(ctx.cwd, flags.journal) : newestJournal(ctx.cwd);
  return withJournal(file, (journal) => {
    if (!flags.json) ctx.stderr.write(`Syncing ${journal.path} with its source.\n`);
    return headless(ctx, flags, (run) => syncMigration(run, journal, { deletions: flags.applyDeletions, verify: false }));
  });
}

function continueHeadless(ctx: CommandContext, journal: Journal, flags: MigrateFlags): Promise<number> {
  const retryFailed = flags.retryFailed ? (flags.failuresFile ? readFailuresFile(flags.failuresFile) : true) : undefined;
  return headless(ctx, flags, (run) => continueMigration(run, journal, { overrides: overridesOf(flags), dryRun: flags.dryRun, retryFailed }));
}

/** Opens and locks a journal for one command, and always lets it go. */
export async function withJournal<T>(file: string, use: (journal: Journal) => Promise<T>): Promise<T> {
  const journal = Journal.open(file);
  try {
    journal.lock();
    return await use(journal);
  } finally {
    journal.close();
  }
}

function printOutcome(outcome: RunOutcome, out: HeadlessOutput): number {
  if (outcome.status === 'stopped') {
    out.result({ stopped: true, journal: outcome.journal }, [
      `Stopped. Calls in flight finished and the journal is consistent.`,
      `Resume with: workos-migrate resume --journal ${outcome.journal}`,
    ]);
    return EXIT.stopped;
  }
  if (outcome.status === 'dry-run') {
    const result = outcome.dryRun;
    out.result({ dryRun: result }, [
      `Dry run (nothing was written to WorkOS):`,
      `  organizations: ${result.organizations.create} to create, ${result.organizations.adopt} already there`,
      `  users: ${result.users.create} to create, ${result.users.adopt} already there (${result.users.adoptByEmail} found by email)`,
      `  memberships: ${result.memberships.total} to create or adopt`,
      `Run \`workos-migrate resume --journal ${outcome.journal}\` to import.`,
    ]);
    return EXIT.ok;
  }
  const { counts, reports } = outcome;
  const summary = (['organization', 'user', 'membership'] as RecordKind[]).map(
    (kind) =>
      `  ${kind}s: ${counts[kind].done - counts[kind].adopted} created, ${counts[kind].adopted} adopted, ${counts[kind].failed} failed, ${counts[kind].skipped} skipped`,
  );
  const lines = [
    outcome.import
      ? `Import finished in ${formatDuration(outcome.import.elapsedMs / 1000)} (${plural(outcome.import.calls, 'API call')}).`
      : 'Nothing left to import.',
    ...summary,
  ];
  const factors = outcome.summary.factors;
  if (factors?.total) {
    lines.push(`  TOTP factors: ${factors.enrolled} enrolled, ${factors.failed} failed, ${factors.skipped} skipped${factors.notYet ? `, ${factors.notYet} not yet` : ''}`);
  }
  if (outcome.sourceStats) {
    const s = outcome.sourceStats;
    lines.push(`  source: ${plural(s.requests, 'request')}, ${plural(s.rateLimited, 'rate-limit answer')} (429), ${formatDuration(s.waitedMs / 1000)} waited`);
  }
  lines.push(`Id map: ${reports.idMap}`, `Summary: ${reports.summary}`);
  if (reports.failureCount) {
    lines.push(
      `${plural(reports.failureCount, 'record')} did not make it: see ${reports.failures}. Retry what WorkOS or the network failed with \`workos-migrate run --retry-failed --journal ${outcome.journal}\`; for what the source got wrong, fix it and run again with a new journal (existing records are adopted).`,
    );
  }
  out.result(
    { counts, reports, elapsedMs: outcome.import?.elapsedMs ?? 0, calls: outcome.import?.calls ?? 0, sourceStats: outcome.sourceStats ?? null, summary: outcome.summary },
    lines,
  );
  return outcome.notImported ? EXIT.incomplete : EXIT.ok;
}

function printPlan(plan: Plan, out: HeadlessOutput): void {
  const c = plan.counts;
  const lines = [
    `Found ${plural(c.organization.total, 'organization')}, ${plural(c.user.total, 'user')}, ${plural(c.membership.total, 'membership')}:`,
    ...planLines(plan, { keys: false }).map((line) => `  ${line.text}`),
  ];
  if (plan.issues.errors) {
    lines.push(`  problems in the source (those rows are not imported; all are in the failures file), e.g.:`);
    for (const e of plan.issues.examples) lines.push(`    ${e.location}${e.field ? ` [${e.field}]` : ''}: ${e.message}`);
  }
  if (plan.manual.length) {
    lines.push(`  to do by hand (${plural(plan.issues.warnings, 'warning')}; all are in the summary):`);
    for (const m of plan.manual) lines.push(`    ${m.count} × ${m.recordKind} ${m.field}: ${m.example.length > 160 ? `${m.example.slice(0, 157)}...` : m.example}`);
  }
  if (plan.invited.invited + plan.invited.pending && plan.invited.choice === 'skip') {
    lines.push('  (import invited members with --invited-members active, or send them invitations with --invited-members invite)');
  }
  out.result({ plan }, lines);
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
      `  ${`${kind}s`.padEnd(14)} ${c[kind].total.toLocaleString('en-US').padStart(8)} staged · ${(c[kind].done - c[kind].adopted).toLocaleString('en-US')} created · ${c[kind].adopted.toLocaleString('en-US')} adopted · ${c[kind].failed.toLocaleString('en-US')} failed · ${c[kind].skipped.toLocaleString('en-US')} skipped · ${(c[kind].pending + c[kind].in_flight).toLocaleString('en-US')} to do`;
    out.result(
      { journal: journal.path, phase: journal.phase, lastActivity: journal.lastActivity, source: journal.settings.source, workos: journal.settings.workos, cursor, plan },
      [
        `Journal: ${journal.path}`,
        `Source: ${journal.settings.source.kind}; phase: ${journal.phase}; last activity: ${journal.lastActivity ?? 'unknown'}`,
        ...(cursor ? [`Export: ${cursor.done.toLocaleString('en-US')} ${cursor.unit ?? 'records'} read`] : []),
        ...[rollbackStatusLine(journal)].filter((line): line is string => !!line),
        row('organization'),
        row('user'),
        row('membership'),
        `  source problems: ${plural(plan.issues.errors, 'error')}, ${plural(plan.issues.warnings, 'warning')}`,
        // Beyond the counts: the plan in words with its examples, the hand-offs, every problem noted.
        '',
        'The plan:',
        ...planLines(plan, { keys: false }).flatMap((l) => [`- ${l.text}`, ...(plan.examples[l.id] ?? []).map((e) => `    e.g. ${e}`)]),
        ...handoffsOf(journal, plan).flatMap((h, i) => [...(i ? [] : ['', 'By hand after the import:']), `- ${h.text}`, ...h.examples.slice(0, 10).map((e) => `    ${e}`)]),
        ...problemLines(journal),
      ],
    );
    return EXIT.ok;
  } finally {
    journal.close();
  }
}

/** Every problem the source reading noted (errors first), so that none is known only as a count. */
function problemLines(journal: Journal): string[] {
  const MAX = 1000;
  const rows = journal.all<{ severity: string; location: string; field: string | null; message: string }>(
    `SELECT severity, location, field, message FROM issues ORDER BY severity = 'warning', id LIMIT ${MAX + 1}`,
  );
  if (!rows.length) return [];
  return [
    '',
    'Problems noted in the source:',
    ...rows.slice(0, MAX).map((r) => `- ${r.severity} ${r.location}${r.field ? ` [${r.field}]` : ''}: ${r.message}`),
    ...(rows.length > MAX ? [`- ... more in the journal's issues table (${journal.path})`] : []),
  ];
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

/**
 * `workos-migrate verify --headless`/`--json`: the checklist without a terminal. Exits non-zero
 * when a check fails, so a script or CI job can gate a cutover on it.
 */
export async function verifyCommand(ctx: CommandContext, flags: { journal: string; json: boolean }): Promise<number> {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  const bus = createEventBus();
  const detach = out.attach(bus);
  const journal = Journal.open(flags.journal);
  try {
    const report = await verifyMigration({ env: ctx.env, bus, signal: ctx.signal }, journal);
    if (ctx.signal.aborted) return EXIT.stopped;
    const mark = { pass: '✔', fail: '✖', warn: '!', info: '•' } as const;
    const failed = report.checks.filter((c) => c.status === 'fail');
    const lines = report.checks.flatMap((c) => [`${mark[c.status]} ${c.label}: ${c.detail}`, ...(c.examples ?? []).map((e) => `    ${e}`)]);
    lines.push(...report.manual.map((m) => `☐ ${m.label} (yours to check)`));
    lines.push(failed.length ? `${plural(failed.length, 'check')} failed: see above and ${report.reports.dir}.` : 'Every check passed.');
    out.result({ verify: report, passed: failed.length === 0 }, lines);
    return failed.length ? EXIT.incomplete : EXIT.ok;
  } finally {
    bus.flush();
    detach();
    journal.close();
  }
}

export type { EventBus };
