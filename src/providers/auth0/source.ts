import fs from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import { filePath, oneOf } from '../../services/flags.js';
import { lazyProvider } from '../lazy.js';
import type { SourceDefinition } from '../types.js';
import type { BlockedChoice } from './index.js';

/** Auth0: client credentials of a Machine-to-Machine application; the secret is never written. */
export const auth0Source: SourceDefinition = {
  kind: 'auth0',
  name: 'Auth0',
  brings: 'users, organizations, memberships, roles, password hashes (via support export)',
  available: true,
  fields: [
    { name: 'domain', label: 'Auth0 domain (acme.us.auth0.com)', env: 'AUTH0_DOMAIN', secret: false },
    { name: 'clientId', label: 'Auth0 client id (Machine-to-Machine application)', env: 'AUTH0_CLIENT_ID', secret: false },
    { name: 'clientSecret', label: 'Auth0 client secret', env: 'AUTH0_CLIENT_SECRET', secret: true },
    { name: 'passwordExportPath', label: 'Password export from Auth0 support (optional)', env: 'AUTH0_PASSWORD_EXPORT', secret: false, optional: true },
    { name: 'mfaExportPath', label: 'MFA export from Auth0 support (optional)', env: 'AUTH0_MFA_EXPORT', secret: false, optional: true },
  ],
  flags: {
    'auth0-export': { type: 'string' },
    'auth0-password-export': { type: 'string' },
    'auth0-mfa-export': { type: 'string' },
    'auth0-blocked': { type: 'string' },
  },
  flagHelp: `  --auth0-export FILE   auth0: a bulk user export you already have (NDJSON, gzip or not) instead
                        of an export job; organizations, members and roles are still read live
  --auth0-password-export FILE
                        auth0: the password hashes from Auth0 support (NDJSON, bcrypt)
  --auth0-mfa-export FILE
                        auth0: the MFA enrollments from Auth0 support: otp secrets become WorkOS
                        TOTP factors; SMS, WebAuthn and recovery codes are listed for re-enrolment
  --auth0-blocked skip|import
                        auth0: blocked users are listed and not imported (skip, the default) or
                        imported as ordinary users (import)`,
  envHelp: `  AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET
                   Auth0: a Machine-to-Machine application's credentials (the secret is never
                   written anywhere)
  AUTH0_API_URL    another Auth0-compatible endpoint instead of https://AUTH0_DOMAIN`,
  optionsFrom(values, cwd, env) {
    return {
      domain: env.AUTH0_DOMAIN || undefined,
      clientId: env.AUTH0_CLIENT_ID || undefined,
      apiUrl: env.AUTH0_API_URL || undefined,
      secretEnv: 'AUTH0_CLIENT_SECRET',
      exportFile: filePath(values, 'auth0-export', cwd),
      passwordExportPath: filePath(values, 'auth0-password-export', cwd),
      mfaExportPath: filePath(values, 'auth0-mfa-export', cwd),
      blocked: oneOf(values['auth0-blocked'], '--auth0-blocked', ['skip', 'import'] as const),
    };
  },
  // Its users come as one bulk export file; the support files it holds whole size the worker's heap.
  // A 16 MB young generation: in 8 MB, scavenging each line's parsed object took a third of the
  // worker's time (300k users staged at 75,000 rows/s against 94,000).
  worker: { heapMb: auth0WorkerHeapMb, youngMb: 16 },
  create(options, env) {
    const secretEnv = (options.secretEnv as string | undefined) ?? 'AUTH0_CLIENT_SECRET';
    const domain = (options.domain as string | undefined) || env.AUTH0_DOMAIN || '';
    const clientId = (options.clientId as string | undefined) || env.AUTH0_CLIENT_ID || '';
    const clientSecret = env[secretEnv] ?? '';
    if (!domain) throw new ExpectedError('The Auth0 domain is missing.', 'Set AUTH0_DOMAIN (e.g. acme.us.auth0.com).');
    if (!clientId) throw new ExpectedError('The Auth0 client id is missing.', 'Set AUTH0_CLIENT_ID (a Machine-to-Machine application authorized for the Management API).');
    if (!clientSecret) throw new ExpectedError(`${secretEnv} is not set.`, `Export ${secretEnv} (the application's client secret) or put it in .env: it is never written to the journal.`);
    const file = (key: string) => (typeof options[key] === 'string' && options[key] ? path.resolve(options[key] as string) : undefined);
    return lazyProvider('auth0', 'Auth0', async () => (await import('./index.js')).createAuth0Provider({
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
  },
};

/** MB of worker heap per MB of support file, as held in memory (measured on generated exports, with room). */
const HEAP_PER_FILE_MB = 1.5;

/**
 * The export worker's old-generation heap for these options: 64 MB for the streamed bulk export,
 * plus room for the password and MFA files, which are held whole.
 */
export function auth0WorkerHeapMb(options: Record<string, unknown>): number {
  let bytes = 0;
  for (const key of ['passwordExportPath', 'mfaExportPath']) {
    const file = options[key];
    try {
      if (typeof file === 'string' && file) bytes += fs.statSync(path.resolve(file)).size;
    } catch {
      // No such file: the export says so, by name.
    }
  }
  return 64 + Math.ceil((bytes / 2 ** 20) * HEAP_PER_FILE_MB);
}
