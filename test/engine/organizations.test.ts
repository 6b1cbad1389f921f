import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';

describe('organizations', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('are looked up before they are created; a domain WorkOS refuses is left out and reported, and the organization and its members go in', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'users.csv');
    fs.writeFileSync(
      file,
      [
        'id,email,organization_id,organization_name,organization_domains,role',
        // Two domains, one a consumer domain WorkOS refuses (its answer does not say which).
        'u1,u1@acme.example.com,o-mixed,Mixed Co,gmail.com|acme.example.com,admin',
        // Only a consumer domain.
        'u2,u2@example.net,o-public,Public Co,yahoo.com,member',
        // Already in WorkOS on a fresh journal: found by its external id, never sent to create.
        'u3,u3@there.example.com,o-there,There Co,there.example.com,member',
      ].join('\n'),
    );
    const there = sandbox.seedOrganization({ name: 'There Co', external_id: 'o-there', domains: ['there.example.com'] });
    const journalPath = path.join(dir, 'orgs.db');
    const result = await runCli(['run', '--file', file, '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/organizations: 2 created, 1 adopted, 0 failed/);
    expect(result.stderr).toMatch(/memberships: 3 created/);

    // Every create succeeded at the first try: nothing relied on a conflict answer.
    expect(sandbox.stats().byRoute['POST /organizations']).toEqual({ 201: 2, 422: 2 });
    const orgs = new Map([...sandbox.state.organizations.values()].map((o) => [o.external_id, o]));
    expect(orgs.size).toBe(3);
    expect(orgs.get('o-mixed')!.domains.map((d) => d.domain)).toEqual(['acme.example.com']);
    expect(orgs.get('o-public')!.domains).toEqual([]);
    expect(orgs.get('o-there')!.id).toBe(there.id);
    expect(sandbox.state.memberships.size).toBe(3);

    const journal = Journal.open(journalPath);
    const issues = journal.all<{ severity: string; record_kind: string; source_id: string; field: string; message: string }>(
      `SELECT severity, record_kind, source_id, field, message FROM issues WHERE field = 'domains' ORDER BY source_id`,
    );
    const notes = journal.all<{ source_id: string; last_error: string | null }>(`SELECT source_id, last_error FROM organizations ORDER BY source_id`);
    journal.close();
    expect(issues.map((i) => [i.severity, i.record_kind, i.source_id, i.field])).toEqual([
      ['warning', 'organization', 'o-mixed', 'domains'],
      ['warning', 'organization', 'o-public', 'domains'],
    ]);
    expect(issues[0].message).toMatch(/^WorkOS refused the domain gmail\.com .*Mixed Co was created without it/);
    expect(issues[1].message).toMatch(/^WorkOS refused the domain yahoo\.com /);
    expect(notes).toEqual([
      { source_id: 'o-mixed', last_error: 'created without the domain WorkOS refused: gmail.com' },
      { source_id: 'o-public', last_error: 'created without the domain WorkOS refused: yahoo.com' },
      { source_id: 'o-there', last_error: null },
    ]);
    // It reaches the report.
    expect(fs.readFileSync(path.join(dir, 'orgs.reports', 'summary.md'), 'utf8')).toMatch(/gmail\.com/);
  });
});
