/**
 * Rollback: deletes from WorkOS exactly what one journal created, and nothing it adopted.
 *
 * The journal tells them apart: a done record's `outcome` is `created` (this tool made it, or its
 * own lost write was found again) or `adopted` (it was in WorkOS before). Order: memberships
 * (those of adopted users; a created user's go with it, WorkOS deletes them along, one write saved
 * each) and the invitations this journal sent, then users, then organizations. An organization
 * that still holds memberships this journal did not create (someone else's, added since) is kept
 * and named, never deleted with them.
 *
 * Each deletion is committed in the journal (rollback_state in_flight) before its call and done
 * after it; a stopped rollback deletes its in_flight records again, where a 404 says "already
 * gone": nothing is deleted twice and a resumed rollback ends without an error. Paced by the
 * target's buckets (writes for users and memberships; general plus the organization-delete bucket
 * for organizations). The journal records the rollback (meta `rollback`), so status and resume
 * know.
 */
import { setMaxListeners } from 'node:events';
import { ExpectedError } from '../errors.js';
import type { EventBus } from './events.js';
import type { Journal } from './journal/journal.js';
import type { BucketLimit, RecordKind } from './journal/types.js';
import { targetFor } from './migration.js';
import { organizationDeletePacer } from './rate/buckets.js';
import type { Pacer } from './rate/pacer.js';
import { WorkOSCallError, type WorkOSTarget } from './workos/target.js';

/** The journal's meta key for the rollback (started, finished, what it deleted). */
export const ROLLBACK_META = 'rollback';

export interface RollbackCounts {
  memberships: number;
  /** Memberships WorkOS deleted along with their (created) user. */
  membershipsWithUsers: number;
  invitations: number;
  users: number;
  organizations: number;
}

/** What the journal says of its rollback (meta `rollback`). */
export interface RollbackRecord {
  state: 'in_progress' | 'done';
  startedAt: string;
  finishedAt?: string;
  environment: string;
  apiUrl: string;
  /** Records deleted (or found gone), by kind, when done. */
  deleted?: RollbackCounts;
  /** Records kept on purpose or failed, when done. */
  kept?: number;
  failed?: number;
}

export interface RollbackPlan {
  environment: 'test' | 'production' | 'unknown';
  apiUrl: string;
  /** Still to delete. */
  toDelete: RollbackCounts;
  /** Deleted by an earlier (stopped) rollback of this journal. */
  alreadyRolledBack: number;
  /** What this journal adopted: never deleted. */
  adopted: { users: number; organizations: number; memberships: number };
  /**
   * What the import changed on records it adopted, which a rollback does not undo (a password hash
   * or external id set on an adopted user, a TOTP factor enrolled on one, a role updated).
   */
  notUndone: string[];
  /** Records an interrupted import may have created without knowing: not deleted; named. */
  uncertain: { kind: RecordKind; sourceId: string; label: string }[];
  examples: { users: string[]; organizations: string[] };
}

export interface RollbackIssue {
  kind: RecordKind | 'invitation';
  sourceId: string;
  label: string;
  workosId: string;
  note: string;
}

export type RollbackResult =
  | { status: 'planned'; plan: RollbackPlan }
  | {
      status: 'stopped' | 'done';
      plan: RollbackPlan;
      /** Deleted by this run (a 404 counts: the record is gone). */
      deleted: RollbackCounts;
      /** Of `deleted`, already gone when asked (a resumed rollback's, or deleted by hand). */
      alreadyGone: number;
      kept: RollbackIssue[];
      failed: RollbackIssue[];
    };

export interface RollbackOptions {
  /** false: only the plan (what would be deleted); nothing is written. */
  confirm: boolean;
  signal?: AbortSignal;
  /** Calls in flight at once; the pacers, not this, set the rate. */
  concurrency?: number;
  /** The organization-delete bucket (tests scale it down). */
  organizationDeletes?: BucketLimit;
  /** A target of the caller's own (tests); otherwise one from the journal's settings and `env`. */
  target?: WorkOSTarget;
  onProgress?: (kind: RecordKind | 'invitation', done: number, total: number) => void;
}

export interface RollbackContext {
  env: NodeJS.ProcessEnv;
  bus?: EventBus;
}

/** Records not yet rolled back (or caught by a stop, or failed before): the ones a run works on. */
const OPEN = `(rollback_state IS NULL OR rollback_state IN ('in_flight', 'failed'))`;

