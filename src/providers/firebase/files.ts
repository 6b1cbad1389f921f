/**
 * The two shapes of `firebase auth:export`, streamed (a million users are never held at once),
 * each user handed over with its index and the line it starts on, for messages:
 *
 * - JSON: `{"users": [ {...}, ... ]}` (a bare array of users too), through stream-json's
 *   Parser + Pick + StreamArray, written one line at a time so that each element knows its line.
 * - CSV: no header, one user a row, in firebase-tools' column order (below); read with csv-parse.
 *   Turned into the JSON shape, so that one mapping serves both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import JsonParser from 'stream-json/Parser.js';
import Pick from 'stream-json/filters/Pick.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { ExpectedError } from '../../errors.js';

export type FirebaseFormat = 'json' | 'csv';

export interface RawUser {
  /** 0-based position in the file's users. */
  index: number;
  /** 1-based line the user starts on. */
  line: number;
  value: unknown;
}

/**
 * firebase-tools' CSV columns (accountExporter): 0 UID, 1 email, 2 emailVerified, 3 passwordHash,
 * 4 salt, 5 displayName, 6 photoUrl, then rawId/email/displayName/photoUrl for google.com (7),
 * facebook.com (11), twitter.com (15), github.com (19), then 23 createdAt, 24 lastLoginAt,
 * 25 phoneNumber, 26 disabled, 27 customAttributes. Older versions put `disabled` at 23 (then
 * createdAt, lastLoginAt, phoneNumber): told apart by a true/false in column 23.
 */
const CSV_PROVIDERS: [string, number][] = [
  ['google.com', 7],
  ['facebook.com', 11],
  ['twitter.com', 15],
  ['github.com', 19],
];

export function csvRowToUser(cells: string[]): Record<string, unknown> {
  const cell = (i: number) => (cells[i] ?? '').trim();
  const user: Record<string, unknown> = {
    localId: cell(0),
    email: cell(1),
    emailVerified: cell(2).toLowerCase() === 'true',
  };
  const set = (key: string, i: number) => {
    if (cell(i)) user[key] = cell(i);
  };
  set('passwordHash', 3);
  set('salt', 4);
  set('displayName', 5);
  set('photoUrl', 6);
  const providers = [];
  for (const [providerId, at] of CSV_PROVIDERS) {
    if (cell(at)) providers.push({ providerId, rawId: cell(at), email: cell(at + 1) || undefined, displayName: cell(at + 2) || undefined, photoUrl: cell(at + 3) || undefined });
  }
  if (providers.length) user.providerUserInfo = providers;
  const legacy = /^(true|false)$/i.test(cell(23));
  if (legacy) {
    user.disabled = cell(23).toLowerCase() === 'true';
    set('createdAt', 24);
    set('lastSignedInAt', 25);
    set('phoneNumber', 26);
  } else {
    set('createdAt', 23);
    set('lastSignedInAt', 24);
    set('phoneNumber', 25);
    user.disabled = cell(26).toLowerCase() === 'true';
    // The raw cell, not trimmed: it is the JSON text Firebase holds.
    if (cells[27]?.trim()) user.customAttributes = cells[27];
  }
  return user;
}

/** JSON or CSV: by the extension, else by the first character (`{` or `[` is JSON); a pipe is JSON. */
export function detectFormat(file: string): FirebaseFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  // A pipe cannot be peeked at without losing what is read: JSON, the format to export.
  if (!fs.statSync(file).isFile()) return 'json';
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const first = head.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').trimStart()[0];
    return first === '{' || first === '[' ? 'json' : 'csv';
  } finally {
    fs.closeSync(fd);
  }
}

/** The export file, checked to be a readable file: a missing one named with the flag to fix. */
export function exportFileOf(file: string | undefined): string {
  if (!file) throw new ExpectedError('No Firebase export file was given.', 'Run `firebase auth:export users.json --format=JSON --project <id>` and pass --firebase-export users.json (or set FIREBASE_EXPORT).');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ExpectedError(`The Firebase export ${file} cannot be read (no such file).`, 'Check the path given to --firebase-export (the file `firebase auth:export` wrote).');
  }
  // A pipe too (`--firebase-export <(gunzip -c users.json.gz)`): it is only ever streamed.
  if (!stat.isFile() && !stat.isFIFO()) throw new ExpectedError(`The Firebase export ${file} is not a file.`, 'Pass the file `firebase auth:export` wrote to --firebase-export.');
  return file;
}

export function readUsers(file: string, format: FirebaseFormat = detectFormat(file)): AsyncGenerator<RawUser> {
  return format === 'json' ? jsonUsers(file) : csvUsers(file);
}

const noop = () => undefined;

