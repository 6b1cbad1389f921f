/**
 * The file source carries what the file holds, or says what it does not (issue 7): nested
 * metadata, `metadata.KEY` columns, ignored columns named, `|` lists of organization names,
 * duplicate column names, prototype-named columns and deep JSON, names spanning lines, a file
 * that changes while it is read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileProvider, inspectFile } from '../../src/providers/file/index.js';
import type { ExportBatch } from '../../src/providers/types.js';
import { collect, failure, fileError, fileWriter } from '../file/util.js';

const files = fileWriter();
afterAll(() => files.cleanup());
const write = files.write;

const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('metadata', () => {
  it('flattens a nested metadata object (NDJSON and JSON) with dots, non-strings as JSON', async () => {
    const records = [
      {
        id: 'u1',
        email: 'ada@example.com',
        metadata: { plan: 'pro', seats: 3, beta: true, tags: ['a', 'b'], prefs: { theme: 'dark', alerts: { email: false } }, gone: null, empty: {} },
      },
      { id: 'u2', email: 'bob@example.com', metadata: {} },
    ];
    const expected = { plan: 'pro', seats: '3', beta: 'true', tags: '["a","b"]', 'prefs.theme': 'dark', 'prefs.alerts.email': 'false' };
    for (const file of [write('users.ndjson', ndjson(records)), write('users.json', JSON.stringify(records))]) {
      expect((await inspectFile(file)).mapping).toEqual({ id: 'id', email: 'email', metadata: 'metadata' });
      const { users, issues, ignoredColumns } = await collect({ path: file });
      expect(issues).toEqual([]);
      expect(ignoredColumns).toEqual([]);
      expect(users.map((u) => [u.sourceId, u.metadata && { ...u.metadata }])).toEqual([
        ['u1', expected],
        ['u2', undefined],
      ]);
    }
  });

  it('flattens JSON text in a CSV metadata column; plain text is kept under the column name', async () => {
    const file = write(
      'users.csv',
      'email,metadata\n' +
        'a@example.com,"{""plan"":""pro"",""limits"":{""seats"":5}}"\n' +
        'b@example.com,VIP customer\n' +
        'c@example.com,"{not json"\n',
    );
    const { users, issues } = await collect({ path: file });
    expect(users.map((u) => u.metadata && { ...u.metadata })).toEqual([{ plan: 'pro', 'limits.seats': '5' }, { metadata: 'VIP customer' }, { metadata: '{not json' }]);
    expect(issues).toMatchObject([
      { location: 'users.csv:4', field: 'metadata', severity: 'warning', message: expect.stringMatching(/^"metadata" starts like a JSON object but is not valid JSON/) },
    ]);
  });

  it('reads metadata.KEY columns without --map, and they win over a nested key of the same name', async () => {
    const file = write('users.csv', 'email,metadata.plan,Metadata.Region,metadata\na@example.com,pro,eu,"{""plan"":""free"",""x"":""1""}"\n');
    expect((await inspectFile(file)).mapping).toEqual({ email: 'email', 'metadata.plan': 'metadata.plan', 'Metadata.Region': 'metadata.Region', metadata: 'metadata' });
    const { users, issues } = await collect({ path: file });
    expect({ ...users[0].metadata }).toEqual({ plan: 'pro', Region: 'eu', x: '1' });
    expect(issues).toEqual([
      {
        location: 'users.csv:2',
        field: 'metadata.plan',
        message: `metadata key "plan" from "metadata" was left out: the key is already set (by a metadata.KEY column, the source's own fields or an earlier metadata object); the first value was kept.`,
        recordKind: 'user',
        sourceId: 'a@example.com',
        severity: 'warning',
      },
    ]);
  });

  it("drops the nested keys WorkOS cannot hold, each in a warning naming the user, the key and why; the user is imported", async () => {
    const many = Object.fromEntries(Array.from({ length: 53 }, (_, i) => [`k${i}`, 'v']));
    const records = [
      {
        id: 'u1',
        email: 'ada@example.com',
        metadata: { ok: 'yes', ['long'.repeat(11)]: 'x', bio: 'b'.repeat(601), deep: { ['n'.repeat(38)]: { a: 1 } } },
      },
      { id: 'u2', email: 'bob@example.com', metadata: many },
    ];
    const { users, issues } = await collect({ path: write('users.ndjson', ndjson(records)) });
    expect(users.map((u) => u.sourceId)).toEqual(['u1', 'u2']);
    expect({ ...users[0].metadata }).toEqual({ ok: 'yes' });
    expect(Object.keys(users[1].metadata!)).toHaveLength(50);
    expect(issues.map((i) => [i.location, i.sourceId, i.field, i.severity, i.message])).toEqual([
      [
        'users.ndjson:1',
        'u1',
        `metadata.${'long'.repeat(11)}`,
        'warning',
        `metadata key "${'long'.repeat(11)}" from "metadata" was left out: the key is 44 characters, WorkOS allows at most 40; shorten it at the source.`,
      ],
      ['users.ndjson:1', 'u1', 'metadata.bio', 'warning', 'metadata key "bio" from "metadata" was left out: its value is 601 characters, WorkOS allows at most 600; shorten it at the source.'],
      [
        'users.ndjson:1',
        'u1',
        `metadata.deep.${'n'.repeat(38)}.*`,
        'warning',
        `metadata key "deep.${'n'.repeat(38)}.*" from "metadata" was left out: the keys under "deep.${'n'.repeat(38)}" would be over 40 characters once flattened (WorkOS allows at most 40); shorten the keys at the source.`,
      ],
      [
        'users.ndjson:2',
        'u2',
        'metadata',
        'warning',
        'metadata from "metadata": WorkOS allows at most 50 metadata keys and the record already has 50, so 3 keys were left out: "k50", "k51", "k52".',
      ],
    ]);
  });

  it('names every column it does not read, with why and the --map that would read it', async () => {
    const file = write('users.csv', 'email,plan,Email Address,metadata.,notes\na@example.com,pro,x@example.com,m,n\n');
    const { ignoredColumns, batches } = await collect({ path: file, map: { notes: 'ignore' } });
    expect(ignoredColumns).toEqual([
      {
        column: 'plan',
        reason:
          "not a known field, so its values were not imported; map it with --map plan=FIELD (id, email, first_name, last_name, name, email_verified, password_hash, password_hash_type, organization_id, organization_name, organization_domains, role, metadata), or keep it in the user's metadata with --map plan=metadata.plan",
      },
      {
        column: 'Email Address',
        reason: 'looks like email, but email is read from column "email", so its values were not imported; to read this column instead, --map "Email Address=email"',
      },
      { column: 'metadata.', reason: 'a metadata column without a key after "metadata.", so its values were not imported; map it with --map metadata.=metadata.KEY' },
      { column: 'notes', reason: 'ignored with --map notes=ignore' },
    ]);
    // Named once, in the first batch.
    expect(batches[0].ignoredColumns).toHaveLength(4);
  });

  it('names JSON keys first seen past the head, and reads them when --map names them', async () => {
    const head = Array.from({ length: 2000 }, (_, i) => ({ id: `u${i}`, email: `user${i}@example.com`, padding: 'p'.repeat(40) }));
    const late = { id: 'late', email: 'late@example.com', phone: '+1 555 0100', first_name: 'Lea' };
    for (const [name, content] of [
      ['users.json', JSON.stringify([...head, late])],
      ['users.ndjson', ndjson([...head, late])],
    ] as const) {
      const file = write(name, content);
      expect(Buffer.byteLength(content)).toBeGreaterThan(64 * 1024);
      const plain = await collect({ path: file });
      const at = name === 'users.json' ? 'users.json[2000]' : 'users.ndjson:2001';
      expect(plain.ignoredColumns).toEqual([
        { column: 'padding', reason: expect.stringMatching(/^not a known field/) },
        { column: 'phone', reason: expect.stringMatching(new RegExp(`^first seen at ${at.replace(/[[\]]/g, '\\$&')}, past the first records the columns were read from, so its values were not imported; map it with --map phone=FIELD .* to read it$`)) },
        { column: 'first_name', reason: `first seen at ${at}, past the first records the columns were read from, so its values were not imported; map it with --map first_name=first_name to read it` },
      ]);
      const mapped = await collect({ path: file, map: { phone: 'metadata.phone', first_name: 'first_name', fax: 'metadata.fax' } });
      expect(mapped.users.at(-1)).toMatchObject({ sourceId: 'late', firstName: 'Lea', metadata: { phone: '+1 555 0100' } });
      expect(mapped.ignoredColumns.map((c) => c.column)).toEqual(['padding']);
      expect(mapped.issues).toEqual([
        {
          location: name,
          field: 'fax',
          message: `--map names the key "fax", but no record in ${name} has it, so nothing was read from it — check its spelling (keys are case-sensitive).`,
          severity: 'warning',
        },
      ]);
    }
  });

  it('refuses a metadata.KEY column whose key is over 40 characters before reading, naming the --map way out', async () => {
    const key = 'k'.repeat(41);
    const error = await fileError({ path: write('users.csv', `email,metadata.${key}\na@example.com,v\n`) });
    expect(error.message).toBe(`users.csv: column "metadata.${key}" names metadata key "${key}", 41 characters; WorkOS allows at most 40.`);
    expect(error.nextStep).toBe(`Rename the column, or map it to a shorter key (--map metadata.${key}=metadata.${'k'.repeat(40)}), or leave it out (--map metadata.${key}=ignore).`);
    const { users } = await collect({ path: write('users.csv', `email,metadata.${key}\na@example.com,v\n`), map: { [`metadata.${key}`]: 'metadata.short' } });
    expect({ ...users[0].metadata }).toEqual({ short: 'v' });
  });
});

describe('organization names', () => {
  it('splits a | list of names when there is no id column: one organization and one membership each', async () => {
    const file = write('users.csv', 'email,company,role\nada@example.com,Acme| Globex |Initech,admin\nbob@example.com,Acme,member\n');
    const { organizations, memberships, issues } = await collect({ path: file });
    expect(issues).toEqual([]);
    expect(organizations.map((o) => [o.sourceId, o.name])).toEqual([
      ['Acme', 'Acme'],
      ['Globex', 'Globex'],
      ['Initech', 'Initech'],
    ]);
    expect(memberships.map((m) => [m.userSourceId, m.orgSourceId, m.roles])).toEqual([
      ['ada@example.com', 'Acme', ['admin']],
      ['ada@example.com', 'Globex', ['admin']],
      ['ada@example.com', 'Initech', ['admin']],
      ['bob@example.com', 'Acme', ['member']],
    ]);
  });
});

describe('duplicate column names', () => {
  it('refuses the file before reading it, naming the column and both positions', async () => {
    const error = await fileError({ path: write('users.csv', 'id,email,name,email\n1,a@example.com,Ada,b@example.com\n') });
    expect(error.message).toBe('users.csv: the header names a column more than once: "email" (columns 2 and 4); the values of all but one would be dropped.');
    expect(error.nextStep).toBe('Give each column its own name in the header (e.g. rename column 4 to "email 2"; map it with --map if it holds a field you need), then run again.');
    const several = await fileError({ path: write('users.tsv', 'email\tnote\t note \temail\tnote\n') });
    expect(several.message).toBe(
      'users.tsv: the header names columns more than once: "email" (columns 1 and 4), "note" (columns 2, 3 and 5); the values of all but one would be dropped.',
    );
  });
});

describe('column names that are Object.prototype members', () => {
  const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

  it('CSV: such columns are columns like any other (ignored and named, or mapped)', async () => {
    const file = write('users.csv', `email,${names.join(',')}\na@example.com,c,p,t,h,v\n`);
    expect(await createFileProvider({ path: file }).check()).toEqual({ summary: 'users.csv: CSV (, separated), 6 columns, email column "email"' });
    const inspection = await inspectFile(file);
    expect({ ...inspection.mapping }).toEqual({ email: 'email' });
    const plain = await collect({ path: file });
    expect(plain.users).toHaveLength(1);
    expect(plain.ignoredColumns.map((c) => c.column)).toEqual(names);
    const map = Object.fromEntries(names.map((n) => [n, `metadata.${n}`]));
    const mapped = await collect({ path: file, map });
    expect(Object.entries(mapped.users[0].metadata!)).toEqual([
      ['constructor', 'c'],
      ['__proto__', 'p'],
      ['toString', 't'],
      ['hasOwnProperty', 'h'],
      ['valueOf', 'v'],
    ]);
  });

  it('JSON and NDJSON: a __proto__ key is a key, not the record prototype; the email column may be named constructor', async () => {
    const text = '{"constructor": "a@example.com", "__proto__": {"email": "spoof@example.com"}, "toString": "t"}';
    for (const [name, content] of [
      ['users.json', `[${text}]`],
      ['users.ndjson', `${text}\n`],
    ]) {
      const file = write(name, content);
      expect((await inspectFile(file)).columns).toEqual(['constructor', '__proto__', 'toString']);
      const { users, ignoredColumns } = await collect({ path: file, map: { constructor: 'email', ['__proto__']: 'metadata' } });
      expect(users.map((u) => [u.email, u.metadata && { ...u.metadata }])).toEqual([['a@example.com', { email: 'spoof@example.com' }]]);
      expect(ignoredColumns.map((c) => c.column)).toEqual(['toString']);
    }
  });

  it('a hash type named constructor is an unknown type, not Object', async () => {
    const { users } = await collect({ path: write('users.csv', 'email,password_hash,password_hash_type\na@example.com,xyz,constructor\n') });
    expect(users[0].passwordHashType).toBe('constructor');
  });
});

describe('deeply nested JSON', () => {
  const deep = (levels: number) => {
    let text = '"bottom"';
    for (let i = 0; i < levels; i++) text = i % 2 ? `[${text}]` : `{"a":${text}}`;
    return text;
  };

  it('a value 5,000 levels deep in a mapped key: that row is refused at its location, the others imported', async () => {
    const lines = ['{"email":"a@example.com"}', `{"email":"b@example.com","metadata":${deep(5000)}}`, `{"email":"c@example.com","bio":${deep(5000)}}`, '{"email":"d@example.com"}'];
    for (const [name, content, at] of [
      ['users.ndjson', `${lines.join('\n')}\n`, 'users.ndjson:2'],
      ['users.json', `[${lines.join(',\n')}]`, 'users.json[1]'],
    ]) {
      const { users, issues, ignoredColumns } = await collect({ path: write(name, content) });
      expect(users.map((u) => u.email)).toEqual(['a@example.com', 'c@example.com', 'd@example.com']);
      expect(issues).toEqual([
        {
          location: at,
          field: 'metadata',
          message:
            'the value of "metadata" is nested more than 100 levels deep (objects or arrays inside each other); the row was not imported — flatten that value at the source, or leave the key out with --map metadata=ignore.',
          recordKind: 'user',
          severity: 'error',
        },
      ]);
      // Unmapped, the deep value is never turned into text: named as ignored, no crash.
      expect(ignoredColumns.map((c) => c.column)).toContain('bio');
    }
  });

  it('deep JSON text in a CSV metadata column does not overflow either: the key is left out, the user imported', async () => {
    let objects = '"bottom"';
    for (let i = 0; i < 5000; i++) objects = `{"a":${objects}}`;
    const file = write('users.csv', `email,metadata\na@example.com,"${deep(5001).replace(/"/g, '""')}"\nb@example.com,"${objects.replace(/"/g, '""')}"\n`);
    const { users, issues } = await collect({ path: file });
    expect(users.map((u) => [u.email, u.metadata])).toEqual([
      ['a@example.com', undefined],
      ['b@example.com', undefined],
    ]);
    expect(issues).toMatchObject([
      { location: 'users.csv:2', field: 'metadata.a', severity: 'warning', message: 'metadata key "a" from "metadata" was left out: its value is nested more than 100 levels deep.' },
      { location: 'users.csv:3', field: `metadata.${'a.'.repeat(20)}a.*`, severity: 'warning', message: expect.stringContaining('would be over 40 characters once flattened') },
    ]);
  });
});

describe('names with line breaks', () => {
  it('collapses line breaks and tabs in first, last and full names to one space, with a warning', async () => {
    const file = write(
      'users.csv',
      'email,first_name,last_name\r\na@example.com,"Mary\r\nAnn","Smith\t Jr "\r\nb@example.com,Bob,"Ray\n\n Jones"\r\n',
    );
    const { users, issues } = await collect({ path: file });
    expect(users.map((u) => [u.firstName, u.lastName])).toEqual([
      ['Mary Ann', 'Smith Jr'],
      ['Bob', 'Ray Jones'],
    ]);
    expect(issues).toEqual([
      {
        location: 'users.csv:2',
        field: 'first_name',
        message: '"first_name" holds a line break or tab ("Mary\\r\\nAnn"); imported as "Mary Ann", on one line.',
        recordKind: 'user',
        sourceId: 'a@example.com',
        severity: 'warning',
      },
      expect.objectContaining({ location: 'users.csv:2', field: 'last_name', severity: 'warning' }),
      expect.objectContaining({ location: 'users.csv:4', field: 'last_name', severity: 'warning' }),
    ]);
    const full = await collect({ path: write('users.ndjson', '{"email":"c@example.com","name":"Cy\\nLee"}\n') });
    expect(full.users.map((u) => [u.firstName, u.lastName])).toEqual([['Cy', 'Lee']]);
    expect(full.issues).toMatchObject([{ field: 'name', severity: 'warning', message: '"name" holds a line break or tab ("Cy\\nLee"); imported as "Cy Lee", on one line.' }]);
  });
});

describe('a file that changes while it is read', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => `u${i},user${i}@example.com,First${i},Last${i}`).join('\n');

  /** Exports `file`, calling `change` once the first batch is out; returns the error. */
  async function changedDuringExport(file: string, change: () => void, format?: 'csv' | 'json' | 'ndjson') {
    const batches: ExportBatch[] = [];
    const error = await failure(async () => {
      for await (const batch of createFileProvider({ path: file, batchSize: 100, format }).export({})) {
        batches.push(batch);
        if (batches.length === 1) change();
      }
    });
    return { error, batches };
  }

  it('truncated: an ExpectedError naming the file, before the last batch', async () => {
    const file = write('users.csv', `id,email,first_name,last_name\n${rows(20_000)}\n`);
    const size = fs.statSync(file).size;
    const { error, batches } = await changedDuringExport(file, () => fs.truncateSync(file, 300_000));
    expect(error.message).toBe(
      `users.csv changed while it was being read: it shrank from ${size.toLocaleString('en-US')} bytes to 300,000 bytes (truncated?), so the rows read from it may be incomplete or mixed.`,
    );
    expect(error.nextStep).toBe('Run the migration again once users.csv is complete and no longer changing (copy it somewhere else first if it is still being written).');
    expect(batches.length).toBeLessThan(200);
  });

  it('replaced by another file, or still being written: the same', async () => {
    const file = write('users.ndjson', rows(3000).split('\n').map((r) => JSON.stringify({ email: r.split(',')[1] })).join('\n') + '\n');
    const replaced = await changedDuringExport(file, () => {
      fs.writeFileSync(`${file}.new`, '{"email":"other@example.com"}\n');
      fs.renameSync(`${file}.new`, file);
    });
    expect(replaced.error.message).toMatch(/^users\.ndjson changed while it was being read: it was replaced by another file, so the rows/);

    const growing = write('users.json', JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ email: `g${i}@example.com` }))));
    const grown = await changedDuringExport(growing, () => fs.appendFileSync(growing, '\n'));
    expect(grown.error.message).toMatch(/^users\.json changed while it was being read: it grew from [\d,]+ bytes to [\d,]+ bytes \(still being written\?\)/);

    const deleted = write('users.csv', `email\n${rows(500).split('\n').map((r) => r.split(',')[1]).join('\n')}\n`);
    const gone = await changedDuringExport(deleted, () => fs.rmSync(deleted));
    expect(gone.error.message).toMatch(/^users\.csv changed while it was being read: it was deleted or moved away/);
  });

  it('a JSON file cut short is reported as changed, not as malformed', async () => {
    const text = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ email: `j${i}@example.com`, name: `Name ${i}` })));
    const file = write('users.json', text);
    const { error } = await changedDuringExport(file, () => fs.truncateSync(file, 400_000));
    expect(error.message).toMatch(/^users\.json changed while it was being read: it shrank from/);
  });

  it('an unchanged file reads to the end', async () => {
    const file = write('users.csv', `id,email,first_name,last_name\n${rows(500)}\n`);
    const { users } = await collect({ path: file, batchSize: 100 });
    expect(users).toHaveLength(500);
    expect(path.basename(file)).toBe('users.csv');
  });
});
