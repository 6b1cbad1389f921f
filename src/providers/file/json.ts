/**
 * JSON arrays of objects, streamed with stream-json (Parser + StreamArray): one element in memory
 * at a time. The parser is written to chunk by chunk and hands elements over synchronously, so
 * batches are cut between chunks exactly as for CSV.
 *
 * stream-json's errors carry no position. When one occurs, the file is parsed again by a fresh
 * parser, fast up to a little before the chunk that failed, then one byte at a time: the byte
 * whose write fails, less what the parser still held unconsumed, is where the problem starts.
 */
import type { FileHandle } from 'node:fs/promises';
import JsonParser from 'stream-json/Parser.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { ExpectedError } from '../../errors.js';
import { exceedsDepth, MAX_JSON_DEPTH } from '../../services/mapping/metadata.js';
import type { ExportBatch } from '../types.js';
import { guessField, mapFlag, unknownColumnReason } from './fields.js';
import type { Cell, RowSink } from './rows.js';

const CHUNK_BYTES = 256 * 1024;
const noop = () => undefined;

/**
 * A value nested deeper than MAX_JSON_DEPTH in a mapped key: turning it into text would recurse
 * past the stack, so the row is refused (located by the reader) instead.
 */
export class DeepValueError extends Error {
  constructor(readonly column: string) {
    super(`the value of ${JSON.stringify(column)} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
}

/** What a reader says of a row holding a DeepValueError. */
export function deepValueMessage(error: DeepValueError): string {
  return `${error.message} (objects or arrays inside each other); the row was not imported — flatten that value at the source, or leave the key out with ${mapFlag(error.column, 'ignore')}.`;
}

/** A JSON value as a cell: text as is, numbers and booleans as text, arrays as lists, objects as JSON. */
export function toCell(value: unknown, column = ''): Cell {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
  }
  if (exceedsDepth(value)) throw new DeepValueError(column);
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const v of value) {
      if (v === null || v === undefined) continue;
      out.push(typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    return out;
  }
  return JSON.stringify(value);
}

/** The cells of an object, for the mapped columns only (own keys only: a key may be `constructor`). */
export function objectCells(object: Record<string, unknown>, columns: readonly string[], used: readonly number[]): Cell[] {
  const cells: Cell[] = new Array(columns.length);
  for (let i = 0; i < used.length; i++) {
    const index = used[i];
    const key = columns[index];
    if (Object.hasOwn(object, key)) cells[index] = toCell(object[key], key);
  }
  return cells;
}

/**
 * Keys of the records that were not among the columns read from the head (a JSON record may
 * carry a key no earlier record had): each is recorded as an ignored column where first seen,
 * never dropped without a word. Keys `--map` named without the head showing them are read, and
 * reported at the end if no record had them.
 */
export class KeyWatch {
  private readonly known: Set<string>;
  private readonly awaited: Set<string>;

  constructor(
    columns: readonly string[],
    /** Columns from `--map` the head did not show. */
    named: readonly string[],
    private readonly sink: RowSink,
  ) {
    this.known = new Set(columns);
    this.awaited = new Set(named);
  }

  check(object: Record<string, unknown>, location: number): void {
    for (const key in object) {
      if (this.known.has(key)) continue;
      this.known.add(key);
      const field = guessField(key);
      this.sink.ignore({
        column: key,
        reason: `first seen at ${this.sink.origin(location)}, past the first records the columns were read from, so its values were not imported; ${
          field === undefined ? unknownColumnReason(key).replace(/^not a known field, so its values were not imported; /, '') : `map it with ${mapFlag(key, field)}`
        } to read it`,
      });
    }
    if (this.awaited.size) for (const key of this.awaited) if (Object.hasOwn(object, key)) this.awaited.delete(key);
  }

  /** At the end of the file: the `--map` keys no record had. */
  finish(fileName: string): void {
    for (const key of this.awaited) {
      this.sink.note({
        location: fileName,
        field: key,
        message: `--map names the key ${JSON.stringify(key)}, but no record in ${fileName} has it, so nothing was read from it — check its spelling (keys are case-sensitive).`,
        severity: 'warning',
      });
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

interface AssemblerInternals {
  current: unknown;
  key: string | null;
  done: boolean;
  _saveValue(value: unknown): void;
  stringValue(value: unknown): void;
}

/**
 * stream-json's Assembler stores a key with `object[key] = value`: a `__proto__` key would set
 * the record's prototype instead of being a key (its value lost, or read through every other key).
 * Stored as an own property instead, as JSON.parse does.
 */
function ownKeys(assembler: AssemblerInternals): void {
  const save = assembler._saveValue;
  assembler._saveValue = assembler.stringValue = function (this: AssemblerInternals, value: unknown) {
    if (!this.done && this.key === '__proto__' && !Array.isArray(this.current)) {
      Object.defineProperty(this.current, '__proto__', { value, enumerable: true, writable: true, configurable: true });
      this.key = null;
      return;
    }
    save.call(this, value);
  };
}

/** Parser + StreamArray wired to call `onElement` synchronously. */
function arrayStream(onElement: (index: number, value: unknown) => void) {
  const parser = new JsonParser({ streamValues: false });
  const elements = new StreamArray();
  ownKeys((elements as unknown as { _assembler: AssemblerInternals })._assembler);
  parser.on('data', (token) => elements.write(token));
  elements.on('data', (item: { key: number; value: unknown }) => onElement(item.key, item.value));
  parser.on('error', noop);
  elements.on('error', noop);
  return {
    write(chunk: Buffer): Error | null {
      parser.write(chunk);
      return parser.errored ?? elements.errored ?? null;
    },
    end(): Promise<Error | null> {
      return new Promise((resolve) => {
        parser.end(() => resolve(parser.errored ?? elements.errored ?? null));
        parser.once('error', (error) => resolve(error));
      });
    },
  };
}

function reason(error: Error): string {
  return error.message.replace(/^Parser cannot parse input: /, '').replace(/^Parser has /, '');
}

/** Line and column (1-based, in characters) of a byte offset. */
export async function positionOf(fh: FileHandle, offset: number): Promise<{ line: number; column: number }> {
  let line = 1;
  let column = 1;
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let pos = 0; pos < offset; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, offset - pos), pos);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i++) {
      const c = buf[i];
      if (c === 10) {
        line++;
        column = 1;
      } else if ((c & 0xc0) !== 0x80) column++; // count characters, not UTF-8 continuation bytes
    }
    pos += bytesRead;
  }
  return { line, column };
}

/**
 * The byte offset where stream-json fails, replaying the file up to `failedAt` (the end of the
 * chunk whose write failed); bytes from `slowFrom` on are fed one at a time.
 */
export async function locateJsonError(fh: FileHandle, slowFrom: number, failedAt: number): Promise<number | undefined> {
  const parser = new JsonParser({ streamValues: false });
  parser.on('data', noop);
  parser.on('error', noop);
  const internal = parser as unknown as { _buffer?: unknown };
  let pos = 0;
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  while (pos < slowFrom) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, slowFrom - pos), pos);
    if (bytesRead === 0) return undefined;
    parser.write(Buffer.from(buf.subarray(0, bytesRead)));
    if (parser.errored) return pos; // failed earlier than expected: the chunk is the best we know
    pos += bytesRead;
  }
  while (pos < failedAt) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, failedAt - pos), pos);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i++) {
      parser.write(Buffer.from([buf[i]]));
      if (parser.errored) {
        const pending = typeof internal._buffer === 'string' ? Buffer.byteLength(internal._buffer) : 1;
        return Math.max(0, pos + i - pending + 1);
      }
    }
    pos += bytesRead;
  }
  return undefined;
}

async function invalidJson(fh: FileHandle, name: string, error: Error, failedChunk: { start: number; end: number } | 'end'): Promise<ExpectedError> {
  const next = 'Fix the file (`jq empty FILE` or any JSON validator points at the problem) and run the export again.';
  if (failedChunk === 'end') {
    const { size } = await fh.stat();
    const { line } = await positionOf(fh, size);
    return new ExpectedError(`${name} is not valid JSON: it ends (line ${line}) before the array is closed — is the file truncated? (${reason(error)})`, next);
  }
  const offset = await locateJsonError(fh, Math.max(0, failedChunk.start - 4096), failedChunk.end);
  if (offset === undefined) return new ExpectedError(`${name} is not valid JSON: ${reason(error)}.`, next);
  const { line, column } = await positionOf(fh, offset);
  return new ExpectedError(`${name} is not valid JSON at line ${line}, column ${column} (byte ${offset}): ${reason(error)}.`, next);
}

export interface JsonSample {
  /** Keys of the sampled objects, in order of first appearance. */
  columns: string[];
  /** Elements parsed (objects or not). */
  elements: number;
  objects: Record<string, unknown>[];
  nonObject?: string;
  /** The whole file was parsed. */
  complete: boolean;
}

/**
 * Parses the beginning of a JSON array: at least `minBytes` (and one element, up to `maxBytes`),
 * or the whole file when smaller. Invalid JSON there is an ExpectedError with its position.
 */
export async function sampleJsonArray(fh: FileHandle, name: string, size: number, minBytes: number, maxBytes: number): Promise<JsonSample> {
  const columns = new Set<string>();
  const objects: Record<string, unknown>[] = [];
  let elements = 0;
  let nonObject: string | undefined;
  const stream = arrayStream((_index, value) => {
    elements++;
    if (isPlainObject(value)) {
      if (objects.length < 1000) objects.push(value);
      for (const key of Object.keys(value)) columns.add(key);
    } else nonObject ??= kindOf(value);
  });
  let pos = 0;
  const buf = Buffer.allocUnsafe(64 * 1024);
  while (pos < size && (pos < minBytes || elements === 0) && pos < maxBytes) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    const error = stream.write(Buffer.from(buf.subarray(0, bytesRead)));
    if (error) throw await invalidJson(fh, name, error, { start: pos, end: pos + bytesRead });
    pos += bytesRead;
  }
  const complete = pos >= size;
  if (complete) {
    const error = await stream.end();
    if (error) throw await invalidJson(fh, name, error, 'end');
  }
  return { columns: [...columns], elements, objects, nonObject, complete };
}

export interface JsonReadContext {
  fh: FileHandle;
  name: string;
  columns: readonly string[];
  used: readonly number[];
  /** Keys `--map` named that the head did not show. */
  named: readonly string[];
  sink: RowSink;
  signal?: AbortSignal;
}

/** One record (a JSON object) into the sink: its cells, or the reason it cannot be read. */
export function objectRow(sink: RowSink, keys: KeyWatch, value: Record<string, unknown>, columns: readonly string[], used: readonly number[], location: number): void {
  keys.check(value, location);
  let cells: Cell[];
  try {
    cells = objectCells(value, columns, used);
  } catch (error) {
    if (!(error instanceof DeepValueError)) throw error;
    sink.reject(location, deepValueMessage(error), error.column);
    return;
  }
  sink.row(cells, location);
}

/** Reads the array's elements into the sink, yielding the batches it completes. */
export async function* readJsonArray(ctx: JsonReadContext): AsyncGenerator<ExportBatch> {
  const { sink, columns, used } = ctx;
  const keys = new KeyWatch(columns, ctx.named, sink);
  const stream = arrayStream((index, value) => {
    if (isPlainObject(value)) objectRow(sink, keys, value, columns, used, index);
    else sink.reject(index, `element ${index} is ${kindOf(value)}, not an object; it was not imported.`);
  });
  let pos = 0;
  for (;;) {
    if (ctx.signal?.aborted) return; // the exporter sees the signal and stops
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await ctx.fh.read(buf, 0, CHUNK_BYTES, pos);
    if (bytesRead === 0) break;
    const error = stream.write(bytesRead === CHUNK_BYTES ? buf : buf.subarray(0, bytesRead));
    // Batches completed before an error hold only elements before it: staged, they let a
    // resumed export (once the file is fixed) start after them.
    for (const batch of sink.take()) yield batch;
    if (error) throw await invalidJson(ctx.fh, ctx.name, error, { start: pos, end: pos + bytesRead });
    pos += bytesRead;
  }
  const error = await stream.end();
  for (const batch of sink.take()) yield batch;
  if (error) throw await invalidJson(ctx.fh, ctx.name, error, 'end');
  keys.finish(ctx.name);
}
