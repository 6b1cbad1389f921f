import { describe, expect, it } from 'vitest';
import { redactHash } from '../../src/services/mapping/hash.js';

describe('redactHash', () => {
  it('takes the hash, its salt and its digest out of a text, and leaves algorithm and parameter names', () => {
    const scrypt = '$scrypt$v=1$n=16384,r=8,p=1,kl=32$c2FsdHNhbHQ$QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo';
    expect(redactHash(`bad scrypt hash ${scrypt}`, scrypt)).toBe('bad scrypt hash [hash]');
    expect(redactHash('salt c2FsdHNhbHQ and digest QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo, n=16384', scrypt)).toBe('salt [hash] and digest [hash], n=16384');

    const bcrypt = '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
    expect(redactHash(`salt abcdefghijklmnopqrstuu, digest ABCDEFGHIJKLMNOPQRSTUVWXYZ01234`, bcrypt)).toBe('salt [hash], digest [hash]');

    const argon2 = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo';
    expect(redactHash('not a valid argon2id hash: c2FsdHNhbHRzYWx0', argon2)).toBe('not a valid argon2id hash: [hash]');

    const pbkdf2 = '$pbkdf2-sha256$i=600000,l=32$c2FsdC1zb21l$ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0';
    expect(redactHash('pbkdf2-sha256 with ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0', pbkdf2)).toBe('pbkdf2-sha256 with [hash]');

    const ssha = '{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=';
    expect(redactHash(`got ${ssha}`, ssha)).toBe('got [hash]');
    expect(redactHash('got W6ph5Mm5Pz8GgiULbPgzG37mj9g', ssha)).toBe('got [hash]');
  });

  it('leaves a text alone when there is no hash, or the hash is not in it', () => {
    expect(redactHash('Could not update user.', null)).toBe('Could not update user.');
    expect(redactHash('Could not update user.', '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234')).toBe('Could not update user.');
  });
});
