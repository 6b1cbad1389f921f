/**
 * The Better Auth pieces on their own, against the real better-auth package: its scrypt hashes
 * converted to WorkOS's PHC form and recomputed from a known password; its encrypted two-factor
 * secrets (plain and versioned `$ba$<v>$` envelopes) decrypted; roles, URLs, read-only access.
 */
import { scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hashPassword, symmetricEncrypt } from 'better-auth/crypto';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createBetterAuthProvider } from '../../src/providers/better-auth/index.js';
import { maskUrl, openConnection } from '../../src/providers/better-auth/connection.js';
import { splitRoles } from '../../src/providers/better-auth/mapping.js';
import { base32Encode, decryptBetterAuthValue, hchacha20, secretsFromEnv, totpSecretFromPlaintext } from '../../src/providers/better-auth/two-factor.js';
import { betterAuthScryptToPhc, convertBetterAuthPassword } from '../../src/services/passwords/better-auth.js';
import { tempDir } from '../helpers.js';
import { MYSQL_ADMIN_URL, POSTGRES_ADMIN_URL, serverUp } from './fixture.js';

const postgresUp = await serverUp('postgres');
const mysqlUp = await serverUp('mysql');

function phcVerifies(phc: string, password: string): boolean {
  const [, , , params, salt, hash] = phc.split('$');
  const p = Object.fromEntries(params.split(',').map((kv) => kv.split('='))) as Record<string, string>;
  const N = Number(p.n);
  const r = Number(p.r);
  return scryptSync(password, Buffer.from(salt, 'base64'), Number(p.kl), { N, r, p: Number(p.p), maxmem: 256 * N * r + (1 << 20) }).equals(Buffer.from(hash, 'base64'));
}

describe('Better Auth scrypt -> WorkOS PHC', () => {
  it('converts hashes made by better-auth so that the known password recomputes (salt = the hex text)', async () => {
    for (const password of ['correct horse battery staple', 'Pässwörd-日本語']) {
      const stored = await hashPassword(password);
      expect(stored).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);
      const phc = betterAuthScryptToPhc(stored);
      expect(phc).toMatch(/^\$scrypt\$v=1\$n=16384,r=16,p=1,kl=64\$[A-Za-z0-9+/]{43}\$[A-Za-z0-9+/]{86}$/);
      expect(phcVerifies(phc, password)).toBe(true);
      expect(phcVerifies(phc, `${password}x`)).toBe(false);
      // The tempting mistake: the salt's decoded bytes. Well-formed, and never verifies.
      const [saltHex] = stored.split(':');
      const wrong = phc.replace(/\$[^$]{43}\$/, `$${Buffer.from(saltHex, 'hex').toString('base64').replace(/=+$/, '')}$`);
      expect(phcVerifies(wrong, password)).toBe(false);
    }
  });

  it('hashes NFKC-normalized passwords: a password NFKC changes only verifies in its NFKC form', async () => {
    const typed = 'ｆｕｌｌ－ｗｉｄｔｈ';
    const phc = betterAuthScryptToPhc(await hashPassword(typed));
    expect(phcVerifies(phc, typed)).toBe(false);
    expect(phcVerifies(phc, typed.normalize('NFKC'))).toBe(true);
  });

  it('passes custom hashers through (bcrypt, argon2) and names the rest', () => {
    const bcrypt = '$2b$10$' + 'a'.repeat(53);
    expect(convertBetterAuthPassword(bcrypt)).toEqual({ ok: true, hash: bcrypt, type: 'bcrypt', from: 'custom' });
    const argon = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
    expect(convertBetterAuthPassword(argon)).toMatchObject({ ok: true, type: 'argon2' });
    expect(convertBetterAuthPassword('$pbkdf2-sha256$29000$abc$def')).toMatchObject({ ok: false, type: 'pbkdf2-sha256' });
    expect(convertBetterAuthPassword('5f4dcc3b5aa765d61d8327deb882cf99')).toMatchObject({ ok: false, type: 'better-auth-custom' });
  });
});

