import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ExpectedError } from '../../errors.js';
import { WORKOS_HASH_TYPES } from '../../providers/types.js';
import type { EventBus, PhaseName, ProgressCounts } from '../events.js';
import { RateMeter } from '../events.js';
import type { Journal } from '../journal/journal.js';
import type { MembershipRow, OrganizationRow, RecordKind, UserRow } from '../journal/types.js';
import { backoffMs, sleep } from '../rate/pacer.js';
import { WorkOSCallError, type WorkOSTarget } from '../workos/target.js';

export interface ImportOptions {
  /** Calls in flight at once; the pacers, not this, set the rate. */
  concurrency?: number;
  /** Stop: calls in flight finish and are recorded; nothing new starts. */
  signal?: AbortSignal;
  /** Source role slug -> WorkOS role slug. */
  roleMap?: Record<string, string>;
  /** For source roles with no mapping; none means the environment's default role. */
  defaultRole?: string;
  /** Whether one membership may carry several roles (learned from a 422 otherwise). */
  multipleRoles?: boolean;
  /** Update an existing membership whose role differs from the mapped one (else report it). */
  updateExistingRoles?: boolean;
  /** Tries of one record through transient errors (5xx, resets, timeouts) before it fails. */
  maxAttempts?: number;
}

export interface ImportResult {
  stopped: boolean;
  phases: Record<'organizations' | 'users' | 'memberships', ProgressCounts>;
  elapsedMs: number;
  calls: number;
}

const PHASE_KIND: Record<'organizations' | 'users' | 'memberships', RecordKind> = {
  organizations: 'organization',
  users: 'user',
  memberships: 'membership',
};

const SUPPORTED_HASH = new Set<string>(WORKOS_HASH_TYPES);

const parseJson = <T>(text: string | null): T | undefined => (text ? (JSON.parse(text) as T) : undefined);

/**
 * Organizations, then users, then memberships, each record moved through
 * pending -> in_flight -> done | failed | skipped with the journal committed around every call.
 * A record that may have landed before (in_flight after a crash, or a write whose answer was
 * lost) is looked up before it is created again: nothing is lost and nothing is made twice.
 */
