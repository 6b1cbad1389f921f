/**
 * Firebase Authentication as a source: the file `firebase auth:export` writes (JSON or CSV),
 * streamed, with the project's password hash parameters; an optional CSV of the operator's own
 * assigns organizations (Firebase has none).
 *
 * Order, each step a staged batch with the cursor `{ v: 1, phase, n, done }`:
 *
 *   organizations  the organizations file's organizations and roles (when there is one)
 *   users          `pageSize` users a batch, each with its memberships; `n` counts the users of the
 *                  file staged, so a stopped export reads the file again and skips them (their
 *                  organization rows still count as taken) without staging anything twice
 *
 * The signer key never reaches the journal: hashes carry `{env:FIREBASE_SIGNER_KEY}` in its place.
 * With a test account (an email and its password, FIREBASE_TEST_PASSWORD) the check recomputes that
 * user's hash first: wrong hash parameters are caught before anything is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceMembership, SourceProvider, SourceUser } from '../types.js';
import { detectFormat, exportFileOf, readUsers, type FirebaseFormat } from './files.js';
import { firebasePasswordMatches, hashConfig, type FirebaseHashConfig } from './hash.js';
import { mapFirebaseUser, NOT_CARRIED, type DisabledChoice } from './mapping.js';
import { readOrganizationsFile, type OrganizationsFile } from './organizations.js';

export { csvRowToUser, detectFormat, readUsers } from './files.js';
export { firebasePasswordMatches, firebasePhc, hashConfig, standardBase64, DEFAULT_MEM_COST, DEFAULT_ROUNDS } from './hash.js';
export { mapFirebaseUser } from './mapping.js';
export type { DisabledChoice } from './mapping.js';
export { readOrganizationsFile } from './organizations.js';

export interface FirebaseOptions {
  exportFile?: string;
  format?: FirebaseFormat;
  signerKey?: string;
  /** The variable the signer key is read from on import (default FIREBASE_SIGNER_KEY). */
  signerEnv?: string;
  saltSeparator?: string;
  rounds?: string | number;
  memCost?: string | number;
  disabled?: DisabledChoice;
  organizationsFile?: string;
  /** A test account: the check recomputes its hash from this password. */
  testEmail?: string;
  testPassword?: string;
  /** Users per staged batch (default 1000). */
  pageSize?: number;
}

type Phase = 'organizations' | 'users' | 'done';

interface Cursor {
  v: 1;
  phase: Phase;
  /** Users of the file staged (read and handed over, valid or not). */
  n: number;
  done: number;
}

function parseCursor(text: string): Cursor {
  let c: Partial<Cursor> = {};
  try {
    c = JSON.parse(text) as Partial<Cursor>;
  } catch {
    // below
  }
  if (c.v !== 1 || !['organizations', 'users', 'done'].includes(c.phase as string) || typeof c.n !== 'number' || typeof c.done !== 'number') {
    throw new ExpectedError('The saved Firebase export position in the journal is not one this version understands.', 'Start a new migration (a new --journal) to export again from the beginning.');
  }
  return c as Cursor;
}

