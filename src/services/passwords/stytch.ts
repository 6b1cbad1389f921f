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
 * File-level problems (no rows, no parameters while scrypt rows exist, conflicting or invalid
 * parameters, an encrypted or binary file, an unterminated quote) are ExpectedErrors naming the
 * line. Single rows that cannot be converted become SourceIssues (warnings: the user is imported
 * without a password and resets it). No message ever contains a hash or a salt.
 */
import fs from 'node:fs';
import path from 'node:path';
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

/** One CSV line into cells (RFC 4180 quotes; no embedded newlines, which hashes never hold). */
function splitCsvLine(line: string, delimiter: string): string[] | null {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
      i++;
      continue;
    }
    if (c === delimiter) {
      cells.push(cell.trim());
      cell = '';
      i++;
      continue;
    }
    cell += c;
    i++;
  }
  if (quoted) return null;
  cells.push(cell.trim());
  return cells;
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

/** Reads and converts a support export from disk. */
export function readStytchPasswordExport(filePath: string): StytchPasswordExport {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExpectedError(
      `Cannot read the Stytch password export ${filePath}${code === 'ENOENT' ? ': no such file' : `: ${(error as Error).message}`}.`,
      'Pass the decrypted CSV Stytch support sent with --stytch-password-export PATH.',
    );
  }
  return parseStytchPasswordExport(raw, path.basename(filePath));
}

