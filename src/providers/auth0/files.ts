/**
 * The files an Auth0 migration reads: the bulk export (NDJSON, gzip or not, streamed line by
 * line: a million users are never held at once), and the two support exports, read whole:
 *
 * - passwords: `{"_id":{"$oid":"..."}|"...","alt_id"?,"email"?,"identifiers"?:[{type,value}],
 *   "passwordHash":"$2b$...","password_set_date"?,"connection"?}`; the user is
 *   `auth0|<alt_id or _id>`, the email may be only in `identifiers`.
 * - MFA: `{"user_id":"auth0|...","type":"otp","otp_secret":"BASE32"}`, `recovery-code` lines,
 *   and other enrollments (sms, phone, webauthn-roaming, webauthn-platform, email, push...).
 */
import fs from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ExpectedError } from '../../errors.js';
import type { SourceIssue } from '../types.js';

/**
 * Lines of a byte stream, gunzipped first when it starts with the gzip magic bytes 1f 8b, a block
 * (every whole line of one chunk) at a time: a million lines one `await` each would cost more than
 * splitting them. Lines end at \n; a trailing \r is dropped. Split on the bytes and decoded one
 * line at a time: a newline byte is never inside a UTF-8 character, and decoding a whole chunk to
 * split the string cost three times the JSON parsing after it.
 */
export async function* ndjsonBlocks(input: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const it = input[Symbol.asyncIterator]();
  const asBuffer = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  let head: Buffer = Buffer.alloc(0);
  // Three bytes: the gzip magic, or a byte order mark, is seen whole.
  while (head.length < 3) {
    const next = await it.next();
    if (next.done) break;
    head = head.length ? Buffer.concat([head, asBuffer(next.value)]) : asBuffer(next.value);
  }
  if (!head.length) return;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  }
  // pipeline, not pipe: a broken download (or a corrupt file) ends the read with its error.
  // Large output chunks: gunzip's default (16 KB) spends more on the stream than on inflating.
  const body: AsyncIterable<Buffer> =
    head[0] === 0x1f && head[1] === 0x8b ? pipeline(Readable.from(rest()), createGunzip({ chunkSize: 256 * 1024 }), () => {}) : rest();
  const line = (bytes: Buffer, start: number, end: number) => bytes.toString('utf8', start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
  // The pieces of a line not yet ended, from earlier chunks: joined once, when it ends (joining
  // at every chunk made a line of many megabytes take minutes).
  let carry: Buffer[] = [];
  let first = true;
  try {
    for await (let chunk of body) {
      // A UTF-8 byte order mark is not part of the first line.
      if (first && chunk.length) {
        first = false;
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      }
      let end = chunk.indexOf(0x0a);
      if (end < 0) {
        if (chunk.length) carry.push(chunk);
        continue;
      }
      const lines: string[] = [];
      let start = 0;
      if (carry.length) {
        const joined = Buffer.concat([...carry, chunk.subarray(0, end)]);
        lines.push(line(joined, 0, joined.length));
        carry = [];
        start = end + 1;
        end = chunk.indexOf(0x0a, start);
      }
      while (end >= 0) {
        lines.push(line(chunk, start, end));
        start = end + 1;
        end = chunk.indexOf(0x0a, start);
      }
      // Copied: a slice would keep the whole chunk alive.
      if (start < chunk.length) carry.push(Buffer.from(chunk.subarray(start)));
      yield lines;
    }
    if (carry.length) {
      const rest = Buffer.concat(carry);
      if (rest.length) yield [line(rest, 0, rest.length)];
    }
  } finally {
    // Stopped early (a stop, an error): the download or the file is let go.
    await it.return?.();
    if (typeof (body as Readable).destroy === 'function') (body as Readable).destroy();
  }
}

/** The lines of ndjsonBlocks one by one. */
export async function* ndjsonLines(input: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  for await (const block of ndjsonBlocks(input)) yield* block;
}

/** The file in 1 MB reads: fewer, larger chunks through the gunzip stream. */
const openFile = (file: string) => fs.createReadStream(file, { highWaterMark: 1 << 20 });

export function fileBlocks(file: string): AsyncGenerator<string[]> {
  return ndjsonBlocks(openFile(file));
}

export function fileLines(file: string): AsyncGenerator<string> {
  return ndjsonLines(openFile(file));
}

function openable(file: string, what: string, flag: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ExpectedError(`The ${what} ${file} cannot be read (no such file).`, `Check the path given to ${flag}.`);
  }
  if (!stat.isFile()) throw new ExpectedError(`The ${what} ${file} is not a file.`, `Pass the file itself to ${flag}.`);
}

/**
 * Each NDJSON line of a support file, numbered; `row` undefined for a line that is not a JSON
 * object. Blank lines are passed over. A block of lines at a time underneath: a million rows one
 * `await` each would cost more than reading them.
 */