describe('Better Auth two-factor secrets', () => {
  it('implements HChaCha20 as its spec says (draft-irtf-cfrg-xchacha-03, 2.2.1)', () => {
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const nonce = Buffer.from('000000090000004a0000000031415927', 'hex');
    expect(hchacha20(key, nonce).toString('hex')).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it('decrypts what better-auth encrypted, with its secret or its versioned secrets', async () => {
    const secret = 'app-secret-0123456789-abcdefghijklmnop';
    const plain = await symmetricEncrypt({ key: secret, data: 'ABCDEFGHabcdefgh0123456789xyzXYZ' });
    expect(decryptBetterAuthValue(secretsFromEnv({ BETTER_AUTH_SECRET: secret })!, plain)).toBe('ABCDEFGHabcdefgh0123456789xyzXYZ');
    const versioned = await symmetricEncrypt({ key: { keys: new Map([[2, 'new-secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxx'], [1, 'old-secret-yyyyyyyyyyyyyyyyyyyyyyyyyyy']]), currentVersion: 2 }, data: 'k2' });
    expect(versioned.startsWith('$ba$2$')).toBe(true);
    const env = { BETTER_AUTH_SECRETS: '2:new-secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxx,1:old-secret-yyyyyyyyyyyyyyyyyyyyyyyyyyy', BETTER_AUTH_SECRET: secret };
    expect(decryptBetterAuthValue(secretsFromEnv(env)!, versioned)).toBe('k2');
    // Bare hex next to versioned secrets: the legacy BETTER_AUTH_SECRET.
    expect(decryptBetterAuthValue(secretsFromEnv(env)!, plain)).toBe('ABCDEFGHabcdefgh0123456789xyzXYZ');
    expect(() => decryptBetterAuthValue(secretsFromEnv({ BETTER_AUTH_SECRET: 'another-secret' })!, plain)).toThrow(/does not decrypt/);
    expect(() => decryptBetterAuthValue(secretsFromEnv({ BETTER_AUTH_SECRETS: '1:old-secret-yyyyyyyyyyyyyyyyyyyyyyyyyyy' })!, versioned)).toThrow(/version 2/);
  });

  it('hands the secret over as an authenticator app holds it (base32 of its bytes; base32: keys as they are)', () => {
    expect(totpSecretFromPlaintext('hello')).toBe(base32Encode(Buffer.from('hello')));
    expect(totpSecretFromPlaintext('hello')).toBe('NBSWY3DP');
    expect(totpSecretFromPlaintext('base32:jbswy3dpehpk3pxp')).toBe('JBSWY3DPEHPK3PXP');
  });
});

describe('Better Auth odds and ends', () => {
  it('splits comma-joined roles, member by default', () => {
    expect(splitRoles('admin,billing')).toEqual(['admin', 'billing']);
    expect(splitRoles(' owner , admin ,')).toEqual(['owner', 'admin']);
    expect(splitRoles(null)).toEqual(['member']);
  });

  it('masks the password of a URL', () => {
    expect(maskUrl('postgres://app:p%40ss@db.example.com:5432/prod?sslmode=require')).toBe('postgres://app:****@db.example.com:5432/prod?sslmode=require');
    expect(maskUrl('mysql://root@localhost/app?password=x')).toBe('mysql://root@localhost/app?password=****');
  });

  it('never writes to a SQLite database (opened read-only) and leaves its file untouched', async () => {
    const file = path.join(tempDir('wm-ba-ro-'), 'app.db');
    const db = new Database(file);
    // Drizzle-style snake_case columns are found without a flag; custom hashers pass through.
    const bcrypt = '$2b$10$' + 'N'.repeat(53);
    db.exec(`CREATE TABLE "user" (id TEXT PRIMARY KEY, name TEXT, email TEXT, email_verified INTEGER, image TEXT, plan TEXT); CREATE TABLE account (id TEXT PRIMARY KEY, user_id TEXT, provider_id TEXT, password TEXT);
             INSERT INTO "user" VALUES ('u1', 'Ada Lovelace', 'ada@example.com', 1, NULL, 'pro'), ('u2', 'Bob', 'bob@example.com', 0, NULL, NULL), ('u3', 'Cy', 'cy@example.com', 0, NULL, NULL);
             INSERT INTO account VALUES ('a1', 'u1', 'github', NULL), ('a2', 'u2', 'credential', '${bcrypt}'), ('a3', 'u3', 'credential', '$pbkdf2-sha256$29000$c2FsdA$aGFzaA');`);
    db.close();
    const before = fs.readFileSync(file);
    const provider = createBetterAuthProvider({ databaseUrl: file });
    const summary = (await provider.check()).summary;
    expect(summary).toMatch(/opened read-only: nothing is ever written/);
    expect(summary).toMatch(/tables: user 3 rows, account 3 rows; 2 password accounts/);
    // What it looked for and did not find: plugins not in use, columns this schema lacks.
    expect(summary).toMatch(/not found: session \(looked for session, sessions\), organization \(looked for organization, organizations\)/);
    expect(summary).toMatch(/columns not found: user.createdAt, user.twoFactorEnabled/);
    const batches = [];
    for await (const b of provider.export({})) batches.push(b);
    expect(batches.flatMap((b) => b.users ?? [])).toEqual([
      expect.objectContaining({ sourceId: 'u1', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', emailVerified: true, socialProviders: ['github'] }),
      expect.objectContaining({ sourceId: 'u2', passwordHash: bcrypt, passwordHashType: 'bcrypt', emailVerified: false }),
      expect.objectContaining({ sourceId: 'u3', passwordHashType: 'pbkdf2-sha256' }),
    ]);
    // The user table's columns nothing reads are named for the plan.
    expect(batches[0].ignoredColumns?.map((c) => c.column)).toEqual(['user.image', 'user.plan']);
    const conn = openConnection(file);
    await expect(sql`insert into "user" (id, email) values ('x', 'x@example.com')`.execute(conn.db)).rejects.toThrow(/readonly/i);
    await conn.close();
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('reads pending invitations: an invited member for an existing user, an invitation alone for a new email, a warning for an expired one, nothing for accepted ones', async () => {
    const file = path.join(tempDir('wm-ba-inv-'), 'app.db');
    const db = new Database(file);
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const earlier = new Date(Date.now() - 86_400_000).toISOString();
    db.exec(`CREATE TABLE "user" (id TEXT PRIMARY KEY, name TEXT, email TEXT); CREATE TABLE account (id TEXT PRIMARY KEY, "userId" TEXT, "providerId" TEXT, password TEXT);
             CREATE TABLE organization (id TEXT PRIMARY KEY, name TEXT, slug TEXT, metadata TEXT); CREATE TABLE member (id TEXT PRIMARY KEY, "organizationId" TEXT, "userId" TEXT, role TEXT);
             CREATE TABLE invitation (id TEXT PRIMARY KEY, "organizationId" TEXT, email TEXT, role TEXT, status TEXT, "expiresAt" TEXT);
             INSERT INTO "user" VALUES ('u1', 'Ann', 'Ann@Example.com'), ('u2', 'Ben', 'ben@example.com');
             INSERT INTO organization VALUES ('o1', 'Acme', 'acme', '{"tier":"gold","nested":{"a":1},"bad":null}');
             INSERT INTO member VALUES ('m1', 'o1', 'u2', 'owner,admin'), ('m2', 'o1', 'gone', 'member'), ('m3', 'o1', 'gone-too', 'member');
             INSERT INTO invitation VALUES ('i1', 'o1', 'ann@example.com', 'admin,billing', 'pending', '${later}'),
               ('i2', 'o1', 'new@example.com', 'member', 'pending', '${later}'), ('i3', 'o1', 'old@example.com', 'member', 'pending', '${earlier}'),
               ('i4', 'o1', 'ben@example.com', 'member', 'accepted', '${later}');`);
    db.close();
    const batches = [];
    for await (const b of createBetterAuthProvider({ databaseUrl: file }).export({})) batches.push(b);
    const organizations = batches.flatMap((b) => b.organizations ?? []);
    expect(organizations).toEqual([expect.objectContaining({ sourceId: 'o1', name: 'Acme', metadata: { better_auth_slug: 'acme', tier: 'gold', 'nested.a': '1' } })]);
    const memberships = batches.flatMap((b) => b.memberships ?? []);
    expect(memberships).toEqual([
      expect.objectContaining({ userSourceId: 'u2', orgSourceId: 'o1', roles: ['owner', 'admin'] }),
      expect.objectContaining({ userSourceId: 'u1', orgSourceId: 'o1', roles: ['admin', 'billing'], status: 'invited', sourceRef: 'invitation:i1' }),
      expect.objectContaining({ userSourceId: 'invitation:new@example.com', inviteEmail: 'new@example.com', orgSourceId: 'o1', roles: ['member'], status: 'invited', sourceRef: 'invitation:i2' }),
    ]);
    expect(memberships[0].inviteEmail).toBeUndefined();
    // Members of users that are not there: not read, said once.
    expect(batches.flatMap((b) => b.issues ?? []).filter((i) => i.field === 'userId').map((i) => i.message)).toEqual([
      '2 member rows name a user that is not in user (no foreign key holds them there): there is no one to make a member, so they are not carried. Delete them, or restore their users and run again.',
    ]);
    const warnings = batches.flatMap((b) => b.issues ?? []).filter((i) => i.field === 'invitation').map((i) => i.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^old@example.com's invitation to "Acme" \(o1\) \(as member\) expired on/);
  });

  it.skipIf(!postgresUp && !process.env.CI)('reads PostgreSQL in read-only transactions: a write is refused by the server', async () => {
    const conn = openConnection(POSTGRES_ADMIN_URL);
    try {
      await expect(sql`create table wm_should_not_exist (id int)`.execute(conn.db)).rejects.toThrow(/read-only transaction/);
    } finally {
      await conn.close();
    }
  });

  it.skipIf(!mysqlUp && !process.env.CI)('reads MySQL/MariaDB in read-only transactions: a write is refused by the server', async () => {
    const conn = openConnection(MYSQL_ADMIN_URL);
    try {
      await expect(sql`create temporary table wm_should_not_exist (id int)`.execute(conn.db).then(() => sql`insert into wm_should_not_exist values (1)`.execute(conn.db))).rejects.toThrow(/READ ONLY/i);
    } finally {
      await conn.close();
    }
  });

  it.skipIf(!postgresUp && !process.env.CI)("never shows the URL's password, not even in a driver's error", async () => {
    const url = POSTGRES_ADMIN_URL.replace('postgres://postgres@', 'postgres://postgres:wm-Err-S3cret@').replace(/\/[^/]*$/, '/wm_no_such_database');
    const error = await createBetterAuthProvider({ databaseUrl: url }).check().then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/cannot be read: .*wm_no_such_database/);
    expect(error?.message).toContain('postgres://postgres:****@');
    expect(`${error?.message} ${(error as { nextStep?: string }).nextStep}`).not.toContain('wm-Err-S3cret');
  });
});
