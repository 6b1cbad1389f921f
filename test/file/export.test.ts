/**
 * The export of a file source into a real journal (issue 7): the columns it does not read are
 * kept in the journal for the plan and the summary (through the export worker too), a file that
 * changes while staged stops the export, and a full disk under the journal is an ExpectedError
 * that leaves the journal resumable — every row staged exactly once in the end.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { createFileProvider } from '../../src/providers/file/index.js';
import type { SourceProvider } from '../../src/providers/types.js';
import { createEventBus } from '../../src/services/events.js';
import { IGNORED_COLUMNS_KEY, JournalDiskFullError, runExport } from '../../src/services/export/exporter.js';
import { providerInWorker } from '../../src/services/export/source-worker.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { tempDir } from '../helpers.js';
import { failure } from './util.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir('wm-file-export-');
  dirs.push(d);
  return d;
}

function settings(file: string): RunSettings {
  return { version: 1, source: { kind: 'file', options: { path: file } }, workos: { apiKeyEnv: 'WORKOS_API_KEY', environment: 'test' }, createdAt: new Date().toISOString() };
}

/** A CSV of `n` users `u0..`, each with a distinct organization name every 10 rows. */
function usersCsv(file: string, n: number): string[] {
  const ids = Array.from({ length: n }, (_, i) => `u${i}`);
  fs.writeFileSync(file, `id,email,first_name,last_name,company,notes\n${ids.map((id, i) => `${id},${id}@example.com,First ${i},Last ${i},Org ${Math.floor(i / 10)},n`).join('\n')}\n`);
  return ids;
}

/** The source ids staged in the journal file, read straight from SQLite. */
function stagedUserIds(journalPath: string): string[] {
  const db = new Database(journalPath, { readonly: true });
  try {
    return (db.prepare('SELECT source_id FROM users ORDER BY id').all() as { source_id: string }[]).map((r) => r.source_id);
  } finally {
    db.close();
  }
}

describe('ignored columns in the journal', () => {
  it('keeps the union of every batch and every pass in meta ignored_columns, through the export worker', async () => {
    const d = dir();
    const file = path.join(d, 'users.ndjson');
    const head = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: `u${i}`, email: `u${i}@example.com`, plan: 'pro' }));
    fs.writeFileSync(file, `${head.join('\n')}\n${JSON.stringify({ id: 'late', email: 'late@example.com', phone: '555' })}\n`);
    const journal = Journal.create(path.join(d, 'j.db'), settings(file));
    try {
      // What an earlier pass recorded stays.
      journal.setMeta(IGNORED_COLUMNS_KEY, [{ column: 'earlier', reason: 'seen by an earlier pass' }]);
      const provider = providerInWorker('file', { path: file, batchSize: 500 }, {});
      const result = await runExport(journal, provider, createEventBus());
      expect(result.completed).toBe(true);
      expect(result.staged.users).toBe(3001);
      expect(journal.getMeta(IGNORED_COLUMNS_KEY)).toEqual([
        { column: 'earlier', reason: 'seen by an earlier pass' },
        { column: 'plan', reason: expect.stringMatching(/^not a known field, so its values were not imported; map it with --map plan=FIELD/) },
        { column: 'phone', reason: expect.stringMatching(/^first seen at users\.ndjson:3001, past the first records the columns were read from/) },
      ]);
    } finally {
      journal.close();
    }
  });
});

/** The provider, with `after(n)` called once batch n was staged (the consumer asked for the next). */
function watched(provider: SourceProvider, after: (n: number) => void): SourceProvider {
  return {
    ...provider,
    async *export(options) {
      let n = 0;
      for await (const batch of provider.export(options)) {
        yield batch;
        after(++n);
      }
    },
  };
}

describe('a file that changes while it is staged', () => {
  for (const via of ['in process', 'the export worker'] as const) {
    it(`stops with an ExpectedError naming the file (${via}); the staged batches are whole, the journal still exporting`, async () => {
      const d = dir();
      const file = path.join(d, 'users.csv');
      usersCsv(file, 20_000);
      const size = fs.statSync(file).size;
      expect(size).toBeGreaterThan(3 * 256 * 1024); // several read chunks: truncated while some are unread
      const journal = Journal.create(path.join(d, 'j.db'), settings(file));
      try {
        const inner = via === 'in process' ? createFileProvider({ path: file, batchSize: 100 }) : providerInWorker('file', { path: file, batchSize: 100 }, {});
        const provider = watched(inner, (n) => n === 1 && fs.truncateSync(file, 300_000));
        const error = await failure(() => runExport(journal, provider, createEventBus()));
        expect(error.message).toBe(
          `users.csv changed while it was being read: it shrank from ${size.toLocaleString('en-US')} bytes to 300,000 bytes (truncated?), so the rows read from it may be incomplete or mixed.`,
        );
        expect(error.nextStep).toMatch(/^Run the migration again once users\.csv is complete/);
        expect(journal.phase).toBe('exporting');
        // Only whole batches were staged, each with its cursor.
        const cursor = journal.cursor('file')!;
        expect(Number(cursor.cursor) % 100).toBe(0);
        expect(stagedUserIds(journal.path)).toHaveLength(Number(cursor.cursor));
      } finally {
        journal.close();
      }
    });
  }
});

