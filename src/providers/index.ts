import path from 'node:path';
import { ExpectedError } from '../errors.js';
import type { BlockedChoice } from './auth0/index.js';
import type { TeamsChoice } from './better-auth/index.js';
import { createFileProvider } from './file/index.js';
import { lazyProvider } from './lazy.js';
import type { ImplicitRoles, StytchMemberStatus } from './stytch/index.js';
import type { SourceProvider } from './types.js';

export interface SourceDescriptor {
  kind: string;
  name: string;
  /** One line on what the source brings. */
  brings: string;
  available: boolean;
}

export const SOURCES: SourceDescriptor[] = [
  { kind: 'stytch-b2b', name: 'Stytch B2B', brings: 'organizations, members, roles, password hashes (via support export)', available: true },
  { kind: 'stytch', name: 'Stytch (consumer)', brings: 'users, password hashes (via support export)', available: true },
  { kind: 'auth0', name: 'Auth0', brings: 'users, organizations, memberships, roles, password hashes (via support export)', available: true },
  { kind: 'better-auth', name: 'Better Auth', brings: 'users, organizations, members, scrypt password hashes (from your database)', available: true },
  { kind: 'file', name: 'A file (CSV, JSON, NDJSON)', brings: 'users, organizations, memberships, roles, password hashes (whatever its columns hold)', available: true },
];

/**
 * The credentials each source asks for: the environment variable that pre-fills it, and whether
 * it is a secret (masked on screen, never written to the journal).
 */
export const SOURCE_FIELDS: Record<string, { name: string; label: string; env: string; secret: boolean; optional?: boolean }[]> = {
  'stytch-b2b': [
    { name: 'projectId', label: 'Stytch project id', env: 'STYTCH_PROJECT_ID', secret: false },
    { name: 'secret', label: 'Stytch secret', env: 'STYTCH_SECRET', secret: true },
    { name: 'passwordExportPath', label: 'Password export from Stytch support (optional)', env: 'STYTCH_PASSWORD_EXPORT', secret: false, optional: true },
  ],
  stytch: [
    { name: 'projectId', label: 'Stytch project id', env: 'STYTCH_PROJECT_ID', secret: false },
    { name: 'secret', label: 'Stytch secret', env: 'STYTCH_SECRET', secret: true },
    { name: 'passwordExportPath', label: 'Password export from Stytch support (optional)', env: 'STYTCH_PASSWORD_EXPORT', secret: false, optional: true },
  ],
};

// Better Auth: the database URL is a secret (it holds the password); BETTER_AUTH_SECRET (for
// two-factor secrets) is read from the environment only, never asked for.
SOURCE_FIELDS['better-auth'] = [
  { name: 'databaseUrl', label: 'Database URL (postgres://, mysql://) or SQLite file', env: 'DATABASE_URL', secret: true },
  { name: 'schemaNames', label: 'Renamed tables/columns, e.g. user=app_users (optional)', env: 'BETTER_AUTH_SCHEMA', secret: false, optional: true },
  { name: 'teams', label: 'Teams: skip, or flatten into organizations (optional)', env: 'BETTER_AUTH_TEAMS', secret: false, optional: true },
];

// Auth0: client credentials of a Machine-to-Machine application; the secret is never written.
SOURCE_FIELDS.auth0 = [
  { name: 'domain', label: 'Auth0 domain (acme.us.auth0.com)', env: 'AUTH0_DOMAIN', secret: false },
  { name: 'clientId', label: 'Auth0 client id (Machine-to-Machine application)', env: 'AUTH0_CLIENT_ID', secret: false },
  { name: 'clientSecret', label: 'Auth0 client secret', env: 'AUTH0_CLIENT_SECRET', secret: true },
  { name: 'passwordExportPath', label: 'Password export from Auth0 support (optional)', env: 'AUTH0_PASSWORD_EXPORT', secret: false, optional: true },
  { name: 'mfaExportPath', label: 'MFA export from Auth0 support (optional)', env: 'AUTH0_MFA_EXPORT', secret: false, optional: true },
];

/** Source role slugs with an obvious WorkOS counterpart, used when the environment has it. */
export const DEFAULT_ROLE_MAPS: Record<string, Record<string, string>> = {
  'stytch-b2b': { stytch_admin: 'admin', stytch_member: 'member' },
  // Better Auth's creator role: WorkOS environments usually have admin, not owner.
  'better-auth': { owner: 'admin' },
};

/** Better Auth: `user=app_users, user.email=email_address` into tables and columns. */
function parseSchemaNames(value: unknown): { tables: Record<string, string>; columns: Record<string, string> } {
  const tables: Record<string, string> = Object.create(null);
  const columns: Record<string, string> = Object.create(null);
  for (const item of typeof value === 'string' ? value.split(/[,\s]+/) : []) {
    if (!item) continue;
    const at = item.indexOf('=');
    if (at <= 0 || at === item.length - 1) throw new ExpectedError(`"${item}" is not TABLE=NAME or TABLE.COLUMN=NAME.`, 'Write e.g. user=app_users, user.email=email_address.');
    (item.slice(0, at).includes('.') ? columns : tables)[item.slice(0, at)] = item.slice(at + 1);
  }
  return { tables: { ...tables }, columns: { ...columns } };
}

