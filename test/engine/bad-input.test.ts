/**
 * Bad input, through the real CLI (`runCli`, exactly as the binary runs) against one sandbox.
 *
 * - A problem with the file, the flags or the source as a whole ends the run before anything is
 *   written: exit 1, ONE line `✖ what is wrong. What to do.` naming the file, and no journal.
 * - A problem with one row or record leaves the others to be imported: exit 2 (0 when it is only
 *   a warning), and the row is in failures.csv at its `file:line` (`file[index]` in a JSON array)
 *   with a reason naming the field and what to do.
 * - Never a stack trace, never a silent skip, never a password hash in a report.
 *
 * Each case writes a real file to its own temporary directory; ids and emails carry a per-case
 * prefix so that the cases share the sandbox without meeting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxUser } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir, type CliResult } from '../helpers.js';

/** A stack frame, or an error class name as a bug would print it. */
const STACK_TRACE = /^\s+at |\b(?:Type|Range|Reference|Syntax|Assertion|System)?Error: |Unexpected error|workos-migrate bug/m;

const BCRYPT = '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
const MD5_HEX = '5f4dcc3b5aa765d61d8327deb882cf99';
const ODD_HASH = 'zQ9xNotAHashAtAll7731';
/** Every hash a case puts in a file: none may reach a report or the terminal. */
const HASHES = [BCRYPT, MD5_HEX, ODD_HASH];

interface Outcome extends CliResult {
  dir: string;
  file: string;
  journal: string;
  failures: Record<string, string>[];
  failuresText: string;
}

let sandbox: Sandbox;
const outcomes: { name: string; outcome: Outcome }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ limits: FAST_LIMITS });
});
afterAll(async () => {
  await sandbox.close();
  for (const { outcome } of outcomes) fs.rmSync(outcome.dir, { recursive: true, force: true });
});

interface RunOptions {
  /** Arguments after `run` instead of `--file FILE`. */
  fileArg?: (dir: string, file: string) => string[];
  /** Flags after the usual ones. */
  extra?: string[];
}

/** Writes `content` (when given) to a fresh directory as `fileName` and runs `workos-migrate run` on it. */
async function runCase(name: string, fileName: string, content: string | Buffer | undefined, options: RunOptions = {}): Promise<Outcome> {
  const dir = tempDir('wm-bad-');
  const file = path.join(dir, fileName);
  if (content !== undefined) fs.writeFileSync(file, content);
  const journal = path.join(dir, 'run.db');
  const args = ['run', ...(options.fileArg?.(dir, file) ?? ['--file', file]), '--journal', journal, ...rateFlags(FAST_LIMITS), ...(options.extra ?? [])];
  const result = await runCli(args, { cwd: dir, env: sandboxEnv(sandbox) });
  const failuresPath = path.join(dir, 'run.reports', 'failures.csv');
  const failuresText = fs.existsSync(failuresPath) ? fs.readFileSync(failuresPath, 'utf8') : '';
  const failures = failuresText ? (parseCsv(failuresText, { columns: true }) as Record<string, string>[]) : [];
  const outcome = { ...result, dir, file, journal, failures, failuresText };
  outcomes.push({ name, outcome });
  return outcome;
}

function user(email: string): SandboxUser | undefined {
  return [...sandbox.state.users.values()].find((u) => u.email.toLowerCase() === email.toLowerCase());
}

/** These users are in WorkOS with their external ids; those are not. */
function expectUsers(imported: Record<string, string>, notImported: string[] = []) {
  for (const [externalId, email] of Object.entries(imported)) {
    const found = user(email);
    expect(found, `${email} imported`).toBeDefined();
    expect(found!.external_id).toBe(externalId);
  }
  for (const email of notImported) expect(user(email), `${email} not imported`).toBeUndefined();
}

/**
 * The run finished with `code`, every record that did not make it is in failures.csv (as many as
 * the summary line says), and nothing looks like a crash.
 */
function expectFinished(r: Outcome, code: 0 | 2, failures: number) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(STACK_TRACE);
  expect(r.stderr).toContain('Import finished');
  expect(r.failuresText.split('\n')[0]).toBe('kind,source_id,label,origin,state,code,reason');
  expect(r.failures, r.failuresText).toHaveLength(failures);
  if (failures) expect(r.stderr).toContain(`${failures} record${failures === 1 ? '' : 's'} did not make it: see ${path.join(r.dir, 'run.reports', 'failures.csv')}`);
  else expect(r.stderr).not.toContain('did not make it');
  for (const hash of HASHES) {
    expect(r.failuresText).not.toContain(hash);
    expect(r.stderr).not.toContain(hash);
  }
}

/** The one failures.csv line at `origin`. */
function failureAt(r: Outcome, origin: string, kind?: string): Record<string, string> {
  const rows = r.failures.filter((f) => f.origin === origin && (kind === undefined || f.kind === kind));
  expect(rows, `one failure at ${origin} in\n${r.failuresText}`).toHaveLength(1);
  return rows[0];
}

