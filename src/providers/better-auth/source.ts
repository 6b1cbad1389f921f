import { ExpectedError } from '../../errors.js';
import { oneOf, pairs } from '../../services/flags.js';
import { lazyProvider } from '../lazy.js';
import type { SourceDefinition } from '../types.js';
import type { TeamsChoice } from './index.js';

/** The wizard's one-line form of --table/--column: `user=app_users, user.email=email_address`. */
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

/**
 * Better Auth: the database URL is a secret (it holds the password): it lives in this run's
 * environment as DATABASE_URL, and the journal names the variable. BETTER_AUTH_SECRET (for
 * two-factor secrets) is read from the environment only, never asked for.
 */
export const betterAuthSource: SourceDefinition = {
  kind: 'better-auth',
  name: 'Better Auth',
  brings: 'users, organizations, members, scrypt password hashes (from your database)',
  available: true,
  fields: [
    { name: 'databaseUrl', label: 'Database URL (postgres://, mysql://) or SQLite file', env: 'DATABASE_URL', secret: true },
    { name: 'schemaNames', label: 'Renamed tables/columns, e.g. user=app_users (optional)', env: 'BETTER_AUTH_SCHEMA', secret: false, optional: true },
    { name: 'teams', label: 'Teams: skip, or flatten into organizations (optional)', env: 'BETTER_AUTH_TEAMS', secret: false, optional: true },
  ],
  // Better Auth's creator role: WorkOS environments usually have admin, not owner.
  defaultRoles: { owner: 'admin' },
  flags: {
    'database-url': { type: 'string' },
    table: { type: 'string', multiple: true },
    column: { type: 'string', multiple: true },
    'better-auth-teams': { type: 'string' },
  },
  secretFlags: { 'database-url': 'DATABASE_URL' },
  flagHelp: `  --database-url URL    better-auth: the app's database, postgres://, mysql:// (mariadb://) or a
                        SQLite file (else DATABASE_URL); opened read-only, never written anywhere
  --table T=NAME        better-auth: a renamed table, e.g. --table user=app_users; repeatable
  --column T.C=NAME     better-auth: a renamed column, e.g. --column user.email=email_address
  --better-auth-teams flatten|skip
                        better-auth: each team becomes an organization (flatten) or teams are left
                        out and listed (skip, the default)`,
  envHelp: `  DATABASE_URL     Better Auth: the app's database (postgres://, mysql:// URL or SQLite path), read-only
  BETTER_AUTH_SECRET, BETTER_AUTH_SECRETS
                   Better Auth: the app's secret(s), to carry two-factor (TOTP) secrets over`,
  optionsFrom(values, cwd) {
    const teams = oneOf(values['better-auth-teams'], '--better-auth-teams', ['flatten', 'skip'] as const);
    const tables = pairs(values.table, '--table', 'TABLE=NAME');
    const columns = pairs(values.column, '--column', 'TABLE.COLUMN=NAME');
    return {
      secretEnv: 'DATABASE_URL',
      cwd,
      ...(Object.keys(tables).length ? { tables: { ...tables } } : {}),
      ...(Object.keys(columns).length ? { columns: { ...columns } } : {}),
      ...(teams ? { teams } : {}),
    };
  },
  // A database driver makes several times a file's garbage per row (protocol buffers, row objects,
  // pages read ahead): in an 8 MB young generation a third of the worker's time went to scavenges.
  worker: { youngMb: 32 },
  create(options, env) {
    const urlEnv = (options.secretEnv as string | undefined) ?? 'DATABASE_URL';
    const databaseUrl = env[urlEnv]?.trim() ?? '';
    if (!databaseUrl) throw new ExpectedError(`${urlEnv} is not set.`, `Pass --database-url URL or export ${urlEnv} (a postgres:// or mysql:// URL, or a SQLite file path): it is never written to the journal.`);
    const named = parseSchemaNames(options.schemaNames);
    const teams = typeof options.teams === 'string' && options.teams.trim() ? options.teams.trim().toLowerCase() : undefined;
    if (teams !== undefined && teams !== 'flatten' && teams !== 'skip') throw new ExpectedError(`Teams "${teams}" is not understood.`, 'Use skip (teams are left out and listed) or flatten (each team becomes an organization).');
    return lazyProvider('better-auth', 'Better Auth', async () => {
      const { createBetterAuthProvider, secretsFromEnv } = await import('./index.js');
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
  },
};
