/**
 * The commands around a migration's cutover that are not the migration itself: the sign-in check
 * (`verify --sign-in`), and the generated dual-write and lazy-migration modules (`dual-write`,
 * `lazy`). Each returns an exit code; errors the operator can fix are ExpectedErrors.
 */
import path from 'node:path';
import { ExpectedError } from '../errors.js';
import { KITS, writeKit, type KitName } from '../kits/index.js';
import { apiKeyFrom } from '../services/migration.js';
import { checkSignIn } from '../services/signin.js';
import { EXIT, type CommandContext } from './commands.js';

export const TEST_PASSWORD_ENV = 'WORKOS_MIGRATE_TEST_PASSWORD';

export interface SignInFlags {
  email: string;
  clientId?: string;
  workosUrl?: string;
  json: boolean;
  /** A person at a terminal: the password may be asked for. */
  interactive: boolean;
  /** Asks for the password without echoing it (the terminal's, unless a test gives its own). */
  askSecret?: (question: string) => Promise<string>;
}

/**
 * `workos-migrate verify --sign-in EMAIL`: signs the test account in through WorkOS. Exit 0 when
 * it signs in, 2 when WorkOS refuses it (the reason and next step are printed), 1 when the check
 * cannot run. The password comes from WORKOS_MIGRATE_TEST_PASSWORD or a prompt, never a flag
 * (a flag would land in the shell's history).
 */
export async function signInCommand(ctx: CommandContext, flags: SignInFlags): Promise<number> {
  const apiKey = apiKeyFrom(ctx.env);
  const clientId = (flags.clientId ?? ctx.env.WORKOS_CLIENT_ID ?? '').trim();
  if (!clientId) throw new ExpectedError('The sign-in check needs the WorkOS client id.', 'Set WORKOS_CLIENT_ID (client_...) or pass --client-id.');
  let password = ctx.env[TEST_PASSWORD_ENV] ?? '';
  if (!password) {
    if (!flags.interactive) {
      throw new ExpectedError(`The sign-in check needs ${flags.email}'s password, and there is no terminal to ask for it.`, `Set ${TEST_PASSWORD_ENV} for this command.`);
    }
    password = await (flags.askSecret ?? askSecretOnTerminal(ctx.stderr))(`Password of ${flags.email} (not shown, not stored): `);
    if (!password) throw new ExpectedError('No password given.', `Type the test account's password, or set ${TEST_PASSWORD_ENV}.`);
  }
  const result = await checkSignIn({ apiKey, apiUrl: flags.workosUrl ?? (ctx.env.WORKOS_API_URL || undefined), clientId, email: flags.email, password });
  if (flags.json) {
    ctx.stdout.write(`${JSON.stringify({ type: 'sign_in_check', ...result })}\n`);
  } else if (result.ok) {
    const who = result.userId ? ` (${result.userId}${result.externalId ? `, external id ${result.externalId}` : ''})` : '';
    ctx.stderr.write(`✔ Sign-in check passed: ${result.email} signed in through WorkOS with their password${who}.\n`);
    if (result.note) ctx.stderr.write(`  ${result.note}\n`);
  } else {
    ctx.stderr.write(`✖ Sign-in check failed for ${result.email}: ${result.reason}\n  ${result.nextStep}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.incomplete;
}

/** A masked prompt on the terminal: raw mode, so the characters are never echoed. */
function askSecretOnTerminal(out: NodeJS.WritableStream): (question: string) => Promise<string> {
  return (question) =>
    new Promise((resolve, reject) => {
      const stdin = process.stdin;
      if (!stdin.isTTY) return reject(new ExpectedError('There is no terminal to ask for the password.', `Set ${TEST_PASSWORD_ENV}.`));
      out.write(question);
      let typed = '';
      const done = (value: string | Error) => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        out.write('\n');
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return done(typed);
          if (char === '\u0003') return done(new ExpectedError('Stopped.'));
          if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
          else typed += char;
        }
      };
      stdin.setRawMode(true);
      stdin.resume();
      stdin.on('data', onData);
    });
}

export interface KitFlags {
  out?: string;
  /** Replace files a previous run wrote. */
  force: boolean;
  json: boolean;
}

/** `workos-migrate dual-write --out DIR` and `workos-migrate lazy --out DIR`: the module, its test, what to do next. */
export function kitCommand(ctx: CommandContext, kit: KitName, flags: KitFlags): number {
  if (!flags.out) throw new ExpectedError(`${kit} needs a directory to write into.`, `Pass --out DIR, e.g. --out src/lib/workos.`);
  const dir = path.resolve(ctx.cwd, flags.out);
  const written = writeKit(kit, dir, { force: flags.force });
  const shown = (file: string) => path.relative(ctx.cwd, file) || file;
  if (flags.json) {
    ctx.stdout.write(`${JSON.stringify({ type: 'kit', kit, files: written.map(shown) })}\n`);
    return EXIT.ok;
  }
  ctx.stderr.write(`✔ Wrote the ${KITS[kit].title}:\n${written.map((f) => `  ${shown(f)}\n`).join('')}\n${KITS[kit].nextSteps.map((l) => `${l}\n`).join('')}`);
  return EXIT.ok;
}
