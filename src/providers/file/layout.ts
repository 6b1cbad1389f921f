/**
 * What a file is: opened (with operator-readable errors), its head checked for being text, its
 * format detected and its columns read. Reads only the head (64 KiB; up to 1 MiB for JSON when
 * the first element is larger), never the whole file.
 */
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import { CsvHeaderError, describeDelimiter, detectDelimiter, sampleCsv, type Delimiter } from './csv.js';
import { DeepValueError, objectCells, sampleJsonArray } from './json.js';
import { sampleNdjson } from './ndjson.js';
import type { Cell } from './rows.js';

export type FileFormat = 'csv' | 'json' | 'ndjson';
export const FORMATS: readonly FileFormat[] = ['csv', 'json', 'ndjson'];

export const HEAD_BYTES = 64 * 1024;
const JSON_SAMPLE_MAX = 1024 * 1024;

export interface FileLayout {
  path: string;
  /** The file's base name, used in origins (`users.csv:12`). */
  name: string;
  size: number;
  format: FileFormat;
  /** How the format was found, when it contradicts the extension. */
  formatNote?: string;
  delimiter?: Delimiter;
  columns: string[];
  /** Rows of the head, cells by column index (for guesses and suggestions). */
  sample: Cell[][];
  /** Data rows (or elements / lines) seen in the head. */
  sampleRows: number;
  /** CSV: byte offset and physical line of the first line after the header. */
  dataStart: number;
  dataLine: number;
}

/** Opens a regular file for reading, turning the usual failures into ExpectedErrors. */
export async function openFile(file: string): Promise<{ fh: FileHandle; size: number; stat: Stats }> {
  let fh: FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (error) {
    throw openError(file, error as NodeJS.ErrnoException);
  }
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) throw new ExpectedError(`${file} is a directory, not a file.`, 'Pass the export file itself.');
    if (!stat.isFile()) throw new ExpectedError(`${file} is not a regular file.`, 'Pass the export file itself (save a stream to a file first).');
    return { fh, size: stat.size, stat };
  } catch (error) {
    await fh.close();
    throw error;
  }
}

function openError(file: string, error: NodeJS.ErrnoException): ExpectedError {
  switch (error.code) {
    case 'ENOENT':
      return new ExpectedError(
        `File not found: ${file}`,
        path.isAbsolute(file) ? 'Check the path.' : `Check the path (it is relative to ${process.cwd()}).`,
      );
    case 'EACCES':
    case 'EPERM':
      return new ExpectedError(`Cannot read ${file}: permission denied.`, 'Check the file permissions (ls -l), or run as a user who can read it.');
    case 'EISDIR':
      return new ExpectedError(`${file} is a directory, not a file.`, 'Pass the export file itself.');
    default:
      return new ExpectedError(`Cannot read ${file}: ${error.message}`, 'Check the path and that the file is readable.');
  }
}

const BY_EXTENSION = new Map<string, FileFormat>([
  ['.csv', 'csv'],
  ['.tsv', 'csv'],
  ['.tab', 'csv'],
  ['.json', 'json'],
  ['.ndjson', 'ndjson'],
  ['.jsonl', 'ndjson'],
]);

const TEXT_NEXT = 'Pass a CSV, JSON or NDJSON export saved as UTF-8 text.';

/** Refuses heads that are not UTF-8 text, naming the likely culprit. */
export function checkText(head: Buffer, name: string, whole: boolean): void {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) {
    throw new ExpectedError(`${name} is UTF-16 encoded, not UTF-8.`, 'Save it as UTF-8 (in Excel: "CSV UTF-8"), or convert it: iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8');
  }
  if (starts(0x1f, 0x8b)) throw new ExpectedError(`${name} is gzip-compressed.`, 'Decompress it first (gunzip FILE) and pass the result.');
  if (starts(0x50, 0x4b, 0x03, 0x04)) {
    throw new ExpectedError(`${name} is a ZIP archive (an Excel .xlsx workbook?), not CSV or JSON.`, 'Export the sheet as "CSV UTF-8", or unzip the archive and pass the file inside.');
  }
  if (head.subarray(0, 16).toString('latin1') === 'SQLite format 3\0') {
    throw new ExpectedError(`${name} is an SQLite database, not an export.`, 'Export the users table as CSV (sqlite3 -header -csv DB "select * from users" > users.csv).');
  }
  const nul = head.indexOf(0);
  if (nul !== -1) {
    throw new ExpectedError(`${name} looks like a binary file (a NUL byte at offset ${nul}), not CSV or JSON text.`, TEXT_NEXT);
  }
  const bad = firstInvalidUtf8(head, whole);
  if (bad !== -1) {
    const line = head.subarray(0, bad).toString('latin1').split('\n').length;
    throw new ExpectedError(
      `${name} is not UTF-8 text (byte 0x${head[bad].toString(16).toUpperCase().padStart(2, '0')} at offset ${bad}, line ${line}; Latin-1 / Windows-1252 perhaps, or a binary file).`,
      'Convert it to UTF-8 (iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8), or in Excel save as "CSV UTF-8".',
    );
  }
}

