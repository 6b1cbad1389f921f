import { scryptSync } from 'node:crypto';
import { expect } from 'vitest';
import path from 'node:path';
import type { ExportBatch, SourceProvider } from '../../src/providers/types.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { ExpectedStytchState } from '../../src/sandbox/stytch/index.js';
import { tempDir } from '../helpers.js';

export const journalSettings = (kind: string): RunSettings => ({
  version: 1,
  source: { kind, options: { projectId: 'project-test-x' }, secretEnv: { secret: 'STYTCH_SECRET' } },
  workos: { apiKeyEnv: 'WORKOS_API_KEY' },
  createdAt: new Date().toISOString(),
});

export function newJournal(kind: string): { journal: Journal; file: string } {
  const file = path.join(tempDir('wm-stytch-'), 'run.db');
  return { journal: Journal.create(file, journalSettings(kind)), file };
}

/**
 * The provider as a process that gets stopped: after `batches` batches have been handed to the
 * exporter, the signal aborts (the exporter stages that batch, then stops).
 */
export function stopAfter(provider: SourceProvider, batches: number, controller: AbortController): SourceProvider {
  return {
    id: provider.id,
    displayName: provider.displayName,
    check: () => provider.check(),
    async *export(options) {
      let n = 0;
      for await (const batch of provider.export(options)) {
        if (++n >= batches) controller.abort(new Error('stopped by the test'));
        yield batch;
      }
    },
  };
}

/** Every batch the provider yields, straight (no journal). */
export async function collect(provider: SourceProvider, cursor?: string, signal?: AbortSignal): Promise<ExportBatch[]> {
  const out: ExportBatch[] = [];
  for await (const batch of provider.export({ cursor, signal })) out.push(batch);
  return out;
}

export function flatten(batches: ExportBatch[]) {
  return {
    organizations: batches.flatMap((b) => b.organizations ?? []),
    users: batches.flatMap((b) => b.users ?? []),
    memberships: batches.flatMap((b) => b.memberships ?? []),
    roles: batches.flatMap((b) => b.roles ?? []),
    issues: batches.flatMap((b) => b.issues ?? []),
  };
}

/** What a WorkOS login would do with a scrypt PHC string: recompute from its own parameters and salt. */
export function scryptPhcVerifies(phc: string, password: string): boolean {
  const [, , , params, salt, hash] = phc.split('$');
  const p = Object.fromEntries(params.split(',').map((kv) => kv.split('='))) as Record<string, string>;
  const N = Number(p.n);
  const r = Number(p.r);
  const key = scryptSync(password, Buffer.from(salt, 'base64'), Number(p.kl), { N, r, p: Number(p.p), maxmem: 256 * N * r + (1 << 20) });
  return key.equals(Buffer.from(hash, 'base64'));
}

/**
 * WorkOS holds exactly the Stytch project: one user per email with its external id and name,
 * organizations by id with name, pending domains and slug, memberships with the mapped role.
 */
export function expectWorkOSHoldsProject(sandbox: Sandbox, expected: ExpectedStytchState): void {
  const users = [...sandbox.state.users.values()];
  const orgs = [...sandbox.state.organizations.values()];
  const memberships = [...sandbox.state.memberships.values()];
  expect(users.length).toBe(expected.users.length);
  expect(orgs.length).toBe(expected.organizations.length);
  expect(memberships.length).toBe(expected.memberships.length);

  const userByEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));
  expect(userByEmail.size).toBe(users.length);
  for (const exp of expected.users) {
    const user = userByEmail.get(exp.email)!;
    expect(user, exp.email).toBeDefined();
    expect(user.external_id).toBe(exp.sourceId);
    expect(user.first_name ?? undefined).toBe(exp.firstName);
    expect(user.last_name ?? undefined).toBe(exp.lastName);
  }
  const orgByExternal = new Map(orgs.map((o) => [o.external_id, o]));
  for (const exp of expected.organizations) {
    const org = orgByExternal.get(exp.sourceId)!;
    expect(org.name).toBe(exp.name);
    expect(org.domains.map((d) => [d.domain, d.state])).toEqual(exp.domains.map((d) => [d, 'pending']));
    expect(org.metadata.stytch_slug).toBe(exp.slug);
  }
  const userIdByEmail = new Map(users.map((u) => [u.email.toLowerCase(), u.id]));
  const membershipByKey = new Map(memberships.map((m) => [`${m.user_id}/${m.organization_id}`, m]));
  expect(membershipByKey.size).toBe(memberships.length);
  for (const exp of expected.memberships) {
    const m = membershipByKey.get(`${userIdByEmail.get(exp.userSourceId)}/${orgByExternal.get(exp.orgSourceId)!.id}`);
    expect(m, `${exp.userSourceId} in ${exp.orgSourceId}`).toBeDefined();
    expect(m!.role.slug).toBe(exp.admin ? 'admin' : 'member');
  }
}
