import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ExpectedError } from '../../errors.js';
import { WORKOS_HASH_TYPES } from '../../providers/types.js';
import type { EventBus, PhaseName, ProgressCounts } from '../events.js';
import { RateMeter } from '../events.js';
import { INVITATION_ONLY, LEFT_OUT, type Journal } from '../journal/journal.js';
import type { FactorRow, MembershipImport, MembershipRow, OrganizationRow, PasswordState, RecordKind, UserRow } from '../journal/types.js';
import { mappedRoleSlugs, sameRoles } from '../mapping/roles.js';
import { redactHash } from '../mapping/hash.js';
import { envRefsIn, fillEnvRefs, missingSecret } from '../passwords/secret-refs.js';
import { LIMITS } from '../mapping/validate.js';
import { backoffMs, sleep } from '../rate/pacer.js';
import { refusedDomains } from '../workos/errors.js';
import { WorkOSCallError, type OrganizationDomain, type UserPatch, type WorkOSTarget, type WorkOSUser } from '../workos/target.js';

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
  /**
   * Tries of one record through transient errors (5xx, a lost answer) before it fails. A time when
   * WorkOS is unreachable as a whole is waited out by the target and never counts here.
   */
  maxAttempts?: number;
  /**
   * A user already in WorkOS (adopted): `source` (default) sets the source's password hash on it;
   * `keep` leaves the password WorkOS has.
   */
  adoptedPasswords?: 'source' | 'keep';
  /**
   * Memberships invited or pending in the source: `skip` (default) imports none and says so;
   * `active` makes them active memberships; `invite` sends a WorkOS invitation.
   */
  invitedMembers?: 'skip' | 'active' | 'invite';
  /** Fills the `{env:NAME}` parts a source staged in its hashes instead of a secret (see passwords/secret-refs.ts). */
  env?: NodeJS.ProcessEnv;
}

export type ImportPhase = 'organizations' | 'users' | 'memberships' | 'factors';

export interface ImportResult {
  stopped: boolean;
  /** `factors`: TOTP factors enrolled (`created`), with zero counts when the source had none. */
  phases: Record<ImportPhase, ProgressCounts>;
  elapsedMs: number;
  calls: number;
}

const PHASE_KIND: Record<'organizations' | 'users' | 'memberships', RecordKind> = {
  organizations: 'organization',
  users: 'user',
  memberships: 'membership',
};

const SUPPORTED_HASH = new Set<string>(WORKOS_HASH_TYPES);

/** What an adopted user may get from the source besides its hash and external id. */
const FILL_FIELDS = ['firstName', 'lastName', 'emailVerified', 'metadata'] as const;

const parseJson = <T>(text: string | null): T | undefined => (text ? (JSON.parse(text) as T) : undefined);

/** The source's hash when WorkOS can take its type, its `{env:NAME}` parts filled; never logged, never in a message. */
function importableHash(row: UserRow, env: NodeJS.ProcessEnv = {}): { passwordHash: string; passwordHashType: string } | undefined {
  return row.password_hash && row.password_hash_type && SUPPORTED_HASH.has(row.password_hash_type)
    ? { passwordHash: fillEnvRefs(row.password_hash, env), passwordHashType: row.password_hash_type }
    : undefined;
}

/** What a user's password becomes when WorkOS gets the source's hash as it is (created with it, or set on it). */
const passwordStateOf = (row: UserRow): PasswordState =>
  row.password_hash && row.password_hash_type && SUPPORTED_HASH.has(row.password_hash_type) ? 'set' : row.password_hash ? 'unsupported' : 'none';

/** A WorkOS record found instead of created. `foreign`: it cannot be this tool's own earlier write. */
interface Found {
  id: string;
  note?: string;
  foreign?: boolean;
  /** A found user as the look-up saw it (its external id, names, metadata). */
  user?: WorkOSUser;
  /** A found organization's domains, as the look-up saw them. */
  domains?: OrganizationDomain[];
}

