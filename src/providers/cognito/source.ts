import { ExpectedError } from '../../errors.js';
import { oneOf } from '../../services/flags.js';
import { lazyProvider } from '../lazy.js';
import type { SourceDefinition } from '../types.js';
import { checkConnection, regionOfPool } from './connection.js';
import type { CognitoRates, DisabledChoice } from './index.js';

/**
 * AWS Cognito: a user pool read through the official SDK with the standard AWS credentials from
 * the environment. The access key id and the secret are never written (the wizard masks both);
 * the pool id, region and endpoint are settings.
 */
export const cognitoSource: SourceDefinition = {
  kind: 'cognito',
  name: 'AWS Cognito',
  brings: 'users, groups as roles (no password hashes: lazy migration or resets)',
  available: true,
  noPasswordReason: 'Cognito never releases password hashes: a password reset, or the lazy migration (workos-migrate lazy)',
  fields: [
    { name: 'userPoolId', label: 'Cognito user pool id (us-east-1_AbC123)', env: 'COGNITO_USER_POOL_ID', secret: false },
    { name: 'region', label: 'AWS region (optional: the pool id says it)', env: 'AWS_REGION', secret: false, optional: true },
    { name: 'accessKeyId', label: 'AWS access key id', env: 'AWS_ACCESS_KEY_ID', secret: true },
    { name: 'secretAccessKey', label: 'AWS secret access key', env: 'AWS_SECRET_ACCESS_KEY', secret: true },
    { name: 'organization', label: 'WorkOS organization for every user, groups as roles (optional)', env: 'COGNITO_ORGANIZATION', secret: false, optional: true },
    { name: 'disabled', label: 'Disabled users: skip or import (optional)', env: 'COGNITO_DISABLED', secret: false, optional: true },
  ],
  flags: {
    'cognito-user-pool': { type: 'string' },
    'cognito-organization': { type: 'string' },
    'cognito-disabled': { type: 'string' },
  },
  flagHelp: `  --cognito-user-pool ID
                        cognito: the user pool, e.g. us-east-1_AbC123 (else COGNITO_USER_POOL_ID)
  --cognito-organization NAME
                        cognito: every user into this one WorkOS organization, each Cognito group a
                        role you map; without it groups are listed, not carried (groups are not
                        organizations)
  --cognito-disabled skip|import
                        cognito: disabled users are listed and not imported (skip, the default) or
                        imported as ordinary users (import)`,
  envHelp: `  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
                   AWS Cognito: credentials allowed cognito-idp:ListUsers, ListGroups,
                   ListUsersInGroup and DescribeUserPool (never written anywhere)
  AWS_REGION       AWS Cognito: the pool's region (default: the pool id's prefix)
  COGNITO_ENDPOINT another Cognito-compatible endpoint instead of AWS (a local fake)`,
  optionsFrom(values, _cwd, env) {
    const pool = (values['cognito-user-pool'] as string | undefined) || env.COGNITO_USER_POOL_ID || undefined;
    return {
      userPoolId: pool,
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
      endpoint: env.COGNITO_ENDPOINT || undefined,
      organization: (values['cognito-organization'] as string | undefined)?.trim() || undefined,
      disabled: oneOf(values['cognito-disabled'], '--cognito-disabled', ['skip', 'import'] as const),
    };
  },
  create(options, env) {
    const text = (key: string) => (typeof options[key] === 'string' && (options[key] as string).trim() ? (options[key] as string).trim() : undefined);
    const userPoolId = text('userPoolId') ?? env.COGNITO_USER_POOL_ID?.trim() ?? '';
    const region = text('region') ?? env.AWS_REGION?.trim() ?? env.AWS_DEFAULT_REGION?.trim() ?? regionOfPool(userPoolId) ?? '';
    const disabled = text('disabled')?.toLowerCase();
    if (disabled !== undefined && disabled !== 'skip' && disabled !== 'import') {
      throw new ExpectedError(`Disabled users "${disabled}" is not understood.`, 'Use skip (disabled users are listed, not imported) or import (imported as ordinary users).');
    }
    const connection = {
      userPoolId,
      region,
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
      endpoint: text('endpoint') ?? (env.COGNITO_ENDPOINT || undefined),
    };
    // Said before anything loads or runs: a missing key is not a failure halfway through an export.
    checkConnection(connection);
    if (!connection.region) throw new ExpectedError('The AWS region is unknown.', 'Set AWS_REGION to the region of the user pool (e.g. us-east-1).');
    return lazyProvider('cognito', 'AWS Cognito', async () => {
      const { createCognitoProvider } = await import('./index.js');
      return createCognitoProvider({
        ...connection,
        organization: text('organization'),
        disabled: disabled as DisabledChoice | undefined,
        ...(typeof options.pageSize === 'number' ? { pageSize: options.pageSize } : {}),
        ...(options.rates && typeof options.rates === 'object' ? { rates: options.rates as Partial<CognitoRates> } : {}),
      });
    });
  },
};
