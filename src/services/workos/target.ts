import { WorkOS } from '@workos-inc/node';
import { ExpectedError } from '../../errors.js';
import type { BucketLimit, BucketName } from '../journal/types.js';
import { backoffMs, Pacer, sleep } from '../rate/pacer.js';
import { classifyWorkOSError, type ErrorClass } from './errors.js';

export const DEFAULT_API_URL = 'https://api.workos.com';

/** The reference's ceilings; an environment with raised limits passes its own. */
export const WORKOS_LIMITS: Record<BucketName, BucketLimit> = {
  writes: { limit: 500, windowMs: 10_000 },
  reads: { limit: 1_000, windowMs: 10_000 },
  general: { limit: 6_000, windowMs: 60_000 },
};

/** An API failure the caller must decide about, already classified. */
export class WorkOSCallError extends Error {
  constructor(readonly info: ErrorClass) {
    super(info.message);
    this.name = 'WorkOSCallError';
  }
}

export interface TargetOptions {
  apiKey: string;
  apiUrl?: string;
  limits?: Partial<Record<BucketName, BucketLimit>>;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Retries of idempotent calls (reads) on transient errors before giving up. */
  readRetries?: number;
  /** While WorkOS is unreachable, how often one probe asks whether it is back (default 5 s). */
  probeEveryMs?: number;
  onRateLimited?: (bucket: BucketName, retryAfterMs: number) => void;
}

/** WorkOS went away (no answer at all, for every call) or came back; told to `onConnectivity` listeners. */
export type Connectivity =
  | { state: 'unreachable'; since: Date; code: string; retryEveryMs: number }
  | { state: 'reachable'; since: Date; downMs: number };

const clock = (date: Date) => date.toTimeString().slice(0, 8);

/** An outage and its end in words, for the progress the operator reads. */
export function connectivityNotice(event: Connectivity): { level: 'info' | 'warning'; code: string; message: string } {
  if (event.state === 'unreachable') {
    return {
      level: 'warning',
      code: 'workos_unreachable',
      message: `WorkOS is unreachable (${event.code}) since ${clock(event.since)}; waiting, nothing is lost; retrying every ${Math.round(event.retryEveryMs / 100) / 10}s.`,
    };
  }
  return { level: 'info', code: 'workos_reachable', message: `WorkOS answers again at ${clock(event.since)} (away ${Math.round(event.downMs / 1000)}s); carrying on.` };
}

interface Outage {
  since: Date;
  /** True once WorkOS answers again after at least one failed probe; false if the first probe got through. */
  over: Promise<boolean>;
  waiters: number;
  stop: AbortController;
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise itself carries on). */
function unlessAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Per-call hooks: a stop signal, and a callback run after pacing, right before the request leaves. */
export interface CallOptions {
  signal?: AbortSignal;
  onSend?: () => void;
}

export interface WorkOSUser {
  id: string;
  email: string;
  externalId: string | null;
  firstName: string | null;
  lastName: string | null;
  emailVerified: boolean;
  metadata: Record<string, string>;
}

/** What the import sets on a user found in WorkOS (an adopted one): only what it lacks. */
export interface UserPatch {
  /** A changed address (sync): WorkOS answers email_not_available when another user holds it. */
  email?: string;
  passwordHash?: string;
  passwordHashType?: string;
  externalId?: string;
  firstName?: string;
  lastName?: string;
  emailVerified?: boolean;
  /** The whole metadata object to hold (what it had, and the keys added). */
  metadata?: Record<string, string>;
}

const userOf = (u: { id: string; email: string; externalId?: string | null; firstName?: string | null; lastName?: string | null; emailVerified?: boolean; metadata?: Record<string, string> | null }): WorkOSUser => ({
  id: u.id,
  email: u.email,
  externalId: u.externalId ?? null,
  firstName: u.firstName ?? null,
  lastName: u.lastName ?? null,
  emailVerified: u.emailVerified === true,
  metadata: { ...(u.metadata ?? {}) },
});

export interface OrganizationDomain {
  domain: string;
  state: 'pending' | 'verified';
}

export interface WorkOSOrganization {
  id: string;
  domains: OrganizationDomain[];
}

export interface WorkOSInvitation {
  id: string;
  email: string;
  organizationId: string | null;
  state: string;
}

export interface WorkOSMembership {
  id: string;
  userId: string;
  organizationId: string;
  roleSlugs: string[];
}

export function environmentOfKey(apiKey: string): 'test' | 'production' | 'unknown' {
  if (apiKey.startsWith('sk_test_')) return 'test';
  if (apiKey.startsWith('sk_live_')) return 'production';
  return 'unknown';
}

