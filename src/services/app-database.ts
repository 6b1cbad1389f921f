/**
 * The id map into the application's own database (`workos-migrate write-ids`): the one write this
 * tool ever makes outside WorkOS and its own files, and only when asked. Read-only stays the
 * default everywhere else.
 *
 * Where: the source's database when the source IS the application's database (Better Auth: its
 * URL from the variable the journal names, its user table as the operator renamed it), or any
 * `--app-database-url`. What: the column (default `workos_user_id`) is added to the user table if
 * missing and filled from the id map, in one transaction (on MySQL/MariaDB a column added commits
 * by itself, so it is added first, then filled in one transaction). A second run rewrites the same
 * values. The journal notes where it wrote (never the URL, which may hold a password: the name of
 * its variable, or a SQLite file's path), so Verify can check the column (`checkAppDatabaseIds`).
 */
import { sql, type Kysely } from 'kysely';
import { ExpectedError } from '../errors.js';
import { connectionError, maskUrl, openConnection, type Connection } from '../providers/better-auth/connection.js';
import type { Journal } from './journal/journal.js';
import { idMapRows } from './report/report.js';
import type { VerifyCheck } from './verify/types.js';

export const APP_DATABASE_META = 'app_database';
/** The variable `--app-database-url` is put in for this process (never written anywhere). */
export const APP_DATABASE_URL_ENV = 'APP_DATABASE_URL';

/** Where the ids were written (meta `app_database`). */
export interface AppDatabaseRecord {
  /** The variable holding the URL, read again by Verify. */
  urlEnv?: string;
  /** A SQLite file's path (no secret in it). */
  file?: string;
  label: string;
  table: string;
  idColumn: string;
  column: string;
  written: number;
  /** Id-map rows whose source id has no row in the table. */
  unmatched: number;
  columnAdded: boolean;
  at: string;
}

export interface WriteIdsOptions {
  /** `--app-database-url`: otherwise the Better Auth source's own database. */
  url?: string;
  table?: string;
  idColumn?: string;
  column?: string;
  cwd?: string;
}

