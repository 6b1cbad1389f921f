/**
 * A source's conventional role pairs (Better Auth's owner -> admin, Stytch's stytch_admin -> admin)
 * apply only where the WorkOS environment lacks the source's own slug.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/services/journal/journal.js';
import { resolveRoles } from '../../src/services/migration.js';
import { tempDir } from '../helpers.js';

const opened: Journal[] = [];
afterEach(() => opened.splice(0).forEach((j) => j.close()));

function journalOf(kind: string, roles: string[]): Journal {
  const journal = Journal.create(path.join(tempDir('wm-roles-'), 'j.db'), {
    version: 1,
    source: { kind, options: {} },
    workos: { apiKeyEnv: 'WORKOS_API_KEY' },
    createdAt: new Date().toISOString(),
  });
  opened.push(journal);
  journal.stageBatch({
    organizations: [{ sourceId: 'o1', name: 'Acme', domains: [] }],
    users: [{ sourceId: 'u1', email: 'a@example.com' }],
    memberships: [{ userSourceId: 'u1', orgSourceId: 'o1', roles }],
  });
  return journal;
}

describe('conventional role pairs', () => {
  it("map Better Auth's owner to admin where the environment has no owner role", () => {
    const resolution = resolveRoles(journalOf('better-auth', ['owner']), ['admin', 'member'], {});
    expect(resolution.roleMap).toEqual({ owner: 'admin' });
    expect(resolution.unmapped).toEqual([]);
  });

  it('keep owner where the environment has it', () => {
    expect(resolveRoles(journalOf('better-auth', ['owner']), ['owner', 'admin', 'member'], {}).roleMap).toEqual({ owner: 'owner' });
  });

  it("give way to the operator's own mapping", () => {
    expect(resolveRoles(journalOf('better-auth', ['owner']), ['admin', 'member'], { owner: 'member' }).roleMap).toEqual({ owner: 'member' });
  });
});
