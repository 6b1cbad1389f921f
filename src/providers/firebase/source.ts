import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import { filePath, oneOf } from '../../services/flags.js';
import { lazyProvider } from '../lazy.js';
import type { SourceDefinition } from '../types.js';
import type { DisabledChoice } from './index.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/**
 * Firebase: the `firebase auth:export` file and the project's password hash parameters. The signer
 * key (and a test account's password) are secrets: read from the environment only, never written;
 * the rest of the parameters are saved with the run's settings.
 */
export const firebaseSource: SourceDefinition = {
  kind: 'firebase',
  name: 'Firebase',
  brings: 'users, password hashes (firebase-scrypt), from an auth:export file; organizations from a mapping file',
  available: true,
  fields: [
    { name: 'exportFile', label: 'auth:export file (JSON or CSV)', env: 'FIREBASE_EXPORT', secret: false },
    { name: 'signerKey', label: 'Signer key (base64_signer_key)', env: 'FIREBASE_SIGNER_KEY', secret: true },
    { name: 'saltSeparator', label: 'Salt separator (base64_salt_separator, often Bw==)', env: 'FIREBASE_SALT_SEPARATOR', secret: false },
    { name: 'rounds', label: 'Rounds (optional, default 8)', env: 'FIREBASE_ROUNDS', secret: false, optional: true },
    { name: 'memCost', label: 'Memory cost, mem_cost (optional, default 14)', env: 'FIREBASE_MEM_COST', secret: false, optional: true },
    { name: 'organizationsFile', label: 'Organizations file: user,organization_id,name,role (optional)', env: 'FIREBASE_ORGANIZATIONS', secret: false, optional: true },
    { name: 'disabled', label: 'Disabled users: skip or import (optional, default skip)', env: 'FIREBASE_DISABLED', secret: false, optional: true },
    { name: 'testEmail', label: 'Test account email, to check the key now (optional)', env: 'FIREBASE_TEST_EMAIL', secret: false, optional: true },
    { name: 'testPassword', label: 'Test account password (optional)', env: 'FIREBASE_TEST_PASSWORD', secret: true, optional: true },
  ],
  flags: {
    'firebase-export': { type: 'string' },
    'firebase-signer-key': { type: 'string' },
    'firebase-salt-separator': { type: 'string' },
    'firebase-rounds': { type: 'string' },
    'firebase-mem-cost': { type: 'string' },
    'firebase-organizations': { type: 'string' },
    'firebase-disabled': { type: 'string' },
    'firebase-test-email': { type: 'string' },
    'firebase-test-password': { type: 'string' },
  },
  secretFlags: { 'firebase-signer-key': 'FIREBASE_SIGNER_KEY', 'firebase-test-password': 'FIREBASE_TEST_PASSWORD' },
  flagHelp: `  --firebase-export FILE
                        firebase: the file \`firebase auth:export\` wrote (JSON or CSV)
  --firebase-signer-key KEY
                        firebase: base64_signer_key from the console's password hash parameters
                        (else FIREBASE_SIGNER_KEY); a secret, never written anywhere
  --firebase-salt-separator B64
                        firebase: base64_salt_separator (else FIREBASE_SALT_SEPARATOR)
  --firebase-rounds N   firebase: rounds (default 8)
  --firebase-mem-cost N firebase: mem_cost (default 14)
  --firebase-organizations FILE
                        firebase: a CSV assigning organizations (user uid or email,
                        organization_id, organization_name, role; roles as admin|billing)
  --firebase-disabled skip|import
                        firebase: disabled users are listed and left out (skip, the default) or
                        imported as ordinary users (import)
  --firebase-test-email EMAIL
                        firebase: a user whose password you know (FIREBASE_TEST_PASSWORD): its
                        hash is recomputed before the import, so wrong hash parameters stop the
                        run before anything is written`,
  envHelp: `  FIREBASE_SIGNER_KEY, FIREBASE_SALT_SEPARATOR, FIREBASE_ROUNDS, FIREBASE_MEM_COST
                   Firebase: the project's password hash parameters (Authentication > Users >
                   ⋮ > Password hash parameters); the signer key is never written anywhere
  FIREBASE_TEST_PASSWORD
                   Firebase: the password of --firebase-test-email, to check the parameters`,
  optionsFrom(values, cwd, env) {
    const rounds = str(values['firebase-rounds']) ?? str(env.FIREBASE_ROUNDS);
    const memCost = str(values['firebase-mem-cost']) ?? str(env.FIREBASE_MEM_COST);
    return {
      exportFile: filePath(values, 'firebase-export', cwd) ?? (str(env.FIREBASE_EXPORT) ? path.resolve(cwd, env.FIREBASE_EXPORT!) : undefined),
      saltSeparator: str(values['firebase-salt-separator']) ?? str(env.FIREBASE_SALT_SEPARATOR),
      ...(rounds ? { rounds } : {}),
      ...(memCost ? { memCost } : {}),
      organizationsFile: filePath(values, 'firebase-organizations', cwd) ?? (str(env.FIREBASE_ORGANIZATIONS) ? path.resolve(cwd, env.FIREBASE_ORGANIZATIONS!) : undefined),
      disabled: oneOf(values['firebase-disabled'] ?? str(env.FIREBASE_DISABLED), '--firebase-disabled', ['skip', 'import'] as const),
      testEmail: str(values['firebase-test-email']) ?? str(env.FIREBASE_TEST_EMAIL),
      secretEnv: 'FIREBASE_SIGNER_KEY',
    };
  },
  create(options, env) {
    const signerEnv = 'FIREBASE_SIGNER_KEY';
    const exportFile = str(options.exportFile);
    if (!exportFile) throw new ExpectedError('No Firebase export file was given.', 'Run `firebase auth:export users.json --format=JSON --project <id>` and pass --firebase-export users.json.');
    const disabled = str(options.disabled)?.toLowerCase();
    if (disabled !== undefined && disabled !== 'skip' && disabled !== 'import') {
      throw new ExpectedError(`Disabled users "${disabled}" is not understood.`, 'Use skip (disabled users are listed and left out) or import (imported as ordinary users).');
    }
    const file = (v: unknown) => (str(v) ? path.resolve(str(v)!) : undefined);
    return lazyProvider('firebase', 'Firebase', async () =>
      (await import('./index.js')).createFirebaseProvider({
        exportFile: file(exportFile),
        signerKey: env[signerEnv],
        signerEnv,
        saltSeparator: str(options.saltSeparator) ?? str(env.FIREBASE_SALT_SEPARATOR),
        rounds: str(options.rounds) ?? (typeof options.rounds === 'number' ? options.rounds : undefined),
        memCost: str(options.memCost) ?? (typeof options.memCost === 'number' ? options.memCost : undefined),
        disabled: disabled as DisabledChoice | undefined,
        organizationsFile: file(options.organizationsFile),
        testEmail: str(options.testEmail),
        testPassword: env.FIREBASE_TEST_PASSWORD,
        ...(typeof options.pageSize === 'number' ? { pageSize: options.pageSize } : {}),
      }),
    );
  },
};
