/**
 * Firebase's scrypt variant, as its console's "password hash parameters" describe it
 * (base64_signer_key, base64_salt_separator, rounds, mem_cost):
 *
 *   key  = scrypt(password, salt ‖ salt separator, N = 2^mem_cost, r = rounds, p = 1, 32 bytes)
 *   hash = AES-256-CTR(key, IV = 16 zero bytes) over the signer key
 *
 * A user's `passwordHash` + `salt` (URL-safe or standard base64) become WorkOS's
 * `$firebase-scrypt$hash=..$salt=..$sk=..$ss=..$r=..$m=..` with standard base64 and no padding.
 * The signer key is a secret: the string staged in the journal carries `{env:FIREBASE_SIGNER_KEY}`
 * in its place, filled in by the importer as it sends (services/passwords/secret-refs.ts).
 */
import { createCipheriv, scryptSync, timingSafeEqual } from 'node:crypto';
import { ExpectedError } from '../../errors.js';
import { envRef } from '../../services/passwords/secret-refs.js';

export const DEFAULT_ROUNDS = 8;
export const DEFAULT_MEM_COST = 14;
/** Firebase's own bounds for its scrypt parameters (auth:import refuses others). */
const ROUNDS_RANGE = [1, 8] as const;
const MEM_COST_RANGE = [1, 14] as const;

export interface FirebaseHashConfig {
  /** Standard base64, unpadded. */
  signerKey: string;
  saltSeparator: string;
  rounds: number;
  memCost: number;
}

/** URL-safe or padded base64 as standard base64 without padding; undefined when it is not base64. */
export function standardBase64(text: string): string | undefined {
  const s = text.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!s || !/^[A-Za-z0-9+/]+$/.test(s) || s.length % 4 === 1) return undefined;
  return s;
}

const bytes = (b64: string) => Buffer.from(b64, 'base64');

function whole(value: string | number | undefined, what: string, flag: string, range: readonly [number, number], fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw new ExpectedError(`The Firebase ${what} "${value}" is not a whole number from ${range[0]} to ${range[1]}.`, `Copy ${flag} from the Firebase console (Authentication > Users > ⋮ > Password hash parameters); most projects use ${fallback}.`);
  }
  return n;
}

/** The project's hash parameters, checked: each bad one named with where to find the right one. */
export function hashConfig(
  input: { signerKey?: string; saltSeparator?: string; rounds?: string | number; memCost?: string | number },
  signerEnv = 'FIREBASE_SIGNER_KEY',
  /** The export stages the key by reference: it goes on without it (the import asks for it). */
  needSignerKey = true,
): FirebaseHashConfig {
  const where = 'Copy it from the Firebase console: Authentication > Users > ⋮ (above the list) > Password hash parameters.';
  if (!needSignerKey && !input.signerKey?.trim()) return { ...hashConfig({ ...input, signerKey: 'AA' }, signerEnv), signerKey: '' };
  if (!input.signerKey?.trim()) throw new ExpectedError(`${signerEnv} is not set: the Firebase password hashes cannot be carried without the project's signer key.`, `Pass --firebase-signer-key or export ${signerEnv} (base64_signer_key; it is never written anywhere). ${where}`);
  const signerKey = standardBase64(input.signerKey);
  if (!signerKey) throw new ExpectedError(`The Firebase signer key is not base64.`, `${where} (base64_signer_key, a long base64 text).`);
  if (!input.saltSeparator?.trim()) throw new ExpectedError('The Firebase salt separator is missing.', `Pass --firebase-salt-separator or export FIREBASE_SALT_SEPARATOR (base64_salt_separator, usually "Bw=="). ${where}`);
  const saltSeparator = standardBase64(input.saltSeparator);
  if (!saltSeparator) throw new ExpectedError(`The Firebase salt separator "${input.saltSeparator}" is not base64.`, `${where} (base64_salt_separator, usually "Bw==").`);
  return {
    signerKey,
    saltSeparator,
    rounds: whole(input.rounds, 'rounds', '--firebase-rounds (rounds)', ROUNDS_RANGE, DEFAULT_ROUNDS),
    memCost: whole(input.memCost, 'memory cost', '--firebase-mem-cost (mem_cost)', MEM_COST_RANGE, DEFAULT_MEM_COST),
  };
}

/**
 * The PHC string WorkOS takes for one user, the signer key left as a reference to `signerEnv`;
 * a problem (not base64, no salt) instead, said as the reason the user goes in without a password.
 */
export function firebasePhc(passwordHash: string, salt: string | undefined, config: Pick<FirebaseHashConfig, 'saltSeparator' | 'rounds' | 'memCost'>, signerEnv: string): { phc: string } | { problem: string } {
  const hash = standardBase64(passwordHash);
  if (!hash) return { problem: 'its passwordHash is not base64' };
  if (!salt?.trim()) return { problem: 'it has a passwordHash but no salt' };
  const s = standardBase64(salt);
  if (!s) return { problem: 'its salt is not base64' };
  return { phc: `$firebase-scrypt$hash=${hash}$salt=${s}$sk=${envRef(signerEnv, 'b64')}$ss=${config.saltSeparator}$r=${config.rounds}$m=${config.memCost}` };
}

/** Whether `password` is the one Firebase hashed into `passwordHash` with `salt` under `config`. */
export function firebasePasswordMatches(password: string, passwordHash: string, salt: string, config: FirebaseHashConfig): boolean {
  const N = 2 ** config.memCost;
  const key = scryptSync(Buffer.from(password, 'utf8'), Buffer.concat([bytes(standardBase64(salt) ?? ''), bytes(config.saltSeparator)]), 32, {
    N,
    r: config.rounds,
    p: 1,
    maxmem: 256 * N * config.rounds + (1 << 20),
  });
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const signed = Buffer.concat([cipher.update(bytes(config.signerKey)), cipher.final()]);
  const expected = bytes(standardBase64(passwordHash) ?? '');
  return expected.length > 0 && expected.length <= signed.length && timingSafeEqual(signed.subarray(0, expected.length), expected);
}
