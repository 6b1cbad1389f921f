import path from 'node:path';
import type { ExportBatch, SourceProvider } from '../../src/providers/types.js';
import { createAuth0Provider, type Auth0Options } from '../../src/providers/auth0/index.js';
import type { FakeAuth0 } from '../../src/sandbox/auth0/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { tempDir } from '../helpers.js';

export const auth0Settings = (): RunSettings => ({
  version: 1,
  source: { kind: 'auth0', options: { domain: 'x' }, secretEnv: { clientSecret: 'AUTH0_CLIENT_SECRET' } },
  workos: { apiKeyEnv: 'WORKOS_API_KEY' },
  createdAt: new Date().toISOString(),
});

export function newAuth0Journal(): string {
  const file = path.join(tempDir('wm-auth0-'), 'run.db');
  Journal.create(file, auth0Settings()).close();
  return file;
}

export function providerFor(fake: FakeAuth0, extra: Partial<Auth0Options> = {}) {
  return createAuth0Provider({ domain: fake.domain, clientId: fake.clientId, clientSecret: fake.clientSecret, apiUrl: fake.url, pollMs: 100, ...extra });
}

export function fakeEnv(fake: FakeAuth0): NodeJS.ProcessEnv {
  return { AUTH0_DOMAIN: fake.domain, AUTH0_CLIENT_ID: fake.clientId, AUTH0_CLIENT_SECRET: fake.clientSecret, AUTH0_API_URL: fake.url };
}

/** The provider as a process that gets stopped when `when` says so (after that batch is staged). */
export function stopWhen(provider: SourceProvider, when: (batch: ExportBatch, n: number) => boolean, controller: AbortController): SourceProvider {
  return {
    id: provider.id,
    displayName: provider.displayName,
    check: () => provider.check(),
    stats: provider.stats,
    async *export(options) {
      let n = 0;
      for await (const batch of provider.export(options)) {
        if (when(batch, ++n)) controller.abort(new Error('stopped by the test'));
        yield batch;
      }
    },
  };
}

export async function collect(provider: SourceProvider, cursor?: string): Promise<ExportBatch[]> {
  const out: ExportBatch[] = [];
  for await (const batch of provider.export({ cursor })) out.push(batch);
  return out;
}
