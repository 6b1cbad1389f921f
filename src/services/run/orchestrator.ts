/**
 * The one orchestration of a migration: key and environment checks, export, plan, strategy, role
 * mapping, import (or dry run), reports and verification, in that order, resumable from whatever
 * the journal says. The wizard and the headless commands both call it; neither sequences steps.
 * What only a person can decide (the plan, the strategy, the roles, a production key) is asked
 * through `Decisions`: the headless shell answers from flags, the wizard from its screens.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import { ExpectedError } from '../../errors.js';
import type { SourceStats } from '../../providers/types.js';
import type { EventBus } from '../events.js';
import { runExport, SOURCE_STATS_KEY } from '../export/exporter.js';
import { runDryRun, type DryRunResult } from '../import/dry-run.js';
import { Importer, type ImportResult } from '../import/importer.js';
import { Journal } from '../journal/journal.js';
import type { RecordKind, RunSettings, StateCounts } from '../journal/types.js';
import { planOf, providerFor, resolveRoles, targetFor, type Plan, type RoleResolution } from '../migration.js';
import { summaryFacts, writeReports, type SummaryFacts, type WrittenReports } from '../report/report.js';
import { runVerification, type VerifyReport } from '../verify.js';
import { refuseIfRolledBack } from '../rollback.js';
import { checkAppDatabaseIds } from '../app-database.js';
import { connectivityNotice, type WorkOSTarget } from '../workos/target.js';
import { findFreezeLeak, freezeCheck, takeFreezeSnapshot } from './freeze.js';
import { carrySyncChanges, syncSource } from './sync.js';

export type Strategy = 'freeze' | 'dual-write';

/** What the operator is shown before choosing WorkOS roles for the source's roles. */
export interface RoleProposal extends RoleResolution {
  environmentRoles: { slug: string; name: string }[];
  defaultRole?: string;
}

export interface RoleAnswer {
  roleMap: Record<string, string>;
  defaultRole?: string;
}

/** Going back one question (the wizard's Esc): the orchestration asks the previous one again. */
export const BACK = Symbol('back');
export type Back = typeof BACK;

/** The questions of a migration. Each is asked only when the journal does not hold its answer. */
export interface Decisions {
  /** A production key (sk_live_): write to it? A refusal stops before anything is written. */
  confirmProduction(): Promise<boolean>;
  /** The plan, before anything is written to WorkOS. */
  reviewPlan(plan: Plan): Promise<void>;
  chooseStrategy(saved: Strategy | undefined): Promise<Strategy | undefined | Back>;
  /** The proposal is complete when `unmapped` and `unknownTargets` are empty. */
  mapRoles(proposal: RoleProposal): Promise<RoleAnswer | Back>;
}

/** The steps the shells show; announced on the bus as each begins. */
export type RunStep = 'connect' | 'export' | 'plan' | 'strategy' | 'roles' | 'import' | 'reports' | 'verify';

export interface RunContext {
  env: NodeJS.ProcessEnv;
  bus: EventBus;
  decisions: Decisions;
  /** Ctrl-C: calls in flight finish, nothing new starts, the journal stays consistent. */
  signal: AbortSignal;
  /** Told as each step begins (the wizard switches screens on it). */
  onStep?: (step: RunStep) => void;
  /** Pause and resume of the import, for the shells' keys. */
  control?: RunControl;
  /** Told when a new migration's journal exists (the wizard keeps it for its later screens). */
  onJournal?: (journal: Journal) => void;
  onVerifyProgress?: (check: string, done: number, total: number) => void;
}

/** Holds the running import so a shell can pause it without knowing the importer. */
export class RunControl {
  private importer: Importer | undefined;

  attach(importer: Importer | undefined): void {
    this.importer = importer;
  }

  get running(): boolean {
    return this.importer !== undefined;
  }

  get paused(): boolean {
    return this.importer?.paused ?? false;
  }

  /** Pauses or resumes; returns whether it is paused now. */
  togglePause(): boolean {
    if (!this.importer) return false;
    if (this.importer.paused) this.importer.resume();
    else this.importer.pause();
    return this.importer.paused;
  }

  /** A stop while paused must not wait for a resume that never comes. */
  releasePause(): void {
    if (this.importer?.paused) this.importer.resume();
  }
}

