/**
 * The wizard's store: the only bridge between the engine and the screens. Screens read state and
 * call actions; actions run the engine (the same services the headless runner uses) and turn its
 * events into state. One store per run, created by the caller and passed down: never a global.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { describeError } from '../errors.js';
import { writeKit } from '../kits/index.js';
import { BASE_FIELDS, exportFilesNear, inspectFile, type FileInspection } from '../providers/file/index.js';
import { SOURCE_FIELDS, SOURCES, type SourceDescriptor } from '../providers/index.js';
import type { SourceProvider } from '../providers/types.js';
import { createEventBus, type MigrationEvent } from '../services/events.js';
import { Journal } from '../services/journal/journal.js';
import type { BucketLimit, BucketName, RunSettings } from '../services/journal/types.js';
import { defaultJournalPath, findJournals, planOf, providerFor, type JournalListing, type Plan } from '../services/migration.js';
import {
  BACK,
  continueMigration,
  RunControl,
  startMigration,
  syncMigration,
  verifyMigration,
  type Back,
  type Decisions,
  type RoleAnswer,
  type RunContext,
  type RunOutcome,
  type RunStep,
  type Strategy,
} from '../services/run/orchestrator.js';
import type { VerifyReport } from '../services/verify.js';
import { handoffsOf, type Handoff } from '../services/run/handoffs.js';
import { nextSteps } from '../services/handoffs.js';
import { rollbackMigration, rollbackPlan, rollbackPlanLines } from '../services/rollback.js';
import { summaryFacts } from '../services/report/report.js';
import { environmentOfKey, WorkOSTarget } from '../services/workos/target.js';

export const STEPS = ['welcome', 'source', 'source-auth', 'workos-auth', 'export', 'plan', 'strategy', 'roles', 'import', 'verify'] as const;
/** `rollback` is outside the migration's sequence: reached from Welcome, for a finished migration. */
export type Step = (typeof STEPS)[number] | 'rollback';

export const STEP_TITLES: Record<Step, string> = {
  welcome: 'Welcome',
  source: 'Source',
  'source-auth': 'Source authentication',
  'workos-auth': 'WorkOS authentication',
  export: 'Export',
  plan: 'Plan',
  strategy: 'Strategy',
  roles: 'Role mapping',
  import: 'Import',
  verify: 'Verify',
  rollback: 'Rollback',
};

export type { Plan, Handoff };
export type { VerifyReport };
export type ImportPhase = 'organizations' | 'users' | 'memberships' | 'factors';
export type ProgressEvent = Extract<MigrationEvent, { type: 'progress' }>;

export interface AsyncStatus {
  state: 'idle' | 'running' | 'ok' | 'error';
  message?: string;
}

export interface SourceField {
  name: string;
  label: string;
  value: string;
  secret: boolean;
  /** May be left empty (the wizard refuses an empty required field on the screen). */
  optional?: boolean;
  /** The environment variable it was pre-filled from, if any. */
  fromEnv?: string;
}

export interface WizardDeps {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Rate limits of the target environment (tests and the demo sandbox scale them). */
  limits?: Partial<Record<BucketName, BucketLimit>>;
  /** Where a new migration's journal goes; default a new file in ./.workos-migrate/. */
  journalPath?: string;
  /** Shown on the welcome screen (the demo says what it runs against). */
  banner?: string;
  /** How a stopped run is taken up again, when not `workos-migrate resume --journal PATH` (the demo: run it again). */
  resumeCommand?: string;
  concurrency?: number;
  /**
   * Merged into the source provider's options (tests scale a source's rate window with
   * `{ windowMs: 1000 }`); written to the journal's settings like the rest of them.
   */
  sourceOptions?: Record<string, unknown>;
}

