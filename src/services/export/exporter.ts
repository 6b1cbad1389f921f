import { ExpectedError } from '../../errors.js';
import type { EventBus } from '../events.js';
import { RateMeter } from '../events.js';
import type { Journal } from '../journal/journal.js';
import type { SourceProvider, SourceStats } from '../../providers/types.js';
import { validateBatch } from './validate-batch.js';

export interface ExportResult {
  completed: boolean;
  /** Units (rows, pages) the source reported, including those staged by earlier runs. */
  done: number;
  unit: string;
  staged: { organizations: number; users: number; memberships: number; issues: number };
  duplicateEmails: number;
  orphanMemberships: number;
  /** Requests and 429s of every export pass so far (API sources). */
  sourceStats?: SourceStats;
}

/** Journal meta key: requests and 429s summed over every export pass of this journal. */
export const SOURCE_STATS_KEY = 'source_stats';

/** Journal meta key: the source columns not read (`{ column, reason }[]`), over every export pass. */
export const IGNORED_COLUMNS_KEY = 'ignored_columns';

/**
 * The disk holding the journal filled up while staging. The batch being staged was rolled back
 * and the cursor still points after the last one staged: the journal is resumable as it is (a
 * caller that removes half-staged journals must keep this one).
 */
export class JournalDiskFullError extends ExpectedError {
  readonly resumable = true;
  constructor(readonly journalPath: string, code: string) {
    super(
      `The disk holding the journal ${journalPath} is full (${code}): the batch being staged was rolled back, and everything staged before it is kept.`,
      `Free some space on that disk, then run \`workos-migrate resume --journal ${journalPath}\` to go on from the last staged batch.`,
    );
    this.name = 'JournalDiskFullError';
  }
}

/** SQLite's SQLITE_FULL (better-sqlite3's `code`), or the OS's ENOSPC / EDQUOT, as a JournalDiskFullError. */
export function diskFullError(error: unknown, journalPath: string): JournalDiskFullError | undefined {
  if (error instanceof JournalDiskFullError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return new JournalDiskFullError(journalPath, code);
  return undefined;
}

/**
 * Pages the source into the journal. Each batch is validated against WorkOS's limits and staged
 * with the source's cursor in one transaction, so an interrupted export resumes at the next
 * batch without fetching anything twice, and no invalid record reaches WorkOS.
 */
export async function runExport(
  journal: Journal,
  provider: SourceProvider,
  bus: EventBus,
  options: { signal?: AbortSignal } = {},
): Promise<ExportResult> {
  try {
    return await exportInto(journal, provider, bus, options);
  } catch (error) {
    throw diskFullError(error, journal.path) ?? error;
  }
}

async function exportInto(journal: Journal, provider: SourceProvider, bus: EventBus, options: { signal?: AbortSignal }): Promise<ExportResult> {
  const saved = journal.cursor(provider.id);
  const staged = { organizations: 0, users: 0, memberships: 0, issues: 0 };
  const meter = new RateMeter();
  let done = saved?.done ?? 0;
  let unit = saved?.unit ?? 'records';
  journal.setPhase('exporting');
  bus.emit({ type: 'phase', phase: 'export', status: 'start' });
  if (saved) bus.emit({ type: 'notice', level: 'info', message: `Resuming the export of ${provider.displayName} after ${saved.done} ${saved.unit ?? 'records'}.` });

  let duplicateEmails = 0;
  let orphanMemberships = 0;
  // A source's 429 waits are said as they happen, at most one notice every 10 s, so a long wait
  // never looks like a hang.
  let lastWaitNotice = -Infinity;
  const onRateLimited = (waitMs: number) => {
    bus.emit({ type: 'rate_limited', bucket: 'source', retryAfterMs: waitMs });
    const now = performance.now();
    if (now - lastWaitNotice < 10_000) return;
    lastWaitNotice = now;
    bus.emit({ type: 'notice', level: 'info', message: `${provider.displayName} answered 429 (rate limited): waiting ${Math.max(1, Math.round(waitMs / 1000))} s, then going on where it stopped.` });
  };
  const before = journal.getMeta<SourceStats>(SOURCE_STATS_KEY) ?? { requests: 0, rateLimited: 0, waitedMs: 0 };
  const saveStats = (): SourceStats | undefined => {
    const now = provider.stats?.();
    if (!now) return undefined;
    const total = { requests: before.requests + now.requests, rateLimited: before.rateLimited + now.rateLimited, waitedMs: before.waitedMs + now.waitedMs };
    journal.setMeta(SOURCE_STATS_KEY, total);
    return total;
  };
  // Columns the source does not read, kept as the union of every batch and every pass.
  const ignored = new Map<string, string>();
  for (const c of journal.getMeta<{ column: string; reason: string }[]>(IGNORED_COLUMNS_KEY) ?? []) ignored.set(c.column, c.reason);
  let sourceStats: SourceStats | undefined;
  let failed = false;
  journal.beginBulk();
  try {
    for await (const batch of provider.export({ cursor: saved?.cursor, signal: options.signal, onRateLimited })) {
      const { issues, invalid } = validateBatch(batch);
      if (batch.ignoredColumns?.some((c) => !ignored.has(c.column))) {
        for (const c of batch.ignoredColumns) if (!ignored.has(c.column)) ignored.set(c.column, c.reason);
        // Saved before the batch: if staging it fails, the next pass names them again anyway.
        journal.setMeta(IGNORED_COLUMNS_KEY, [...ignored].map(([column, reason]) => ({ column, reason })));
      }
      if (batch.progress) {
        meter.add(batch.progress.done - done);
        done = batch.progress.done;
        unit = batch.progress.unit;
      }
      const counts = journal.stageBatch({
        ...batch,
        issues,
        invalid,
        cursor: batch.cursor === undefined ? undefined : { source: provider.id, cursor: batch.cursor, done, total: batch.progress?.total, unit },
      });
      staged.organizations += counts.organizations;
      staged.users += counts.users;
      staged.memberships += counts.memberships;
      staged.issues += counts.issues;
      const rate = meter.perSecond();
      const total = batch.progress?.total;
      bus.emit({
        type: 'progress',
        phase: 'export',
        unit,
        counts: { total: total ?? done, done, created: staged.users, adopted: 0, failed: 0, skipped: staged.issues },
        ratePerSecond: rate,
        etaSeconds: total && rate > 0 ? (total - done) / rate : undefined,
      });
      if (options.signal?.aborted) break;
    }
    if (!options.signal?.aborted) {
      ({ duplicateEmails, orphanMemberships } = journal.finalizeStaging());
      journal.setPhase('exported');
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // After a failure (a full disk most of all) these writes may fail too: the first error is
    // the one to report, and the journal is consistent without them.
    try {
      journal.endBulk();
      // Kept even when the export fails or stops: the next pass adds to them.
      sourceStats = saveStats();
    } catch (error) {
      if (!failed) throw error;
    }
  }
  const completed = !options.signal?.aborted;
  bus.emit({ type: 'phase', phase: 'export', status: 'end' });
  return { completed, done, unit, staged, duplicateEmails, orphanMemberships, sourceStats };
}
