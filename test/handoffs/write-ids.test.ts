/**
 * The id map into the application's database: a Better Auth database (made by Better Auth itself)
 * migrated into the sandbox is left untouched by the migration (read-only is the default); then
 * `write-ids` adds workos_user_id to its user table and fills it for every user, in one
 * transaction (a failing fill changes nothing), on SQLite (renamed tables, and --app-database-url
 * with another column), PostgreSQL and MariaDB (integer ids). Verify's check passes, then catches
 * a wrong value.
 */
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/providers/better-auth/connection.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { checkAppDatabaseIds } from '../../src/services/app-database.js';
import { Journal } from '../../src/services/journal/journal.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';
import { APP_SECRET, buildFixture, RENAMED, serverUp, type Fixture, type FixtureDialect, type FixtureOptions } from '../better-auth/fixture.js';

const CASES: { dialect: FixtureDialect; options: Partial<FixtureOptions>; flags: string[]; table: string }[] = [
  {
    dialect: 'sqlite',
    options: { names: RENAMED },
    flags: [...Object.entries(RENAMED.tables!).flatMap(([k, v]) => ['--table', `${k}=${v}`]), ...Object.entries(RENAMED.fields!).flatMap(([k, v]) => ['--column', `${k}=${v}`])],
    table: 'app_users',
  },
  { dialect: 'postgres', options: {}, flags: [], table: 'user' },
  // Serial ids: Better Auth's own sign-ups only (the fixture's bulk users have text ids).
  { dialect: 'mysql', options: { generateId: 'serial', bulk: 0 }, flags: [], table: 'user' },
];
const up: Record<string, boolean> = {};
for (const c of CASES) up[c.dialect] = await serverUp(c.dialect);

