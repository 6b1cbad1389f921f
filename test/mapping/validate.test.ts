import { describe, expect, it } from 'vitest';
import type { SourceOrganization, SourceUser } from '../../src/providers/types.js';
import {
  collapseNameWhitespace,
  exceedsDepth,
  flattenMetadata,
  detectHashType,
  isKnownUnsupportedHashType,
  isValidEmail,
  normalizeEmail,
  normalizeHashType,
  splitFullName,
  validateOrganization,
  validateUser,
} from '../../src/services/mapping/index.js';

const BCRYPT = '$2b$10$' + 'N9qo8uLOickgx2ZMRZoMye'.padEnd(53, 'a');
const ARGON2 = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';

function user(extra: Partial<SourceUser> = {}): SourceUser {
  return { sourceId: 'usr_1', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', origin: 'users.csv:2', ...extra };
}

describe('helpers', () => {
  it('normalizes emails by trimming and lowercasing', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });

  it.each([
    'a@b.co',
    'ada.lovelace+tag@example.co.uk',
    'o\'brien@example.com',
    'ünïcode@exämple.de',
  ])('accepts %s', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['ada', 'no @'],
    ['ada@', 'empty domain'],
    ['@example.com', 'empty local part'],
    ['ada@example', 'domain without a dot'],
    ['ada@@example.com', 'two @'],
    ['a@b@example.com', 'two @ apart'],
    ['ada lovelace@example.com', 'space'],
    ['ada@exam\tple.com', 'tab'],
    ['ada@example.com\u0000', 'NUL'],
    ['ada@.example.com', 'domain starting with a dot'],
    ['ada@example.com.', 'domain ending with a dot'],
    ['ada@example..com', 'empty label'],
    [`${'a'.repeat(310)}@example.com`, 'longer than 320'],
  ])('refuses %j (%s)', (email) => {
    expect(isValidEmail(email)).toBe(false);
  });

  it('splits full names: the last token is the last name', () => {
    expect(splitFullName('Ada Lovelace')).toEqual({ firstName: 'Ada', lastName: 'Lovelace' });
    expect(splitFullName('  Mary   Ann  Smith ')).toEqual({ firstName: 'Mary Ann', lastName: 'Smith' });
    expect(splitFullName('Cher')).toEqual({ firstName: 'Cher' });
    expect(splitFullName('   ')).toEqual({});
  });

  it.each([
    [BCRYPT, 'bcrypt'],
    ['$2a$12$' + 'x'.repeat(53), 'bcrypt'],
    ['$2y$10$' + 'y'.repeat(53), 'bcrypt'],
    [ARGON2, 'argon2'],
    ['$scrypt$v=1$n=16384,r=8,p=1,kl=64$c2FsdA$aGFzaA', 'scrypt'],
    ['$pbkdf2$i=600000,d=sha256$c2FsdA$aGFzaA', 'pbkdf2'],
    ['$firebase-scrypt$hash=aGFzaA$salt=c2FsdA$sk=a2V5$ss=Bw$r=8$m=14', 'firebase-scrypt'],
    ['{SSHA}aGFzaGhhc2hzYWx0', 'ssha'],
    ['5f4dcc3b5aa765d61d8327deb882cf99', undefined],
    ['$2b$10$tooshort', undefined],
    ['$6$rounds=5000$salt$hash', undefined],
  ])('detectHashType(%s) = %s', (hash, type) => {
    expect(detectHashType(hash)).toBe(type);
  });

  it('normalizes the spellings of supported hash types', () => {
    expect(normalizeHashType('BCRYPT')).toBe('bcrypt');
    expect(normalizeHashType('argon2id')).toBe('argon2');
    expect(normalizeHashType('scrypt_firebase')).toBe('firebase-scrypt');
    expect(normalizeHashType('md5')).toBeUndefined();
    expect(isKnownUnsupportedHashType('SHA-256')).toBe(true);
    expect(isKnownUnsupportedHashType('ssha')).toBe(false);
    expect(isKnownUnsupportedHashType('bcryp')).toBe(false);
  });
});