interface Resolved {
  url: string;
  urlEnv?: string;
  table: string;
  idColumn: string;
  column: string;
  cwd: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

function checkIdentifier(value: string, flag: string): string {
  if (!IDENTIFIER.test(value)) throw new ExpectedError(`${flag} ${value} is not a plain table or column name.`, `Pass letters, digits and underscores only, e.g. ${flag} workos_user_id.`);
  return value;
}

/** The Better Auth source's renamed user table and id column, from its settings (--table user=..., --column user.id=...). */
function betterAuthNames(options: Record<string, unknown>): { table?: string; idColumn?: string } {
  const tables = (options.tables ?? {}) as Record<string, string>;
  const columns = (options.columns ?? {}) as Record<string, string>;
  const named: Record<string, string> = {};
  for (const item of typeof options.schemaNames === 'string' ? options.schemaNames.split(/[,\s]+/) : []) {
    const at = item.indexOf('=');
    if (at > 0) named[item.slice(0, at)] = item.slice(at + 1);
  }
  return { table: tables.user ?? named.user, idColumn: columns['user.id'] ?? named['user.id'] };
}

function resolve(journal: Journal, env: NodeJS.ProcessEnv, options: WriteIdsOptions): Resolved {
  const source = journal.settings.source;
  const betterAuth = source.kind === 'better-auth';
  const names = betterAuth ? betterAuthNames(source.options) : {};
  let url = options.url;
  let urlEnv: string | undefined = options.url ? APP_DATABASE_URL_ENV : undefined;
  if (!url && betterAuth) {
    urlEnv = (source.options.secretEnv as string | undefined) ?? 'DATABASE_URL';
    url = env[urlEnv]?.trim();
    if (!url) throw new ExpectedError(`${urlEnv} is not set: it names the Better Auth database this migration read.`, `Export ${urlEnv}, or pass --app-database-url URL.`);
  }
  if (!url) {
    throw new ExpectedError(
      `This migration's source (${source.kind}) is not your application's database.`,
      'Pass --app-database-url URL (postgres://, mysql:// or a SQLite file) and --table / --column for your user table, or load id-map.csv with id-map.sql.',
    );
  }
  return {
    url,
    urlEnv,
    table: checkIdentifier(options.table ?? names.table ?? 'user', '--table'),
    idColumn: checkIdentifier(options.idColumn ?? names.idColumn ?? 'id', '--id-column'),
    column: checkIdentifier(options.column ?? 'workos_user_id', '--column'),
    cwd: options.cwd ?? process.cwd(),
  };
}

/** The table's columns, as the database has them; null when there is no such table. */
async function columnsOf(db: Kysely<any>, table: string): Promise<{ columns: string[]; tables: string[] } | null> {
  const tables = await db.introspection.getTables();
  // PostgreSQL lists every schema's tables: the search path's public one first.
  const found = tables.filter((t) => t.name === table).sort((a, b) => Number(b.schema === 'public') - Number(a.schema === 'public'))[0];
  return found ? { columns: found.columns.map((c) => c.name), tables: tables.map((t) => t.name) } : { columns: [], tables: tables.map((t) => t.name) };
}

interface Comparison {
  matching: number;
  /** Rows whose column holds another id than the map's. */
  wrong: { sourceId: string; has: string | null; want: string }[];
  /** Id-map rows with no row in the table. */
  unmatched: number;
}

/** The column against the id map: every row the map names. */
async function compare(db: Kysely<any>, r: Resolved, map: Map<string, string>): Promise<Comparison> {
  const rows = await sql<{ sid: unknown; wid: string | null }>`SELECT ${sql.ref(r.idColumn)} AS sid, ${sql.ref(r.column)} AS wid FROM ${sql.table(r.table)}`.execute(db);
  const seen = new Set<string>();
  const result: Comparison = { matching: 0, wrong: [], unmatched: 0 };
  for (const row of rows.rows) {
    const sid = String(row.sid);
    const want = map.get(sid);
    if (want === undefined) continue;
    seen.add(sid);
    if (row.wid === want) result.matching++;
    else result.wrong.push({ sourceId: sid, has: row.wid, want });
  }
  result.unmatched = map.size - seen.size;
  return result;
}

function idMap(journal: Journal): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of idMapRows(journal)) map.set(r.source_id, r.workos_id);
  return map;
}

const CHUNK = 500;

/**
 * Adds the column if missing and fills it from the id map, in one transaction; returns what the
 * journal now records. Nothing imported yet: nothing written.
 */
export async function writeIds(journal: Journal, env: NodeJS.ProcessEnv, options: WriteIdsOptions = {}): Promise<AppDatabaseRecord> {
  const r = resolve(journal, env, options);
  const map = idMap(journal);
  if (!map.size) throw new ExpectedError('No user of this migration is in WorkOS yet: there is no id to write.', 'Run (or resume) the import first.');
  const conn: Connection = openConnection(r.url, { cwd: r.cwd, writable: true });
  try {
    let shape: Awaited<ReturnType<typeof columnsOf>>;
    try {
      shape = await columnsOf(conn.db, r.table);
    } catch (error) {
      throw connectionError(error, r.url, conn.label);
    }
    if (!shape || !shape.columns.length) {
      throw new ExpectedError(`${conn.label} has no table ${r.table}.`, `Name your user table with --table NAME (its tables: ${shape?.tables.slice(0, 30).join(', ') || 'none'}).`);
    }
    if (!shape.columns.includes(r.idColumn)) {
      throw new ExpectedError(`The table ${r.table} has no column ${r.idColumn} holding the source's user id.`, `Name it with --id-column NAME (its columns: ${shape.columns.join(', ')}).`);
    }
    const columnAdded = !shape.columns.includes(r.column);
    const addColumn = (db: Kysely<any>) => db.schema.alterTable(r.table).addColumn(r.column, 'varchar(64)').execute();
    // MySQL/MariaDB commit an ALTER TABLE by themselves: the column first, then the fill in one transaction.
    if (columnAdded && conn.dialect === 'mysql') await addColumn(conn.db);
    const entries = [...map.entries()];
    const comparison = await conn.db.transaction().execute(async (trx) => {
      if (columnAdded && conn.dialect !== 'mysql') await addColumn(trx);
      for (let i = 0; i < entries.length; i += CHUNK) {
        const chunk = entries.slice(i, i + CHUNK);
        const cases = sql.join(
          chunk.map(([sid, wid]) => sql`WHEN ${sid} THEN ${wid}`),
          sql` `,
        );
        await sql`UPDATE ${sql.table(r.table)} SET ${sql.ref(r.column)} = CASE ${sql.ref(r.idColumn)} ${cases} END
                   WHERE ${sql.ref(r.idColumn)} IN (${sql.join(chunk.map(([sid]) => sid))})`.execute(trx);
      }
      // Read back inside the transaction: what it commits is what it checked.
      return compare(trx, r, map);
    });
    const record: AppDatabaseRecord = {
      // A SQLite file's path holds no secret: Verify opens it again from there.
      ...(conn.dialect === 'sqlite' ? { file: conn.label } : { urlEnv: r.urlEnv }),
      label: maskUrl(conn.label),
      table: r.table,
      idColumn: r.idColumn,
      column: r.column,
      written: comparison.matching,
      unmatched: comparison.unmatched,
      columnAdded,
      at: new Date().toISOString(),
    };
    journal.setMeta(APP_DATABASE_META, record);
    return record;
  } catch (error) {
    throw writeError(error, r.url, conn.label);
  } finally {
    await conn.close();
  }
}

