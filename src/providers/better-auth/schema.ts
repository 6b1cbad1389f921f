/**
 * Finding Better Auth's tables and columns in the application's database.
 *
 * Better Auth names its tables after its models (user, account, session, organization, member,
 * invitation, team, teamMember, twoFactor), columns camelCase; `usePlural` adds an `s`; an app may
 * rename both (`user: { modelName: 'app_users', fields: { email: 'email_address' } }`), and
 * Drizzle/Prisma schemas often use snake_case columns. For each table: the operator's name
 * (`--table user=app_users`), else the default, else the plural, each matched exactly first and
 * then case-insensitively. For each column: the operator's (`--column user.email=email_address`),
 * else camelCase, else snake_case, the same way. What was expected and not found is named.
 */
import { sql } from 'kysely';
import { ExpectedError } from '../../errors.js';
import type { Connection } from './connection.js';

export const TABLES = ['user', 'account', 'session', 'organization', 'member', 'invitation', 'team', 'teamMember', 'twoFactor'] as const;
export type TableKey = (typeof TABLES)[number];

/** Columns each table is read for; `required` ones make the table unusable when missing. */
export const COLUMNS: Record<TableKey, { required: string[]; optional: string[] }> = {
  user: { required: ['id', 'email'], optional: ['name', 'emailVerified', 'image', 'createdAt', 'twoFactorEnabled'] },
  account: { required: ['id', 'userId', 'providerId'], optional: ['password'] },
  session: { required: ['id'], optional: [] },
  organization: { required: ['id', 'name'], optional: ['slug', 'metadata', 'logo'] },
  member: { required: ['id', 'organizationId', 'userId'], optional: ['role'] },
  invitation: { required: ['id', 'organizationId', 'email'], optional: ['role', 'status', 'expiresAt'] },
  team: { required: ['id', 'name', 'organizationId'], optional: [] },
  teamMember: { required: ['id', 'teamId', 'userId'], optional: [] },
  twoFactor: { required: ['id', 'userId', 'secret'], optional: ['verified'] },
};

/** Tables the source cannot do without. */
const NEEDED: TableKey[] = ['user', 'account'];

export interface ResolvedTable {
  /** The table's name in the database. */
  name: string;
  /** Logical column -> the column's name in the database (only those found). */
  columns: Record<string, string>;
  /** Logical columns expected and not found (optional ones; a missing required one makes the table unusable). */
  missing: string[];
  /** Every column of the table, for the columns not read. */
  all: string[];
}

export interface ResolvedSchema {
  tables: Partial<Record<TableKey, ResolvedTable>>;
  /** Tables expected and not found (plugins not in use), and unusable ones with why. */
  absent: { table: TableKey; tried: string[]; why?: string }[];
}

