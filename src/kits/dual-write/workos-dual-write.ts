/**
 * Dual-write to WorkOS, written by `workos-migrate dual-write`: yours to edit and keep.
 *
 * While the migration runs (and until cutover), your application stays the system of record and
 * mirrors each change of a user into WorkOS: sign-up, email change, password change, deletion.
 * Call these functions right after your own write succeeded (see docs/dual-write.md of
 * workos-migrate for Better Auth hooks, Auth0 Actions and a plain handler).
 *
 * - Never fails your request: every function resolves (never rejects). When WorkOS is down or
 *   rate-limits, the change waits in a durable queue and is delivered, in order, by `flush()` (run
 *   it on a timer with `start()`, or from your own job runner).
 * - Finds users by `externalId` = your user id, so a user created here while `workos-migrate`
 *   imports is adopted by the importer (found by external id), never duplicated; and a user the
 *   importer created first is adopted here.
 * - Stores the WorkOS user id through your `saveWorkosUserId` callback (your `workos_user_id`).
 * - A plain password is sent at once or not at all: it is never written to the queue. Pass the
 *   hash your application stores (`passwordHash` + `passwordHashType`) and it can wait safely.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkOS } from '@workos-inc/node';

/** The hash types WorkOS imports (pbkdf2 is missing from some SDK versions' types). */
export type WorkOSPasswordHashType = 'bcrypt' | 'scrypt' | 'firebase-scrypt' | 'pbkdf2' | 'argon2' | 'ssha';

/** A user of your application, as these functions need it. */
export interface AppUser {
  /** Your user id; becomes the WorkOS user's `externalId`. */
  id: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  emailVerified?: boolean;
  /** Your `workos_user_id` column, when you have it (saves a lookup). */
  workosUserId?: string | null;
}

/** A password as your application has it: the plain one (sent at once, never queued) or its hash. */
export type PasswordInput = { password: string } | { passwordHash: string; passwordHashType: WorkOSPasswordHashType };

export type DualWriteJob =
  | { kind: 'create'; user: AppUser; passwordHash?: string; passwordHashType?: WorkOSPasswordHashType }
  | { kind: 'email'; user: AppUser; email: string; emailVerified?: boolean }
  | { kind: 'password'; user: AppUser; passwordHash: string; passwordHashType: WorkOSPasswordHashType }
  | { kind: 'delete'; user: AppUser };

export interface QueuedJob {
  id: string;
  job: DualWriteJob;
  attempts: number;
  /** Epoch ms before which it is not tried again. */
  notBefore: number;
  lastError?: string;
}

/**
 * Where waiting changes live. Back it with your own storage (a table, a Redis list) by
 * implementing these two calls; `load` returns what `save` last stored.
 */
export interface DualWriteQueue {
  load(): Promise<QueuedJob[]>;
  save(jobs: QueuedJob[]): Promise<void>;
}

/** In memory only: lost when the process ends. For tests, or with your own persistence around it. */
export function memoryQueue(): DualWriteQueue {
  let jobs: QueuedJob[] = [];
  return {
    load: async () => jobs.map((j) => ({ ...j })),
    save: async (next) => {
      jobs = next.map((j) => ({ ...j }));
    },
  };
}

/**
 * In memory, and written to `file` (atomically: a temporary file renamed over it) after each
 * change; read once, at the first use. One process per file: several instances of your app need
 * a queue of their own each, or one in your database.
 */
export function fileQueue(file: string): DualWriteQueue {
  let cache: QueuedJob[] | undefined;
  return {
    load: async () => {
      if (!cache) {
        try {
          cache = JSON.parse(await fs.promises.readFile(file, 'utf8')) as QueuedJob[];
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          cache = [];
        }
      }
      return cache.map((j) => ({ ...j }));
    },
    save: async (next) => {
      cache = next.map((j) => ({ ...j }));
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await fs.promises.writeFile(temporary, JSON.stringify(cache), { mode: 0o600 });
      await fs.promises.rename(temporary, file);
    },
  };
}

