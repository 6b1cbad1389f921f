/**
 * Password hash types: which ones WorkOS accepts, recognising a hash's format, and naming the
 * ones it does not accept so that a message can say "password reset needed" (never re-hash).
 */
import { WORKOS_HASH_TYPES, type PasswordHashType } from '../../providers/types.js';

export function isWorkosHashType(type: string): type is PasswordHashType {
  return (WORKOS_HASH_TYPES as readonly string[]).includes(type);
}

/**
 * Spellings sources use for a type WorkOS accepts with the same hash string. A Map: the key is
 * source data, and a type named `constructor` must not find Object's.
 */
const ALIASES = new Map<string, PasswordHashType>([
  ['bcrypt', 'bcrypt'],
  ['scrypt', 'scrypt'],
  ['firebase-scrypt', 'firebase-scrypt'],
  ['firebase_scrypt', 'firebase-scrypt'],
  ['firebasescrypt', 'firebase-scrypt'],
  ['scrypt_firebase', 'firebase-scrypt'],
  ['scrypt-firebase', 'firebase-scrypt'],
  ['pbkdf2', 'pbkdf2'],
  ['argon2', 'argon2'],
  ['argon2id', 'argon2'],
  ['argon2i', 'argon2'],
  ['argon2d', 'argon2'],
  ['ssha', 'ssha'],
]);

/**
 * The WorkOS type a source's type name stands for (`BCRYPT` → `bcrypt`, `argon2id` → `argon2`,
 * `scrypt_firebase` → `firebase-scrypt`), or undefined when it is not one WorkOS accepts.
 * Importers send this normalized value.
 */
export function normalizeHashType(type: string): PasswordHashType | undefined {
  return ALIASES.get(type.trim().toLowerCase());
}

/**
 * Algorithms met in exports that WorkOS does not accept (compared after lowercasing and
 * removing `-`/`_`): users with these hashes are imported without a password and reset it.
 */
const KNOWN_UNSUPPORTED = new Set([
  'md5', 'md4', 'sha', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3', 'sha3256', 'sha3512',
  'crypt', 'des', 'md5crypt', 'sha256crypt', 'sha512crypt', 'ntlm', 'lm', 'mysql', 'mysql41', 'phpass',
  'drupal7', 'wordpress', 'ssha256', 'ssha512', 'smd5', 'plain', 'plaintext', 'cleartext', 'hmacsha256',
  'bcryptsha256', 'bcryptsha256django', 'pbkdf2sha1', 'pbkdf2sha256', 'pbkdf2sha512', 'pbkdf2sha256django',
  'sha256salted', 'sha512salted', 'md5salted', 'awscognito', 'whirlpool', 'ripemd160',
]);

/** True for the type names known to be unsupported by WorkOS (md5, sha1, sha256, plain sha*, crypt, ...). */
export function isKnownUnsupportedHashType(type: string): boolean {
  const key = type.trim().toLowerCase().replace(/[-_\s]/g, '');
  if (KNOWN_UNSUPPORTED.has(key)) return true;
  // Any other member of the MD/SHA families (salted_sha1, md5_hex, sha-2...), but not ssha (supported).
  return key !== 'ssha' && /^(s?md5|salted(md5|sha)|sha\d*|md5)/.test(key);
}

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * Recognises a hash string in one of the formats WorkOS accepts: bcrypt `$2a$`/`$2b$`/`$2y$`,
 * `$argon2…`, `$scrypt$`, `$pbkdf2$`, `$firebase-scrypt$`, `{SSHA}`. Undefined otherwise.
 */
export function detectHashType(hash: string): PasswordHashType | undefined {
  const h = hash.trim();
  if (h.startsWith('$2')) return BCRYPT.test(h) ? 'bcrypt' : undefined;
  if (h.startsWith('$argon2id$') || h.startsWith('$argon2i$') || h.startsWith('$argon2d$')) return 'argon2';
  if (h.startsWith('$scrypt$')) return 'scrypt';
  if (h.startsWith('$pbkdf2$')) return 'pbkdf2';
  if (h.startsWith('$firebase-scrypt$')) return 'firebase-scrypt';
  if (h.slice(0, 6).toUpperCase() === '{SSHA}') return 'ssha';
  return undefined;
}

/** A description of a hash format WorkOS does not accept, for messages; undefined if unrecognised. */
export function describeUnsupportedHash(hash: string): string | undefined {
  const h = hash.trim();
  if (/^[0-9a-f]{32}$/i.test(h)) return 'a hex MD5-sized digest';
  if (/^[0-9a-f]{40}$/i.test(h)) return 'a hex SHA-1-sized digest';
  if (/^[0-9a-f]{64}$/i.test(h)) return 'a hex SHA-256-sized digest';
  if (/^[0-9a-f]{128}$/i.test(h)) return 'a hex SHA-512-sized digest';
  if (h.startsWith('$1$')) return 'an MD5-crypt hash';
  if (h.startsWith('$5$')) return 'a SHA-256-crypt hash';
  if (h.startsWith('$6$')) return 'a SHA-512-crypt hash';
  if (h.startsWith('$P$') || h.startsWith('$H$')) return 'a phpass (WordPress) hash';
  if (/^pbkdf2_sha(1|256|512)\$/.test(h)) return 'a Django PBKDF2 hash (needs converting to $pbkdf2$ form)';
  if (/^bcrypt_sha256\$/.test(h)) return 'a Django bcrypt_sha256 hash';
  if (h.slice(0, 5).toUpperCase() === '{SHA}' || h.slice(0, 5).toUpperCase() === '{MD5}' || h.slice(0, 6).toUpperCase() === '{SMD5}') {
    return 'an LDAP {SHA}/{MD5} hash';
  }
  return undefined;
}

/** The format each WorkOS type expects, for messages. */
export const HASH_FORMATS: Record<PasswordHashType, string> = {
  bcrypt: '$2a$/$2b$/$2y$<cost>$<53 characters>',
  scrypt: '$scrypt$v=1$n=<N>,r=<r>,p=<p>,kl=<keylen>$<salt>$<hash>',
  'firebase-scrypt': '$firebase-scrypt$hash=<b64>$salt=<b64>$sk=<signer key>$ss=<salt separator>$r=<rounds>$m=<mem cost>',
  pbkdf2: '$pbkdf2$i=<iterations>,d=<sha256|sha512>$<salt>$<hash>',
  argon2: '$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>',
  ssha: '{SSHA}<base64>',
};

/**
 * `text` (an answer of WorkOS's, say) with the password hash, and each of its salt and digest
 * parts, replaced by `[hash]`: an API that echoes what it was sent must not carry a hash into the
 * journal's notes, the logs or the reports. Algorithm and parameter names stay readable.
 */
export function redactHash(text: string, hash: string | null | undefined): string {
  if (!text || !hash) return text;
  const parts = new Set<string>([hash]);
  for (const part of hash.split(/[$,:;={}]/)) {
    // `argon2id`, `pbkdf2-sha256`, `n`: names, not secrets. A salt or digest is longer, or mixed.
    if (part.length >= 8 && !/^[a-z][a-z0-9-]{0,15}$/.test(part)) parts.add(part);
  }
  // bcrypt keeps its salt (22 characters) and digest (31) in one segment.
  const bcrypt = /^\$2[abxy]?\$\d{2}\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/.exec(hash);
  if (bcrypt) parts.add(bcrypt[1]).add(bcrypt[2]);
  let out = text;
  for (const part of [...parts].sort((a, b) => b.length - a.length)) out = out.split(part).join('[hash]');
  return out;
}