export interface WizardState {
  step: Step;
  /**
   * Where paths are shown from: the wizard's directory when the shell is in it (paths under it are
   * shown relative, so a command fits a line and can be copied), else none (absolute paths).
   */
  pathsFrom?: string;
  /** The command that takes a stopped run up again (see WizardDeps.resumeCommand). */
  resumeCommand?: string;
  banner?: string;
  sources: SourceDescriptor[];
  journals: JournalListing[];
  sourceKind?: string;
  sourceFields: SourceField[];
  fileInspection?: FileInspection;
  /** Export files found near the working directory, for the path field's completion. */
  pathSuggestions: string[];
  /** The fields a file column can be mapped to. */
  mappableFields: string[];
  /** column -> field overrides chosen on the source screen. */
  columnMap: Record<string, string>;
  sourceCheck: AsyncStatus & { summary?: string };
  apiKey: { value: string; fromEnv: boolean };
  workosCheck: AsyncStatus & { environment?: 'test' | 'production' | 'unknown'; apiUrl?: string };
  productionConfirmed: boolean;
  journalPath?: string;
  /** `stopped`: the operator stopped it (not a failure); r goes on from the last page. */
  exportStatus: AsyncStatus & { stopped?: boolean };
  exportProgress?: ProgressEvent;
  plan?: Plan;
  strategy?: 'freeze' | 'dual-write';
  freezeConfirmedAt?: string;
  /** A rollback opened from Welcome: its plan in words, the environment to type, then its outcome. */
  rollback?: {
    journalPath: string;
    environment: string;
    lines: string[];
    status: 'confirm' | 'running' | 'done' | 'stopped' | 'error';
    message?: string;
    progress?: { kind: string; done: number; total: number };
  };
  /** The dual-write module written from the Strategy screen: where, or why not. */
  dualWriteKit?: { files?: string[]; error?: string };
  roles: {
    status: AsyncStatus;
    usage: { slug: string; members: number }[];
    environmentRoles: { slug: string; name: string }[];
    mapping: Record<string, string>;
    defaultRole?: string;
  };
  importStatus: AsyncStatus & { paused: boolean; stopping: boolean; stopped: boolean };
  importProgress: Partial<Record<ImportPhase, ProgressEvent>>;
  /** When this run's import started and finished (ms since the epoch): the elapsed time shown. */
  importTiming: { startedAt?: number; finishedAt?: number };
  /** What the operator does by hand after the import (Admin Portal links, resets, MFA), in words. */
  handoffs: Handoff[];
  /** Once verified: the "what to do next" lines printed to the shell when the wizard ends. */
  nextSteps?: string[];
  /** Failed records and notices, oldest first; drawn once each above the live area. */
  logLines: { id: number; text: string; level: 'error' | 'warning' | 'info' }[];
  verifyStatus: AsyncStatus;
  verifyProgress?: { check: string; done: number; total: number };
  verify?: VerifyReport;
  manualTicks: Record<string, boolean>;
  /** Set when the wizard is done: the app unmounts and the CLI exits with it. */
  exit?: { code: number; message?: string };

  actions: WizardActions;
}

export interface WizardActions {
  refreshJournals(): void;
  startNew(): void;
  resume(journalPath: string): Promise<void>;
  /** Opens the rollback of a finished migration: its plan, and the typed confirmation it waits for. */
  openRollback(journalPath: string): void;
  /** Runs it when `typed` names the environment; otherwise says what to type. */
  confirmRollback(typed: string): Promise<{ ok: boolean; message?: string }>;
  /** A finished migration: the source read again, what changed since carried to WorkOS (after the key check). */
  sync(journalPath: string): Promise<void>;
  chooseSource(kind: string): void;
  setField(name: string, value: string): void;
  setColumnField(column: string, field: string): void;
  checkSource(): Promise<void>;
  setApiKey(value: string): void;
  checkWorkOS(): Promise<void>;
  confirmProduction(): void;
  startExport(): Promise<void>;
  confirmPlan(): void;
  /** The operator's choices shown on the plan (saved in the journal; the import reads them). */
  setChoice(choice: 'invitedMembers', value: 'skip' | 'active' | 'invite'): void;
  setChoice(choice: 'adoptedPasswords', value: 'source' | 'keep'): void;
  chooseStrategy(strategy: 'freeze' | 'dual-write'): void;
  /** Writes the dual-write module (and its test) into ./workos-dual-write/ of the wizard's folder. */
  writeDualWriteKit(): void;
  /** Refuses a slug the environment does not have. */
  mapRole(sourceRole: string, slug: string): { ok: boolean; message?: string };
  setDefaultRole(slug: string | undefined): { ok: boolean; message?: string };
  confirmRoles(): { ok: boolean; message?: string };
  startImport(): Promise<void>;
  togglePause(): void;
  stop(): void;
  runVerify(): Promise<void>;
  /** `workos-migrate verify`: open a journal and go straight to the checklist. */
  verifyJournal(journalPath: string): Promise<void>;
  tick(id: string): void;
  back(): void;
  goTo(step: Step): void;
  quit(code?: number, message?: string): void;
  /** Releases the journal (the app calls it on exit). */
  dispose(): void;
}

/**
 * Screens before the journal exists, and where Esc goes back to from them. Strategy and roles go
 * back through the orchestration's questions; never out of a running export or import.
 */
const BACK_STEP: Partial<Record<Step, Step>> = {
  source: 'welcome',
  'source-auth': 'source',
  'workos-auth': 'source-auth',
};