export type DualWriteEvent =
  | { type: 'delivered'; kind: DualWriteJob['kind']; appUserId: string; workosUserId?: string; adopted?: boolean }
  | { type: 'queued'; kind: DualWriteJob['kind']; appUserId: string; reason: string }
  | { type: 'failed'; kind: DualWriteJob['kind']; appUserId: string; reason: string }
  /** A plain password could not be sent (WorkOS was down) and is not kept: the user sets it again or resets it. */
  | { type: 'password_not_mirrored'; appUserId: string; reason: string };

export type MirrorResult = { status: 'delivered'; workosUserId?: string } | { status: 'queued'; reason: string } | { status: 'failed'; reason: string };

export interface DualWriteOptions {
  workos: WorkOS;
  /** Stores the WorkOS id in your database (your `workos_user_id` column). */
  saveWorkosUserId: (appUserId: string, workosUserId: string) => Promise<void>;
  /** Default: `fileQueue('.workos-dual-write-queue.json')`. */
  queue?: DualWriteQueue;
  /** Told what happened to each change (log it; alert on `failed`). */
  onEvent?: (event: DualWriteEvent) => void;
  /** After this many failed deliveries a change is given up (a `failed` event). Default 50. */
  maxAttempts?: number;
  /** First retry delay; doubles up to 5 minutes. Default 1 s. */
  retryDelayMs?: number;
}

export interface DualWrite {
  userCreated(user: AppUser, password?: PasswordInput): Promise<MirrorResult>;
  emailChanged(user: AppUser, email: string, options?: { emailVerified?: boolean }): Promise<MirrorResult>;
  passwordChanged(user: AppUser, password: PasswordInput): Promise<MirrorResult>;
  userDeleted(user: AppUser): Promise<MirrorResult>;
  /** Delivers waiting changes in order; stops at the first that must wait longer. Returns how many are left. */
  flush(): Promise<number>;
  pending(): Promise<QueuedJob[]>;
  /** Flushes every `everyMs` (default 10 s) until `stop()`; the timer does not keep the process alive. */
  start(everyMs?: number): void;
  stop(): void;
}

interface SdkError {
  status?: number;
  code?: string;
  errors?: { code?: string }[];
  rawData?: { code?: string; errors?: { code?: string }[] };
  message?: string;
}

const codesOf = (e: SdkError) => [e.code, e.rawData?.code, ...(e.errors ?? []).map((x) => x.code), ...(e.rawData?.errors ?? []).map((x) => x.code)];

/** No answer, a timeout, a rate limit or a server error: worth trying again later. */
function isTransient(error: unknown): boolean {
  const status = (error as SdkError | undefined)?.status;
  return typeof status !== 'number' || status === 408 || status === 429 || status >= 500;
}

function isConflict(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  return e.status === 409 || codesOf(e).some((c) => c === 'email_not_available' || c === 'external_id_already_used' || c === 'user_already_exists');
}

/** A change for a user WorkOS does not hold yet: retried later, without holding back other users. */
class NotInWorkOSYet extends Error {}

const isNotFound = (error: unknown) => (error as SdkError | undefined)?.status === 404;
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
const optional = (value: string | null | undefined) => (value === null || value === undefined || value === '' ? undefined : value);

