import { randomInt } from 'node:crypto';

/**
 * WorkOS ids are a prefix plus a ULID (`user_01H...`, 26 Crockford base32 characters). We make
 * them monotonic so that sorting by id equals sorting by creation, which is what cursor paging
 * (`after` / `before`) relies on.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_CHARS = 16;

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** Adds one to a base32 digit array; on the (astronomically unlikely) overflow, starts over. */
function increment(digits: number[]): number[] {
  const next = digits.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 31) {
      next[i]++;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

export function ulid(): string {
  // Never go backwards, even if the wall clock does.
  const now = Math.max(Date.now(), lastTime);
  if (now === lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = Array.from({ length: RANDOM_CHARS }, () => randomInt(32));
    // Keep headroom so increments within one millisecond don't overflow.
    lastRandom[0] &= 0x0f;
  }
  return encodeTime(now) + lastRandom.map((d) => ALPHABET[d]).join('');
}

export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}

/** Opaque random token (password reset tokens and the like). */
export function randomToken(length = 25): string {
  return Array.from({ length }, () => ALPHABET[randomInt(32)]).join('');
}