describe('validateUser', () => {
  it('finds nothing wrong with a valid user, with or without a supported hash', () => {
    expect(validateUser(user())).toEqual([]);
    expect(validateUser(user({ passwordHash: BCRYPT, passwordHashType: 'bcrypt' }))).toEqual([]);
    expect(validateUser(user({ passwordHash: ARGON2, passwordHashType: 'argon2id' }))).toEqual([]);
    expect(validateUser(user({ passwordHash: BCRYPT }))).toEqual([]); // type detected from the hash
    expect(validateUser(user({ metadata: { plan: 'pro' }, firstName: '  Ada ' }))).toEqual([]);
  });

  it.each(['ada', 'ada@example', 'ada lovelace@example.com', 'ada@@example.com'])('refuses the email %j with an error', (email) => {
    const issues = validateUser(user({ email }));
    expect(issues).toEqual([
      {
        location: 'users.csv:2',
        field: 'email',
        message: `${JSON.stringify(email)} is not a valid email address; fix it at the source (or map the right column to email).`,
        recordKind: 'user',
        sourceId: 'usr_1',
        severity: 'error',
      },
    ]);
  });

  it('refuses a missing email', () => {
    expect(validateUser(user({ email: '  ' }))).toMatchObject([{ field: 'email', severity: 'error', message: expect.stringMatching(/^no email address/) }]);
  });

  it('allows an external id of 128 characters and refuses 129', () => {
    expect(validateUser(user({ sourceId: 'x'.repeat(128) }))).toEqual([]);
    const issues = validateUser(user({ sourceId: 'x'.repeat(129) }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'externalId', severity: 'error', sourceId: 'x'.repeat(129) });
    expect(issues[0].message).toBe(
      'id is 129 characters; a WorkOS externalId holds at most 128 — use a shorter id column (or shorten the ids at the source).',
    );
  });

  it('allows 50 metadata keys and refuses 51', () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    expect(validateUser(user({ metadata: fifty }))).toEqual([]);
    const issues = validateUser(user({ metadata: { ...fifty, k50: 'v' } }));
    expect(issues).toMatchObject([
      { field: 'metadata', severity: 'error', message: 'metadata has 51 keys; WorkOS allows at most 50 — carry fewer fields into metadata.' },
    ]);
  });

  it('allows a 40-character metadata key and refuses 41', () => {
    expect(validateUser(user({ metadata: { ['k'.repeat(40)]: 'v' } }))).toEqual([]);
    const key = 'k'.repeat(41);
    expect(validateUser(user({ metadata: { [key]: 'v' } }))).toMatchObject([
      { field: `metadata.${key}`, severity: 'error', message: `metadata key "${key}" is 41 characters; at most 40 are allowed — use a shorter key.` },
    ]);
  });

  it('allows a 600-character metadata value and refuses 601, and non-string values', () => {
    expect(validateUser(user({ metadata: { bio: 'b'.repeat(600) } }))).toEqual([]);
    expect(validateUser(user({ metadata: { bio: 'b'.repeat(601) } }))).toMatchObject([
      {
        field: 'metadata.bio',
        severity: 'error',
        message: 'metadata value for "bio" is 601 characters; at most 600 are allowed — shorten it or leave it out of metadata.',
      },
    ]);
    const issues = validateUser(user({ metadata: { age: 42 as unknown as string } }));
    expect(issues).toMatchObject([{ field: 'metadata.age', severity: 'error', message: expect.stringContaining('is number; WorkOS metadata values are strings') }]);
  });

  it('refuses control characters in names (after trimming)', () => {
    expect(validateUser(user({ firstName: '\tAda\n' }))).toEqual([]);
    expect(validateUser(user({ lastName: 'Love\u0007lace' }))).toMatchObject([
      { field: 'lastName', severity: 'error', message: 'lastName contains a control character (U+0007 at position 5); remove it at the source.' },
    ]);
  });

  it.each(['md5', 'sha1', 'SHA256', 'sha512', 'sha', 'crypt'])('imports a %s hash without password (warning: reset needed)', (type) => {
    const issues = validateUser(user({ passwordHash: '5f4dcc3b5aa765d61d8327deb882cf99', passwordHashType: type }));
    expect(issues).toEqual([
      {
        location: 'users.csv:2',
        field: 'passwordHashType',
        message: `password hash type "${type}" is not supported by WorkOS (it accepts bcrypt, scrypt, firebase-scrypt, pbkdf2, argon2, ssha); this user will be imported without a password and will need a password reset (hashes are never re-hashed).`,
        recordKind: 'user',
        sourceId: 'usr_1',
        severity: 'warning',
      },
    ]);
  });

  it('refuses an unknown hash type, naming it and the accepted ones', () => {
    const issues = validateUser(user({ passwordHash: BCRYPT, passwordHashType: 'bcryp' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'passwordHashType', severity: 'error' });
    expect(issues[0].message).toMatch(/^unknown password hash type "bcryp" \(WorkOS accepts bcrypt, scrypt, firebase-scrypt, pbkdf2, argon2, ssha\); fix the value/);
  });

  it('handles a hash without a type: detected, known unsupported, or unrecognised', () => {
    expect(validateUser(user({ passwordHash: ARGON2 }))).toEqual([]);
    expect(validateUser(user({ passwordHash: '5f4dcc3b5aa765d61d8327deb882cf99' }))).toMatchObject([
      { field: 'passwordHashType', severity: 'warning', message: expect.stringContaining('looks like a hex MD5-sized digest, which WorkOS does not accept; this user will be imported without a password and will need a password reset') },
    ]);
    expect(validateUser(user({ passwordHash: 'opaque-blob' }))).toMatchObject([
      { field: 'passwordHashType', severity: 'error', message: expect.stringContaining('password hash has no type and its format is not recognised') },
    ]);
  });

  it('warns about a hash type without a hash', () => {
    expect(validateUser(user({ passwordHashType: 'bcrypt' }))).toMatchObject([
      { field: 'passwordHash', severity: 'warning', message: expect.stringContaining('password hash type is "bcrypt" but there is no password hash') },
    ]);
  });

  it('refuses a hash that does not match its declared type', () => {
    expect(validateUser(user({ passwordHash: ARGON2, passwordHashType: 'bcrypt' }))).toMatchObject([
      { field: 'passwordHash', severity: 'error', message: expect.stringContaining('password hash does not look like a bcrypt hash (expected $2a$/$2b$/$2y$<cost>$<53 characters>); it looks like argon2') },
    ]);
  });

  it('gives every issue a field, a severity and a message saying what to do', () => {
    const issues = validateUser({
      sourceId: 'x'.repeat(200),
      email: 'nope',
      firstName: 'a\u0000',
      metadata: { ['k'.repeat(41)]: 'v'.repeat(601) },
      passwordHash: 'zzz',
      passwordHashType: 'rot13',
    });
    expect(issues.map((i) => i.field)).toEqual(['externalId', 'email', 'firstName', `metadata.${'k'.repeat(41)}`, `metadata.${'k'.repeat(41)}`, 'passwordHashType']);
    for (const issue of issues) {
      expect(issue.severity).toBe('error');
      expect(issue.location).toBe('x'.repeat(200)); // no origin: the source id
      expect(issue.message).toMatch(/(;| —) .*(fix|use|remove|shorten|map|drop|carry)/);
    }
  });
});

