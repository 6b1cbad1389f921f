/**
 * The Cognito provider against the fake pool, through the official SDK over HTTP: the live check,
 * paging (60 a page, tokens), the mapping of every kind of user, groups listed or carried, pacing
 * to the UserList quota, TooManyRequestsException waited out and said, and clear answers to bad
 * credentials, a wrong pool, a malformed pool id and missing keys.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createProvider } from '../../src/providers/index.js';
import type { ExportBatch } from '../../src/providers/types.js';
import { CognitoCallError, USERNAME_KEY } from '../../src/providers/cognito/index.js';
import { attributesOf, generateCognitoPool, LONG_ATTRIBUTE, SAML_PROVIDER, startFakeCognito, type FakeCognito } from '../../src/sandbox/cognito/index.js';
import { ExpectedError } from '../../src/errors.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { FAST_LIMITS, runCli, sandboxEnv, tempDir } from '../helpers.js';
import { createEventBus } from '../../src/services/events.js';
import { runExport } from '../../src/services/export/exporter.js';
import { Journal } from '../../src/services/journal/journal.js';
import { stopWhen } from '../auth0/util.js';
import { cognitoEnv, newCognitoJournal, providerFor } from './util.js';

async function collect(provider: ReturnType<typeof providerFor>, onRateLimited?: (ms: number) => void): Promise<ExportBatch[]> {
  const out: ExportBatch[] = [];
  for await (const batch of provider.export({ onRateLimited })) out.push(batch);
  return out;
}

type Listed = 'users' | 'issues' | 'memberships' | 'roles' | 'organizations' | 'leftOut';
const all = <K extends Listed>(batches: ExportBatch[], key: K): NonNullable<ExportBatch[K]>[number][] =>
  batches.flatMap((b) => (b[key] ?? []) as NonNullable<ExportBatch[K]>[number][]);

describe('the Cognito provider', () => {
  let fake: FakeCognito;
  beforeAll(async () => {
    fake = await startFakeCognito({ pool: generateCognitoPool({ users: 130, seed: 3 }) });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('checks the pool with one live listing and names it', async () => {
    const { summary } = await providerFor(fake).check();
    expect(summary).toContain(`AWS Cognito user pool ${fake.pool.name} (${fake.pool.id}): about 130 users`);
    expect(summary).toMatch(/no password hashes can leave Cognito/);
  });

  it('pages ListUsers 60 at a time and maps every kind of user; groups are listed, not carried, without an organization', async () => {
    fake.resetStats();
    const batches = await collect(providerFor(fake));
    const stats = fake.stats();
    expect(stats.byOperation.ListUsers).toBe(3);
    expect(stats.byOperation.ListUsersInGroup ?? 0).toBe(0);
    expect(stats.repeatedPages).toEqual([]);

    // The first word is the one on passwords, before any user.
    const first = batches[0].issues![0];
    expect(first.field).toBe('password');
    expect(first.message).toMatch(/never lets password hashes out/);
    expect(first.message).toContain('workos-migrate lazy --out DIR');
    expect(first.message).toContain('password-resets.csv');

    const users = all(batches, 'users');
    const issues = all(batches, 'issues');
    const withEmail = fake.pool.users.filter((u) => attributesOf(u).email);
    expect(users.map((u) => u.sourceId)).toEqual(withEmail.map((u) => attributesOf(u).sub));
    expect(users.every((u) => !u.passwordHash && !u.passwordHashType)).toBe(true);

    for (const raw of withEmail) {
      const a = attributesOf(raw);
      const u = users.find((x) => x.sourceId === a.sub)!;
      expect(u.email).toBe(a.email);
      expect(u.emailVerified).toBe(a.email_verified === 'true');
      if (a.given_name) expect([u.firstName, u.lastName]).toEqual([a.given_name, a.family_name]);
      else if (a.name) expect(`${u.firstName} ${u.lastName}`).toBe(a.name);
      if (a['custom:plan']) expect(u.metadata?.['custom:plan']).toBe(a['custom:plan']);
      expect(u.metadata?.[USERNAME_KEY]).toBe(raw.Username === a.sub ? undefined : raw.Username);
      expect(u.metadata?.sub).toBeUndefined();
      expect(u.metadata?.identities).toBeUndefined();
    }
    // Federated users: social ones counted per provider, SAML ones told to set SSO up again.
    const google = withEmail.filter((u) => attributesOf(u).identities?.includes('"Google"')).map((u) => attributesOf(u).sub);
    expect(google.length).toBeGreaterThan(0);
    expect(users.filter((u) => u.socialProviders?.includes('google')).map((u) => u.sourceId)).toEqual(google);
    const saml = withEmail.filter((u) => attributesOf(u).identities?.includes(SAML_PROVIDER)).map((u) => attributesOf(u).sub);
    expect(issues.filter((i) => i.field === 'sso').map((i) => i.sourceId)).toEqual(saml);
    // Temporary passwords and required resets are named.
    const force = withEmail.filter((u) => u.UserStatus === 'FORCE_CHANGE_PASSWORD').map((u) => attributesOf(u).sub);
    expect(issues.filter((i) => i.field === 'password' && /temporary password/.test(i.message)).map((i) => i.sourceId)).toEqual(force);
    // Phone-only users: an error each, with the field and what to do.
    const phoneOnly = fake.pool.users.filter((u) => !attributesOf(u).email);
    const noEmail = issues.filter((i) => i.field === 'email');
    expect(noEmail.map((i) => i.sourceId)).toEqual(phoneOnly.map((u) => attributesOf(u).sub));
    expect(noEmail.every((i) => i.severity === 'error' && /signs in with a phone number/.test(i.message) && /add an email in Cognito/.test(i.message))).toBe(true);
    // The 700-character attribute is left out with a warning.
    expect(issues.some((i) => i.field === `metadata.${LONG_ATTRIBUTE}` && /600/.test(i.message))).toBe(true);
    // Disabled users: left out by the default choice, with the flag that brings them in.
    const disabled = withEmail.filter((u) => !u.Enabled).map((u) => attributesOf(u).sub);
    expect(disabled.length).toBeGreaterThan(0);
    const leftOut = all(batches, 'leftOut');
    expect(leftOut.map((l) => l.sourceId)).toEqual(disabled);
    expect(leftOut.every((l) => /disabled in Cognito/.test(l.reason) && /--cognito-disabled import/.test(l.reason))).toBe(true);

    // Groups: listed one by one, no roles, no memberships, no organization.
    const groups = issues.filter((i) => i.field === 'group');
    expect(groups.map((g) => g.location)).toEqual(fake.pool.groups.map((g) => `cognito group ${g.GroupName}`));
    expect(groups[0].message).toMatch(/groups are not organizations/);
    expect(groups[0].message).toContain('--cognito-organization NAME');
    expect(all(batches, 'roles')).toHaveLength(0);
    expect(all(batches, 'memberships')).toHaveLength(0);
    expect(all(batches, 'organizations')).toHaveLength(0);
    // Progress in users, against DescribeUserPool's estimate.
    expect(batches.at(-1)!.progress).toEqual({ done: 130, total: 130, unit: 'users' });
  });

  it('with an organization, every user is a member and each group a role; members listed with ListUsersInGroup', async () => {
    fake.resetStats();
    const batches = await collect(providerFor(fake, { organization: 'Acme', disabled: 'import', pageSize: 25 }));
    expect(all(batches, 'organizations')).toEqual([expect.objectContaining({ sourceId: fake.pool.id, name: 'Acme' })]);
    expect(all(batches, 'roles').map((r) => r.slug)).toEqual(fake.pool.groups.map((g) => g.GroupName));
    const users = all(batches, 'users');
    expect(all(batches, 'leftOut')).toHaveLength(0);
    const memberships = all(batches, 'memberships');
    // One plain membership per user, then one per (group, member) adding the group's role.
    const plain = memberships.filter((m) => m.roles.length === 0);
    expect(plain.map((m) => m.userSourceId)).toEqual(users.map((u) => u.sourceId));
    const grouped = memberships.filter((m) => m.roles.length);
    const expectedGrouped = [...fake.pool.members].flatMap(([g, names]) => names.map((n) => `${attributesOf(fake.pool.users.find((u) => u.Username === n)!).sub}:${g}`));
    expect(grouped.map((m) => `${m.userSourceId}:${m.roles[0]}`)).toEqual(expectedGrouped);
    expect(memberships.every((m) => m.orgSourceId === fake.pool.id)).toBe(true);
    // Disabled users imported by choice are said to be.
    expect(all(batches, 'issues').filter((i) => i.field === 'disabled').length).toBeGreaterThan(0);
    const stats = fake.stats();
    expect(stats.byOperation.ListUsers).toBe(Math.ceil(130 / 25));
    expect(stats.byOperation.ListUsersInGroup).toBe([...fake.pool.members.values()].reduce((n, m) => n + Math.max(1, Math.ceil(m.length / 25)), 0));
    expect(stats.repeatedPages).toEqual([]);
  });

  it('waits out TooManyRequestsException, slows down, says so, and loses nothing', async () => {
    // A pool whose account has less UserList quota left than the default pace assumes.
    const slow = await startFakeCognito({ pool: generateCognitoPool({ users: 200, seed: 4 }), userListRps: 4 });
    try {
      const waits: number[] = [];
      const provider = providerFor(slow, { pageSize: 20 });
      const batches = await collect(provider, (ms) => waits.push(ms));
      expect(slow.stats().rateLimited).toBeGreaterThan(0);
      expect(waits.length).toBe(slow.stats().rateLimited);
      expect(provider.stats!()).toMatchObject({ rateLimited: slow.stats().rateLimited });
      expect(all(batches, 'users').length).toBe(slow.pool.users.filter((u) => attributesOf(u).email).length);
      expect(slow.stats().repeatedPages).toEqual([]);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('stays under the UserList quota when it is all there is (no 429 at the real pace)', async () => {
    const paced = await startFakeCognito({ pool: generateCognitoPool({ users: 360, seed: 5 }), userListRps: 30 });
    try {
      const batches = await collect(providerFor(paced, { organization: 'Acme', pageSize: 10 }));
      expect(paced.stats().rateLimited).toBe(0);
      expect(paced.stats().maxPerSecond.UserList).toBeLessThanOrEqual(30);
      expect(all(batches, 'users')).toHaveLength(paced.pool.users.filter((u) => attributesOf(u).email).length);
    } finally {
      await paced.close();
    }
  }, 120_000);

  it('retries a 500 and goes on', async () => {
    fake.resetStats();
    fake.inject500(2);
    const batches = await collect(providerFor(fake));
    expect(fake.stats().errors.InternalErrorException).toBe(2);
    expect(all(batches, 'users').length).toBe(fake.pool.users.filter((u) => attributesOf(u).email).length);
  });

  it('a saved token Cognito no longer takes: the listing starts over, says so, and stages each user and issue once', async () => {
    const stale = await startFakeCognito({ pool: generateCognitoPool({ users: 130, seed: 8 }) });
    try {
      const journalFile = newCognitoJournal({ userPoolId: stale.pool.id });
      let journal = Journal.open(journalFile);
      const stop = new AbortController();
      let pages = 0;
      await runExport(journal, stopWhen(providerFor(stale, { pageSize: 20 }), (b) => (b.users?.length ? ++pages : 0) >= 3, stop), createEventBus(), { signal: stop.signal });
      const issuesBefore = journal.all<{ n: number }>('SELECT COUNT(*) AS n FROM issues')[0].n;
      journal.close();
      stale.expireTokens();
      journal = Journal.open(journalFile);
      const run = await runExport(journal, providerFor(stale, { pageSize: 20 }), createEventBus());
      expect(run.completed).toBe(true);
      const withEmail = stale.pool.users.filter((u) => attributesOf(u).email);
      expect(journal.counts().user.total).toBe(withEmail.length);
      // The same issues as one uninterrupted pass, plus the word on the restart.
      const clean = all(await collect(providerFor(stale)), 'issues').length;
      const issues = journal.all<{ field: string | null; message: string }>('SELECT field, message FROM issues');
      expect(issuesBefore).toBeGreaterThan(0);
      expect(issues.length).toBe(clean + 1);
      expect(issues.filter((i) => i.field === 'pagination')).toEqual([
        { field: 'pagination', message: expect.stringMatching(/no longer takes the saved paging position of the users \(Invalid PaginationToken\.\): that listing started again/) },
      ]);
      expect(JSON.parse(journal.cursor('cognito')!.cursor)).toMatchObject({ phase: 'done', users: 130, replay: 0 });
      journal.close();
    } finally {
      await stale.close();
    }
  });

  describe('bad input gets a clear answer', () => {
    const refusal = async (provider: ReturnType<typeof providerFor>) => {
      const error = await provider.check().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CognitoCallError);
      return error as CognitoCallError;
    };

    it('a wrong secret access key', async () => {
      const e = await refusal(providerFor(fake, { secretAccessKey: 'not-the-secret' }));
      expect(e.message).toMatch(/AWS refused the secret access key \(list the users of the pool\): The request signature we calculated does not match/);
      expect(e.nextStep).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      expect(e.message).not.toContain('not-the-secret');
    });

    it('an access key AWS does not know', async () => {
      const e = await refusal(providerFor(fake, { accessKeyId: 'AKIAUNKNOWN000000000' }));
      expect(e.message).toMatch(/AWS does not know the access key/);
      expect(e.code).toBe('UnrecognizedClientException');
    });

    it('a pool that does not exist, or is in another region', async () => {
      let e = await refusal(providerFor(fake, { userPoolId: 'us-east-1_Nope123' }));
      expect(e.message).toMatch(/Cognito has no user pool us-east-1_Nope123 in us-east-1/);
      expect(e.nextStep).toMatch(/--cognito-user-pool/);
      e = await refusal(providerFor(fake, { region: 'eu-west-1' }));
      expect(e.message).toMatch(new RegExp(`no user pool ${fake.pool.id} in eu-west-1`));
      expect(e.nextStep).toMatch(/AWS_REGION/);
    });

    it('an IAM policy without ListUsers stops with the permissions to add; without the optional calls the users still move', async () => {
      try {
        fake.deny('ListUsers');
        const e = await refusal(providerFor(fake));
        expect(e.message).toMatch(/AWS refused to list the users of the pool: User: arn:aws:iam::\d+:user\/migrate is not authorized to perform: cognito-idp:ListUsers/);
        expect(e.nextStep).toMatch(/cognito-idp:ListUsers, cognito-idp:ListGroups, cognito-idp:ListUsersInGroup and cognito-idp:DescribeUserPool/);

        fake.deny('DescribeUserPool', 'ListGroups');
        expect((await providerFor(fake).check()).summary).toMatch(new RegExp(`^AWS Cognito user pool ${fake.pool.id}: users readable;`));
        const batches = await collect(providerFor(fake));
        expect(all(batches, 'users').length).toBe(fake.pool.users.filter((u) => attributesOf(u).email).length);
        expect(all(batches, 'issues').filter((i) => i.field === 'group').map((i) => i.message)).toEqual([expect.stringMatching(/^the groups could not be listed .*Allow cognito-idp:ListGroups/)]);
        // With an organization the groups are roles: no listing, no run.
        const error = await collect(providerFor(fake, { organization: 'Acme' })).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect((error as Error).message).toMatch(/AWS refused to list the groups of the pool/);
      } finally {
        fake.deny();
      }
    });

    it('a malformed pool id, missing keys, an unknown choice: said before any call', () => {
      const env = cognitoEnv(fake);
      const create = (options: Record<string, unknown>, e: NodeJS.ProcessEnv = env) => () => createProvider('cognito', options, e);
      expect(create({ userPoolId: 'my-pool' })).toThrow(/"my-pool" is not a Cognito user pool id/);
      expect(create({})).toThrow(/needs the user pool id/);
      expect(create({ userPoolId: fake.pool.id }, { ...env, AWS_SECRET_ACCESS_KEY: '' })).toThrow(/AWS_SECRET_ACCESS_KEY is not set/);
      expect(create({ userPoolId: fake.pool.id }, { ...env, AWS_ACCESS_KEY_ID: undefined })).toThrow(/AWS_ACCESS_KEY_ID is not set/);
      expect(create({ userPoolId: fake.pool.id, disabled: 'maybe' })).toThrow(/Disabled users "maybe" is not understood/);
      expect(create({ userPoolId: fake.pool.id }, { ...env, COGNITO_ENDPOINT: 'ftp://x' })).toThrow(ExpectedError);
    });

    it('the headless run: the reason and the next step, never a stack trace, the secret nowhere', async () => {
      const cwd = tempDir('wm-cognito-bad-');
      const sandbox = await startSandbox({ limits: FAST_LIMITS });
      const env = { ...cognitoEnv(fake), AWS_SECRET_ACCESS_KEY: 'wrong-Secret-Key-123', ...sandboxEnv(sandbox) };
      onTestFinished(() => sandbox.close());
      const result = await runCli(['run', '--source', 'cognito', '--cognito-user-pool', fake.pool.id], { cwd, env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/AWS refused the secret access key/);
      expect(result.stderr).toMatch(/Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr + result.stdout).not.toContain('wrong-Secret-Key-123');

      const flag = await runCli(['run', '--source', 'cognito', '--cognito-disabled', 'maybe'], { cwd, env });
      expect(flag.code).toBe(1);
      expect(flag.stderr).toMatch(/--cognito-disabled maybe is not understood/);
      const pool = await runCli(['run', '--source', 'cognito', '--cognito-user-pool', 'pool-1'], { cwd, env });
      expect(pool.code).toBe(1);
      expect(pool.stderr).toMatch(/"pool-1" is not a Cognito user pool id/);
      expect(pool.stderr).toMatch(/us-east-1_AbC123/);
    });
  });
});
