/**
 * The sandbox's own judgement of whether a `password_hash` string is well-formed for its
 * `password_hash_type`, after the format table in shared/reference/workos-api.md.
 *
 * Deliberately independent of the importer's converters: if both shared code, a converter bug
 * would be "validated" by the same bug. The checks are strict (exact prefixes, standard base64
 * without padding, sane parameters) so that a converter emitting something WorkOS would not
 * accept fails here first rather than in production.
 */

export const PASSWORD_HASH_TYPES = ['bcrypt', 'scrypt', 'firebase-scrypt', 'pbkdf2', 'argon2', 'ssha'] as const;
export type PasswordHashType = (typeof PASSWORD_HASH_TYPES)[number];

export function isPasswordHashType(value: unknown): value is PasswordHashType {
  return typeof value === 'string' && (PASSWORD_HASH_TYPES as readonly string[]).includes(value);
}

/** Returns null when the hash is acceptable, otherwise a short human reason. */
export function passwordHashProblem(type: PasswordHashType, hash: string): string | null {
  if (typeof hash !== 'string' || hash.length === 0) return 'empty hash';
  switch (type) {
    case 'bcrypt':
      return bcryptProblem(hash);
    case 'scrypt':
      return scryptProblem(hash);
    case 'firebase-scrypt':
      return firebaseScryptProblem(hash);
    case 'pbkdf2':
      return pbkdf2Problem(hash);
    case 'argon2':
      return argon2Problem(hash);
    case 'ssha':
      return sshaProblem(hash);
  }
}

export function isValidPasswordHash(type: PasswordHashType, hash: string): boolean {
  return passwordHashProblem(type, hash) === null;
}

// ---------------------------------------------------------------------------------------------
// base64 helpers

const B64_UNPADDED = /^[A-Za-z0-9+/]+$/;
const B64_PADDED = /^[A-Za-z0-9+/]+={0,2}$/;

/** Standard alphabet, no `=` padding (the reference's rule for PHC-style fields). Returns decoded length or -1. */
function unpaddedB64Length(s: string): number {
  if (!B64_UNPADDED.test(s)) return -1;
  // A length of 4k+1 cannot come from any byte string.
  if (s.length % 4 === 1) return -1;
  return Math.floor((s.length * 3) / 4);
}

/** Standard alphabet, padding optional but correct if present (used for {SSHA}, an LDAP format). */
function anyB64Length(s: string): number {
  if (!B64_PADDED.test(s)) return -1;
  const body = s.replace(/=+$/, '');
  const pad = s.length - body.length;
  if (pad > 0 && s.length % 4 !== 0) return -1;
  if (body.length % 4 === 1) return -1;
  return Math.floor((body.length * 3) / 4);
}

/** Parses `k=v,k=v` into a map of positive integers / strings; null when malformed or duplicated. */
function parseParams(s: string): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!value || out.has(key)) return null;
    out.set(key, value);
  }
  return out;
}

