import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/sandbox/dataset.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { expectSandboxHolds, FAST_LIMITS } from '../helpers.js';
import { importInto, notices, stagedJournal } from './util.js';

/** How long WorkOS refuses connections in the middle of the import: minutes in life, seconds here. */
const WINDOW_MS = 3_000;

describe('WorkOS unreachable in the middle of an import', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ limits: FAST_LIMITS });
  });
  afterAll(() => sandbox.close());

  it('waits while it is away, says so, and carries on by itself: every record done exactly once', async () => {
    const dataset = generateDataset({ users: 300, organizations: 20, memberships: 450, seed: 31 });
    const journal = stagedJournal({
      organizations: dataset.organizations.map((o) => ({ sourceId: o.sourceId, name: o.name, domains: [{ domain: o.domain, state: 'pending' }] })),
      users: dataset.users.map((u) => ({ sourceId: u.sourceId, email: u.email, firstName: u.firstName, lastName: u.lastName })),
      memberships: dataset.memberships.map((m) => ({ userSourceId: m.userSourceId, orgSourceId: m.orgSourceId, roles: [m.role] })),
    });

    // Cut WorkOS off once a third of the users are in, while calls are in flight.
    let outage: Promise<{ reopened: Promise<void> }> | undefined;
    const watch = setInterval(() => {
      if (!outage && sandbox.state.users.size >= 100) outage = sandbox.outage(WINDOW_MS);
    }, 5);
    let result: Awaited<ReturnType<typeof importInto>>;
    try {
      // Two tries per record and two retries per read: an outage must spend neither.
      result = await importInto(sandbox, journal, { maxAttempts: 2 }, { probeEveryMs: 500, readRetries: 2 });
    } finally {
      clearInterval(watch);
    }
    expect(outage).toBeDefined();
    await (await outage!).reopened;

    expect(result.stopped).toBe(false);
    const counts = journal.counts();
    journal.close();
    for (const kind of ['organization', 'user', 'membership'] as const) {
      expect(counts[kind]).toMatchObject({ done: counts[kind].total, failed: 0, skipped: 0 });
    }
    // Calls cut by the outage were found again by look-up, not made twice nor "adopted".
    expectSandboxHolds(sandbox, dataset);
    expect(counts.user.adopted + counts.membership.adopted).toBe(0);

    const said = notices(result.events);
    const away = said.filter((n) => n.code === 'workos_unreachable');
    const back = said.filter((n) => n.code === 'workos_reachable');
    expect(away).toHaveLength(1);
    expect(away[0].message).toMatch(/^WorkOS is unreachable \(ECONNREFUSED\) since \d\d:\d\d:\d\d; waiting, nothing is lost; retrying every 0\.5s\.$/);
    expect(back).toHaveLength(1);
    expect(back[0].message).toMatch(/^WorkOS answers again at \d\d:\d\d:\d\d \(away \d+s\); carrying on\.$/);
    expect(said.indexOf(away[0])).toBeLessThan(said.indexOf(back[0]));
  }, 120_000);
});