export function createDualWrite(options: DualWriteOptions): DualWrite {
  const { workos } = options;
  const queue = options.queue ?? fileQueue('.workos-dual-write-queue.json');
  const maxAttempts = options.maxAttempts ?? 50;
  const baseDelay = options.retryDelayMs ?? 1_000;
  const tell = (event: DualWriteEvent) => options.onEvent?.(event);
  // One change at a time touches the queue, so order holds across concurrent requests.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  let timer: NodeJS.Timeout | undefined;

  /** The WorkOS user of an app user: the stored id, else by external id, else by email. */
  async function findWorkOSUser(user: AppUser): Promise<{ id: string; externalId: string | null } | undefined> {
    if (user.workosUserId) {
      try {
        const found = await workos.userManagement.getUser(user.workosUserId);
        return { id: found.id, externalId: found.externalId ?? null };
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    try {
      const found = await workos.userManagement.getUserByExternalId(user.id);
      return { id: found.id, externalId: found.externalId ?? null };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const listed = await workos.userManagement.listUsers({ email: user.email.toLowerCase() });
    const found = listed.data[0];
    return found ? { id: found.id, externalId: found.externalId ?? null } : undefined;
  }

  /** One change, sent now; throws what WorkOS answered. */
  async function deliver(job: DualWriteJob, password?: string): Promise<{ workosUserId?: string; adopted?: boolean }> {
    const { user } = job;
    switch (job.kind) {
      case 'create': {
        const secret = password !== undefined ? { password } : job.passwordHash ? { passwordHash: job.passwordHash, passwordHashType: job.passwordHashType } : {};
        let workosUserId: string;
        let adopted = false;
        try {
          const created = await workos.userManagement.createUser({
            email: user.email,
            firstName: optional(user.firstName),
            lastName: optional(user.lastName),
            emailVerified: user.emailVerified ?? false,
            externalId: user.id,
            ...(secret as object),
          });
          workosUserId = created.id;
        } catch (error) {
          if (!isConflict(error)) throw error;
          // Created already: by the importer, or by an earlier delivery whose answer was lost.
          const found = await findWorkOSUser(user);
          if (!found) throw error;
          workosUserId = found.id;
          adopted = true;
          await workos.userManagement.updateUser({ userId: found.id, ...(found.externalId ? {} : { externalId: user.id }), ...(secret as object) });
        }
        await options.saveWorkosUserId(user.id, workosUserId);
        return { workosUserId, adopted };
      }
      case 'email':
      case 'password': {
        const found = await findWorkOSUser(user);
        // Not in WorkOS yet (its create waits, or the import has not reached it): try again later.
        if (!found) throw new NotInWorkOSYet(`no WorkOS user for ${user.id} (${user.email}) yet`);
        if (job.kind === 'email') {
          await workos.userManagement.updateUser({ userId: found.id, email: job.email, ...(job.emailVerified === undefined ? {} : { emailVerified: job.emailVerified }) });
        } else {
          const secret = password !== undefined ? { password } : { passwordHash: job.passwordHash, passwordHashType: job.passwordHashType };
          await workos.userManagement.updateUser({ userId: found.id, ...(secret as object) });
        }
        return { workosUserId: found.id };
      }
      case 'delete': {
        const found = await findWorkOSUser(user);
        if (found) await workos.userManagement.deleteUser(found.id);
        return { workosUserId: found?.id };
      }
    }
  }

  const appUserId = (job: DualWriteJob) => job.user.id;
  const delayFor = (attempts: number) => Math.min(baseDelay * 2 ** Math.max(0, attempts - 1), 5 * 60_000);

  /** `tried`: it failed once just now (wait before the next try); else it only waits its turn. */
  async function enqueue(job: DualWriteJob, reason: string, tried: boolean): Promise<MirrorResult> {
    const jobs = await queue.load();
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    jobs.push({ id, job, attempts: tried ? 1 : 0, notBefore: Date.now() + (tried ? baseDelay : 0), lastError: reason });
    await queue.save(jobs);
    tell({ type: 'queued', kind: job.kind, appUserId: appUserId(job), reason });
    return { status: 'queued', reason };
  }

  /** Sends a change now unless changes of the same user wait (order first), queueing it when WorkOS cannot take it. */
  function mirror(job: DualWriteJob, password?: string): Promise<MirrorResult> {
    return serial(async () => {
      const waiting = (await queue.load()).some((q) => appUserId(q.job) === appUserId(job));
      if (waiting) return enqueue(stripped(job, password), 'changes of this user are still waiting', false);
      try {
        const done = await deliver(job, password);
        tell({ type: 'delivered', kind: job.kind, appUserId: appUserId(job), ...done });
        return { status: 'delivered', workosUserId: done.workosUserId };
      } catch (error) {
        if (!isTransient(error)) {
          const reason = describe(error);
          tell({ type: 'failed', kind: job.kind, appUserId: appUserId(job), reason });
          return { status: 'failed', reason };
        }
        return enqueue(stripped(job, password), describe(error), true);
      }
    });
  }

  /** What may wait in the queue: never a plain password (said once, as an event). */
  function stripped(job: DualWriteJob, password?: string): DualWriteJob {
    if (password !== undefined) {
      tell({ type: 'password_not_mirrored', appUserId: appUserId(job), reason: 'WorkOS could not take it now and a plain password is never queued; pass the stored hash instead' });
    }
    return job;
  }

  /**
   * One pass over the queue. Order holds per user (a user's later change waits behind its earlier
   * one); other users' changes go on. No answer at all means WorkOS is down: the pass ends there.
   */
  async function flush(): Promise<number> {
    return serial(async () => {
      const jobs = await queue.load();
      const kept: QueuedJob[] = [];
      const blocked = new Set<string>();
      let down = false;
      for (let i = 0; i < jobs.length; i++) {
        const queued = jobs[i];
        const uid = appUserId(queued.job);
        if (down || blocked.has(uid) || queued.notBefore > Date.now()) {
          blocked.add(uid);
          kept.push(queued);
          continue;
        }
        try {
          const done = await deliver(queued.job);
          tell({ type: 'delivered', kind: queued.job.kind, appUserId: uid, ...done });
        } catch (error) {
          const attempts = queued.attempts + 1;
          if (!isTransient(error) || attempts >= maxAttempts) {
            tell({ type: 'failed', kind: queued.job.kind, appUserId: uid, reason: describe(error) });
          } else {
            kept.push({ ...queued, attempts, notBefore: Date.now() + delayFor(attempts), lastError: describe(error) });
            blocked.add(uid);
            down = !(error instanceof NotInWorkOSYet) && typeof (error as SdkError | undefined)?.status !== 'number';
          }
        }
        // Saved after each change: a crash sends again at most the change in flight (each is safe to repeat).
        await queue.save([...kept, ...jobs.slice(i + 1)]);
      }
      return kept.length;
    });
  }

  return {
    userCreated: (user, password) => {
      if (password && 'password' in password) return mirror({ kind: 'create', user }, password.password);
      return mirror({ kind: 'create', user, ...(password ?? {}) });
    },
    emailChanged: (user, email, opts = {}) => mirror({ kind: 'email', user, email, emailVerified: opts.emailVerified }),
    passwordChanged: async (user, password) => {
      if ('password' in password) {
        // Nothing to queue without the secret: the change is sent now or reported.
        return serial(async () => {
          try {
            const done = await deliver({ kind: 'password', user, passwordHash: '', passwordHashType: 'bcrypt' }, password.password);
            tell({ type: 'delivered', kind: 'password', appUserId: user.id, ...done });
            return { status: 'delivered' as const, workosUserId: done.workosUserId };
          } catch (error) {
            const reason = `${describe(error)}; a plain password is never queued: pass the stored hash to let it wait`;
            tell({ type: 'password_not_mirrored', appUserId: user.id, reason });
            return { status: 'failed' as const, reason };
          }
        });
      }
      return mirror({ kind: 'password', user, ...password });
    },
    userDeleted: (user) => mirror({ kind: 'delete', user }),
    flush,
    pending: () => queue.load(),
    start: (everyMs = 10_000) => {
      if (timer) return;
      timer = setInterval(() => void flush().catch(() => undefined), everyMs);
      timer.unref();
    },
    stop: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