/** A failed write, said plainly and without the URL's password: the transaction left nothing half done. */
function writeError(error: unknown, url: string, label: string): ExpectedError {
  if (error instanceof ExpectedError) return error;
  let message = (error as Error)?.message ?? String(error);
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:([^@/?#]*)@/i.exec(url)?.[1];
  if (password) message = message.split(password).join('****').split(decodeURIComponent(password)).join('****');
  return new ExpectedError(
    `Writing the WorkOS ids into ${label} failed: ${message}. No id was written (one transaction).`,
    'Check the column (64 characters, text) and that this database account may alter and update the table, then run write-ids again.',
  );
}

/**
 * Verify's check of the column, when write-ids wrote it (undefined otherwise): every id-map row's
 * user has its WorkOS id there. Read-only. For services/verify: call it and add the check it returns.
 */
export async function checkAppDatabaseIds(journal: Journal, env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): Promise<VerifyCheck | undefined> {
  const record = journal.getMeta<AppDatabaseRecord>(APP_DATABASE_META);
  if (!record) return undefined;
  const id = 'app-database-ids';
  const label = `Your database's ${record.table}.${record.column} holds each user's WorkOS id`;
  const url = record.file ?? (record.urlEnv ? env[record.urlEnv]?.trim() : undefined);
  if (!url) return { id, label, status: 'warn', detail: `${record.urlEnv ?? 'the database URL'} is not set: cannot read ${record.label} to check it` };
  const r: Resolved = { url, urlEnv: record.urlEnv, table: record.table, idColumn: record.idColumn, column: record.column, cwd: options.cwd ?? process.cwd() };
  const map = idMap(journal);
  const conn = openConnection(url, { cwd: r.cwd });
  try {
    const c = await compare(conn.db, r, map);
    const checked = c.matching + c.wrong.length;
    const examples = c.wrong.slice(0, 5).map((w) => `${r.table} ${w.sourceId}: ${r.column} is ${w.has ?? 'empty'}, WorkOS id ${w.want}`);
    const parts = [`${c.matching} of ${checked} rows match`];
    if (c.wrong.length) parts.push(`${c.wrong.length} wrong or empty (run \`workos-migrate write-ids\` again)`);
    if (c.unmatched) parts.push(`${c.unmatched} users of the id map have no row in ${r.table}`);
    return {
      id,
      label,
      status: c.wrong.length ? 'fail' : c.unmatched ? 'warn' : 'pass',
      detail: parts.join('; '),
      examples,
      counts: { checked, total: map.size, sampled: false, failed: c.wrong.length, warned: c.unmatched },
    };
  } catch (error) {
    return { id, label, status: 'warn', detail: `could not read ${record.label}: ${connectionError(error, url, conn.label).message}` };
  } finally {
    await conn.close();
  }
}
