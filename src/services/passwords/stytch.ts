/**
 * Stytch's password export (only through Stytch support) and its conversion to what WorkOS takes.
 *
 * The file support sends (after decryption) is a CSV: a few header lines carrying the scrypt
 * parameters, then rows `id, hash, salt, hash_method`. Hash and salt are base64url text. Rows can
 * also be bcrypt or argon2 (users imported into Stytch from elsewhere): those pass through.
 *
 * THE SALT SUBTLETY: Stytch feeds scrypt the salt's *text bytes as written* (the base64url string),
 * not the bytes that string decodes to. So the PHC salt field is base64(utf8(saltText)), while the
 * hash field is base64(decode(hashText)). Reading the salt as decoded bytes produces a well-formed
 * string that never verifies: every migrated user would fail at login.
 *
 * Since the exact header layout is not public, the parser is tolerant. Accepted shapes, before the
 * column header row (all case-insensitive, in any order, one or several per line):
 *
 *   # N=32768, r=8, p=1, key_length=32         comment lines with key=value or key: value pairs
 *   scrypt parameters: N=32768 r=8 p=1 keylen=32
 *   N,32768                                    two-cell CSV rows: name, value
 *   N 32768                                    name, whitespace, value
 *   {"N": 32768, "r": 8, "p": 1, "dkLen": 32}  JSON-ish
 *
 * Parameter names: N (also n, cost, cpu_cost, log_n/ln = log2 of N), r (block_size), p
 * (parallelization, parallelism), key length (key_length, keylen, kl, dklen, length,
 * hash_length, key_size). Other `key=value` lines (exported_at: ..., project: ...) are ignored.
 * Columns may also carry per-row parameters (n, r, p, key_length columns), which then win.
 *
 * The column header row is the first line naming an id column (id, member_id, user_id,
 * member_password_id, password_id, email, email_address) and a hash column (hash, password_hash,
 * hashed_password); salt (salt, password_salt) and method (hash_method, method, algorithm,
 * hash_type, type) columns are optional. A file without a header row is read positionally as
 * `id, hash, salt, hash_method` when its first data line's fourth cell names a known method.
 *
 * The file is read a chunk at a time (an export can be large): the lines before the column header
 * one by one, the rows with csv-parse (quoted values may hold delimiters, quotes and line breaks;
 * a row's line is the one it starts on). A BOM and CRLF or CR line endings are accepted.
 *
 * File-level problems (no rows, no parameters while scrypt rows exist, conflicting or invalid
 * parameters, an encrypted or binary file, an unterminated quote, a row that is not CSV) are
 * ExpectedErrors naming the line. Single rows that cannot be converted become SourceIssues (warnings: the user is imported
 * without a password and resets it). No message ever contains a hash or a salt.
 */
import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parse as parseCsv, type CsvError, type Parser } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { ExpectedError } from '../../errors.js';
import type { PasswordHashType, SourceIssue } from '../../providers/types.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

export interface ConvertedHash {
  hash: string;
  type: PasswordHashType;
  /** 1-based line of the row in the export. */
  line: number;
}

export interface StytchPasswordExport {
  file: string;
  /** The file-level scrypt parameters, when the header carried them. */
  params?: ScryptParams;
  /** Converted hashes by the row's id (ids holding an `@` are lowercased: they are emails). */
  byId: Map<string, ConvertedHash>;
  /** Rows that could not be converted (the user is imported without a password). */
  issues: SourceIssue[];
  /** Data rows read (converted or not). */
  rows: number;
  counts: Record<string, number>;
}