/** The users a rollback deletes: created by this journal, standing for themselves (a merged duplicate has no user of its own). */
const CREATED_USERS = `state = 'done' AND outcome = 'created' AND merged_into IS NULL AND workos_id IS NOT NULL`;

/** A membership's WorkOS user is one this rollback deletes (then WorkOS deletes the membership along). */
const USER_DELETED_TOO = `EXISTS (SELECT 1 FROM users u WHERE u.source_id = COALESCE((SELECT d.merged_into FROM users d WHERE d.source_id = m.user_source_id), m.user_source_id)
  AND u.state = 'done' AND u.outcome = 'created' AND u.merged_into IS NULL AND u.workos_id IS NOT NULL)`;

const CREATED_MEMBERSHIPS = `m.state = 'done' AND m.outcome = 'created' AND m.workos_id IS NOT NULL`;

const SQL = {
  memberships: `SELECT m.id, m.workos_id, m.imported_as, m.user_source_id || ' in ' || m.org_source_id AS label, m.user_source_id || char(31) || m.org_source_id AS source_id
                  FROM memberships m WHERE ${CREATED_MEMBERSHIPS} AND ${OPEN} AND (m.imported_as = 'invitation' OR NOT ${USER_DELETED_TOO}) ORDER BY m.id`,
  withUsers: `SELECT COUNT(*) AS n FROM memberships m WHERE ${CREATED_MEMBERSHIPS} AND ${OPEN} AND m.imported_as IS NOT 'invitation' AND ${USER_DELETED_TOO}`,
  users: `SELECT id, source_id, email AS label, workos_id FROM users WHERE ${CREATED_USERS} AND ${OPEN} ORDER BY id`,
  organizations: `SELECT id, source_id, name AS label, workos_id FROM organizations WHERE state = 'done' AND outcome = 'created' AND workos_id IS NOT NULL AND ${OPEN} ORDER BY id`,
};

