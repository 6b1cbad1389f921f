/**
 * Verification as an operator runs it, after WorkOS was changed behind the journal's back: a
 * wrong role, a missing organization, a deleted membership and a wrong external id on an adopted
 * user are each caught by the headless `verify --json` (which exits non-zero) and by the wizard's
 * Verify screen, from the same journal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createWizardStore } from '../../src/store/wizard.js';
import { FAST_LIMITS, rateFlags, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { renderWizard } from '../screens/harness.js';

const CSV = `id,email,first_name,last_name,organization_id,organization_name,role
u1,alice@example.com,Alice,A,org-a,Acme,member
u2,bob@example.com,Bob,B,org-a,Acme,admin
u3,carol@example.com,Carol,C,org-b,Globex,member
u4,dave@example.com,Dave,D,org-c,Initech,member
u5,erin@example.com,Erin,E,org-b,Globex,member
`;

let sandbox: Sandbox;
let dir: string;
let journalPath: string;

beforeAll(async () => {
  sandbox = await startSandbox({ limits: FAST_LIMITS });
  dir = tempDir('wm-verify-cli-');
  fs.writeFileSync(path.join(dir, 'users.csv'), CSV);
  // erin is in WorkOS before the run, found by email: adopted (and given her external id).
  sandbox.seedUser({ email: 'erin@example.com', first_name: 'Erin', last_name: 'E' });
  journalPath = path.join(dir, 'run.db');
  const run = await runCli(['run', '--source', 'file', '--file', 'users.csv', '--journal', journalPath, ...rateFlags(FAST_LIMITS)], { cwd: dir, env: sandboxEnv(sandbox) });
  expect(run.code, run.stderr).toBe(0);

  // Nothing wrong yet: verify passes and exits 0.
  const clean = await runCli(['verify', '--journal', journalPath, '--json'], { cwd: dir, env: sandboxEnv(sandbox) });
  expect(clean.code, clean.stdout + clean.stderr).toBe(0);

  const workos = new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port } as ConstructorParameters<typeof WorkOS>[1]);
  const users = [...sandbox.state.users.values()];
  const orgs = [...sandbox.state.organizations.values()];
  const userId = (email: string) => users.find((u) => u.email === email)!.id;
  const orgId = (externalId: string) => orgs.find((o) => o.external_id === externalId)!.id;
  const membershipId = (email: string, org: string) =>
    [...sandbox.state.memberships.values()].find((m) => m.user_id === userId(email) && m.organization_id === orgId(org))!.id;

  await workos.userManagement.updateOrganizationMembership(membershipId('alice@example.com', 'org-a'), { roleSlug: 'admin' });
  await workos.userManagement.deleteOrganizationMembership(membershipId('carol@example.com', 'org-b'));
  await workos.organizations.deleteOrganization(orgId('org-c'));
  await workos.userManagement.updateUser({ userId: userId('erin@example.com'), externalId: 'crm-991' });
}, 120_000);

afterAll(() => sandbox?.close());

describe('verify after WorkOS changed behind the journal', () => {
  it('headless --json: each problem is a failed check with its example, and the exit code is 2', async () => {
    const result = await runCli(['verify', '--journal', journalPath, '--json'], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code, result.stderr).toBe(2);
    const final = result.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'result');
    expect(final.passed).toBe(false);
    const checks = final.verify.checks as { id: string; status: string; examples?: string[] }[];
    const byId = (id: string) => checks.find((c) => c.id === id)!;
    expect(byId('organizations').status).toBe('fail');
    expect(byId('organizations').examples?.join('\n')).toContain('[org-c]');
    expect(byId('users').status).toBe('fail');
    expect(byId('users').examples?.join('\n')).toMatch(/erin@example\.com.*crm-991.*u5/);
    expect(byId('memberships').status).toBe('fail');
    const memberships = byId('memberships').examples?.join('\n') ?? '';
    expect(memberships).toMatch(/u1 in org-a: role admin, expected member/);
    expect(memberships).toMatch(/u3 in org-b: no membership/);
    // No key in what it printed.
    expect(result.stdout + result.stderr).not.toContain(sandbox.apiKey);
  }, 120_000);

  it('headless without --json: the failed checks in words, exit 2', async () => {
    const result = await runCli(['verify', '--journal', journalPath, '--headless'], { cwd: dir, env: sandboxEnv(sandbox) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/✖ Imported organizations/);
    expect(result.stderr).toMatch(/✖ Imported users/);
    expect(result.stderr).toMatch(/✖ Memberships/);
    expect(result.stderr).toMatch(/check(s)? failed/);
  }, 120_000);

  it('the wizard shows the same failures on its Verify screen', async () => {
    const store = createWizardStore({ cwd: dir, env: sandboxEnv(sandbox), limits: FAST_LIMITS });
    const w = renderWizard(store);
    try {
      await store.getState().actions.verifyJournal(journalPath);
      const frame = await w.waitFor(/For you to tick/, 30_000);
      const squeezed = frame.replace(/\s+/g, ' ');
      expect(squeezed).toMatch(/✖ Imported organizations/);
      expect(squeezed).toMatch(/✖ Imported users/);
      expect(squeezed).toMatch(/✖ Memberships/);
      const report = store.getState().verify!;
      expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort()).toEqual(['memberships', 'organizations', 'users']);
    } finally {
      w.unmount();
      store.getState().actions.dispose();
    }
  }, 120_000);
});