function positiveInt(value: string | undefined): number | null {
  if (value === undefined || !/^[1-9][0-9]*$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

// ---------------------------------------------------------------------------------------------
// per-type checks

/** `$2a$` / `$2b$` / `$2y$`, two-digit cost 04..31, then 22 salt + 31 hash chars of bcrypt's base64. */
function bcryptProblem(hash: string): string | null {
  const m = /^\$2[aby]\$(\d{2})\$([./A-Za-z0-9]{53})$/.exec(hash);
  if (!m) return 'not a $2a$/$2b$/$2y$ bcrypt string of 60 characters';
  const cost = Number(m[1]);
  if (cost < 4 || cost > 31) return `bcrypt cost ${cost} out of range 4..31`;
  return null;
}

/** `$scrypt$v=1$n=<N>,r=<r>,p=<p>[,kl=<keylen>]$<salt>$<hash>` */
function scryptProblem(hash: string): string | null {
  const parts = hash.split('$');
  // ['', 'scrypt', 'v=1', params, salt, hash]
  if (parts.length !== 6 || parts[0] !== '' || parts[1] !== 'scrypt') return 'not a $scrypt$ string';
  if (parts[2] !== 'v=1') return 'scrypt version must be v=1';
  const params = parseParams(parts[3]);
  if (!params) return 'malformed scrypt parameters';
  for (const key of params.keys()) if (!['n', 'r', 'p', 'kl'].includes(key)) return `unknown scrypt parameter ${key}`;
  const n = positiveInt(params.get('n'));
  const r = positiveInt(params.get('r'));
  const p = positiveInt(params.get('p'));
  if (n === null || r === null || p === null) return 'scrypt needs positive integers n, r and p';
  if (n < 2 || (n & (n - 1)) !== 0) return 'scrypt n must be a power of 2 greater than 1';
  const kl = params.has('kl') ? positiveInt(params.get('kl')) : undefined;
  if (kl === null) return 'scrypt kl must be a positive integer';
  if (unpaddedB64Length(parts[4]) <= 0) return 'scrypt salt is not unpadded standard base64';
  const hashLen = unpaddedB64Length(parts[5]);
  if (hashLen <= 0) return 'scrypt hash is not unpadded standard base64';
  if (kl !== undefined && hashLen !== kl) return `scrypt hash is ${hashLen} bytes but kl=${kl}`;
  return null;
}

/** `$firebase-scrypt$hash=..$salt=..$sk=..$ss=..$r=..$m=..` (all base64 standard, unpadded). */
function firebaseScryptProblem(hash: string): string | null {
  const parts = hash.split('$');
  if (parts.length !== 8 || parts[0] !== '' || parts[1] !== 'firebase-scrypt') return 'not a $firebase-scrypt$ string';
  const expected = ['hash', 'salt', 'sk', 'ss', 'r', 'm'];
  const values: Record<string, string> = {};
  for (let i = 0; i < expected.length; i++) {
    const part = parts[i + 2];
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq) !== expected[i]) return `firebase-scrypt field ${i + 1} must be ${expected[i]}=`;
    values[expected[i]] = part.slice(eq + 1);
  }
  for (const key of ['hash', 'salt', 'sk', 'ss']) {
    if (unpaddedB64Length(values[key]) <= 0) return `firebase-scrypt ${key} is not unpadded standard base64`;
  }
  const rounds = positiveInt(values.r);
  const mem = positiveInt(values.m);
  if (rounds === null || rounds > 32) return 'firebase-scrypt r (rounds) must be a small positive integer';
  if (mem === null || mem > 30) return 'firebase-scrypt m (memory cost) must be a small positive integer';
  return null;
}

/** `$pbkdf2$i=<iterations>,d=<sha256|sha512>$<salt>$<hash>` */
function pbkdf2Problem(hash: string): string | null {
  const parts = hash.split('$');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== 'pbkdf2') return 'not a $pbkdf2$ string';
  const params = parseParams(parts[2]);
  if (!params || params.size !== 2) return 'pbkdf2 parameters must be i=<iterations>,d=<digest>';
  if (positiveInt(params.get('i')) === null) return 'pbkdf2 i must be a positive integer';
  const digest = params.get('d');
  if (digest !== 'sha256' && digest !== 'sha512') return 'pbkdf2 d must be sha256 or sha512';
  if (unpaddedB64Length(parts[3]) <= 0) return 'pbkdf2 salt is not unpadded standard base64';
  if (unpaddedB64Length(parts[4]) <= 0) return 'pbkdf2 hash is not unpadded standard base64';
  return null;
}

/** PHC: `$argon2id|argon2i|argon2d$v=19$m=..,t=..,p=..$<salt>$<hash>` */
function argon2Problem(hash: string): string | null {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== '' || !/^argon2(id|i|d)$/.test(parts[1])) return 'not an $argon2id$/$argon2i$/$argon2d$ PHC string';
  if (parts[2] !== 'v=19') return 'argon2 version must be v=19';
  const params = parseParams(parts[3]);
  // The PHC spec for argon2 fixes the order m, t, p.
  if (!params || [...params.keys()].join(',') !== 'm,t,p') return 'argon2 parameters must be m=..,t=..,p=..';
  const m = positiveInt(params.get('m'));
  const t = positiveInt(params.get('t'));
  const p = positiveInt(params.get('p'));
  if (m === null || t === null || p === null) return 'argon2 m, t and p must be positive integers';
  if (m < 8 * p) return 'argon2 m must be at least 8 * p';
  const saltLen = unpaddedB64Length(parts[4]);
  if (saltLen < 8) return 'argon2 salt must be unpadded standard base64 of at least 8 bytes';
  const hashLen = unpaddedB64Length(parts[5]);
  if (hashLen < 4) return 'argon2 hash must be unpadded standard base64 of at least 4 bytes';
  return null;
}

/** `{SSHA}` + base64(sha1 digest (20 bytes) + salt): the decoded bytes must be longer than 20. */
function sshaProblem(hash: string): string | null {
  if (!hash.startsWith('{SSHA}')) return 'ssha hash must start with {SSHA}';
  const len = anyB64Length(hash.slice('{SSHA}'.length));
  if (len < 0) return 'ssha payload is not standard base64';
  if (len <= 20) return 'ssha payload must hold a 20-byte SHA-1 digest followed by a salt';
  return null;
}
