import { ExpectedError } from '../errors.js';
import { createFileProvider } from './file/index.js';
import type { SourceProvider } from './types.js';

export interface SourceDescriptor {
  kind: string;
  name: string;
  /** One line on what the source brings. */
  brings: string;
  available: boolean;
}

export const SOURCES: SourceDescriptor[] = [
  { kind: 'stytch-b2b', name: 'Stytch B2B', brings: 'organizations, members, roles, password hashes (via support export)', available: false },
  { kind: 'stytch', name: 'Stytch (consumer)', brings: 'users, password hashes (via support export)', available: false },
  { kind: 'auth0', name: 'Auth0', brings: 'users, organizations, memberships, roles, password hashes (via support export)', available: false },
  { kind: 'better-auth', name: 'Better Auth', brings: 'users, organizations, members, scrypt password hashes (from your database)', available: false },
  { kind: 'file', name: 'A file (CSV, JSON, NDJSON)', brings: 'users, organizations, memberships, roles, password hashes (whatever its columns hold)', available: true },
];

/** A provider from a run's settings; secrets come from `env`, never from the journal. */
export function createProvider(kind: string, options: Record<string, unknown>, _env: NodeJS.ProcessEnv): SourceProvider {
  switch (kind) {
    case 'file':
      if (typeof options.path !== 'string' || !options.path) {
        throw new ExpectedError('The file source needs a path.', 'Pass --file PATH.');
      }
      return createFileProvider({
        path: options.path,
        map: options.map as Record<string, string> | undefined,
        format: options.format as 'csv' | 'json' | 'ndjson' | undefined,
      });
    default: {
      const known = SOURCES.find((s) => s.kind === kind);
      if (known) throw new ExpectedError(`The ${known.name} source is not available yet.`, 'Use --source file with an export of your users.');
      throw new ExpectedError(`Unknown source "${kind}".`, `Choose one of: ${SOURCES.filter((s) => s.available).map((s) => s.kind).join(', ')}.`);
    }
  }
}
