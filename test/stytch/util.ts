import { scryptSync } from 'node:crypto';
import path from 'node:path';
import type { ExportBatch, SourceProvider } from '../../src/providers/types.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { tempDir } from '../helpers.js';

export const journalSettings = (kind: string): RunSettings => ({
  version: 1,
  source: { kind, options: { projectId: 'project-test-x' }, secretEnv: { secret: 'STYTCH_SECRET' } },
  workos: { apiKeyEnv: 'WORKOS_API_KEY' },
  createdAt: new Date().toISOString(),
});

export function newJournal(kind: string): { journal: Journal; file: string } {
  const file = path.join(tempDir('wm-stytch-'), 'run.db');
  return { journal: Journal.create(file, journalSettings(kind)), file };
}

/**
 * The provider as a process that gets stopped: after `batches` batches have been handed to the
 * exporter, the signal aborts (the exporter stages that batch, then stops).
 */
export function stopAfter(provider: SourceProvider, batches: number, controller: AbortController): SourceProvider {
  return {
    id: provider.id,
    displayName: provider.displayName,
    check: () => provider.check(),
    async *export(options) {
      let n = 0;
      for await (const batch of provider.export(options)) {
        if (++n >= batches) controller.abort(new Error('stopped by the test'));
        yield batch;
      }
    },
  };
}

/** Every batch the provider yields, straight (no journal). */
export async function collect(provider: SourceProvider, cursor?: string, signal?: AbortSignal): Promise<ExportBatch[]> {
  const out: ExportBatch[] = [];
  for await (const batch of provider.export({ cursor, signal })) out.push(batch);
  return out;
}

export function flatten(batches: ExportBatch[]) {
  return {
    organizations: batches.flatMap((b) => b.organizations ?? []),
    users: batches.flatMap((b) => b.users ?? []),
    memberships: batches.flatMap((b) => b.memberships ?? []),
    roles: batches.flatMap((b) => b.roles ?? []),
    issues: batches.flatMap((b) => b.issues ?? []),
  };
}

/** What a WorkOS login would do with a scrypt PHC string: recompute from its own parameters and salt. */
export function scryptPhcVerifies(phc: string, password: string): boolean {
  const [, , , params, salt, hash] = phc.split('$');
  const p = Object.fromEntries(params.split(',').map((kv) => kv.split('='))) as Record<string, string>;
  const N = Number(p.n);
  const r = Number(p.r);
  const key = scryptSync(password, Buffer.from(salt, 'base64'), Number(p.kl), { N, r, p: Number(p.p), maxmem: 256 * N * r + (1 << 20) });
  return key.equals(Buffer.from(hash, 'base64'));
}