describe('bad input through the CLI', () => {
  describe('file, flag and source problems: exit 1, one line naming the file and what to do, nothing written', () => {
    interface FileCase {
      name: string;
      file: string;
      content?: string | Buffer;
      options?: RunOptions;
      /** The whole message line after `✖ `. */
      message: RegExp;
      /** Whether the line names the file (its base name). */
      namesFile?: boolean;
    }
    const latin1 = Buffer.concat([Buffer.from('id,email,first_name\nl1,l1@example.com,Ren'), Buffer.from([0xe9]), Buffer.from('e\n')]);
    // Deterministic noise with no NUL byte: not text, however it is read.
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => ((i * 2654435761) >>> 24) | 0x80));
    const cases: FileCase[] = [
      { name: 'a file that does not exist', file: 'nope.csv', message: /^File not found: \/.*\/nope\.csv Check the path\.$/ },
      {
        name: 'a directory',
        file: 'exports',
        options: { fileArg: (dir) => (fs.mkdirSync(path.join(dir, 'exports')), ['--file', 'exports']) },
        message: /^\/.*\/exports is a directory, not a file\. Pass the export file itself\.$/,
      },
      {
        name: 'a device, not a regular file',
        file: 'null',
        options: { fileArg: () => ['--file', '/dev/null'] },
        message: /^\/dev\/null is not a regular file\. Pass the export file itself \(save a stream to a file first\)\.$/,
      },
      { name: 'an empty file', file: 'users.csv', content: '', message: /^users\.csv is empty \(0 bytes\)\. Export the users again: the file has no content\.$/ },
      { name: 'only whitespace', file: 'users.csv', content: '\n  \n\t\n', message: /^users\.csv is empty \(it holds only whitespace\)\. Export the users again/ },
      { name: 'a header and no rows', file: 'users.csv', content: 'id,email,first_name\n\n', message: /^users\.csv has a header row but no data rows\. Export the users again: the file holds no users\.$/ },
      {
        name: 'binary garbage with NUL bytes',
        file: 'users.csv',
        content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
        message: /^users\.csv looks like a binary file \(a NUL byte at offset 8\), not CSV or JSON text\. Pass a CSV, JSON or NDJSON export saved as UTF-8 text\.$/,
      },
      {
        name: 'binary garbage without NUL bytes',
        file: 'users.csv',
        content: noise,
        message: /^users\.csv is not UTF-8 text \(byte 0x[0-9A-F]{2} at offset 0, line 1; .*\)\. Convert it to UTF-8 \(iconv/,
      },
      {
        name: 'Latin-1 text (invalid UTF-8)',
        file: 'users.csv',
        content: latin1,
        message: /^users\.csv is not UTF-8 text \(byte 0xE9 at offset 41, line 2; Latin-1 \/ Windows-1252 perhaps, or a binary file\)\. Convert it to UTF-8 \(iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE\.utf8\)/,
      },
      {
        name: 'UTF-16 text',
        file: 'users.csv',
        content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,email\nu1,u16@example.com\n', 'utf16le')]),
        message: /^users\.csv is UTF-16 encoded, not UTF-8\. .*iconv -f UTF-16 -t UTF-8/,
      },
      { name: 'a gzip file', file: 'users.csv', content: Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), message: /^users\.csv is gzip-compressed\. Decompress it first \(gunzip FILE\)/ },
      {
        name: 'an Excel workbook',
        file: 'users.csv',
        content: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26, 1)]),
        message: /^users\.csv is a ZIP archive \(an Excel \.xlsx workbook\?\), not CSV or JSON\. Export the sheet as "CSV UTF-8"/,
      },
      {
        name: 'no email column',
        file: 'users.csv',
        content: 'id,name\nne1,Ann\n',
        message: /^users\.csv has no email column \(columns found: "id", "name"\)\. Map the column holding the email addresses with --map COLUMN=email \(e\.g\. --map id=email\)\.$/,
      },
      {
        name: 'no email column, but a column of addresses',
        file: 'users.csv',
        content: 'id,contact\nne2,ne2@example.com\n',
        message: /^users\.csv has no email column \(columns found: "id", "contact"\)\. Column "contact" holds email addresses: map it with --map contact=email\.$/,
      },
      {
        name: 'no header line (the first line is data)',
        file: 'users.csv',
        content: 'hd1,hd1@example.com,Ann\nhd2,hd2@example.com,Bob\n',
        message: /^users\.csv: the first line looks like data, not a header \(it holds "hd1@example\.com"\)\. Add a first line naming the columns, e\.g\. id,email,first_name,last_name\.$/,
      },
      {
        name: 'a header with an unclosed quote',
        file: 'users.csv',
        content: 'id,"email,first_name\nuh1,uh1@example.com,Ann\n',
        message: /^users\.csv: the header row is malformed \(.*\)\. The first line must name the columns/,
      },
      {
        name: 'invalid JSON, with its position',
        file: 'users.json',
        content: '[\n  {"id": "ij1", "email": "ij1@example.com"},\n  {"id": "ij2", "email": "ij2@example.com",}\n]\n',
        message: /^users\.json is not valid JSON at line 3, column 44 \(byte 90\): unexpected token '\}'\. Fix the file \(`jq empty FILE`/,
      },
      {
        name: 'truncated JSON',
        file: 'users.json',
        content: '[\n{"id": "tj1", "email": "tj1@example.com"},\n{"id": "tj2", "email": "tj2@exa',
        message: /^users\.json is not valid JSON: it ends \(line 3\) before the array is closed — is the file truncated\?/,
      },
      { name: 'an empty JSON array', file: 'users.json', content: '[]\n', message: /^users\.json is an empty JSON array \(no records\)\. Export the users again/ },
      {
        name: 'a JSON object wrapping the users',
        file: 'users.json',
        content: '{\n  "users": [{"id": "jw1", "email": "jw1@example.com"}]\n}\n',
        message: /^users\.json holds an object, not an array of objects\. It has a "users" array .*jq \.users FILE > users-array\.json$/,
      },
      {
        name: 'a JSON object wrapping the users, on one line',
        file: 'users.json',
        content: '{"users": [{"id": "jw2", "email": "jw2@example.com"}]}\n',
        message: /^users\.json holds an object, not an array of objects\. It has a "users" array .*jq \.users FILE > users-array\.json$/,
      },
      {
        name: 'a JSON array of numbers',
        file: 'users.json',
        content: '[1, 2, 3]\n',
        message: /^users\.json is a JSON array, but not of objects \(its first element is a number\)\. Pass an array of objects, one per user/,
      },
      { name: 'a single JSON value', file: 'users.json', content: '"ja1@example.com"\n', message: /^users\.json holds a single value, not an array of objects\./ },
      {
        name: 'an NDJSON file that is not NDJSON',
        file: 'users.ndjson',
        content: 'id,email\nnn1,nn1@example.com\n',
        message: /^users\.ndjson does not look like NDJSON: line 1: line is not valid JSON \(.*\)\. Pass one JSON object per line; if the file is CSV or a JSON array, give it the matching extension/,
      },
      {
        name: '--map naming a column the file does not have',
        file: 'users.csv',
        content: 'id,email\nmc1,mc1@example.com\n',
        options: { extra: ['--map', 'mail=email'] },
        message: /^--map mail=email: users\.csv has no column "mail"\. Its columns are: "id", "email"\.$/,
      },
      {
        name: '--map to a field that does not exist',
        file: 'users.csv',
        content: 'id,email,nick\nmf1,mf1@example.com,Ann\n',
        options: { extra: ['--map', 'nick=nickname'] },
        message: /^--map nick=nickname: "nickname" is not a field\. Valid fields: id, email, .*metadata\.<key>, or ignore\.$/,
        namesFile: false,
      },
      {
        name: '--map mapping two columns to one field',
        file: 'users.csv',
        content: 'id,email,mail\nmd1,md1@example.com,x@example.com\n',
        options: { extra: ['--map', 'email=email', '--map', 'mail=email'] },
        message: /^--map maps both "email" and "mail" to email\. Map only one column to email/,
        namesFile: false,
      },
      {
        name: '--map to a metadata key over 40 characters',
        file: 'users.csv',
        content: 'id,email,plan\nmk1,mk1@example.com,pro\n',
        options: { extra: ['--map', `plan=metadata.${'k'.repeat(41)}`] },
        message: /^--map plan=metadata\.k{41}: metadata key "k{41}" is 41 characters; WorkOS allows at most 40\. Choose a shorter key\.$/,
        namesFile: false,
      },
      {
        name: 'a --map without =',
        file: 'users.csv',
        content: 'id,email\nms1,ms1@example.com\n',
        options: { extra: ['--map', 'email'] },
        message: /^--map email is not COLUMN=FIELD\. Write it as --map COLUMN=FIELD\.$/,
        namesFile: false,
      },
      {
        name: 'a bad --rate',
        file: 'users.csv',
        content: 'id,email\nbr1,br1@example.com\n',
        options: { extra: ['--rate', 'writes=fast'] },
        message: /^--rate writes=fast is not understood\. Write it as BUCKET=LIMIT\/WINDOW, e\.g\. --rate writes=500\/10s/,
        namesFile: false,
      },
      {
        name: 'a bad --concurrency',
        file: 'users.csv',
        content: 'id,email\nbc1,bc1@example.com\n',
        options: { extra: ['--concurrency', '0'] },
        message: /^--concurrency 0 is not a positive whole number\. Pass e\.g\. --concurrency 16\.$/,
        namesFile: false,
      },
      {
        name: 'an unknown flag',
        file: 'users.csv',
        content: 'id,email\nuf1,uf1@example.com\n',
        options: { extra: ['--frobnicate'] },
        message: /^Unknown option '--frobnicate'\. Run `workos-migrate run --help` for its options\.$/,
        namesFile: false,
      },
      {
        name: 'an unknown source',
        file: 'users.csv',
        content: 'id,email\nus1,us1@example.com\n',
        options: { extra: ['--source', 'okta'] },
        message: /^Unknown source "okta"\. Choose one of: .*file/,
        namesFile: false,
      },
      {
        name: 'the file source without --file',
        file: 'users.csv',
        options: { fileArg: () => ['--source', 'file'] },
        message: /^The file source needs a file\. Pass --file PATH \(CSV, JSON or NDJSON\)\.$/,
        namesFile: false,
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const r = await runCase(c.name, c.file, c.content, c.options);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stdout).toBe('');
        const lines = r.stderr.split('\n');
        expect(lines, r.stderr).toHaveLength(2); // one line and its line break
        expect(lines[1]).toBe('');
        expect(lines[0].startsWith('✖ '), r.stderr).toBe(true);
        expect(lines[0].slice(2)).toMatch(c.message);
        if (c.namesFile !== false) expect(lines[0]).toContain(path.basename(c.file));
        expect(r.stderr).not.toMatch(STACK_TRACE);
        // Nothing written: no journal (nor its -wal / -shm), no reports, no default journal folder.
        expect(fs.readdirSync(r.dir).filter((f) => f.startsWith('run.') || f === '.workos-migrate')).toEqual([]);
      });
    }
  });

  describe('row and record problems: the rest is imported, the bad row is in failures.csv at file:line', () => {
    it('a stray closing quote: that row only, named by its column', async () => {
      const r = await runCase('stray quote', 'users.csv', 'id,email,first_name\nsq1,sq1@example.com,Ann\nsq2,"sq2"x@example.com,Bob\nsq3,sq3@example.com,Cy\n');
      expectFinished(r, 2, 1);
      expectUsers({ sq1: 'sq1@example.com', sq3: 'sq3@example.com' });
      const f = failureAt(r, 'users.csv:3');
      expect(f).toMatchObject({ kind: 'row', state: 'unreadable' });
      expect(f.reason).toMatch(/^broken quoting: a closing double quote in column "email" is followed by other characters .*; the row was not imported — double the quotes inside quoted values/);
    });

    it('a double quote inside an unquoted value', async () => {
      const r = await runCase('inner quote', 'users.csv', 'id,email,first_name\niq1,iq1@example.com,Ann\niq2,iq2@example.com,Dwayne "The Rock"\niq3,iq3@example.com,Cy\n');
      expectFinished(r, 2, 1);
      expectUsers({ iq1: 'iq1@example.com', iq3: 'iq3@example.com' }, ['iq2@example.com']);
      expect(failureAt(r, 'users.csv:3').reason).toMatch(
        /^broken quoting: a double quote inside an unquoted value in column "first_name"; the row was not imported — put the whole value in double quotes and double the quotes inside it/,
      );
    });

    it('a quote never closed: the rows it swallows are named, from its line to the end', async () => {
      const r = await runCase('unclosed quote', 'users.csv', 'id,email,last_name\nuq1,uq1@example.com,Ann\nuq2,uq2@example.com,"O\'Brien\nuq3,uq3@example.com,Cy\n');
      expectFinished(r, 2, 1);
      expectUsers({ uq1: 'uq1@example.com' }, ['uq2@example.com', 'uq3@example.com']);
      const f = failureAt(r, 'users.csv:3');
      expect(f.code).toBe('last_name');
      expect(f.reason).toBe(
        'unclosed quote: the double-quoted value starting on line 3 is never closed, so lines 3–4 (to the end of the file) could not be read and were not imported; fix the quoting and export again.',
      );
    });

    it('a 10 MB field: that row is refused (its column named), the rows after it are imported', async () => {
      const big = 'x'.repeat(10 * 1024 * 1024);
      const r = await runCase('10 MB field', 'users.csv', `id,email,first_name\nbg1,bg1@example.com,Ann\nbg2,bg2@example.com,${big}\nbg3,bg3@example.com,Cy\n`);
      expectFinished(r, 2, 1);
      expectUsers({ bg1: 'bg1@example.com', bg3: 'bg3@example.com' }, ['bg2@example.com']);
      const f = failureAt(r, 'users.csv:3');
      expect(f.code).toBe('first_name');
      expect(f.reason).toBe('record larger than 1 MiB (line 3); the row was not imported — a value this long usually means a missing closing quote or the wrong delimiter.');
      expect(r.failuresText.length).toBeLessThan(10_000);
    });

    it('rows with more or fewer fields than the header', async () => {
      const r = await runCase('field count', 'users.csv', 'id,email,first_name\nfc1,fc1@example.com,Ann\nfc2,fc2@example.com,Smith, John\nfc3,fc3@example.com\nfc4,fc4@example.com,Di\n');
      expectFinished(r, 2, 2);
      expectUsers({ fc1: 'fc1@example.com', fc4: 'fc4@example.com' }, ['fc2@example.com', 'fc3@example.com']);
      expect(failureAt(r, 'users.csv:3').reason).toBe(
        'row has 4 field(s) but the header has 3; the row was not imported — a value containing the delimiter (,) must be in double quotes.',
      );
      expect(failureAt(r, 'users.csv:4').reason).toBe(
        'row has 2 field(s) but the header has 3; the row was not imported — is the row cut short, or a value with a line break left unquoted?',
      );
    });

    it('invalid emails, and one over 320 characters', async () => {
      const long = `${'a'.repeat(64)}@${'b'.repeat(250)}.example.com`;
      const r = await runCase('invalid email', 'users.csv', `id,email\nie1,ie1@example.com\nie2,not-an-email\nie3,ie3@exa mple.com\nie4,${long}\nie5,ie5@@example.com\n`);
      expectFinished(r, 2, 4);
      expectUsers({ ie1: 'ie1@example.com' });
      expect(failureAt(r, 'users.csv:3')).toMatchObject({
        kind: 'user',
        source_id: 'ie2',
        state: 'skipped',
        code: 'invalid',
        reason: 'email: "not-an-email" is not a valid email address; fix it at the source (or map the right column to email).',
      });
      expect(failureAt(r, 'users.csv:4').reason).toMatch(/^email: "ie3@exa mple\.com" is not a valid email address; fix it at the source/);
      expect(failureAt(r, 'users.csv:5').reason).toBe(`email: email address is ${long.length} characters; at most 320 are allowed — fix it at the source.`);
      expect(failureAt(r, 'users.csv:6').reason).toMatch(/^email: "ie5@@example\.com" is not a valid email address/);
    });

    it('a missing email', async () => {
      const r = await runCase('missing email', 'users.csv', 'id,email,first_name\nme1,me1@example.com,Ann\nme2,,Bob\nme3,   ,Cy\n');
      expectFinished(r, 2, 2);
      expectUsers({ me1: 'me1@example.com' });
      for (const line of [3, 4]) {
        expect(failureAt(r, `users.csv:${line}`)).toMatchObject({
          kind: 'row',
          code: 'email',
          reason: 'missing email (column "email" is empty); the row was not imported — every user needs an email address.',
        });
      }
    });

    it('an empty id when an id column is mapped', async () => {
      const r = await runCase('empty id', 'users.csv', 'id,email\nei1,ei1@example.com\n,ei2@example.com\n');
      expectFinished(r, 2, 1);
      expectUsers({ ei1: 'ei1@example.com' }, ['ei2@example.com']);
      expect(failureAt(r, 'users.csv:3')).toMatchObject({ code: 'id', reason: expect.stringMatching(/^empty id \(column "id"\); .*--map id=ignore to identify users by email/) });
    });

    it('an external id over 128 characters', async () => {
      const longId = 'L'.repeat(129);
      const r = await runCase('long external id', 'users.csv', `id,email\nxi1,xi1@example.com\n${longId},xi2@example.com\n`);
      expectFinished(r, 2, 1);
      expectUsers({ xi1: 'xi1@example.com' }, ['xi2@example.com']);
      expect(failureAt(r, 'users.csv:3')).toMatchObject({
        kind: 'user',
        source_id: longId,
        reason: 'externalId: id is 129 characters; a WorkOS externalId holds at most 128 — use a shorter id column (or shorten the ids at the source).',
      });
    });

    it('emails differing only in case, with an id column: the second is skipped as a duplicate', async () => {
      const r = await runCase('case duplicates', 'users.csv', 'id,email\ncd1,Case.Dup@example.com\ncd2,case.dup@EXAMPLE.com\ncd3,cd3@example.com\n');
      expectFinished(r, 2, 1);
      expectUsers({ cd1: 'case.dup@example.com', cd3: 'cd3@example.com' });
      expect(failureAt(r, 'users.csv:3')).toMatchObject({
        kind: 'user',
        source_id: 'cd2',
        label: 'case.dup@EXAMPLE.com',
        state: 'skipped',
        code: 'duplicate_email',
        reason: expect.stringMatching(/^same email as user cd1 \(emails are unique in WorkOS, whatever their case\): its memberships are carried by that user; its own name and password are not/),
      });
      expect(r.stderr).toContain('1 duplicate email');
    });

    it('emails differing only in case, without an id column: one user, with a warning', async () => {
      const r = await runCase('case duplicates without id', 'users.csv', 'email,first_name\nNoId.Dup@example.com,Ann\nnoid.dup@example.com,Ann\n');
      expectFinished(r, 0, 0);
      expectUsers({ 'noid.dup@example.com': 'noid.dup@example.com' });
      expect(r.stderr).toMatch(/email differs only in case from line 2; treated as the same user/);
    });

    it('the same id with another email: the first is kept and the conflict is shown', async () => {
      const r = await runCase('same id, other email', 'users.csv', 'id,email\nsi1,si1@example.com\nsi2,si2@example.com\nsi1,si1-other@example.com\n');
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expectUsers({ si1: 'si1@example.com', si2: 'si2@example.com' }, ['si1-other@example.com']);
      expect(r.stderr).toContain(
        'users.csv:4 [email]: user si1 already has email si1@example.com (users.csv:2); this row says si1-other@example.com. The first was kept: fix the source and re-run to import the other.',
      );
    });

    // The conflict is an error issue about a user that was imported (si1): the failures file must
    // still list it, or the second email would be a silent skip.
    it('the same id with another email is in failures.csv and the run exits 2', () => {
      const r = outcomes.find((o) => o.name === 'same id, other email')!.outcome;
      expect(r.code).toBe(2);
      expect(failureAt(r, 'users.csv:4').reason).toMatch(/already has email si1@example\.com/);
    });

    it('an md5 hash: the user is imported without a password, with a warning in the plan and in status', async () => {
      const r = await runCase(
        'md5 hash',
        'users.csv',
        `id,email,password_hash,password_hash_type\nh51,h51@example.com,${MD5_HEX},md5\nh52,h52@example.com,${BCRYPT},bcrypt\n`,
      );
      expectFinished(r, 0, 0);
      expectUsers({ h51: 'h51@example.com', h52: 'h52@example.com' });
      expect(sandbox.state.credentials.has(user('h51@example.com')!.id)).toBe(false);
      expect(sandbox.state.credentials.get(user('h52@example.com')!.id)).toMatchObject({ kind: 'hash' });
      expect(r.stderr).toMatch(/user passwordHashType: password hash type "md5" is not supported by WorkOS \(it accepts bcrypt, .*\); this user will be imported without a/);

      const status = await runCli(['status', '--journal', r.journal], { cwd: r.dir, env: sandboxEnv(sandbox) });
      expect(status.code).toBe(0);
      expect(status.stderr).toMatch(/source problems: 0 errors, 1 warning$/m);
      const json = await runCli(['status', '--journal', r.journal, '--json'], { cwd: r.dir, env: sandboxEnv(sandbox) });
      const plan = (JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { plan: { manual: { field: string; example: string }[] } }).plan;
      expect(plan.manual).toEqual([
        expect.objectContaining({
          field: 'passwordHashType',
          example: expect.stringMatching(/"md5" is not supported by WorkOS .* will be imported without a password and will need a password reset/),
        }),
      ]);
      for (const hash of HASHES) expect(status.stderr + json.stdout).not.toContain(hash);
    });

    it('an unknown hash type: that user is refused, naming the type and what to do', async () => {
      const r = await runCase('unknown hash type', 'users.csv', `id,email,password_hash,password_hash_type\nuh1,uh1@example.com,${BCRYPT},bcrypt\nuh2,uh2@example.com,${ODD_HASH},foohash\n`);
      expectFinished(r, 2, 1);
      expectUsers({ uh1: 'uh1@example.com' }, ['uh2@example.com']);
      expect(failureAt(r, 'users.csv:3')).toMatchObject({
        kind: 'user',
        code: 'invalid',
        reason: expect.stringMatching(/^passwordHashType: unknown password hash type "foohash" \(WorkOS accepts bcrypt, .*\); fix the value or the column mapped to password_hash_type/),
      });
    });

    it('a hash that does not match its declared type', async () => {
      const r = await runCase('hash type mismatch', 'users.csv', `id,email,password_hash,password_hash_type\nhm1,hm1@example.com,${BCRYPT},argon2\nhm2,hm2@example.com,${BCRYPT},bcrypt\n`);
      expectFinished(r, 2, 1);
      expectUsers({ hm2: 'hm2@example.com' }, ['hm1@example.com']);
      expect(failureAt(r, 'users.csv:2').reason).toMatch(
        /^passwordHash: password hash does not look like a argon2 hash \(expected \$argon2id\$.*\); it looks like bcrypt — WorkOS would reject it\. Check the hash and type columns/,
      );
    });

    it('hashes without a type: unrecognised is refused, a hex MD5 digest is imported without a password', async () => {
      const r = await runCase('untyped hashes', 'users.csv', `id,email,password_hash\nnt1,nt1@example.com,${ODD_HASH}\nnt2,nt2@example.com,${MD5_HEX}\n`);
      expectFinished(r, 2, 1);
      expectUsers({ nt2: 'nt2@example.com' }, ['nt1@example.com']);
      expect(sandbox.state.credentials.has(user('nt2@example.com')!.id)).toBe(false);
      expect(failureAt(r, 'users.csv:2').reason).toMatch(
        /^passwordHashType: password hash has no type and its format is not recognised .*; map the column holding the algorithm to password_hash_type, or drop the hash/,
      );
      expect(r.stderr).toMatch(/looks like a hex MD5-sized digest, which WorkOS does not accept/);
    });

    it('metadata with 51 keys', async () => {
      const keys = Array.from({ length: 51 }, (_, i) => `m${i}`);
      const r = await runCase(
        'metadata keys',
        'users.csv',
        `id,email,${keys.join(',')}\nmk1,mk1@example.com,${keys.map(() => '').join(',')}\nmk2,mk2@example.com,${keys.map(() => 'v').join(',')}\n`,
        { extra: keys.flatMap((k) => ['--map', `${k}=metadata.${k}`]) },
      );
      expectFinished(r, 2, 1);
      expectUsers({ mk1: 'mk1@example.com' }, ['mk2@example.com']);
      expect(failureAt(r, 'users.csv:3').reason).toBe('metadata: metadata has 51 keys; WorkOS allows at most 50 — carry fewer fields into metadata.');
    });

    it('a metadata value of 601 characters', async () => {
      const r = await runCase('metadata value', 'users.csv', `id,email,bio\nmv1,mv1@example.com,short\nmv2,mv2@example.com,${'b'.repeat(601)}\n`, {
        extra: ['--map', 'bio=metadata.bio'],
      });
      expectFinished(r, 2, 1);
      expectUsers({ mv1: 'mv1@example.com' }, ['mv2@example.com']);
      expect(user('mv1@example.com')!.metadata).toEqual({ bio: 'short' });
      expect(failureAt(r, 'users.csv:3').reason).toBe(
        'metadata.bio: metadata value for "bio" is 601 characters; at most 600 are allowed — shorten it or leave it out of metadata.',
      );
    });

    it('control characters in names', async () => {
      const r = await runCase('control characters', 'users.csv', 'id,email,first_name,last_name\ncc1,cc1@example.com,Ann,Lee\ncc2,cc2@example.com,Bo\u0007b,Lee\ncc3,cc3@example.com,Cy,"Li\u001b"\n');
      expectFinished(r, 2, 2);
      expectUsers({ cc1: 'cc1@example.com' }, ['cc2@example.com', 'cc3@example.com']);
      expect(failureAt(r, 'users.csv:3').reason).toBe('firstName: firstName contains a control character (U+0007 at position 3); remove it at the source.');
      expect(failureAt(r, 'users.csv:4').reason).toBe('lastName: lastName contains a control character (U+001B at position 3); remove it at the source.');
    });

    it('an email_verified value that is not yes/no: imported unverified, with a warning', async () => {
      const r = await runCase('email_verified', 'users.csv', 'id,email,email_verified\nev1,ev1@example.com,true\nev2,ev2@example.com,maybe\n');
      expectFinished(r, 0, 0);
      expectUsers({ ev1: 'ev1@example.com', ev2: 'ev2@example.com' });
      expect(user('ev1@example.com')!.email_verified).toBe(true);
      expect(user('ev2@example.com')!.email_verified).toBe(false);
      expect(r.stderr).toContain('"maybe" in "email_verified" is not a yes/no value (use true/false, 1/0, yes/no, t/f or y/n); the user is imported as not verified.');
    });

    it('an organization with a malformed domain: the organization and its membership are reported, the user imported', async () => {
      const r = await runCase(
        'malformed domain',
        'users.csv',
        'id,email,organization_id,organization_name,domains\nbd1,bd1@example.com,bd-org1,Org One,one.example.com\nbd2,bd2@example.com,bd-org2,Org Two,intranet_local\n',
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expectUsers({ bd1: 'bd1@example.com', bd2: 'bd2@example.com' });
      const orgs = [...sandbox.state.organizations.values()];
      expect(orgs.filter((o) => o.external_id === 'bd-org1')).toHaveLength(1);
      expect(orgs.filter((o) => o.external_id === 'bd-org2')).toHaveLength(0);
      expect(failureAt(r, 'users.csv:3', 'organization')).toMatchObject({
        source_id: 'bd-org2',
        state: 'skipped',
        code: 'invalid',
        reason: 'domains: "intranet_local" is not a valid domain (expected e.g. example.com); fix or remove it at the source.',
      });
      expect(failureAt(r, 'users.csv:3', 'membership')).toMatchObject({
        label: 'bd2 in bd-org2',
        code: 'blocked',
        reason: 'organization bd-org2 was skipped (invalid); its memberships follow it once the source is fixed',
      });
    });

    // The organization's own failure line carries its validation issue: not listed twice.
    it('failures.csv lists the bad organization once', () => {
      const r = outcomes.find((o) => o.name === 'malformed domain')!.outcome;
      expect(r.failures).toHaveLength(2);
    });

    it('an organization id over 128 characters: the organization and its membership are reported', async () => {
      const orgId = 'O'.repeat(129);
      const r = await runCase('long organization id', 'users.csv', `id,email,organization_id,organization_name\nlo1,lo1@example.com,lo-org1,Org One\nlo2,lo2@example.com,${orgId},Org Two\n`);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expectUsers({ lo1: 'lo1@example.com', lo2: 'lo2@example.com' });
      expect(failureAt(r, 'users.csv:3', 'organization')).toMatchObject({
        source_id: orgId,
        reason: 'externalId: id is 129 characters; a WorkOS externalId holds at most 128 — use a shorter id column (or shorten the ids at the source).',
      });
      expect(failureAt(r, 'users.csv:3', 'membership')).toMatchObject({ code: 'blocked' });
    });

    it('NDJSON lines that are not JSON objects', async () => {
      const r = await runCase(
        'ndjson lines',
        'users.ndjson',
        '{"id":"nd1","email":"nd1@example.com"}\n{"id":"nd2","email":\n\n["nd3","nd3@example.com"]\n{"id":"nd4","email":"nd4@example.com"}\n',
      );
      expectFinished(r, 2, 2);
      expectUsers({ nd1: 'nd1@example.com', nd4: 'nd4@example.com' });
      expect(failureAt(r, 'users.ndjson:2').reason).toMatch(/^line is not valid JSON \(.*\); it was not imported — each line must be one JSON object\.$/);
      expect(failureAt(r, 'users.ndjson:4').reason).toBe('line is an array, not a JSON object; it was not imported — each line must be one JSON object.');
    });

    it('JSON array elements that are not objects, and an email holding a list', async () => {
      const r = await runCase(
        'json elements',
        'users.json',
        '[{"id":"je1","email":"je1@example.com"}, 42, {"id":"je3","email":["je3@example.com","x@example.com"]}, {"id":"je4","email":"je4@example.com"}]',
      );
      expectFinished(r, 2, 2);
      expectUsers({ je1: 'je1@example.com', je4: 'je4@example.com' }, ['je3@example.com']);
      expect(failureAt(r, 'users.json[1]').reason).toBe('element 1 is a number, not an object; it was not imported.');
      expect(failureAt(r, 'users.json[2]')).toMatchObject({ code: 'email', reason: '"email" holds a list; a user has exactly one email address — the row was not imported.' });
    });

    it('bytes that are not UTF-8 past the head: that row is refused, not imported garbled', async () => {
      // The head (64 KiB) is checked up front; a Latin-1 byte after it used to reach WorkOS as U+FFFD.
      // The first row's notes (an unmapped column) push the bad byte past the head.
      const content = Buffer.concat([
        Buffer.from(`id,email,first_name,notes\nu8a,u8a@example.com,Ann,${'n'.repeat(70 * 1024)}\nu8b,u8b@example.com,Ren`),
        Buffer.from([0xe9]),
        Buffer.from(',\nu8c,u8c@example.com,Cy,\n'),
      ]);
      expect(content.indexOf(0xe9)).toBeGreaterThan(64 * 1024);
      const r = await runCase('invalid UTF-8 past the head', 'users.csv', content);
      expectFinished(r, 2, 1);
      expectUsers({ u8a: 'u8a@example.com', u8c: 'u8c@example.com' }, ['u8b@example.com']);
      expect([...sandbox.state.users.values()].filter((u) => u.first_name?.includes('\uFFFD'))).toEqual([]);
      expect(failureAt(r, 'users.csv:3')).toMatchObject({
        code: 'first_name',
        reason: expect.stringMatching(/^"first_name" holds U\+FFFD, the replacement character: bytes there are not UTF-8 text .* convert the file to UTF-8 \(iconv/),
      });
    });

    it('invalid JSON past the head: one precise message, no stack', async () => {
      const lines = Array.from({ length: 3000 }, (_, i) => `  {"id": "dj${i}", "email": "dj${i}@example.com"}`);
      lines[2500] = '  {"id": "dj2500", "email": "dj2500@example.com",}';
      const r = await runCase('invalid JSON past the head', 'users.json', `[\n${lines.join(',\n')}\n]\n`);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      const last = r.stderr.trimEnd().split('\n').at(-1)!;
      expect(last).toMatch(/^✖ users\.json is not valid JSON at line 2502, column 50 \(byte \d+\): unexpected token '\}'\. Nothing was written to WorkOS and the journal was removed\. Fix the file/);
      expect(user('dj0@example.com')).toBeUndefined(); // nothing imported from a file that is not JSON
    });

    // The error surfaces during the export, after the journal was created with the rows before
    // it: the journal is removed (nothing reached WorkOS), and one ✖ line says so.
    it('invalid JSON past the head leaves nothing behind, and says so in one error line', () => {
      const r = outcomes.find((o) => o.name === 'invalid JSON past the head')!.outcome;
      expect(r.stderr.split('\n').filter((l) => l.startsWith('✖'))).toHaveLength(1);
      expect(r.stderr).toMatch(/Nothing was written to WorkOS and the journal was removed/);
      for (const suffix of ['', '-wal', '-shm']) expect(fs.existsSync(`${r.journal}${suffix}`)).toBe(false);
    });
  });

  it('no case printed a stack trace or a password hash', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(60);
    for (const { name, outcome } of outcomes) {
      expect(outcome.stderr, name).not.toMatch(STACK_TRACE);
      expect(outcome.stdout, name).not.toMatch(STACK_TRACE);
      for (const hash of HASHES) expect(outcome.stderr + outcome.stdout + outcome.failuresText, name).not.toContain(hash);
    }
  });
});
