import { randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { passwordHashProblem } from '../../src/sandbox/hash-formats.js';
import { stytchScryptHash, writeStytchPasswordExport, type PasswordExportShape } from '../../src/sandbox/stytch/index.js';
import { parseStytchPasswordExport, readStytchPasswordExport, stytchScryptToPhc } from '../../src/services/passwords/stytch.js';
import { tempDir } from '../helpers.js';

/** Parses a WorkOS scrypt PHC string back into what scrypt needs. */
function parsePhc(phc: string) {
  const [, type, version, params, salt, hash] = phc.split('$');
  expect(type).toBe('scrypt');
  expect(version).toBe('v=1');
  const p = Object.fromEntries(params.split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  return { N: p.n, r: p.r, p: p.p, kl: p.kl, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

/** What a WorkOS login would do: scrypt the password with the PHC's own parameters and salt. */
function verifies(phc: string, password: string): boolean {
  const parsed = parsePhc(phc);
  const key = scryptSync(password, parsed.salt, parsed.kl, { N: parsed.N, r: parsed.r, p: parsed.p, maxmem: 256 * parsed.N * parsed.r + (1 << 20) });
  return key.equals(parsed.hash);
}

describe('Stytch password export -> WorkOS scrypt PHC', () => {
  it('recomputes Stytch hashes (real parameters N=32768) from the converted PHC strings', async () => {
    const params = { N: 32768, r: 8, p: 1, keyLength: 32 };
    const passwords = ['correct horse battery staple', 'pässwörd-ünïcode', 'x'];
    const rows = passwords.map((password, i) => {
      // Stytch's way: salt text = base64url of random bytes; scrypt's salt input = that TEXT.
      const saltText = randomBytes(16).toString('base64url');
      const hash = scryptSync(password, Buffer.from(saltText), params.keyLength, { N: params.N, r: params.r, p: params.p, maxmem: 64 << 20 }).toString('base64url');
      return { id: `member-test-${i}`, hash, salt: saltText, hash_method: 'scrypt' as const, password };
    });
    const file = path.join(tempDir(), 'export.csv');
    writeStytchPasswordExport(file, rows, params);
    const exported = await readStytchPasswordExport(file);
    expect(exported.params).toEqual(params);
    expect(exported.issues).toEqual([]);
    for (const row of rows) {
      const converted = exported.byId.get(row.id)!;
      expect(converted.type).toBe('scrypt');
      expect(converted.hash).toMatch(/^\$scrypt\$v=1\$n=32768,r=8,p=1,kl=32\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
      expect(passwordHashProblem('scrypt', converted.hash)).toBeNull();
      expect(verifies(converted.hash, row.password)).toBe(true);
      expect(verifies(converted.hash, `${row.password}!`)).toBe(false);
    }
  });

  it('a salt read as its decoded bytes would not reproduce the hash (the subtlety the converter gets right)', () => {
    const params = { N: 1024, r: 8, p: 1, keyLength: 32 };
    const { salt, hash } = stytchScryptHash('hunter2', params);
    const right = stytchScryptToPhc(params, salt, hash);
    expect(verifies(right, 'hunter2')).toBe(true);
    // The wrong reading: salt field = base64 of the DECODED salt bytes. Well-formed, passes the
    // validator, and never verifies: every user would fail at login.
    const decodedSalt = Buffer.from(salt, 'base64url').toString('base64').replace(/=+$/, '');
    const wrong = right.replace(parsePhcSaltField(right), decodedSalt);
    expect(wrong).not.toBe(right);
    expect(passwordHashProblem('scrypt', wrong)).toBeNull();
    expect(verifies(wrong, 'hunter2')).toBe(false);
    // The salt field is the base64 of the salt TEXT.
    expect(Buffer.from(parsePhcSaltField(right), 'base64').toString('utf8')).toBe(salt);
  });

  it.each<PasswordExportShape>(['comment', 'pairs', 'json', 'headerless'])('reads the parameters from a %s-shaped header, never hard-coded', async (shape) => {
    const params = { N: 2048, r: 4, p: 2, keyLength: 64 };
    const { salt, hash } = stytchScryptHash('s3cret', params);
    const file = path.join(tempDir(), `${shape}.csv`);
    writeStytchPasswordExport(file, [{ id: 'member-test-a', hash, salt, hash_method: 'scrypt' }], params, shape);
    const exported = await readStytchPasswordExport(file);
    expect(exported.params).toEqual(params);
    const phc = exported.byId.get('member-test-a')!.hash;
    expect(phc).toContain('$n=2048,r=4,p=2,kl=64$');
    expect(verifies(phc, 's3cret')).toBe(true);
  });

  it('accepts other spellings: key: value, log_n, quoted cells, CRLF, a BOM, a type column, per-row parameters', async () => {
    const params = { N: 4096, r: 8, p: 1, keyLength: 32 };
    const a = stytchScryptHash('alpha', params);
    const b = stytchScryptHash('beta', { ...params, N: 1024 });
    const text =
      '\uFEFFStytch scrypt export\r\n' +
      'exported_at: 2024-05-01\r\n' +
      'log_n: 12\r\nblock_size: 8\r\nparallelization: 1\r\ndkLen: 32\r\n' +
      '"member_id","password_hash","salt","algorithm","n"\r\n' +
      `"member-test-a","${a.hash}","${a.salt}","scrypt",""\r\n` +
      `member-test-b,${b.hash},${b.salt},SCRYPT,1024\r\n`;
    const exported = await parseStytchPasswordExport(text, 'x.csv');
    expect(exported.params).toEqual(params);
    expect(verifies(exported.byId.get('member-test-a')!.hash, 'alpha')).toBe(true);
    expect(verifies(exported.byId.get('member-test-b')!.hash, 'beta')).toBe(true);
  });

  it('passes bcrypt and argon2 rows through with their own type, reports the rest without leaking hashes', async () => {
    const params = { N: 1024, r: 8, p: 1, keyLength: 32 };
    const good = stytchScryptHash('ok', params);
    const bcrypt = '$2b$10$' + 'a'.repeat(53);
    const argon = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA';
    const secretLooking = 'd41d8cd98f00b204e9800998ecf8427e';
    const short = Buffer.alloc(16, 7).toString('base64url');
    const text = [
      '# N=1024, r=8, p=1, key_length=32',
      'id,hash,salt,hash_method',
      `member-test-1,${good.hash},${good.salt},scrypt`,
      `member-test-2,${bcrypt},,bcrypt`,
      `member-test-3,${argon},,argon2`,
      `member-test-4,${secretLooking},abc,md5`,
      `member-test-5,${short},${good.salt},scrypt`,
      `member-test-6,${good.hash},,scrypt`,
      `member-test-1,${good.hash},${good.salt},scrypt`,
      `Someone@Example.com,${bcrypt},,bcrypt`,
    ].join('\n');
    const exported = await parseStytchPasswordExport(text, 'support.csv');
    expect(exported.byId.get('member-test-1')!.type).toBe('scrypt');
    expect(exported.byId.get('member-test-2')).toMatchObject({ type: 'bcrypt', hash: bcrypt });
    expect(exported.byId.get('member-test-3')).toMatchObject({ type: 'argon2', hash: argon });
    expect(exported.byId.get('someone@example.com')).toMatchObject({ type: 'bcrypt' });
    for (const id of ['member-test-4', 'member-test-5', 'member-test-6']) expect(exported.byId.has(id)).toBe(false);
    expect(passwordHashProblem('bcrypt', exported.byId.get('member-test-2')!.hash)).toBeNull();
    expect(passwordHashProblem('argon2', exported.byId.get('member-test-3')!.hash)).toBeNull();

    expect(exported.issues.map((i) => i.location)).toEqual(['support.csv:6', 'support.csv:7', 'support.csv:8', 'support.csv:9']);
    expect(exported.issues[0].message).toMatch(/md5.*cannot be imported/);
    expect(exported.issues[1].message).toMatch(/16 bytes but the key length is 32/);
    expect(exported.issues[2].message).toMatch(/without a salt/);
    expect(exported.issues[3].message).toMatch(/second row.*line 3/);
    const everything = JSON.stringify(exported.issues);
    for (const secret of [good.hash, good.salt, secretLooking, short, bcrypt]) expect(everything).not.toContain(secret);
    expect(exported.issues.every((i) => i.severity === 'warning')).toBe(true);
  });

  it('refuses bad files with the line and the next step', async () => {
    const params = { N: 1024, r: 8, p: 1, keyLength: 32 };
    const { salt, hash } = stytchScryptHash('pw', params);
    const expectError = async (text: string | Buffer, pattern: RegExp) => {
      const caught = await parseStytchPasswordExport(text, 'f.csv').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(caught).toBeInstanceOf(ExpectedError);
      expect((caught as Error).message).toMatch(pattern);
      expect((caught as ExpectedError).nextStep).toBeTruthy();
      expect((caught as Error).message).not.toContain(hash);
    };
    // scrypt rows, no parameters
    await expectError(`id,hash,salt,hash_method\nm1,${hash},${salt},scrypt\n`, /^f\.csv:2: scrypt rows but no scrypt parameters/);
    // some parameters only
    await expectError(`# N=1024, r=8\nid,hash,salt,hash_method\nm1,${hash},${salt},scrypt\n`, /^f\.csv:3: .*missing: p, key length/);
    // conflicting parameters
    await expectError(`# N=1024\nN,2048\nid,hash,salt,hash_method\n`, /^f\.csv:2: scrypt N is given twice .*1024 on line 1, 2048/);
    // N not a power of two
    await expectError(`# N=1000, r=8, p=1, key_length=32\nid,hash,salt,hash_method\nm1,${hash},${salt},scrypt\n`, /^f\.csv:1: scrypt N must be a power of 2/);
    // unterminated quote
    await expectError(`# N=1024, r=8, p=1, key_length=32\nid,hash,salt,hash_method\n"m1,${hash},${salt},scrypt\n`, /^f\.csv:3: a quoted field is never closed/);
    // ... after good rows, a comment and a blank line: the line it starts on
    await expectError(
      `# N=1024, r=8, p=1, key_length=32\nid,hash,salt,hash_method\nm0,${hash},${salt},scrypt\n# note\n\nm1,"${hash},${salt},scrypt\nm2,${hash},${salt},scrypt\n`,
      /^f\.csv:6: a quoted field is never closed/,
    );
    // header, no rows
    await expectError(`# N=1024, r=8, p=1, key_length=32\nid,hash,salt,hash_method\n`, /^f\.csv:2: the export has a header but no rows/);
    // not the export at all
    await expectError('name,email\nAda,ada@example.com\n', /no column header row/);
    // still encrypted
    await expectError('-----BEGIN PGP MESSAGE-----\nhQEMA...\n', /still PGP-encrypted/);
    await expectError(Buffer.from([0x85, 0x01, 0x0c, 0x00, 0x41]), /binary file/);
    // missing file
    await expect(readStytchPasswordExport(path.join(tempDir(), 'nope.csv'))).rejects.toThrow(/no such file/);
    // a directory
    await expect(readStytchPasswordExport(tempDir())).rejects.toThrow(ExpectedError);
    // and a file that exists but is empty
    const empty = path.join(tempDir(), 'empty.csv');
    fs.writeFileSync(empty, '');
    await expect(readStytchPasswordExport(empty)).rejects.toThrow(ExpectedError);
  });

  it('reads quoted line breaks, a BOM and CRLF, and locates each row on the line it starts on, however the file is cut into chunks', async () => {
    const params = { N: 1024, r: 8, p: 1, keyLength: 32 };
    const a = stytchScryptHash('alpha', params);
    const b = stytchScryptHash('beta', params);
    const text =
      '\uFEFF# N=1024, r=8, p=1, key_length=32\r\n' +
      'id,hash,salt,hash_method,note\r\n' +
      `mémber-a,${a.hash},${a.salt},scrypt,"two\r\nlines, ""quoted"""\r\n` +
      '# a comment\r\n' +
      '\r\n' +
      `member-b,${b.hash},,scrypt,plain\r\n` +
      `member-c,${b.hash},${b.salt},md5,"x\ny\rz"\r\n` +
      `member-d,${b.hash},${b.salt},scrypt`;
    const summary = (e: Awaited<ReturnType<typeof parseStytchPasswordExport>>) => ({
      ids: [...e.byId.entries()].map(([id, h]) => [id, h.type, h.line]),
      issues: e.issues.map((i) => [i.location, i.message.split(':')[0]]),
      rows: e.rows,
      counts: e.counts,
    });
    const file = path.join(tempDir(), 'quoted.csv');
    fs.writeFileSync(file, text);
    const whole = await readStytchPasswordExport(file);
    expect(summary(whole)).toEqual({
      ids: [
        ['mémber-a', 'scrypt', 3],
        ['member-d', 'scrypt', 11],
      ],
      issues: [
        ['quoted.csv:7', 'password row for member-b'],
        ['quoted.csv:8', 'password row for member-c'],
      ],
      rows: 4,
      counts: { scrypt: 2, invalid: 1, unsupported: 1 },
    });
    expect(verifies(whole.byId.get('mémber-a')!.hash, 'alpha')).toBe(true);
    expect(verifies(whole.byId.get('member-d')!.hash, 'beta')).toBe(true);
    // Chunk edges inside the BOM, a CRLF, the é and a quoted value change nothing.
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(summary(await parseStytchPasswordExport(chunks, 'quoted.csv')), `chunks of ${size}`).toEqual(summary(whole));
    }
  });

  it('reads a large export chunk by chunk, the same as written', async () => {
    const params = { N: 1024, r: 8, p: 1, keyLength: 32 };
    const one = stytchScryptHash('same', params);
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: `member-test-${i}`, ...one, hash_method: 'scrypt' as const }));
    const file = path.join(tempDir(), 'large.csv');
    writeStytchPasswordExport(file, rows, params);
    expect(fs.statSync(file).size).toBeGreaterThan(4 * 64 * 1024);
    const exported = await readStytchPasswordExport(file);
    expect(exported.rows).toBe(20_000);
    expect(exported.byId.size).toBe(20_000);
    expect(exported.issues).toEqual([]);
    expect(exported.byId.get('member-test-19999')).toMatchObject({ type: 'scrypt', line: 20_003 });
    expect(verifies(exported.byId.get('member-test-12345')!.hash, 'same')).toBe(true);
  });

  it('reads a row with an empty first cell as having no id (a hash never becomes an id in a message)', async () => {
    const params = { N: 1024, r: 8, p: 1, keyLength: 32 };
    const { salt, hash } = stytchScryptHash('pw', params);
    const exported = await parseStytchPasswordExport(`# N=1024, r=8, p=1, key_length=32\nid\thash\tsalt\thash_method\n\t${hash}\t${salt}\tscrypt\n`, 't.csv');
    expect(exported.issues.map((i) => [i.location, i.message])).toEqual([['t.csv:3', expect.stringMatching(/^password row: no id/)]]);
    expect(JSON.stringify(exported.issues)).not.toContain(hash);
  });
});

function parsePhcSaltField(phc: string): string {
  return phc.split('$')[4];
}
