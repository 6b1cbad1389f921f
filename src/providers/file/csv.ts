/**
 * CSV: csv-parse's streaming parser, driven chunk by chunk from the file.
 *
 * - Records are taken synchronously from the parser (its `push` is intercepted) and handed to
 *   the RowSink together with the parser's live `info` (lines, bytes): no per-record info object,
 *   no stream buffering, and skip errors (`on_skip`) arrive in file order with the records.
 * - `skip_records_with_error`: a badly quoted row becomes an issue and parsing goes on.
 * - `relax_column_count`: rows with the wrong number of fields are reported here, with counts.
 * - `max_record_size` (1 MiB): csv-parse's own recovery from that error loses the rest of the
 *   chunk it happens in (and re-raises it on every later chunk), so it is treated as fatal for
 *   that parser: the oversized record's end is located in the file (`findRecord`, following
 *   csv-parse's quoting rules) and a new parser starts after it.
 * - A stray closing quote (`"abc"x`): csv-parse keeps the value open after it, swallowing the
 *   following rows up to the next quote (often the rest of the file) into that one bad record.
 *   The row is reported and a new parser starts on the line after the stray quote instead.
 * The raw-byte scans (`findRecord`, `lineAfterStrayQuote`) run only after such an error, never
 * to parse.
 */
import type { FileHandle } from 'node:fs/promises';
import { parse, type CsvError, type Parser } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { ExportBatch } from '../types.js';
import type { RowSink } from './rows.js';

export const MAX_RECORD_BYTES = 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;

export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/**
 * The delimiter of a CSV file from its header line: the candidate (`,` `;` tab `|`) occurring
 * most often outside quotes; ties go to the first in that order (tab first when `preferTab`, for
 * .tsv files); a single-column file is `,`.
 */
export function detectDelimiter(head: string, preferTab = false): Delimiter {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if (!inQuotes && (c === '\n' || c === '\r')) {
      if (started) break;
    } else {
      if (c !== '\uFEFF') started = true;
      if (!inQuotes && counts.has(c)) counts.set(c, counts.get(c)! + 1);
    }
  }
  const order: Delimiter[] = preferTab ? ['\t', ',', ';', '|'] : [...DELIMITERS];
  let best: Delimiter = order[0] === '\t' && counts.get('\t') === 0 ? ',' : order[0];
  for (const d of order) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

export function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : d;
}

const OPTIONS = {
  relax_column_count: true,
  skip_empty_lines: true,
  skip_records_with_error: true,
  max_record_size: MAX_RECORD_BYTES,
} as const;

export interface CsvSample {
  header: string[];
  /** Byte offset just after the header's line break (BOM included). */
  headerEnd: number;
  /** Physical line number of the first line after the header. */
  dataLine: number;
  /** Data records in the sample (blank ones excluded), as parsed. */
  rows: string[][];
  /** Rows that could not be parsed in the sample. */
  badRows: number;
}

export class CsvHeaderError extends Error {}

/**
 * Parses the head of a file (`whole`: the head is the whole file) for its header and a sample of
 * rows. The head is cut after its last line break unless whole, so only a quoted value spanning
 * the cut can make the sample's last row wrong; the sample only serves guesses and counts.
 */
export function sampleCsv(head: Buffer, whole: boolean, delimiter: string): CsvSample {
  let text = head;
  if (!whole) {
    const cut = Math.max(head.lastIndexOf(10), head.lastIndexOf(13));
    if (cut < 0) throw new CsvHeaderError('the header line is longer than 64 KiB');
    text = head.subarray(0, cut + 1);
  }
  const errors: CsvError[] = [];
  const records = parseSync(text, {
    ...OPTIONS,
    delimiter,
    bom: true,
    info: true,
    on_skip: (err) => {
      if (err) errors.push(err);
      return undefined;
    },
  }) as unknown as { record: string[]; info: { bytes: number } }[];
  const headerError = errors.find((e) => (e.records as number) === 0);
  if (headerError) throw new CsvHeaderError(stripLine(headerError.message));
  if (records.length === 0) throw new CsvHeaderError('no header row');
  const header = records[0].record;
  const headerEnd = records[0].info.bytes;
  const rows = records.slice(1).map((r) => r.record).filter((r) => r.some((v) => v.trim() !== ''));
  const badRows = errors.length;
  return { header, headerEnd, dataLine: countLineBreaks(head, 0, headerEnd) + 1, rows, badRows };
}

