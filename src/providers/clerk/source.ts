import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import { filePath, oneOf } from '../../services/flags.js';
import { lazyProvider } from '../lazy.js';
import type { SourceDefinition } from '../types.js';
import { parseRate } from './client.js';
import type { BannedChoice } from './mapping.js';

const BANNED = ['skip', 'import'] as const;

function rateOf(value: unknown, what: string): { limit: number; windowMs: number } | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'object' && value && typeof (value as { limit?: unknown }).limit === 'number') return value as { limit: number; windowMs: number };
  const rate = typeof value === 'string' ? parseRate(value) : undefined;
  if (!rate) throw new ExpectedError(`${what} ${String(value)} is not a rate.`, `Write it as requests/window, e.g. ${what} 1000/10s (Clerk's production limit) or 100/10s (development).`);
  return rate;
}

/**
 * Clerk: the instance's secret key (a secret: this run's environment only, never the journal),
 * the Dashboard's CSV export for passwords and TOTP secrets, or both.
 */
export const clerkSource: SourceDefinition = {
  kind: 'clerk',
  name: 'Clerk',
  brings: 'users, organizations, memberships, roles; bcrypt passwords and TOTP from the Dashboard export',
  available: true,
  fields: [
    { name: 'secretKey', label: 'Clerk secret key (sk_live_... or sk_test_...)', env: 'CLERK_SECRET_KEY', secret: true },
    { name: 'exportFile', label: 'Dashboard user export CSV, for passwords and TOTP (optional)', env: 'CLERK_EXPORT', secret: false, optional: true },
    { name: 'banned', label: 'Banned and locked users: skip or import (optional)', env: 'CLERK_BANNED', secret: false, optional: true },
  ],
  // Clerk's built-in roles; a custom role (org:billing) is mapped on the Roles step.
  defaultRoles: { 'org:admin': 'admin', 'org:member': 'member' },
  flags: {
    'clerk-export': { type: 'string' },
    'clerk-banned': { type: 'string' },
    'clerk-rate': { type: 'string' },
  },
  flagHelp: `  --clerk-export FILE   clerk: the Dashboard's user export (CSV): users with their bcrypt
                        passwords and TOTP secrets, which the Backend API never returns;
                        organizations and memberships still come from the API (CLERK_SECRET_KEY)
  --clerk-banned skip|import
                        clerk: banned and locked users are listed and not imported (skip, the
                        default) or imported as ordinary users (import)
  --clerk-rate N/WINDOW clerk: the instance's Backend API limit, e.g. 1000/10s (default 1000/10s
                        for sk_live_ keys, 100/10s for sk_test_ ones)`,
  envHelp: `  CLERK_SECRET_KEY Clerk: the instance's secret key (never written anywhere)
  CLERK_API_URL    another Clerk Backend API endpoint instead of https://api.clerk.com/v1`,
  optionsFrom(values, cwd, env) {
    return {
      apiUrl: env.CLERK_API_URL || undefined,
      secretEnv: 'CLERK_SECRET_KEY',
      exportFile: filePath(values, 'clerk-export', cwd),
      banned: oneOf(values['clerk-banned'], '--clerk-banned', BANNED),
      rate: typeof values['clerk-rate'] === 'string' ? (rateOf(values['clerk-rate'], '--clerk-rate'), values['clerk-rate']) : undefined,
    };
  },
  create(options, env) {
    const secretEnv = (options.secretEnv as string | undefined) ?? 'CLERK_SECRET_KEY';
    const secretKey = env[secretEnv]?.trim() || undefined;
    const exportFile = typeof options.exportFile === 'string' && options.exportFile.trim() ? path.resolve(options.exportFile.trim()) : undefined;
    if (!secretKey && !exportFile) {
      throw new ExpectedError(
        `${secretEnv} is not set and no Dashboard export was given.`,
        `Export ${secretEnv} (Clerk Dashboard > API keys; it is never written to the journal) and/or pass --clerk-export FILE (Dashboard > Settings > User exports).`,
      );
    }
    if (secretKey && /^pk_/.test(secretKey)) throw new ExpectedError(`${secretEnv} holds a publishable key (pk_...).`, 'Use the Secret key (sk_live_... or sk_test_...) from Clerk Dashboard > API keys.');
    const bannedText = typeof options.banned === 'string' && options.banned.trim() ? options.banned.trim().toLowerCase() : undefined;
    if (bannedText !== undefined && !(BANNED as readonly string[]).includes(bannedText)) {
      throw new ExpectedError(`Banned users "${bannedText}" is not understood.`, 'Use skip (banned and locked users are listed, not imported) or import.');
    }
    const rate = rateOf(options.rate, '--clerk-rate');
    return lazyProvider('clerk', 'Clerk', async () =>
      (await import('./index.js')).createClerkProvider({
        secretKey,
        apiUrl: (options.apiUrl as string | undefined) || env.CLERK_API_URL || undefined,
        exportFile,
        banned: bannedText as BannedChoice | undefined,
        rate,
        ...(typeof options.pageSize === 'number' ? { pageSize: options.pageSize } : {}),
        ...(typeof options.orgPageSize === 'number' ? { orgPageSize: options.orgPageSize } : {}),
        ...(typeof options.memberPageSize === 'number' ? { memberPageSize: options.memberPageSize } : {}),
        ...(typeof options.batchSize === 'number' ? { batchSize: options.batchSize } : {}),
      }),
    );
  },
};
