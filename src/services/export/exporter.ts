import type { EventBus } from '../events.js';
import { RateMeter } from '../events.js';
import type { Journal } from '../journal/journal.js';
import type { SourceProvider } from '../../providers/types.js';
import { validateBatch } from './validate-batch.js';

export interface ExportResult {
  completed: boolean;
  /** Units (rows, pages) the source reported, including those staged by earlier runs. */
  done: number;
  unit: string;
  staged: { organizations: number; users: number; memberships: number; issues: number };
  duplicateEmails: number;
  orphanMemberships: number;
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
  journal.beginBulk();
  try {
    for await (const batch of provider.export({ cursor: saved?.cursor, signal: options.signal })) {
      const { issues, invalid } = validateBatch(batch);
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
  } finally {
    journal.endBulk();
  }
  const completed = !options.signal?.aborted;
  bus.emit({ type: 'phase', phase: 'export', status: 'end' });
  return { completed, done, unit, staged, duplicateEmails, orphanMemberships };
}
