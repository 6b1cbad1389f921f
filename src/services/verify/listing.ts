/**
 * What verification reads WorkOS and the journal with: WorkOS's lists page by page (100 records a
 * read, through the target's pacers), and a scratch connection to the journal whose temporary
 * tables (on disk: better-sqlite3 builds SQLite with TEMP_STORE=1) match each page against the
 * journal by index. Nothing of WorkOS is held beyond the page in hand, so a million users cost a
 * million rows on disk, not in memory.
 */
import Database from 'better-sqlite3';
import type { Journal } from '../journal/journal.js';
import type { WorkOSTarget } from '../workos/target.js';

export const PAGE = 100;

/** One page of a WorkOS list, as the SDK's list methods return it. */
export interface ListPage<T> {
  data: T[];
  listMetadata?: { after?: string | null };
}

/**
 * Every page of one WorkOS list, oldest first (a record created meanwhile lands at the end, not in
 * a page already read). `bucket`: the AuthKit bucket the list counts against (null for
 * organizations, which count against the general bucket only). Reads are retried by the target.
 */
export async function* listPages<T>(
  target: WorkOSTarget,
  bucket: 'reads' | null,
  fetch: (page: { limit: number; after?: string; order: 'asc' }) => Promise<ListPage<T>>,
  signal?: AbortSignal,
  /** Start after this record (one WorkOS has): a segment of the list. */
  start?: string,
): AsyncGenerator<T[]> {
  let after = start;
  do {
    const cursor = after;
    const page = await target.call(bucket, () => fetch({ limit: PAGE, after: cursor, order: 'asc' }), { idempotent: true, signal });
    yield page.data;
    after = page.listMetadata?.after ?? undefined;
  } while (after);
}

/**
 * A read-only second connection to the journal: verification never writes the journal through
 * it, and its temporary tables (the records to find, which were found) vanish with it.
 */
export class Scratch {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(journal: Journal) {
    this.db = new Database(journal.path, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    // On disk whatever the build's default, with a small cache: memory stays flat at any size.
    this.db.pragma('temp_store = FILE');
    this.db.pragma('temp.cache_size = -4096');
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  run(sql: string, ...params: unknown[]): number {
    return this.stmt(sql).run(...params).changes;
  }

  close(): void {
    this.db.close();
  }
}

/** `fn` over `items`, `concurrency` at a time, until done or stopped. */
export async function each<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !signal?.aborted) await fn(items[next++]);
    }),
  );
}

/** Ids as one bound parameter: `x IN (SELECT value FROM json_each(?))`. */
export const jsonList = (values: readonly (string | number)[]) => JSON.stringify(values);