export interface SchemaOverrides {
  /** `user` -> `app_users`. */
  tables?: Record<string, string>;
  /** `user.email` -> `email_address`. */
  columns?: Record<string, string>;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function pick(candidates: string[], available: string[]): string | undefined {
  for (const c of candidates) if (available.includes(c)) return c;
  for (const c of candidates) {
    const ci = available.filter((a) => a.toLowerCase() === c.toLowerCase());
    if (ci.length === 1) return ci[0];
  }
  return undefined;
}

/** Checks the operator's names against the tables Better Auth has, before any query. */
export function checkOverrides(overrides: SchemaOverrides): void {
  for (const key of Object.keys(overrides.tables ?? {})) {
    if (!(TABLES as readonly string[]).includes(key)) {
      throw new ExpectedError(`--table ${key}=... names no Better Auth table.`, `Name one of: ${TABLES.join(', ')} (e.g. --table user=app_users).`);
    }
  }
  for (const key of Object.keys(overrides.columns ?? {})) {
    const [table, column] = key.split('.');
    const known = COLUMNS[table as TableKey];
    if (!known || !column) {
      throw new ExpectedError(`--column ${key}=... is not TABLE.COLUMN of a Better Auth table.`, `Write it as --column user.email=email_address (tables: ${TABLES.join(', ')}).`);
    }
    if (![...known.required, ...known.optional].includes(column)) {
      throw new ExpectedError(`--column ${key}=...: the Better Auth source does not read ${table}.${column}.`, `It reads ${[...known.required, ...known.optional].map((c) => `${table}.${c}`).join(', ')}.`);
    }
  }
}

/** The tables and their columns as the database has them (the current schema only on PostgreSQL). */
async function listTables(conn: Connection): Promise<Map<string, string[]>> {
  const tables = await conn.db.introspection.getTables();
  let schema: string | undefined;
  if (conn.dialect === 'postgres') {
    schema = (await sql<{ s: string }>`select current_schema() as s`.execute(conn.db)).rows[0]?.s ?? 'public';
  }
  const out = new Map<string, string[]>();
  for (const t of tables) {
    if (t.isView) continue;
    if (schema !== undefined && t.schema !== schema) continue;
    out.set(t.name, t.columns.map((c) => c.name));
  }
  return out;
}

export async function resolveSchema(conn: Connection, overrides: SchemaOverrides = {}): Promise<ResolvedSchema> {
  checkOverrides(overrides);
  const available = await listTables(conn);
  const names = [...available.keys()];
  const result: ResolvedSchema = { tables: {}, absent: [] };
  for (const key of TABLES) {
    const given = overrides.tables?.[key];
    const tried = given ? [given] : [key, `${key}s`];
    const name = pick(tried, names);
    if (!name) {
      if (given) {
        throw new ExpectedError(
          `--table ${key}=${given}: there is no table ${given} in ${conn.label}.`,
          `Its tables are: ${names.slice(0, 40).join(', ') || '(none)'}.`,
        );
      }
      result.absent.push({ table: key, tried });
      continue;
    }
    const all = available.get(name)!;
    const columns: Record<string, string> = {};
    const missing: string[] = [];
    const { required, optional } = COLUMNS[key];
    for (const column of [...required, ...optional]) {
      const over = overrides.columns?.[`${key}.${column}`];
      const found = pick(over ? [over] : [column, snake(column)], all);
      if (found) columns[column] = found;
      else if (over) {
        throw new ExpectedError(`--column ${key}.${column}=${over}: table ${name} has no column ${over}.`, `Its columns are: ${all.join(', ')}.`);
      } else missing.push(column);
    }
    const lacking = required.filter((c) => !columns[c]);
    if (lacking.length) {
      const why = `table ${name} has no ${lacking.map((c) => `${c}`).join(', ')} column (tried ${lacking.map((c) => `${c}/${snake(c)}`).join(', ')}; name it with ${lacking.map((c) => `--column ${key}.${c}=NAME`).join(' ')})`;
      if (NEEDED.includes(key)) throw new ExpectedError(`The Better Auth ${key} table cannot be read: ${why}.`, 'Pass the column names your schema uses.');
      result.absent.push({ table: key, tried: [name], why });
      continue;
    }
    result.tables[key] = { name, columns, missing, all };
  }
  for (const key of NEEDED) {
    if (!result.tables[key]) {
      const tried = result.absent.find((a) => a.table === key)?.tried ?? [key];
      throw new ExpectedError(
        `No Better Auth ${key} table in ${conn.label} (looked for ${tried.join(', ')}).`,
        `If your app renamed it, pass --table ${key}=NAME (its tables: ${names.slice(0, 40).join(', ') || 'none'}).`,
      );
    }
  }
  return result;
}

/** The tables read page by page beside the users, by their userId column. */
export const USER_KEYED = ['account', 'member', 'teamMember', 'twoFactor'] as const satisfies readonly TableKey[];

/**
 * The user-keyed tables whose userId column sorts exactly as the user table's id: the same type
 * (and on PostgreSQL the same base type) and the same collation. A page of users is the ids in
 * (after, last]; such a table's rows of that page are the same range of its own userId, one index
 * range scan (on a million-user PostgreSQL database a third of the export's time went to probing
 * the user table once per row instead). Any other table, and every table on SQLite (where declared
 * types and collations are free text), is read through the user table, which is exact whatever its
 * column says. Only PostgreSQL and MySQL/MariaDB say both facts in information_schema.
 */
export async function userKeyedByRange(conn: Connection, schema: ResolvedSchema): Promise<Set<TableKey>> {
  const ranged = new Set<TableKey>();
  if (conn.dialect === 'sqlite') return ranged;
  const user = schema.tables.user!;
  const pairs = [{ key: 'user' as TableKey, table: user.name, column: user.columns.id }];
  for (const key of USER_KEYED) {
    const t = schema.tables[key];
    if (t?.columns.userId) pairs.push({ key, table: t.name, column: t.columns.userId });
  }
  const rows = (
    await sql<{ t: string; c: string; d: string | null; k: string | null }>`
      select table_name as t, column_name as c, ${sql.raw(conn.dialect === 'postgres' ? 'udt_name' : 'data_type')} as d, collation_name as k
        from information_schema.columns
       where table_schema = ${sql.raw(conn.dialect === 'postgres' ? 'current_schema()' : 'database()')}
         and table_name in (${sql.join(pairs.map((p) => p.table))})`.execute(conn.db)
  ).rows;
  const typeOf = (table: string, column: string) => {
    const row = rows.find((r) => r.t === table && r.c === column);
    return row ? `${String(row.d).toLowerCase()} ${row.k ?? ''}` : undefined;
  };
  const id = typeOf(user.name, user.columns.id);
  if (id === undefined) return ranged;
  for (const p of pairs.slice(1)) if (typeOf(p.table, p.column) === id) ranged.add(p.key);
  return ranged;
}
