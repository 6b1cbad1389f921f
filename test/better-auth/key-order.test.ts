/**
 * A page of users is the ids in (after, last]. The accounts and memberships of a page are read by
 * the same range on their own userId column only when that column sorts as the user id does
 * (same type, same collation); otherwise through the user table. Here the user id is given a
 * collation its accounts' and members' userId do not share, so the two orders differ: every
 * password and membership must still reach its user, page after page.
 */
import { randomBytes } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { hashPassword } from 'better-auth/crypto';
import { getMigrations } from 'better-auth/db/migration';
import { organization } from 'better-auth/plugins';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/providers/better-auth/connection.js';
import { resolveSchema, userKeyedByRange } from '../../src/providers/better-auth/schema.js';
import { createProvider } from '../../src/providers/index.js';
import type { SourceIssue, SourceMembership, SourceUser } from '../../src/providers/types.js';
import { MYSQL_ADMIN_URL, POSTGRES_ADMIN_URL, serverUp } from './fixture.js';

const up = await serverUp('postgres');
const mysqlUp = await serverUp('mysql');
const USERS = 30;
// Upper and lower case in turn: C (the database's collation) puts every U before every u, ICU's
// English interleaves them.
const idOf = (i: number) => `${i % 2 ? 'u' : 'U'}${String(i).padStart(3, '0')}`;

async function rangedTables(url: string): Promise<string[]> {
  const conn = openConnection(url, {});
  try {
    return [...(await userKeyedByRange(conn, await resolveSchema(conn)))].sort();
  } finally {
    await conn.close();
  }
}

describe.skipIf(!up)('Better Auth pages whose related tables sort their user ids otherwise (PostgreSQL)', () => {
  const name = `wm_ba_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  let pool: pg.Pool;

  const ranged = () => rangedTables(url);

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    pool = new pg.Pool({ connectionString: url, max: 2 });
    const auth = betterAuth({ database: pool, secret: 'key-order-secret-0123456789abcdefghij', logger: { disabled: true }, emailAndPassword: { enabled: true }, plugins: [organization()] } as never) as { options: never };
    await (await getMigrations(auth.options)).runMigrations();
    const hash = await hashPassword('key-order-pw');
    for (let i = 0; i < USERS; i++) {
      await pool.query(`INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt") VALUES ($1, $2, $3, true, now(), now())`, [idOf(i), `User ${i}`, `user${i}@example.com`]);
      await pool.query(`INSERT INTO account (id, "accountId", "providerId", "userId", password, "createdAt", "updatedAt") VALUES ($1, $2, 'credential', $2, $3, now(), now())`, [`a${i}`, idOf(i), hash]);
    }
    await pool.query(`INSERT INTO organization (id, name, slug, "createdAt") VALUES ('o1', 'Org', 'org', now())`);
    for (let i = 0; i < USERS; i += 3) await pool.query(`INSERT INTO member (id, "organizationId", "userId", role, "createdAt") VALUES ($1, 'o1', $2, 'member', now())`, [`m${i}`, idOf(i)]);
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  /** Exported 4 users a page: every user once, in key order, with its password, and the members' rows of existing users. Returns the issues. */
  async function expectExact(): Promise<SourceIssue[]> {
    const users = (await pool.query<{ id: string }>(`SELECT id FROM "user" ORDER BY id`)).rows.map((r) => r.id);
    const provider = createProvider('better-auth', { secretEnv: 'DATABASE_URL', pageSize: 4 }, { DATABASE_URL: url });
    const read: SourceUser[] = [];
    const memberships: SourceMembership[] = [];
    const issues: SourceIssue[] = [];
    for await (const batch of provider.export({})) {
      read.push(...(batch.users ?? []));
      memberships.push(...(batch.memberships ?? []));
      issues.push(...(batch.issues ?? []));
    }
    expect(read.map((u) => u.sourceId)).toEqual(users);
    for (const user of read) expect(user.passwordHash, user.sourceId).toMatch(/^\$scrypt\$/);
    expect(memberships.map((m) => m.userSourceId).sort()).toEqual(users.filter((id) => Number(id.slice(1)) % 3 === 0).sort());
    return issues;
  }

  it('reads by range only the tables whose userId sorts as the user id, and every account and membership reaches its user', async () => {
    // Better Auth's own schema: one type, one collation.
    expect(await ranged()).toEqual(['account', 'member']);
    // Without a foreign key, a member row of no user inside a page's range: no one's, left out
    // as reading through the user table leaves it out.
    await pool.query(`ALTER TABLE member DROP CONSTRAINT "member_userId_fkey"`);
    await pool.query(`INSERT INTO member (id, "organizationId", "userId", role, "createdAt") VALUES ('m-orphan', 'o1', 'U0005', 'member', now())`);
    // ... and said, once.
    const said = (await expectExact()).filter((i) => i.field === 'userId');
    expect(said).toEqual([expect.objectContaining({ severity: 'warning', recordKind: 'membership', message: expect.stringMatching(/^1 member row names a user that is not in user .*not carried/) })]);

    await pool.query(`ALTER TABLE "user" ALTER COLUMN id TYPE text COLLATE "en-x-icu"`);
    expect(await ranged()).toEqual([]);
    // The orders do differ: a range on account."userId" would give pages the wrong accounts.
    const users = (await pool.query<{ id: string }>(`SELECT id FROM "user" ORDER BY id`)).rows.map((r) => r.id);
    const accounts = (await pool.query<{ id: string }>(`SELECT "userId" AS id FROM account ORDER BY "userId"`)).rows.map((r) => r.id);
    expect(accounts).not.toEqual(users);
    await expectExact();
  }, 120_000);
});

describe.skipIf(!mysqlUp)('Better Auth key order on MariaDB', () => {
  it('reads by range when userId has the user id\'s type and collation, not when the collations differ', async () => {
    const mysql = await import('mysql2/promise');
    const name = `wm_ba_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection(MYSQL_ADMIN_URL);
    await admin.query(`CREATE DATABASE \`${name}\``);
    const url = MYSQL_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    const pool = mysql.createPool({ uri: url, connectionLimit: 2 });
    try {
      const auth = betterAuth({ database: pool, secret: 'key-order-secret-0123456789abcdefghij', logger: { disabled: true }, emailAndPassword: { enabled: true }, plugins: [organization()] } as never) as { options: never };
      await (await getMigrations(auth.options)).runMigrations();
      expect(await rangedTables(url)).toEqual(['account', 'member']);
      // MariaDB refuses two collations across a foreign key; a schema without one (PlanetScale's) can have them.
      const [fks] = await pool.query(`SELECT constraint_name AS fk FROM information_schema.referential_constraints WHERE constraint_schema = ? AND table_name = 'account'`, [name]);
      for (const { fk } of fks as { fk: string }[]) await pool.query(`ALTER TABLE account DROP FOREIGN KEY \`${fk}\``);
      await pool.query('ALTER TABLE account MODIFY userId varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
      expect(await rangedTables(url)).toEqual(['member']);
    } finally {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    }
  }, 120_000);
});