function sdkFor(apiKey: string, apiUrl: string, timeoutMs: number): WorkOS {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new ExpectedError(`WORKOS_API_URL is not a URL: ${apiUrl}.`, 'Use a full URL such as http://127.0.0.1:4100.');
  }
  const https = url.protocol === 'https:';
  return new WorkOS(apiKey, {
    apiHostname: url.hostname,
    https,
    port: url.port ? Number(url.port) : undefined,
    timeout: timeoutMs,
  } as ConstructorParameters<typeof WorkOS>[1]);
}

const membershipOf = (m: { id: string; userId: string; organizationId: string; role?: { slug: string }; roles?: { slug: string }[] }): WorkOSMembership => ({
  id: m.id,
  userId: m.userId,
  organizationId: m.organizationId,
  roleSlugs: m.roles?.length ? m.roles.map((r) => r.slug) : m.role ? [m.role.slug] : [],
});

/**
 * WorkOS as the migration's target: the real SDK behind one shared pacer per rate-limit bucket.
 * Every call waits for its bucket(s); 429s are absorbed here (nothing landed); reads retry
 * transient errors here (they are safe to repeat); writes hand transient errors back, because
 * only the importer knows how to check whether a lost write landed.
 *
 * When a call gets no answer at all (refused, reset, timed out) after WorkOS has answered once,
 * WorkOS may be away as a whole: every call then waits while one probe asks every
 * `probeEveryMs`, however long it takes (a stop signal still ends the wait). Calls that are safe
 * to repeat go again by themselves; a write that may have landed is handed back marked `outage`.
 */
export class WorkOSTarget {
  readonly sdk: WorkOS;
  readonly pacers: Record<BucketName, Pacer>;
  readonly apiUrl: string;
  readonly environment: 'test' | 'production' | 'unknown';
  readonly probeEveryMs: number;
  private readonly readRetries: number;
  private readonly onRateLimited?: TargetOptions['onRateLimited'];
  /** A short-timeout client for outage probes: a probe into a black hole must not hold a stop for long. */
  private readonly probeSdk: WorkOS;
  /** Before WorkOS has answered once, no answer means a wrong address, not an outage to wait out. */
  private reachedOnce = false;
  private outage: Outage | undefined;
  private readonly connectivityListeners = new Set<(event: Connectivity) => void>();
  calls = 0;

  constructor(options: TargetOptions) {
    this.apiUrl = options.apiUrl ?? DEFAULT_API_URL;
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.sdk = sdkFor(options.apiKey, this.apiUrl, timeoutMs);
    this.probeSdk = sdkFor(options.apiKey, this.apiUrl, Math.min(timeoutMs, 10_000));
    this.probeEveryMs = options.probeEveryMs ?? 5_000;
    this.environment = environmentOfKey(options.apiKey);
    const limits = { ...WORKOS_LIMITS, ...options.limits };
    this.pacers = {
      writes: new Pacer({ name: 'writes', ...limits.writes }),
      reads: new Pacer({ name: 'reads', ...limits.reads }),
      general: new Pacer({ name: 'general', ...limits.general }),
    };
    this.readRetries = options.readRetries ?? 8;
    this.onRateLimited = options.onRateLimited;
  }

  /**
   * One paced call. `bucket` is the AuthKit bucket it falls in (null for organizations and
   * roles, which count only against the general bucket).
   */
  async call<T>(bucket: 'writes' | 'reads' | null, fn: () => Promise<T>, options: CallOptions & { idempotent: boolean }): Promise<T> {
    let transientAttempts = 0;
    for (;;) {
      // While a probe asks whether WorkOS is back, nothing else is sent.
      if (this.outage) await this.waitForWorkOS(options.signal);
      // The shared general bucket first, the tighter AuthKit bucket last: a token is never held
      // while waiting on another bucket, so no backlog of write tokens can burst out together.
      await this.pacers.general.acquire(options.signal);
      if (bucket) await this.pacers[bucket].acquire(options.signal);
      options.onSend?.();
      this.calls++;
      try {
        const result = await fn();
        this.reachedOnce = true;
        if (bucket) this.pacers[bucket].onSuccess();
        this.pacers.general.onSuccess();
        return result;
      } catch (error) {
        const info = classifyWorkOSError(error);
        if (info.kind !== 'transient' || !info.connection) this.reachedOnce = true;
        if (info.kind === 'transient' && info.connection && this.reachedOnce) {
          const outage = await this.waitForWorkOS(options.signal);
          // After a real outage nothing counts against the call: WorkOS was away, not the call wrong.
          // A single lost answer (the probe got through at once) counts like any transient error.
          const safeToRepeat = options.idempotent || info.sent === false;
          if (safeToRepeat && (outage || transientAttempts++ < this.readRetries)) continue;
          throw new WorkOSCallError({ ...info, outage });
        }
        if (info.kind === 'rate_limited') {
          const waitMs = info.retryAfterMs ?? 1_000;
          // Which bucket tripped is not said; slowing both is the safe reading.
          if (bucket) this.pacers[bucket].onRateLimited(waitMs);
          this.pacers.general.onRateLimited(waitMs);
          this.onRateLimited?.(bucket ?? 'general', waitMs);
          continue;
        }
        if (info.kind === 'transient' && options.idempotent && transientAttempts < this.readRetries) {
          await sleep(backoffMs(transientAttempts++), options.signal);
          continue;
        }
        throw new WorkOSCallError(info);
      }
    }
  }

