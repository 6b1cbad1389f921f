import { ExpectedError } from '../../errors.js';
import { filePath } from '../../services/flags.js';
import { lazyProvider } from '../lazy.js';
import type { SourceDefinition, SourceField } from '../types.js';
import type { ImplicitRoles, StytchMemberStatus } from './index.js';

const FIELDS: SourceField[] = [
  { name: 'projectId', label: 'Stytch project id', env: 'STYTCH_PROJECT_ID', secret: false },
  { name: 'secret', label: 'Stytch secret', env: 'STYTCH_SECRET', secret: true },
  { name: 'passwordExportPath', label: 'Password export from Stytch support (optional)', env: 'STYTCH_PASSWORD_EXPORT', secret: false, optional: true },
];

const FLAGS = {
  'stytch-project': { type: 'string' },
  'stytch-statuses': { type: 'string' },
  'stytch-password-export': { type: 'string' },
  'verified-domains': { type: 'boolean' },
  'implicit-roles': { type: 'string' },
} as const;

const FLAG_HELP = `  --stytch-project ID   Stytch: the project id (else STYTCH_PROJECT_ID); the secret is read
                        from STYTCH_SECRET, never written anywhere
  --stytch-statuses L   stytch-b2b: member statuses to read, e.g. active (default active,invited,
                        pending: invited and pending members are listed and --invited-members
                        decides; deleted members never are)
  --stytch-password-export PATH
                        Stytch: the decrypted password export from Stytch support (optional)
  --verified-domains    stytch-b2b: import allowed email domains as verified (default pending)
  --implicit-roles keep|drop
                        stytch-b2b: keep roles given by email domain or SSO/SCIM groups (default keep)`;

const ENV_HELP = `  STYTCH_PROJECT_ID, STYTCH_SECRET
                   the Stytch project's credentials (the secret is never written anywhere)
  STYTCH_API_URL   another Stytch-compatible endpoint; default chosen by Stytch from the project id`;

function definition(kind: 'stytch-b2b' | 'stytch'): SourceDefinition {
  const b2b = kind === 'stytch-b2b';
  return {
    kind,
    name: b2b ? 'Stytch B2B' : 'Stytch (consumer)',
    brings: b2b ? 'organizations, members, roles, password hashes (via support export)' : 'users, password hashes (via support export)',
    available: true,
    fields: FIELDS,
    defaultRoles: b2b ? { stytch_admin: 'admin', stytch_member: 'member' } : undefined,
    flags: FLAGS,
    // The B2B definition carries the help and environment lines both Stytch kinds share.
    flagHelp: b2b ? FLAG_HELP : undefined,
    envHelp: b2b ? ENV_HELP : undefined,
    optionsFrom(values, cwd, env) {
      const statuses = (values['stytch-statuses'] as string | undefined)?.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = statuses?.filter((s) => !['active', 'invited', 'pending'].includes(s));
      if (bad?.length) throw new ExpectedError(`--stytch-statuses: ${bad.join(', ')} cannot be exported.`, 'Choose among active, invited, pending (deleted members are never migrated).');
      const implicit = values['implicit-roles'] as string | undefined;
      if (implicit && implicit !== 'keep' && implicit !== 'drop') throw new ExpectedError(`--implicit-roles ${implicit} is not understood.`, 'Use keep or drop.');
      return {
        projectId: (values['stytch-project'] as string | undefined) ?? env.STYTCH_PROJECT_ID,
        apiUrl: env.STYTCH_API_URL || undefined,
        secretEnv: 'STYTCH_SECRET',
        memberStatuses: statuses,
        verifiedDomains: !!values['verified-domains'],
        implicitRoles: implicit,
        passwordExportPath: filePath(values, 'stytch-password-export', cwd),
      };
    },
    create(options, env) {
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
      return lazyProvider(kind, b2b ? 'Stytch B2B' : 'Stytch', async () => {
        const { createStytchB2BProvider, createStytchConsumerProvider } = await import('./index.js');
        return b2b
          ? createStytchB2BProvider({
              ...common,
              memberStatuses: options.memberStatuses as StytchMemberStatus[] | undefined,
              verifiedDomains: options.verifiedDomains === true,
              implicitRoles: options.implicitRoles as ImplicitRoles | undefined,
            })
          : createStytchConsumerProvider(common);
      });
    },
  };
}

export const stytchB2BSource = definition('stytch-b2b');
export const stytchConsumerSource = definition('stytch');
