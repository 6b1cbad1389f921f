/**
 * The application's database, opened read-only, behind one Kysely query layer for SQLite,
 * PostgreSQL and MySQL/MariaDB. Kysely quotes every identifier (`"user"`, `` `teamMember` ``):
 * on PostgreSQL an unquoted `user` is current_user, and MySQL/MariaDB table names are
 * case-sensitive on Linux.
 *
 * Read-only everywhere: SQLite opened with `readonly` (the driver refuses any write); PostgreSQL
 * and MySQL sessions set to read-only transactions as each connection opens (the server refuses
 * any write, whatever the account may do).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { ExpectedError } from '../../errors.js';

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

export interface Connection {
  db: Kysely<any>;
  dialect: Dialect;
  /** For messages: the URL with its password masked, or the file path. */
  label: string;
  /** How read-only is ensured, for check()'s summary. */
  readOnly: string;
  close(): Promise<void>;
}

/** A URL with its password (and any `password=` parameter) replaced by `****`. */
export function maskUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):([^@/?#]*)@/i, '$1:****@')
    .replace(/([?&](?:password|pass|pwd)=)[^&]*/gi, '$1****');
}

export function dialectOf(url: string): Dialect {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  if (/^(mysql|mariadb):\/\//i.test(url)) return 'mysql';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^file:/i.test(url)) {
    throw new ExpectedError(
      `The database URL ${maskUrl(url)} is not one the Better Auth source reads.`,
      'Pass a postgres://, mysql:// (or mariadb://) URL, or the path of a SQLite file.',
    );
  }
  return 'sqlite';
}

function sqlitePath(url: string, cwd: string): string {
  const bare = url.replace(/^sqlite:(\/\/)?/i, '').replace(/^file:(\/\/)?/i, '').replace(/\?.*$/, '');
  return path.resolve(cwd, bare);
}

/**
 * Opens the database read-only. The first query proves the connection (check() makes it).
 * `writable`: only for `workos-migrate write-ids`, the one opt-in write (services/app-database.ts).
 */
export function openConnection(url: string, options: { cwd?: string; writable?: boolean } = {}): Connection {
  const dialect = dialectOf(url);
  const writable = options.writable === true;
  if (dialect === 'sqlite') {
    const file = sqlitePath(url, options.cwd ?? process.cwd());
    if (!fs.existsSync(file)) {
      throw new ExpectedError(`The SQLite database ${file} does not exist.`, 'Pass the path of your Better Auth SQLite file (--database-url PATH or DATABASE_URL).');
    }
    let sqlite: Database.Database;
    try {
      sqlite = new Database(file, { readonly: !writable, fileMustExist: true });
    } catch (error) {
      throw new ExpectedError(`The SQLite database ${file} cannot be opened: ${(error as Error).message}.`, 'Check the path and that this user may read it.');
    }
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect, label: file, readOnly: writable ? 'opened for writing' : 'opened read-only', close: () => db.destroy() };
  }
  const label = maskUrl(url);
  if (dialect === 'postgres') {
    // Loaded lazily: a SQLite run never needs the driver.
    const db = new Kysely<any>({
      dialect: new PostgresDialect({
        pool: async () => {
          const { default: pg } = await import('pg');
          return new pg.Pool({ connectionString: url, max: 2 });
        },
        onCreateConnection: async (conn) => {
          if (!writable) await conn.executeQuery(CompiledQuery.raw('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY'));
        },
      }),
    });
    return { db, dialect, label, readOnly: writable ? 'read-write' : 'read-only transactions', close: () => db.destroy() };
  }
  const db = new Kysely<any>({
    dialect: new MysqlDialect({
      pool: async () => {
        const mysql = await import('mysql2');
        const uri = url.replace(/^mariadb:/i, 'mysql:');
        return mysql.createPool({ uri, connectionLimit: 2, dateStrings: false, supportBigNumbers: true, bigNumberStrings: false }) as never;
      },
      onCreateConnection: async (conn) => {
        if (!writable) await conn.executeQuery(CompiledQuery.raw('SET SESSION TRANSACTION READ ONLY'));
      },
    }),
  });
  return { db, dialect, label, readOnly: writable ? 'read-write' : 'read-only transactions', close: () => db.destroy() };
}

/**
 * A driver's error as a message without the URL's password (a driver may quote the URL). `what`
 * names the database for another source on this connection layer (Supabase's project database).
 */
export function connectionError(error: unknown, url: string, label: string, what = 'Better Auth database'): ExpectedError {
  if (error instanceof ExpectedError) return error;
  let message = (error as Error)?.message ?? String(error);
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:([^@/?#]*)@/i.exec(url)?.[1];
  if (password) message = message.split(password).join('****').split(decodeURIComponent(password)).join('****');
  const code = (error as { code?: string })?.code;
  return new ExpectedError(
    `The ${what} ${label} cannot be read: ${message}${code && !message.includes(code) ? ` (${code})` : ''}.`,
    'Check the URL (host, port, database, user and password) and that the server accepts connections from here.',
  );
}