export class Importer {
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly internal = new AbortController();
  private readonly signal: AbortSignal;
  private multipleRoles: boolean | undefined;
  /** Set while paused: workers finish their call and wait here before taking the next record. */
  private pauseGate: { promise: Promise<void>; release: () => void } | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly target: WorkOSTarget,
    private readonly bus: EventBus,
    private readonly options: ImportOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.signal = options.signal ? AbortSignal.any([options.signal, this.internal.signal]) : this.internal.signal;
    // Every waiting worker listens for a stop: that is expected, not a leak.
    setMaxListeners(0, this.signal);
    this.multipleRoles = options.multipleRoles;
  }

  get paused(): boolean {
    return this.pauseGate !== undefined;
  }

  pause(): void {
    if (this.pauseGate) return;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.pauseGate = { promise, release };
    this.bus.emit({ type: 'notice', level: 'info', message: 'Paused: calls in flight finish; nothing new starts.' });
  }

  resume(): void {
    const gate = this.pauseGate;
    this.pauseGate = undefined;
    gate?.release();
    if (gate) this.bus.emit({ type: 'notice', level: 'info', message: 'Resumed.' });
  }

  private async waitWhilePaused(): Promise<void> {
    while (this.pauseGate && !this.signal.aborted) {
      const aborted = new Promise<void>((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.race([this.pauseGate.promise, aborted]);
    }
  }

  async run(): Promise<ImportResult> {
    const started = performance.now();
    const callsBefore = this.target.calls;
    const phases = {} as ImportResult['phases'];
    this.journal.setPhase('importing');
    for (const phase of ['organizations', 'users', 'memberships'] as const) {
      phases[phase] = await this.runPhase(phase);
      if (this.signal.aborted) break;
    }
    const stopped = this.signal.aborted;
    if (!stopped) {
      this.journal.setPhase('imported');
      // A hash is needed only until its user exists in WorkOS; failed users keep theirs for a retry.
      this.journal.purgeImportedHashes();
    }
    return { stopped, phases, elapsedMs: performance.now() - started, calls: this.target.calls - callsBefore };
  }

  private countsOf(kind: RecordKind): ProgressCounts {
    const c = this.journal.counts()[kind];
    return { total: c.total, done: c.done, created: c.done - c.adopted, adopted: c.adopted, failed: c.failed, skipped: c.skipped };
  }

  private async runPhase(phase: 'organizations' | 'users' | 'memberships'): Promise<ProgressCounts> {
    const kind = PHASE_KIND[phase];
    const counts = this.countsOf(kind);
    const meter = new RateMeter();
    const ceiling = phase === 'organizations' ? this.target.pacers.general.ceilingPerSecond : this.target.pacers.writes.ceilingPerSecond;
    const report = () => {
      const rate = meter.perSecond();
      const remaining = counts.total - counts.done - counts.failed - counts.skipped;
      this.bus.emit({
        type: 'progress',
        phase: phase as PhaseName,
        counts: { ...counts },
        unit: phase,
        ratePerSecond: rate,
        ceilingPerSecond: ceiling,
        etaSeconds: rate > 0 ? remaining / rate : undefined,
      });
    };
    this.bus.emit({ type: 'phase', phase, status: 'start' });
    report();

    const fetchers = {
      organizations: (after: number) => this.journal.workableOrganizations(after, 256),
      users: (after: number) => this.journal.workableUsers(after, 256),
      memberships: (after: number) => this.journal.workableMemberships(after, 256),
    };
    let lastId = 0;
    let buffer: { id: number }[] = [];
    const next = () => {
      if (!buffer.length) {
        buffer = fetchers[phase](lastId);
        if (buffer.length) lastId = buffer[buffer.length - 1].id;
      }
      return buffer.shift();
    };

    const tally = (outcome: Outcome) => {
      if (outcome === 'created') counts.created++;
      if (outcome === 'adopted') counts.adopted++;
      if (outcome === 'created' || outcome === 'adopted') {
        counts.done++;
        meter.add();
      }
      if (outcome === 'failed') counts.failed++;
      if (outcome === 'skipped') counts.skipped++;
      report();
    };

    let fatal: unknown;
    const worker = async () => {
      while (!this.signal.aborted) {
        await this.waitWhilePaused();
        if (this.signal.aborted) return;
        const row = next();
        if (!row) return;
        try {
          const outcome =
            phase === 'organizations'
              ? await this.importOrganization(row as OrganizationRow)
              : phase === 'users'
                ? await this.importUser(row as UserRow)
                : await this.importMembership(row as MembershipRow);
          tally(outcome);
        } catch (error) {
          if (this.signal.aborted && !fatal) return;
          fatal ??= error;
          this.internal.abort(error);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    if (fatal) throw fatal;
    report();
    this.bus.emit({ type: 'phase', phase, status: 'end' });
    return counts;
  }

  // ---- one record each --------------------------------------------------------------------

  /**
   * The shared shape of every record's import: look first if an earlier attempt may have
   * landed, create, and sort the failure. Returns how the record ended.
   */
  private async attempt(
    kind: RecordKind,
    row: { id: number; state: string; attempts: number },
    label: { sourceId: string; text: string },
    steps: {
      lookup: () => Promise<string | null>;
      create: (onSend: () => void) => Promise<{ id: string; note?: string }>;
      adopt: (code: string) => Promise<{ id: string; note?: string } | null>;
      onInvalid?: (code: string, message: string) => Promise<Outcome | null>;
    },
  ): Promise<Outcome> {
    let mayHaveLanded = row.state === 'in_flight' || row.attempts > 0;
    let transient = 0;
    for (;;) {
      try {
        return await this.attemptOnce(kind, row, label, steps, mayHaveLanded);
      } catch (error) {
        if (!(error instanceof WorkOSCallError)) throw error; // a stop while waiting, or a bug
        const info = error.info;
        if (info.kind === 'unauthorized') {
          throw new ExpectedError(
            'WorkOS stopped accepting the API key during the import (401).',
            'Check that the key was not revoked, then run `workos-migrate resume`.',
          );
        }
        if (info.kind !== 'transient') {
          return this.fail(kind, row.id, label, 'code' in info ? info.code : info.kind, `${info.message} (while looking up the existing record)`);
        }
        // The call may have landed: the next try looks before it creates.
        mayHaveLanded = true;
        if (++transient >= this.maxAttempts) {
          return this.fail(kind, row.id, label, 'transient', `${info.message} (gave up after ${transient} tries; retry with --retry-failed)`);
        }
        await sleep(backoffMs(transient), this.signal);
      }
    }
  }

  /**
   * One try: look first if an earlier call may have landed, create, and sort the answer.
   * Transient failures (and 401s) are thrown to `attempt`, which decides about retrying.
   */
  private async attemptOnce(
    kind: RecordKind,
    row: { id: number },
    label: { sourceId: string; text: string },
    steps: Parameters<Importer['attempt']>[3],
    mayHaveLanded: boolean,
  ): Promise<Outcome> {
    if (mayHaveLanded) {
      const existing = await steps.lookup();
      if (existing) {
        this.journal.markDone(kind, row.id, existing, 'created', 'confirmed by look-up after an interrupted call');
        return 'created';
      }
    }
    let created: { id: string; note?: string };
    try {
      created = await steps.create(() => this.journal.markInFlight(kind, row.id));
    } catch (error) {
      if (!(error instanceof WorkOSCallError)) throw error;
      const info = error.info;
      switch (info.kind) {
        case 'conflict': {
          const adopted = await steps.adopt(info.code);
          if (!adopted) return this.fail(kind, row.id, label, 'conflict', `${info.message}; and no existing record could be found to adopt`);
          // Our own earlier write whose answer was lost is "created", not someone else's record.
          const outcome = mayHaveLanded && info.code !== 'email_not_available' ? 'created' : 'adopted';
          this.journal.markDone(kind, row.id, adopted.id, outcome, adopted.note);
          return outcome;
        }
        case 'invalid':
        case 'multiple_roles_not_enabled':
        case 'not_found':
          return (await steps.onInvalid?.(info.code, info.message)) ?? this.fail(kind, row.id, label, info.code, info.message);
        case 'bug':
          return this.fail(kind, row.id, label, 'bug', `${info.message} (a workos-migrate bug: please report it)`);
        default:
          throw error; // transient, unauthorized: for `attempt`
      }
    }
    this.journal.markDone(kind, row.id, created.id, 'created', created.note);
    return 'created';
  }

  private fail(kind: RecordKind, id: number, label: { sourceId: string; text: string }, code: string, message: string): Outcome {
    this.journal.markFailed(kind, id, code, message);
    this.bus.emit({ type: 'record', kind, sourceId: label.sourceId, label: label.text, outcome: 'failed', code, message });
    return 'failed';
  }

  private skip(kind: RecordKind, id: number, label: { sourceId: string; text: string }, code: string, message: string): Outcome {
    this.journal.markSkipped(kind, id, code, message);
    this.bus.emit({ type: 'record', kind, sourceId: label.sourceId, label: label.text, outcome: 'skipped', code, message });
    return 'skipped';
  }

  private importOrganization(row: OrganizationRow): Promise<Outcome> {
    const signal = this.signal;
    const idempotencyKey = createHash('sha256').update(`${this.journal.settings.createdAt}\0${row.source_id}`).digest('hex');
    return this.attempt('organization', row, { sourceId: row.source_id, text: row.name }, {
      lookup: () => this.target.findOrganizationByExternalId(row.source_id, { signal }),
      create: async (onSend) => ({
        id: await this.target.createOrganization(
          {
            name: row.name,
            externalId: row.source_id,
            metadata: parseJson(row.metadata),
            domains: parseJson(row.domains) ?? [],
          },
          idempotencyKey,
          { signal, onSend },
        ),
      }),
      adopt: async () => {
        const id = await this.target.findOrganizationByExternalId(row.source_id, { signal });
        return id ? { id } : null;
      },
    });
  }

  private importUser(row: UserRow): Promise<Outcome> {
    const signal = this.signal;
    const hash =
      row.password_hash && row.password_hash_type && SUPPORTED_HASH.has(row.password_hash_type)
        ? { passwordHash: row.password_hash, passwordHashType: row.password_hash_type }
        : {};
    return this.attempt('user', row, { sourceId: row.source_id, text: row.email }, {
      lookup: async () => (await this.target.findUserByExternalId(row.source_id, { signal }))?.id ?? null,
      create: async (onSend) => ({
        id: await this.target.createUser(
          {
            email: row.email,
            firstName: row.first_name ?? undefined,
            lastName: row.last_name ?? undefined,
            emailVerified: row.email_verified === null ? undefined : row.email_verified === 1,
            externalId: row.source_id,
            metadata: parseJson(row.metadata),
            ...hash,
          },
          { signal, onSend },
        ),
      }),
      adopt: async (code) => {
        // external id taken: this source user is there already; email taken: someone with the address is.
        const byExternalId = code === 'email_not_available' ? null : await this.target.findUserByExternalId(row.source_id, { signal });
        if (byExternalId) return { id: byExternalId.id };
        const byEmail = await this.target.findUserByEmail(row.email, { signal });
        if (!byEmail) return null;
        const note =
          byEmail.externalId && byEmail.externalId !== row.source_id
            ? `adopted existing user ${byEmail.id} (its external id is ${byEmail.externalId})`
            : `adopted existing user ${byEmail.id}`;
        return { id: byEmail.id, note };
      },
      onInvalid: async (code, message) => {
        if (code === 'invalid_password_hash') {
          return this.fail('user', row.id, { sourceId: row.source_id, text: row.email }, code,
            `WorkOS rejected the ${row.password_hash_type} password hash: ${message}. Fix the hash in the source and run the migration again (existing users are adopted); the hash itself is not written here`);
        }
        return null;
      },
    });
  }

  private mappedRoles(sourceRoles: string[]): string[] {
    const map = this.options.roleMap ?? {};
    // Own keys only: a source role called "constructor" must not find Object's.
    const slugs = sourceRoles.map((r) => (Object.hasOwn(map, r) ? map[r] : this.options.defaultRole)).filter((s): s is string => typeof s === 'string' && !!s);
    return [...new Set(slugs)];
  }

  private importMembership(row: MembershipRow): Promise<Outcome> {
    const label = { sourceId: `${row.user_source_id}@${row.org_source_id}`, text: `${row.user_email ?? row.user_source_id} in ${row.org_source_id}` };
    if (row.user_state !== 'done' || !row.user_workos_id) {
      return Promise.resolve(
        this.skip('membership', row.id, label, 'blocked', `user ${row.user_source_id} was not imported (${row.user_state ?? 'missing'}); it is retried with the user`),
      );
    }
    if (row.org_state !== 'done' || !row.org_workos_id) {
      return Promise.resolve(
        this.skip('membership', row.id, label, 'blocked', `organization ${row.org_source_id} was not imported (${row.org_state ?? 'missing'}); it is retried with the organization`),
      );
    }
    const signal = this.signal;
    const userId = row.user_workos_id;
    const organizationId = row.org_workos_id;
    let wanted = this.mappedRoles(JSON.parse(row.roles) as string[]);
    let note: string | undefined;
    if (wanted.length > 1 && this.multipleRoles === false) {
      note = `several roles mapped (${wanted.join(', ')}); this environment takes one: ${wanted[0]}`;
      wanted = [wanted[0]];
    }
    const sameRoles = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

    return this.attempt('membership', row, label, {
      lookup: async () => {
        // Found after an interrupted call: record the roles it has, so verification can check them.
        const found = await this.target.findMembership(userId, organizationId, { signal });
        if (found) this.journal.setMembershipRoles(row.id, found.roleSlugs);
        return found?.id ?? null;
      },
      create: async (onSend) => {
        const membership = await this.target.createMembership({ userId, organizationId, roleSlugs: wanted }, { signal, onSend });
        this.journal.setMembershipRoles(row.id, membership.roleSlugs);
        return { id: membership.id, note };
      },
      adopt: async () => {
        const existing = await this.target.findMembership(userId, organizationId, { signal });
        if (!existing) return null;
        if (!wanted.length || sameRoles(existing.roleSlugs, wanted)) {
          this.journal.setMembershipRoles(row.id, existing.roleSlugs);
          return { id: existing.id, note };
        }
        if (this.options.updateExistingRoles === false) {
          this.journal.setMembershipRoles(row.id, existing.roleSlugs);
          return { id: existing.id, note: `existing role ${existing.roleSlugs.join(', ') || '(none)'} kept; the mapped role is ${wanted.join(', ')}` };
        }
        const updated = await this.target.updateMembershipRoles(existing.id, wanted, { signal });
        this.journal.setMembershipRoles(row.id, updated.roleSlugs);
        return { id: existing.id, note: `role changed from ${existing.roleSlugs.join(', ') || '(none)'} to ${wanted.join(', ')}` };
      },
      onInvalid: async (code) => {
        if (code !== 'multiple_roles_not_enabled' || wanted.length < 2) return null;
        // Learned once for the whole run (several calls may learn it at once): one role per membership.
        if (this.multipleRoles !== false) {
          this.multipleRoles = false;
          this.journal.updateSettings({ multipleRoles: false });
          this.bus.emit({
            type: 'notice',
            level: 'warning',
            message: 'This WorkOS environment allows one role per membership: members with several roles get the first mapped one.',
          });
        }
        this.journal.release('membership', row.id);
        return this.importMembership({ ...row, state: 'pending' });
      },
    });
  }
}

type Outcome = 'created' | 'adopted' | 'failed' | 'skipped';