  /** Told when WorkOS becomes unreachable and when it answers again; returns the unsubscribe. */
  onConnectivity(listener: (event: Connectivity) => void): () => void {
    this.connectivityListeners.add(listener);
    return () => this.connectivityListeners.delete(listener);
  }

  /**
   * Waits until WorkOS answers again, sharing one probe among every waiting call. Resolves true
   * when it was away (a probe failed), false when the first probe got through.
   */
  private async waitForWorkOS(signal?: AbortSignal): Promise<boolean> {
    const outage = (this.outage ??= this.startProbing());
    outage.waiters++;
    try {
      return await unlessAborted(outage.over, signal);
    } finally {
      // Everyone stopped waiting (a stop): no probe keeps running for nobody.
      if (--outage.waiters === 0) {
        outage.stop.abort();
        if (this.outage === outage) this.outage = undefined;
      }
    }
  }

  private startProbing(): Outage {
    const stop = new AbortController();
    const since = new Date();
    const outage: Outage = { since, waiters: 0, stop, over: Promise.resolve(false) };
    outage.over = (async () => {
      let failed = 0;
      try {
        for (;;) {
          if (failed) await sleep(this.probeEveryMs, stop.signal);
          const code = await this.probe(stop.signal);
          if (code === null) break;
          if (++failed === 1) this.tell({ state: 'unreachable', since, code, retryEveryMs: this.probeEveryMs });
        }
        if (failed) this.tell({ state: 'reachable', since: new Date(), downMs: Date.now() - since.getTime() });
        return failed > 0;
      } finally {
        if (this.outage === outage) this.outage = undefined;
      }
    })();
    outage.over.catch(() => {}); // stopped: its waiters are gone
    return outage;
  }

  /** One paced read; null when WorkOS answered (whatever it said), else the network error's code. */
  private async probe(signal: AbortSignal): Promise<string | null> {
    for (let tries = 0; ; tries++) {
      await this.pacers.general.acquire(signal);
      await this.pacers.reads.acquire(signal);
      this.calls++;
      try {
        await this.probeSdk.userManagement.listUsers({ limit: 1 });
        return null;
      } catch (error) {
        const info = classifyWorkOSError(error);
        if (info.kind !== 'transient' || !info.connection) return null;
        // A cut connection may be a pooled one the server closed earlier: one fresh try says more.
        if (info.sent === false || tries > 0) return info.code;
      }
    }
  }

  private tell(event: Connectivity): void {
    for (const listener of this.connectivityListeners) listener(event);
  }

  /** One live read proving the key works; a rejected key is the operator's to fix. */
  async checkKey(opts: CallOptions = {}): Promise<void> {
    try {
      await this.call('reads', () => this.sdk.userManagement.listUsers({ limit: 1 }), { idempotent: true, ...opts });
    } catch (error) {
      if (error instanceof WorkOSCallError && error.info.kind === 'unauthorized') {
        throw new ExpectedError(
          `WorkOS rejected the API key (${this.apiUrl} answered 401).`,
          'Check WORKOS_API_KEY: it must be a secret key (sk_...) of the environment you migrate into, with User Management enabled.',
        );
      }
      if (error instanceof WorkOSCallError && error.info.kind === 'transient') {
        throw new ExpectedError(`Cannot reach WorkOS at ${this.apiUrl}: ${error.info.message}.`, 'Check the network, or WORKOS_API_URL / --workos-url.');
      }
      throw error;
    }
  }