describe('validateOrganization', () => {
  const org = (extra: Partial<SourceOrganization> = {}): SourceOrganization => ({
    sourceId: 'org_1',
    name: 'Acme',
    domains: [{ domain: 'acme.com', state: 'pending' }],
    origin: 'users.csv:2',
    ...extra,
  });

  it('finds nothing wrong with a valid organization', () => {
    expect(validateOrganization(org())).toEqual([]);
    expect(validateOrganization(org({ domains: [{ domain: 'bücher.example', state: 'verified' }] }))).toEqual([]);
  });

  it('refuses bad domains, an empty name and a long external id', () => {
    expect(validateOrganization(org({ domains: [{ domain: 'not a domain', state: 'pending' }] }))).toEqual([
      {
        location: 'users.csv:2',
        field: 'domains',
        message: '"not a domain" is not a valid domain (expected e.g. example.com); fix or remove it at the source.',
        recordKind: 'organization',
        sourceId: 'org_1',
        severity: 'error',
      },
    ]);
    expect(validateOrganization(org({ name: ' ' }))).toMatchObject([{ field: 'name', severity: 'error' }]);
    expect(validateOrganization(org({ sourceId: 'o'.repeat(129) }))).toMatchObject([{ field: 'externalId', severity: 'error' }]);
    expect(validateOrganization(org({ metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }))).toMatchObject([
      { field: 'metadata', severity: 'error' },
    ]);
  });
});

describe('emails that only contain an address', () => {
  it.each([
    ['mailto:ada@example.com', '"mailto:ada@example.com" is a mailto: link, not an email address; remove the "mailto:" prefix at the source (the address is ada@example.com).'],
    ['MAILTO:ada@example.com', '"MAILTO:ada@example.com" is a mailto: link, not an email address; remove the "MAILTO:" prefix at the source (the address is ada@example.com).'],
    ['sip:ada@example.com', '"sip:ada@example.com" is a sip: link, not an email address; remove the "sip:" prefix at the source (the address is ada@example.com).'],
    [
      '<ada@example.com>',
      '"<ada@example.com>" is not a plain email address: it holds "<", which an address cannot (a display name or link form, or several addresses?); write the address alone (ada@example.com) at the source.',
    ],
    [
      'ada@example.com;bob@example.com',
      '"ada@example.com;bob@example.com" is not a plain email address: it holds ";", which an address cannot (a display name or link form, or several addresses?); write the address alone at the source.',
    ],
    ['"ada"@example.com', expect.stringContaining('is not a plain email address: it holds "\\""')],
  ])('refuses %j, saying what it is', (email, message) => {
    expect(isValidEmail(email)).toBe(false);
    expect(validateUser(user({ email }))).toEqual([{ location: 'users.csv:2', field: 'email', message, recordKind: 'user', sourceId: 'usr_1', severity: 'error' }]);
  });

  it('still accepts addresses with the characters an address may hold', () => {
    for (const email of ["o'brien+tag@example.com", 'a.b-c_d@sub.example.co.uk', 'x!#$%&*=?^`{|}~@example.com', 'ünïcode@exämple.de']) {
      expect(isValidEmail(email), email).toBe(true);
    }
  });
});