export function createFirebaseProvider(options: FirebaseOptions): SourceProvider {
  const signerEnv = options.signerEnv ?? 'FIREBASE_SIGNER_KEY';
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  const disabled: DisabledChoice = options.disabled ?? 'skip';
  let orgs: OrganizationsFile | undefined;
  /** The check needs the signer key (a run must not start without it); the export only refers to it. */
  const settings = (needSignerKey = true) => {
    const file = exportFileOf(options.exportFile);
    const config = hashConfig(options, signerEnv, needSignerKey);
    if (options.organizationsFile) orgs ??= readOrganizationsFile(options.organizationsFile);
    return { file, format: options.format ?? detectFormat(file), name: path.basename(file), config, orgs };
  };

  /** The test account's password against its Firebase hash: wrong parameters stop here. */
  async function checkTestAccount(file: string, format: FirebaseFormat, name: string, hash: FirebaseHashConfig): Promise<string> {
    const email = options.testEmail!.trim().toLowerCase();
    if (!options.testPassword) {
      throw new ExpectedError(`No password was given for the test account ${options.testEmail}.`, 'Export FIREBASE_TEST_PASSWORD (the password of that account; never written anywhere), or leave the test account out.');
    }
    const users = readUsers(file, format);
    try {
      for await (const { line, value } of users) {
        const u = value as Record<string, unknown> | null;
        if (!u || typeof u !== 'object' || typeof u.email !== 'string' || u.email.trim().toLowerCase() !== email) continue;
        if (typeof u.passwordHash !== 'string' || !u.passwordHash || typeof u.salt !== 'string') {
          throw new ExpectedError(`The test account ${options.testEmail} (${name} line ${line}) has no password hash in the export.`, 'Choose an account that signs in with a password.');
        }
        if (!firebasePasswordMatches(options.testPassword, u.passwordHash, u.salt, hash)) {
          throw new ExpectedError(
            `The password of the test account ${options.testEmail} does not verify against its Firebase hash (${name} line ${line}): the signer key, salt separator, rounds or memory cost is not the project's (or the password is wrong). With these, no imported password would work.`,
            'Copy the four values again from the Firebase console (Authentication > Users > ⋮ > Password hash parameters) and check the test password.',
          );
        }
        return `the password of ${options.testEmail} verifies: the hash parameters are the project's`;
      }
    } finally {
      await users.return(undefined);
    }
    throw new ExpectedError(`The test account ${options.testEmail} is not in ${name}.`, 'Give the email of a user in this export (one who signs in with a password).');
  }

  return {
    id: 'firebase',
    displayName: 'Firebase',

    async check() {
      const { file, format, name, config: hash, orgs: orgFile } = settings();
      const parts = [`Firebase export ${name} (${format.toUpperCase()})`];
      // A pipe is read once, by the export: nothing may be taken from it here.
      const pipe = !fs.statSync(file).isFile();
      if (pipe && options.testEmail?.trim()) {
        throw new ExpectedError(`The test account cannot be checked on ${name}: it is a pipe, which is read only once (by the export).`, 'Write the export to a file first, or leave the test account out.');
      }
      if (pipe) parts.push('a pipe, read as the export goes');
      else {
        const head = readUsers(file, format);
        try {
          const first = await head.next();
          parts.push(first.done ? 'no users in it' : 'users readable');
        } finally {
          await head.return(undefined);
        }
      }
      parts.push(`hash parameters: rounds ${hash.rounds}, memory cost ${hash.memCost}`);
      if (options.testEmail?.trim()) parts.push(await checkTestAccount(file, format, name, hash));
      else parts.push('the signer key is not checked until sign-in (give a test account to check it now)');
      if (orgFile) {
        const rows = [...orgFile.byUid.values(), ...orgFile.byEmail.values()].reduce((n, r) => n + r.length, 0);
        parts.push(`${orgFile.organizations.length} organizations, ${rows} memberships in ${orgFile.file}`);
      }
      parts.push(`disabled users: ${disabled === 'skip' ? 'left out' : 'imported'}`);
      return { summary: parts.join('; ') };
    },

    async *export({ cursor, signal }: ExportOptions): AsyncIterable<ExportBatch> {
      const { file, format, name, config: hash, orgs: orgFile } = settings(false);
      let state: Cursor = cursor ? parseCursor(cursor) : { v: 1, phase: orgFile ? 'organizations' : 'users', n: 0, done: 0 };
      const aborted = () => signal?.aborted === true;
      const batch = (b: ExportBatch): ExportBatch => ({ ...b, cursor: JSON.stringify(state), progress: { done: state.done, unit: 'records' } });

      if (state.phase === 'organizations') {
        state = { ...state, phase: 'users', done: state.done + (orgFile?.organizations.length ?? 0) };
        yield batch({ organizations: orgFile?.organizations ?? [], roles: orgFile?.roles ?? [], issues: orgFile?.issues ?? [] });
        if (aborted()) return;
      }
      if (state.phase !== 'users') return;

      const matched = orgFile ? new Set<number>() : undefined;
      const ctx = { hash, signerEnv, disabled, organizations: orgFile, matched };
      const unread = new Set<string>();
      const skipTo = state.n;
      let users: SourceUser[] = [];
      let memberships: SourceMembership[] = [];
      let issues: SourceIssue[] = [];
      let leftOut: NonNullable<ExportBatch['leftOut']> = [];
      let reported = 0;
      const flush = (): ExportBatch => {
        // Columns not carried: named once each (the journal keeps the union).
        const ignored = [...unread.keys()].slice(reported).map((column) => ({
          column,
          reason: NOT_CARRIED[column] ?? 'not a field the Firebase source reads: it is not carried into WorkOS',
        }));
        reported = unread.size;
        const out = batch({ users, memberships, issues, leftOut, ignoredColumns: ignored });
        users = [];
        memberships = [];
        issues = [];
        leftOut = [];
        return out;
      };
      const source = readUsers(file, format);
      try {
        for await (const raw of source) {
          const mapped = mapFirebaseUser(raw.value, `${name}:${raw.line}`, ctx);
          if (raw.index < skipTo) continue; // staged by an earlier pass: only its organization rows count
          state = { ...state, n: raw.index + 1 };
          issues.push(...mapped.issues);
          for (const key of mapped.unread) unread.add(key);
          if (mapped.user) {
            users.push(mapped.user);
            memberships.push(...mapped.memberships);
            state = { ...state, done: state.done + 1 + mapped.memberships.length };
            if (mapped.leftOut) leftOut.push({ kind: 'user', sourceId: mapped.user.sourceId, reason: mapped.leftOut });
          }
          if (users.length >= pageSize) {
            yield flush();
            if (aborted()) return;
          }
        }
      } finally {
        await source.return(undefined);
      }
      if (orgFile) {
        for (const rows of [...orgFile.byUid.values(), ...orgFile.byEmail.values()]) {
          for (const row of rows) {
            if (matched!.has(row.line)) continue;
            issues.push({
              location: `${orgFile.file}:${row.line}`,
              field: 'user',
              severity: 'warning',
              recordKind: 'membership',
              message: `${row.user} (organization ${row.orgId}) is not a user of the Firebase export: no membership is made. Check the uid or email.`,
            });
          }
        }
      }
      state = { ...state, phase: 'done' };
      yield flush();
    },
  };
}
