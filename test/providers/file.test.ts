import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { createFileProvider, inspectFile, type FileProviderOptions } from '../../src/providers/file/index.js';
import type { ExportBatch, SourceIssue, SourceMembership, SourceOrganization, SourceRole, SourceUser } from '../../src/providers/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes `content` to a fresh sub-directory as `name`; returns the path. */
function write(name: string, content: string | Buffer): string {
  const sub = path.join(dir, String(++counter));
  fs.mkdirSync(sub);
  const file = path.join(sub, name);
  fs.writeFileSync(file, content);
  return file;
}

interface Collected {
  batches: ExportBatch[];
  users: SourceUser[];
  organizations: SourceOrganization[];
  memberships: SourceMembership[];
  roles: SourceRole[];
  issues: SourceIssue[];
}

async function collect(options: FileProviderOptions, cursor?: string): Promise<Collected> {
  const out: Collected = { batches: [], users: [], organizations: [], memberships: [], roles: [], issues: [] };
  for await (const batch of createFileProvider(options).export({ cursor })) {
    out.batches.push(batch);
    out.users.push(...(batch.users ?? []));
    out.organizations.push(...(batch.organizations ?? []));
    out.memberships.push(...(batch.memberships ?? []));
    out.roles.push(...(batch.roles ?? []));
    out.issues.push(...(batch.issues ?? []));
  }
  return out;
}

async function failure(run: () => Promise<unknown>): Promise<ExpectedError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ExpectedError);
    return error as ExpectedError;
  }
  throw new Error('expected an ExpectedError');
}

/** The same ExpectedError from check() and from export(). */
async function fileError(options: FileProviderOptions): Promise<ExpectedError> {
  const fromCheck = await failure(() => createFileProvider(options).check());
  const fromExport = await failure(() => collect(options));
  expect(fromExport.message).toBe(fromCheck.message);
  return fromCheck;
}

const HEADER = 'id,email,first_name,last_name,email_verified,organization_id,organization_name,role';