async function eachJsonLine(file: string, visit: (line: number, row: Record<string, unknown> | undefined) => void): Promise<void> {
  let line = 0;
  for await (const block of fileBlocks(file)) {
    for (const raw of block) {
      line++;
      if (!raw.trim()) continue;
      let row: unknown;
      try {
        row = JSON.parse(raw);
      } catch {
        row = undefined;
      }
      visit(line, row && typeof row === 'object' && !Array.isArray(row) ? (row as Record<string, unknown>) : undefined);
    }
  }
}

export interface PasswordRow {
  userId: string;
  email?: string;
  hash: string;
  setAt?: string;
  line: number;
}

export interface PasswordFile {
  file: string;
  byId: Map<string, PasswordRow>;
  byEmail: Map<string, PasswordRow>;
  issues: SourceIssue[];
}

const oid = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { $oid?: unknown }).$oid === 'string' ? (v as { $oid: string }).$oid : undefined;

export async function readPasswordFile(file: string): Promise<PasswordFile> {
  openable(file, 'password export', '--auth0-password-export');
  const out: PasswordFile = { file, byId: new Map(), byEmail: new Map(), issues: [] };
  let n = 0;
  const bad = (line: number, field: string, message: string) =>
    out.issues.push({ location: `${file}:${line}`, field, severity: 'warning', message: `${message} This row's password is not imported (the user, if exported, needs a password reset).` });
  await eachJsonLine(file, (line, row) => {
    n = line;
    if (!row) {
      bad(n, 'line', 'not a JSON object.');
      return;
    }
    const id = (typeof row.alt_id === 'string' && row.alt_id) || oid(row._id);
    if (!id) {
      bad(n, '_id', 'no _id (nor alt_id).');
      return;
    }
    const hash = row.passwordHash;
    if (typeof hash !== 'string' || !hash) {
      bad(n, 'passwordHash', 'no passwordHash.');
      return;
    }
    let email = typeof row.email === 'string' && row.email.trim() ? row.email.trim() : undefined;
    if (!email && Array.isArray(row.identifiers)) {
      const found = (row.identifiers as { type?: unknown; value?: unknown }[]).find((i) => i?.type === 'email' && typeof i.value === 'string');
      if (found) email = (found.value as string).trim();
    }
    const entry: PasswordRow = { userId: id.startsWith('auth0|') ? id : `auth0|${id}`, email, hash, setAt: typeof row.password_set_date === 'string' ? row.password_set_date : undefined, line: n };
    out.byId.set(entry.userId, entry);
    if (email) out.byEmail.set(email.toLowerCase(), entry);
  });
  return out;
}

export interface MfaEntry {
  totpSecret?: string;
  sms?: boolean;
  webauthn?: boolean;
  recoveryCode?: boolean;
  /** Other enrollment types met (email, push...). */
  other?: string[];
}

export interface MfaFile {
  file: string;
  byId: Map<string, MfaEntry>;
  issues: SourceIssue[];
}

const BASE32 = /^[A-Z2-7]+=*$/;

export async function readMfaFile(file: string): Promise<MfaFile> {
  openable(file, 'MFA export', '--auth0-mfa-export');
  const out: MfaFile = { file, byId: new Map(), issues: [] };
  let n = 0;
  await eachJsonLine(file, (line, row) => {
    n = line;
    if (!row) {
      out.issues.push({ location: `${file}:${n}`, field: 'line', severity: 'warning', message: 'not a JSON object; skipped.' });
      return;
    }
    const userId = typeof row?.user_id === 'string' ? row.user_id : undefined;
    const type = typeof row?.type === 'string' ? row.type.toLowerCase() : undefined;
    if (!userId || !type) {
      out.issues.push({ location: `${file}:${n}`, field: 'user_id', severity: 'warning', message: 'a line without user_id or type; skipped.' });
      return;
    }
    let entry = out.byId.get(userId);
    if (!entry) out.byId.set(userId, (entry = {}));
    if (type === 'otp' || type === 'totp') {
      const secret = typeof row.otp_secret === 'string' ? row.otp_secret.replace(/\s+/g, '').toUpperCase() : '';
      if (!BASE32.test(secret)) {
        out.issues.push({ location: `${file}:${n}`, field: 'otp_secret', severity: 'warning', recordKind: 'user', sourceId: userId, message: `${userId}'s otp secret is not base32; the user re-enrolls their authenticator app.` });
        return;
      }
      entry.totpSecret = secret;
    } else if (type === 'recovery-code' || type === 'recovery_code') entry.recoveryCode = true;
    else if (type === 'sms' || type === 'phone' || type === 'voice') entry.sms = true;
    else if (type.startsWith('webauthn')) entry.webauthn = true;
    else entry.other = [...new Set([...(entry.other ?? []), type])];
  });
  return out;
}