/** Settings a later run may change (flags on resume), saved only once the environment checks out. */
export interface RunOverrides {
  apiUrl?: string;
  limits?: RunSettings['limits'];
  concurrency?: number;
  roleMap?: Record<string, string>;
  defaultRole?: string;
  keepExistingRoles?: boolean;
  adoptedPasswords?: RunSettings['adoptedPasswords'];
  invitedMembers?: RunSettings['invitedMembers'];
}

export interface ContinueOptions {
  overrides?: RunOverrides;
  dryRun?: boolean;
  /** Import the failed records again (only these, when given). */
  retryFailed?: boolean | { kind: RecordKind; sourceId: string }[];
  /** Run the verification checklist after the import (the wizard does). */
  verify?: boolean;
  /** The key was just checked and a production environment confirmed (a new migration). */
  confirmed?: boolean;
}

export interface StartOptions extends ContinueOptions {
  /** The caller keeps the journal open after the run (and closes it itself). */
  keepOpen?: boolean;
  /** The source's check already passed on the caller's screen (a source's calls are scarce). */
  sourceChecked?: { summary: string };
}

export type RunOutcome =
  | { status: 'stopped'; journal: string }
  | { status: 'dry-run'; journal: string; dryRun: DryRunResult }
  | {
      status: 'imported';
      journal: string;
      import?: ImportResult;
      counts: StateCounts;
      reports: WrittenReports;
      /** The facts of summary.md, for `--json` and the screens. */
      summary: SummaryFacts;
      /**
       * Records that did not make it: every line of the failures file (what the operator chose
       * to leave out, such as invited members, is reported but not counted) and any not yet done.
       */
      notImported: number;
      sourceStats?: SourceStats;
      verify?: VerifyReport;
    };

const KINDS: RecordKind[] = ['organization', 'user', 'membership'];

/**
 * A new migration: everything is checked before the journal exists (a wrong key or source leaves
 * nothing behind), then it runs as a resumed one would.
 */