describe('formats', () => {
  it('reads a CSV with a BOM and ; delimiters, guessing its columns', async () => {
    const file = write(
      'users.csv',
      '\uFEFFUser ID;Email;First Name;Last Name;Verified;Org Id;Company;Roles\r\n' +
        'u1;Ada@Example.com;Ada;Lovelace;yes;o1;Acme;admin\r\n' +
        'u2;bob@example.com;Bob;Ray;0;;;\r\n',
    );
    const provider = createFileProvider({ path: file });
    expect(await provider.check()).toEqual({ summary: 'users.csv: CSV (; separated), 8 columns, email column "Email"' });
    const inspection = await inspectFile(file);
    expect(inspection).toEqual({
      format: 'csv',
      delimiter: ';',
      columns: ['User ID', 'Email', 'First Name', 'Last Name', 'Verified', 'Org Id', 'Company', 'Roles'],
      mapping: {
        'User ID': 'id',
        Email: 'email',
        'First Name': 'first_name',
        'Last Name': 'last_name',
        Verified: 'email_verified',
        'Org Id': 'organization_id',
        Company: 'organization_name',
        Roles: 'role',
      },
      ignoredColumns: [],
      sampleRows: 2,
    });
    const { users, organizations, memberships, roles, issues, batches } = await collect({ path: file });
    expect(issues).toEqual([]);
    expect(users).toEqual([
      expect.objectContaining({ sourceId: 'u1', email: 'Ada@Example.com', firstName: 'Ada', lastName: 'Lovelace', emailVerified: true, origin: 'users.csv:2' }),
      expect.objectContaining({ sourceId: 'u2', email: 'bob@example.com', firstName: 'Bob', lastName: 'Ray', emailVerified: false, origin: 'users.csv:3' }),
    ]);
    expect(organizations).toEqual([{ sourceId: 'o1', name: 'Acme', domains: [], origin: 'users.csv:2' }]);
    expect(memberships).toEqual([{ userSourceId: 'u1', orgSourceId: 'o1', roles: ['admin'], origin: 'users.csv:2' }]);
    expect(roles).toEqual([{ slug: 'admin' }]);
    expect(batches.map((b) => [b.cursor, b.progress])).toEqual([['2', { done: 2, unit: 'rows' }]]);
  });

  it('reads tab-separated files (.tsv, and sniffed from the header of other files)', async () => {
    const content = 'email\tfirst_name\tlast_name\nada@example.com\tAda\tLovelace, Countess\n';
    for (const name of ['users.tsv', 'users.txt']) {
      const file = write(name, content);
      expect(await createFileProvider({ path: file }).check()).toEqual({ summary: `${name}: CSV (tab separated), 3 columns, email column "email"` });
      const { users } = await collect({ path: file });
      expect(users).toMatchObject([{ sourceId: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace, Countess', origin: `${name}:2` }]);
    }
    const pipes = write('pipes.csv', 'email|name\nada@example.com|Ada Lovelace\n');
    expect((await inspectFile(pipes)).delimiter).toBe('|');
  });

  it('keeps line breaks inside quoted values and locates rows on their first physical line', async () => {
    const file = write(
      'users.csv',
      'id,email,first_name,last_name\r\n' +
        '1,a@example.com,"Multi\r\nLine",A\r\n' +
        '2,b@example.com,"Say ""hi""",B\r\n' +
        '\r\n' +
        '3,c@example.com,"x\ny\nz",C\r\n' +
        '4,d@example.com,D,D\r\n',
    );
    const { users, issues } = await collect({ path: file });
    // A name is one line in WorkOS: the breaks become spaces, with a warning (see 'names').
    expect(issues.map((i) => [i.location, i.field, i.severity])).toEqual([
      ['users.csv:2', 'first_name', 'warning'],
      ['users.csv:6', 'first_name', 'warning'],
    ]);
    expect(users.map((u) => [u.sourceId, u.firstName, u.origin])).toEqual([
      ['1', 'Multi Line', 'users.csv:2'],
      ['2', 'Say "hi"', 'users.csv:4'],
      ['3', 'x y z', 'users.csv:6'],
      ['4', 'D', 'users.csv:9'],
    ]);
  });

  it('reads a JSON array: keys are columns, arrays are lists, element indexes are origins', async () => {
    const file = write(
      'users.json',
      JSON.stringify(
        [
          { localId: 'u1', email: 'ada@example.com', displayName: 'Ada King Lovelace', emailVerified: true, org_id: ['o1', 'o2'], roles: ['admin'] },
          { localId: 'u2', email: 'bob@example.com', displayName: 'Bob', emailVerified: 'no', org_id: 'o2', roles: 'member;viewer', extra: { a: 1 } },
          'not an object',
          { localId: 3, email: 'cy@example.com' },
        ],
        null,
        2,
      ),
    );
    expect(await createFileProvider({ path: file }).check()).toEqual({ summary: 'users.json: JSON array, 7 columns, email column "email"' });
    expect((await inspectFile(file)).mapping).toEqual({
      localId: 'id',
      email: 'email',
      displayName: 'name',
      emailVerified: 'email_verified',
      org_id: 'organization_id',
      roles: 'role',
    });
    const { users, memberships, organizations, issues, roles } = await collect({ path: file, map: { extra: 'metadata.extra' } });
    expect(users).toEqual([
      expect.objectContaining({ sourceId: 'u1', firstName: 'Ada King', lastName: 'Lovelace', emailVerified: true, origin: 'users.json[0]' }),
      expect.objectContaining({ sourceId: 'u2', firstName: 'Bob', lastName: undefined, emailVerified: false, metadata: { extra: '{"a":1}' }, origin: 'users.json[1]' }),
      expect.objectContaining({ sourceId: '3', email: 'cy@example.com', origin: 'users.json[3]' }),
    ]);
    expect(memberships).toEqual([
      { userSourceId: 'u1', orgSourceId: 'o1', roles: ['admin'], origin: 'users.json[0]' },
      { userSourceId: 'u1', orgSourceId: 'o2', roles: ['admin'], origin: 'users.json[0]' },
      { userSourceId: 'u2', orgSourceId: 'o2', roles: ['member', 'viewer'], origin: 'users.json[1]' },
    ]);
    expect(organizations.map((o) => [o.sourceId, o.name])).toEqual([
      ['o1', 'o1'],
      ['o2', 'o2'],
    ]);
    expect(roles.map((r) => r.slug)).toEqual(['admin', 'member', 'viewer']);
    expect(issues).toEqual([
      {
        location: 'users.json[2]',
        message: 'element 2 is a string, not an object; it was not imported.',
        recordKind: 'user',
        severity: 'error',
      },
    ]);
  });

  it('reads NDJSON line by line, skipping blank lines and reporting bad ones', async () => {
    const file = write(
      'users.ndjson',
      '{"email":"ada@example.com","first_name":"Ada"}\n' +
        '\n' +
        '{"email":"bob@example.com", oops}\n' +
        '["an","array"]\n' +
        '{"email":"cy@example.com","first_name":"Cy"}\r\n',
    );
    expect(await createFileProvider({ path: file }).check()).toEqual({ summary: 'users.ndjson: NDJSON, 2 columns, email column "email"' });
    const { users, issues, batches } = await collect({ path: file });
    expect(users.map((u) => [u.sourceId, u.firstName, u.origin])).toEqual([
      ['ada@example.com', 'Ada', 'users.ndjson:1'],
      ['cy@example.com', 'Cy', 'users.ndjson:5'],
    ]);
    expect(issues.map((i) => [i.location, i.message])).toEqual([
      ['users.ndjson:3', expect.stringMatching(/^line is not valid JSON \(.+\); it was not imported — each line must be one JSON object\.$/)],
      ['users.ndjson:4', 'line is an array, not a JSON object; it was not imported — each line must be one JSON object.'],
    ]);
    expect(batches.at(-1)?.cursor).toBe('4');
  });

  it('detects NDJSON saved as .json, and JSON arrays in files without an extension', async () => {
    const ndjson = write('users.json', '{"email":"ada@example.com"}\n{"email":"bob@example.com"}\n');
    expect(await createFileProvider({ path: ndjson }).check()).toEqual({ summary: 'users.json: NDJSON (one JSON object per line), 1 column, email column "email"' });
    expect((await collect({ path: ndjson })).users).toHaveLength(2);
    const array = write('export', '  [{"email":"ada@example.com"}]');
    expect((await inspectFile(array)).format).toBe('json');
    expect((await collect({ path: array })).users).toMatchObject([{ email: 'ada@example.com', origin: 'export[0]' }]);
  });
});

describe('mapping', () => {
  it('guesses common column names case- and punctuation-insensitively', async () => {
    const columns = [
      'uid', 'E-Mail Address', 'givenName', 'Surname', 'Full Name', 'emailVerified', 'passwordHash', 'hash_type',
      'Tenant ID', 'Company', 'Org Domains', 'ROLES', 'unrelated',
    ];
    const file = write('users.csv', `${columns.join(',')}\nu1,a@example.com,A,B,A B,true,h,bcrypt,t1,T,t.com,r,x\n`);
    expect((await inspectFile(file)).mapping).toEqual({
      uid: 'id',
      'E-Mail Address': 'email',
      givenName: 'first_name',
      Surname: 'last_name',
      'Full Name': 'name',
      emailVerified: 'email_verified',
      passwordHash: 'password_hash',
      hash_type: 'password_hash_type',
      'Tenant ID': 'organization_id',
      Company: 'organization_name',
      'Org Domains': 'organization_domains',
      ROLES: 'role',
    });
    const clerk = write('clerk.csv', 'id,first_name,last_name,username,primary_email_address,verified_email_addresses,password_digest,password_hasher\n');
    expect((await inspectFile(clerk).catch((e) => e)).message).toBe('clerk.csv has a header row but no data rows.');
  });

  it('applies --map overrides: other columns, metadata, ignore', async () => {
    const file = write('users.csv', 'id,mail_addr,email,nick,name,plan\n1,real@example.com,old@example.com,Addy,Ada Lovelace,pro\n');
    const map = { mail_addr: 'email', NICK: 'metadata.nickname', name: 'ignore', plan: 'metadata.plan' };
    expect((await inspectFile(file, { map })).mapping).toEqual({
      id: 'id',
      mail_addr: 'email',
      nick: 'metadata.nickname',
      plan: 'metadata.plan',
    });
    expect(await createFileProvider({ path: file, map }).check()).toEqual({ summary: 'users.csv: CSV (, separated), 6 columns, email column "mail_addr"' });
    const { users } = await collect({ path: file, map });
    expect(users).toEqual([
      {
        sourceId: '1',
        email: 'real@example.com',
        firstName: undefined,
        lastName: undefined,
        emailVerified: undefined,
        passwordHash: undefined,
        passwordHashType: undefined,
        metadata: { nickname: 'Addy', plan: 'pro' },
        origin: 'users.csv:2',
      },
    ]);
  });

  it('refuses an override naming an unknown column or field, listing the valid ones', async () => {
    const file = write('users.csv', 'id,email\n1,a@example.com\n');
    const column = await fileError({ path: file, map: { mail: 'email' } });
    expect(column.message).toBe('--map mail=email: users.csv has no column "mail".');
    expect(column.nextStep).toBe('Its columns are: "id", "email".');
    const field = await fileError({ path: file, map: { id: 'user_identifier' } });
    expect(field.message).toBe('--map id=user_identifier: "user_identifier" is not a field.');
    expect(field.nextStep).toBe(
      'Valid fields: id, email, first_name, last_name, name, email_verified, password_hash, password_hash_type, organization_id, organization_name, organization_domains, role, metadata, metadata.<key>, or ignore.',
    );
    const twice = await fileError({ path: file, map: { id: 'email', email: 'email' } });
    expect(twice.message).toBe('--map maps both "id" and "email" to email.');
  });
});

describe('people, organizations, memberships', () => {
  it('makes one user with a membership per row for repeated rows, and organizations once', async () => {
    const file = write(
      'users.csv',
      'id,email,first_name,organization_id,organization_name,organization_domains,role\n' +
        'u1,ada@example.com,Ada,o1,Acme,acme.com|acme.io,admin;billing\n' +
        'u1,ada@example.com,Ada,o2,Globex,,member\n' +
        'u2,bob@example.com,Bob,o1,Acme,acme.com,member\n' +
        'u3,cy@example.com,Cy,,,,\n',
    );
    const { users, organizations, memberships, roles, issues } = await collect({ path: file });
    expect(issues).toEqual([]);
    expect(users.map((u) => u.sourceId)).toEqual(['u1', 'u2', 'u3']);
    expect(organizations).toEqual([
      { sourceId: 'o1', name: 'Acme', domains: [{ domain: 'acme.com', state: 'pending' }, { domain: 'acme.io', state: 'pending' }], origin: 'users.csv:2' },
      { sourceId: 'o2', name: 'Globex', domains: [], origin: 'users.csv:3' },
    ]);
    expect(memberships).toEqual([
      { userSourceId: 'u1', orgSourceId: 'o1', roles: ['admin', 'billing'], origin: 'users.csv:2' },
      { userSourceId: 'u1', orgSourceId: 'o2', roles: ['member'], origin: 'users.csv:3' },
      { userSourceId: 'u2', orgSourceId: 'o1', roles: ['member'], origin: 'users.csv:4' },
    ]);
    expect(roles.map((r) => r.slug)).toEqual(['admin', 'billing', 'member']);
  });

  it('reads list columns: several organizations on one row, names paired with ids', async () => {
    const file = write('users.csv', 'email,org_id,org_name,roles\nada@example.com,o1|o2| o3 ,Acme|Globex|Initech,owner\n');
    const { users, organizations, memberships, issues } = await collect({ path: file });
    expect(issues).toEqual([]);
    expect(users).toHaveLength(1);
    expect(organizations.map((o) => [o.sourceId, o.name])).toEqual([
      ['o1', 'Acme'],
      ['o2', 'Globex'],
      ['o3', 'Initech'],
    ]);
    expect(memberships.map((m) => [m.userSourceId, m.orgSourceId, m.roles])).toEqual([
      ['ada@example.com', 'o1', ['owner']],
      ['ada@example.com', 'o2', ['owner']],
      ['ada@example.com', 'o3', ['owner']],
    ]);
  });

  it('identifies users by lowercased email without an id column, warning on case-only differences', async () => {
    const file = write('users.csv', 'email,name,org_id\nAda@Example.com,Ada Lovelace,o1\nbob@example.com,Bob,o1\nada@example.COM,Ada,o2\nAda@Example.com,Ada,o3\n');
    const { users, memberships, issues } = await collect({ path: file });
    expect(users.map((u) => [u.sourceId, u.email, u.firstName, u.lastName])).toEqual([
      ['ada@example.com', 'Ada@Example.com', 'Ada', 'Lovelace'],
      ['bob@example.com', 'bob@example.com', 'Bob', undefined],
      ['ada@example.com', 'ada@example.COM', 'Ada', undefined],
      ['ada@example.com', 'Ada@Example.com', 'Ada', undefined],
    ]);
    expect(memberships.map((m) => [m.userSourceId, m.orgSourceId])).toEqual([
      ['ada@example.com', 'o1'],
      ['bob@example.com', 'o1'],
      ['ada@example.com', 'o2'],
      ['ada@example.com', 'o3'],
    ]);
    expect(issues).toEqual([
      {
        location: 'users.csv:4',
        field: 'email',
        message: 'email differs only in case from line 2; treated as the same user',
        recordKind: 'user',
        sourceId: 'ada@example.com',
        severity: 'warning',
      },
    ]);
  });

  it('normalizes hash type names and detects the type of an untyped hash', async () => {
    const bcrypt = '$2b$10$' + 'a'.repeat(53);
    const file = write('users.csv', `email,password_hash,algorithm\na@example.com,${bcrypt},\nb@example.com,"$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",ARGON2ID\nc@example.com,5f4dcc3b,md5\n`);
    const { users } = await collect({ path: file });
    expect(users.map((u) => [u.passwordHashType, u.passwordHash?.slice(0, 9)])).toEqual([
      ['bcrypt', '$2b$10$aa'],
      ['argon2', '$argon2id'],
      ['md5', '5f4dcc3b'],
    ]);
  });
});

describe('cursor', () => {
  const rows = Array.from({ length: 10 }, (_, i) => `u${i + 1},user${i + 1}@example.com,F${i + 1},L${i + 1},true,o${i % 3},Org ${i % 3},member`);

  it('yields batches of batchSize rows, each with the rows consumed so far as cursor', async () => {
    const file = write('users.csv', `${HEADER}\n${rows.join('\n')}\n`);
    const { batches, users } = await collect({ path: file, batchSize: 3 });
    expect(batches.map((b) => [b.cursor, b.progress?.done, b.progress?.unit, b.progress?.total, b.users?.length])).toEqual([
      ['3', 3, 'rows', undefined, 3],
      ['6', 6, 'rows', undefined, 3],
      ['9', 9, 'rows', undefined, 3],
      ['10', 10, 'rows', undefined, 1],
    ]);
    expect(users).toHaveLength(10);
  });

  it('resumes after N rows: yields exactly the rows after N, bad rows counting as rows', async () => {
    const withBad = [...rows.slice(0, 3), 'u_bad,,no email,,,,,', ...rows.slice(3)];
    const file = write('users.csv', `${HEADER}\n${withBad.join('\n')}\n`);
    const full = await collect({ path: file, batchSize: 4 });
    expect(full.batches.map((b) => b.cursor)).toEqual(['4', '8', '11']);
    expect(full.issues.map((i) => i.location)).toEqual(['users.csv:5']);

    const resumed = await collect({ path: file, batchSize: 4 }, '4');
    expect(resumed.users.map((u) => u.sourceId)).toEqual(['u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10']);
    expect(resumed.users[0].origin).toBe('users.csv:6');
    expect(resumed.issues).toEqual([]);
    expect(resumed.batches.map((b) => b.cursor)).toEqual(['8', '11']);
    // Same batches as the uninterrupted run from there on.
    expect(resumed.batches).toEqual(full.batches.slice(1).map((b) => ({ ...b, organizations: expect.any(Array), roles: expect.any(Array) })));

    const midBatch = await collect({ path: file }, '2');
    expect(midBatch.users.map((u) => u.sourceId)).toEqual(['u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10']);
    expect(midBatch.issues.map((i) => i.location)).toEqual(['users.csv:5']);
    expect(midBatch.batches.at(-1)?.cursor).toBe('11');

    expect(await collect({ path: file }, '11')).toMatchObject({ batches: [], users: [] });
  });

  it('resumes NDJSON and JSON by the same row count', async () => {
    const objects = Array.from({ length: 5 }, (_, i) => ({ id: `u${i}`, email: `u${i}@example.com` }));
    const ndjson = write('users.ndjson', objects.map((o) => JSON.stringify(o)).join('\n\n'));
    expect((await collect({ path: ndjson }, '3')).users.map((u) => [u.sourceId, u.origin])).toEqual([
      ['u3', 'users.ndjson:7'],
      ['u4', 'users.ndjson:9'],
    ]);
    const json = write('users.json', JSON.stringify(objects));
    expect((await collect({ path: json }, '3')).users.map((u) => [u.sourceId, u.origin])).toEqual([
      ['u3', 'users.json[3]'],
      ['u4', 'users.json[4]'],
    ]);
  });

  it('still warns about case-only duplicates of rows skipped by the cursor', async () => {
    const file = write('users.csv', 'email,org_id\nAda@example.com,o1\nbob@example.com,o1\nADA@example.com,o2\n');
    const { users, issues } = await collect({ path: file }, '2');
    expect(users.map((u) => [u.sourceId, u.origin])).toEqual([['ada@example.com', 'users.csv:4']]);
    expect(issues).toMatchObject([{ location: 'users.csv:4', message: 'email differs only in case from line 2; treated as the same user' }]);
  });

  it('stops quietly when the signal is aborted', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `u${i},u${i}@example.com`);
    const file = write('users.csv', `id,email\n${lines.join('\n')}\n`);
    const controller = new AbortController();
    const cursors: string[] = [];
    for await (const batch of createFileProvider({ path: file, batchSize: 1000 }).export({ signal: controller.signal })) {
      cursors.push(batch.cursor!);
      controller.abort();
    }
    expect(cursors.length).toBeGreaterThan(0);
    expect(cursors.length).toBeLessThan(20);
    expect(cursors[0]).toBe('1000');
  });

  it('refuses a cursor past the end of the file or not a number', async () => {
    const file = write('users.csv', `${HEADER}\n${rows.slice(0, 2).join('\n')}\n`);
    const past = await failure(() => collect({ path: file }, '5'));
    expect(past.message).toBe('The saved export position (row 5) is past the end of users.csv (2 rows): the file changed since the export started.');
    const notNumber = await failure(() => collect({ path: file }, 'page_2'));
    expect(notNumber.message).toMatch(/^The saved export position "page_2" is not a row count/);
  });
});

describe('bad files (ExpectedError from check and export)', () => {
  it('missing file', async () => {
    const missing = path.join(dir, 'nope', 'users.csv');
    const error = await fileError({ path: missing });
    expect(error.message).toBe(`File not found: ${missing}`);
    expect(error.nextStep).toBe('Check the path.');
  });

  it('a directory', async () => {
    expect((await fileError({ path: dir })).message).toBe(`${dir} is a directory, not a file.`);
  });

  it('empty file (0 bytes), whitespace only, header only', async () => {
    expect((await fileError({ path: write('users.csv', '') })).message).toBe('users.csv is empty (0 bytes).');
    expect((await fileError({ path: write('users.csv', '\uFEFF \n\n') })).message).toBe('users.csv is empty (it holds only whitespace).');
    expect((await fileError({ path: write('users.csv', `${HEADER}\n`) })).message).toBe('users.csv has a header row but no data rows.');
    expect((await fileError({ path: write('users.csv', `${HEADER}\n\n\n`) })).message).toBe('users.csv has a header row but no data rows.');
    expect((await fileError({ path: write('users.json', ' [ ] ') })).message).toBe('users.json is an empty JSON array (no records).');
    expect((await fileError({ path: write('users.ndjson', '\n\n') })).message).toBe('users.ndjson is empty (it holds only whitespace).');
  });

  it('binary garbage: NUL bytes, invalid UTF-8, known binary formats', async () => {
    const garbage = Buffer.from([0x69, 0x64, 0x0a, 0x13, 0x00, 0xff, 0xfe, 0x01]);
    const nul = await fileError({ path: write('users.csv', garbage) });
    expect(nul.message).toBe('users.csv looks like a binary file (a NUL byte at offset 4), not CSV or JSON text.');
    const latin1 = await fileError({ path: write('users.csv', Buffer.from('email,name\nzoe@example.com,Zo\xe9\n', 'latin1')) });
    expect(latin1.message).toBe('users.csv is not UTF-8 text (byte 0xE9 at offset 29, line 2; Latin-1 / Windows-1252 perhaps, or a binary file).');
    expect(latin1.nextStep).toMatch(/iconv/);
    const zip = await fileError({ path: write('users.xlsx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00])) });
    expect(zip.message).toBe('users.xlsx is a ZIP archive (an Excel .xlsx workbook?), not CSV or JSON.');
    const utf16 = await fileError({ path: write('users.csv', Buffer.from('\uFEFFemail\n', 'utf16le')) });
    expect(utf16.message).toBe('users.csv is UTF-16 encoded, not UTF-8.');
  });

  it('no email column: lists the columns and suggests the one holding addresses', async () => {
    const file = write('users.csv', 'id,contact,name\n1,ada@example.com,Ada\n2,bob@example.com,Bob\n');
    const error = await fileError({ path: file });
    expect(error.message).toBe('users.csv has no email column (columns found: "id", "contact", "name").');
    // A UI inspects the file to let the operator choose: no error there.
    expect(await inspectFile(file)).toEqual({
      format: 'csv',
      delimiter: ',',
      columns: ['id', 'contact', 'name'],
      mapping: { id: 'id', name: 'name' },
      ignoredColumns: [{ column: 'contact', reason: expect.stringMatching(/^not a known field, so its values were not imported; map it with --map contact=FIELD/) }],
      sampleRows: 2,
    });
    expect(error.nextStep).toBe('Column "contact" holds email addresses: map it with --map contact=email.');
    const spaced = await fileError({ path: write('users.csv', 'id;Contact Addr\n1;ada@example.com\n') });
    expect(spaced.nextStep).toBe('Column "Contact Addr" holds email addresses: map it with --map "Contact Addr=email".');
    const none = await fileError({ path: write('users.csv', 'id,name\n1,Ada\n') });
    expect(none.nextStep).toBe('Map the column holding the email addresses with --map COLUMN=email (e.g. --map id=email).');
  });

  it('a CSV without a header line', async () => {
    const error = await fileError({ path: write('users.csv', '1,ada@example.com,Ada\n2,bob@example.com,Bob\n') });
    expect(error.message).toBe('users.csv: the first line looks like data, not a header (it holds "ada@example.com").');
  });

  it('invalid JSON in the head, with its position', async () => {
    const error = await fileError({ path: write('users.json', '[\n  {"email": "a@example.com"},\n  {"email": "b@example.com" "name": "B"}\n]\n') });
    // line 3 is `  {"email": "b@example.com" "name": "B"}`: the quote opening "name" is its 29th character
    expect(error.message).toBe("users.json is not valid JSON at line 3, column 29 (byte 60): expected ','.");
    const nan = await fileError({ path: write('users.json', '[{"email": "a@example.com", "age": NaN, "name": "a long enough tail"}]') });
    expect(nan.message).toBe('users.json is not valid JSON at line 1, column 36 (byte 35): expected a value.');
  });

  it('invalid JSON past the head: batches before it, then the error with its position', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `  {"id": "u${i}", "email": "user${i}@example.com"}`);
    lines[2500] = '  {"id": "u2500", "email": "user2500@example.com",}';
    const text = `[\n${lines.join(',\n')}\n]\n`;
    const file = write('users.json', text);
    expect(Buffer.byteLength(text.slice(0, text.indexOf('"u2500"')))).toBeGreaterThan(64 * 1024);
    await createFileProvider({ path: file }).check(); // the head is fine
    const staged: string[] = [];
    const error = await failure(async () => {
      for await (const batch of createFileProvider({ path: file, batchSize: 1000 }).export({})) staged.push(batch.cursor!);
    });
    const offset = Buffer.byteLength(text.slice(0, text.indexOf(',}') + 1));
    expect(error.message).toBe(`users.json is not valid JSON at line 2502, column 51 (byte ${offset}): unexpected token '}'.`);
    expect(staged).toEqual(['1000', '2000']);
  });

  it('truncated JSON', async () => {
    const error = await fileError({ path: write('users.json', '[\n{"email": "a@example.com"},\n{"email": "b@exa') });
    expect(error.message).toMatch(/^users\.json is not valid JSON: it ends \(line 3\) before the array is closed — is the file truncated\?/);
  });

  it('a JSON document that is not an array of objects', async () => {
    const object = await fileError({ path: write('users.json', '{\n  "users": [{"email": "a@example.com"}]\n}\n') });
    expect(object.message).toBe('users.json holds an object, not an array of objects.');
    expect(object.nextStep).toMatch(/^It has a "users" array \(a Firebase auth:export\?\)/);
    const strings = await fileError({ path: write('users.json', '["a@example.com", "b@example.com"]') });
    expect(strings.message).toBe('users.json is a JSON array, but not of objects (its first element is a string).');
    const scalar = await fileError({ path: write('users.json', '"a@example.com"') });
    expect(scalar.message).toBe('users.json holds a single value, not an array of objects.');
  });

  it('a file forced or named NDJSON that is not', async () => {
    const error = await fileError({ path: write('users.ndjson', 'email,name\na@example.com,A\n') });
    expect(error.message).toMatch(/^users\.ndjson does not look like NDJSON: line 1: line is not valid JSON/);
  });
});

describe('bad rows (issues; the row yields nothing; the rest goes on)', () => {
  it('a stray closing quote: the row is reported and the next line parsed normally', async () => {
    // Line 3's quotes happen to balance; line 5's do not: csv-parse alone would read the rest of
    // the file as the value of that one field.
    const file = write(
      'users.csv',
      'id,email,last_name\n1,a@example.com,A\n2,b@example.com,"O"Brien"\n3,c@example.com,C\n4,d@example.com,"O"Neil\n5,e@example.com,E\n6,f@example.com,F\n',
    );
    const { users, issues, batches } = await collect({ path: file });
    expect(users.map((u) => [u.sourceId, u.origin])).toEqual([
      ['1', 'users.csv:2'],
      ['3', 'users.csv:4'],
      ['5', 'users.csv:6'],
      ['6', 'users.csv:7'],
    ]);
    const message =
      'broken quoting: a closing double quote in column "last_name" is followed by other characters instead of a delimiter or the end of the line; the row was not imported — double the quotes inside quoted values ("a ""b"" c").';
    expect(issues).toEqual([
      { location: 'users.csv:3', message, recordKind: 'user', severity: 'error' },
      { location: 'users.csv:5', message, recordKind: 'user', severity: 'error' },
    ]);
    expect(batches.at(-1)?.cursor).toBe('6');
  });

  it('a quote inside an unquoted value', async () => {
    const file = write('users.csv', 'id,email,name\n1,a@example.com,Dwayne "The Rock" Johnson\n2,b@example.com,B\n');
    const { users, issues } = await collect({ path: file });
    expect(users.map((u) => [u.sourceId, u.origin])).toEqual([['2', 'users.csv:3']]);
    expect(issues).toMatchObject([
      {
        location: 'users.csv:2',
        message: expect.stringMatching(/^broken quoting: a double quote inside an unquoted value in column "name"; the row was not imported/),
      },
    ]);
  });

  it('a quote never closed: reported from the line it opens to the end', async () => {
    const file = write('users.csv', 'id,email\n1,a@example.com\n2,"b@example.com\n3,c@example.com\n4,d@example.com\n');
    const { users, issues, batches } = await collect({ path: file });
    expect(users.map((u) => u.sourceId)).toEqual(['1']);
    expect(issues).toMatchObject([
      {
        location: 'users.csv:3',
        message:
          'unclosed quote: the double-quoted value starting on line 3 is never closed, so lines 3–5 (to the end of the file) could not be read and were not imported; fix the quoting and export again.',
      },
    ]);
    expect(batches.at(-1)?.cursor).toBe('2');
  });

  it('a 10 MB field: "record larger than 1 MiB", without buffering it, and the rows after it', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    // Rows 3 and 4 are oversized in their last field; row 7 in its first, right after a row
    // with a quoting problem (so the search for its end starts before that row).
    const file = write(
      'users.csv',
      `id,email,bio\n1,a@example.com,short\n2,b@example.com,${big}\n3,c@example.com,"quoted\n${big}"\n4,d@example.com,after\n` +
        `5,e@example.com,a "quote" here\n${big},f@example.com,x\n7,g@example.com,end\n`,
    );
    const { users, issues, batches } = await collect({ path: file, map: { bio: 'metadata.bio' } });
    expect(users.map((u) => [u.sourceId, u.origin, u.metadata])).toEqual([
      ['1', 'users.csv:2', { bio: 'short' }],
      ['4', 'users.csv:6', { bio: 'after' }],
      ['7', 'users.csv:9', { bio: 'end' }],
    ]);
    const oversized = 'the row was not imported — a value this long usually means a missing closing quote or the wrong delimiter.';
    expect(issues.map((i) => [i.location, i.message])).toEqual([
      ['users.csv:3', `record larger than 1 MiB (line 3); ${oversized}`],
      ['users.csv:4', `record larger than 1 MiB (lines 4–5); ${oversized}`],
      ['users.csv:7', expect.stringMatching(/^broken quoting: a double quote inside an unquoted value in column "bio"/)],
      ['users.csv:8', `record larger than 1 MiB (line 8); ${oversized}`],
    ]);
    expect(batches.at(-1)?.cursor).toBe('7');
  });

  it('a row with a different number of fields than the header', async () => {
    const file = write('users.csv', 'id,email,name\n1,a@example.com,Smith, John\n2,b@example.com\n3,c@example.com,C\n   \n');
    const { users, issues } = await collect({ path: file });
    expect(users.map((u) => u.sourceId)).toEqual(['3']);
    expect(issues.map((i) => [i.location, i.message])).toEqual([
      ['users.csv:2', 'row has 4 field(s) but the header has 3; the row was not imported — a value containing the delimiter (,) must be in double quotes.'],
      ['users.csv:3', 'row has 2 field(s) but the header has 3; the row was not imported — is the row cut short, or a value with a line break left unquoted?'],
    ]);
  });

  it('missing or empty email, and an empty id', async () => {
    const file = write('users.csv', 'id,email,name\n1,,Ada\n2,   ,Bob\n,c@example.com,Cy\n,,\n4,d@example.com,Di\n');
    const { users, issues, batches } = await collect({ path: file });
    expect(users.map((u) => u.sourceId)).toEqual(['4']);
    expect(issues.map((i) => [i.location, i.field, i.severity, i.message])).toEqual([
      ['users.csv:2', 'email', 'error', 'missing email (column "email" is empty); the row was not imported — every user needs an email address.'],
      ['users.csv:3', 'email', 'error', 'missing email (column "email" is empty); the row was not imported — every user needs an email address.'],
      [
        'users.csv:4',
        'id',
        'error',
        'empty id (column "id"); every row needs one when an id column is mapped — fill it in, or drop the column with --map id=ignore to identify users by email. The row was not imported.',
      ],
    ]);
    expect(batches.at(-1)?.cursor).toBe('5');
  });

  it('an email_verified value that is not yes/no: imported unverified, with a warning', async () => {
    const file = write('users.csv', 'email,verified\na@example.com,TRUE\nb@example.com,N\nc@example.com,maybe\nd@example.com,\n');
    const { users, issues } = await collect({ path: file });
    expect(users.map((u) => [u.email, u.emailVerified])).toEqual([
      ['a@example.com', true],
      ['b@example.com', false],
      ['c@example.com', undefined],
      ['d@example.com', undefined],
    ]);
    expect(issues).toEqual([
      {
        location: 'users.csv:4',
        field: 'email_verified',
        message: '"maybe" in "verified" is not a yes/no value (use true/false, 1/0, yes/no, t/f or y/n); the user is imported as not verified.',
        recordKind: 'user',
        sourceId: 'c@example.com',
        severity: 'warning',
      },
    ]);
  });

  it('leaves invalid emails to validation (the provider yields them as they are)', async () => {
    const file = write('users.csv', 'email\nnot-an-email\n');
    const { users, issues } = await collect({ path: file });
    expect(users).toMatchObject([{ sourceId: 'not-an-email', email: 'not-an-email' }]);
    expect(issues).toEqual([]);
  });
});
