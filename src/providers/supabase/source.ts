import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import { filePath, oneOf } from '../../services/flags.js';
import { lazyProvider } from '../lazy.js';
import type { SourceDefinition } from '../types.js';
import type { Choice } from './mapping.js';

const CHOICES = ['skip', 'import'] as const;

/** A wizard answer or a journal's saved choice, checked as the flag would be. */
function choice(value: unknown, what: string, flag: string): Choice | undefined {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!v) return undefined;
  if (v !== 'skip' && v !== 'import') throw new ExpectedError(`${what} "${String(value)}" is not understood.`, `Use skip (left out and listed, the default) or import (${flag} import).`);
  return v;
}

/**
 * Supabase: the project's own PostgreSQL, read directly. The connection string is a secret (it
 * holds the database password): it lives in this run's environment as DATABASE_URL (the flag is
 * the one Better Auth reads, so both agree), and the journal names the variable.
 */
export const supabaseSource: SourceDefinition = {
  kind: 'supabase',
  name: 'Supabase',
  brings: 'users, bcrypt password hashes, TOTP (from the project database, read-only)',
  available: true,
  fields: [
    { name: 'databaseUrl', label: 'Project database URL (postgres://), read-only', env: 'DATABASE_URL', secret: true },
    { name: 'organizationsFile', label: 'Organizations CSV: user, organization id, name, role (optional)', env: 'SUPABASE_ORGANIZATIONS', secret: false, optional: true },
    { name: 'deleted', label: 'Deleted users: skip or import (optional)', env: 'SUPABASE_DELETED', secret: false, optional: true },
    { name: 'banned', label: 'Banned users: skip or import (optional)', env: 'SUPABASE_BANNED', secret: false, optional: true },
  ],
  flags: {
    'database-url': { type: 'string' },
    'supabase-organizations': { type: 'string' },
    'supabase-deleted': { type: 'string' },
    'supabase-banned': { type: 'string' },
  },
  secretFlags: { 'database-url': 'DATABASE_URL' },
  flagHelp: `  --database-url URL    supabase: the project's postgres:// connection string (Project Settings ->
                        Database; else DATABASE_URL); read in read-only transactions, never written
  --supabase-organizations FILE
                        supabase: a CSV assigning organizations (Supabase has none): user id or
                        email, organization id, organization name, role
  --supabase-deleted skip|import
                        supabase: soft-deleted users are listed and not imported (skip, the
                        default) or imported (import)
  --supabase-banned skip|import
                        supabase: users banned until a later date are listed and not imported
                        (skip, the default) or imported as ordinary users (import)`,
  envHelp: `  DATABASE_URL     Supabase: the project's postgres:// connection string, read-only
  SUPABASE_ORGANIZATIONS, SUPABASE_DELETED, SUPABASE_BANNED
                   Supabase: what --supabase-organizations, --supabase-deleted and
                   --supabase-banned say, when the flag is not given`,
  optionsFrom(values, cwd, env) {
    const organizations = values['supabase-organizations'] ?? (env.SUPABASE_ORGANIZATIONS?.trim() || undefined);
    return {
      secretEnv: 'DATABASE_URL',
      organizationsFile: filePath({ organizations }, 'organizations', cwd),
      deleted: oneOf(values['supabase-deleted'] ?? (env.SUPABASE_DELETED?.trim() || undefined), '--supabase-deleted', CHOICES),
      banned: oneOf(values['supabase-banned'] ?? (env.SUPABASE_BANNED?.trim() || undefined), '--supabase-banned', CHOICES),
    };
  },
  // A database driver makes several times a file's garbage per row (protocol buffers, row objects,
  // pages read ahead): in an 8 MB young generation a third of the worker's time went to scavenges.
  worker: { youngMb: 32 },
  create(options, env) {
    const urlEnv = (options.secretEnv as string | undefined) ?? 'DATABASE_URL';
    const databaseUrl = env[urlEnv]?.trim() ?? '';
    if (!databaseUrl) {
      throw new ExpectedError(`${urlEnv} is not set.`, `Pass --database-url URL or export ${urlEnv} (the project's postgres:// connection string, Project Settings -> Database): it is never written to the journal.`);
    }
    const deleted = choice(options.deleted, 'Deleted users', '--supabase-deleted');
    const banned = choice(options.banned, 'Banned users', '--supabase-banned');
    // A path typed in the wizard is relative to where it runs (the process's directory).
    const file = typeof options.organizationsFile === 'string' && options.organizationsFile.trim() ? path.resolve(options.organizationsFile.trim()) : undefined;
    return lazyProvider('supabase', 'Supabase', async () =>
      (await import('./index.js')).createSupabaseProvider({
        databaseUrl,
        deleted,
        banned,
        organizationsFile: file,
        ...(typeof options.pageSize === 'number' ? { pageSize: options.pageSize } : {}),
      }),
    );
  },
};