const B64_ANY = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Standard base64 without `=` padding, the form WorkOS's PHC strings use. */
function b64NoPad(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/** Decodes base64url (or standard base64), padded or not; undefined when it is not base64 text. */
export function decodeBase64Any(text: string): Buffer | undefined {
  const t = text.trim();
  if (!t || !B64_ANY.test(t)) return undefined;
  const body = t.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function validateScryptParams(params: ScryptParams): string | null {
  const { N, r, p, keyLength } = params;
  for (const [name, value] of [['N', N], ['r', r], ['p', p], ['key length', keyLength]] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) return `scrypt ${name} must be a positive integer (got ${value})`;
  }
  if (N < 2 || (N & (N - 1)) !== 0) return `scrypt N must be a power of 2 greater than 1 (got ${N})`;
  if (keyLength > 1024) return `scrypt key length ${keyLength} is implausible (expected 32 or 64)`;
  return null;
}

/**
 * One Stytch scrypt row as WorkOS's `$scrypt$v=1$n=..,r=..,p=..,kl=..$<salt>$<hash>`:
 * salt = base64-no-pad of the salt TEXT bytes (as written), hash = base64-no-pad of the decoded hash.
 * Throws an Error (without the secret values) when the hash is not base64 or has the wrong length.
 */
export function stytchScryptToPhc(params: ScryptParams, saltText: string, hashText: string): string {
  const problem = validateScryptParams(params);
  if (problem) throw new Error(problem);
  const salt = saltText.trim();
  if (!salt) throw new Error('the salt is empty');
  if (/[\s\x00-\x1f\x7f]/.test(salt)) throw new Error('the salt contains whitespace or control characters');
  const hash = decodeBase64Any(hashText);
  if (!hash) throw new Error('the hash is not base64url text');
  if (hash.length !== params.keyLength) {
    throw new Error(`the hash decodes to ${hash.length} bytes but the key length is ${params.keyLength}`);
  }
  const { N, r, p, keyLength } = params;
  return `$scrypt$v=1$n=${N},r=${r},p=${p},kl=${keyLength}$${b64NoPad(Buffer.from(salt, 'utf8'))}$${b64NoPad(hash)}`;
}

// ---- parameter lines ---------------------------------------------------------------------------

type ParamKey = 'N' | 'logN' | 'r' | 'p' | 'keyLength';

const PARAM_ALIASES: Record<string, ParamKey> = {
  n: 'N',
  cost: 'N',
  cpucost: 'N',
  costfactor: 'N',
  memcost: 'N',
  logn: 'logN',
  ln: 'logN',
  log2n: 'logN',
  r: 'r',
  blocksize: 'r',
  p: 'p',
  parallelization: 'p',
  parallelism: 'p',
  keylength: 'keyLength',
  keylen: 'keyLength',
  kl: 'keyLength',
  dklen: 'keyLength',
  dklength: 'keyLength',
  length: 'keyLength',
  hashlength: 'keyLength',
  hashlen: 'keyLength',
  keysize: 'keyLength',
  derivedkeylength: 'keyLength',
};

const normKey = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

function paramKeyOf(rawKey: string): ParamKey | undefined {
  const whole = PARAM_ALIASES[normKey(rawKey)];
  if (whole) return whole;
  // "cost factor N" / "scrypt N": the last word names it.
  const words = rawKey.trim().split(/[\s_-]+/);
  return PARAM_ALIASES[normKey(words[words.length - 1] ?? '')];
}

/** Parameter pairs found on one line before the column header. */
function paramsOnLine(line: string): { key: ParamKey; value: number }[] {
  const text = line.replace(/^\s*(#+|\/\/|--|;)\s*/, '').trim();
  const found: { key: ParamKey; value: number }[] = [];
  const pair = /([A-Za-z_][A-Za-z0-9_ -]*?)["']?\s*[=:]\s*["']?(\d+)(?![\d.])/g;
  for (const m of text.matchAll(pair)) {
    const key = paramKeyOf(m[1]);
    if (key) found.push({ key, value: Number(m[2]) });
  }
  if (found.length) return found;
  // `N,32768` / `N;32768` / `N 32768` / `N\t32768`
  const single = /^["']?([A-Za-z_][A-Za-z0-9_ -]*?)["']?\s*[,;\t ]\s*["']?(\d+)["']?\s*$/.exec(text);
  if (single) {
    const key = paramKeyOf(single[1]);
    if (key) found.push({ key, value: Number(single[2]) });
  }
  return found;
}

// ---- CSV ---------------------------------------------------------------------------------------

const COMMENT = /^(#|\/\/|--)/;
const CSV_OPTIONS = { relax_quotes: true, relax_column_count: true, trim: true } as const;
/** A "row" longer than this is a quote never closed (or another file): real rows are short. */
const MAX_ROW_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * One line before the column header into cells; null when it is not CSV (a JSON-ish parameter
 * line), 'unclosed' when a quoted field never closes on it.
 */
function preambleCells(line: string, delimiter: string): string[] | null | 'unclosed' {
  try {
    const rows = parseCsvSync(line, { ...CSV_OPTIONS, delimiter }) as string[][];
    return rows[0] ?? [''];
  } catch (error) {
    return (error as CsvError).code === 'CSV_QUOTE_NOT_CLOSED' ? 'unclosed' : null;
  }
}

const ID_COLUMNS = ['id', 'memberid', 'userid', 'memberpasswordid', 'passwordid', 'email', 'emailaddress'];
const HASH_COLUMNS = ['hash', 'passwordhash', 'hashedpassword'];
const SALT_COLUMNS = ['salt', 'passwordsalt'];
const METHOD_COLUMNS = ['hashmethod', 'hashingmethod', 'method', 'algorithm', 'hashalgorithm', 'hashtype', 'type'];
const KNOWN_METHODS = /^(scrypt|bcrypt|argon2(id|i|d)?|pbkdf2.*|md5|sha\d*|firebase.?scrypt|phpass|ssha)$/i;

interface Columns {
  /** Cells a row has (a `$argon2…$m=..,t=..,p=..$` hash written unquoted spills over into more). */
  width: number;
  id: number;
  hash: number;
  salt: number;
  method: number;
  N: number;
  logN: number;
  r: number;
  p: number;
  keyLength: number;
}

function columnsOf(cells: string[]): Columns | null {
  const names = cells.map(normKey);
  const find = (aliases: string[]) => {
    for (const alias of aliases) {
      const i = names.indexOf(alias);
      if (i >= 0) return i;
    }
    return -1;
  };
  const id = find(ID_COLUMNS);
  const hash = find(HASH_COLUMNS);
  if (id < 0 || hash < 0) return null;
  const param = (key: ParamKey) => names.findIndex((n) => PARAM_ALIASES[n] === key);
  return {
    width: cells.length,
    id,
    hash,
    salt: find(SALT_COLUMNS),
    method: find(METHOD_COLUMNS),
    N: param('N'),
    logN: param('logN'),
    r: param('r'),
    p: param('p'),
    keyLength: param('keyLength'),
  };
}

const POSITIONAL: Columns = { width: 4, id: 0, hash: 1, salt: 2, method: 3, N: -1, logN: -1, r: -1, p: -1, keyLength: -1 };

// ---- the file ------------------------------------------------------------------------------------

function cannotRead(filePath: string, error: unknown): ExpectedError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ExpectedError(
    `Cannot read the Stytch password export ${filePath}${code === 'ENOENT' ? ': no such file' : `: ${(error as Error).message}`}.`,
    'Pass the decrypted CSV Stytch support sent with --stytch-password-export PATH.',
  );
}

/** Reads and converts a support export from disk, a chunk at a time (an export can be large). */
export async function readStytchPasswordExport(filePath: string): Promise<StytchPasswordExport> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(filePath, 'r');
  } catch (error) {
    throw cannotRead(filePath, error);
  }
  try {
    const reader = new ExportReader(path.basename(filePath));
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buf, 0, CHUNK_BYTES, null));
      } catch (error) {
        throw cannotRead(filePath, error);
      }
      if (bytesRead === 0) break;
      // The reader is done with the bytes when write returns: the buffer can be reused.
      reader.write(buf.subarray(0, bytesRead));
    }
    return await reader.end();
  } finally {
    await handle.close();
  }
}