interface Row {
  id: number;
  source_id: string;
  label: string;
  workos_id: string;
  imported_as?: string | null;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** What a rollback of this journal would delete, and what it leaves: read from the journal alone. */
export function rollbackPlan(journal: Journal): RollbackPlan {
  const n = (sql: string) => journal.get<{ n: number }>(sql)?.n ?? 0;
  const memberships = journal.all<Row>(SQL.memberships);
  const settings = journal.settings;
  const notUndone: string[] = [];
  const adoptedWithHash = n(`SELECT COUNT(*) AS n FROM users WHERE state = 'done' AND outcome = 'adopted' AND password_state = 'set'`);
  if (adoptedWithHash) notUndone.push(`${plural(adoptedWithHash, 'adopted user')} got the source's password hash (and any external id, names or metadata they lacked): kept as they are now`);
  const factors = n(`SELECT COUNT(*) AS n FROM users WHERE outcome = 'adopted' AND totp_state = 'done'`);
  if (factors) notUndone.push(`${plural(factors, 'TOTP factor')} enrolled on adopted users: kept`);
  const roles = n(`SELECT COUNT(*) AS n FROM memberships WHERE state = 'done' AND outcome = 'adopted' AND last_error LIKE '%role changed from%'`);
  if (roles) notUndone.push(`${plural(roles, 'adopted membership')} whose role the import changed: the new role is kept`);
  const uncertain = journal.all<{ kind: RecordKind; sourceId: string; label: string }>(
    `SELECT 'organization' AS kind, source_id AS sourceId, name AS label FROM organizations WHERE state = 'in_flight' AND outcome IS NULL
     UNION ALL SELECT 'user', source_id, email FROM users WHERE state = 'in_flight' AND outcome IS NULL
     UNION ALL SELECT 'membership', user_source_id || char(31) || org_source_id, user_source_id || ' in ' || org_source_id FROM memberships WHERE state = 'in_flight' AND outcome IS NULL`,
  );
  return {
    environment: settings.workos.environment ?? 'unknown',
    apiUrl: settings.workos.apiUrl ?? 'https://api.workos.com',
    toDelete: {
      memberships: memberships.filter((m) => m.imported_as !== 'invitation').length,
      membershipsWithUsers: n(SQL.withUsers),
      invitations: memberships.filter((m) => m.imported_as === 'invitation').length,
      users: n(`SELECT COUNT(*) AS n FROM users WHERE ${CREATED_USERS} AND ${OPEN}`),
      organizations: n(`SELECT COUNT(*) AS n FROM organizations WHERE state = 'done' AND outcome = 'created' AND workos_id IS NOT NULL AND ${OPEN}`),
    },
    alreadyRolledBack: n(
      `SELECT (SELECT COUNT(*) FROM users WHERE rollback_state = 'done') + (SELECT COUNT(*) FROM organizations WHERE rollback_state = 'done') + (SELECT COUNT(*) FROM memberships WHERE rollback_state = 'done') AS n`,
    ),
    adopted: {
      users: n(`SELECT COUNT(*) AS n FROM users WHERE state = 'done' AND outcome = 'adopted'`),
      organizations: n(`SELECT COUNT(*) AS n FROM organizations WHERE state = 'done' AND outcome = 'adopted'`),
      memberships: n(`SELECT COUNT(*) AS n FROM memberships WHERE state = 'done' AND outcome = 'adopted'`),
    },
    notUndone,
    uncertain,
    examples: {
      users: journal.all<{ t: string }>(`SELECT email AS t FROM users WHERE ${CREATED_USERS} AND ${OPEN} ORDER BY id LIMIT 3`).map((r) => r.t),
      organizations: journal
        .all<{ t: string }>(`SELECT name AS t FROM organizations WHERE state = 'done' AND outcome = 'created' AND workos_id IS NOT NULL AND ${OPEN} ORDER BY id LIMIT 3`)
        .map((r) => r.t),
    },
  };
}

/** The plan in words (the headless listing and the wizard's confirmation). */
export function rollbackPlanLines(plan: RollbackPlan): string[] {
  const t = plan.toDelete;
  const lines = [
    `Rollback in the ${plan.environment} environment at ${plan.apiUrl} deletes what this migration created:`,
    `  ${plural(t.memberships, 'membership')} of users that were already in WorkOS${t.invitations ? `, ${plural(t.invitations, 'invitation')} revoked` : ''}`,
    `  ${plural(t.users, 'user')}${t.users ? ` (e.g. ${plan.examples.users.join(', ')})` : ''}, with their ${plural(t.membershipsWithUsers, 'membership')}`,
    `  ${plural(t.organizations, 'organization')}${t.organizations ? ` (e.g. ${plan.examples.organizations.join(', ')})` : ''}`,
    `Kept (they were in WorkOS before): ${plural(plan.adopted.users, 'user')}, ${plural(plan.adopted.organizations, 'organization')}, ${plural(plan.adopted.memberships, 'membership')}.`,
  ];
  if (plan.alreadyRolledBack) lines.push(`${plural(plan.alreadyRolledBack, 'record')} already deleted by an earlier rollback of this journal.`);
  for (const note of plan.notUndone) lines.push(`Not undone: ${note}.`);
  if (plan.uncertain.length) {
    lines.push(
      `Not deleted: ${plural(plan.uncertain.length, 'record')} an interrupted import may have created (${plan.uncertain
        .slice(0, 3)
        .map((u) => `${u.kind} ${u.label}`)
        .join(', ')}${plan.uncertain.length > 3 ? ', ...' : ''}); resume the import first so the journal knows, or check them in the dashboard.`,
    );
  }
  return lines;
}

/** `fn` over `items`, `concurrency` at a time, until done or stopped. */
async function each<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !signal?.aborted) await fn(items[next++]);
    }),
  );
}

/**
 * Before anything is deleted: the key is for the environment the journal wrote to, and the records
 * it would delete are there. A 404 means "already gone" during a rollback, so a wrong key would
 * otherwise mark everything rolled back while deleting nothing.
 */
async function confirmEnvironment(journal: Journal, target: WorkOSTarget, signal?: AbortSignal): Promise<void> {
  const saved = journal.settings.workos.environment;
  if (saved && saved !== 'unknown' && target.environment !== saved) {
    throw new ExpectedError(
      `This journal was written to a ${saved} environment, but WORKOS_API_KEY is a ${target.environment} key.`,
      'Roll back with the key of the environment the migration wrote to.',
    );
  }
  const sample = journal.all<{ workos_id: string; email: string }>(
    // Users that must be there: adopted ones (never deleted), else created ones no rollback touched yet.
    `SELECT workos_id, email FROM users WHERE state = 'done' AND merged_into IS NULL AND workos_id IS NOT NULL AND (outcome = 'adopted' OR rollback_state IS NULL)
      ORDER BY outcome = 'adopted' DESC, id LIMIT 3`,
  );
  if (!sample.length) return;
  for (const user of sample) if (await target.getUser(user.workos_id, { signal })) return;
  throw new ExpectedError(
    `The users this journal imported are not in this WorkOS environment (${sample.map((u) => `${u.email} = ${u.workos_id}`).join(', ')}: none found at ${target.apiUrl}).`,
    'Roll back with the key (and WORKOS_API_URL) of the environment the migration wrote to.',
  );
}

