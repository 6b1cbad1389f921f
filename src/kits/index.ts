/**
 * The modules workos-migrate writes into the operator's application. The templates are real
 * TypeScript files beside this one (type-checked and tested with the project); the build copies
 * them into dist/kits/ too, so the installed CLI finds them the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExpectedError } from '../errors.js';

export type KitName = 'dual-write' | 'lazy';

export const KITS: Record<KitName, { title: string; files: string[]; nextSteps: string[] }> = {
  'dual-write': {
    title: 'dual-write module and its test',
    files: ['workos-dual-write.ts', 'workos-dual-write.test.ts'],
    nextSteps: [
      'Next:',
      '  0. It needs @workos-inc/node in your application (and vitest for its test): npm install @workos-inc/node',
      '  1. Call it after each of your own writes: userCreated on sign-up, emailChanged, passwordChanged,',
      '     userDeleted; give it saveWorkosUserId to fill your workos_user_id column.',
      '     Where to call it for Better Auth, Auth0 and a plain handler: docs/dual-write.md of workos-migrate.',
      '  2. Run its test (vitest) against a WorkOS test environment or the sandbox:',
      '     WORKOS_API_KEY=sk_test_... WORKOS_CLIENT_ID=client_... npx vitest run workos-dual-write.test.ts',
      '  3. Deploy it, then run the migration: users it created are adopted by the import, not duplicated.',
    ],
  },
  lazy: {
    title: 'lazy-migration sign-in module and its test',
    files: ['workos-lazy-migration.ts', 'workos-lazy-migration.test.ts'],
    nextSteps: [
      'Next:',
      '  0. It needs @workos-inc/node in your application (and vitest for its test): npm install @workos-inc/node',
      '  1. Route your password sign-in through signIn(email, password), with verifyWithOldSystem',
      '     checking the password against your old system (see docs/lazy-migration.md of workos-migrate).',
      '  2. Run its test (vitest) against a WorkOS test environment or the sandbox:',
      '     WORKOS_API_KEY=sk_test_... WORKOS_CLIENT_ID=client_... npx vitest run workos-lazy-migration.test.ts',
      '  3. Each user moves into WorkOS on their next sign-in; the rest get password resets at cutover.',
    ],
  },
};

/** The folder of a kit's templates: beside this module, in src/ (tsx, tests) and in dist/ (the build copies them). */
export function kitTemplateDir(kit: KitName): string {
  return fileURLToPath(new URL(`./${kit}/`, import.meta.url));
}

/** Copies a kit's files into `dir`; never overwrites a file unless `force`. Returns the paths written. */
export function writeKit(kit: KitName, dir: string, options: { force?: boolean } = {}): string[] {
  const from = kitTemplateDir(kit);
  const files = KITS[kit].files;
  const missing = files.filter((f) => !fs.existsSync(path.join(from, f)));
  if (missing.length) {
    throw new ExpectedError(`This installation of workos-migrate lacks the ${kit} templates (${missing.join(', ')} in ${from}).`, 'Reinstall workos-migrate (npm install workos-migrate), or rebuild it with npm run build.');
  }
  const targets = files.map((f) => path.join(dir, f));
  const existing = targets.filter((t) => fs.existsSync(t));
  if (existing.length && !options.force) {
    throw new ExpectedError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}.`, 'Pass --force to replace them (your edits to them are lost), or choose another --out.');
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of files) fs.copyFileSync(path.join(from, f), path.join(dir, f));
  } catch (error) {
    throw new ExpectedError(`Cannot write into ${dir}: ${(error as Error).message}.`, 'Choose a directory you can write to with --out.');
  }
  return targets;
}