describe.each(CASES)('write-ids into a Better Auth database ($dialect)', ({ dialect, options, flags, table }) => {
  const skip = !up[dialect] && !process.env.CI;
  let fixture: Fixture;
  let sandbox: Sandbox;
  let dir: string;
  let journalPath: string;
  let env: NodeJS.ProcessEnv;

  /** The user table's ids and the column's values, read straight from the database. */
  async function columnValues(column: string): Promise<Map<string, string | null> | null> {
    const conn = openConnection(fixture.url, { cwd: dir });
    try {
      const tables = await conn.db.introspection.getTables();
      const t = tables.find((x) => x.name === table && (dialect !== 'postgres' || x.schema === 'public'))!;
      if (!t.columns.some((c) => c.name === column)) return null;
      const rows = await sql<{ id: unknown; v: string | null }>`SELECT ${sql.ref('id')} AS id, ${sql.ref(column)} AS v FROM ${sql.table(table)}`.execute(conn.db);
      return new Map(rows.rows.map((r) => [String(r.id), r.v]));
    } finally {
      await conn.close();
    }
  }

  async function exec(statement: ReturnType<typeof sql>): Promise<void> {
    const conn = openConnection(fixture.url, { cwd: dir, writable: true });
    try {
      await statement.execute(conn.db);
    } finally {
      await conn.close();
    }
  }

  /** source id -> WorkOS id, as the sandbox holds the users. */
  const workosIds = () => new Map([...sandbox.state.users.values()].map((u) => [u.external_id!, u.id]));

  beforeAll(async () => {
    if (skip) return;
    dir = tempDir('wm-ids-');
    fixture = await buildFixture({ dialect, dir, bulk: 150, ...options } as FixtureOptions);
    sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ['owner', 'admin', 'member'], multipleRoles: true });
    journalPath = path.join(dir, 'run.db');
    env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, BETTER_AUTH_SECRET: APP_SECRET };
    const run = await runCli(['run', '--source', 'better-auth', '--database-url', fixture.url, '--journal', journalPath, ...flags, ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
    // The URL is the source's: read again from the variable the journal names.
    env.DATABASE_URL = fixture.url;
  }, 240_000);
  afterAll(async () => {
    await sandbox?.close();
    await fixture?.close();
  });

  it.skipIf(skip)('adds and fills workos_user_id for every user in one transaction; Verify checks it', async () => {
    // The migration itself wrote nothing into the application's database.
    expect(await columnValues('workos_user_id')).toBeNull();
    const expected = workosIds();
    expect(expected.size).toBe(fixture.expected.users.length);

    if (dialect !== 'sqlite') {
      // A column too narrow for the ids: the fill fails half way and nothing at all is written.
      await exec(sql`ALTER TABLE ${sql.table(table)} ADD COLUMN ${sql.ref('workos_user_id')} VARCHAR(5)`);
      const failed = await runCli(['write-ids', '--journal', journalPath], { cwd: dir, env });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/Writing the WorkOS ids into .* failed: .*too long.* No id was written/i);
      expect(failed.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
      expect([...(await columnValues('workos_user_id'))!.values()].every((v) => v === null)).toBe(true);
      await exec(sql`ALTER TABLE ${sql.table(table)} DROP COLUMN ${sql.ref('workos_user_id')}`);
    }

    const written = await runCli(['write-ids', '--journal', journalPath], { cwd: dir, env });
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toMatch(new RegExp(`${table}\\.workos_user_id added and filled for ${expected.size.toLocaleString('en-US')} users in one transaction`));
    const values = (await columnValues('workos_user_id'))!;
    expect(values.size).toBe(expected.size);
    for (const [id, workosId] of expected) expect(values.get(id), id).toBe(workosId);

    // Again: the same values, the column not added twice.
    const again = await runCli(['write-ids', '--journal', journalPath], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/added/);
    expect(await columnValues('workos_user_id')).toEqual(values);

    const journal = Journal.open(journalPath);
    try {
      // The journal names the variable (or the SQLite file), never a URL with its password.
      const meta = journal.getMeta<Record<string, unknown>>('app_database')!;
      expect(meta).toMatchObject({ table, column: 'workos_user_id', written: expected.size, unmatched: 0 });
      if (dialect === 'sqlite') expect(meta.file).toBe(fixture.url);
      else expect(meta.urlEnv).toBe('DATABASE_URL');
      const pass = await checkAppDatabaseIds(journal, env, { cwd: dir });
      expect(pass).toMatchObject({ id: 'app-database-ids', status: 'pass' });
      expect(pass!.counts).toMatchObject({ checked: expected.size, failed: 0 });
      // Verify runs it: its line passes.
      const verified = await runCli(['verify', '--journal', journalPath, '--headless'], { cwd: dir, env });
      expect(verified.stderr).toMatch(new RegExp(`✔ Your database's ${table}\\.workos_user_id holds each user's WorkOS id: ${expected.size} of ${expected.size} rows match`));

      const [victim] = [...expected.keys()];
      await exec(sql`UPDATE ${sql.table(table)} SET ${sql.ref('workos_user_id')} = ${'user_wrong'} WHERE ${sql.ref('id')} = ${victim}`);
      const fail = await checkAppDatabaseIds(journal, env, { cwd: dir });
      expect(fail!.status).toBe('fail');
      expect(fail!.examples?.[0]).toContain(`${victim}: workos_user_id is user_wrong`);
    } finally {
      journal.close();
    }

    if (dialect === 'sqlite') {
      // Any database by URL, any column name.
      const other = await runCli(['write-ids', '--journal', journalPath, '--app-database-url', fixture.url, '--table', table, '--column', 'wm_id'], { cwd: dir, env: { ...env, DATABASE_URL: '' } });
      expect(other.code, other.stderr).toBe(0);
      const wm = (await columnValues('wm_id'))!;
      for (const [id, workosId] of expected) expect(wm.get(id)).toBe(workosId);
    }
  }, 120_000);

  it.skipIf(skip)('names a missing table or column plainly', async () => {
    const noTable = await runCli(['write-ids', '--journal', journalPath, '--table', 'people'], { cwd: dir, env });
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toMatch(/has no table people\. Name your user table with --table NAME/);
    const noId = await runCli(['write-ids', '--journal', journalPath, '--id-column', 'uid'], { cwd: dir, env });
    expect(noId.code).toBe(1);
    expect(noId.stderr).toMatch(/has no column uid holding the source's user id/);
    const bad = await runCli(['write-ids', '--journal', journalPath, '--column', 'x; drop table user'], { cwd: dir, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--column x; drop table user is not a plain table or column name/);
  }, 60_000);
});