  async listEnvironmentRoles(opts: CallOptions = {}): Promise<{ slug: string; name: string }[]> {
    const list = await this.call(null, () => this.sdk.authorization.listEnvironmentRoles(), { idempotent: true, ...opts });
    return list.data.map((r) => ({ slug: r.slug, name: r.name }));
  }

  async createOrganization(
    input: { name: string; externalId: string; metadata?: Record<string, string>; domains: { domain: string; state: 'pending' | 'verified' }[] },
    idempotencyKey: string,
    opts: CallOptions = {},
  ): Promise<string> {
    const org = await this.call(
      null,
      () =>
        this.sdk.organizations.createOrganization(
          {
            name: input.name,
            externalId: input.externalId,
            metadata: input.metadata,
            domainData: input.domains.length ? (input.domains as never) : undefined,
          },
          { idempotencyKey },
        ),
      { idempotent: false, ...opts },
    );
    return org.id;
  }

  /** Replaces an organization's domains (used to add them back one at a time after a refusal). */
  async setOrganizationDomains(organizationId: string, domains: OrganizationDomain[], opts: CallOptions = {}): Promise<void> {
    // Setting the whole list is idempotent: repeating it after a lost answer is harmless.
    await this.call(null, () => this.sdk.organizations.updateOrganization({ organization: organizationId, domainData: domains as never }), {
      idempotent: true,
      ...opts,
    });
  }

  async findOrganizationByExternalId(externalId: string, opts: CallOptions = {}): Promise<string | null> {
    return (await this.findOrganization(externalId, opts))?.id ?? null;
  }

  /** The organization with this external id, with the domains it has now. */
  async findOrganization(externalId: string, opts: CallOptions = {}): Promise<WorkOSOrganization | null> {
    try {
      const org = await this.call(null, () => this.sdk.organizations.getOrganizationByExternalId(encodeURIComponent(externalId)), { idempotent: true, ...opts });
      return { id: org.id, domains: org.domains.map((d) => ({ domain: d.domain, state: String(d.state).endsWith('verified') ? 'verified' : 'pending' })) };
    } catch (error) {
      if (error instanceof WorkOSCallError && error.info.kind === 'not_found') return null;
      throw error;
    }
  }

  async createUser(
    input: {
      email: string;
      firstName?: string;
      lastName?: string;
      emailVerified?: boolean;
      externalId: string;
      metadata?: Record<string, string>;
      passwordHash?: string;
      passwordHashType?: string;
    },
    opts: CallOptions = {},
  ): Promise<string> {
    // The SDK's type omits pbkdf2 from the hash types; the API accepts it.
    const user = await this.call('writes', () => this.sdk.userManagement.createUser(input as never), { idempotent: false, ...opts });
    return user.id;
  }

  /**
   * Sets what an adopted user lacks: the source's password hash, its external id, empty names,
   * metadata keys. Setting values is idempotent, so a lost answer is simply asked again.
   */
  async updateUser(userId: string, patch: UserPatch, opts: CallOptions = {}): Promise<void> {
    // The SDK's type omits pbkdf2 from the hash types; the API accepts it.
    await this.call('writes', () => this.sdk.userManagement.updateUser({ userId, ...patch } as never), { idempotent: true, ...opts });
  }

  /** Deletes a user; one already gone counts as deleted (a repeated call after a lost answer). */
  async deleteUser(userId: string, opts: CallOptions = {}): Promise<void> {
    try {
      await this.call('writes', () => this.sdk.userManagement.deleteUser(userId), { idempotent: true, ...opts });
    } catch (error) {
      if (error instanceof WorkOSCallError && error.info.kind === 'not_found') return;
      throw error;
    }
  }

  async findUserByExternalId(externalId: string, opts: CallOptions = {}): Promise<WorkOSUser | null> {
    try {
      const user = await this.call('reads', () => this.sdk.userManagement.getUserByExternalId(encodeURIComponent(externalId)), { idempotent: true, ...opts });
      return userOf(user);
    } catch (error) {
      if (error instanceof WorkOSCallError && error.info.kind === 'not_found') return null;
      throw error;
    }
  }

  async getUser(id: string, opts: CallOptions = {}): Promise<WorkOSUser | null> {
    try {
      const user = await this.call('reads', () => this.sdk.userManagement.getUser(id), { idempotent: true, ...opts });
      return userOf(user);
    } catch (error) {
      if (error instanceof WorkOSCallError && error.info.kind === 'not_found') return null;
      throw error;
    }
  }