export async function startMigration(ctx: RunContext, settings: RunSettings, journalPath: string, options: StartOptions = {}): Promise<RunOutcome> {
  ctx.onStep?.('connect');
  const target = targetFor(settings, ctx.env);
  await target.checkKey({ signal: ctx.signal });
  await confirmProduction(ctx, target, options.dryRun);
  const checked = options.sourceChecked ?? (await providerFor(settings, ctx.env).check());
  ctx.bus.emit({ type: 'notice', level: 'info', message: `Source: ${checked.summary}` });
  const journal = Journal.create(journalPath, settings);
  try {
    journal.lock();
    ctx.bus.emit({ type: 'notice', level: 'info', message: `Journal: ${journal.path}` });
    ctx.onJournal?.(journal);
    // Key and production already confirmed just above: not asked twice.
    return await continueMigration(ctx, journal, { ...options, confirmed: true });
  } catch (error) {
    // A file that turns out unreadable past its head leaves no half-staged journal behind:
    // nothing reached WorkOS, and the next run starts from a fixed file.
    // A full disk is not the file's fault: what was staged is kept for `resume`.
    const resumable = (error as { resumable?: boolean }).resumable === true;
    if (error instanceof ExpectedError && !resumable && settings.source.kind === 'file' && (journal.phase === 'created' || journal.phase === 'exporting')) {
      journal.close();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${journalPath}${suffix}`, { force: true });
      throw new ExpectedError(`${error.message}${error.message.endsWith('.') ? '' : '.'} Nothing was written to WorkOS and the journal was removed.`, error.nextStep);
    }
    throw error;
  } finally {
    if (!options.keepOpen) journal.close();
  }
}

/** Picks a journal up wherever it stopped and takes it as far as it goes. The caller holds its lock. */
export async function continueMigration(ctx: RunContext, journal: Journal, options: ContinueOptions = {}): Promise<RunOutcome> {
  refuseIfRolledBack(journal);
  try {
    return await runSteps(ctx, journal, options);
  } catch (error) {
    // Whatever a stop interrupted (a source's request, a wait) ends as a stop: the journal is
    // consistent after every commit, and the next run goes on from it.
    // An operator's problem (a full disk, a refused key) is still said after a stop.
    if (ctx.signal.aborted && !(error instanceof ExpectedError)) return { status: 'stopped', journal: journal.path };
    throw error;
  }
}

async function runSteps(ctx: RunContext, journal: Journal, options: ContinueOptions): Promise<RunOutcome> {
  // Every call in flight listens for a stop: many listeners are expected, not a leak.
  setMaxListeners(0, ctx.signal);
  ctx.onStep?.('connect');
  const target = await connect(ctx, journal, options);
  // WorkOS away for a while, in any step: the operator hears it, and hears when it comes back.
  const unsubscribe = target.onConnectivity((event) => ctx.bus.emit({ type: 'notice', ...connectivityNotice(event) }));
  try {
    return await stepsAfterConnect(ctx, journal, target, options);
  } finally {
    unsubscribe();
  }
}

async function stepsAfterConnect(ctx: RunContext, journal: Journal, target: WorkOSTarget, options: ContinueOptions): Promise<RunOutcome> {
  const { signal, bus } = ctx;

  if (journal.phase === 'created' || journal.phase === 'exporting') {
    ctx.onStep?.('export');
    const exported = await runExport(journal, providerFor(journal.settings, ctx.env), bus, { signal });
    if (!exported.completed) return { status: 'stopped', journal: journal.path };
  }

  if (journal.phase === 'exported') {
    const answered = await askBeforeImport(ctx, journal, target, options.overrides);
    if (!answered) return { status: 'stopped', journal: journal.path };
  } else {
    // Past the questions (an import under way): flags may still change the mapping, checked again.
    await settleRoles(ctx, journal, target, options.overrides, false);
  }

  if (options.dryRun) {
    const dryRun = await runDryRun(journal, target, bus, { concurrency: journal.settings.concurrency, signal });
    return dryRun.stopped ? { status: 'stopped', journal: journal.path } : { status: 'dry-run', journal: journal.path, dryRun };
  }

  if (options.retryFailed) {
    const reset = journal.resetFailed(options.retryFailed === true ? undefined : options.retryFailed);
    bus.emit({ type: 'notice', level: 'info', message: `Retrying ${reset.toLocaleString('en-US')} record${reset === 1 ? '' : 's'}.` });
  }

  let imported: ImportResult | undefined;
  if (journal.phase === 'exported' || journal.phase === 'importing' || options.retryFailed) {
    if (journal.phase === 'exported') await warnOfFreezeLeak(ctx, journal);
    ctx.onStep?.('import');
    imported = await importInto(ctx, journal, target);
    if (imported.stopped) return { status: 'stopped', journal: journal.path };
  }
  if (journal.pendingSyncChanges().length) {
    const carried = await carrySyncChanges(journal, target, bus, signal);
    if (carried.stopped) return { status: 'stopped', journal: journal.path };
  }

  ctx.onStep?.('reports');
  const reports = writeReports(journal);
  const counts = journal.counts();
  const outcome: RunOutcome = {
    status: 'imported',
    journal: journal.path,
    import: imported,
    counts,
    reports,
    summary: summaryFacts(journal, reports),
    notImported: reports.failureCount + KINDS.reduce((sum, kind) => sum + counts[kind].pending + counts[kind].in_flight, 0),
    sourceStats: journal.getMeta<SourceStats>(SOURCE_STATS_KEY),
  };
  if (options.verify) {
    ctx.onStep?.('verify');
    outcome.verify = await verifyAll(ctx, journal, target);
  }
  return outcome;
}

/** The checklist: WorkOS against the journal, then the source against the freeze's snapshot. */
async function verifyAll(ctx: Pick<RunContext, 'env' | 'signal' | 'onVerifyProgress'>, journal: Journal, target: WorkOSTarget): Promise<VerifyReport> {
  const report = await runVerification(journal, target, { signal: ctx.signal, onProgress: ctx.onVerifyProgress });
  if (!ctx.signal.aborted) {
    const freeze = await freezeCheck(journal, () => providerFor(journal.settings, ctx.env), journal.path);
    if (freeze) report.checks.push(freeze);
    // The application's workos_user_id column, when write-ids filled it.
    const appIds = await checkAppDatabaseIds(journal, ctx.env);
    if (appIds) report.checks.push(appIds);
  }
  return report;
}

/** Before the first write: sign-ups since the freeze are said now, not discovered at Verify. */
async function warnOfFreezeLeak(ctx: RunContext, journal: Journal): Promise<void> {
  const leak = await findFreezeLeak(journal, () => providerFor(journal.settings, ctx.env));
  if (!leak?.leaked) return;
  ctx.bus.emit({
    type: 'notice',
    level: 'warning',
    message:
      `The sign-up freeze leaked: ${leak.leaked.toLocaleString('en-US')} user${leak.leaked === 1 ? '' : 's'} signed up after the snapshot${leak.examples.length ? ` (e.g. ${leak.examples.slice(0, 3).join(', ')})` : ''}. ` +
      `They are not in this import; after it, run workos-migrate sync --journal ${journal.path}, and turn sign-ups off.`,
  });
}

/**
 * `workos-migrate sync`: the source exported again into this journal (new records, changed users,
 * users gone), then the import and the changes carried, reports and (when asked) verification.
 */
export async function syncMigration(ctx: RunContext, journal: Journal, options: { deletions?: boolean; verify?: boolean } = {}): Promise<RunOutcome> {
  refuseIfRolledBack(journal);
  ctx.onStep?.('export');
  try {
    const found = await syncSource(ctx, journal, { deletions: options.deletions });
    if (!found) return { status: 'stopped', journal: journal.path };
  } catch (error) {
    if (ctx.signal.aborted && !(error instanceof ExpectedError)) return { status: 'stopped', journal: journal.path };
    throw error;
  }
  return continueMigration(ctx, journal, { verify: options.verify });
}

/** `workos-migrate verify`: the checklist for a journal, against the environment it wrote to. */
export async function verifyMigration(
  ctx: Pick<RunContext, 'env' | 'signal' | 'onStep' | 'onVerifyProgress'> & { bus?: EventBus },
  journal: Journal,
): Promise<VerifyReport> {
  ctx.onStep?.('verify');
  const target = targetFor(journal.settings, ctx.env);
  const unsubscribe = target.onConnectivity((event) => ctx.bus?.emit({ type: 'notice', ...connectivityNotice(event) }));
  try {
    return await verifyAll(ctx, journal, target);
  } finally {
    unsubscribe();
  }
}

/**
 * The key works, it writes to the environment this journal began in, and a production one is
 * confirmed. Flags' endpoint and limits are saved only once that holds.
 */
async function connect(ctx: RunContext, journal: Journal, options: ContinueOptions): Promise<WorkOSTarget> {
  const saved = journal.settings;
  const o = options.overrides ?? {};
  const settings: RunSettings = {
    ...saved,
    workos: { ...saved.workos, apiUrl: o.apiUrl ?? saved.workos.apiUrl },
    limits: o.limits ? { ...saved.limits, ...o.limits } : saved.limits,
  };
  const target = targetFor(settings, ctx.env, {
    onRateLimited: (bucket, retryAfterMs) => ctx.bus.emit({ type: 'rate_limited', bucket, retryAfterMs }),
  });
  if (!options.confirmed) await target.checkKey({ signal: ctx.signal });
  await confirmSameEnvironment(journal, target, ctx.signal);
  if (!options.confirmed) await confirmProduction(ctx, target, options.dryRun);
  const changed: Partial<RunSettings> = {};
  if (o.apiUrl || o.limits) Object.assign(changed, { workos: settings.workos, limits: settings.limits });
  if (o.concurrency) changed.concurrency = o.concurrency;
  if (o.keepExistingRoles) changed.updateExistingRoles = false;
  if (o.adoptedPasswords) changed.adoptedPasswords = o.adoptedPasswords;
  if (o.invitedMembers) changed.invitedMembers = o.invitedMembers;
  if (Object.keys(changed).length) journal.updateSettings(changed);
  // Members skipped under `skip` are imported once the choice is active or invite (a finished
  // journal goes back to importing); with `skip` this changes nothing.
  journal.requeueInvited(journal.settings.invitedMembers ?? 'skip');
  return target;
}

async function confirmProduction(ctx: RunContext, target: WorkOSTarget, dryRun?: boolean): Promise<void> {
  if (target.environment !== 'production' || dryRun) return;
  if (await ctx.decisions.confirmProduction()) return;
  throw new ExpectedError(
    'WORKOS_API_KEY is a production key (sk_live_): this run would write to your production environment.',
    'Pass --yes to confirm, or try it first with --dry-run or a test key (sk_test_).',
  );
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

/**
 * Plan, strategy, roles: asked in order, each answer saved in the journal, so a stopped wizard
 * comes back to the question it stopped at. Going back re-asks the previous question.
 * Returns false when stopped while asking.
 */
async function askBeforeImport(ctx: RunContext, journal: Journal, target: WorkOSTarget, overrides?: RunOverrides): Promise<boolean> {
  type Question = 'plan' | 'strategy' | 'roles';
  const order: Question[] = ['plan', 'strategy', 'roles'];
  const answered = journal.getMeta<Question>('answered');
  let at = answered ? order.indexOf(answered) + 1 : 0;
  while (at < order.length) {
    if (ctx.signal.aborted) return false;
    const question = order[at];
    ctx.onStep?.(question);
    let back = false;
    if (question === 'plan') {
      await ctx.decisions.reviewPlan(planOf(journal));
    } else if (question === 'strategy') {
      const strategy = await ctx.decisions.chooseStrategy(journal.getMeta<Strategy>('strategy'));
      if (strategy === BACK) back = true;
      else if (strategy) {
        journal.setMeta('strategy', strategy);
        if (strategy === 'freeze') {
          journal.setMeta('freeze_confirmed_at', new Date().toISOString());
          const snapshot = await takeFreezeSnapshot(journal, providerFor(journal.settings, ctx.env));
          ctx.bus.emit({
            type: 'notice',
            level: 'info',
            message: snapshot.users === undefined
              ? `Sign-up freeze noted; ${snapshot.unsupported}: check by hand that no one signs up until cutover.`
              : `Sign-up freeze noted: ${snapshot.users.toLocaleString('en-US')} users in the source now; Verify counts again and names anyone who signs up after this.`,
          });
        } else {
          journal.deleteMeta('freeze_snapshot');
        }
      }
    } else {
      back = !(await settleRoles(ctx, journal, target, overrides, true));
    }
    if (ctx.signal.aborted) return false;
    if (back) {
      at = Math.max(0, at - 1);
      continue;
    }
    journal.setMeta('answered', question);
    at++;
  }
  return true;
}

/**
 * Every source role gets a WorkOS role of this environment, or the run stops naming the ones
 * that do not. Returns false when the operator went back instead of answering.
 */
async function settleRoles(ctx: RunContext, journal: Journal, target: WorkOSTarget, overrides: RunOverrides | undefined, ask: boolean): Promise<boolean> {
  const explicit = { ...journal.settings.roleMap, ...overrides?.roleMap };
  const defaultRole = overrides?.defaultRole ?? journal.settings.defaultRole;
  const usage = journal.roleUsage();
  // Nothing to map and nothing asked for: no roles call.
  if (!ask && !usage.length && !Object.keys(explicit).length && !defaultRole) return true;
  const environmentRoles = await target.listEnvironmentRoles({ signal: ctx.signal });
  const slugs = environmentRoles.map((r) => r.slug);
  let answer: RoleAnswer = { roleMap: explicit, defaultRole };
  if (ask) {
    const resolution = resolveRoles(journal, slugs, explicit, defaultRole);
    const proposed = await ctx.decisions.mapRoles({
      ...resolution,
      environmentRoles,
      roleMap: { ...resolution.roleMap, ...explicit },
      defaultRole,
    });
    if (proposed === BACK) return false;
    answer = proposed;
  }
  const resolution = resolveRoles(journal, slugs, answer.roleMap, answer.defaultRole);
  if (resolution.unknownTargets.length) {
    throw new ExpectedError(
      `No such role in this WorkOS environment: ${resolution.unknownTargets.map((u) => `${u.slug} (for ${u.source})`).join(', ')}.`,
      `Its roles are: ${slugs.join(', ')}. Fix --role-map / --default-role.`,
    );
  }
  if (resolution.unmapped.length) {
    throw new ExpectedError(
      `These source roles have no WorkOS role: ${resolution.unmapped.join(', ')}.`,
      `Map them with --role-map SOURCE=SLUG (environment roles: ${slugs.join(', ')}) or give --default-role SLUG.`,
    );
  }
  // The whole mapping is saved, the conventional and same-slug pairs included: the import and
  // verification read exactly what was settled here.
  journal.updateSettings({ roleMap: { ...resolution.roleMap, ...answer.roleMap }, defaultRole: answer.defaultRole });
  return true;
}

async function importInto(ctx: RunContext, journal: Journal, target: WorkOSTarget): Promise<ImportResult> {
  const settings = journal.settings;
  const importer = new Importer(journal, target, ctx.bus, {
    concurrency: settings.concurrency,
    signal: ctx.signal,
    roleMap: settings.roleMap ?? {},
    defaultRole: settings.defaultRole,
    multipleRoles: settings.multipleRoles,
    updateExistingRoles: settings.updateExistingRoles !== false,
    adoptedPasswords: settings.adoptedPasswords ?? 'source',
    invitedMembers: settings.invitedMembers ?? 'skip',
    env: ctx.env,
  } as ConstructorParameters<typeof Importer>[3]);
  ctx.control?.attach(importer);
  try {
    const result = await importer.run();
    ctx.bus.flush();
    return result;
  } finally {
    ctx.control?.attach(undefined);
  }
}
