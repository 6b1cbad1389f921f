import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { ExportBatch, SourceProvider } from '../../src/providers/types.js';
import { createClerkProvider, type ClerkOptions } from '../../src/providers/clerk/index.js';
import type { ExpectedClerkState, FakeClerk } from '../../src/sandbox/clerk/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { checkPasswordHash } from '../../src/sandbox/passwords.js';
import { Journal } from '../../src/services/journal/journal.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { tempDir } from '../helpers.js';

/** The WorkOS roles of the tests' environment: Clerk's custom org:billing maps to billing. */
export const ROLES = ['admin', 'member', 'billing'];
export const ROLE_MAP = { 'org:admin': 'admin', 'org:member': 'member', 'org:billing': 'billing' };

/** Fake and provider alike: 100 requests per second (Clerk's development limit, ten times faster). */
export const FAST_CLERK = { limit: 100, windowMs: 1000 };
/**
 * The pace the tests give the client: a tenth under the fake's limit, as requests paced on time may
 * still arrive bunched on a loaded machine (the fake counts arrivals). The bench measures the pace.
 */
export const CLIENT_RATE = { limit: 90, windowMs: 1000 };

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

export function newClerkJournal(options: Record<string, unknown> = {}): string {
  const file = path.join(tempDir('wm-clerk-'), 'run.db');
  const settings: RunSettings = {
    version: 1,
    source: { kind: 'clerk', options: { secretEnv: 'CLERK_SECRET_KEY', ...options }, secretEnv: { secretKey: 'CLERK_SECRET_KEY' } },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  };
  Journal.create(file, settings).close();
  return file;
}

export function providerFor(fake: FakeClerk, extra: Partial<ClerkOptions> = {}) {
  return createClerkProvider({ secretKey: fake.secretKey, apiUrl: fake.url, rate: CLIENT_RATE, ...extra });
}

export function clerkEnv(fake: FakeClerk): NodeJS.ProcessEnv {
  return { CLERK_SECRET_KEY: fake.secretKey, CLERK_API_URL: fake.url };
}

/** The provider of a process that is stopped once `when` says so (after that batch is staged). */
export function stopWhen(provider: SourceProvider, when: (batch: ExportBatch, n: number) => boolean, controller: AbortController): SourceProvider {
  return {
    ...provider,
    async *export(options) {
      let n = 0;
      for await (const batch of provider.export(options)) {
        if (when(batch, ++n)) controller.abort(new Error('stopped by the test'));
        yield batch;
      }
    },
  };
}

export async function collect(provider: SourceProvider, cursor?: string): Promise<ExportBatch[]> {
  const out: ExportBatch[] = [];
  for await (const batch of provider.export({ cursor })) out.push(batch);
  return out;
}

export interface ClerkCursorView {
  phase: string;
  orgOffset: number;
  pending: string[];
  memberOffset: number;
}

/**
 * The pages a resumed export may read again after a stop at `cursor`: none it had staged. That is
 * the next page of the cursor, the first memberships page and invitations of the organizations
 * still pending (sent ahead), and the domains of organizations not staged yet (read with their page).
 */
export function mayRepeat(fake: FakeClerk, cursor: ClerkCursorView, stagedOrgs: Set<string>, memberPageSize = 500, orgPageSize = 100): (page: string) => boolean {
  const allowed = new Set<string>();
  if (cursor.phase === 'orgs') allowed.add(`GET /v1/organizations?offset=${cursor.orgOffset}&limit=${orgPageSize}`);
  if (cursor.phase === 'members') {
    const [first, ...rest] = cursor.pending;
    allowed.add(`GET /v1/organizations/${first}/memberships?offset=${cursor.memberOffset}&limit=${memberPageSize}`);
    allowed.add(`GET /v1/organizations/${first}/invitations?offset=0&limit=500&status=pending`);
    for (const id of rest) {
      allowed.add(`GET /v1/organizations/${id}/memberships?offset=0&limit=${memberPageSize}`);
      allowed.add(`GET /v1/organizations/${id}/invitations?offset=0&limit=500&status=pending`);
    }
  }
  for (const o of fake.instance.organizations) if (!stagedOrgs.has(o.id)) allowed.add(`GET /v1/organizations/${o.id}/domains?offset=0&limit=500`);
  return (page) => allowed.has(page);
}

