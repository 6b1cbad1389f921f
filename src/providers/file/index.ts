/**
 * The "other services" source: a CSV, JSON-array or NDJSON export from any system.
 *
 * Streams the file (never holds it in memory), guesses which column is which (`--map` overrides),
 * and turns each row into a user, plus an organization and a membership per organization it
 * names. Batches carry the number of data rows consumed as their cursor; a resumed export skips
 * that many rows (parsing them, yielding nothing for them).
 *
 * File-level problems (missing, empty, binary, no email column, invalid JSON...) are
 * ExpectedErrors from `check()` and `export()`; row-level ones are SourceIssues located at
 * `file:line` (`file[index]` for JSON arrays), and such a row yields no records.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceProvider } from '../types.js';
import { readCsv } from './csv.js';
import { columnOf, requireEmail, resolveMapping, type FieldName, type ResolvedMapping } from './fields.js';
import { readJsonArray } from './json.js';
import { analyzeFile, describeFormat, openFile, type FileFormat, type FileLayout } from './layout.js';
import { readNdjson } from './ndjson.js';
import { RowSink } from './rows.js';

export type { FieldName, BaseField } from './fields.js';
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
  /** column → field for the columns that map to one (guesses, with `map` applied when given). */
  mapping: Record<string, FieldName>;
  /** Data rows read from the head to make these guesses. */
  sampleRows: number;
}

/** Detected format and guessed mapping, for a UI to show before an export. Reads the head only. */
export async function inspectFile(file: string, options: { map?: Record<string, string>; format?: FileFormat } = {}): Promise<FileInspection> {
  const { fh, size } = await openFile(file);
  try {
    const layout = await analyzeFile(fh, file, size, options.format);
    const { byColumn } = resolveMapping(layout.columns, options.map, layout.name);
    return {
      format: layout.format,
      ...(layout.delimiter !== undefined ? { delimiter: layout.delimiter } : {}),
      columns: layout.columns,
      mapping: byColumn,
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
    const mapping = resolveMapping(layout.columns, options.map, layout.name);
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
      const { fh, size } = await openFile(options.path);
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
        const signal = exportOptions.signal;
        switch (layout.format) {
          case 'csv':
            yield* readCsv({ fh, delimiter: layout.delimiter!, columns: layout.columns, start: layout.dataStart, startLine: layout.dataLine, sink, signal });
            break;
          case 'json':
            yield* readJsonArray({ fh, name: layout.name, columns: layout.columns, used: compiled.used, sink, signal });
            break;
          case 'ndjson':
            yield* readNdjson({ path: options.path, columns: layout.columns, used: compiled.used, sink, signal });
            break;
        }
        if (signal?.aborted) return;
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
