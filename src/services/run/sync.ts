/**
 * `workos-migrate sync`: until cutover (dual-write, or a freeze that leaked), the source keeps
 * changing. A pass re-exports the source into a snapshot journal beside this one (resumable like
 * any export), folds it in (journal.applySyncSnapshot: new records staged, changed users given a
 * pending update, users gone from the source marked), then the import carries what is pending and
 * the changes go to WorkOS, each committed before its call. Repeatable; each pass resumable.
 */
import fs from 'node:fs';
import { ExpectedError } from '../../errors.js';
import type { EventBus } from '../events.js';
import { runExport } from '../export/exporter.js';
import { Journal, type SyncFound } from '../journal/journal.js';
import { providerFor } from '../migration.js';
import { WorkOSCallError, type WorkOSTarget } from '../workos/target.js';
import { takeFreezeSnapshot } from './freeze.js';

const SYNC_KEY = 'sync';

export interface SyncState {
  pass: number;
  snapshot: string;
  stage: 'exporting' | 'applied';
  found?: SyncFound;
  deletions?: boolean;
}

export function syncStateOf(journal: Journal): SyncState | undefined {
  return journal.getMeta<SyncState>(SYNC_KEY);
}

/**
 * Exports the source again and folds it into the journal. Returns what was found, or undefined
 * when stopped (the next `sync` resumes the same pass).
 */
export async function syncSource(
  ctx: { env: NodeJS.ProcessEnv; bus: EventBus; signal: AbortSignal },
  journal: Journal,
  options: { deletions?: boolean } = {},
): Promise<SyncFound | undefined> {
  if (['created', 'exporting', 'exported'].includes(journal.phase)) {
    throw new ExpectedError('This migration has not been imported yet: there is nothing to sync.', `Finish it first: workos-migrate resume --journal ${journal.path}`);
  }
  let state = syncStateOf(journal);
  if (!state || state.stage === 'applied') {
    const pass = (state?.pass ?? 0) + 1;
    const snapshot = journal.path.replace(/\.db$/, '') + `.sync-${pass}.db`;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${snapshot}${suffix}`, { force: true });
    // Counted before the export reads: a sign-up during the pass is caught by the next check.
    if (journal.getMeta('freeze_snapshot')) await takeFreezeSnapshot(journal, providerFor(journal.settings, ctx.env));
    Journal.create(snapshot, journal.settings).close();
    state = { pass, snapshot, stage: 'exporting', deletions: options.deletions === true };
    journal.setMeta(SYNC_KEY, state);
  }
  ctx.bus.emit({ type: 'notice', level: 'info', message: `Sync pass ${state.pass}: reading the source again.` });
  const snapshot = Journal.open(state.snapshot);
  try {
    snapshot.lock();
    const exported = await runExport(snapshot, providerFor(journal.settings, ctx.env), ctx.bus, { signal: ctx.signal });
    if (!exported.completed) return undefined;
  } finally {
    snapshot.close();
  }
  const deletions = options.deletions ?? state.deletions ?? false;
  const found = journal.applySyncSnapshot(state.snapshot, state.pass, { deletions });
  // New records meet the journal's: a new user with a taken email is merged, not sent to adopt another person's account.
  journal.finalizeStaging();
  journal.setMeta(SYNC_KEY, { ...state, stage: 'applied', found, deletions } satisfies SyncState);
  // The snapshot held password hashes: it goes once folded in.
  for (const suffix of ['', '-wal', '-shm', '.lock']) fs.rmSync(`${state.snapshot}${suffix}`, { force: true });
  const n = (x: number) => x.toLocaleString('en-US');
  ctx.bus.emit({
    type: 'notice',
    level: 'info',
    message:
      `Sync pass ${state.pass}: ${n(found.users)} new users, ${n(found.organizations)} new organizations, ${n(found.memberships)} new memberships, ` +
      `${n(found.updated)} users changed, ${n(found.deleted)} gone from the source${found.deleted ? (deletions ? ' (to delete from WorkOS)' : ' (kept in WorkOS; --apply-deletions deletes them)') : ''}.`,
  });
  return found;
}

/**
 * Carries the pending sync changes to WorkOS: each is marked in flight before its call, so a stop
 * sends it again (setting the same values, or deleting a user already gone, changes nothing).
 */
export async function carrySyncChanges(journal: Journal, target: WorkOSTarget, bus: EventBus, signal: AbortSignal): Promise<{ done: number; failed: number; stopped: boolean }> {
  const changes = journal.pendingSyncChanges();
  let done = 0;
  let failed = 0;
  for (const change of changes) {
    if (signal.aborted) return { done, failed, stopped: true };
    journal.markSync(change.id, 'in_flight');
    try {
      if (change.sync_action === 'delete') {
        await target.deleteUser(change.workos_id, { signal });
        journal.markSyncDeleted(change.id, change.source_id);
      } else {
        const fields = JSON.parse(change.sync_changes) as string[];
        await target.updateUser(
          change.workos_id,
          {
            ...(fields.includes('email') ? { email: change.email } : {}),
            ...(fields.includes('name') ? { firstName: change.first_name ?? '', lastName: change.last_name ?? '' } : {}),
            ...(fields.includes('password') && change.password_hash ? { passwordHash: change.password_hash, passwordHashType: change.password_hash_type ?? undefined } : {}),
          },
          { signal },
        );
        journal.markSync(change.id, 'done');
      }
      done++;
    } catch (error) {
      if (signal.aborted) {
        journal.markSync(change.id, 'pending');
        return { done, failed, stopped: true };
      }
      if (!(error instanceof WorkOSCallError)) throw error;
      journal.markSync(change.id, 'failed', `${'code' in error.info ? error.info.code : error.info.kind}: ${error.message}`);
      bus.emit({ type: 'notice', level: 'warning', message: `Sync: ${change.sync_action === 'delete' ? 'deleting' : 'updating'} ${change.email} failed: ${error.message}` });
      failed++;
    }
  }
  return { done, failed, stopped: false };
}