const checked = new Map<string, boolean | null>();
/** Recomputes `password` through the hash WorkOS received (each distinct pair once: bcrypt in WebAssembly is slow). */
async function signsIn(type: string, hash: string, password: string): Promise<boolean | null> {
  const key = `${type}\u0000${hash}\u0000${password}`;
  if (!checked.has(key)) checked.set(key, await checkPasswordHash(type as never, hash, password));
  return checked.get(key)!;
}

/**
 * WorkOS holds exactly the expected state: every user once by external id with email, verified
 * flag, names and metadata; each carried password proven by signing in through the hash WorkOS
 * received (and a wrong password refused); TOTP factors with the export's secrets; every
 * organization once with its name and slug; every membership once with its mapped role.
 */
export async function expectWorkOSHolds(sandbox: Sandbox, fake: FakeClerk, expected: ExpectedClerkState): Promise<void> {
  const users = [...sandbox.state.users.values()];
  expect(users.length).toBe(expected.users.length);
  const byExternal = new Map(users.map((u) => [u.external_id, u]));
  expect(byExternal.size).toBe(users.length);
  let proven = 0;
  for (const exp of expected.users) {
    const u = byExternal.get(exp.id)!;
    expect(u, exp.id).toBeDefined();
    expect(u.email).toBe(exp.email);
    expect(u.email_verified, `${exp.email} verified`).toBe(exp.emailVerified);
    expect(u.first_name ?? undefined).toBe(exp.firstName);
    expect(u.last_name ?? undefined).toBe(exp.lastName);
    expect(u.metadata ?? {}).toEqual(exp.metadata);
    const credential = sandbox.state.credentials.get(u.id) as { kind?: string; password_hash?: string; password_hash_type?: string } | undefined;
    if (exp.password) {
      expect(credential, `${exp.email} has a password`).toMatchObject({ kind: 'hash', password_hash_type: 'bcrypt' });
      expect(await signsIn('bcrypt', credential!.password_hash!, exp.password), `${exp.email} signs in`).toBe(true);
      expect(await signsIn('bcrypt', credential!.password_hash!, `${exp.password}x`)).toBe(false);
      proven++;
    } else {
      expect(credential?.kind === 'hash' ? credential.password_hash : undefined, `${exp.email} has no password`).toBeUndefined();
    }
  }
  if (expected.users.some((u) => u.password)) expect(proven).toBeGreaterThan(expected.users.length / 2);

  const factors = [...sandbox.state.authFactors.values()];
  const withTotp = expected.users.filter((u) => u.totpSecret);
  expect(factors.length).toBe(withTotp.length);
  const factorByUser = new Map(factors.map((f) => [f.user_id, f]));
  for (const exp of withTotp) expect(factorByUser.get(byExternal.get(exp.id)!.id)?.totp.secret).toBe(exp.totpSecret);

  const orgs = [...sandbox.state.organizations.values()];
  expect(orgs.length).toBe(fake.instance.organizations.length);
  const orgByExternal = new Map(orgs.map((o) => [o.external_id, o]));
  for (const o of fake.instance.organizations) {
    const got = orgByExternal.get(o.id)!;
    expect(got, o.id).toBeDefined();
    expect(got.name).toBe(o.name);
    expect(got.metadata.clerk_slug).toBe(o.slug);
    for (const [k, v] of Object.entries(o.public_metadata)) expect(got.metadata[k]).toBe(String(v));
    const domains = got.domains.map((d) => `${d.domain}:${d.state}`).sort();
    expect(domains, `${o.id} domains`).toEqual((fake.instance.domains.get(o.id) ?? []).map((d) => `${d.name}:${d.status === 'verified' ? 'verified' : 'pending'}`).sort());
  }

  const memberships = [...sandbox.state.memberships.values()];
  expect(memberships.length).toBe(expected.memberships.length);
  const byKey = new Map(memberships.map((m) => [`${m.user_id}/${m.organization_id}`, m]));
  expect(byKey.size).toBe(memberships.length);
  for (const exp of expected.memberships) {
    const m = byKey.get(`${byExternal.get(exp.userId)!.id}/${orgByExternal.get(exp.orgId)!.id}`);
    expect(m, `${exp.userId} in ${exp.orgId}`).toBeDefined();
    expect(m!.role.slug).toBe(ROLE_MAP[exp.role as keyof typeof ROLE_MAP]);
  }
}