/**
 * Parses and converts the export's text, given whole or in chunks (Buffers are checked for
 * binary content and decoded as UTF-8). `file` names it in messages.
 */
export async function parseStytchPasswordExport(
  input: string | Buffer | Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
  file = 'passwords.csv',
): Promise<StytchPasswordExport> {
  const reader = new ExportReader(file);
  if (typeof input === 'string' || Buffer.isBuffer(input)) reader.write(input);
  else for await (const chunk of input) reader.write(chunk);
  return reader.end();
}

/**
 * The export as it arrives. Line endings are made `\n` on the way in (csv-parse counts a `\r\n`
 * inside quotes as two lines). The lines before the column header (parameters, comments) are read
 * one at a time; from the header on, csv-parse reads the rows, quoted newlines included. A row's
 * line is where it starts: the line csv-parse ends it on, less the line breaks inside its values.
 */
class ExportReader {
  readonly result: StytchPasswordExport;
  private readonly decoder = new StringDecoder('utf8');
  private headBytes = 0;
  private started = false;
  /** The last chunk ended in `\r`: the next may start with its `\n`. */
  private heldCR = false;

  // Before the column header.
  private tail = '';
  private line = 0;
  private sawText = false;
  private delimiter = ',';
  private headerLine = 0;
  private readonly fileParams: Partial<Record<ParamKey, { value: number; line: number }>> = {};

