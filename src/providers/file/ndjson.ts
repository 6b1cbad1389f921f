/**
 * Newline-delimited JSON: one object per line, read line by line with readline. Blank lines are
 * skipped (they are not rows); a line that is not JSON, or not an object, is a row issue.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { ExportBatch } from '../types.js';
import { MAX_RECORD_BYTES } from './csv.js';
import { isPlainObject, kindOf, objectCells } from './json.js';
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
  path: string;
  columns: readonly string[];
  used: readonly number[];
  sink: RowSink;
  signal?: AbortSignal;
}

export async function* readNdjson(ctx: NdjsonReadContext): AsyncGenerator<ExportBatch> {
  const { sink, columns, used } = ctx;
  const input = fs.createReadStream(ctx.path, { highWaterMark: 256 * 1024 });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      const text = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.length === 0 || text.trim() === '') continue;
      const result = ndjsonLineProblem(text);
      if (result.value) sink.row(objectCells(result.value, columns, used), lineNumber);
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
}
