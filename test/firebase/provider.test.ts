/**
 * The Firebase source on its own: the converter proven by recomputation through the PHC string the
 * sandbox checks sign-ins with (Firebase's defaults, rounds 8 and mem_cost 14), a wrong signer key
 * failing; the JSON and CSV exports read alike and streamed with their lines; the test account
 * that catches wrong parameters before anything is written; bad input answered with file, line,
 * field and what to do.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { createFirebaseProvider, type FirebaseOptions } from '../../src/providers/firebase/index.js';
import { firebaseSource } from '../../src/providers/firebase/source.js';
import type { ExportBatch } from '../../src/providers/types.js';
import { verifyPasswordHash } from '../../src/sandbox/passwords.js';
import { fillEnvRefs } from '../../src/services/passwords/secret-refs.js';
import { tempDir } from '../helpers.js';
import { buildFixture, FAST_PARAMS, jsonLineOf, PARAMS, writeCsvExport, writeJsonExport, writeOrganizations, type HashParams } from './fixture.js';

const opts = (file: string, params: HashParams, more: Partial<FirebaseOptions> = {}): FirebaseOptions => ({
  exportFile: file,
  signerKey: params.signerKey,
  saltSeparator: params.saltSeparator,
  rounds: params.rounds,
  memCost: params.memCost,
  ...more,
});

async function exportAll(options: FirebaseOptions, cursor?: string): Promise<ExportBatch[]> {
  const batches: ExportBatch[] = [];
  for await (const b of createFirebaseProvider(options).export({ cursor })) batches.push(b);
  return batches;
}

const all = <K extends keyof ExportBatch>(batches: ExportBatch[], key: K) => batches.flatMap((b) => (b[key] as unknown[] | undefined) ?? []) as NonNullable<ExportBatch[K]>;

async function expectedError(promise: Promise<unknown>): Promise<ExpectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExpectedError);
  return error as ExpectedError;
}

describe('Firebase scrypt: passwordHash + salt -> firebase-scrypt PHC', () => {
  it('signs in with the known password through the PHC string (rounds 8, mem_cost 14), and not with a wrong signer key', async () => {
    const dir = tempDir('wm-fb-hash-');
    const fixture = buildFixture({ users: 4, params: PARAMS, passwordShare: 1 });
    const file = path.join(dir, 'users.json');
    writeJsonExport(file, fixture);
    const batches = await exportAll(opts(file, PARAMS));
    const users = all(batches, 'users');
    const withHash = users.filter((u) => u.passwordHash);
    expect(withHash.length).toBe(fixture.users.filter((u) => u.password).length);
    const env = { FIREBASE_SIGNER_KEY: PARAMS.signerKey };
    const wrongKey = Buffer.from('not the project key, but 64 bytes of something else entirely..!').toString('base64');
    for (const u of withHash) {
      // Staged: the key by reference only, the rest in standard base64 without padding.
      expect(u.passwordHash).toMatch(/^\$firebase-scrypt\$hash=[A-Za-z0-9+/]+\$salt=[A-Za-z0-9+/]+\$sk=\{env:FIREBASE_SIGNER_KEY:b64\}\$ss=Bw\$r=8\$m=14$/);
      expect(u.passwordHash).not.toContain(PARAMS.signerKey.replace(/=+$/, ''));
      expect(u.passwordHashType).toBe('firebase-scrypt');
      const sent = fillEnvRefs(u.passwordHash!, env);
      const password = fixture.users.find((f) => f.localId === u.sourceId)!.password!;
      expect(verifyPasswordHash('firebase-scrypt', sent, password)).toBe(true);
      expect(verifyPasswordHash('firebase-scrypt', sent, `${password}x`)).toBe(false);
      expect(verifyPasswordHash('firebase-scrypt', fillEnvRefs(u.passwordHash!, { FIREBASE_SIGNER_KEY: wrongKey }), password)).toBe(false);
    }
  }, 60_000);

  it('checks a test account before anything is written: the right parameters pass, a wrong signer key is named', async () => {
    const dir = tempDir('wm-fb-test-account-');
    const fixture = buildFixture({ users: 30, params: FAST_PARAMS });
    const file = path.join(dir, 'users.json');
    writeJsonExport(file, fixture);
    const someone = fixture.users.find((u) => u.password && u.email)!;
    const ok = await createFirebaseProvider(opts(file, FAST_PARAMS, { testEmail: someone.email!.toUpperCase(), testPassword: someone.password })).check();
    expect(ok.summary).toMatch(new RegExp(`the password of ${someone.email!.toUpperCase()} verifies`));

    const wrong = Buffer.from('a signer key from another project, which nobody should ever use.').toString('base64');
    const bad = await expectedError(createFirebaseProvider(opts(file, { ...FAST_PARAMS, signerKey: wrong }, { testEmail: someone.email, testPassword: someone.password })).check());
    expect(bad.message).toMatch(/does not verify against its Firebase hash \(users\.json line \d+\): the signer key, salt separator, rounds or memory cost/);
    expect(bad.nextStep).toMatch(/Password hash parameters/);
    // A wrong memory cost is caught the same way; a wrong password too (the operator is told both).
    await expectedError(createFirebaseProvider(opts(file, { ...FAST_PARAMS, memCost: 11 }, { testEmail: someone.email, testPassword: someone.password })).check());
    const nobody = await expectedError(createFirebaseProvider(opts(file, FAST_PARAMS, { testEmail: 'nobody@example.com', testPassword: 'x' })).check());
    expect(nobody.message).toMatch(/nobody@example\.com is not in users\.json/);
    // Without a test account the check says the key is not checked yet.
    expect((await createFirebaseProvider(opts(file, FAST_PARAMS)).check()).summary).toMatch(/signer key is not checked until sign-in/);
  }, 60_000);
});

describe('Firebase export files', () => {
  const fixture = buildFixture({ users: 120, params: FAST_PARAMS });
  const dir = tempDir('wm-fb-files-');
  const json = path.join(dir, 'users.json');
  const csv = path.join(dir, 'users.csv');
  const orgs = path.join(dir, 'orgs.csv');
  writeJsonExport(json, fixture);
  writeCsvExport(csv, fixture);
  writeOrganizations(orgs, fixture);

  it('maps the JSON export: names, verification, providers counted, SMS MFA, custom claims, disabled left out, memberships', async () => {
    const batches = await exportAll(opts(json, FAST_PARAMS, { organizationsFile: orgs, pageSize: 25 }));
    const expected = fixture.expected();
    const users = all(batches, 'users');
    const leftOut = all(batches, 'leftOut');
    // Disabled users are staged and left out by choice; the phone-only one is an error.
    expect(leftOut.map((l) => l.sourceId).sort()).toEqual(expected.disabled.sort());
    expect(leftOut[0].reason).toMatch(/disabled in Firebase.*--firebase-disabled import/);
    expect(users.length).toBe(expected.users.length + expected.disabled.length);
    const byId = new Map(users.map((u) => [u.sourceId, u]));
    for (const e of expected.users) {
      const u = byId.get(e.id)!;
      expect(u.email).toBe(e.email);
      expect(u.firstName).toBe(e.firstName);
      expect(u.lastName).toBe(e.lastName);
      expect(u.emailVerified).toBe(e.emailVerified);
      expect(u.passwordHashType).toBe(e.password ? 'firebase-scrypt' : undefined);
      expect(u.metadata ?? {}).toEqual(e.metadata);
      expect((u.socialProviders ?? []).sort()).toEqual([...e.social].sort());
      expect(u.mfa?.sms === true).toBe(e.sms);
    }
    const issues = all(batches, 'issues');
    const phoneOnly = issues.find((i) => i.sourceId === expected.noEmail[0])!;
    expect(phoneOnly).toMatchObject({ field: 'email', severity: 'error' });
    expect(phoneOnly.message).toMatch(/signs in with a phone number only; WorkOS users need an email address/);
    const claims = issues.find((i) => i.field === 'customAttributes')!;
    expect(claims.location).toBe(`firebase user ${expected.badClaims[0].id} (users.json:${jsonLineOf(fixture, expected.badClaims[0].id)})`);
    expect(claims.message).toMatch(/customAttributes is not valid JSON .*not carried into metadata/);
    expect(issues.filter((i) => i.field === 'mfa').length).toBe(expected.users.filter((u) => u.sms).length + leftOut.filter((l) => fixture.users.find((f) => f.localId === l.sourceId)!.smsMfa).length);
    // Organizations first, then each user's memberships beside it; the stray row named.
    expect(batches[0].organizations!.map((o) => o.name)).toEqual(expected.organizations.map((o) => o.name));
    const memberships = all(batches, 'memberships').filter((m) => !expected.disabled.includes(m.userSourceId));
    expect(memberships.map((m) => `${m.userSourceId}/${m.orgSourceId}`).sort()).toEqual(expected.memberships.map((m) => `${m.userId}/${m.orgId}`).sort());
    expect(issues.filter((i) => /is not a user of the Firebase export/.test(i.message)).length).toBe(expected.strayRows);
    // What WorkOS has no place for is named, not dropped quietly.
    const ignored = all(batches, 'ignoredColumns').map((c) => c.column);
    expect(ignored).toEqual(expect.arrayContaining(['phoneNumber', 'createdAt', 'lastSignedInAt']));
  });

  it('reads the CSV export (no header, 28 columns) as the same users', async () => {
    const fromJson = all(await exportAll(opts(json, FAST_PARAMS)), 'users');
    const fromCsv = all(await exportAll(opts(csv, FAST_PARAMS)), 'users');
    const strip = (u: (typeof fromJson)[number]) => ({ ...u, origin: undefined, mfa: undefined });
    expect(fromCsv.map(strip)).toEqual(fromJson.map(strip));
    // The CSV's quoted name with a comma and quoted JSON claims survive; its lines are its rows.
    expect(fromCsv.find((u) => u.sourceId === fixture.users[40].localId)!.origin).toBe(`firebase user ${fixture.users[40].localId} (users.csv:41)`);
  });

  it('streams a compacted export (one line) and a bare array of users alike', async () => {
    const compact = path.join(dir, 'compact.json');
    const parsed = JSON.parse(fs.readFileSync(json, 'utf8')) as { users: unknown[] };
    fs.writeFileSync(compact, JSON.stringify(parsed));
    const bare = path.join(dir, 'bare.json');
    fs.writeFileSync(bare, JSON.stringify(parsed.users, null, 1));
    const strip = (u: { origin?: string }) => ({ ...u, origin: undefined });
    const reference = all(await exportAll(opts(json, FAST_PARAMS)), 'users').map(strip);
    const one = all(await exportAll(opts(compact, FAST_PARAMS, { pageSize: 7 })), 'users');
    expect(one.map(strip)).toEqual(reference);
    expect(new Set(one.map((u) => u.origin!.replace(/.*:(\d+)\)$/, '$1')))).toEqual(new Set(['1']));
    expect(all(await exportAll(opts(bare, FAST_PARAMS)), 'users').map(strip)).toEqual(reference);
  });

  it('reads a pipe (firebase auth:export | gunzip, process substitution) once: the check takes nothing from it', async () => {
    const fifo = path.join(dir, 'users-pipe');
    execFileSync('mkfifo', [fifo]);
    const provider = createFirebaseProvider(opts(fifo, FAST_PARAMS));
    expect((await provider.check()).summary).toMatch(/Firebase export users-pipe \(JSON\); a pipe, read as the export goes/);
    const writer = fs.createWriteStream(fifo);
    writer.end(fs.readFileSync(json));
    const users = all(await exportAll(opts(fifo, FAST_PARAMS)), 'users');
    expect(users.length).toBe(fixture.users.filter((u) => u.email).length);
    const e = await expectedError(createFirebaseProvider(opts(fifo, FAST_PARAMS, { testEmail: 'a@b.example', testPassword: 'x' })).check());
    expect(e.message).toMatch(/cannot be checked on users-pipe: it is a pipe/);
  });

  it('resumes after the last staged user: none staged twice, none missed', async () => {
    const first: ExportBatch[] = [];
    const provider = createFirebaseProvider(opts(json, FAST_PARAMS, { organizationsFile: orgs, pageSize: 10 }));
    for await (const b of provider.export({})) {
      first.push(b);
      if (first.length === 4) break;
    }
    const rest = await exportAll(opts(json, FAST_PARAMS, { organizationsFile: orgs, pageSize: 10 }), first[first.length - 1].cursor);
    const ids = [...all(first, 'users'), ...all(rest, 'users')].map((u) => u.sourceId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(fixture.users.filter((u) => u.email).length);
    expect(all(rest, 'organizations')).toEqual([]);
    // Organization rows of users staged before the stop still count as taken.
    expect(all(rest, 'issues').filter((i) => /is not a user of the Firebase export/.test(i.message)).length).toBe(1);
  });
});

describe('Firebase: bad input gets a clear answer', () => {
  const fixture = buildFixture({ users: 12, params: FAST_PARAMS });
  const dir = tempDir('wm-fb-bad-');
  const json = path.join(dir, 'users.json');
  writeJsonExport(json, fixture);

  it('a missing file, a missing or malformed signer key, bad rounds', async () => {
    let e = await expectedError(createFirebaseProvider(opts(path.join(dir, 'nope.json'), FAST_PARAMS)).check());
    expect(e.message).toMatch(/nope\.json cannot be read \(no such file\)/);
    expect(e.nextStep).toMatch(/--firebase-export/);
    e = await expectedError(createFirebaseProvider(opts(json, { ...FAST_PARAMS, signerKey: '' }, { signerKey: undefined })).check());
    expect(e.message).toMatch(/FIREBASE_SIGNER_KEY is not set/);
    expect(e.nextStep).toMatch(/--firebase-signer-key.*never written/);
    e = await expectedError(createFirebaseProvider(opts(json, { ...FAST_PARAMS, signerKey: 'not base64 at all!' })).check());
    expect(e.message).toMatch(/signer key is not base64/);
    e = await expectedError(createFirebaseProvider(opts(json, { ...FAST_PARAMS, rounds: 0 })).check());
    expect(e.message).toMatch(/rounds "0" is not a whole number from 1 to 8/);
    expect(() => firebaseSource.optionsFrom!({ 'firebase-disabled': 'maybe' }, dir, {})).toThrow(/--firebase-disabled maybe is not understood/);
  });

  it('a JSON export broken in the middle: the line, and the users before it staged', async () => {
    const text = fs.readFileSync(json, 'utf8').split('\n');
    const at = jsonLineOf(fixture, fixture.users[6].localId) + 2;
    text[at - 1] = `${text[at - 1]} oops`;
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, text.join('\n'));
    const staged: ExportBatch[] = [];
    const e = await expectedError(
      (async () => {
        for await (const b of createFirebaseProvider(opts(broken, FAST_PARAMS, { pageSize: 2 })).export({})) staged.push(b);
      })(),
    );
    expect(e.message).toBe(`broken.json is not valid JSON at line ${at}: ${e.message.split(`line ${at}: `)[1]}`);
    expect(e.nextStep).toMatch(/resume: the users staged are kept/);
    expect(all(staged, 'users').length).toBe(6);
    const notExport = path.join(dir, 'other.json');
    fs.writeFileSync(notExport, '{"accounts": []}');
    e.message = (await expectedError(exportAll(opts(notExport, FAST_PARAMS)))).message;
    expect(e.message).toMatch(/other\.json has no "users" array: it is not a firebase auth:export file/);
  });

  it('a malformed CSV row and a bad organizations file are located', async () => {
    const csv = path.join(dir, 'users.csv');
    writeCsvExport(csv, fixture);
    const lines = fs.readFileSync(csv, 'utf8').split('\n');
    // A blank line and a name with a line break in it before the bad row: lines are the file's.
    lines[1] = lines[1].replace(/^([^,]*,[^,]*,[^,]*,[^,]*,[^,]*,)[^,]*,/, '$1"Line\nBreak",');
    lines.splice(3, 0, '', 'just-a-uid');
    fs.writeFileSync(csv, lines.join('\n'));
    const batches = await exportAll(opts(csv, FAST_PARAMS));
    const issues = all(batches, 'issues');
    expect(issues.find((i) => i.location === 'users.csv:6')?.message).toMatch(/a row of 1 field; a Firebase CSV export has 26 to 28/);
    expect(all(batches, 'users')[3].origin).toBe(`firebase user ${fixture.users[3].localId} (users.csv:7)`);

    const orgs = path.join(dir, 'orgs.csv');
    fs.writeFileSync(orgs, `user,organization_id,organization_name,role\n${fixture.users[0].localId},,Acme,admin\n`);
    const orgIssues = all(await exportAll(opts(csv, FAST_PARAMS, { organizationsFile: orgs })), 'issues');
    expect(orgIssues.find((i) => i.location === 'orgs.csv:2')).toMatchObject({ field: 'organization_id', severity: 'error' });
    fs.writeFileSync(orgs, 'organization_id,role\norg_1,admin\n');
    const e = await expectedError(createFirebaseProvider(opts(csv, FAST_PARAMS, { organizationsFile: orgs })).check());
    expect(e.message).toMatch(/orgs\.csv has no user column/);
  });
});