const MAX_LOG_LINES = 500;

/** Source fields that name a file (support exports, an export file already downloaded). */
const FILE_OPTIONS = ['passwordExportPath', 'mfaExportPath', 'exportFile', 'organizationsFile'];

function sourceFieldsFor(kind: string, env: NodeJS.ProcessEnv, previous?: Record<string, unknown>): SourceField[] {
  if (kind === 'file') return [{ name: 'path', label: 'File (CSV, JSON or NDJSON)', value: String(previous?.path ?? ''), secret: false }];
  return (SOURCE_FIELDS[kind] ?? []).map((field) => {
    const fromEnv = env[field.env]?.trim();
    const saved = previous?.[field.name];
    return {
      name: field.name,
      label: field.label,
      secret: field.secret,
      optional: field.optional,
      value: typeof saved === 'string' ? saved : (fromEnv ?? ''),
      fromEnv: typeof saved !== 'string' && fromEnv ? field.env : undefined,
    };
  });
}

/** How long the Import screen shows its finished frame (every row at 100%) before Verify. */
export const DONE_FRAME_MS = 1200;

export function createWizardStore(deps: WizardDeps): StoreApi<WizardState> {
  // Engine objects live here, not in state: screens never touch them.
  let journal: Journal | undefined;
  /** The key checked on the WorkOS screen (the orchestration makes its own for the run). */
  let checkedTarget: WorkOSTarget | undefined;
  const control = new RunControl();
  // The orchestration's open questions, answered by the screens' actions.
  const pending: {
    plan?: () => void;
    strategy?: (answer: Strategy | Back) => void;
    roles?: (answer: RoleAnswer | Back) => void;
  } = {};
  // An answer given a moment before its question reaches the store (a script driving the actions
  // back to back): kept for it, so no answer is lost between two steps.
  const early: { plan?: true; strategy?: Strategy } = {};
  // Ctrl-C aborts the running export or import. A stopped run can be retried from the screen,
  // so each run takes a fresh controller once the previous one has been aborted. Many calls in
  // flight listen to it at once: no "possible memory leak" warning drawn over the wizard.
  let stopController = new AbortController();
  setMaxListeners(0, stopController.signal);
  const stopSignal = (): AbortSignal => {
    if (stopController.signal.aborted) {
      stopController = new AbortController();
      setMaxListeners(0, stopController.signal);
    }
    return stopController.signal;
  };
  let logId = 0;
  // The run the orchestration is in, and runs the operator left by going back from the plan.
  let currentRun: Promise<void> | undefined;
  let runGeneration = 0;
  const abandoned = new Set<number>();

  const envKey = deps.env.WORKOS_API_KEY?.trim();

  const store = createStore<WizardState>()((set, get) => {
    const log = (text: string, level: 'error' | 'warning' | 'info') =>
      set((s) => ({ logLines: [...s.logLines, { id: logId++, text, level }].slice(-MAX_LOG_LINES) }));

    const settingsFor = (): RunSettings => {
      const s = get();
      const options: Record<string, unknown> = { ...deps.sourceOptions };
      const secretEnv: Record<string, string> = {};
      for (const field of s.sourceFields) {
        const envName = SOURCE_FIELDS[s.sourceKind!]?.find((f) => f.name === field.name)?.env;
        if (field.secret && envName) {
          // Secrets stay in this process's memory; the journal names the variable to read on resume.
          deps.env[envName] = field.value;
          secretEnv[field.name] = envName;
          options.secretEnv = envName;
        } else if (field.value) options[field.name] = field.value;
      }
      // Files typed on the screen are relative to where the wizard runs, not to the process.
      for (const name of FILE_OPTIONS) if (options[name]) options[name] = path.resolve(deps.cwd, String(options[name]));
      if (s.sourceKind === 'file') {
        options.path = path.resolve(deps.cwd, String(options.path));
        if (Object.keys(s.columnMap).length) options.map = s.columnMap;
      }
      return {
        version: 1,
        source: { kind: s.sourceKind!, options, secretEnv },
        workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: deps.env.WORKOS_API_URL || undefined, environment: environmentOfKey(s.apiKey.value) },
        limits: deps.limits,
        concurrency: deps.concurrency,
        createdAt: new Date().toISOString(),
      };
    };

    const makeTarget = (apiKey: string, settings?: RunSettings) =>
      new WorkOSTarget({ apiKey, apiUrl: settings?.workos.apiUrl ?? (deps.env.WORKOS_API_URL || undefined), limits: settings?.limits ?? deps.limits });

    // An action that drives the run settles when the wizard waits for the operator again (a
    // question on screen) or the run ends, not when the whole migration is over.
    let settle: (() => void) | undefined;
    const waitingForOperator = () => {
      settle?.();
      settle = undefined;
    };

    /** The screens' side of the orchestration's questions. */
    const decisions: Decisions = {
      // Asked on the WorkOS screen before any run starts: the answer is already in the state.
      confirmProduction: async () => get().productionConfirmed,
      reviewPlan: (plan) => {
        set({ plan, handoffs: journal ? handoffsOf(journal, plan) : [] });
        if (early.plan) {
          delete early.plan;
          return Promise.resolve();
        }
        const answered = new Promise<void>((resolve) => (pending.plan = resolve));
        waitingForOperator();
        return answered;
      },
      chooseStrategy: (saved) => {
        if (early.strategy) {
          const strategy = early.strategy;
          delete early.strategy;
          return Promise.resolve(strategy);
        }
        set({ strategy: saved });
        const answered = new Promise<Strategy | Back>((resolve) => (pending.strategy = resolve));
        waitingForOperator();
        return answered;
      },
      mapRoles: (proposal) => {
        const current = get().roles;
        set({
          roles: {
            status: { state: 'ok' },
            usage: proposal.usage,
            environmentRoles: proposal.environmentRoles,
            mapping: { ...proposal.roleMap, ...current.mapping },
            // The wizard proposes the environment's member role for unmapped roles; the operator sees it and may change it.
            defaultRole: current.defaultRole ?? proposal.defaultRole ?? (proposal.environmentRoles.some((r) => r.slug === 'member') ? 'member' : undefined),
          },
        });
        const answered = new Promise<RoleAnswer | Back>((resolve) => (pending.roles = resolve));
        waitingForOperator();
        return answered;
      },
    };

    /** The orchestration's steps, as screens. */
    const SCREEN_OF: Partial<Record<RunStep, Step>> = {
      export: 'export',
      plan: 'plan',
      strategy: 'strategy',
      roles: 'roles',
      import: 'import',
      verify: 'verify',
    };
    const onStep = (step: RunStep) => {
      const screen = SCREEN_OF[step];
      if (step === 'export') set({ exportStatus: { state: 'running' } });
      if (step === 'plan' && get().exportStatus.state === 'running') set({ exportStatus: { state: 'ok' } });
      if (step === 'roles') set((s) => ({ roles: { ...s.roles, status: { state: 'running' } } }));
      if (step === 'import') set({ importStatus: { state: 'running', paused: false, stopping: false, stopped: false }, importTiming: { startedAt: Date.now() } });
      if (step === 'verify') set({ verifyStatus: { state: 'running' } });
      if (step === 'reports') {
        set((s) => ({ importStatus: { ...s.importStatus, state: 'ok', paused: false }, importTiming: s.importTiming.startedAt ? { ...s.importTiming, finishedAt: Date.now() } : s.importTiming }));
      }
      // The import's finished frame (every row at 100%) stays a moment before Verify replaces it.
      if (step === 'verify' && get().step === 'import') {
        setTimeout(() => get().step === 'import' && set({ step: 'verify' }), DONE_FRAME_MS).unref?.();
        return;
      }
      if (screen) set({ step: screen });
    };

    /** The status line an error belongs on: the screen the run was at when it failed. */
    const showError = (message: string) => {
      switch (get().step) {
        case 'workos-auth':
          set({ workosCheck: { state: 'error', message } });
          break;
        case 'export':
          set({ exportStatus: { state: 'error', message } });
          break;
        case 'roles':
          set((s) => ({ roles: { ...s.roles, status: { state: 'error', message } } }));
          break;
        case 'import':
          set({ importStatus: { state: 'error', paused: false, stopping: false, stopped: false, message } });
          break;
        case 'verify':
          set({ verifyStatus: { state: 'error', message } });
          break;
        default:
          log(message, 'error');
      }
    };

    /**
     * Runs the orchestration with the screens attached: events become state, the outcome a screen.
     * Resolves once the operator is asked something or the run ends.
     */
    function drive(go: (ctx: RunContext) => Promise<RunOutcome>): Promise<void> {
      waitingForOperator();
      const settled = new Promise<void>((resolve) => (settle = resolve));
      const running = run(go).finally(waitingForOperator);
      currentRun = running;
      void running;
      return settled;
    }

    async function run(go: (ctx: RunContext) => Promise<RunOutcome>): Promise<void> {
      const bus = createEventBus();
      const generation = ++runGeneration;
      // A run the operator left (Esc on the plan) says nothing more on screen.
      const left = () => generation !== runGeneration || abandoned.has(generation);
      bus.subscribe((event) => {
        switch (event.type) {
          case 'progress':
            if (event.phase === 'export') set({ exportProgress: event });
            else if (event.phase === 'organizations' || event.phase === 'users' || event.phase === 'memberships' || event.phase === 'factors') {
              const phase = event.phase;
              set((s) => ({ importProgress: { ...s.importProgress, [phase]: event } }));
            }
            break;
          case 'record':
            log(`${event.outcome} ${event.kind} ${event.label ?? event.sourceId}: ${event.message}`, 'error');
            break;
          case 'notice':
            log(event.message, event.level);
            break;
        }
      });
      const ctx: RunContext = {
        env: deps.env,
        bus,
        decisions,
        signal: stopSignal(),
        onStep,
        control,
        onVerifyProgress: (check, done, total) => set({ verifyProgress: { check, done, total } }),
      };
      try {
        const outcome = await go(ctx);
        bus.flush();
        if (left()) return;
        if (outcome.status === 'stopped') {
          if (get().step === 'export') set({ exportStatus: { state: 'ok', stopped: true, message: 'Stopped. The export resumes from its last page.' } });
          else {
            set({
              importStatus: { state: 'ok', paused: false, stopping: false, stopped: true, message: `Stopped. Resume with: ${deps.resumeCommand ?? `workos-migrate resume --journal ${outcome.journal}`}` },
            });
          }
        } else if (outcome.status === 'imported') {
          const plan = journal ? planOf(journal) : get().plan;
          set({
            plan,
            handoffs: journal && plan ? handoffsOf(journal, plan) : get().handoffs,
            nextSteps: nextSteps(outcome.summary),
            verify: outcome.verify,
            verifyStatus: { state: outcome.verify ? 'ok' : 'idle' },
          });
        }
      } catch (error) {
        bus.flush();
        if (left()) return;
        // A file source whose first export failed has had its journal removed: start afresh.
        if (journal && !fs.existsSync(journal.path)) {
          journal = undefined;
          set({ journalPath: undefined });
        }
        showError(describeError(error));
      }
    }

    const actions: WizardActions = {
      refreshJournals() {
        set({ journals: findJournals(deps.cwd) });
      },

      startNew() {
        set({ step: 'source' });
      },

      resume(journalPath) {
        return reopen(journalPath, 'continue');
      },

      openRollback(journalPath) {
        const opened = openJournal(journalPath);
        if (!opened) return;
        const plan = rollbackPlan(opened);
        set({ step: 'rollback', journalPath, rollback: { journalPath, environment: plan.environment, lines: rollbackPlanLines(plan), status: 'confirm' } });
      },

      async confirmRollback(typed) {
        const state = get().rollback;
        if (!state || !journal || state.status === 'running') return { ok: false };
        // The environment typed in full: a rollback deletes, so no Enter on the way confirms it.
        if (typed.trim() !== state.environment) return { ok: false, message: `Type ${state.environment} (the environment this migration wrote to) to delete, or Esc to go back.` };
        const opened = journal;
        set({ rollback: { ...state, status: 'running' } });
        try {
          const result = await rollbackMigration({ env: deps.env }, opened, {
            confirm: true,
            signal: stopSignal(),
            onProgress: (kind, done, total) => set((s) => ({ rollback: s.rollback && { ...s.rollback, progress: { kind, done, total } } })),
          });
          if (result.status === 'planned') return { ok: true };
          const d = result.deleted;
          const deleted = `${d.users.toLocaleString('en-US')} users, ${d.organizations.toLocaleString('en-US')} organizations, ${(d.memberships + d.membershipsWithUsers).toLocaleString('en-US')} memberships`;
          set((s) => ({
            rollback: s.rollback && {
              ...s.rollback,
              status: result.status === 'done' ? 'done' : 'stopped',
              message:
                result.status === 'done'
                  ? `Rolled back: ${deleted} deleted${result.kept.length ? `; ${result.kept.length} kept on purpose` : ''}${result.failed.length ? `; ${result.failed.length} failed (workos-migrate rollback --journal ${opened.path} tries them again)` : ''}.`
                  : `Stopped after ${deleted}: open it again to go on (nothing is deleted twice).`,
            },
          }));
        } catch (error) {
          set((s) => ({ rollback: s.rollback && { ...s.rollback, status: 'error', message: describeError(error) } }));
        }
        return { ok: true };
      },

      sync(journalPath) {
        return reopen(journalPath, 'sync');
      },

      chooseSource(kind) {
        const descriptor = SOURCES.find((s) => s.kind === kind);
        if (!descriptor?.available) return;
        set({
          sourceKind: kind,
          sourceFields: sourceFieldsFor(kind, deps.env),
          sourceCheck: { state: 'idle' },
          fileInspection: undefined,
          columnMap: {},
          pathSuggestions: kind === 'file' ? exportFilesNear(deps.cwd) : [],
          step: 'source-auth',
        });
      },

      setField(name, value) {
        // A value kept as the environment gave it stays marked as coming from there.
        set((s) => ({
          sourceFields: s.sourceFields.map((f) => (f.name === name ? { ...f, value, fromEnv: f.value === value ? f.fromEnv : undefined } : f)),
          sourceCheck: { state: 'idle' },
        }));
      },

      setColumnField(column, field) {
        set((s) => ({ columnMap: { ...s.columnMap, [column]: field } }));
      },

      async checkSource() {
        const s = get();
        set({ sourceCheck: { state: 'running' } });
        try {
          if (s.sourceKind === 'file') {
            const file = path.resolve(deps.cwd, s.sourceFields.find((f) => f.name === 'path')?.value ?? '');
            const inspection = await inspectFile(file, { map: s.columnMap });
            set({ fileInspection: inspection });
          }
          const { summary } = await providerFor(settingsFor(), deps.env).check();
          set({ sourceCheck: { state: 'ok', summary } });
        } catch (error) {
          set({ sourceCheck: { state: 'error', message: describeError(error) } });
        }
      },

      setApiKey(value) {
        set({ apiKey: { value, fromEnv: false }, workosCheck: { state: 'idle' }, productionConfirmed: false });
      },

      async checkWorkOS() {
        const key = get().apiKey.value.trim();
        if (!key) {
          set({ workosCheck: { state: 'error', message: 'Enter the WorkOS API key (sk_test_... or sk_live_...).' } });
          return;
        }
        set({ workosCheck: { state: 'running' } });
        try {
          checkedTarget = makeTarget(key, journal?.settings);
          await checkedTarget.checkKey({ signal: stopSignal() });
          set({ workosCheck: { state: 'ok', environment: checkedTarget.environment, apiUrl: checkedTarget.apiUrl } });
          // The proven key stays in this process's environment for the run; the journal only names the variable.
          deps.env[journal?.settings.workos.apiKeyEnv ?? 'WORKOS_API_KEY'] = key;
        } catch (error) {
          set({ workosCheck: { state: 'error', message: describeError(error) } });
          return;
        }
        // Resuming: straight back to where the run stopped once the key is proven (a production
        // key waits for its confirmation on this screen).
        if (journal && checkedTarget.environment !== 'production') await continueResumed();
      },

      confirmProduction() {
        set({ productionConfirmed: true });
        if (journal) void continueResumed();
      },

      async startExport() {
        if (journal) return continueResumed();
        const s = get();
        const settings = settingsFor();
        // The key itself stays in memory: the journal names the variable, the process holds the value.
        deps.env.WORKOS_API_KEY = s.apiKey.value.trim();
        const journalPath = deps.journalPath ?? defaultJournalPath(deps.cwd, settings.source.kind);
        set({ step: 'export', exportStatus: { state: 'running' } });
        await drive((ctx) =>
          startMigration(
            {
              ...ctx,
              onJournal: (opened) => {
                journal = opened;
                set({ journalPath: opened.path });
              },
            },
            settings,
            journalPath,
            { verify: true, keepOpen: true, sourceChecked: s.sourceCheck.state === 'ok' && s.sourceCheck.summary ? { summary: s.sourceCheck.summary } : undefined },
          ),
        );
      },

      confirmPlan() {
        const answer = pending.plan;
        pending.plan = undefined;
        if (answer) answer();
        // Only ahead of the question (its screen not shown yet): a second key on the Plan screen is no answer for later.
        else if (journal && get().step === 'export') early.plan = true;
      },

      setChoice(choice: 'invitedMembers' | 'adoptedPasswords', value: string) {
        if (!journal) return;
        journal.updateSettings({ [choice]: value });
        if (choice === 'invitedMembers') journal.requeueInvited(value as 'skip' | 'active' | 'invite');
        set({ plan: planOf(journal) });
      },

      chooseStrategy(strategy) {
        const at = new Date().toISOString();
        set({ strategy, freezeConfirmedAt: strategy === 'freeze' ? at : undefined });
        const answer = pending.strategy;
        pending.strategy = undefined;
        if (answer) answer(strategy);
        else if (journal && get().step === 'plan') early.strategy = strategy;
      },

      writeDualWriteKit() {
        try {
          set({ dualWriteKit: { files: writeKit('dual-write', path.join(deps.cwd, 'workos-dual-write')) } });
        } catch (error) {
          set({ dualWriteKit: { error: describeError(error) } });
        }
      },

      mapRole(sourceRole, slug) {
        const roles = get().roles;
        if (!roles.environmentRoles.some((r) => r.slug === slug)) {
          return { ok: false, message: `"${slug}" is not a role of this WorkOS environment (${roles.environmentRoles.map((r) => r.slug).join(', ')}).` };
        }
        set({ roles: { ...roles, mapping: { ...roles.mapping, [sourceRole]: slug } } });
        return { ok: true };
      },

      setDefaultRole(slug) {
        const roles = get().roles;
        if (slug !== undefined && !roles.environmentRoles.some((r) => r.slug === slug)) {
          return { ok: false, message: `"${slug}" is not a role of this WorkOS environment.` };
        }
        set({ roles: { ...roles, defaultRole: slug } });
        return { ok: true };
      },

      confirmRoles() {
        const roles = get().roles;
        // Not before the environment's roles and the source's usage are known: an empty usage would
        // pass every check and start the import with no mapping at all.
        if (roles.status.state !== 'ok' || !pending.roles) return { ok: false, message: 'The WorkOS roles are not read yet.' };
        const unmapped = roles.usage.filter((u) => !roles.mapping[u.slug] && !roles.defaultRole);
        if (unmapped.length) return { ok: false, message: `Map ${unmapped.map((u) => u.slug).join(', ')} or choose a default role.` };
        const answer = pending.roles;
        pending.roles = undefined;
        answer({ roleMap: roles.mapping, defaultRole: roles.defaultRole });
        return { ok: true };
      },

      async startImport() {
        // After an import error (r: retry): the same orchestration, from where the journal stands.
        if (!journal || control.running) return;
        await continueResumed();
      },

      togglePause() {
        if (!control.running) return;
        const paused = control.togglePause();
        set((s) => ({ importStatus: { ...s.importStatus, paused } }));
      },

      stop() {
        set((s) => ({ importStatus: { ...s.importStatus, stopping: s.importStatus.state === 'running' } }));
        control.releasePause();
        stopController.abort(new Error('stopped by the operator'));
      },

      async runVerify() {
        if (!journal) return;
        const opened = journal;
        set({ step: 'verify', verifyStatus: { state: 'running' } });
        try {
          const bus = createEventBus();
          bus.subscribe((event) => event.type === 'notice' && log(event.message, event.level));
          const report = await verifyMigration(
            { env: deps.env, bus, signal: stopSignal(), onVerifyProgress: (check, done, total) => set({ verifyProgress: { check, done, total } }) },
            opened,
          );
          const plan = planOf(opened);
          set({ verify: report, verifyStatus: { state: 'ok' }, plan, handoffs: handoffsOf(opened, plan), nextSteps: nextSteps(summaryFacts(opened)) });
        } catch (error) {
          set({ verifyStatus: { state: 'error', message: describeError(error) } });
        }
      },

      async verifyJournal(journalPath) {
        set({ step: 'verify', verifyStatus: { state: 'running' } });
        try {
          journal?.close();
          journal = Journal.open(journalPath);
          const settings = journal.settings;
          const key = deps.env[settings.workos.apiKeyEnv]?.trim();
          if (!key) throw new Error(`${settings.workos.apiKeyEnv} is not set: export it or put it in .env, then run workos-migrate verify again.`);
          set({ journalPath: journal.path, apiKey: { value: key, fromEnv: true }, plan: planOf(journal) });
        } catch (error) {
          set({ verifyStatus: { state: 'error', message: describeError(error) } });
          return;
        }
        await actions.runVerify();
      },

      tick(id) {
        set((s) => ({ manualTicks: { ...s.manualTicks, [id]: !s.manualTicks[id] } }));
      },

      back() {
        const step = get().step;
        // A rollback not running: back to Welcome, its journal let go.
        if (step === 'rollback' && get().rollback?.status !== 'running') {
          journal?.close();
          journal = undefined;
          set({ step: 'welcome', rollback: undefined, journalPath: undefined, journals: findJournals(deps.cwd) });
          return;
        }
        // A question the orchestration is waiting on: going back is its answer.
        if (step === 'strategy' && pending.strategy) {
          const answer = pending.strategy;
          pending.strategy = undefined;
          return answer(BACK);
        }
        if (step === 'roles' && pending.roles) {
          const answer = pending.roles;
          pending.roles = undefined;
          return answer(BACK);
        }
        // The plan of a file: back to its columns. Nothing is in WorkOS yet and the file is read
        // again in seconds, so the staged journal is dropped and a new one made from the new mapping.
        if (step === 'plan' && pending.plan && journal && get().sourceKind === 'file') {
          const opened = journal;
          const ending = currentRun;
          journal = undefined;
          abandoned.add(runGeneration);
          stopController.abort(new Error('back to the source'));
          const answer = pending.plan;
          pending.plan = undefined;
          answer();
          set({ step: 'source-auth', journalPath: undefined, plan: undefined, handoffs: [], exportStatus: { state: 'idle' }, exportProgress: undefined });
          void (ending ?? Promise.resolve()).finally(() => {
            opened.close();
            for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${opened.path}${suffix}`, { force: true });
          });
          return;
        }
        const previous = BACK_STEP[step];
        if (previous) set({ step: previous });
      },

      goTo(step) {
        set({ step });
      },

      quit(code = 0, message) {
        set({ exit: { code, message } });
      },

      dispose() {
        journal?.close();
        journal = undefined;
      },
    };

    /** The journal of a migration on Welcome, opened and locked for this wizard; undefined (and said) when it cannot be. */
    function openJournal(journalPath: string): Journal | undefined {
      try {
        journal?.close();
        journal = Journal.open(journalPath);
        journal.lock();
        return journal;
      } catch (error) {
        journal?.close();
        journal = undefined;
        log(describeError(error), 'error');
        return undefined;
      }
    }

    /**
     * What a reopened journal does once the WorkOS key is proven: go on from where it stands, or
     * (the Sync choice on Welcome) read its source again first. Each reopening says which.
     */
    let reopenedFor: 'continue' | 'sync' = 'continue';

    /** A migration on Welcome reopened: its settings back on the screens, then the key checked again. */
    async function reopen(journalPath: string, purpose: 'continue' | 'sync'): Promise<void> {
      const opened = openJournal(journalPath);
      if (!opened) return;
      reopenedFor = purpose;
      const settings = opened.settings;
      set({
        journalPath: opened.path,
        sourceKind: settings.source.kind,
        sourceFields: sourceFieldsFor(settings.source.kind, deps.env, settings.source.options),
        columnMap: (settings.source.options.map as Record<string, string>) ?? {},
        strategy: opened.getMeta<'freeze' | 'dual-write'>('strategy'),
        freezeConfirmedAt: opened.getMeta<string>('freeze_confirmed_at'),
        roles: { ...get().roles, mapping: settings.roleMap ?? {}, defaultRole: settings.defaultRole },
        productionConfirmed: false,
      });
      // The key is never in the journal: read it again, then go back where the run stopped.
      const key = deps.env[settings.workos.apiKeyEnv]?.trim();
      if (!key) {
        set({ step: 'workos-auth' });
        return;
      }
      // Checked on the WorkOS screen: its spinner, a refused key and the production question show there.
      set({ apiKey: { value: key, fromEnv: true }, step: 'workos-auth' });
      await get().actions.checkWorkOS();
    }

    /** A journal already open (resumed, or a stopped run retried): on from where it stands. */
    async function continueResumed(): Promise<void> {
      if (!journal) return;
      const opened = journal;
      if (reopenedFor === 'sync') {
        // Once: a retry after a failed sync goes on from where the journal stands.
        reopenedFor = 'continue';
        await drive((ctx) => syncMigration(ctx, opened, { verify: true }));
        return;
      }
      await drive((ctx) => continueMigration(ctx, opened, { verify: true }));
    }

    return {
      step: 'welcome',
      pathsFrom: path.resolve(deps.cwd) === process.cwd() ? path.resolve(deps.cwd) : undefined,
      resumeCommand: deps.resumeCommand,
      banner: deps.banner,
      sources: SOURCES,
      journals: [],
      sourceFields: [],
      pathSuggestions: [],
      mappableFields: [...BASE_FIELDS, 'ignore'],
      columnMap: {},
      sourceCheck: { state: 'idle' },
      apiKey: { value: envKey ?? '', fromEnv: !!envKey },
      workosCheck: { state: 'idle' },
      productionConfirmed: false,
      exportStatus: { state: 'idle' },
      roles: { status: { state: 'idle' }, usage: [], environmentRoles: [], mapping: {} },
      importStatus: { state: 'idle', paused: false, stopping: false, stopped: false },
      importProgress: {},
      importTiming: {},
      handoffs: [],
      logLines: [],
      verifyStatus: { state: 'idle' },
      manualTicks: {},
      actions,
    };
  });
  return store;
}
