/**
 * The sandbox's sign-in check: recomputes a password through a stored hash, the way WorkOS would
 * at the user's first sign-in. Like hash-formats.ts, deliberately independent of the importer's
 * converters, so that a converter bug is not "verified" by the same bug.
 *
 * Node's crypto computes scrypt, firebase-scrypt (scrypt + AES-256-CTR), PBKDF2 and SSHA at once
 * (`verifyPasswordHash`, synchronous); bcrypt and argon2 come from hash-wasm, which only answers
 * asynchronously, so `checkPasswordHash` (every type) is the one sign-in uses.
 */
import { createCipheriv, createHash, pbkdf2Sync, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { argon2Verify, bcryptVerify } from 'hash-wasm';
import { passwordHashProblem, type PasswordHashType } from './hash-formats.js';

const b64 = (s: string) => Buffer.from(s, 'base64');
const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

function params(text: string): Record<string, string> {
  return Object.fromEntries(text.split(',').map((kv) => kv.split('=') as [string, string]));
}

/**
 * True or false for the types Node's crypto computes; null for bcrypt and argon2 (see
 * `checkPasswordHash`) and for a malformed hash.
 */
export function verifyPasswordHash(type: PasswordHashType, hash: string, password: string): boolean | null {
  if (passwordHashProblem(type, hash)) return null;
  switch (type) {
    case 'scrypt': {
      const [, , , p, salt, digest] = hash.split('$');
      const { n, r, p: par, kl } = params(p);
      const expected = b64(digest);
      const N = Number(n);
      const key = scryptSync(password, b64(salt), kl ? Number(kl) : expected.length, { N, r: Number(r), p: Number(par), maxmem: 256 * N * Number(r) + (1 << 20) });
      return same(key, expected);
    }
    case 'firebase-scrypt': {
      // Firebase: key = scrypt(password, salt + salt separator, N = 2^m, r, p = 1, 32 bytes);
      // the hash is the signer key encrypted with that key (AES-256-CTR, zero IV).
      const fields = Object.fromEntries(hash.split('$').slice(2).map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]));
      const N = 2 ** Number(fields.m);
      const r = Number(fields.r);
      const key = scryptSync(password, Buffer.concat([b64(fields.salt), b64(fields.ss)]), 32, { N, r, p: 1, maxmem: 256 * N * r + (1 << 20) });
      const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
      const signed = Buffer.concat([cipher.update(b64(fields.sk)), cipher.final()]);
      const expected = b64(fields.hash);
      return same(signed.subarray(0, expected.length), expected);
    }
    case 'pbkdf2': {
      const [, , p, salt, digest] = hash.split('$');
      const { i, d } = params(p);
      const expected = b64(digest);
      return same(pbkdf2Sync(password, b64(salt), Number(i), expected.length, d), expected);
    }
    case 'ssha': {
      const raw = b64(hash.slice('{SSHA}'.length));
      const digest = raw.subarray(0, 20);
      const salt = raw.subarray(20);
      return same(createHash('sha1').update(password).update(salt).digest(), digest);
    }
    default:
      return null;
  }
}

/** True or false for every type the sandbox accepts; null only for a malformed hash. */
export async function checkPasswordHash(type: PasswordHashType, hash: string, password: string): Promise<boolean | null> {
  if (passwordHashProblem(type, hash)) return null;
  // hash-wasm's verifiers read the same strings WorkOS takes: bcrypt's $2a$/$2b$/$2y$ form and
  // argon2's PHC form (argon2id, argon2i, argon2d).
  if (type === 'bcrypt') return bcryptVerify({ password, hash });
  if (type === 'argon2') return argon2Verify({ password, hash });
  return verifyPasswordHash(type, hash, password);
}

/**
 * A user created or updated with a plain `password` keeps only a hash of it, in a form the
 * checks above read back: pbkdf2 with few iterations, because the sandbox may create many such
 * users and this is no real secret store.
 */
export function hashPlainPassword(password: string): { password_hash_type: 'pbkdf2'; password_hash: string } {
  const salt = randomBytes(12);
  const digest = pbkdf2Sync(password, salt, 1, 32, 'sha256');
  const unpadded = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return { password_hash_type: 'pbkdf2', password_hash: `$pbkdf2$i=1,d=sha256$${unpadded(salt)}$${unpadded(digest)}` };
}