/** A provider from a run's settings; secrets come from `env`, never from the journal. */
export function createProvider(kind: string, options: Record<string, unknown>, env: NodeJS.ProcessEnv): SourceProvider {
  switch (kind) {
    case 'stytch-b2b':
    case 'stytch': {
      const secretEnv = (options.secretEnv as string | undefined) ?? 'STYTCH_SECRET';
      const common = {
        projectId: (options.projectId as string | undefined) || env.STYTCH_PROJECT_ID || '',
        secret: env[secretEnv] ?? '',
        apiUrl: (options.apiUrl as string | undefined) || env.STYTCH_API_URL || undefined,
        passwordExportPath: (options.passwordExportPath as string | undefined) || undefined,
        ...(typeof options.windowMs === 'number' ? { windowMs: options.windowMs } : {}),
      };
      if (!common.projectId) throw new ExpectedError('The Stytch project id is missing.', 'Pass --stytch-project ID or set STYTCH_PROJECT_ID.');
      if (!common.secret) throw new ExpectedError(`${secretEnv} is not set.`, `Export ${secretEnv} (your Stytch secret) or put it in .env: it is never written to the journal.`);
      // API sources load their SDKs on first use (see lazy.ts).
      return lazyProvider(kind, kind === 'stytch-b2b' ? 'Stytch B2B' : 'Stytch', async () => {
        const { createStytchB2BProvider, createStytchConsumerProvider } = await import('./stytch/index.js');
        return kind === 'stytch-b2b'
          ? createStytchB2BProvider({
              ...common,
              memberStatuses: options.memberStatuses as StytchMemberStatus[] | undefined,
              verifiedDomains: options.verifiedDomains === true,
              implicitRoles: options.implicitRoles as ImplicitRoles | undefined,
            })
          : createStytchConsumerProvider(common);
      });
    }
    case 'better-auth': {
      const urlEnv = (options.secretEnv as string | undefined) ?? 'DATABASE_URL';
      const databaseUrl = env[urlEnv]?.trim() ?? '';
      if (!databaseUrl) throw new ExpectedError(`${urlEnv} is not set.`, `Pass --database-url URL or export ${urlEnv} (a postgres:// or mysql:// URL, or a SQLite file path): it is never written to the journal.`);
      // The wizard's one-line form of --table/--column: `user=app_users, user.email=email_address`.
      const named = parseSchemaNames(options.schemaNames);
      const teams = typeof options.teams === 'string' && options.teams.trim() ? options.teams.trim().toLowerCase() : undefined;
      if (teams !== undefined && teams !== 'flatten' && teams !== 'skip') throw new ExpectedError(`Teams "${teams}" is not understood.`, 'Use skip (teams are left out and listed) or flatten (each team becomes an organization).');
      return lazyProvider('better-auth', 'Better Auth', async () => {
        const { createBetterAuthProvider, secretsFromEnv } = await import('./better-auth/index.js');
        return createBetterAuthProvider({
          databaseUrl,
          tables: { ...named.tables, ...(options.tables as Record<string, string> | undefined) },
          columns: { ...named.columns, ...(options.columns as Record<string, string> | undefined) },
          teams: teams as TeamsChoice | undefined,
          secrets: secretsFromEnv(env),
          cwd: options.cwd as string | undefined,
          ...(typeof options.pageSize === 'number' ? { pageSize: options.pageSize } : {}),
        });
      });
    }
    case 'auth0': {
      const secretEnv = (options.secretEnv as string | undefined) ?? 'AUTH0_CLIENT_SECRET';
      const domain = (options.domain as string | undefined) || env.AUTH0_DOMAIN || '';
      const clientId = (options.clientId as string | undefined) || env.AUTH0_CLIENT_ID || '';
      const clientSecret = env[secretEnv] ?? '';
      if (!domain) throw new ExpectedError('The Auth0 domain is missing.', 'Set AUTH0_DOMAIN (e.g. acme.us.auth0.com).');
      if (!clientId) throw new ExpectedError('The Auth0 client id is missing.', 'Set AUTH0_CLIENT_ID (a Machine-to-Machine application authorized for the Management API).');
      if (!clientSecret) throw new ExpectedError(`${secretEnv} is not set.`, `Export ${secretEnv} (the application's client secret) or put it in .env: it is never written to the journal.`);
      const file = (key: string) => (typeof options[key] === 'string' && options[key] ? path.resolve(options[key] as string) : undefined);
      return lazyProvider('auth0', 'Auth0', async () => (await import('./auth0/index.js')).createAuth0Provider({
        domain,
        clientId,
        clientSecret,
        apiUrl: (options.apiUrl as string | undefined) || env.AUTH0_API_URL || undefined,
        exportFile: file('exportFile'),
        passwordExportPath: file('passwordExportPath'),
        mfaExportPath: file('mfaExportPath'),
        blocked: options.blocked as BlockedChoice | undefined,
        ...(typeof options.pollMs === 'number' ? { pollMs: options.pollMs } : {}),
        ...(typeof options.take === 'number' ? { take: options.take } : {}),
        ...(typeof options.pageSize === 'number' ? { pageSize: options.pageSize } : {}),
      }));
    }
    case 'file':
      if (typeof options.path !== 'string' || !options.path) {
        throw new ExpectedError('The file source needs a path.', 'Pass --file PATH.');
      }
      return createFileProvider({
        path: options.path,
        map: options.map as Record<string, string> | undefined,
        format: options.format as 'csv' | 'json' | 'ndjson' | undefined,
        batchSize: typeof options.batchSize === 'number' ? options.batchSize : undefined,
      });
    default: {
      const known = SOURCES.find((s) => s.kind === kind);
      if (known) throw new ExpectedError(`The ${known.name} source is not available yet.`, 'Use --source file with an export of your users.');
      throw new ExpectedError(`Unknown source "${kind}".`, `Choose one of: ${SOURCES.filter((s) => s.available).map((s) => s.kind).join(', ')}.`);
    }
  }
}
