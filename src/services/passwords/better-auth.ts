/**
 * Better Auth's password hashes and their conversion to what WorkOS takes.
 *
 * Better Auth's default hasher (`@better-auth/utils/password`) stores `account.password` as
 * `<saltHex>:<keyHex>`: 16 random bytes of salt written as 32 hex characters, and the scrypt key
 * (N=16384, r=16, p=1, 64 bytes) of `password.normalize('NFKC')`, written as 128 hex characters.
 *
 * THE SALT SUBTLETY: scrypt is fed the salt's hex TEXT (its 32 ASCII bytes), not the 16 bytes
 * it decodes to. So the PHC salt field is base64(utf8(saltHex)) (43 characters), while the hash
 * field is base64(hexDecode(keyHex)) (86 characters). Decoding the salt gives a string that looks
 * right and never verifies.
 *
 * Apps that configured their own hasher (`emailAndPassword.password.hash`) store its format:
 * bcrypt and argon2 strings (and the other PHC forms WorkOS takes) pass through as they are.
 */
import type { PasswordHashType } from '../../providers/types.js';
import { detectHashType } from '../mapping/hash.js';

export const BETTER_AUTH_SCRYPT = { N: 16384, r: 16, p: 1, keyLength: 64 } as const;

const SALT_HEX = 32;
const KEY_BYTES = 64;

/** The salt's hex text and the key's bytes of a `saltHex:keyHex` hash; undefined for any other form. */
function scryptParts(hash: string): { saltHex: string; key: Buffer } | undefined {
  if (hash.length !== SALT_HEX + 1 + KEY_BYTES * 2 || hash.charCodeAt(SALT_HEX) !== 58 /* : */) return undefined;
  const saltHex = hash.slice(0, SALT_HEX);
  // Node's hex decoding stops at the first pair that is not hex: a full length proves every digit.
  if (Buffer.from(saltHex, 'hex').length !== SALT_HEX / 2) return undefined;
  const key = Buffer.from(hash.slice(SALT_HEX + 1), 'hex');
  return key.length === KEY_BYTES ? { saltHex, key } : undefined;
}

function b64NoPad(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  let end = b64.length;
  while (end > 0 && b64.charCodeAt(end - 1) === 61 /* = */) end--;
  return b64.slice(0, end);
}

/** True when `hash` is Better Auth's default `saltHex:keyHex` scrypt form. */
export function isBetterAuthScrypt(hash: string): boolean {
  return scryptParts(hash.trim()) !== undefined;
}

/** `saltHex:keyHex` as WorkOS's `$scrypt$v=1$n=16384,r=16,p=1,kl=64$<salt>$<hash>`. Throws on another form. */
export function betterAuthScryptToPhc(hash: string): string {
  const parts = scryptParts(hash.trim());
  if (!parts) throw new Error('not a Better Auth scrypt hash (saltHex:keyHex)');
  return phcOf(parts);
}

function phcOf({ saltHex, key }: { saltHex: string; key: Buffer }): string {
  const { N, r, p, keyLength } = BETTER_AUTH_SCRYPT;
  // The salt as written (hex text, case kept: the text is what scrypt hashed), the key as bytes.
  return `$scrypt$v=1$n=${N},r=${r},p=${p},kl=${keyLength}$${b64NoPad(Buffer.from(saltHex, 'latin1'))}$${b64NoPad(key)}`;
}

export type BetterAuthPassword =
  | { ok: true; hash: string; type: PasswordHashType; from: 'better-auth-scrypt' | 'custom' }
  | { ok: false; type: string; why: string };

/**
 * One `account.password` value: Better Auth's scrypt converted, a custom hasher's bcrypt, argon2
 * (or other WorkOS format) passed through, anything else named (never echoed: it is a hash).
 */
export function convertBetterAuthPassword(value: string): BetterAuthPassword {
  const hash = value.trim();
  const parts = scryptParts(hash);
  if (parts) return { ok: true, hash: phcOf(parts), type: 'scrypt', from: 'better-auth-scrypt' };
  const type = detectHashType(hash);
  if (type) return { ok: true, hash, type, from: 'custom' };
  const shape = /^\$([a-z0-9-]+)\$/i.exec(hash)?.[1];
  return {
    ok: false,
    type: shape ? shape.toLowerCase() : 'better-auth-custom',
    why: shape
      ? `a "${shape}" hash from a custom hasher, which WorkOS does not accept`
      : `a hash in a format that is neither Better Auth's scrypt (saltHex:keyHex) nor one WorkOS accepts (a custom hasher?)`,
  };
}