  // From the header on.
  private parser: Parser | undefined;
  private cols: Columns = POSITIONAL;
  private params: ScryptParams | undefined;
  private paramsProblem: string | undefined;
  /** File line of the parser's line 0. */
  private lineBase = 0;
  private readonly queue: { cells: string[]; end: number; comments: number }[] = [];
  private lastEnd = 0;
  private lastComments = 0;
  private firstScryptWithoutParams: number | undefined;

  constructor(private readonly file: string) {
    this.result = { file, byId: new Map(), issues: [], rows: 0, counts: {} };
  }

  private fail(line: number | undefined, message: string, next: string): never {
    throw new ExpectedError(`${this.file}${line ? `:${line}` : ''}: ${message}`, next);
  }

  write(chunk: string | Buffer): void {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      if (this.headBytes < 4096) {
        const head = chunk.subarray(0, 4096 - this.headBytes);
        this.headBytes += head.length;
        if (head.includes(0)) {
          this.fail(undefined, 'this is a binary file, not a CSV (is it still encrypted?).', 'Decrypt the export Stytch support sent (e.g. with gpg --decrypt) and pass the CSV inside.');
        }
      }
      text = this.decoder.write(chunk);
    }
    this.text(text);
  }

  async end(): Promise<StytchPasswordExport> {
    this.text(this.decoder.end());
    if (this.heldCR) {
      this.heldCR = false;
      this.route('\n');
    }
    if (!this.parser && this.tail) {
      // The last line, without a line break after it.
      const last = this.tail;
      this.tail = '';
      const found = this.preambleLine(last, ++this.line);
      if (found) this.startRows(found === 'header' ? this.line : this.line - 1, found === 'header' ? '' : last);
    }
    if (!this.parser) {
      if (!this.sawText) this.fail(undefined, 'the file is empty.', 'Pass the decrypted CSV Stytch support sent; its rows are id, hash, salt, hash_method.');
      this.fail(undefined, `no column header row (id, hash, salt, hash_method) and no data rows were found in ${this.line} line${this.line === 1 ? '' : 's'}.`, 'Pass the decrypted CSV Stytch support sent; its rows are id, hash, salt, hash_method.');
    }
    const parser = this.parser!;
    await new Promise<void>((resolve) => parser.end(() => resolve()));
    this.drain();
    this.checkParser();

    if (this.firstScryptWithoutParams !== undefined) {
      this.fail(
        this.firstScryptWithoutParams,
        `scrypt rows but ${this.paramsProblem ?? 'no scrypt parameters (N, r, p, key length) before the column header'}${this.headerLine ? ` (header on line ${this.headerLine})` : ''}.`,
        'Keep the parameter lines Stytch support sent at the top of the file (e.g. `# N=32768, r=8, p=1, key_length=32`), or ask support for them.',
      );
    }
    if (this.result.rows === 0) {
      this.fail(this.headerLine || undefined, 'the export has a header but no rows.', 'Check you passed the complete file Stytch support sent.');
    }
    return this.result;
  }

  private text(input: string): void {
    let t = input;
    if (!this.started) {
      if (!t) return;
      t = t.replace(/^\uFEFF/, '');
      this.started = true;
    }
    if (this.heldCR) {
      t = `\r${t}`;
      this.heldCR = false;
    }
    if (t.endsWith('\r')) {
      this.heldCR = true;
      t = t.slice(0, -1);
    }
    if (t) this.route(t.replace(/\r\n?/g, '\n'));
  }

  private route(t: string): void {
    if (this.parser) {
      this.feed(t);
      return;
    }
    this.tail += t;
    let from = 0;
    for (let nl = this.tail.indexOf('\n', from); nl >= 0; nl = this.tail.indexOf('\n', from)) {
      const lineText = this.tail.slice(from, nl);
      const found = this.preambleLine(lineText, ++this.line);
      if (found) {
        // The rows start after a header, or at the first headerless row itself.
        const rest = this.tail.slice(found === 'header' ? nl + 1 : from);
        this.tail = '';
        this.startRows(found === 'header' ? this.line : this.line - 1, rest);
        return;
      }
      from = nl + 1;
    }
    this.tail = this.tail.slice(from);
    if (this.tail.length > MAX_ROW_BYTES) {
      this.fail(this.line + 1, 'a line longer than 1 MiB before any column header: this is not a password export.', 'Pass the decrypted CSV Stytch support sent; its rows are id, hash, salt, hash_method.');
    }
  }

  /** A line before the column header: parameters, or the header (or first headerless row) itself. */
  private preambleLine(raw: string, lineNo: number): 'header' | 'positional' | undefined {
    const trimmed = raw.trim();
    if (!trimmed) return undefined;
    if (!this.sawText) {
      this.sawText = true;
      if (trimmed.startsWith('-----BEGIN PGP')) {
        this.fail(lineNo, 'the export is still PGP-encrypted.', 'Decrypt it first (gpg --decrypt FILE > passwords.csv) and pass the CSV.');
      }
    }
    if (!COMMENT.test(trimmed)) {
      const delimiter = trimmed.includes(',') ? ',' : trimmed.includes('\t') ? '\t' : trimmed.includes(';') ? ';' : ',';
      const cells = preambleCells(trimmed, delimiter);
      if (cells === 'unclosed') this.fail(lineNo, 'a quoted field is never closed.', 'Check the file was not truncated or edited by hand.');
      if (cells) {
        const header = columnsOf(cells);
        if (header) {
          this.delimiter = delimiter;
          this.headerLine = lineNo;
          this.begin(header);
          return 'header';
        }
        if (cells.length >= 4 && KNOWN_METHODS.test(cells[3]) && paramsOnLine(trimmed).length === 0) {
          // Rows with no header: id, hash, salt, hash_method.
          this.delimiter = delimiter;
          this.begin(POSITIONAL);
          return 'positional';
        }
      }
    }
    for (const { key, value } of paramsOnLine(trimmed)) {
      const earlier = this.fileParams[key];
      if (earlier && earlier.value !== value) {
        this.fail(lineNo, `scrypt ${key} is given twice with different values (${earlier.value} on line ${earlier.line}, ${value} here).`, 'Ask Stytch support which parameters the hashes were made with, and keep one line.');
      }
      this.fileParams[key] = { value, line: lineNo };
    }
    return undefined;
  }

  /** The columns are known: the file's scrypt parameters are complete (or known to be missing). */
  private begin(columns: Columns): void {
    this.cols = columns;
    const { fileParams } = this;
    const N = fileParams.N?.value ?? (fileParams.logN ? 2 ** fileParams.logN.value : undefined);
    const { r, p, keyLength } = fileParams;
    if (N !== undefined && r && p && keyLength) {
      this.params = { N, r: r.value, p: p.value, keyLength: keyLength.value };
      const problem = validateScryptParams(this.params);
      if (problem) this.fail(fileParams.N?.line ?? fileParams.logN?.line, `${problem}.`, 'Check the parameter lines at the top of the export.');
      this.result.params = this.params;
    } else if (N !== undefined || r || p || keyLength) {
      const missing = [N === undefined && 'N', !r && 'r', !p && 'p', !keyLength && 'key length'].filter(Boolean).join(', ');
      this.paramsProblem = `the header gives only some scrypt parameters (missing: ${missing})`;
    }
  }

  private startRows(lineBase: number, rest: string): void {
    this.lineBase = lineBase;
    const parser = parseCsv({
      ...CSV_OPTIONS,
      delimiter: this.delimiter,
      // Empty lines stay records, so that every line is accounted for; comment lines are counted.
      skip_empty_lines: false,
      comment: '#',
      comment_no_infix: true,
      max_record_size: MAX_ROW_BYTES,
      // Taken as they come, in order; nothing is buffered in the stream.
      on_record: (cells: string[], info) => {
        this.queue.push({ cells, end: info.lines, comments: info.comment_lines });
        return undefined;
      },
    });
    // Errors are read from `parser.errored` after each write.
    parser.on('error', () => undefined);
    this.parser = parser;
    if (rest) this.feed(rest);
  }

  private feed(t: string): void {
    this.parser!.write(t);
    this.drain();
    this.checkParser();
  }

  private checkParser(): void {
    const error = this.parser?.errored as CsvError | null | undefined;
    if (!error) return;
    // The broken row starts after the last good one (and any comment lines between).
    const comments = typeof error.comment_lines === 'number' ? error.comment_lines : this.lastComments;
    const line = this.lineBase + this.lastEnd + 1 + Math.max(0, comments - this.lastComments);
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') this.fail(line, 'a quoted field is never closed.', 'Check the file was not truncated or edited by hand.');
    if (error.code === 'CSV_MAX_RECORD_SIZE') {
      this.fail(line, 'a row longer than 1 MiB starts here: probably a quoted field that is never closed.', 'Check the file was not truncated or edited by hand.');
    }
    this.fail(
      line,
      `the row cannot be read as CSV (${error.message.replace(/ (at|on) line \d+/, '')}).`,
      'Check the file was not edited by hand: a value holding a quote or the delimiter must be in double quotes, with its quotes doubled.',
    );
  }

  private drain(): void {
    for (const { cells, end, comments } of this.queue.splice(0)) {
      let breaks = 0;
      for (const c of cells) for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) breaks++;
      this.lastEnd = end;
      this.lastComments = comments;
      this.row(cells, this.lineBase + end - breaks);
    }
  }

  private row(parsed: string[], lineNo: number): void {
    // Blank lines, and comment lines csv-parse does not know (`//`, `--`, an indented `#`).
    if (parsed.every((c) => c === '') || COMMENT.test(parsed[0])) return;
    const { cols, result } = this;
    let cells = parsed;
    const extra = cells.length - cols.width;
    if (extra > 0 && this.delimiter === ',' && cells[cols.hash]?.startsWith('$') && cols.hash + extra < cells.length) {
      // An unquoted PHC hash (`$argon2id$v=19$m=65536,t=3,p=4$...`): its commas split it.
      cells = [...cells.slice(0, cols.hash), cells.slice(cols.hash, cols.hash + extra + 1).join(','), ...cells.slice(cols.hash + extra + 1)];
    }
    result.rows++;
    const issue = (id: string, message: string) =>
      result.issues.push({ location: `${this.file}:${lineNo}`, field: 'passwordHash', severity: 'warning', recordKind: 'user', message: `${id ? `password row for ${id}` : 'password row'}: ${message}; that user is imported without a password and needs a password reset.` });
    const cell = (index: number) => (index >= 0 ? (cells[index] ?? '').trim() : '');
    let id = cell(cols.id);
    if (id.includes('@')) id = id.toLowerCase();
    const count = (kind: string) => (result.counts[kind] = (result.counts[kind] ?? 0) + 1);
    if (!id) {
      count('invalid');
      issue('', 'no id');
      return;
    }
    if (result.byId.has(id)) {
      count('duplicate');
      issue(id, `a second row for the same id (line ${result.byId.get(id)!.line} is kept)`);
      return;
    }
    const hashText = cell(cols.hash);
    const method = cell(cols.method).toLowerCase();
    if (!hashText) {
      count('invalid');
      issue(id, 'no hash');
      return;
    }
    const kind = methodOf(method, hashText);
    if (kind === 'bcrypt') {
      if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hashText)) {
        count('invalid');
        issue(id, 'the bcrypt hash is not a $2a$/$2b$/$2y$ string of 60 characters');
        return;
      }
      result.byId.set(id, { hash: hashText, type: 'bcrypt', line: lineNo });
      count('bcrypt');
      return;
    }
    if (kind === 'argon2') {
      if (!/^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(hashText)) {
        count('invalid');
        issue(id, 'the argon2 hash is not a PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$hash), and its parameters cannot be guessed');
        return;
      }
      result.byId.set(id, { hash: hashText, type: 'argon2', line: lineNo });
      count('argon2');
      return;
    }
    if (kind === 'scrypt-phc') {
      result.byId.set(id, { hash: hashText, type: 'scrypt', line: lineNo });
      count('scrypt');
      return;
    }
    if (kind !== 'scrypt') {
      count('unsupported');
      issue(id, `hash method "${method || 'unknown'}" cannot be imported into WorkOS (it takes bcrypt, scrypt, argon2, pbkdf2, firebase-scrypt, ssha)`);
      return;
    }
    // Per-row parameter columns win over the header's.
    const rowNum = (index: number) => (index >= 0 && /^\d+$/.test(cell(index)) ? Number(cell(index)) : undefined);
    const rowN = rowNum(cols.N) ?? (rowNum(cols.logN) !== undefined ? 2 ** rowNum(cols.logN)! : undefined);
    const { params } = this;
    const merged = { N: rowN ?? params?.N, r: rowNum(cols.r) ?? params?.r, p: rowNum(cols.p) ?? params?.p, keyLength: rowNum(cols.keyLength) ?? params?.keyLength };
    const rowParams =
      merged.N !== undefined && merged.r !== undefined && merged.p !== undefined && merged.keyLength !== undefined
        ? (merged as ScryptParams)
        : undefined;
    if (!rowParams) {
      this.firstScryptWithoutParams ??= lineNo;
      return;
    }
    const salt = cell(cols.salt);
    if (!salt) {
      count('invalid');
      issue(id, 'a scrypt row without a salt');
      return;
    }
    try {
      result.byId.set(id, { hash: stytchScryptToPhc(rowParams, salt, hashText), type: 'scrypt', line: lineNo });
      count('scrypt');
    } catch (error) {
      count('invalid');
      issue(id, (error as Error).message);
    }
  }
}

type Method = 'scrypt' | 'scrypt-phc' | 'bcrypt' | 'argon2' | 'other';

function methodOf(method: string, hash: string): Method {
  if (hash.startsWith('$scrypt$')) return 'scrypt-phc';
  if (hash.startsWith('$2')) return 'bcrypt';
  if (hash.startsWith('$argon2')) return 'argon2';
  const m = method.replace(/[^a-z0-9]/g, '');
  if (!m || m === 'scrypt' || m === 'stytchscrypt') return 'scrypt';
  if (m === 'bcrypt') return 'bcrypt';
  if (/^argon2(id|i|d)?$/.test(m)) return 'argon2';
  return 'other';
}

/** Looks a user's hash up by any of its ids (member_id, member_password_id, user_id, password_id, email). */
export function lookupPassword(exported: StytchPasswordExport | undefined, ...ids: (string | undefined | null)[]): ConvertedHash | undefined {
  if (!exported) return undefined;
  for (const id of ids) {
    if (!id) continue;
    const key = id.includes('@') ? id.trim().toLowerCase() : id.trim();
    const found = exported.byId.get(key);
    if (found) return found;
  }
  return undefined;
}