/**
 * Rolls back what `journal` created (see the top of this file). Without `confirm` it only returns
 * the plan. The caller holds the journal's lock.
 */
export async function rollbackMigration(ctx: RollbackContext, journal: Journal, options: RollbackOptions): Promise<RollbackResult> {
  const plan = rollbackPlan(journal);
  if (!options.confirm) return { status: 'planned', plan };
  const signal = options.signal;
  // Every call in flight listens for a stop: many listeners are expected, not a leak.
  if (signal) setMaxListeners(0, signal);
  const target = options.target ?? targetFor(journal.settings, ctx.env);
  await target.checkKey({ signal });
  await confirmEnvironment(journal, target, signal);

  const previous = journal.getMeta<RollbackRecord>(ROLLBACK_META);
  journal.setMeta(ROLLBACK_META, {
    state: 'in_progress',
    startedAt: previous?.startedAt ?? new Date().toISOString(),
    environment: target.environment,
    apiUrl: target.apiUrl,
  } satisfies RollbackRecord);
  journal.touch();

  const deleted: RollbackCounts = { memberships: 0, membershipsWithUsers: 0, invitations: 0, users: 0, organizations: 0 };
  let alreadyGone = 0;
  const kept: RollbackIssue[] = [];
  const failed: RollbackIssue[] = [];
  const concurrency = options.concurrency ?? journal.settings.concurrency ?? 16;
  const say = (message: string, level: 'info' | 'warning' = 'info') => ctx.bus?.emit({ type: 'notice', level, message });
  const issue = (kind: RollbackIssue['kind'], row: Row, note: string): RollbackIssue => ({ kind, sourceId: row.source_id, label: row.label, workosId: row.workos_id, note });

  /**
   * One deletion: in_flight committed first, then the call; a 404 is "already gone". Returns
   * false when a stop caught it (the record stays in_flight and is deleted again next time).
   */
  const remove = async (kind: RecordKind, row: Row, call: () => Promise<unknown>, issueKind: RollbackIssue['kind'] = kind): Promise<'deleted' | 'gone' | 'failed' | 'stopped'> => {
    journal.markRollback(kind, row.id, 'in_flight');
    try {
      await call();
      journal.markRollback(kind, row.id, 'done');
      return 'deleted';
    } catch (error) {
      if (signal?.aborted && !(error instanceof WorkOSCallError)) return 'stopped';
      if (!(error instanceof WorkOSCallError)) throw error;
      if (error.info.kind === 'not_found') {
        journal.markRollback(kind, row.id, 'done', 'already gone from WorkOS');
        return 'gone';
      }
      if (error.info.kind === 'unauthorized') {
        throw new ExpectedError('WorkOS stopped accepting the API key during the rollback (401).', 'Check that the key was not revoked, then run the rollback again: it goes on where it stopped.');
      }
      const note = `${error.info.message}${'code' in error.info ? ` [${error.info.code}]` : ''}`;
      journal.markRollback(kind, row.id, 'failed', note);
      failed.push(issue(issueKind, row, note));
      return 'failed';
    }
  };

  // 1. Memberships of users that stay (adopted), and invitations this journal sent.
  const memberships = journal.all<Row>(SQL.memberships);
  let done = 0;
  await each(
    memberships,
    concurrency,
    async (row) => {
      const invitation = row.imported_as === 'invitation';
      const outcome = invitation
        ? await revokeInvitation(row)
        : await remove('membership', row, () => target.call('writes', () => target.sdk.userManagement.deleteOrganizationMembership(row.workos_id), { idempotent: true, signal }));
      if (outcome === 'deleted' || outcome === 'gone') deleted[invitation ? 'invitations' : 'memberships']++;
      if (outcome === 'gone') alreadyGone++;
      options.onProgress?.(invitation ? 'invitation' : 'membership', ++done, memberships.length);
    },
    signal,
  );
  if (memberships.length) say(`Rollback: ${plural(deleted.memberships, 'membership')} deleted, ${plural(deleted.invitations, 'invitation')} revoked.`);

  /** An invitation is revoked, not deleted; one no longer pending (accepted, expired) is kept and named. */
  async function revokeInvitation(row: Row): Promise<'deleted' | 'gone' | 'failed' | 'stopped'> {
    journal.markRollback('membership', row.id, 'in_flight');
    try {
      await target.call('writes', () => target.sdk.userManagement.revokeInvitation(row.workos_id), { idempotent: true, signal });
      journal.markRollback('membership', row.id, 'done', 'invitation revoked');
      return 'deleted';
    } catch (error) {
      if (signal?.aborted && !(error instanceof WorkOSCallError)) return 'stopped';
      if (!(error instanceof WorkOSCallError)) throw error;
      if (error.info.kind === 'not_found') {
        journal.markRollback('membership', row.id, 'done', 'invitation already gone from WorkOS');
        return 'gone';
      }
      if (error.info.kind === 'invalid' && /not_pending/.test(error.info.code)) {
        // Revoked by an earlier (stopped) rollback, or accepted/expired meanwhile: nothing to revoke.
        const note = `invitation not pending any more (${error.info.message}); if it was accepted, that user and membership stay`;
        journal.markRollback('membership', row.id, 'kept', note);
        kept.push(issue('invitation', row, note));
        return 'failed';
      }
      journal.markRollback('membership', row.id, 'failed', error.info.message);
      failed.push(issue('invitation', row, error.info.message));
      return 'failed';
    }
  }

  // 2. Users this journal created; their memberships go with them.
  if (!signal?.aborted) {
    const users = journal.all<Row>(SQL.users);
    done = 0;
    await each(
      users,
      concurrency,
      async (row) => {
        const outcome = await remove('user', row, () => target.call('writes', () => target.sdk.userManagement.deleteUser(row.workos_id), { idempotent: true, signal }));
        if (outcome === 'deleted' || outcome === 'gone') {
          deleted.users++;
          deleted.membershipsWithUsers += journal.markMembershipsGoneWithUser(row.source_id);
        }
        if (outcome === 'gone') alreadyGone++;
        options.onProgress?.('user', ++done, users.length);
      },
      signal,
    );
    if (users.length) say(`Rollback: ${plural(deleted.users, 'user')} deleted (with ${plural(deleted.membershipsWithUsers, 'membership')}).`);
  }

  // 3. Organizations this journal created, unless someone else's memberships are in them now.
  if (!signal?.aborted) {
    const organizations = journal.all<Row>(SQL.organizations);
    const pacer: Pacer = organizationDeletePacer(options.organizationDeletes);
    done = 0;
    await each(
      organizations,
      concurrency,
      async (row) => {
        let outcome: 'deleted' | 'gone' | 'failed' | 'stopped' | 'kept';
        try {
          const left = await target.call('reads', () => target.sdk.userManagement.listOrganizationMemberships({ organizationId: row.workos_id, limit: 5 }), {
            idempotent: true,
            signal,
          });
          if (left.data.length) {
            const note = `kept: it holds memberships this migration did not create (e.g. user ${left.data.map((m) => m.userId).join(', ')}); delete it in the dashboard if it should go`;
            journal.markRollback('organization', row.id, 'kept', note);
            kept.push(issue('organization', row, note));
            outcome = 'kept';
          } else {
            outcome = await remove('organization', row, async () => {
              await pacer.acquire(signal);
              return target.call(null, () => target.sdk.organizations.deleteOrganization(row.workos_id), { idempotent: true, signal });
            });
          }
        } catch (error) {
          if (signal?.aborted && !(error instanceof WorkOSCallError)) return;
          if (!(error instanceof WorkOSCallError)) throw error;
          // The organization itself is gone (a stopped rollback deleted it before recording it).
          if (error.info.kind === 'not_found') {
            journal.markRollback('organization', row.id, 'done', 'already gone from WorkOS');
            deleted.organizations++;
            alreadyGone++;
            options.onProgress?.('organization', ++done, organizations.length);
            return;
          }
          // The look-up failed: nothing was deleted; the next rollback asks again.
          journal.markRollback('organization', row.id, 'failed', error.info.message);
          failed.push(issue('organization', row, error.info.message));
          outcome = 'failed';
        }
        if (outcome === 'deleted' || outcome === 'gone') deleted.organizations++;
        if (outcome === 'gone') alreadyGone++;
        options.onProgress?.('organization', ++done, organizations.length);
      },
      signal,
    );
    if (organizations.length) say(`Rollback: ${plural(deleted.organizations, 'organization')} deleted.`);
  }

  const stopped = !!signal?.aborted;
  // Kept and failed records of earlier runs count too: the journal says what stands now.
  const standing = (state: string) =>
    journal.get<{ n: number }>(
      `SELECT (SELECT COUNT(*) FROM users WHERE rollback_state = ?) + (SELECT COUNT(*) FROM organizations WHERE rollback_state = ?) + (SELECT COUNT(*) FROM memberships WHERE rollback_state = ?) AS n`,
      state,
      state,
      state,
    )?.n ?? 0;
  if (!stopped) {
    const record = journal.getMeta<RollbackRecord>(ROLLBACK_META)!;
    journal.setMeta(ROLLBACK_META, {
      ...record,
      state: 'done',
      finishedAt: new Date().toISOString(),
      deleted: rolledBackCounts(journal),
      kept: standing('kept'),
      failed: standing('failed'),
    } satisfies RollbackRecord);
  }
  journal.touch();
  return { status: stopped ? 'stopped' : 'done', plan, deleted, alreadyGone, kept, failed };
}