async function* jsonUsers(file: string): AsyncGenerator<RawUser> {
  const name = path.basename(file);
  const parser = new JsonParser({ streamValues: false });
  const ready: RawUser[] = [];
  let line = 1;
  let bare: boolean | undefined;
  let elements: StreamArray | undefined;
  // Where each element starts: the parser's tokens, watched for an object opening at depth 2
  // (in `users`) or 1 (in a bare array).
  let depth = 0;
  let key: string | undefined;
  let inUsers = false;
  const starts: number[] = [];
  let sawUsers = false;
  parser.on('data', (token: { name: string; value?: unknown }) => {
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        if (depth === 0) bare = token.name === 'startArray';
        if (depth === 1 && !bare && token.name === 'startArray' && key === 'users') {
          inUsers = true;
          sawUsers = true;
        }
        if ((bare && depth === 1) || (inUsers && depth === 2)) starts.push(line);
        depth++;
        break;
      case 'endObject':
      case 'endArray':
        depth--;
        if (depth === 1) inUsers = false;
        break;
      case 'keyValue':
        if (depth === 1) key = token.value as string;
        break;
      default:
        // A scalar element (refused later as not an object) starts where its value is.
        if (((bare && depth === 1) || (inUsers && depth === 2)) && /^(stringValue|numberValue|nullValue|trueValue|falseValue)$/.test(token.name)) starts.push(line);
    }
  });
  const wire = () => {
    elements = new StreamArray();
    const picked = bare ? undefined : new Pick({ filter: 'users' });
    if (picked) {
      parser.on('data', (t) => picked.write(t));
      picked.on('data', (t) => elements!.write(t));
      picked.on('error', noop);
    } else parser.on('data', (t) => elements!.write(t));
    elements.on('data', (item: { key: number; value: unknown }) => ready.push({ index: item.key, line: starts.shift() ?? line, value: item.value }));
    elements.on('error', noop);
  };
  parser.on('error', noop);
  const failed = () => parser.errored ?? elements?.errored ?? null;
  const invalid = (error: Error) =>
    new ExpectedError(
      `${name} is not valid JSON at line ${line}: ${error.message.replace(/^Parser cannot parse input: /, '')}.`,
      'Export it again (firebase auth:export FILE --format=JSON), or fix the file (`jq empty FILE` points at the problem) and resume: the users staged are kept.',
    );
  const stream = fs.createReadStream(file);
  // Written up to each line break, the rest of a chunk at once: a compacted file (one line) is
  // streamed all the same, its elements on line 1.
  const write = (part: Buffer) => {
    if (!part.length) return;
    if (bare === undefined) {
      // The root decides the wiring: its first non-blank character, seen before the parser's.
      const text = part.toString('utf8').replace(/^\uFEFF/, '').trim();
      if (!text) return void parser.write(part);
      bare = text.startsWith('[');
      wire();
    }
    parser.write(part);
    const error = failed();
    if (error) throw invalid(error);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
        write(chunk.subarray(from, nl + 1));
        line++;
        from = nl + 1;
        while (ready.length) yield ready.shift()!;
      }
      write(chunk.subarray(from));
      while (ready.length) yield ready.shift()!;
    }
    if (bare === undefined) throw new ExpectedError(`${name} is empty.`, 'Export the users again: firebase auth:export users.json --format=JSON.');
    const error = failed() ?? (await new Promise<Error | null>((resolve) => parser.end(() => resolve(failed()))));
    while (ready.length) yield ready.shift()!;
    if (error) {
      throw new ExpectedError(
        `${name} is not valid JSON: it ends (line ${line}) before the users are closed — is the file truncated? (${error.message.replace(/^Parser cannot parse input: /, '')})`,
        'Export it again (firebase auth:export FILE --format=JSON) and resume: the users staged are kept.',
      );
    }
    if (!bare && !sawUsers) {
      throw new ExpectedError(`${name} has no "users" array: it is not a firebase auth:export file.`, 'Export the users with `firebase auth:export users.json --format=JSON` and pass that file.');
    }
  } finally {
    stream.destroy();
  }
}

async function* csvUsers(file: string): AsyncGenerator<RawUser> {
  const name = path.basename(file);
  const stream = fs.createReadStream(file);
  const parser = stream.pipe(
    parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, raw: true, max_record_size: 1024 * 1024 }),
  );
  let index = 0;
  try {
    for await (const { record, info, raw } of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      // info.lines is where the record ends; less the line breaks inside it (quoted names), after
      // the blank lines its raw text starts with.
      const line = info.lines - (raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '').match(/\n/g)?.length ?? 0);
      // A header someone added (firebase-tools writes none).
      if (index === 0 && /^(uid|localid|user ?id)$/i.test((record[0] ?? '').trim())) continue;
      if (record.length < 3) {
        yield { index: index++, line, value: { __problem: `a row of ${record.length} field${record.length === 1 ? '' : 's'}; a Firebase CSV export has 26 to 28 (UID, email, emailVerified, passwordHash, salt, ...)` } };
        continue;
      }
      yield { index: index++, line, value: csvRowToUser(record) };
    }
  } catch (error) {
    if (error instanceof ExpectedError) throw error;
    const at = (error as { lines?: number }).lines;
    throw new ExpectedError(
      `${name} cannot be read as CSV${at ? ` at line ${at}` : ''}: ${(error as Error).message.replace(/^Invalid Record Length: /, '')}.`,
      'Export it again (firebase auth:export users.csv --format=CSV), or fix that line, and resume: the users staged are kept.',
    );
  } finally {
    stream.destroy();
  }
}
