/**
 * Stytch B2B as a source: organizations, members (one WorkOS user per email), roles, and password
 * hashes from a support export.
 *
 * Paging, interleaved: a page of organizations (limit 1000), then Search Members for that page's
 * organization ids in groups of `orgIdsPerQuery` (the `organization_ids` filter is required), each
 * group paged to its end, then the next page of organizations. Every response is one batch, staged
 * with a cursor that says exactly where the next request starts:
 *
 *   { v: 1, phase, org, pending, size, member, batch, done }
 *   - org:     the organizations' next_cursor ('' = first page, null = no more pages)
 *   - pending: the current organization page's ids whose members are not all exported yet; the
 *              group being paged is pending.slice(0, size). At most one page (<= 1000 ids): the
 *              cursor never holds every organization, and resuming needs neither the journal nor
 *              a second pass over organizations.
 *   - member:  the members' next_cursor inside the current group ('' = its first page)
 *   - batch:   index of the current group (for messages), done: records so far (progress)
 *
 * So an interrupted export resumes at the next page and no page is ever asked for twice.
 * Everything goes through one pacer of `ratePerMinute` (100) requests a minute.
 */
import type { B2BClient, Member, Organization, SearchQuery } from 'stytch';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceProvider, SourceRole } from '../types.js';
import { baseUrlOf, createB2BClient, passwordLoader, StytchCallError, StytchCaller, type StytchConnection } from './client.js';
import { mapMembers, mapOrganization, type ImplicitRoles } from './mapping.js';

export type StytchMemberStatus = 'active' | 'invited' | 'pending';
const MEMBER_STATUSES: readonly string[] = ['active', 'invited', 'pending'];

export interface StytchB2BOptions extends StytchConnection {
  /**
   * Member statuses to export; default all three. Invited and pending members are staged with their
   * status, and the importer follows the operator's choice for them. `deleted` is never exported.
   */
  memberStatuses?: StytchMemberStatus[];
  /** Import email_allowed_domains as verified WorkOS domains (default: pending). */
  verifiedDomains?: boolean;
  /** The decrypted password export from Stytch support. */
  passwordExportPath?: string;
  /** Requests a minute (default 100, Stytch's limit for the B2B searches). */
  ratePerMinute?: number;
  /** The window the rate counts over (default 60,000 ms); tests scale it down. */
  windowMs?: number;
  /** Records per page (default and maximum 1000). */
  pageSize?: number;
  /** Organization ids per Search Members query (default 100). */
  orgIdsPerQuery?: number;
  /** Roles given implicitly (email domain, SSO/SCIM groups): kept on the membership (default) or left out. */
  implicitRoles?: ImplicitRoles;
}

interface B2BCursor {
  v: 1;
  phase: 'orgs' | 'members' | 'done';
  org: string | null;
  pending: string[];
  size: number;
  member: string;
  batch: number;
  done: number;
}

const WRONG_KIND = 'Is this a Stytch B2B project? For a consumer project use --source stytch.';

function parseCursor(text: string): B2BCursor {
  let c: Partial<B2BCursor>;
  try {
    c = JSON.parse(text) as Partial<B2BCursor>;
  } catch {
    c = {};
  }
  if (c.v !== 1 || !Array.isArray(c.pending) || typeof c.member !== 'string' || typeof c.size !== 'number' || (c.org !== null && typeof c.org !== 'string')) {
    throw new ExpectedError(
      'The saved Stytch B2B export position in the journal is not one this version understands.',
      'Start a new migration (a new --journal) to export again from the beginning.',
    );
  }
  return c as B2BCursor;
}

const phaseOf = (c: Omit<B2BCursor, 'phase'>): B2BCursor['phase'] => (c.pending.length ? 'members' : c.org === null ? 'done' : 'orgs');

