/**
 * A provider whose code (and its SDK or database drivers) loads on first use. The registry names
 * every source, but a run reads one: a file migration must not carry the Auth0 SDK, Kysely and two
 * database drivers in its memory (tens of MB, in the export worker's small heap too).
 */
import type { ExportOptions, SourceProvider, SourceStats } from './types.js';

/** `census` is offered by sources that can count; a lazy one learns whether it can once loaded. */
export function lazyProvider(id: string, displayName: string, load: () => Promise<SourceProvider>): SourceProvider {
  let loading: Promise<SourceProvider> | undefined;
  let provider: SourceProvider | undefined;
  const loaded = async () => (provider ??= await (loading ??= load()));
  return {
    id,
    displayName,
    check: async () => (await loaded()).check(),
    async *export(options: ExportOptions) {
      yield* (await loaded()).export(options);
    },
    // Nothing read yet, or a source that counts nothing: no figures (the exporter saves none).
    stats: () => provider?.stats?.() as SourceStats,
    census: async (options) => {
      const loadedProvider = await loaded();
      if (!loadedProvider.census) throw new CensusUnsupported(displayName);
      return loadedProvider.census(options);
    },
  };
}

/** Thrown by a lazily loaded source that cannot count its users. */
export class CensusUnsupported extends Error {
  constructor(readonly source: string) {
    super(`${source} cannot count its users cheaply`);
  }
}