  /** Counts the environment's users by paging through them (100 a page). */
  async countUsers(opts: CallOptions = {}): Promise<number> {
    let count = 0;
    let after: string | undefined;
    do {
      const page = await this.call('reads', () => this.sdk.userManagement.listUsers({ limit: 100, after }), { idempotent: true, ...opts });
      count += page.data.length;
      after = page.listMetadata?.after ?? undefined;
    } while (after);
    return count;
  }

  async findUserByEmail(email: string, opts: CallOptions = {}): Promise<WorkOSUser | null> {
    const list = await this.call('reads', () => this.sdk.userManagement.listUsers({ email, limit: 1 }), { idempotent: true, ...opts });
    const user = list.data.find((u) => u.email.toLowerCase() === email.toLowerCase());
    return user ? userOf(user) : null;
  }

  async createMembership(input: { userId: string; organizationId: string; roleSlugs: string[] }, opts: CallOptions = {}): Promise<WorkOSMembership> {
    const roles =
      input.roleSlugs.length === 0 ? {} : input.roleSlugs.length === 1 ? { roleSlug: input.roleSlugs[0] } : { roleSlugs: input.roleSlugs };
    const membership = await this.call(
      'writes',
      () => this.sdk.userManagement.createOrganizationMembership({ userId: input.userId, organizationId: input.organizationId, ...roles } as never),
      { idempotent: false, ...opts },
    );
    return membershipOf(membership as never);
  }

  async findMembership(userId: string, organizationId: string, opts: CallOptions = {}): Promise<WorkOSMembership | null> {
    const list = await this.call('reads', () => this.sdk.userManagement.listOrganizationMemberships({ userId, organizationId, limit: 1 }), { idempotent: true, ...opts });
    return list.data[0] ? membershipOf(list.data[0] as never) : null;
  }

  /** Invites `email` to an organization: WorkOS sends the invitation email. */
  async sendInvitation(input: { email: string; organizationId: string; roleSlug?: string }, opts: CallOptions = {}): Promise<WorkOSInvitation> {
    const invitation = await this.call('writes', () => this.sdk.userManagement.sendInvitation(input), { idempotent: false, ...opts });
    return { id: invitation.id, email: invitation.email, organizationId: invitation.organizationId ?? null, state: invitation.state };
  }

  /** A pending or accepted invitation of `email` to the organization (one sent before a crash). */
  async findInvitation(email: string, organizationId: string, opts: CallOptions = {}): Promise<WorkOSInvitation | null> {
    const list = await this.call('reads', () => this.sdk.userManagement.listInvitations({ email, organizationId, limit: 100 }), { idempotent: true, ...opts });
    const found = list.data.find(
      (i) => i.email.toLowerCase() === email.toLowerCase() && i.organizationId === organizationId && (i.state === 'pending' || i.state === 'accepted'),
    );
    return found ? { id: found.id, email: found.email, organizationId: found.organizationId ?? null, state: found.state } : null;
  }

  /**
   * Enrolls a TOTP factor with the source's secret (an AuthKit write). The answer carries the
   * secret back (and a QR code of it): only the factor's id leaves this method.
   */
  async enrollTotpFactor(userId: string, totpSecret: string, opts: CallOptions = {}): Promise<{ id: string }> {
    const enrolled = await this.call('writes', () => this.sdk.userManagement.enrollAuthFactor({ userId, type: 'totp', totpSecret }), { idempotent: false, ...opts });
    return { id: enrolled.authenticationFactor.id };
  }

  /** The user's TOTP factors (ids), as WorkOS lists them (without their secrets). */
  async listTotpFactors(userId: string, opts: CallOptions = {}): Promise<{ id: string }[]> {
    const ids: { id: string }[] = [];
    let after: string | undefined;
    do {
      const page = await this.call('reads', () => this.sdk.userManagement.listAuthFactors({ userId, limit: 100, after }), { idempotent: true, ...opts });
      for (const factor of page.data) if (factor.type === 'totp') ids.push({ id: factor.id });
      after = page.listMetadata?.after ?? undefined;
    } while (after);
    return ids;
  }

  async updateMembershipRoles(membershipId: string, roleSlugs: string[], opts: CallOptions = {}): Promise<WorkOSMembership> {
    const roles = roleSlugs.length === 1 ? { roleSlug: roleSlugs[0] } : { roleSlugs };
    // Setting a role is idempotent: repeating it after a lost answer is harmless.
    const membership = await this.call('writes', () => this.sdk.userManagement.updateOrganizationMembership(membershipId, roles as never), { idempotent: true, ...opts });
    return membershipOf(membership as never);
  }
}
