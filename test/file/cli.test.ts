/**
 * Issue 7 end to end: `workos-migrate run --source file` (the real CLI in process, the export
 * worker, a real journal) against the built-in sandbox. What the file holds reaches WorkOS, or
 * the run says what did not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxUser } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';

let sandbox: Sandbox;
const dirs: string[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ limits: FAST_LIMITS });
});
afterAll(async () => {
  await sandbox.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function run(fileName: string, content: string, extra: string[] = []) {
  const dir = tempDir('wm-file-cli-');
  dirs.push(dir);
  const file = path.join(dir, fileName);
  fs.writeFileSync(file, content);
  const journal = path.join(dir, 'run.db');
  const result = await runCli(['run', '--source', 'file', '--file', file, '--journal', journal, ...rateFlags(FAST_LIMITS), ...extra], {
    cwd: dir,
    env: sandboxEnv(sandbox),
  });
  const failuresPath = path.join(dir, 'run.reports', 'failures.csv');
  const failures = fs.existsSync(failuresPath) ? (parseCsv(fs.readFileSync(failuresPath, 'utf8'), { columns: true }) as Record<string, string>[]) : [];
  return { ...result, dir, journal, failures };
}

function user(email: string): SandboxUser | undefined {
  return [...sandbox.state.users.values()].find((u) => u.email.toLowerCase() === email.toLowerCase());
}

function membershipsOf(email: string): string[] {
  const u = user(email)!;
  const orgs = new Map([...sandbox.state.organizations.values()].map((o) => [o.id, o]));
  return [...sandbox.state.memberships.values()]
    .filter((m) => m.user_id === u.id)
    .map((m) => `${orgs.get(m.organization_id)!.external_id}=${orgs.get(m.organization_id)!.name}`)
    .sort();
}

describe('a CSV export carried faithfully', () => {
  it('metadata (columns and a JSON object), a name on two lines, a | list of organization names, prototype-named columns, a mailto: email', async () => {
    const r = await run(
      'users.csv',
      'id,email,first_name,last_name,company,metadata.plan,constructor,toString,metadata\r\n' +
        'c1,c1@example.com,"Mary\r\nAnn",Lee,Acme C1|Globex C1,pro,x,y,"{""prefs"":{""theme"":""dark""},""seats"":3}"\r\n' +
        'c2,mailto:c2@example.com,Bob,Ray,,free,,,\r\n',
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/workos-migrate bug|^\s+at /m);
    const ada = user('c1@example.com');
    expect(ada).toMatchObject({ external_id: 'c1', first_name: 'Mary Ann', last_name: 'Lee', metadata: { plan: 'pro', 'prefs.theme': 'dark', seats: '3' } });
    expect(membershipsOf('c1@example.com')).toEqual(['Acme C1=Acme C1', 'Globex C1=Globex C1']);
    expect(r.failures).toEqual([
      expect.objectContaining({
        source_id: 'c2',
        origin: 'users.csv:4',
        reason: 'email: "mailto:c2@example.com" is a mailto: link, not an email address; remove the "mailto:" prefix at the source (the address is c2@example.com).',
      }),
    ]);
    const journal = Journal.open(r.journal);
    try {
      expect(journal.getMeta('ignored_columns')).toEqual([
        { column: 'constructor', reason: expect.stringMatching(/^not a known field, so its values were not imported; map it with --map constructor=FIELD/) },
        { column: 'toString', reason: expect.stringMatching(/^not a known field/) },
      ]);
    } finally {
      journal.close();
    }
  });

  it('a column named twice: one line naming the file, the column and both positions; nothing written', async () => {
    const r = await run('users.csv', 'id,email,name,email\nd1,d1@example.com,Dee,d1-other@example.com\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      '✖ users.csv: the header names a column more than once: "email" (columns 2 and 4); the values of all but one would be dropped. Give each column its own name in the header (e.g. rename column 4 to "email 2"; map it with --map if it holds a field you need), then run again.\n',
    );
    expect(fs.readdirSync(r.dir).filter((f) => f.startsWith('run.'))).toEqual([]);
    expect(user('d1@example.com')).toBeUndefined();
  });
});

describe('a JSON export carried faithfully', () => {
  it('nested metadata flattened (a key over the limits left out, the user imported), a 5,000-level value refused at its row', async () => {
    let deep = '"x"';
    for (let i = 0; i < 5000; i++) deep = `{"a":${deep}}`;
    const lines = [
      JSON.stringify({ id: 'j1', email: 'j1@example.com', name: 'Jo\nKing', metadata: { tier: 'gold', address: { city: 'Oslo' }, ['k'.repeat(41)]: 'v' }, ['__proto__']: 'p' }),
      `{"id":"j2","email":"j2@example.com","metadata":${deep}}`,
      JSON.stringify({ id: 'j3', email: 'j3@example.com', constructor: 'c' }),
    ];
    const r = await run('users.ndjson', `${lines.join('\n')}\n`);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/workos-migrate bug|Maximum call stack|^\s+at /m);
    expect(user('j1@example.com')).toMatchObject({ external_id: 'j1', first_name: 'Jo', last_name: 'King', metadata: { tier: 'gold', 'address.city': 'Oslo' } });
    expect(user('j3@example.com')).toMatchObject({ external_id: 'j3' });
    expect(user('j2@example.com')).toBeUndefined();
    expect(r.failures).toEqual([
      expect.objectContaining({
        origin: 'users.ndjson:2',
        reason: expect.stringContaining('the value of "metadata" is nested more than 100 levels deep (objects or arrays inside each other); the row was not imported'),
      }),
    ]);
    const journal = Journal.open(r.journal);
    try {
      expect((journal.getMeta('ignored_columns') as { column: string }[]).map((c) => c.column)).toEqual(['__proto__', 'constructor']);
    } finally {
      journal.close();
    }
  });
});
