/**
 * The "other services" source: a CSV, JSON-array or NDJSON export from any system.
 *
 * Streams the file (never holds it in memory), guesses which column is which (`--map` overrides),
 * and turns each row into a user, plus an organization and a membership per organization it
 * names. Batches carry the number of data rows consumed as their cursor; a resumed export skips
 * that many rows (parsing them, yielding nothing for them).
 *
 * File-level problems (missing, empty, binary, no email column, a column named twice, invalid
 * JSON...) are ExpectedErrors from `check()` and `export()`; row-level ones are SourceIssues
 * located at `file:line` (`file[index]` for JSON arrays), and such a row yields no records.
 * Columns not read are named in the batches' `ignoredColumns`. A file that changes while it is
 * read (truncated, replaced, still being written) is an ExpectedError at the end of the read.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceProvider } from '../types.js';
import { readCsv } from './csv.js';
import { columnOf, requireEmail, resolveMapping, toRecord, type FieldName, type IgnoredColumn, type ResolvedMapping } from './fields.js';
import { readJsonArray } from './json.js';
import { analyzeFile, describeFormat, openFile, type FileFormat, type FileLayout } from './layout.js';
import { readNdjson } from './ndjson.js';
import { RowSink } from './rows.js';

export type { FieldName, BaseField, IgnoredColumn } from './fields.js';
export { BASE_FIELDS, guessField, guessMapping } from './fields.js';
export type { FileFormat } from './layout.js';

export const DEFAULT_BATCH_SIZE = 5000;

export interface FileProviderOptions {
  path: string;
  /** `--map column=field` overrides (`column=ignore` drops a column). */
  map?: Record<string, string>;
  /** Forces the format instead of detecting it from the extension / first byte. */
  format?: FileFormat;
  /** Data rows per batch (default 5000). */
  batchSize?: number;
}

export interface FileInspection {
  format: FileFormat;
  /** CSV only: `,` `;` `\t` or `|`. */
  delimiter?: string;
  columns: string[];
  /** column → field for the columns that map to one (guesses, with `map` applied when given); no prototype. */
  mapping: Record<string, FieldName>;
  /** The other columns, each with why it is not read. */
  ignoredColumns: IgnoredColumn[];
  /** Data rows read from the head to make these guesses. */
  sampleRows: number;
}

/** Detected format and guessed mapping, for a UI to show before an export. Reads the head only. */
export async function inspectFile(file: string, options: { map?: Record<string, string>; format?: FileFormat } = {}): Promise<FileInspection> {
  const { fh, size } = await openFile(file);
  try {
    const layout = await analyzeFile(fh, file, size, options.format);
    const { byColumn, ignored } = resolveMapping(layout.columns, options.map, layout.name, { openColumns: layout.format !== 'csv' });
    return {
      format: layout.format,
      ...(layout.delimiter !== undefined ? { delimiter: layout.delimiter } : {}),
      columns: layout.columns,
      mapping: toRecord(byColumn),
      ignoredColumns: ignored,
      sampleRows: layout.sampleRows,
    };
  } finally {
    await fh.close();
  }
}

export /** Files that look like exports, two levels down from the working directory, as typed paths. */
function exportFilesNear(cwd: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth > 0) walk(full, depth - 1);
      else if (/\.(csv|tsv|json|ndjson|jsonl)$/i.test(entry.name)) found.push(path.relative(cwd, full));
      if (found.length > 200) return;
    }
  };
  walk(cwd, 2);
  return found.sort();
}

