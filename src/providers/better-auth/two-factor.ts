/**
 * Better Auth's two-factor secrets (`twoFactor.secret`), decrypted with the app's secret.
 *
 * Better Auth encrypts them with `symmetricEncrypt` (better-auth/dist/crypto): XChaCha20-Poly1305
 * keyed with SHA-256(utf8(secret)), a random 24-byte nonce in front of the ciphertext and its
 * 16-byte tag behind, all written as hex. With versioned secrets (`BETTER_AUTH_SECRETS="2:new,1:old"`)
 * the hex carries a `$ba$<version>$` prefix naming the secret; bare hex is then decrypted with the
 * legacy BETTER_AUTH_SECRET. The plaintext is the TOTP key as text (32 random characters, used as
 * its UTF-8 bytes), or `base32:<key>` for a key imported from elsewhere.
 *
 * Node 20 has ChaCha20-Poly1305 (12-byte nonce) but not the extended-nonce XChaCha20: HChaCha20
 * (draft-irtf-cfrg-xchacha-03, section 2.2) derives a subkey from the key and the nonce's first 16
 * bytes; the last 8 bytes, after 4 zero bytes, are the ChaCha20-Poly1305 nonce.
 */
import { createDecipheriv, createHash } from 'node:crypto';

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

function rotl(v: number, c: number): number {
  return ((v << c) | (v >>> (32 - c))) >>> 0;
}

function quarter(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 16);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 12);
  s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 8);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 7);
}

/** HChaCha20(key 32 bytes, nonce 16 bytes) -> 32-byte subkey. */
export function hchacha20(key: Buffer, nonce16: Buffer): Buffer {
  const s = new Uint32Array(16);
  s.set(SIGMA, 0);
  for (let i = 0; i < 8; i++) s[4 + i] = key.readUInt32LE(i * 4);
  for (let i = 0; i < 4; i++) s[12 + i] = nonce16.readUInt32LE(i * 4);
  for (let i = 0; i < 10; i++) {
    quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13); quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15);
    quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12); quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) out.writeUInt32LE(s[i], i * 4);
  for (let i = 0; i < 4; i++) out.writeUInt32LE(s[12 + i], 16 + i * 4);
  return out;
}

/** XChaCha20-Poly1305 open of `nonce(24) || ciphertext || tag(16)`; throws when the tag does not match. */
export function xchacha20poly1305Open(key: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < 24 + 16) throw new Error('too short to be an encrypted value');
  const nonce = sealed.subarray(0, 24);
  const tag = sealed.subarray(sealed.length - 16);
  const body = sealed.subarray(24, sealed.length - 16);
  const subkey = hchacha20(key, nonce.subarray(0, 16));
  const iv = Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]);
  const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: 16 });
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}

/** The app's secrets as Better Auth reads them: BETTER_AUTH_SECRETS (versioned) and BETTER_AUTH_SECRET / AUTH_SECRET. */
export interface BetterAuthSecrets {
  versions: Map<number, string>;
  legacy?: string;
}

const DEFAULT_SECRET = 'better-auth-secret-12345678901234567890';

/** From the environment only (never a flag, never the journal); undefined when none is set. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): BetterAuthSecrets | undefined {
  const versions = new Map<number, string>();
  for (const entry of (env.BETTER_AUTH_SECRETS ?? '').split(',')) {
    const at = entry.indexOf(':');
    if (at <= 0) continue;
    const version = Number.parseInt(entry.slice(0, at).trim(), 10);
    const value = entry.slice(at + 1).trim();
    if (Number.isInteger(version) && version >= 0 && value) versions.set(version, value);
  }
  const legacy = env.BETTER_AUTH_SECRET?.trim() || env.AUTH_SECRET?.trim() || undefined;
  if (!versions.size && !legacy) return undefined;
  return { versions, legacy: legacy === DEFAULT_SECRET ? undefined : legacy };
}

const keyOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/** Better Auth's symmetricDecrypt: the plaintext, or an Error saying why not (never the value). */
export function decryptBetterAuthValue(secrets: BetterAuthSecrets, data: string): string {
  let secret: string | undefined;
  let hex = data.trim();
  const envelope = /^\$ba\$(\d+)\$(.*)$/s.exec(hex);
  if (envelope) {
    secret = secrets.versions.get(Number(envelope[1]));
    if (!secret) throw new Error(`it is encrypted with secret version ${envelope[1]}, which BETTER_AUTH_SECRETS does not hold`);
    hex = envelope[2];
  } else {
    // Bare hex: the single secret, or the legacy one next to versioned secrets.
    secret = secrets.legacy ?? (secrets.versions.size === 1 ? [...secrets.versions.values()][0] : undefined);
    if (!secret) throw new Error('it is encrypted with the legacy secret (no $ba$ version), and BETTER_AUTH_SECRET is not set');
  }
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) throw new Error('it is not hex text');
  try {
    return xchacha20poly1305Open(keyOf(secret), Buffer.from(hex, 'hex')).toString('utf8');
  } catch {
    throw new Error('it does not decrypt with the secret given (another BETTER_AUTH_SECRET?)');
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer | undefined {
  const clean = text.toUpperCase().replace(/=+$/, '').replace(/\s+/g, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const i = BASE32.indexOf(ch);
    if (i < 0) return undefined;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * A decrypted two-factor secret as an authenticator app holds it (base32, no padding): Better
 * Auth's own keys are text used as UTF-8 bytes (its otpauth URI encodes those bytes), imported ones
 * (`base32:<key>`) are already base32.
 */
export function totpSecretFromPlaintext(plaintext: string): string {
  if (plaintext.startsWith('base32:')) {
    const bytes = base32Decode(plaintext.slice(7));
    if (!bytes || bytes.length === 0) throw new Error('its base32: key is not base32');
    return base32Encode(bytes);
  }
  if (!plaintext) throw new Error('it is empty');
  return base32Encode(Buffer.from(plaintext, 'utf8'));
}