/** Line breaks (\n, \r\n, lone \r) in buf[start, end). */
export function countLineBreaks(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === 10) n++;
    else if (c === 13 && buf[i + 1] !== 10) n++;
  }
  return n;
}

function stripLine(message: string): string {
  return message.replace(/ (at|on) line \d+/, '');
}

export interface CsvReadContext {
  fh: FileHandle;
  delimiter: string;
  columns: readonly string[];
  /** Byte offset and physical line number of the first data line. */
  start: number;
  startLine: number;
  sink: RowSink;
  signal?: AbortSignal;
}

/** Reads the data rows into the sink, yielding the batches it completes. */
export async function* readCsv(ctx: CsvReadContext): AsyncGenerator<ExportBatch> {
  let base = ctx.start;
  let lineBase = ctx.startLine - 1;
  for (;;) {
    const run = new CsvRun(ctx, base, lineBase);
    let pos = base;
    for (;;) {
      if (ctx.signal?.aborted) return; // the exporter sees the signal and stops
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await ctx.fh.read(buf, 0, CHUNK_BYTES, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      run.write(bytesRead === CHUNK_BYTES ? buf : buf.subarray(0, bytesRead));
      if (run.stopped) break;
      for (const batch of ctx.sink.take()) yield batch;
    }
    if (!run.stopped) await run.end();
    for (const batch of ctx.sink.take()) yield batch;
    if (run.stopped) {
      const next = await run.restartPoint();
      if (next === undefined) return;
      base = next.offset;
      lineBase = next.lineBase;
      continue;
    }
    if (run.unclosed) await run.reportUnclosed();
    return;
  }
}

/** Thrown from on_skip to stop a parser (see `CsvRun.stopped`). */
const STOP = new Error('csv parser stopped');

/** One csv-parse parser's life: from `base` to the end of the file, or to a record it cannot recover from. */
class CsvRun {
  private readonly parser: Parser;
  private readonly sink: RowSink;
  private readonly ncols: number;
  /** Physical line number = parser line + lineBase - drift. */
  private drift = 0;
  private prevEndLine = 0;
  private prevEmpty = 0;
  /** End (byte offset, physical line) of the last record handed over: where a search for a bad record starts. */
  private lastEnd: number;
  private lastEndLine: number;
  /** csv-parse's array for the record of the last error: the same array means the same record. */
  private lastErrorRecord: unknown;
  /**
   * Set when the parser was stopped on a record it cannot recover from by itself: an oversized
   * one, or a stray closing quote (csv-parse keeps the value open after it, which would swallow
   * the following rows up to the next quote — often the rest of the file).
   */
  stopped: { kind: 'oversized'; boundary: number; counted: boolean } | { kind: 'quote'; boundary: number; line: number } | undefined;
  unclosed: { boundary: number } | undefined;

  constructor(
    private readonly ctx: CsvReadContext,
    private readonly base: number,
    private readonly lineBase: number,
  ) {
    this.sink = ctx.sink;
    this.ncols = ctx.columns.length;
    this.lastEnd = base;
    this.lastEndLine = lineBase;
    const parser = parse({
      ...OPTIONS,
      delimiter: ctx.delimiter,
      bom: false,
      on_skip: (err) => {
        if (err) this.onSkip(err);
        return undefined;
      },
    });
    const push = parser.push;
    parser.push = ((chunk: unknown, encoding?: BufferEncoding) => {
      if (chunk === null) return push.call(parser, chunk, encoding);
      this.onRecord(chunk as string[]);
      return true;
    }) as typeof parser.push;
    // Parse errors are read from `stopped` / `parser.errored` after each write.
    parser.on('error', () => undefined);
    this.parser = parser;
  }

  write(chunk: Buffer): void {
    this.parser.write(chunk);
    this.checkErrored();
  }

  async end(): Promise<void> {
    await new Promise<void>((resolve) => this.parser.end(() => resolve()));
    this.checkErrored();
  }

  private checkErrored(): void {
    const error = this.parser.errored;
    if (error && error !== STOP && !this.stopped) throw error;
  }

  private physical(parserLine: number): number {
    return parserLine + this.lineBase - this.drift;
  }

  private onRecord(fields: string[]): void {
    const info = this.parser.info;
    const endLine = info.lines;
    const empties = info.empty_lines;
    let start: number;
    if (endLine === this.prevEndLine + 1 + (empties - this.prevEmpty)) {
      start = this.physical(endLine); // one line, right after the previous record
    } else {
      // A value with line breaks, or rows skipped by errors before this one: count the breaks
      // inside the values. csv-parse counts \r\n inside quotes as two lines: `drift` corrects it.
      let breaks = 0;
      let crlf = 0;
      for (let f = 0; f < fields.length; f++) {
        const v = fields[f];
        for (let i = v.indexOf('\n'); i !== -1; i = v.indexOf('\n', i + 1)) {
          breaks++;
          if (i > 0 && v.charCodeAt(i - 1) === 13) crlf++;
        }
        for (let i = v.indexOf('\r'); i !== -1; i = v.indexOf('\r', i + 1)) breaks++;
      }
      start = this.physical(endLine - breaks);
      this.drift += crlf;
    }
    this.prevEndLine = endLine;
    this.prevEmpty = empties;
    this.lastEnd = this.base + info.bytes;
    this.lastEndLine = this.physical(endLine);

    if (fields.length === this.ncols) {
      this.sink.row(fields, start);
    } else if (fields.every((v) => v.trim() === '')) {
      this.sink.blank();
    } else {
      const more = fields.length > this.ncols;
      this.sink.reject(
        start,
        `row has ${fields.length} field(s) but the header has ${this.ncols}; the row was not imported — ${
          more
            ? `a value containing the delimiter (${describeDelimiter(this.ctx.delimiter)}) must be in double quotes.`
            : 'is the row cut short, or a value with a line break left unquoted?'
        }`,
      );
    }
  }

  private onSkip(err: CsvError): void {
    const record = (this.parser as unknown as { state?: { record?: unknown } }).state?.record;
    const same = record !== undefined && record === this.lastErrorRecord;
    this.lastErrorRecord = record;
    const boundary = this.base + this.parser.info.bytes;
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      this.stopped = { kind: 'oversized', boundary, counted: same };
      throw STOP;
    }
    if (same) return; // a second problem in a row already reported
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
      this.unclosed = { boundary };
      return;
    }
    const line = this.physical(Number(err.lines) || this.prevEndLine + 1);
    const column = typeof err.column === 'number' ? this.ctx.columns[err.column] : undefined;
    const where = column !== undefined ? ` in column ${JSON.stringify(column)}` : '';
    let message: string;
    switch (err.code) {
      case 'INVALID_OPENING_QUOTE':
        message = `broken quoting: a double quote inside an unquoted value${where}; the row was not imported — put the whole value in double quotes and double the quotes inside it ("a ""b"" c").`;
        break;
      case 'CSV_INVALID_CLOSING_QUOTE':
      case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
        this.sink.reject(
          line,
          `broken quoting: a closing double quote${where} is followed by other characters instead of a delimiter or the end of the line; the row was not imported — double the quotes inside quoted values ("a ""b"" c").`,
        );
        this.stopped = { kind: 'quote', boundary, line };
        throw STOP;
      default:
        message = `the row could not be parsed (${stripLine(err.message)}); it was not imported.`;
    }
    this.sink.reject(line, message);
  }

  /** Where to go on after `stopped` (reporting an oversized record), or undefined at the end of the file. */
  async restartPoint(): Promise<{ offset: number; lineBase: number } | undefined> {
    const stop = this.stopped!;
    if (stop.kind === 'oversized') return this.skipOversized(stop.boundary, stop.counted);
    const next = await lineAfterStrayQuote(this.ctx.fh, this.ctx.delimiter, stop.boundary);
    return next === undefined ? undefined : { offset: next, lineBase: stop.line };
  }

  /** Reports the oversized record and says where to go on, or undefined when it runs to the end. */
  private async skipOversized(boundary: number, counted: boolean): Promise<{ offset: number; lineBase: number } | undefined> {
    const span = await findRecord(this.ctx.fh, this.ctx.delimiter, this.lastEnd, this.lastEndLine + 1, boundary);
    const lines = span.startLine === span.endLine ? `line ${span.startLine}` : `lines ${span.startLine}–${span.endLine}`;
    const message = span.eof
      ? `record larger than 1 MiB: the row starting on line ${span.startLine} runs to the end of the file (line ${span.endLine}) — probably a double quote that is never closed — so ${lines} could not be read and were not imported; fix the quoting and export again.`
      : `record larger than 1 MiB (${lines}); the row was not imported — a value this long usually means a missing closing quote or the wrong delimiter.`;
    const field = this.ctx.columns[span.open ?? span.longest.index];
    if (counted) this.sink.note({ location: this.sink.origin(span.startLine), field, message, recordKind: 'user', severity: 'error' });
    else this.sink.reject(span.startLine, message, field);
    return span.eof ? undefined : { offset: span.next, lineBase: span.endLine };
  }

  async reportUnclosed(): Promise<void> {
    const { boundary } = this.unclosed!;
    const span = await findRecord(this.ctx.fh, this.ctx.delimiter, this.lastEnd, this.lastEndLine + 1, boundary);
    const lines = span.startLine === span.endLine ? `line ${span.startLine}` : `lines ${span.startLine}–${span.endLine}`;
    this.sink.reject(
      span.startLine,
      `unclosed quote: the double-quoted value starting on line ${span.startLine} is never closed, so ${lines} (to the end of the file) could not be read and were not imported; fix the quoting and export again.`,
      this.ctx.columns[span.open ?? span.longest.index],
    );
  }
}