/** Parses and converts the export's text. `file` names it in messages. */
export function parseStytchPasswordExport(input: string | Buffer, file = 'passwords.csv'): StytchPasswordExport {
  const fail = (line: number | undefined, message: string, next: string): never => {
    throw new ExpectedError(`${file}${line ? `:${line}` : ''}: ${message}`, next);
  };
  if (Buffer.isBuffer(input)) {
    if (input.subarray(0, 4096).includes(0)) {
      fail(undefined, 'this is a binary file, not a CSV (is it still encrypted?).', 'Decrypt the export Stytch support sent (e.g. with gpg --decrypt) and pass the CSV inside.');
    }
    input = input.toString('utf8');
  }
  const text = input.replace(/^\uFEFF/, '');
  if (/^\s*-----BEGIN PGP/.test(text)) {
    fail(1, 'the export is still PGP-encrypted.', 'Decrypt it first (gpg --decrypt FILE > passwords.csv) and pass the CSV.');
  }
  const lines = text.split(/\r\n|\n|\r/);

  const fileParams: Partial<Record<ParamKey, { value: number; line: number }>> = {};
  let columns: Columns | null = null;
  let delimiter = ',';
  let headerLine = 0;
  let firstDataIndex = -1;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const trimmed = line.trim();
    if (!trimmed) continue;
    const isComment = /^(#|\/\/|--)/.test(trimmed);
    if (!isComment) {
      delimiter = trimmed.includes(',') ? ',' : trimmed.includes('\t') ? '\t' : trimmed.includes(';') ? ';' : ',';
      const cells = splitCsvLine(trimmed, delimiter);
      if (!cells) fail(i + 1, 'a quoted field is never closed.', 'Check the file was not truncated or edited by hand.');
      const header = columnsOf(cells!);
      if (header) {
        columns = header;
        headerLine = i + 1;
        firstDataIndex = i + 1;
        break;
      }
      if (cells!.length >= 4 && KNOWN_METHODS.test(cells![3]) && paramsOnLine(trimmed).length === 0) {
        // Rows with no header: id, hash, salt, hash_method.
        columns = POSITIONAL;
        firstDataIndex = i;
        break;
      }
    }
    for (const { key, value } of paramsOnLine(trimmed)) {
      const earlier = fileParams[key];
      if (earlier && earlier.value !== value) {
        fail(i + 1, `scrypt ${key} is given twice with different values (${earlier.value} on line ${earlier.line}, ${value} here).`, 'Ask Stytch support which parameters the hashes were made with, and keep one line.');
      }
      fileParams[key] = { value, line: i + 1 };
    }
  }
  if (!columns) {
    fail(undefined, `no column header row (id, hash, salt, hash_method) and no data rows were found in ${lines.length} lines.`, 'Pass the decrypted CSV Stytch support sent; its rows are id, hash, salt, hash_method.');
  }

  let params: ScryptParams | undefined;
  let paramsProblem: string | undefined;
  {
    const N = fileParams.N?.value ?? (fileParams.logN ? 2 ** fileParams.logN.value : undefined);
    const { r, p, keyLength } = fileParams;
    if (N !== undefined && r && p && keyLength) {
      params = { N, r: r.value, p: p.value, keyLength: keyLength.value };
      const problem = validateScryptParams(params);
      if (problem) {
        const line = fileParams.N?.line ?? fileParams.logN?.line;
        fail(line, `${problem}.`, 'Check the parameter lines at the top of the export.');
      }
    } else if (N !== undefined || r || p || keyLength) {
      const missing = [N === undefined && 'N', !r && 'r', !p && 'p', !keyLength && 'key length'].filter(Boolean).join(', ');
      paramsProblem = `the header gives only some scrypt parameters (missing: ${missing})`;
    }
  }

  const result: StytchPasswordExport = { file, params, byId: new Map(), issues: [], rows: 0, counts: {} };
  const cols = columns!;
  const issue = (line: number, id: string, message: string) =>
    result.issues.push({ location: `${file}:${line}`, field: 'passwordHash', severity: 'warning', recordKind: 'user', message: `${id ? `password row for ${id}` : 'password row'}: ${message}; that user is imported without a password and needs a password reset.` });
  let firstScryptWithoutParams: number | undefined;

  for (let i = firstDataIndex; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (!trimmed || /^(#|\/\/|--)/.test(trimmed)) continue;
    const lineNo = i + 1;
    let cells = splitCsvLine(trimmed, delimiter);
    if (!cells) fail(lineNo, 'a quoted field is never closed.', 'Check the file was not truncated or edited by hand.');
    const extra = cells!.length - cols.width;
    if (extra > 0 && delimiter === ',' && cells![cols.hash]?.startsWith('$') && cols.hash + extra < cells!.length) {
      // An unquoted PHC hash (`$argon2id$v=19$m=65536,t=3,p=4$...`): its commas split it.
      cells = [...cells!.slice(0, cols.hash), cells!.slice(cols.hash, cols.hash + extra + 1).join(','), ...cells!.slice(cols.hash + extra + 1)];
    }
    result.rows++;
    const cell = (index: number) => (index >= 0 ? (cells![index] ?? '').trim() : '');
    let id = cell(cols.id);
    if (id.includes('@')) id = id.toLowerCase();
    const count = (kind: string) => (result.counts[kind] = (result.counts[kind] ?? 0) + 1);
    if (!id) {
      count('invalid');
      issue(lineNo, '', 'no id');
      continue;
    }
    if (result.byId.has(id)) {
      count('duplicate');
      issue(lineNo, id, `a second row for the same id (line ${result.byId.get(id)!.line} is kept)`);
      continue;
    }
    const hashText = cell(cols.hash);
    const method = cell(cols.method).toLowerCase();
    if (!hashText) {
      count('invalid');
      issue(lineNo, id, 'no hash');
      continue;
    }
    const kind = methodOf(method, hashText);
    if (kind === 'bcrypt') {
      if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hashText)) {
        count('invalid');
        issue(lineNo, id, 'the bcrypt hash is not a $2a$/$2b$/$2y$ string of 60 characters');
        continue;
      }
      result.byId.set(id, { hash: hashText, type: 'bcrypt', line: lineNo });
      count('bcrypt');
      continue;
    }
    if (kind === 'argon2') {
      if (!/^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(hashText)) {
        count('invalid');
        issue(lineNo, id, 'the argon2 hash is not a PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$hash), and its parameters cannot be guessed');
        continue;
      }
      result.byId.set(id, { hash: hashText, type: 'argon2', line: lineNo });
      count('argon2');
      continue;
    }
    if (kind === 'scrypt-phc') {
      result.byId.set(id, { hash: hashText, type: 'scrypt', line: lineNo });
      count('scrypt');
      continue;
    }
    if (kind !== 'scrypt') {
      count('unsupported');
      issue(lineNo, id, `hash method "${method || 'unknown'}" cannot be imported into WorkOS (it takes bcrypt, scrypt, argon2, pbkdf2, firebase-scrypt, ssha)`);
      continue;
    }
    // Per-row parameter columns win over the header's.
    const rowNum = (index: number) => (index >= 0 && /^\d+$/.test(cell(index)) ? Number(cell(index)) : undefined);
    const rowN = rowNum(cols.N) ?? (rowNum(cols.logN) !== undefined ? 2 ** rowNum(cols.logN)! : undefined);
    const rowR = rowNum(cols.r);
    const rowP = rowNum(cols.p);
    const rowKl = rowNum(cols.keyLength);
    const merged = { N: rowN ?? params?.N, r: rowR ?? params?.r, p: rowP ?? params?.p, keyLength: rowKl ?? params?.keyLength };
    const rowParams =
      merged.N !== undefined && merged.r !== undefined && merged.p !== undefined && merged.keyLength !== undefined
        ? (merged as ScryptParams)
        : undefined;
    if (!rowParams) {
      firstScryptWithoutParams ??= lineNo;
      continue;
    }
    const salt = cell(cols.salt);
    if (!salt) {
      count('invalid');
      issue(lineNo, id, 'a scrypt row without a salt');
      continue;
    }
    try {
      result.byId.set(id, { hash: stytchScryptToPhc(rowParams, salt, hashText), type: 'scrypt', line: lineNo });
      count('scrypt');
    } catch (error) {
      count('invalid');
      issue(lineNo, id, (error as Error).message);
    }
  }

  if (firstScryptWithoutParams !== undefined) {
    fail(
      firstScryptWithoutParams,
      `scrypt rows but ${paramsProblem ?? 'no scrypt parameters (N, r, p, key length) before the column header'}${headerLine ? ` (header on line ${headerLine})` : ''}.`,
      'Keep the parameter lines Stytch support sent at the top of the file (e.g. `# N=32768, r=8, p=1, key_length=32`), or ask support for them.',
    );
  }
  if (result.rows === 0) {
    fail(headerLine || undefined, 'the export has a header but no rows.', 'Check you passed the complete file Stytch support sent.');
  }
  return result;
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
