import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { createCognitoProvider, type CognitoOptions } from '../../src/providers/cognito/index.js';
import type { FakeCognito, ExpectedCognitoState } from '../../src/sandbox/cognito/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { tempDir } from '../helpers.js';

/** The environment roles the fake pool's groups map onto as they are (admin, editor, viewer), member the default. */
export const ROLES = ['admin', 'member', 'editor', 'viewer'];

export function cognitoEnv(fake: FakeCognito): NodeJS.ProcessEnv {
  return { COGNITO_ENDPOINT: fake.url, AWS_ACCESS_KEY_ID: fake.accessKeyId, AWS_SECRET_ACCESS_KEY: fake.secretAccessKey };
}

export function providerFor(fake: FakeCognito, extra: Partial<CognitoOptions> = {}) {
  return createCognitoProvider({
    userPoolId: fake.pool.id,
    region: fake.pool.region,
    endpoint: fake.url,
    accessKeyId: fake.accessKeyId,
    secretAccessKey: fake.secretAccessKey,
    ...extra,
  });
}

export function newCognitoJournal(options: Record<string, unknown>, dir = tempDir('wm-cognito-')): string {
  const file = path.join(dir, 'run.db');
  const settings: RunSettings = {
    version: 1,
    source: { kind: 'cognito', options, secretEnv: { accessKeyId: 'AWS_ACCESS_KEY_ID', secretAccessKey: 'AWS_SECRET_ACCESS_KEY' } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  };
  Journal.create(file, settings).close();
  return file;
}

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** A report file's rows as objects. */
export function csvRows(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file, 'utf8'), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
}

/**
 * WorkOS holds exactly the pool: each expected user once by external id (the sub) with its email,
 * names, verification and metadata, no password (none can leave Cognito); with an organization,
 * each user a member with their groups as roles, mapped (the default role without a group).
 */
export function expectWorkOSHoldsPool(sandbox: Sandbox, expected: ExpectedCognitoState, organization?: { name: string; poolId: string; defaultRole: string; roleMap?: Record<string, string> }) {
  const users = [...sandbox.state.users.values()];
  expect(users.length).toBe(expected.users.length);
  const byExternal = new Map(users.map((u) => [u.external_id, u]));
  expect(byExternal.size).toBe(users.length);
  for (const exp of expected.users) {
    const u = byExternal.get(exp.sub);
    expect(u, exp.sub).toBeDefined();
    expect(u!.email).toBe(exp.email);
    expect(u!.first_name ?? null).toBe(exp.firstName);
    expect(u!.last_name ?? null).toBe(exp.lastName);
    expect(u!.email_verified).toBe(exp.emailVerified);
    expect(u!.metadata, exp.sub).toEqual(exp.metadata);
    const credential = sandbox.state.credentials.get(u!.id) as { kind?: string } | undefined;
    expect(credential, `${exp.email} has a password in WorkOS`).toBeUndefined();
  }
  const orgs = [...sandbox.state.organizations.values()];
  const memberships = [...sandbox.state.memberships.values()];
  if (!organization) {
    expect(orgs).toHaveLength(0);
    expect(memberships).toHaveLength(0);
    return;
  }
  expect(orgs).toHaveLength(1);
  expect(orgs[0]).toMatchObject({ name: organization.name, external_id: organization.poolId });
  expect(memberships.length).toBe(expected.users.length);
  const byUser = new Map(memberships.map((m) => [m.user_id, m]));
  expect(byUser.size).toBe(memberships.length);
  for (const exp of expected.users) {
    const m = byUser.get(byExternal.get(exp.sub)!.id);
    expect(m, `${exp.email} is a member`).toBeDefined();
    expect(m!.organization_id).toBe(orgs[0].id);
    const want = exp.groups.length ? [...new Set(exp.groups.map((g) => organization.roleMap?.[g] ?? g))] : [organization.defaultRole];
    expect(m!.roles.map((r) => r.slug).sort(), exp.email).toEqual([...want].sort());
  }
}
