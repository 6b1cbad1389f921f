import path from 'node:path';
import { createEventBus, type MigrationEvent } from '../../src/services/events.js';
import { Importer, type ImportOptions } from '../../src/services/import/importer.js';
import { Journal, type StagedBatch } from '../../src/services/journal/journal.js';
import { connectivityNotice, WorkOSCallError, WorkOSTarget, type TargetOptions } from '../../src/services/workos/target.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, tempDir } from '../helpers.js';

/** A journal holding exactly `batch`, staged and finalized as an export would leave it. */
export function stagedJournal(batch: StagedBatch, dir = tempDir()): Journal {
  const journal = Journal.create(path.join(dir, 'journal.db'), {
    version: 1,
    source: { kind: 'test', options: {} },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  journal.stageBatch(batch);
  journal.finalizeStaging();
  journal.setPhase('exported');
  return journal;
}

/** The engine's import into the sandbox (real SDK, real HTTP), with every event it emitted. */
export async function importInto(
  sandbox: Sandbox,
  journal: Journal,
  options: ImportOptions = {},
  /** Target options, or a target of the test's own (one that fails a chosen call on purpose). */
  target: Partial<TargetOptions> | WorkOSTarget = {},
): Promise<{ events: MigrationEvent[]; stopped: boolean }> {
  const bus = createEventBus();
  const events: MigrationEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const workos = target instanceof WorkOSTarget ? target : new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS, ...target });
  // As the orchestration does for a run: an outage and its end are said on the bus.
  workos.onConnectivity((event) => bus.emit({ type: 'notice', ...connectivityNotice(event) }));
  const result = await new Importer(journal, workos, bus, { roleMap: { admin: 'admin', member: 'member' }, ...options }).run();
  bus.flush();
  return { events, stopped: result.stopped };
}

export const notices = (events: MigrationEvent[]) => events.flatMap((e) => (e.type === 'notice' ? [e] : []));

/** The sandbox as the engine's target, with the test limits. */
export const targetOptions = (sandbox: Sandbox): TargetOptions => ({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: FAST_LIMITS });

/** A transient failure as the target hands it back: a reset connection (the call may have landed). */
export const lostAnswer = () =>
  new WorkOSCallError({ kind: 'transient', code: 'ECONNRESET', message: 'network error (ECONNRESET)', connection: true, sent: true });
