/**
 * Newline-delimited JSON: one object per line, read line by line with readline. Blank lines are
 * skipped (they are not rows); a line that is not JSON, or not an object, is a row issue.
 */
import type { FileHandle } from 'node:fs/promises';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import type { ExportBatch } from '../types.js';
import { MAX_RECORD_BYTES } from './csv.js';
import { isPlainObject, KeyWatch, kindOf, objectRow } from './json.js';
import type { RowSink } from './rows.js';

/** Why a line is not a record, or undefined when it is an object. */
export function ndjsonLineProblem(text: string): { problem: string; value?: undefined } | { problem?: undefined; value: Record<string, unknown> } {
  if (text.length > MAX_RECORD_BYTES) {
    return { problem: `record larger than 1 MiB (${(text.length / MAX_RECORD_BYTES).toFixed(1)} MiB on one line); it was not imported.` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `line is not valid JSON (${(error as Error).message}); it was not imported — each line must be one JSON object.` };
  }
  if (!isPlainObject(value)) return { problem: `line is ${kindOf(value)}, not a JSON object; it was not imported — each line must be one JSON object.` };
  return { value };
}

export interface NdjsonSample {
  columns: string[];
  /** Non-blank lines seen. */
  lines: number;
  objects: Record<string, unknown>[];
  /** The first line that is not an object, with its problem. */
  firstProblem?: { line: number; problem: string };
}

/** Samples the first complete lines of `text` (the head of the file; the last partial line is dropped unless `whole`). */
export function sampleNdjson(text: string, whole: boolean): NdjsonSample {
  const lines = text.split(/\r?\n/);
  if (!whole && lines.length > 1) lines.pop();
  const columns = new Set<string>();
  const objects: Record<string, unknown>[] = [];
  let count = 0;
  let firstProblem: NdjsonSample['firstProblem'];
  lines.forEach((raw, i) => {
    const line = i === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') return;
    count++;
    const result = ndjsonLineProblem(line);
    if (result.value) {
      objects.push(result.value);
      for (const key of Object.keys(result.value)) columns.add(key);
    } else firstProblem ??= { line: i + 1, problem: result.problem! };
  });
  return { columns: [...columns], lines: count, objects, firstProblem };
}

export interface NdjsonReadContext {
  /** The file opened once for the whole export: what is read is what was checked (see index.ts). */
  fh: FileHandle;
  name: string;
  columns: readonly string[];
  used: readonly number[];
  /** Keys `--map` named that the head did not show. */
  named: readonly string[];
  sink: RowSink;
  signal?: AbortSignal;
}

async function* chunks(fh: FileHandle): AsyncGenerator<Buffer> {
  for (let pos = 0; ; ) {
    const buf = Buffer.allocUnsafe(256 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

export async function* readNdjson(ctx: NdjsonReadContext): AsyncGenerator<ExportBatch> {
  const { sink, columns, used } = ctx;
  const keys = new KeyWatch(columns, ctx.named, sink);
  // From the open handle, not the path: a file replaced meanwhile is noticed, not half read.
  // (Not fh.createReadStream: destroying that closes the handle the caller still owns.)
  const input = Readable.from(chunks(ctx.fh), { objectMode: false });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      const text = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.length === 0 || text.trim() === '') continue;
      const result = ndjsonLineProblem(text);
      if (result.value) objectRow(sink, keys, result.value, columns, used, lineNumber);
      else sink.reject(lineNumber, result.problem!);
      const ready = sink.take();
      if (ready.length) {
        if (ctx.signal?.aborted) return; // the exporter sees the signal and stops
        for (const batch of ready) yield batch;
      }
    }
  } finally {
    lines.close();
    input.destroy();
  }
  keys.finish(ctx.name);
}