interface Steps {
  /** Look before every create, not only after an interrupted call (organizations: they are few). */
  lookupFirst?: boolean;
  lookup: () => Promise<Found | null>;
  create: (onSend: () => void) => Promise<{ id: string; note?: string }>;
  adopt: (code: string) => Promise<Found | null>;
  /** Completes what was found instead of created (an adopted user's hash); returns a note. */
  complete?: (found: Found, outcome: 'created' | 'adopted') => Promise<string | undefined>;
  onInvalid?: (code: string, message: string) => Promise<Outcome | null>;
  /** A membership: what WorkOS holds once it is done (recorded per record; reports and verify read it). */
  importedAs?: MembershipImport;
  /** Cleans WorkOS's words before they are stored or said (a user's: no trace of its hash). */
  scrub?: (text: string) => string;
}

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
  /** Records this run found by look-up as its own earlier write (counted created; said as found). */
  private foundOwn = 0;
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
    // A secret the staged hashes refer to must be there before the first write, not halfway.
    for (const { hash } of this.journal.all<{ hash: string }>(`SELECT DISTINCT password_hash AS hash FROM users WHERE state != 'done' AND password_hash LIKE '%{env:%' LIMIT 100`)) {
      for (const name of envRefsIn(hash)) if (!this.options.env?.[name]?.trim()) throw missingSecret(name);
    }
    this.journal.setPhase('importing');
    // Members skipped while the choice was skip are imported under the choice now.
    this.journal.requeueInvited(this.options.invitedMembers);
    for (const phase of ['organizations', 'users', 'memberships', 'factors'] as const) {
      // TOTP factors: a phase only where the source handed over secrets.
      if (phase === 'factors') this.journal.skipFactorsOfSkippedUsers();
      if (phase === 'factors' && !this.journal.factorCounts().total) {
        phases.factors = { total: 0, done: 0, created: 0, adopted: 0, failed: 0, skipped: 0 };
        continue;
      }
      phases[phase] = await this.runPhase(phase);
      if (this.signal.aborted) break;
    }
    const stopped = this.signal.aborted;
    if (!stopped) {
      this.journal.setPhase('imported');
      // A hash is needed only until its user exists in WorkOS; failed users keep theirs for a retry.
      this.journal.purgeImportedHashes();
    }
    // Enrolled factors drop their secret as each is done; this catches any an older run left.
    this.journal.purgeEnrolledTotpSecrets();
    return { stopped, phases, elapsedMs: performance.now() - started, calls: this.target.calls - callsBefore };
  }

  private countsOf(phase: ImportPhase): ProgressCounts {
    if (phase === 'factors') {
      const f = this.journal.factorCounts();
      return { total: f.total, done: f.done, created: f.done, adopted: 0, failed: f.failed, skipped: f.skipped };
    }
    const c = this.journal.counts()[PHASE_KIND[phase]];
    return { total: c.total, done: c.done, created: c.done - c.adopted, adopted: c.adopted, failed: c.failed, skipped: c.skipped };
  }

  private async runPhase(phase: ImportPhase): Promise<ProgressCounts> {
    const counts = this.countsOf(phase);
    const foundBefore = this.foundOwn;
    const meter = new RateMeter();
    const ceiling = phase === 'organizations' ? this.target.pacers.general.ceilingPerSecond : this.target.pacers.writes.ceilingPerSecond;
    const report = () => {
      const rate = meter.perSecond();
      const remaining = counts.total - counts.done - counts.failed - counts.skipped;
      this.bus.emit({
        type: 'progress',
        phase: phase as PhaseName,
        counts: this.foundOwn > foundBefore ? { ...counts, found: this.foundOwn - foundBefore } : { ...counts },
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
      factors: (after: number) => this.journal.workableFactors(after, 256),
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
                : phase === 'memberships'
                  ? await this.importMembership(row as MembershipRow)
                  : await this.enrollFactor(row as FactorRow);
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
  private async attempt(kind: RecordKind, row: { id: number; state: string; attempts: number }, label: { sourceId: string; text: string }, steps: Steps): Promise<Outcome> {
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
        const said = steps.scrub ?? ((text: string) => text);
        if (info.kind !== 'transient') {
          return this.fail(kind, row.id, label, 'code' in info ? info.code : info.kind, said(`${info.message} (while looking up or completing the existing record)`));
        }
        // The call may have landed: the next try looks before it creates.
        mayHaveLanded = true;
        // WorkOS was away as a whole and the target waited until it answered again: not this record's failure.
        if (info.outage) continue;
        if (++transient >= this.maxAttempts) {
          return this.fail(kind, row.id, label, 'transient', said(`${info.message} (gave up after ${transient} tries; retry with --retry-failed)`));
        }
        await sleep(backoffMs(transient), this.signal);
      }
    }
  }

  /**
   * One try: look first if an earlier call may have landed, create, and sort the answer.
   * Transient failures (and 401s) are thrown to `attempt`, which decides about retrying.
   */
  private async attemptOnce(kind: RecordKind, row: { id: number }, label: { sourceId: string; text: string }, steps: Steps, mayHaveLanded: boolean): Promise<Outcome> {
    // Our own earlier write whose answer was lost is "created", not someone else's record.
    const outcomeOf = (found: Found) => (mayHaveLanded && !found.foreign ? 'created' : 'adopted');
    const said = steps.scrub ?? ((text: string) => text);
    const finish = async (found: Found, note: string | undefined): Promise<Outcome> => {
      const outcome = outcomeOf(found);
      if (outcome === 'created') this.foundOwn++;
      const completed = await steps.complete?.(found, outcome);
      const notes = [note, completed].filter(Boolean).join('; ');
      this.journal.markDone(kind, row.id, found.id, outcome, notes ? said(notes) : undefined, steps.importedAs);
      return outcome;
    };
    if (mayHaveLanded || steps.lookupFirst) {
      const existing = await steps.lookup();
      if (existing) return finish(existing, existing.note ?? (mayHaveLanded && !existing.foreign ? 'confirmed by look-up after an interrupted call' : undefined));
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
          if (!adopted) return this.fail(kind, row.id, label, 'conflict', said(`${info.message}; and no existing record could be found to adopt`));
          return finish(adopted, adopted.note);
        }
        case 'invalid':
        case 'multiple_roles_not_enabled':
        case 'not_found':
          return (await steps.onInvalid?.(info.code, said(info.message))) ?? this.fail(kind, row.id, label, info.code, said(info.message));
        case 'bug':
          return this.fail(kind, row.id, label, 'bug', said(`${info.message} (a workos-migrate bug: please report it)`));
        default:
          throw error; // transient, unauthorized: for `attempt`
      }
    }
    this.journal.markDone(kind, row.id, created.id, 'created', created.note && said(created.note), steps.importedAs);
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
    const lookup = async (): Promise<Found | null> => {
      const org = await this.target.findOrganization(row.source_id, { signal });
      return org ? { id: org.id, domains: org.domains } : null;
    };
    return this.attempt('organization', row, { sourceId: row.source_id, text: row.name }, {
      // Organizations are few: one read each finds those already there, whatever the journal says.
      lookupFirst: true,
      lookup,
      create: (onSend) => this.createOrganization(row, onSend),
      adopt: lookup,
      // Found instead of created (someone else's, or ours after an interrupted call): the source's
      // domains it lacks are added, each refusal said.
      complete: (found, outcome) => this.completeOrganization(row, found, outcome),
    });
  }

  private sourceDomains(row: OrganizationRow): OrganizationDomain[] {
    return parseJson<OrganizationDomain[]>(row.domains) ?? [];
  }

  /**
   * Creates an organization with its domains; a domain WorkOS refuses (a consumer domain like
   * gmail.com) is left out and reported the moment the refusal is known, so the organization and
   * its memberships still go in, and a lost answer later loses no refusal.
   */
  private async createOrganization(row: OrganizationRow, onSend: () => void): Promise<{ id: string; note?: string }> {
    const signal = this.signal;
    const all = this.sourceDomains(row);
    let domains = all;
    const create = (list: OrganizationDomain[]) => {
      // One key per body: an idempotency key replayed with other domains would answer the first body.
      const variant = list.length === all.length ? '' : `\0${list.map((d) => d.domain).join(',')}`;
      const idempotencyKey = createHash('sha256').update(`${this.journal.settings.createdAt}\0${row.source_id}${variant}`).digest('hex');
      return this.target.createOrganization(
        { name: row.name, externalId: row.source_id, metadata: parseJson(row.metadata), domains: list },
        idempotencyKey,
        { signal, onSend },
      );
    };
    const refused: string[] = [];
    let id: string;
    for (;;) {
      try {
        id = await create(domains);
        break;
      } catch (error) {
        if (!(error instanceof WorkOSCallError)) throw error;
        const which = refusedDomains(error.info, domains.map((d) => d.domain));
        if (!which || !domains.length) throw error;
        if (which !== 'unknown') {
          for (const domain of which) this.domainRefused(row, domain, error.info.message);
          refused.push(...which);
          domains = domains.filter((d) => !which.includes(d.domain));
          continue;
        }
        // WorkOS refused a domain without saying which: create without them, then add them. An
        // interruption while adding is finished by the look-up that follows (completeOrganization).
        id = await create([]);
        refused.push(...(await this.addDomains(row, id, [], domains)));
        break;
      }
    }
    return refused.length ? { id, note: `created without the domain${refused.length > 1 ? 's' : ''} WorkOS refused: ${refused.join(', ')}` } : { id };
  }

  /**
   * An organization found instead of created gets the source's domains it lacks, next to the ones
   * it has (never replaced); a refused one is reported like at creation.
   */
  private async completeOrganization(row: OrganizationRow, found: Found, outcome: 'created' | 'adopted'): Promise<string | undefined> {
    const have = found.domains ?? (await this.target.findOrganization(row.source_id, { signal: this.signal }))?.domains ?? [];
    const known = new Set(have.map((d) => d.domain.toLowerCase()));
    const missing = this.sourceDomains(row).filter((d) => !known.has(d.domain.toLowerCase()));
    if (!missing.length) return undefined;
    const refused = await this.addDomains(row, found.id, have, missing);
    const added = missing.filter((d) => !refused.includes(d.domain)).map((d) => d.domain);
    const notes: string[] = [];
    if (added.length) notes.push(`${outcome === 'adopted' ? 'the source\'s' : 'its'} domain${added.length > 1 ? 's' : ''} ${added.join(', ')} added`);
    if (refused.length) notes.push(`${outcome === 'adopted' ? 'adopted' : 'created'} without the domain${refused.length > 1 ? 's' : ''} WorkOS refused: ${refused.join(', ')}`);
    return notes.join('; ') || undefined;
  }

  /**
   * Adds `toAdd` to an organization that has `have` (kept as they are): all at once, then without
   * each one WorkOS refuses by name, then one by one when it refuses without naming. Returns the
   * refused ones; each is reported as soon as it is known.
   */
  private async addDomains(row: OrganizationRow, id: string, have: OrganizationDomain[], toAdd: OrganizationDomain[]): Promise<string[]> {
    const signal = this.signal;
    const current = [...have];
    let pending = toAdd;
    const refused: string[] = [];
    while (pending.length) {
      const list = [...current, ...pending];
      try {
        await this.target.setOrganizationDomains(id, list, { signal });
        return refused;
      } catch (error) {
        if (!(error instanceof WorkOSCallError)) throw error;
        const which = refusedDomains(error.info, list.map((d) => d.domain));
        if (!which) throw error;
        if (which !== 'unknown') {
          const named = which.filter((domain) => pending.some((d) => d.domain === domain));
          if (!named.length) throw error;
          for (const domain of named) this.domainRefused(row, domain, error.info.message);
          refused.push(...named);
          pending = pending.filter((d) => !named.includes(d.domain));
          continue;
        }
        for (const d of pending) {
          try {
            await this.target.setOrganizationDomains(id, [...current, d], { signal });
            current.push(d);
          } catch (addError) {
            if (!(addError instanceof WorkOSCallError) || !refusedDomains(addError.info, [...current, d].map((x) => x.domain))) throw addError;
            this.domainRefused(row, d.domain, addError.info.message);
            refused.push(d.domain);
          }
        }
        return refused;
      }
    }
    return refused;
  }

  /** Recorded once however often a resumed run learns it again (the message is the same). */
  private domainRefused(row: OrganizationRow, domain: string, reason: string): void {
    const message = `WorkOS refused the domain ${domain} (${reason.trim().replace(/\s+/g, ' ')}): organization ${row.name} was imported without it. If the domain is the organization's own, add it in the WorkOS dashboard; consumer domains (gmail.com and the like) cannot be added.`;
    this.journal.addIssue({ severity: 'warning', location: row.origin ?? row.source_id, field: 'domains', message, recordKind: 'organization', sourceId: row.source_id });
    this.bus.emit({ type: 'notice', level: 'warning', message });
  }

  /**
   * `refused`: WorkOS's answer to the source's hash on an earlier try. The user then goes in
   * without it (its password state says `rejected`, and it is listed for a password reset).
   */
  private importUser(row: UserRow, refusedNow?: string): Promise<Outcome> {
    const signal = this.signal;
    const label = { sourceId: row.source_id, text: row.email };
    // Refused on an earlier try that a stop interrupted: the user went (or goes) in without it,
    // and a look-up must not take it for a user with the source's password.
    const refused = refusedNow ?? (row.password_state === 'rejected' ? 'refused on an earlier try' : undefined);
    const hash = refused ? undefined : importableHash(row, this.options.env);
    // An adoption half done (by a stopped run, or by this one before a transient error): the
    // WorkOS user is known, and completing it is what is left. A look-up by external id would
    // take it for our own once its external id is set.
    let adopting: Found | null = row.state === 'in_flight' && row.outcome === 'adopted' && row.workos_id ? { id: row.workos_id, foreign: true } : null;
    return this.attempt('user', row, label, {
      lookup: async () => {
        if (adopting) return adopting;
        const found = await this.target.findUserByExternalId(row.source_id, { signal });
        return found ? { id: found.id, user: found } : null;
      },
      create: async (onSend) => {
        const id = await this.target.createUser(
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
        );
        this.journal.setPasswordState(row.id, refused ? 'rejected' : passwordStateOf(row));
        return { id, note: refused ? this.refusedHashNote(row, refused, 'created without a password') : undefined };
      },
      adopt: async (code) => {
        // external id taken: this source user is there already; email taken: someone with the address is.
        const byExternalId = code === 'email_not_available' ? null : await this.target.findUserByExternalId(row.source_id, { signal });
        if (byExternalId) return { id: byExternalId.id, user: byExternalId };
        const byEmail = await this.target.findUserByEmail(row.email, { signal });
        if (!byEmail) return null;
        return { id: byEmail.id, user: byEmail, foreign: byEmail.externalId !== row.source_id, note: `adopted existing user ${byEmail.id}` };
      },
      complete: (found, outcome) => {
        if (outcome === 'adopted') adopting = { ...found, foreign: true };
        return this.completeUser(row, found, outcome, refused);
      },
      scrub: (text) => redactHash(redactHash(text, row.password_hash), hash?.passwordHash),
      onInvalid: async (code, message) => {
        if (code !== 'invalid_password_hash' || !hash) return null;
        // Nothing landed: the same user again, without the hash WorkOS refused. Committed first: a
        // stop during that create resumes knowing the user has no password of the source's.
        this.journal.setPasswordState(row.id, 'rejected');
        this.journal.release('user', row.id);
        return this.importUser({ ...row, state: 'pending', password_state: 'rejected' }, message);
      },
    });
  }

  private refusedHashNote(row: UserRow, answer: string, what: string): string {
    // WorkOS's answer may quote what it was sent: never the hash, nor its salt or digest.
    const sent = row.password_hash ? fillEnvRefs(row.password_hash, this.options.env ?? {}) : undefined;
    return `WorkOS refused the source's ${row.password_hash_type} hash (${redactHash(redactHash(answer, row.password_hash), sent)}): ${what}; the user needs a password reset (or fix the hash at the source and run again: the user is then adopted and gets it). The hash itself is not written here`;
  }

  /**
   * A user found in WorkOS instead of created gets what the source says it lacks: the source's
   * password hash (unless the operator keeps WorkOS's passwords), the source id as its external id
   * when it has none, and (adopted) the names, metadata keys and email verification WorkOS lacks.
   * What WorkOS holds otherwise is left as it is, and reported.
   */
  private async completeUser(row: UserRow, found: Found, outcome: 'created' | 'adopted', refused?: string): Promise<string | undefined> {
    const signal = this.signal;
    const notes: string[] = [];
    const user = found.user ?? (await this.target.getUser(found.id, { signal }));
    const externalId = user?.externalId ?? null;
    const patch: UserPatch = {};
    if (!externalId) patch.externalId = row.source_id;
    else if (externalId !== row.source_id) {
      this.externalIdIssue(row, `WorkOS user ${found.id} (${row.email}) has the external id ${externalId}, not the source id ${row.source_id}: it was left as it is. The id map links ${row.source_id} to ${found.id}.`);
      notes.push(`its external id stays ${externalId}`);
    }
    // Our own earlier create carried the profile; someone else's user gets what it lacks.
    const filled = outcome === 'adopted' && user ? this.fillFromSource(row, user, patch) : [];

    const hash = refused ? undefined : importableHash(row, this.options.env);
    let passwordState: PasswordState = refused ? 'rejected' : passwordStateOf(row);
    if (refused) notes.push(this.refusedHashNote(row, refused, outcome === 'adopted' ? 'the user keeps the password WorkOS had' : 'created without a password'));
    // Our own earlier create carried the hash; re-setting it costs one write and covers a user
    // that was someone else's after all.
    if (hash && (this.options.adoptedPasswords ?? 'source') === 'source') Object.assign(patch, hash);
    else if (hash && outcome === 'adopted') {
      passwordState = 'kept';
      notes.push('kept the password WorkOS had (adopted passwords: keep)');
    }
    // Committed before the API call: once its external id is set, a look-up would take the user for our own.
    if (Object.keys(patch).length && outcome === 'adopted') this.journal.markAdopting('user', row.id, found.id);
    while (Object.keys(patch).length) {
      try {
        await this.target.updateUser(found.id, patch, { signal });
        break;
      } catch (error) {
        if (!(error instanceof WorkOSCallError)) throw error;
        const info = error.info;
        if (info.kind === 'invalid' && info.code === 'invalid_password_hash' && patch.passwordHash) {
          delete patch.passwordHash;
          delete patch.passwordHashType;
          passwordState = 'rejected';
          notes.push(this.refusedHashNote(row, info.message, 'the user keeps the password WorkOS had'));
        } else if (info.kind === 'invalid' && filled.length && FILL_FIELDS.some((f) => f in patch)) {
          // What the source fills in is a courtesy: refused, it is left out and said, the rest goes on.
          for (const f of FILL_FIELDS) delete patch[f];
          this.profileIssue(row, `WorkOS user ${found.id} (${row.email}) was adopted without the source's ${filled.join(', ')}: WorkOS refused them (${info.code}).`);
          filled.length = 0;
        } else if (info.kind === 'conflict' && patch.externalId) {
          delete patch.externalId;
          this.externalIdIssue(row, `the source id ${row.source_id} is the external id of another WorkOS user: WorkOS user ${found.id} (${row.email}) was adopted without it.`);
          notes.push('its external id could not be set (another user holds it)');
        } else throw error;
      }
    }
    if (filled.length) notes.push(`filled in from the source: ${filled.join(', ')}`);
    this.journal.setPasswordState(row.id, passwordState);
    return notes.join('; ') || undefined;
  }

  /**
   * Adds to `patch` what an adopted user lacks and the source has: an empty first or last name,
   * metadata keys it does not have (within WorkOS's 50 keys), a verified email. Never a value
   * WorkOS has: where it differs from the source, one warning names the fields (not the values).
   * Returns what was filled in.
   */
  private fillFromSource(row: UserRow, user: WorkOSUser, patch: UserPatch): string[] {
    const filled: string[] = [];
    const kept: string[] = [];
    const names = [
      ['firstName', 'first name', row.first_name, user.firstName],
      ['lastName', 'last name', row.last_name, user.lastName],
    ] as const;
    for (const [field, words, source, theirs] of names) {
      if (!source) continue;
      if (!theirs) {
        patch[field] = source;
        filled.push(words);
      } else if (theirs !== source) kept.push(words);
    }
    // The source is the truth about verification: a verified address stays verified.
    if (row.email_verified === 1 && !user.emailVerified) {
      patch.emailVerified = true;
      filled.push('email verified');
    }
    const source = parseJson<Record<string, string>>(row.metadata) ?? {};
    const have = user.metadata;
    let room = LIMITS.metadataKeys - Object.keys(have).length;
    const added: Record<string, string> = {};
    const noRoom: string[] = [];
    for (const [key, value] of Object.entries(source)) {
      if (Object.hasOwn(have, key)) {
        if (have[key] !== value) kept.push(`metadata.${key}`);
      } else if (room > 0) {
        added[key] = value;
        room--;
      } else noRoom.push(key);
    }
    if (Object.keys(added).length) {
      // The whole object: the keys it had stay whether WorkOS merges or replaces.
      patch.metadata = { ...have, ...added };
      filled.push(...Object.keys(added).map((k) => `metadata.${k}`));
    }
    const said: string[] = [];
    if (kept.length) said.push(`${kept.join(', ')} left as WorkOS had ${kept.length > 1 ? 'them' : 'it'} (the source has another value)`);
    if (noRoom.length) said.push(`metadata keys ${noRoom.join(', ')} not added (WorkOS holds at most ${LIMITS.metadataKeys} keys and the user had ${Object.keys(have).length})`);
    if (said.length) this.profileIssue(row, `WorkOS user ${user.id} (${row.email}) was adopted: ${said.join('; ')}.`);
    return filled;
  }

  private profileIssue(row: UserRow, message: string): void {
    this.journal.addIssue({ severity: 'warning', location: row.origin ?? row.source_id, field: 'profile', message, recordKind: 'user', sourceId: row.source_id });
  }

  private externalIdIssue(row: UserRow, message: string): void {
    this.journal.addIssue({ severity: 'warning', location: row.origin ?? row.source_id, field: 'externalId', message, recordKind: 'user', sourceId: row.source_id });
  }

  // ---- TOTP factors ---------------------------------------------------------------------------

  /**
   * One user's TOTP factor, with the source's secret: enrolled once. Committed in_flight right
   * before the call; after an interrupted call (or on an adopted user, who may have one of their
   * own) the user's factors are listed first: a TOTP factor there is taken, never a second added.
   * The secret is never logged or said: WorkOS's words are scrubbed of it before they are kept.
   */
  private async enrollFactor(row: FactorRow): Promise<Outcome> {
    const label = { sourceId: row.source_id, text: row.email };
    const secret = row.totp_secret;
    const said = (text: string) => redactSecret(text, secret);
    if (row.merged_into) {
      return this.skipFactor(row, label, 'merged', `same person as user ${row.merged_into} (same email): that user's factors stand in WorkOS; this user's TOTP secret was not carried (the person re-enrolls if they used this one)`);
    }
    const userId = row.workos_id!;
    if (!secret) return this.failFactor(row, label, 'no_secret', 'the TOTP secret is no longer in the journal (purged): the user re-enrolls TOTP in WorkOS');
    const signal = this.signal;
    let mayHaveLanded = row.totp_state === 'in_flight' || row.totp_attempts > 0;
    let transient = 0;
    for (;;) {
      try {
        if (mayHaveLanded || row.outcome === 'adopted') {
          const existing = await this.target.listTotpFactors(userId, { signal });
          if (existing.length && mayHaveLanded) {
            // Ours, sent before the stop (an adopted user's own factor was looked for before sending).
            this.journal.markFactorDone(row.id, existing[0].id, 'confirmed by look-up after an interrupted call');
            return 'created';
          }
          if (existing.length) {
            return this.skipFactor(row, label, 'existing_factor',
              `WorkOS user ${userId} (adopted) already has a TOTP factor (${existing[0].id}): the source's was not added, WorkOS would ask for either; the user keeps the one WorkOS has`);
          }
        }
        const factor = await this.target.enrollTotpFactor(userId, secret, { signal, onSend: () => this.journal.markFactorInFlight(row.id) });
        this.journal.markFactorDone(row.id, factor.id);
        return 'created';
      } catch (error) {
        if (!(error instanceof WorkOSCallError)) throw error; // a stop while waiting, or a bug
        const info = error.info;
        if (info.kind === 'unauthorized') {
          throw new ExpectedError('WorkOS stopped accepting the API key during the import (401).', 'Check that the key was not revoked, then run `workos-migrate resume`.');
        }
        if (info.kind !== 'transient') {
          const code = 'code' in info ? info.code : info.kind;
          const why = info.kind === 'not_found' ? `WorkOS has no user ${userId} any more (${said(info.message)})` : said(info.message);
          return this.failFactor(row, label, code, `the TOTP factor was not enrolled: ${why}${info.kind === 'bug' ? ' (a workos-migrate bug: please report it)' : ''}`);
        }
        mayHaveLanded = true;
        if (info.outage) continue;
        if (++transient >= this.maxAttempts) {
          return this.failFactor(row, label, 'transient', `the TOTP factor was not enrolled: ${said(info.message)} (gave up after ${transient} tries; retry with --retry-failed)`);
        }
        await sleep(backoffMs(transient), this.signal);
      }
    }
  }

  private failFactor(row: FactorRow, label: { sourceId: string; text: string }, code: string, message: string): Outcome {
    this.journal.markFactorFailed(row.id, code, message);
    this.bus.emit({ type: 'record', kind: 'factor', sourceId: label.sourceId, label: label.text, outcome: 'failed', code, message });
    return 'failed';
  }

  private skipFactor(row: FactorRow, label: { sourceId: string; text: string }, code: string, message: string): Outcome {
    this.journal.markFactorSkipped(row.id, code, message);
    this.bus.emit({ type: 'record', kind: 'factor', sourceId: label.sourceId, label: label.text, outcome: 'skipped', code, message });
    return 'skipped';
  }

  /** Why a membership cannot go in yet: its user or organization was not imported. Null when both were. */
  private blockedReason(row: MembershipRow): string | null {
    const parent = (what: string, id: string, state: string | null, code: string | null, workosId: string | null) => {
      if (state === 'done' && workosId) return null;
      if (state === 'skipped' && code === LEFT_OUT) return `${what} ${id} was left out by your choice; its memberships are left out with it`;
      if (state === 'skipped') return `${what} ${id} was skipped (${code ?? 'skipped'}); its memberships follow it once the source is fixed`;
      if (state === 'failed') return `${what} ${id} was not imported (failed: ${code ?? 'unknown'}); it is retried with the ${what} (--retry-failed)`;
      return `${what} ${id} was not imported (${state ?? 'missing'}); it is retried with the ${what}`;
    };
    const userId = row.kept_user_source_id;
    return (
      // An invitation of someone new has no user to wait for.
      (row.invite_email === null ? parent('user', userId, row.user_state, row.user_error_code, row.user_workos_id) : null) ??
      parent('organization', row.org_source_id, row.org_state, row.org_error_code, row.org_workos_id)
    );
  }

  private importMembership(row: MembershipRow): Promise<Outcome> {
    const label = { sourceId: `${row.user_source_id}@${row.org_source_id}`, text: `${row.user_email ?? row.user_source_id} in ${row.org_source_id}` };
    const invited = row.status !== null;
    const policy = this.options.invitedMembers ?? 'skip';
    if (row.invite_email !== null && policy !== 'invite') {
      // Left out by the choice `skip` like any invited member; with `active`, no choice but
      // `invite` can carry it.
      return Promise.resolve(
        this.skip('membership', row.id, label, policy === 'skip' ? 'invited' : INVITATION_ONLY,
          `${row.invite_email} was invited in the source and has no user there, so there is no one to make a member of. To carry the invitation, run again with --invited-members invite (WorkOS emails an invitation)`),
      );
    }
    if (invited && policy === 'skip') {
      return Promise.resolve(
        this.skip('membership', row.id, label, 'invited',
          `${row.status} in the source (an invitation not accepted there), so no membership was made. To import it, run again with --invited-members active (an active member) or --invited-members invite (WorkOS emails an invitation)`),
      );
    }
    const blocked = this.blockedReason(row);
    if (blocked) {
      const byChoice = row.user_error_code === LEFT_OUT || row.org_error_code === LEFT_OUT;
      return Promise.resolve(this.skip('membership', row.id, label, byChoice ? LEFT_OUT : 'blocked', blocked));
    }

    const userId = row.user_workos_id!;
    const organizationId = row.org_workos_id!;
    // Every mapped role: one environment role per membership is learned (and said) below.
    let wanted = mappedRoleSlugs(JSON.parse(row.roles) as string[], { roleMap: this.options.roleMap, defaultRole: this.options.defaultRole });
    const notes: string[] = [];
    if (row.user_merged_into) notes.push(`carried by user ${row.user_merged_into} (same email as ${row.user_source_id})`);
    if (invited && policy === 'invite') return this.inviteMember(row, label, wanted, notes);
    if (invited) notes.push(`${row.status} in the source; imported as an active member (invited members: active)`);
    if (wanted.length > 1 && this.multipleRoles === false) {
      notes.push(`several roles mapped (${wanted.join(', ')}); this environment takes one: ${wanted[0]}`);
      wanted = [wanted[0]];
    }
    const note = notes.join('; ') || undefined;
    const withNote = (extra?: string) => [note, extra].filter(Boolean).join('; ') || undefined;
    const signal = this.signal;

    return this.attempt('membership', row, label, {
      lookup: async () => {
        // Found after an interrupted call: record the roles it has, so verification can check them.
        const found = await this.target.findMembership(userId, organizationId, { signal });
        if (found) this.journal.setMembershipRoles(row.id, found.roleSlugs);
        return found ? { id: found.id, note } : null;
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
          return { id: existing.id, note: withNote(`existing role ${existing.roleSlugs.join(', ') || '(none)'} kept; the mapped role is ${wanted.join(', ')}`) };
        }
        const updated = await this.target.updateMembershipRoles(existing.id, wanted, { signal });
        this.journal.setMembershipRoles(row.id, updated.roleSlugs);
        return { id: existing.id, note: withNote(`role changed from ${existing.roleSlugs.join(', ') || '(none)'} to ${wanted.join(', ')}`) };
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

  /**
   * `--invited-members invite`: WorkOS emails the member an invitation to the organization; the
   * record is done with the invitation's id. After an interrupted call, a pending invitation is
   * looked for before another is sent.
   */
  private inviteMember(row: MembershipRow, label: { sourceId: string; text: string }, wanted: string[], notes: string[]): Promise<Outcome> {
    const signal = this.signal;
    const email = row.user_email!;
    const organizationId = row.org_workos_id!;
    if (wanted.length > 1) notes.push(`an invitation carries one role: ${wanted[0]} (mapped: ${wanted.join(', ')})`);
    notes.push(`${row.status} in the source: WorkOS invitation sent to ${email} (invited members: invite); the membership exists once it is accepted`);
    const note = notes.join('; ');
    const find = async (): Promise<Found | null> => {
      const invitation = await this.target.findInvitation(email, organizationId, { signal });
      return invitation ? { id: invitation.id, note } : null;
    };
    return this.attempt('membership', row, label, {
      lookup: find,
      create: async (onSend) => {
        const invitation = await this.target.sendInvitation({ email, organizationId, roleSlug: wanted[0] }, { signal, onSend });
        return { id: invitation.id, note };
      },
      adopt: find,
      importedAs: 'invitation',
    });
  }
}

type Outcome = 'created' | 'adopted' | 'failed' | 'skipped';

/** WorkOS's words without the TOTP secret (in any case, grouped or not), should they quote it. */
export function redactSecret(text: string, secret: string | null): string {
  if (!secret || secret.length < 4) return text;
  const pattern = secret.split('').map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s-]?');
  return text.replace(new RegExp(pattern, 'gi'), '[secret]');
}