describe('a full disk under the journal', () => {
  const ROWS = 3000;

  /** Stages the whole file on a journal that has `failures`; resumes after it; every row once. */
  async function fullThenResume(journalPath: string, fail: (journal: Journal) => SourceProvider | void, free: () => void) {
    const d = dir();
    const file = path.join(d, 'users.csv');
    const ids = usersCsv(file, ROWS);
    const journal = Journal.create(journalPath, settings(file));
    const provider = fail(journal) ?? createFileProvider({ path: file, batchSize: 100 });
    let error: unknown;
    try {
      await runExport(journal, provider, createEventBus());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JournalDiskFullError);
    expect(error).toBeInstanceOf(ExpectedError);
    const full = error as JournalDiskFullError;
    expect(full.message).toMatch(new RegExp(`^The disk holding the journal ${journalPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is full \\((SQLITE_FULL|ENOSPC)\\): the batch being staged was rolled back`));
    expect(full.nextStep).toBe(`Free some space on that disk, then run \`workos-migrate resume --journal ${journalPath}\` to go on from the last staged batch.`);
    expect(full.resumable).toBe(true);
    // The failed batch left nothing: what is staged is exactly what the cursor says.
    expect(journal.phase).toBe('exporting');
    const cursor = Number(journal.cursor('file')?.cursor ?? 0);
    expect(cursor).toBeGreaterThan(0);
    expect(cursor).toBeLessThan(ROWS);
    journal.close();
    const before = stagedUserIds(journalPath);
    expect(before).toEqual(ids.slice(0, cursor));

    free();
    const resumed = Journal.open(journalPath);
    try {
      const result = await runExport(resumed, createFileProvider({ path: file, batchSize: 100 }), createEventBus());
      expect(result.completed).toBe(true);
      expect(resumed.phase).toBe('exported');
    } finally {
      resumed.close();
    }
    const after = stagedUserIds(journalPath);
    expect(after).toEqual(ids); // every row once, in file order
  }

  it('SQLITE_FULL inside a batch (a page limit on the journal connection): rolled back, resumable', async () => {
    const journalPath = path.join(dir(), 'j.db');
    await fullThenResume(
      journalPath,
      (journal) => {
        // SQLite itself answers SQLITE_FULL once the database would pass this many pages: the
        // failure happens inside the batch's transaction, as on a real full disk.
        const db = (journal as unknown as { db: Database.Database }).db;
        const pages = db.pragma('page_count', { simple: true }) as number;
        db.pragma(`max_page_count = ${pages + 40}`);
      },
      () => undefined, // a new connection has no such limit
    );
  });

  it('ENOSPC from the file system while staging: the same ExpectedError, resumable', async () => {
    const journalPath = path.join(dir(), 'j.db');
    await fullThenResume(
      journalPath,
      (journal) => {
        let calls = 0;
        const stage = journal.stageBatch.bind(journal);
        journal.stageBatch = (batch) => {
          if (++calls === 7) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
          return stage(batch);
        };
      },
      () => undefined,
    );
  });

  describe('on a real 4 MB tmpfs', () => {
    let mountPoint: string | undefined;
    let mountError: string | undefined;
    afterEach(() => {
      if (mountPoint) {
        try {
          execFileSync('umount', [mountPoint], { stdio: 'pipe' });
        } catch {
          execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
        }
        mountPoint = undefined;
      }
    });

    it('fills up while staging, then resumes once space is freed: every row staged exactly once', async (ctx) => {
      const target = dir();
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', target], { stdio: 'pipe' });
        mountPoint = target;
      } catch (error) {
        mountError = ((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim();
      }
      // Mounting needs root (CAP_SYS_ADMIN); the injected variants above still run everywhere.
      if (!mountPoint) ctx.skip(`cannot mount a tmpfs here (${mountError}); the injected SQLITE_FULL / ENOSPC tests cover the behaviour`);
      const journalPath = path.join(target, 'j.db');
      const filler = path.join(target, 'filler');
      await fullThenResume(
        journalPath,
        () => {
          // Leave ~300 KB: the export's write-ahead log grows past it after a few batches.
          const { bavail, bsize } = fs.statfsSync(target);
          fs.writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 300 * 1024)));
        },
        () => fs.rmSync(filler),
      );
    }, 120_000);
  });
});