/** Where a record lies in the file. */
export interface RecordSpan {
  startLine: number;
  endLine: number;
  /** Byte offset after the record's line break (the file's size when `eof`). */
  next: number;
  eof: boolean;
  /** The record's longest value: its field index and length in bytes (quotes included). */
  longest: { index: number; bytes: number };
  /** At the end of the file inside a quoted value: that value's field index. */
  open?: number;
}

/**
 * From `from` (a line start, physical line `fromLine`), walks records with csv-parse's quoting
 * rules (a quote opens a value only at its start, `""` inside quotes is a quote, a quote followed
 * by anything but a delimiter or line break keeps the value open, empty lines are skipped) and
 * returns the first record ending after byte `boundary`. Reads the file in blocks: memory stays
 * flat whatever the record's size. Used only after a parse error, never for parsing.
 */
export async function findRecord(fh: FileHandle, delimiter: string, from: number, fromLine: number, boundary: number): Promise<RecordSpan> {
  const DELIM = delimiter.charCodeAt(0);
  const QUOTE = 34;
  const FIELD = 0;
  const UNQUOTED = 1;
  const QUOTED = 2;
  const QUOTE_SEEN = 3;
  let state = FIELD;
  let content = false;
  let line = fromLine;
  let startLine = fromLine;
  let pos = from;
  let lastWasCR = false;
  let atLineStart = true;
  // The current record's field and where it started, and its longest value so far.
  let field = 0;
  let fieldStart = from;
  let longest = { index: 0, bytes: 0 };
  const endField = (at: number) => {
    if (at - fieldStart > longest.bytes) longest = { index: field, bytes: at - fieldStart };
    field++;
    fieldStart = at + 1;
  };
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i++) {
      const c = buf[i];
      if (c === 10 && lastWasCR) {
        // the \n of a \r\n already counted at the \r
        lastWasCR = false;
        continue;
      }
      lastWasCR = c === 13;
      atLineStart = c === 10 || c === 13;
      if (atLineStart) {
        if (state === QUOTED) {
          line++;
          continue;
        }
        if (content) {
          endField(pos + i);
          let end = pos + i + 1;
          if (c === 13) {
            const nextByte = i + 1 < bytesRead ? buf[i + 1] : await peek(fh, end);
            if (nextByte === 10) end++;
          }
          if (end > boundary) return { startLine, endLine: line, next: end, eof: false, longest };
        }
        content = false;
        state = FIELD;
        line++;
        continue;
      }
      if (!content) {
        content = true;
        startLine = line;
        field = 0;
        fieldStart = pos + i;
        longest = { index: 0, bytes: 0 };
      }
      switch (state) {
        case FIELD:
          state = c === QUOTE ? QUOTED : c === DELIM ? FIELD : UNQUOTED;
          break;
        case UNQUOTED:
          if (c === DELIM) state = FIELD;
          break;
        case QUOTED:
          if (c === QUOTE) state = QUOTE_SEEN;
          break;
        case QUOTE_SEEN:
          state = c === DELIM ? FIELD : QUOTED; // "" is a quote; anything else keeps the value open
          break;
      }
      if (state === FIELD && c === DELIM) endField(pos + i);
    }
    pos += bytesRead;
  }
  const lastLine = atLineStart ? Math.max(fromLine, line - 1) : line;
  const open = content && state === QUOTED ? field : undefined;
  if (content) endField(pos);
  return { startLine: content ? startLine : lastLine, endLine: lastLine, next: pos, eof: true, longest, ...(open !== undefined ? { open } : {}) };
}