export function createFileProvider(options: FileProviderOptions): SourceProvider {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ExpectedError(`Invalid batch size ${batchSize}.`, 'Use a whole number of rows, at least 1.');

  async function prepare(fh: Parameters<typeof analyzeFile>[0], size: number): Promise<{ layout: FileLayout; mapping: ResolvedMapping }> {
    const layout = await analyzeFile(fh, options.path, size, options.format);
    if (layout.format === 'csv') {
      const dataLike = layout.columns.find((c) => /^[^@\s"]+@[^@\s"]+\.[a-z]{2,}$/i.test(c));
      // `--map` given (the operator knows the columns) lets a header of odd names stand; an empty
      // map (the CLI passes {} when there is no --map) does not.
      if (dataLike && Object.keys(options.map ?? {}).length === 0) {
        throw new ExpectedError(
          `${layout.name}: the first line looks like data, not a header (it holds "${dataLike}").`,
          'Add a first line naming the columns, e.g. id,email,first_name,last_name.',
        );
      }
    }
    // A JSON record may bring a key the head did not show: `--map` may name one.
    const mapping = resolveMapping(layout.columns, options.map, layout.name, { openColumns: layout.format !== 'csv' });
    requireEmail(mapping, layout.name, layout.sample);
    return { layout, mapping };
  }

  return {
    id: 'file',
    displayName: 'File (CSV, JSON, NDJSON)',

    async check() {
      const { fh, size } = await openFile(options.path);
      try {
        const { layout, mapping } = await prepare(fh, size);
        const email = columnOf(mapping.byColumn, 'email')!;
        const n = layout.columns.length;
        return { summary: `${layout.name}: ${describeFormat(layout)}, ${n} column${n === 1 ? '' : 's'}, email column "${email}"` };
      } finally {
        await fh.close();
      }
    },

    async *export(exportOptions: ExportOptions): AsyncIterable<ExportBatch> {
      const skip = parseCursor(exportOptions.cursor);
      const { fh, size, stat } = await openFile(options.path);
      try {
        const { layout, mapping } = await prepare(fh, size);
        const { compiled } = mapping;
        const sink = new RowSink({
          mapping: compiled,
          fileName: layout.name,
          locations: layout.format === 'json' ? 'index' : 'line',
          batchSize,
          skip,
        });
        for (const column of mapping.ignored) sink.ignore(column);
        const signal = exportOptions.signal;
        const columns = mapping.columns;
        const named = columns.slice(layout.columns.length);
        try {
          switch (layout.format) {
            case 'csv':
              yield* readCsv({ fh, delimiter: layout.delimiter!, columns, start: layout.dataStart, startLine: layout.dataLine, sink, signal });
              break;
            case 'json':
              yield* readJsonArray({ fh, name: layout.name, columns, used: compiled.used, named, sink, signal });
              break;
            case 'ndjson':
              yield* readNdjson({ fh, name: layout.name, columns, used: compiled.used, named, sink, signal });
              break;
          }
        } catch (error) {
          // A file cut while read looks malformed at the cut ("ends before the array is closed"):
          // its change is the cause to report.
          if (error instanceof ExpectedError) await requireUnchanged(options.path, layout.name, fh, stat);
          throw error;
        }
        if (signal?.aborted) return;
        // Before the last batch: the rows of a file that changed meanwhile are not all there.
        await requireUnchanged(options.path, layout.name, fh, stat);
        if (sink.rows < skip) {
          throw new ExpectedError(
            `The saved export position (row ${skip}) is past the end of ${layout.name} (${sink.rows} rows): the file changed since the export started.`,
            'Restore the original file, or start a new migration with the new file.',
          );
        }
        if (sink.emailIndexSaturated) {
          sink.note({
            location: layout.name,
            field: 'email',
            message:
              'more distinct email addresses than the case-duplicate check can remember (~1.5 million): emails differing only in case were not all flagged here; the journal still finds duplicate emails before import.',
            severity: 'warning',
          });
        }
        for (const batch of sink.finish()) yield batch;
      } finally {
        await fh.close();
      }
    },
  };
}

/**
 * Throws when the file is no longer the one opened (`before`): replaced or removed (inode), or
 * truncated, grown or rewritten in place (size, modification time). Rows read from a file that
 * changed under the reader may be cut short or mixed, and nothing says so otherwise.
 */
async function requireUnchanged(file: string, name: string, fh: FileHandle, before: fs.Stats): Promise<void> {
  const now = await fh.stat();
  let onDisk: fs.Stats | undefined;
  try {
    onDisk = await fs.promises.stat(file);
  } catch {
    onDisk = undefined;
  }
  const bytes = (n: number) => `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
  let change: string | undefined;
  if (onDisk === undefined) change = 'it was deleted or moved away';
  else if (onDisk.ino !== before.ino || onDisk.dev !== before.dev) change = 'it was replaced by another file';
  else if (now.size < before.size) change = `it shrank from ${bytes(before.size)} to ${bytes(now.size)} (truncated?)`;
  else if (now.size > before.size) change = `it grew from ${bytes(before.size)} to ${bytes(now.size)} (still being written?)`;
  else if (now.mtimeMs !== before.mtimeMs) change = 'it was rewritten (same size, new modification time)';
  if (change === undefined) return;
  throw new ExpectedError(
    `${name} changed while it was being read: ${change}, so the rows read from it may be incomplete or mixed.`,
    `Run the migration again once ${name} is complete and no longer changing (copy it somewhere else first if it is still being written).`,
  );
}

function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d+$/.test(cursor)) {
    throw new ExpectedError(
      `The saved export position "${cursor}" is not a row count, so it was not written by the file source.`,
      'Start a new migration for this file.',
    );
  }
  return Number(cursor);
}
