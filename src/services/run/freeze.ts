/**
 * The signup freeze, checked: when the operator confirms sign-ups are off, the source's users are
 * counted (and its newest sign-ups noted where the source keeps a creation time). Before the
 * import and at Verify the source is counted again; users who appeared since are a leak, which
 * `workos-migrate sync` takes. A sync's own export is the next snapshot.
 */
import { CensusUnsupported } from '../../providers/lazy.js';
import type { SourceCensus, SourceProvider } from '../../providers/types.js';
import type { Journal } from '../journal/journal.js';
import type { VerifyCheck } from '../verify.js';

const SNAPSHOT_KEY = 'freeze_snapshot';

export interface FreezeSnapshot {
  at: string;
  /** The source's users at the snapshot; undefined when the source cannot count them. */
  users?: number;
  /** Why there is no count. */
  unsupported?: string;
}

export interface FreezeLeak {
  snapshot: FreezeSnapshot;
  usersNow: number;
  /** Users the source has that the snapshot and the journal do not. */
  leaked: number;
  examples: string[];
}

async function census(provider: SourceProvider): Promise<SourceCensus | string> {
  if (!provider.census) return `${provider.displayName} cannot count its users`;
  try {
    return await provider.census({ newest: 5 });
  } catch (error) {
    if (error instanceof CensusUnsupported) return `${error.source} cannot count its users`;
    throw error;
  }
}

/** Counts the source now and keeps it as the freeze's snapshot. */
export async function takeFreezeSnapshot(journal: Journal, provider: SourceProvider): Promise<FreezeSnapshot> {
  const counted = await census(provider);
  const snapshot: FreezeSnapshot = typeof counted === 'string' ? { at: new Date().toISOString(), unsupported: counted } : { at: new Date().toISOString(), users: counted.users };
  journal.setMeta(SNAPSHOT_KEY, snapshot);
  return snapshot;
}

export function freezeSnapshotOf(journal: Journal): FreezeSnapshot | undefined {
  return journal.getMeta<FreezeSnapshot>(SNAPSHOT_KEY);
}

/**
 * Counts the source again: more users than at the snapshot, or a newest sign-up the journal does
 * not hold, is a leak. Undefined when the migration has no freeze snapshot (dual-write) or the
 * source cannot count.
 */
export async function findFreezeLeak(journal: Journal, provider: () => SourceProvider): Promise<FreezeLeak | undefined> {
  const snapshot = freezeSnapshotOf(journal);
  if (!snapshot || snapshot.users === undefined) return undefined;
  const counted = await census(provider());
  if (typeof counted === 'string') return undefined;
  const unknown = (counted.newest ?? []).filter((u) => !journal.get(`SELECT 1 FROM users WHERE source_id = ?`, u.sourceId));
  const leaked = Math.max(counted.users - snapshot.users, unknown.length);
  return {
    snapshot,
    usersNow: counted.users,
    leaked,
    examples: unknown.map((u) => `${u.email} (${u.sourceId}${u.createdAt ? `, signed up ${u.createdAt}` : ''})`),
  };
}

const n = (x: number) => x.toLocaleString('en-US');

/** The Verify line of the freeze; the source is only reached when there is a snapshot to compare. */
export async function freezeCheck(journal: Journal, provider: () => SourceProvider, journalPath: string): Promise<VerifyCheck | undefined> {
  const snapshot = freezeSnapshotOf(journal);
  if (!snapshot) return undefined;
  const label = 'Sign-ups stayed frozen';
  if (snapshot.users === undefined) {
    return { id: 'freeze', label, status: 'warn', detail: `${snapshot.unsupported ?? 'The source cannot count its users'}: check by hand that no one signed up since ${snapshot.at}.` };
  }
  const leak = await findFreezeLeak(journal, provider);
  if (!leak) return undefined;
  if (!leak.leaked) {
    return { id: 'freeze', label, status: 'pass', detail: `${n(leak.usersNow)} users in the source, as at the snapshot of ${snapshot.at}.` };
  }
  return {
    id: 'freeze',
    label,
    status: 'fail',
    detail:
      `The freeze leaked: ${n(leak.leaked)} user${leak.leaked === 1 ? '' : 's'} signed up in the source after the snapshot of ${snapshot.at} (${n(snapshot.users)} then, ${n(leak.usersNow)} now) and ${leak.leaked === 1 ? 'is' : 'are'} not in WorkOS. ` +
      `Take them with: workos-migrate sync --journal ${journalPath}`,
    examples: leak.examples,
  };
}
