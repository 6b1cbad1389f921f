import type { EventBus } from '../events.js';
import { RateMeter } from '../events.js';
import type { Journal } from '../journal/journal.js';
import type { OrganizationRow, UserRow } from '../journal/types.js';
import type { WorkOSTarget } from '../workos/target.js';

export interface DryRunResult {
  organizations: { create: number; adopt: number };
  users: { create: number; adopt: number; adoptByEmail: number };
  memberships: { total: number };
  stopped: boolean;
}

/**
 * `--dry-run`: the reads an import would make to find what already exists, and nothing else.
 * No record changes state; WorkOS receives no write.
 */
export async function runDryRun(
  journal: Journal,
  target: WorkOSTarget,
  bus: EventBus,
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<DryRunResult> {
  const result: DryRunResult = {
    organizations: { create: 0, adopt: 0 },
    users: { create: 0, adopt: 0, adoptByEmail: 0 },
    memberships: { total: journal.counts().membership.total },
    stopped: false,
  };
  const total = journal.counts();
  const grandTotal = total.organization.pending + total.user.pending;
  let done = 0;
  const meter = new RateMeter();
  const signal = options.signal;
  bus.emit({ type: 'phase', phase: 'dry-run', status: 'start' });
  const tick = () => {
    done++;
    meter.add();
    const rate = meter.perSecond();
    bus.emit({
      type: 'progress',
      phase: 'dry-run',
      unit: 'look-ups',
      counts: { total: grandTotal, done, created: result.organizations.create + result.users.create, adopted: result.organizations.adopt + result.users.adopt, failed: 0, skipped: 0 },
      ratePerSecond: rate,
      ceilingPerSecond: target.pacers.reads.ceilingPerSecond,
      etaSeconds: rate > 0 ? (grandTotal - done) / rate : undefined,
    });
  };

  // Pages of rows, not a live cursor: the connection must stay free between awaits.
  const pool = async <T extends { id: number }>(page: (afterId: number) => T[], each: (row: T) => Promise<void>) => {
    let lastId = 0;
    let buffer: T[] = [];
    const next = () => {
      if (!buffer.length) {
        buffer = page(lastId);
        if (buffer.length) lastId = buffer[buffer.length - 1].id;
      }
      return buffer.shift();
    };
    const worker = async () => {
      for (let row = next(); row && !signal?.aborted; row = next()) await each(row);
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
  };

  try {
    await pool((after) => journal.workableOrganizations(after, 256), async (org: OrganizationRow) => {
      if (await target.findOrganizationByExternalId(org.source_id, { signal })) result.organizations.adopt++;
      else result.organizations.create++;
      tick();
    });
    await pool((after) => journal.workableUsers(after, 256), async (user: UserRow) => {
      if (await target.findUserByExternalId(user.source_id, { signal })) result.users.adopt++;
      else if (await target.findUserByEmail(user.email, { signal })) {
        result.users.adopt++;
        result.users.adoptByEmail++;
      } else result.users.create++;
      tick();
    });
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
  result.stopped = !!signal?.aborted;
  bus.emit({ type: 'phase', phase: 'dry-run', status: 'end' });
  return result;
}