describe('source values that are Object.prototype members', () => {
  it('a hash type named constructor, toString or __proto__ is unknown, not a crash', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(normalizeHashType(type)).toBeUndefined();
      expect(validateUser(user({ passwordHash: BCRYPT, passwordHashType: type }))).toMatchObject([
        { field: 'passwordHashType', severity: 'error', message: expect.stringMatching(new RegExp(`^unknown password hash type "${type}"`)) },
      ]);
    }
  });
});

describe('names', () => {
  it('collapses runs of line breaks and tabs to one space and trims; other text is returned as it is', () => {
    expect(collapseNameWhitespace('Mary\r\nAnn')).toBe('Mary Ann');
    expect(collapseNameWhitespace(' Mary \n\t \r\n Ann\t')).toBe('Mary Ann');
    expect(collapseNameWhitespace('Mary\u2028Ann')).toBe('Mary Ann');
    const plain = 'Mary  Ann ';
    expect(collapseNameWhitespace(plain)).toBe(plain);
    // Control characters that are not line breaks are left for validation to refuse.
    expect(collapseNameWhitespace('Bo\u0007b')).toBe('Bo\u0007b');
  });
});

describe('flattenMetadata', () => {
  const into = () => Object.create(null) as Record<string, string>;

  it('flattens with dots, writes non-strings as JSON, skips nulls and empty objects', () => {
    const out = into();
    expect(flattenMetadata({ a: 'x', n: 1.5, b: false, list: [1, { z: 2 }], o: { p: { q: 'deep' } }, none: null, e: {} }, out)).toEqual([]);
    expect({ ...out }).toEqual({ a: 'x', n: '1.5', b: 'false', list: '[1,{"z":2}]', 'o.p.q': 'deep' });
  });

  it('leaves out what WorkOS cannot hold, saying why, keeping what it can', () => {
    const out = into();
    out.taken = 'first';
    const dropped = flattenMetadata({ taken: 'second', ['k'.repeat(41)]: 'v', v: 'x'.repeat(601), '': 'empty', ok: 'yes' }, out);
    expect({ ...out }).toEqual({ taken: 'first', ok: 'yes' });
    expect(dropped).toEqual([
      { key: 'taken', reason: "the key is already set (by a metadata.KEY column, the source's own fields or an earlier metadata object); the first value was kept" },
      { key: 'k'.repeat(41), reason: 'the key is 41 characters, WorkOS allows at most 40; shorten it at the source' },
      { key: 'v', reason: 'its value is 601 characters, WorkOS allows at most 600; shorten it at the source' },
      { key: '', reason: 'the key is empty; name the field at the source' },
    ]);
  });

  it('keeps 50 keys and names every one over the limit in one entry', () => {
    const out = into();
    const dropped = flattenMetadata(Object.fromEntries(Array.from({ length: 52 }, (_, i) => [`k${i}`, 'v'])), out);
    expect(Object.keys(out)).toHaveLength(50);
    expect(dropped).toEqual([
      { key: 'k50', keys: ['k50', 'k51'], reason: 'WorkOS allows at most 50 metadata keys and the record already has 50, so 2 keys were left out: "k50", "k51"' },
    ]);
  });

  it('takes `__proto__` as a key, and never recurses past the stack', () => {
    const out = into();
    expect(flattenMetadata(JSON.parse('{"__proto__": {"x": "1"}, "constructor": "c"}'), out)).toEqual([]);
    expect(Object.entries(out)).toEqual([
      ['__proto__.x', '1'],
      ['constructor', 'c'],
    ]);
    let deepArray: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deepArray = [deepArray];
    expect(exceedsDepth(deepArray)).toBe(true);
    expect(exceedsDepth([[['x']]], 3)).toBe(false);
    expect(flattenMetadata({ list: deepArray }, into())).toEqual([{ key: 'list', reason: 'its value is nested more than 100 levels deep' }]);
  });
});
