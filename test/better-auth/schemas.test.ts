/**
 * The same Better Auth app with its tables renamed (and columns: user.email -> email_address,
 * member.role -> roles_csv...) and with plural table names, made by Better Auth itself from its
 * `modelName` / `fields` options, migrated the same way on SQLite, PostgreSQL and MariaDB; with
 * teams flattened into organizations, and invited members made active in one and sent WorkOS
 * invitations in the other.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, rateFlags, runCli, tempDir } from '../helpers.js';
import { APP_SECRET, buildFixture, PLURAL, RENAMED, serverUp, type Fixture, type FixtureDialect, type SchemaNames } from './fixture.js';
import { expectWorkOSHolds, ROLES } from './util.js';

const DIALECTS: FixtureDialect[] = ['sqlite', 'postgres', 'mysql'];
const up: Record<string, boolean> = {};
for (const d of DIALECTS) up[d] = await serverUp(d);

const RENAMED_FLAGS = [
  ...Object.entries(RENAMED.tables!).flatMap(([k, v]) => ['--table', `${k}=${v}`]),
  ...Object.entries(RENAMED.fields!).flatMap(([k, v]) => ['--column', `${k}=${v}`]),
];

const CASES: { name: string; names: SchemaNames; flags: string[]; teams: 'skip' | 'flatten'; invited: 'skip' | 'active' | 'invite' }[] = [
  { name: 'renamed tables and columns', names: RENAMED, flags: RENAMED_FLAGS, teams: 'skip', invited: 'active' },
  // Plural names are found without a flag.
  { name: 'plural tables', names: PLURAL, flags: ['--better-auth-teams', 'flatten'], teams: 'flatten', invited: 'invite' },
];

describe.each(DIALECTS)('Better Auth (%s) with another schema', (dialect) => {
  const skip = !up[dialect] && !process.env.CI;
  for (const c of CASES) {
    describe(c.name, () => {
      let fixture: Fixture;
      let sandbox: Sandbox;
      let dir: string;
      beforeAll(async () => {
        if (skip) return;
        dir = tempDir('wm-ba-schema-');
        fixture = await buildFixture({ dialect, dir, names: c.names, bulk: 300 });
        sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
      }, 180_000);
      afterAll(async () => {
        await sandbox?.close();
        await fixture?.close();
      });

      it.skipIf(skip)('migrates it exactly', async () => {
        const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, DATABASE_URL: fixture.url, BETTER_AUTH_SECRET: APP_SECRET };
        const args = ['run', '--source', 'better-auth', '--journal', path.join(dir, 'j.db'), '--invited-members', c.invited, ...c.flags, ...rateFlags(FAST_LIMITS)];
        const result = await runCli(args, { cwd: dir, env });
        expect(result.code, result.stderr).toBe(0);
        expectWorkOSHolds(sandbox, fixture.expected, { teams: c.teams, invited: c.invited });
        if (c.teams === 'flatten') {
          const team = [...sandbox.state.organizations.values()].find((o) => o.external_id === `team:${fixture.expected.team.id}`)!;
          expect(team.name).toBe('Org 1 / Engineering');
          // The default teams Better Auth made with each organization are not organizations of their own.
          expect(sandbox.state.organizations.size).toBe(fixture.expected.organizations.length + 1);
        }
      }, 180_000);
    });
  }

  it.skipIf(skip)('names the table it looked for and did not find, and the flag that fixes it', async () => {
    const dir = tempDir('wm-ba-schema-');
    const fixture = await buildFixture({ dialect, dir, names: RENAMED });
    try {
      const env = { WORKOS_API_KEY: 'sk_test_x', WORKOS_API_URL: 'http://127.0.0.1:9', DATABASE_URL: fixture.url };
      const { createProvider } = await import('../../src/providers/index.js');
      await expect(createProvider('better-auth', { secretEnv: 'DATABASE_URL' }, env).check()).rejects.toThrow(/No Better Auth user table .*looked for user, users/);
      await expect(createProvider('better-auth', { secretEnv: 'DATABASE_URL', tables: { user: 'app_users' } }, env).check()).rejects.toThrow(/--column user.email=NAME/);
      const summary = (await createProvider('better-auth', { secretEnv: 'DATABASE_URL', tables: RENAMED.tables, columns: RENAMED.fields }, env).check()).summary;
      expect(summary).toMatch(/app_users \(user\) 43 rows, app_accounts \(account\) 44 rows/);
      expect(summary).toMatch(/Companies \(organization\) 5 rows, company_members \(member\) 20 rows/);
      expect(summary).not.toMatch(/not found/);
    } finally {
      await fixture.close();
    }
  }, 120_000);
});

describe('Better Auth with uuid and serial ids', () => {
  const cases: { dialect: FixtureDialect; generateId: 'uuid' | 'serial' }[] = [
    { dialect: 'postgres', generateId: 'uuid' },
    { dialect: 'sqlite', generateId: 'serial' },
    { dialect: 'mysql', generateId: 'serial' },
  ];
  for (const { dialect, generateId } of cases) {
    it.skipIf(!up[dialect] && !process.env.CI)(`${generateId} ids on ${dialect}: paged by key and migrated exactly`, async () => {
      const dir = tempDir('wm-ba-ids-');
      const fixture = await buildFixture({ dialect, dir, generateId });
      const sandbox = await startSandbox({ limits: FAST_LIMITS, roles: ROLES, multipleRoles: true });
      try {
        const env = { WORKOS_API_KEY: sandbox.apiKey, WORKOS_API_URL: sandbox.url, DATABASE_URL: fixture.url, BETTER_AUTH_SECRET: APP_SECRET };
        const { createProvider } = await import('../../src/providers/index.js');
        // Small pages: the keyset crosses page boundaries on uuid and integer keys.
        const batches = [];
        for await (const b of createProvider('better-auth', { secretEnv: 'DATABASE_URL', pageSize: 7 }, env).export({})) batches.push(b);
        expect(batches.flatMap((b) => b.users ?? []).map((u) => u.sourceId).sort()).toEqual(fixture.expected.users.map((u) => u.id).sort());
        const result = await runCli(['run', '--source', 'better-auth', '--journal', path.join(dir, 'j.db'), ...rateFlags(FAST_LIMITS)], { cwd: dir, env });
        expect(result.code, result.stderr).toBe(0);
        expectWorkOSHolds(sandbox, fixture.expected);
      } finally {
        await sandbox.close();
        await fixture.close();
      }
    }, 120_000);
  }
});