export function createStytchB2BProvider(options: StytchB2BOptions): SourceProvider {
  const statuses: string[] = options.memberStatuses?.length ? [...new Set(options.memberStatuses)] : [...MEMBER_STATUSES];
  for (const s of statuses) {
    if (!MEMBER_STATUSES.includes(s)) {
      throw new ExpectedError(
        `"${s}" is not a member status the Stytch B2B source exports.`,
        `Choose among ${MEMBER_STATUSES.join(', ')} (deleted members are never migrated).`,
      );
    }
  }
  const pageSize = Math.min(1000, Math.max(1, Math.floor(options.pageSize ?? 1000)));
  const groupSize = Math.max(1, Math.floor(options.orgIdsPerQuery ?? 100));
  const implicitRoles: ImplicitRoles = options.implicitRoles ?? 'keep';
  const client: B2BClient = createB2BClient(options);
  const caller = new StytchCaller({
    projectId: options.projectId,
    baseUrl: baseUrlOf(options),
    limit: options.ratePerMinute ?? 100,
    windowMs: options.windowMs ?? 60_000,
    wrongKindHint: WRONG_KIND,
  });
  const memberQuery: SearchQuery = { operator: 'AND', operands: [{ filter_name: 'statuses', filter_value: statuses }] };
  const loadPasswords = passwordLoader(options.passwordExportPath);

  return {
    id: 'stytch-b2b',
    displayName: 'Stytch B2B',

    async check() {
      const found = await caller.call('search organizations', () => client.organizations.search({ limit: 1 }));
      const total = found.results_metadata?.total;
      const parts = [`Stytch B2B project ${options.projectId}: ${typeof total === 'number' && total >= 0 ? `${total} organizations` : 'organizations readable'}`];
      parts.push(`exporting ${statuses.join(', ')} members`);
      const pw = await loadPasswords();
      if (pw) parts.push(`${pw.byId.size} password hashes in ${pw.file}${pw.issues.length ? ` (${pw.issues.length} row${pw.issues.length === 1 ? '' : 's'} cannot be imported)` : ''}`);
      return { summary: parts.join('; ') };
    },

    stats: () => caller.stats(),

    async *export({ cursor, signal, onRateLimited }: ExportOptions): AsyncIterable<ExportBatch> {
      const pw = await loadPasswords();
      let state: B2BCursor = cursor
        ? parseCursor(cursor)
        : { v: 1, phase: 'orgs', org: '', pending: [], size: groupSize, member: '', batch: 0, done: 0 };
      const fresh = !cursor;
      const carry: { roles: SourceRole[]; issues: SourceIssue[] } = { roles: [], issues: [] };
      const aborted = () => signal?.aborted === true;
      // Users of this run staged without a hash: the journal keeps the first staging of a user, so
      // a hash found on a later page for one of them cannot reach it (reported, not lost silently).
      const stagedWithoutHash = pw ? new Set<string>() : undefined;

      caller.onRateLimited = onRateLimited;
      try {
        if (fresh) {
          carry.issues.push(...(pw?.issues ?? []));
          try {
            const policy = await caller.call('read the RBAC policy', () => client.rbac.policy(), signal);
            for (const role of policy.policy?.roles ?? []) {
              carry.roles.push({ slug: role.role_id, name: role.role_id, description: role.description || undefined });
            }
          } catch (error) {
            if (aborted()) return;
            // Credentials and network failures stop the export; a policy Stytch will not give is worked around.
            if (!(error instanceof StytchCallError) || error.status === undefined || error.status === 401 || error.status === 403) throw error;
            carry.roles.push({ slug: 'stytch_admin', name: 'stytch_admin' }, { slug: 'stytch_member', name: 'stytch_member' });
            carry.issues.push({
              location: 'stytch rbac policy',
              severity: 'warning',
              message: `the RBAC policy could not be read (${(error as Error).message}); only the default roles stytch_admin and stytch_member are listed. Role slugs on memberships are exported all the same.`,
            });
          }
        }

        while (state.phase !== 'done') {
          if (aborted()) return;
          if (state.phase === 'orgs') {
            const org = state.org ?? '';
            const page = await caller.call(
              'search organizations',
              () => client.organizations.search({ limit: pageSize, ...(org ? { cursor: org } : {}) }),
              signal,
            );
            const organizations: Organization[] = page.organizations ?? [];
            const batch: ExportBatch = { organizations: [], roles: carry.roles.splice(0), issues: carry.issues.splice(0) };
            const ids: string[] = [];
            const seen = new Set<string>();
            for (const o of organizations) {
              if (seen.has(o.organization_id)) continue;
              seen.add(o.organization_id);
              ids.push(o.organization_id);
              const mapped = mapOrganization(o, { verifiedDomains: options.verifiedDomains });
              batch.organizations!.push(mapped.organization);
              batch.roles!.push(...mapped.roles);
              batch.issues!.push(...mapped.issues);
            }
            const next = page.results_metadata?.next_cursor || null;
            const base = { ...state, org: next, pending: ids, size: groupSize, member: '', done: state.done + organizations.length };
            state = { ...base, phase: phaseOf(base) };
            yield { ...batch, cursor: JSON.stringify(state), progress: { done: state.done, unit: 'records' } };
            continue;
          }

          const group = state.pending.slice(0, state.size);
          const member = state.member;
          const page = await caller.call(
            `search members (organization group ${state.batch + 1})`,
            () =>
              client.organizations.members.search({
                organization_ids: group,
                limit: pageSize,
                query: memberQuery,
                ...(member ? { cursor: member } : {}),
              }),
            signal,
          );
          const members: Member[] = (page.members ?? []).filter((m) => statuses.includes(m.status));
          const mapped = mapMembers(members, { implicitRoles, passwords: pw });
          if (stagedWithoutHash) {
            for (const user of mapped.users) {
              if (!user.passwordHash) stagedWithoutHash.add(user.sourceId);
              else if (stagedWithoutHash.has(user.sourceId)) {
                mapped.issues.push({
                  location: user.origin ?? user.sourceId,
                  field: 'passwordHash',
                  severity: 'warning',
                  recordKind: 'user',
                  sourceId: user.sourceId,
                  message: `${user.email} has a password in this organization, but the user was already staged without one from an earlier page (another organization); it is imported without a password and needs a password reset (or set this hash afterwards with Update User).`,
                });
              }
            }
          }
          const next = page.results_metadata?.next_cursor || '';
          const base = next
            ? { ...state, member: next }
            : { ...state, pending: state.pending.slice(state.size), member: '', batch: state.batch + 1 };
          base.done = state.done + (page.members?.length ?? 0);
          state = { ...base, phase: phaseOf(base) };
          yield {
            users: mapped.users,
            memberships: mapped.memberships,
            roles: carry.roles.splice(0),
            issues: [...carry.issues.splice(0), ...mapped.issues],
            cursor: JSON.stringify(state),
            progress: { done: state.done, unit: 'records' },
          };
        }
      } catch (error) {
        // A stop while waiting for the pacer (or a backoff) ends the export quietly: the journal
        // holds the cursor of the last staged batch.
        if (aborted()) return;
        throw error;
      } finally {
        caller.onRateLimited = undefined;
      }
    },
  };
}