/**
 * After a stray closing quote in the value starting at `boundary` (the delimiter before it, or
 * the record's start): the offset of the line following the stray quote, or undefined at the end.
 */
export async function lineAfterStrayQuote(fh: FileHandle, delimiter: string, boundary: number): Promise<number | undefined> {
  const DELIM = delimiter.charCodeAt(0);
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let pos = boundary;
  let phase = 0; // 0: before the opening quote, 1: inside quotes, 2: quote seen inside, 3: past the stray quote
  let lastWasCR = false;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
    if (bytesRead === 0) return undefined;
    for (let i = 0; i < bytesRead; i++) {
      const c = buf[i];
      if (lastWasCR) return pos + i + (c === 10 ? 1 : 0);
      switch (phase) {
        case 0:
          if (c === 34) phase = 1;
          else if (c === 10) return pos + i + 1;
          else if (c === 13) lastWasCR = true;
          break;
        case 1:
          if (c === 34) phase = 2;
          break;
        case 2:
          if (c === 34) phase = 1;
          else if (c === DELIM || c === 10 || c === 13) phase = 0; // a proper close: not the stray one
          else phase = 3;
          if (c === 10) return pos + i + 1;
          if (c === 13) lastWasCR = true;
          break;
        case 3:
          if (c === 10) return pos + i + 1;
          if (c === 13) lastWasCR = true;
          break;
      }
    }
    pos += bytesRead;
  }
}

async function peek(fh: FileHandle, at: number): Promise<number | undefined> {
  const one = Buffer.alloc(1);
  const { bytesRead } = await fh.read(one, 0, 1, at);
  return bytesRead ? one[0] : undefined;
}
