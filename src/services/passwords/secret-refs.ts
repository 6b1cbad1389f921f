/**
 * A secret every hash of a source needs but the journal must not hold (Firebase's signer key: it
 * sits inside each `$firebase-scrypt$` string, and with it the staged hashes could be attacked
 * offline). The provider stages `{env:NAME}` in its place; the importer fills it in from the
 * run's environment only as the hash is sent, so the journal, its reports and its logs never see
 * the value, and a resume needs the variable again (as it needs the API key).
 */
import { ExpectedError } from '../../errors.js';

const REF = /\{env:([A-Za-z_][A-Za-z0-9_]*)(:b64)?\}/g;

/**
 * What a provider stages in place of the value of the environment variable `name`; `b64`: the value
 * is base64 and goes in as hash formats want it (standard alphabet, no padding), whichever form the
 * operator copied (URL-safe, padded).
 */
export const envRef = (name: string, form?: 'b64'): string => `{env:${name}${form ? `:${form}` : ''}}`;

const standardB64 = (value: string) => value.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');

/** The variables a staged text refers to. */
export function envRefsIn(text: string): string[] {
  return [...new Set([...text.matchAll(REF)].map((m) => m[1]))];
}

/** `text` with each `{env:NAME}` replaced by that variable's value; an unset one is an ExpectedError. */
export function fillEnvRefs(text: string, env: NodeJS.ProcessEnv): string {
  if (!text.includes('{env:')) return text;
  return text.replace(REF, (_, name: string, form: string | undefined) => {
    const value = env[name]?.trim();
    if (!value) throw missingSecret(name);
    return form ? standardB64(value) : value;
  });
}

export function missingSecret(name: string): ExpectedError {
  return new ExpectedError(
    `${name} is not set: the staged password hashes need it, and it is never written to the journal.`,
    `Export ${name} again (or pass it with its flag) and resume: nothing was sent without it.`,
  );
}