/** Everything this journal's rollbacks deleted (all runs), by kind. */
function rolledBackCounts(journal: Journal): RollbackCounts {
  const n = (sql: string) => journal.get<{ n: number }>(sql)?.n ?? 0;
  return {
    memberships: n(`SELECT COUNT(*) AS n FROM memberships WHERE rollback_state = 'done' AND imported_as IS NOT 'invitation' AND rollback_note IS NOT 'deleted with its user'`),
    membershipsWithUsers: n(`SELECT COUNT(*) AS n FROM memberships WHERE rollback_state = 'done' AND rollback_note = 'deleted with its user'`),
    invitations: n(`SELECT COUNT(*) AS n FROM memberships WHERE rollback_state = 'done' AND imported_as = 'invitation'`),
    users: n(`SELECT COUNT(*) AS n FROM users WHERE rollback_state = 'done'`),
    organizations: n(`SELECT COUNT(*) AS n FROM organizations WHERE rollback_state = 'done'`),
  };
}

/** The journal's rollback, if one was started: for status, resume and the wizard. */
export function rollbackOf(journal: Journal): RollbackRecord | undefined {
  return journal.getMeta<RollbackRecord>(ROLLBACK_META);
}

/** One line for `status` (and the wizard's Welcome) when the journal was rolled back, or is being. */
export function rollbackStatusLine(journal: Journal): string | undefined {
  const record = rollbackOf(journal);
  if (!record) return undefined;
  if (record.state === 'in_progress') {
    return `Rolled back in part (started ${record.startedAt}, stopped before the end): \`workos-migrate rollback --journal ${journal.path} --yes\` goes on.`;
  }
  const d = record.deleted;
  return `Rolled back ${record.finishedAt}: deleted ${d ? `${plural(d.users, 'user')}, ${plural(d.organizations, 'organization')}, ${plural(d.memberships + d.membershipsWithUsers, 'membership')}` : 'what it created'}${record.kept ? `; ${record.kept} kept` : ''}${record.failed ? `; ${record.failed} failed (run the rollback again)` : ''}. Nothing of it is in WorkOS any more: a new migration needs a new journal.`;
}

/** Resume (and sync) refuse a journal that was rolled back: importing again would undo the rollback half way. */
export function refuseIfRolledBack(journal: Journal): void {
  const record = rollbackOf(journal);
  if (!record) return;
  throw new ExpectedError(
    record.state === 'done'
      ? `This migration was rolled back (${record.finishedAt}): its records were deleted from WorkOS.`
      : `This migration is being rolled back (started ${record.startedAt}, not finished).`,
    record.state === 'done'
      ? 'Start a new migration with `workos-migrate run` (a new journal); records still in WorkOS are adopted, not duplicated.'
      : `Finish it with \`workos-migrate rollback --journal ${journal.path} --yes\`, then start a new migration with \`workos-migrate run\`.`,
  );
}
