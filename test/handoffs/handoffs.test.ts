/**
 * Hand-offs against the sandbox through the real SDK: password reset emails to exactly the users
 * who need one, each once (a stop and a run again send nobody twice; a user a stop caught mid-call
 * is reported, and sent again only on request), paced within the writes limit; Admin Portal links
 * for the organizations that had SSO or SCIM, in admin-portal-links.csv and never on the terminal;
 * the summary and the closing "what to do next" say both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { nextSteps, resetPlan, sendPasswordResets } from '../../src/services/handoffs.js';
import { Journal } from '../../src/services/journal/journal.js';
import { summaryFacts, writeReports } from '../../src/services/report/report.js';
import { WorkOSTarget } from '../../src/services/workos/target.js';
import { pbkdf2Hash } from '../../src/sandbox/dataset.js';
import { FAST_LIMITS, journalSql, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { importInto, stagedJournal } from '../engine/util.js';

describe('hand-offs', () => {
  let sandbox: Sandbox;
  let journal: Journal;
  let dir: string;
  const resetEmails = () => sandbox.state.passwordResets.map((r) => r.email).sort();

  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
    dir = tempDir('wm-handoffs-');
    const hash = pbkdf2Hash('known');
    // 12 without a password, 3 with a hash WorkOS cannot take, 2 social-only, 5 with a pbkdf2 hash,
    // 1 already in WorkOS (adopted, no password in the source), 2 with SMS as second factor.
    const users = [
      ...Array.from({ length: 12 }, (_, i) => ({ sourceId: `np${i}`, email: `nopass${i}@example.com` })),
      ...Array.from({ length: 3 }, (_, i) => ({ sourceId: `md${i}`, email: `md5user${i}@example.com`, passwordHash: 'x'.repeat(32), passwordHashType: 'md5' })),
      { sourceId: 'so0', email: 'social0@example.com', socialProviders: ['google'] },
      { sourceId: 'so1', email: 'social1@example.com', socialProviders: ['github'], mfa: { sms: true } },
      ...Array.from({ length: 5 }, (_, i) => ({ sourceId: `bc${i}`, email: `bcrypt${i}@example.com`, passwordHash: hash, passwordHashType: 'pbkdf2', ...(i === 0 ? { mfa: { sms: true } } : {}) })),
      { sourceId: 'ad0', email: 'adopted@example.com' },
    ];
    sandbox.seedUser({ email: 'adopted@example.com', first_name: 'Was', last_name: 'There' });
    journal = stagedJournal(
      {
        organizations: [
          { sourceId: 'o-sso', name: 'Acme SSO', domains: [] },
          { sourceId: 'o-scim', name: 'Beta SCIM', domains: [] },
          { sourceId: 'o-both', name: 'Gamma Both', domains: [] },
          { sourceId: 'o-plain', name: 'Delta Plain', domains: [] },
          { sourceId: 'o-bad', name: 'Epsilon Not Imported', domains: [] },
        ],
        users,
        issues: [
          { location: 'o-sso', recordKind: 'organization', sourceId: 'o-sso', field: 'sso', severity: 'warning', message: 'SAML connection: set up again' },
          { location: 'o-scim', recordKind: 'organization', sourceId: 'o-scim', field: 'scim', severity: 'warning', message: 'SCIM directory: set up again' },
          { location: 'o-both', recordKind: 'organization', sourceId: 'o-both', field: 'sso', severity: 'warning', message: 'OIDC connection' },
          { location: 'o-both', recordKind: 'organization', sourceId: 'o-both', field: 'scim', severity: 'warning', message: 'SCIM directory' },
          { location: 'o-bad', recordKind: 'organization', sourceId: 'o-bad', field: 'sso', severity: 'warning', message: 'SAML connection' },
        ],
        invalid: [{ kind: 'organization', sourceId: 'o-bad', reason: 'broken in the source' }],
      },
      dir,
    );
    journal.updateSettings({ workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url, environment: 'test' }, limits: FAST_LIMITS });
    const imported = await importInto(sandbox, journal);
    expect(imported.stopped).toBe(false);
    journal.close();
  }, 60_000);
  afterAll(async () => {
    await sandbox.close();
  });

  const journalPath = () => path.join(dir, 'journal.db');
  const wanted = [...Array.from({ length: 12 }, (_, i) => `nopass${i}@example.com`), ...Array.from({ length: 3 }, (_, i) => `md5user${i}@example.com`), 'adopted@example.com'].sort();

  it('lists who needs a reset email without sending, and refuses --send without --yes', async () => {
    const env = sandboxEnv(sandbox);
    const listed = await runCli(['resets', '--journal', journalPath()], { cwd: dir, env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(/16 users need a password reset email \(password-resets.csv, without 2 social-only users\): 0 sent/);
    expect(listed.stderr).toMatch(/nopass0@example.com/);
    expect(listed.stderr).not.toMatch(/social0@example.com|bcrypt0@example.com/);
    expect(listed.stderr).toMatch(/--send --yes/);
    const unconfirmed = await runCli(['resets', '--journal', journalPath(), '--send'], { cwd: dir, env });
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toMatch(/Nothing was sent.*test environment.*--yes/s);
    expect(sandbox.state.passwordResets).toHaveLength(0);
  });

  it('sends each user one reset, never twice across a stop, an uncertain call and a second run', async () => {
    const opened = Journal.open(journalPath());
    sandbox.resetStats();
    // A stop after the first few: the rest wait for their turn and stay unsent.
    const stop = new AbortController();
    const slow = new WorkOSTarget({ apiKey: sandbox.apiKey, apiUrl: sandbox.url, limits: { ...FAST_LIMITS, writes: { limit: 10, windowMs: 1_000 } } });
    const first = await sendPasswordResets({ env: {} }, opened, {
      send: true,
      target: slow,
      signal: stop.signal,
      concurrency: 4,
      onProgress: (done) => {
        if (done === 3) stop.abort();
      },
    });
    expect(first.status).toBe('stopped');
    const afterStop = resetPlan(opened);
    expect(afterStop.sent).toBe(sandbox.state.passwordResets.length);
    expect(afterStop.sent).toBeGreaterThanOrEqual(3);
    expect(afterStop.sent).toBeLessThan(16);
    expect(afterStop.uncertain).toHaveLength(0);
    opened.close();

    // A kill between the call and its record: that user is uncertain, and not emailed again by itself.
    const unsent = resetEmails();
    const caught = wanted.find((e) => !unsent.includes(e))!;
    journalSql({ path: journalPath() }, `UPDATE users SET reset_state = 'in_flight' WHERE email = ?`, caught);

    const env = sandboxEnv(sandbox);
    const rest = await runCli(['resets', '--journal', journalPath(), '--send', '--yes'], { cwd: dir, env });
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stderr).toMatch(new RegExp(`Uncertain .*${caught.replace('.', '\\.')}`));
    expect(resetEmails()).toEqual(wanted.filter((e) => e !== caught));

    // Asked for: the uncertain one is sent; then nothing is left, and a run again sends nothing.
    const retry = await runCli(['resets', '--journal', journalPath(), '--send', '--yes', '--retry-uncertain'], { cwd: dir, env });
    expect(retry.code, retry.stderr).toBe(0);
    expect(resetEmails()).toEqual(wanted);
    const again = await runCli(['resets', '--journal', journalPath(), '--send', '--yes'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Sent 0 password reset emails now/);
    expect(resetEmails()).toEqual(wanted);
    // Paced: WorkOS never had to say 429.
    expect(sandbox.stats().rateLimited).toBe(0);

    // The journal keeps the reset's id, never its token or URL.
    const check = Journal.open(journalPath());
    const ids = check.all<{ reset_id: string }>(`SELECT reset_id FROM users WHERE reset_state = 'done'`).map((r) => r.reset_id);
    check.close();
    expect(ids).toHaveLength(16);
    expect(ids.every((id) => id.startsWith('password_reset_'))).toBe(true);
    const bytes = fs.readFileSync(journalPath()).toString('latin1') + (fs.existsSync(`${journalPath()}-wal`) ? fs.readFileSync(`${journalPath()}-wal`).toString('latin1') : '');
    for (const reset of sandbox.state.passwordResets) expect(bytes.includes(reset.password_reset_token)).toBe(false);
  }, 120_000);

  it('writes an Admin Portal link per SSO and SCIM organization, kept off the terminal, and says what is next', async () => {
    const env = sandboxEnv(sandbox);
    const result = await runCli(['handoffs', '--journal', journalPath()], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    const file = path.join(dir, 'journal.reports', 'admin-portal-links.csv');
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/Admin Portal links: 4 written .*1 organizations not in WorkOS/);
    const rows = parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    const byOrg = rows.map((r) => `${r.organization}/${r.intent}/${r.link ? 'link' : 'none'}`).sort();
    expect(byOrg).toEqual(['Acme SSO/sso/link', 'Beta SCIM/dsync/link', 'Epsilon Not Imported/sso/none', 'Gamma Both/dsync/link', 'Gamma Both/sso/link']);
    for (const r of rows.filter((x) => x.link)) {
      expect(r.link).toMatch(/^https:\/\/setup\.workos\.test\/portal\/launch\?secret=/);
      expect(sandbox.state.organizations.get(r.workos_organization_id)?.name).toBe(r.organization);
      // The link opens an organization's SSO setup: in the 0600 file only.
      expect(result.stderr).not.toContain(r.link);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(rows.find((r) => !r.link)!.note).toMatch(/not in WorkOS/);
    // SMS users to re-enrol: their own file.
    const smsFile = path.join(dir, 'journal.reports', 'sms-reenrol.csv');
    expect(result.stderr).toContain(`2 users in ${smsFile}`);
    const sms = parse(fs.readFileSync(smsFile, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(sms.map((r) => r.email).sort()).toEqual(['bcrypt0@example.com', 'social1@example.com']);
    for (const r of sms) expect(sandbox.state.users.get(r.workos_user_id)?.email).toBe(r.email);

    const opened = Journal.open(journalPath());
    const reports = writeReports(opened);
    const facts = summaryFacts(opened, reports);
    opened.close();
    expect(facts.portalLinks).toMatchObject({ file, links: 4, notImported: 1 });
    expect(facts.resetEmails).toMatchObject({ users: 16, sent: 16, failed: 0, uncertain: 0, notSent: 0 });
    expect(facts.smsUsers).toBe(2);
    const summary = fs.readFileSync(reports.summary, 'utf8');
    expect(summary).toContain(`Admin Portal links for those organizations (4`);
    expect(summary).toMatch(/Password reset emails: 16 sent, 0 failed, 0 uncertain/);
    expect(summary).toMatch(/2 users used SMS as a second factor/);
    const steps = nextSteps(facts);
    expect(steps.some((s) => s.includes('Admin Portal link') && s.includes(file))).toBe(true);
    expect(steps.some((s) => /SMS/.test(s))).toBe(true);
    expect(steps.some((s) => /password reset/.test(s))).toBe(false); // all sent
    expect(steps.at(-1)).toMatch(/write-ids/);
  });
});
