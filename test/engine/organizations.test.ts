import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { importInto, lostAnswer, stagedJournal, targetOptions } from './util.js';

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
    expect(issues[0].message).toMatch(/^WorkOS refused the domain gmail\.com .*Mixed Co was imported without it/);
    expect(issues[1].message).toMatch(/^WorkOS refused the domain yahoo\.com /);
    expect(notes).toEqual([
      { source_id: 'o-mixed', last_error: 'created without the domain WorkOS refused: gmail.com' },
      { source_id: 'o-public', last_error: 'created without the domain WorkOS refused: yahoo.com' },
      { source_id: 'o-there', last_error: null },
    ]);
    // It reaches the report.
    expect(fs.readFileSync(path.join(dir, 'orgs.reports', 'summary.md'), 'utf8')).toMatch(/gmail\.com/);
  });

  type Domains = { domain: string; state: 'pending' | 'verified' }[];
  const pending = (...names: string[]): Domains => names.map((domain) => ({ domain, state: 'pending' }));
  const orgOf = (externalId: string) => [...sandbox.state.organizations.values()].find((o) => o.external_id === externalId)!;
  const domainsOf = (externalId: string) => orgOf(externalId).domains.map((d) => [d.domain, d.state]).sort();
  const refusals = (journal: Journal, sourceId: string) =>
    journal.all<{ message: string }>(`SELECT message FROM issues WHERE field = 'domains' AND source_id = ?`, sourceId).map((i) => i.message.replace(/ \(.*$/, ''));
  const journalWith = (sourceId: string, domains: Domains) => stagedJournal({ organizations: [{ sourceId, name: `Org ${sourceId}`, domains }] });

  it('an adopted organization gets the source domains it lacks, keeps the ones it has, and a refused one is reported', async () => {
    sandbox.seedOrganization({ name: 'Had', external_id: 'o-had', domains: ['keep.example.com'] });
    const journal = journalWith('o-had', pending('keep.example.com', 'new.example.com', 'gmail.com'));
    await importInto(sandbox, journal);
    const row = journal.get<{ state: string; outcome: string; last_error: string }>(`SELECT state, outcome, last_error FROM organizations`)!;
    const issues = refusals(journal, 'o-had');
    journal.close();
    // keep.example.com stays verified, as WorkOS had it.
    expect(domainsOf('o-had')).toEqual([
      ['keep.example.com', 'verified'],
      ['new.example.com', 'pending'],
    ]);
    expect(row).toMatchObject({ state: 'done', outcome: 'adopted' });
    expect(row.last_error).toMatch(/new\.example\.com added.*without the domain WorkOS refused: gmail\.com/);
    expect(issues).toEqual(['WorkOS refused the domain gmail.com']);
  });

  it('an organization created without its domains before a stop gets them on resume', async () => {
    // As a kill after the create without domains (WorkOS refused one without naming it) leaves it.
    sandbox.seedOrganization({ name: 'Org o-stopped', external_id: 'o-stopped' });
    const journal = journalWith('o-stopped', pending('gmail.com', 'a.example.com', 'b.example.com'));
    journal.markInFlight('organization', journal.workableOrganizations(0, 10)[0].id);
    await importInto(sandbox, journal);
    const row = journal.get<{ state: string; outcome: string }>(`SELECT state, outcome FROM organizations`)!;
    const issues = refusals(journal, 'o-stopped');
    journal.close();
    expect(row).toEqual({ state: 'done', outcome: 'created' });
    expect(domainsOf('o-stopped')).toEqual([
      ['a.example.com', 'pending'],
      ['b.example.com', 'pending'],
    ]);
    expect(issues).toEqual(['WorkOS refused the domain gmail.com']);
  });

  it('a transient error while the domains are added one by one is finished on the retry, each refusal said once', async () => {
    let calls = 0;
    // The third domain update (adding b.example.com) answers nothing; WorkOS is fine afterwards.
    const target = new (class extends WorkOSTarget {
      override async setOrganizationDomains(...args: Parameters<WorkOSTarget['setOrganizationDomains']>) {
        if (++calls === 3) throw lostAnswer();
        return super.setOrganizationDomains(...args);
      }
    })(targetOptions(sandbox));
    const journal = journalWith('o-flaky', pending('gmail.com', 'a.example.com', 'b.example.com'));
    await importInto(sandbox, journal, {}, target);
    const row = journal.get<{ state: string; outcome: string }>(`SELECT state, outcome FROM organizations`)!;
    const issues = refusals(journal, 'o-flaky');
    journal.close();
    expect(calls).toBeGreaterThan(3);
    expect(row).toEqual({ state: 'done', outcome: 'created' });
    expect(domainsOf('o-flaky')).toEqual([
      ['a.example.com', 'pending'],
      ['b.example.com', 'pending'],
    ]);
    expect(issues).toEqual(['WorkOS refused the domain gmail.com']);
  });

  it('a refusal is recorded when it is learned: the retried create losing its answer loses no refusal', async () => {
    let lost = false;
    const target = new (class extends WorkOSTarget {
      override async createOrganization(...args: Parameters<WorkOSTarget['createOrganization']>) {
        const id = await super.createOrganization(...args);
        // The create without the refused domain lands, and its answer is lost.
        if (!lost && args[0].domains.length === 0) {
          lost = true;
          throw lostAnswer();
        }
        return id;
      }
    })(targetOptions(sandbox));
    const journal = journalWith('o-lost', pending('gmail.com'));
    await importInto(sandbox, journal, {}, target);
    const row = journal.get<{ state: string; outcome: string; last_error: string | null }>(`SELECT state, outcome, last_error FROM organizations`)!;
    const issues = refusals(journal, 'o-lost');
    journal.close();
    expect(lost).toBe(true);
    expect(row).toMatchObject({ state: 'done', outcome: 'created' });
    expect(domainsOf('o-lost')).toEqual([]);
    expect(issues).toEqual(['WorkOS refused the domain gmail.com']);
  });
});