/** Offset of the first byte that breaks UTF-8, or -1; a sequence cut by the end of a partial head is fine. */
export function firstInvalidUtf8(buf: Buffer, whole: boolean): number {
  const n = buf.length;
  for (let i = 0; i < n; ) {
    const c = buf[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return whole ? i : -1; // a sequence cut by the end of a partial head is fine
      const cc = buf[i + k];
      if ((cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function firstNonSpace(text: string): string | undefined {
  const match = /[^\s\uFEFF]/.exec(text);
  return match?.[0];
}

/**
 * Refuses a header naming a column twice (after trimming): rows would hold two values for one
 * name, and whichever was read the other would be dropped. Renaming one is the operator's call.
 */
export function refuseDuplicateColumns(raw: readonly string[], name: string): void {
  const positions = new Map<string, number[]>();
  raw.forEach((column, i) => {
    const key = column.trim();
    if (key === '') return; // blank names become `column N`: distinct
    const list = positions.get(key);
    if (list) list.push(i + 1);
    else positions.set(key, [i + 1]);
  });
  const repeated = [...positions].filter(([, at]) => at.length > 1);
  if (repeated.length === 0) return;
  const where = (at: number[]) => `columns ${at.slice(0, -1).join(', ')} and ${at.at(-1)}`;
  const list = repeated.map(([column, at]) => `"${column}" (${where(at)})`).join(', ');
  const [first, at] = repeated[0];
  throw new ExpectedError(
    `${name}: the header names ${repeated.length === 1 ? 'a column' : 'columns'} more than once: ${list}; the values of all but one would be dropped.`,
    `Give each column its own name in the header (e.g. rename column ${at[1]} to "${first} 2"; map it with --map if it holds a field you need), then run again.`,
  );
}

/** Column names made usable as `--map` keys: trimmed, blanks named `column N`, repeats numbered. */
export function cleanColumns(raw: readonly string[]): string[] {
  const seen = new Set<string>();
  return raw.map((name, i) => {
    let base = name.trim() || `column ${i + 1}`;
    if (seen.has(base)) {
      let n = 2;
      while (seen.has(`${base} (${n})`)) n++;
      base = `${base} (${n})`;
    }
    seen.add(base);
    return base;
  });
}

async function readHead(fh: FileHandle, bytes: number): Promise<Buffer> {
  const buf = Buffer.alloc(bytes);
  let got = 0;
  while (got < bytes) {
    const { bytesRead } = await fh.read(buf, got, bytes - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Detects the format and reads the columns of an open file (see module doc). */
export async function analyzeFile(fh: FileHandle, file: string, size: number, forced?: FileFormat): Promise<FileLayout> {
  const name = path.basename(file);
  if (forced !== undefined && !FORMATS.includes(forced)) {
    throw new ExpectedError(`Unknown file format "${forced}".`, `Use one of: ${FORMATS.join(', ')}.`);
  }
  if (size === 0) throw new ExpectedError(`${name} is empty (0 bytes).`, 'Export the users again: the file has no content.');
  const head = await readHead(fh, Math.min(size, HEAD_BYTES));
  const whole = head.length >= size;
  checkText(head, name, whole);
  const text = head.toString('utf8');
  const first = firstNonSpace(text);
  if (first === undefined && whole) {
    throw new ExpectedError(`${name} is empty (it holds only whitespace).`, 'Export the users again: the file has no content.');
  }

  const ext = path.extname(file).toLowerCase();
  let format: FileFormat = forced ?? BY_EXTENSION.get(ext) ?? (first === '[' ? 'json' : first === '{' ? 'ndjson' : 'csv');
  let formatNote: string | undefined;
  if (forced === undefined && format === 'json' && first === '{') {
    // One object per line is NDJSON named .json; one object wrapping the records
    // ({"users": [...]}, on one line or several) is not a list of users.
    if (firstLineIsObject(text) && !wrapsRecords(text)) {
      format = 'ndjson';
      formatNote = 'one JSON object per line';
    } else throw notAnArray(name, text, 'an object');
  } else if (forced === undefined && format === 'ndjson' && first === '[') {
    format = 'json';
    formatNote = 'a JSON array';
  }

  const base = { path: file, name, size, format, formatNote, dataStart: 0, dataLine: 1 };
  if (format === 'csv') {
    const delimiter = detectDelimiter(text, ext === '.tsv' || ext === '.tab');
    let sample;
    try {
      sample = sampleCsv(head, whole, delimiter);
    } catch (error) {
      if (!(error instanceof CsvHeaderError)) throw error;
      throw new ExpectedError(
        `${name}: the header row is malformed (${error.message}).`,
        'The first line must name the columns, e.g. id,email,first_name,last_name.',
      );
    }
    refuseDuplicateColumns(sample.header, name);
    if (whole && sample.rows.length === 0 && sample.badRows === 0) {
      throw new ExpectedError(`${name} has a header row but no data rows.`, 'Export the users again: the file holds no users.');
    }
    const columns = cleanColumns(sample.header);
    return {
      ...base,
      delimiter,
      columns,
      sample: sample.rows,
      sampleRows: sample.rows.length + sample.badRows,
      dataStart: sample.headerEnd,
      dataLine: sample.dataLine,
    };
  }

  if (format === 'json') {
    if (first !== '[') {
      if (first === '{') throw notAnArray(name, text, 'an object');
      if (first !== undefined && /["\d\-tfn]/.test(first)) throw notAnArray(name, text, 'a single value');
    }
    const sample = await sampleJsonArray(fh, name, size, HEAD_BYTES, JSON_SAMPLE_MAX);
    if (sample.elements === 0) {
      if (sample.complete) throw new ExpectedError(`${name} is an empty JSON array (no records).`, 'Export the users again: the file holds no users.');
      throw new ExpectedError(`${name}: the first array element is larger than 1 MiB.`, 'Each element must be one user record (a flat object).');
    }
    if (sample.objects.length === 0) {
      throw new ExpectedError(
        `${name} is a JSON array, but not of objects (its first element is ${sample.nonObject}).`,
        'Pass an array of objects, one per user: [{"email": "..."}, ...].',
      );
    }
    const columns = sample.columns.filter((c) => c !== '');
    return { ...base, columns, sample: sample.objects.map((o) => allCells(o, columns)), sampleRows: sample.elements };
  }

  // NDJSON
  let sampleText = text;
  if (!whole && !/\r?\n/.test(text)) {
    sampleText = (await readHead(fh, Math.min(size, JSON_SAMPLE_MAX))).toString('utf8');
  }
  const sample = sampleNdjson(sampleText, sampleText.length >= size);
  if (sample.lines === 0) {
    throw new ExpectedError(`${name} is empty (it holds only blank lines).`, 'Export the users again: the file has no content.');
  }
  if (sample.objects.length === 0) {
    const p = sample.firstProblem!;
    throw new ExpectedError(
      `${name} does not look like NDJSON: line ${p.line}: ${p.problem.replace(/; it was not imported.*$/, '')}.`,
      'Pass one JSON object per line; if the file is CSV or a JSON array, give it the matching extension (.csv, .json).',
    );
  }
  const columns = sample.columns.filter((c) => c !== '');
  return { ...base, columns, sample: sample.objects.map((o) => allCells(o, columns)), sampleRows: sample.lines };
}

function allCells(object: Record<string, unknown>, columns: readonly string[]): Cell[] {
  try {
    return objectCells(object, columns, columns.map((_, i) => i));
  } catch (error) {
    // A value too deep to read: the sample only serves guesses, the export reports the row.
    if (error instanceof DeepValueError) return new Array(columns.length);
    throw error;
  }
}

function firstLineIsObject(text: string): boolean {
  const start = text.search(/[^\s\uFEFF]/);
  const end = text.indexOf('\n', start);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  try {
    const value = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * True when the file is one object wrapping the records (e.g. `{"users": [{...}]}` on one line):
 * an array of objects in it, no email-like text of its own, and no second object line after it.
 */
function wrapsRecords(text: string): boolean {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const parse = (line: string | undefined): unknown => {
    try {
      return line === undefined ? undefined : JSON.parse(line.replace(/^\uFEFF/, ''));
    } catch {
      return undefined;
    }
  };
  const value = parse(lines[0]);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const second = parse(lines[1]);
  if (typeof second === 'object' && second !== null && !Array.isArray(second)) return false;
  const values = Object.values(value);
  if (values.some((v) => typeof v === 'string' && v.includes('@'))) return false;
  return values.some((v) => Array.isArray(v) && v.some((e) => typeof e === 'object' && e !== null && !Array.isArray(e)));
}

function notAnArray(name: string, text: string, what: string): ExpectedError {
  const users = /"users"\s*:\s*\[/.test(text);
  return new ExpectedError(
    `${name} holds ${what}, not an array of objects.`,
    users
      ? 'It has a "users" array (a Firebase auth:export?): use the Firebase source, or extract the array first: jq .users FILE > users-array.json'
      : 'Pass a JSON array of objects ([{"email": "..."}, ...]) or NDJSON (one object per line).',
  );
}

export function describeFormat(layout: Pick<FileLayout, 'format' | 'delimiter' | 'formatNote'>): string {
  switch (layout.format) {
    case 'csv':
      return `CSV (${describeDelimiter(layout.delimiter ?? ',')} separated)`;
    case 'json':
      return 'JSON array';
    case 'ndjson':
      return layout.formatNote ? `NDJSON (${layout.formatNote})` : 'NDJSON';
  }
}
