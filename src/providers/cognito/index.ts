/**
 * Amazon Cognito (a user pool) as a source, on the official SDK, paced to Cognito's request-rate
 * quotas (client.ts).
 *
 * Order, each step a staged batch with the cursor that says where the next request starts:
 *
 *   start    DescribeUserPool (the estimated user count, for progress); the up-front word that no
 *            password hash can leave Cognito; with --cognito-organization, the one organization
 *   groups   ListGroups?NextToken (60 a page). Groups are not organizations: with an organization
 *            each group is a source role (mapped to a WorkOS role by the operator); without one
 *            each group is listed (a warning), nothing more
 *   users    ListUsers?PaginationToken (60 a page): users; with an organization, each user's
 *            membership in it (no role yet: the default role unless a group adds one)
 *   members  (with an organization) ListUsersInGroup?NextToken for each group in turn: the
 *            group's members, each a membership with the group as its role (the journal adds a
 *            group's role to the membership staged with the user)
 *
 * A saved token Cognito no longer takes (InvalidParameterException) starts that listing over, said
 * in a warning: users already staged are read again and kept once (see `replay`), group members
 * are memberships the journal already holds.
 *
 * Cursor: { v: 1, phase, token, groups, group, users, members, total, replay }.
 */
import { DescribeUserPoolCommand, ListGroupsCommand, ListUsersCommand, ListUsersInGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceMembership, SourceProvider, SourceRole, SourceUser } from '../types.js';
import { CognitoCaller, type CognitoConnection, type CognitoRates } from './client.js';
import { mapCognitoUser, subOf, type DisabledChoice } from './mapping.js';

export { CognitoCaller, CognitoCallError, COGNITO_RATES } from './client.js';
export { checkConnection, POOL_ID, regionOfPool } from './connection.js';
export type { CognitoConnection, CognitoRates } from './client.js';
export { mapCognitoUser, attributeMap, USERNAME_KEY } from './mapping.js';
export type { DisabledChoice } from './mapping.js';

export interface CognitoOptions extends CognitoConnection {
  /** Every user goes into this WorkOS organization, with their groups as roles. */
  organization?: string;
  disabled?: DisabledChoice;
  /** Users (and group members, groups) per request: 1..60, default 60 (Cognito's maximum). */
  pageSize?: number;
  /** Requests a second per quota category (Cognito's defaults otherwise). */
  rates?: Partial<CognitoRates>;
}

type Phase = 'start' | 'groups' | 'users' | 'members' | 'done';

interface CognitoCursor {
  v: 1;
  phase: Phase;
  /** The next page's token in the current listing ('' = the first page). */
  token: string;
  /** Group names read so far (their members are read in the members phase). */
  groups: string[];
  /** Index in `groups` of the group whose members are being read. */
  group: number;
  users: number;
  members: number;
  /** DescribeUserPool's EstimatedNumberOfUsers, when it could be read. */
  total: number | null;
  /**
   * Users still to read again after Cognito refused a saved PaginationToken (a resume long after
   * the stop): the listing starts over, the journal keeps each user once, and the issues of these
   * users, staged the first time, are not staged twice.
   */
  replay?: number;
}

/** The one word, said before anything else, on the passwords that cannot move. */
export function noHashNotice(poolId: string): SourceIssue {
  return {
    location: `cognito user pool ${poolId}`,
    field: 'password',
    severity: 'warning',
    // The first 160 characters are what a plan line shows: the two ways out come first.
    message:
      'Cognito never lets password hashes out: keep passwords with the lazy migration (workos-migrate lazy --out DIR), else reset them (password-resets.csv). ' +
      'Every user who signs in with a password is imported without one. The lazy-migration module, put in front of Cognito, moves each password into WorkOS on that user\'s next sign-in; ' +
      'whoever has not signed in by the cut-over gets a password reset (the fallback).',
  };
}

function parseCursor(text: string): CognitoCursor {
  let c: Partial<CognitoCursor> = {};
  try {
    c = JSON.parse(text) as Partial<CognitoCursor>;
  } catch {
    // below
  }
  if (c.v !== 1 || typeof c.phase !== 'string' || typeof c.token !== 'string' || !Array.isArray(c.groups)) {
    throw new ExpectedError('The saved Cognito export position in the journal is not one this version understands.', 'Start a new migration (a new --journal) to export again from the beginning.');
  }
  return c as CognitoCursor;
}

export function createCognitoProvider(options: CognitoOptions): SourceProvider {
  const caller = new CognitoCaller(options, options.rates);
  const pool = options.userPoolId.trim();
  const limit = Math.min(60, Math.max(1, Math.floor(options.pageSize ?? 60)));
  const disabled: DisabledChoice = options.disabled ?? 'skip';
  const organization = options.organization?.trim() || undefined;

  const describe = (signal?: AbortSignal) =>
    caller.send('poolRead', 'describe the user pool', (c, abortSignal) => c.send(new DescribeUserPoolCommand({ UserPoolId: pool }), { abortSignal: abortSignal ?? signal }));

  return {
    id: 'cognito',
    displayName: 'AWS Cognito',

    async check() {
      // ListUsers is the call the export lives on: it must work. DescribeUserPool only adds the name.
      const first = await caller.send('userList', 'list the users of the pool', (c) => c.send(new ListUsersCommand({ UserPoolId: pool, Limit: 1 })));
      let described: { name?: string; estimate?: number } = {};
      try {
        const d = await describe();
        described = { name: d.UserPool?.Name, estimate: d.UserPool?.EstimatedNumberOfUsers };
      } catch (error) {
        if (!['AccessDeniedException', 'NotAuthorizedException'].includes((error as { code?: string }).code ?? '')) throw error;
      }
      const users = typeof described.estimate === 'number' ? `about ${described.estimate.toLocaleString('en-US')} users` : first.Users?.length ? 'users readable' : 'no users yet';
      return { summary: `AWS Cognito user pool ${described.name ? `${described.name} (${pool})` : pool}: ${users}; no password hashes can leave Cognito (resets or lazy migration)` };
    },

    stats: () => caller.stats(),

    async *export({ cursor, signal, onRateLimited }: ExportOptions): AsyncIterable<ExportBatch> {
      let state: CognitoCursor = cursor ? parseCursor(cursor) : { v: 1, phase: 'start', token: '', groups: [], group: 0, users: 0, members: 0, total: null };
      const save = (next: Partial<CognitoCursor>) => (state = { ...state, ...next });
      const batchOf = (b: ExportBatch): ExportBatch => ({
        ...b,
        cursor: JSON.stringify(state),
        progress:
          // Group members are counted with the users once they are read (a unit of their own has no total).
          state.phase === 'members' || (state.phase === 'done' && state.members > 0)
            ? { done: state.users + state.members, unit: 'records' }
            : { done: state.users, ...(state.total !== null ? { total: Math.max(state.total, state.users) } : {}), unit: 'users' },
      });
      caller.signal = signal;
      caller.onRateLimited = onRateLimited;
      const stopped = () => signal?.aborted === true;
      const refusedToken = (error: unknown) => state.token !== '' && (error as { code?: string }).code === 'InvalidParameterException' && /token/i.test((error as Error).message);
      const startedOver = (what: string, error: unknown): SourceIssue => ({
        location: `cognito user pool ${pool}`,
        field: 'pagination',
        severity: 'warning',
        message: `Cognito no longer takes the saved paging position of ${what} (${(error as { said?: string }).said ?? (error as Error).message}): that listing started again from its first page. What was staged before is read again and kept once.`,
      });
      try {
        while (state.phase !== 'done') {
          if (stopped()) return;
          switch (state.phase) {
            case 'start': {
              let total: number | null = null;
              const issues: SourceIssue[] = [noHashNotice(pool)];
              try {
                const d = await describe(signal);
                total = d.UserPool?.EstimatedNumberOfUsers ?? null;
              } catch (error) {
                // Without the permission there is no estimate, nothing more.
                if (!['AccessDeniedException', 'NotAuthorizedException'].includes((error as { code?: string }).code ?? '')) throw error;
              }
              save({ phase: 'groups', token: '', total });
              yield batchOf({
                issues,
                ...(organization ? { organizations: [{ sourceId: pool, name: organization, domains: [], metadata: { cognito_user_pool: pool }, origin: `cognito user pool ${pool}` }] } : {}),
              });
              break;
            }
            case 'groups': {
              let page;
              try {
                page = await caller.send('listGroups', 'list the groups of the pool', (c, abortSignal) =>
                  c.send(new ListGroupsCommand({ UserPoolId: pool, Limit: limit, ...(state.token ? { NextToken: state.token } : {}) }), { abortSignal }),
                );
              } catch (error) {
                const code = (error as { code?: string }).code ?? '';
                if (!organization && ['AccessDeniedException', 'NotAuthorizedException'].includes(code)) {
                  // Without an organization the groups are only listed: the users still move.
                  save({ phase: 'users', token: '' });
                  yield batchOf({
                    issues: [{ location: `cognito user pool ${pool}`, field: 'group', severity: 'warning', message: `the groups could not be listed (${(error as Error).message}); none is carried either way. Allow cognito-idp:ListGroups to see them named here.` }],
                  });
                  break;
                }
                if (!refusedToken(error)) throw error;
                // The groups read so far are read again (roles are kept once).
                save({ token: '', groups: [] });
                yield batchOf({ issues: [startedOver('the groups', error)] });
                break;
              }
              const names = (page.Groups ?? []).map((g) => g.GroupName).filter((n): n is string => !!n);
              const roles: SourceRole[] = [];
              const issues: SourceIssue[] = [];
              for (const g of page.Groups ?? []) {
                if (!g.GroupName) continue;
                if (organization) roles.push({ slug: g.GroupName, name: g.GroupName, description: g.Description || undefined });
                else {
                  issues.push({
                    location: `cognito group ${g.GroupName}`,
                    field: 'group',
                    severity: 'warning',
                    message: `Cognito group "${g.GroupName}" is not carried: groups are not organizations in WorkOS. To keep them, run again with --cognito-organization NAME (every user in that one WorkOS organization, each group a role you map), or recreate the group in your application.`,
                  });
                }
              }
              const next = page.NextToken ?? '';
              save({ groups: [...state.groups, ...names], token: next, ...(next ? {} : { phase: 'users' as const }) });
              yield batchOf({ roles, issues });
              break;
            }
            case 'users': {
              let page;
              try {
                page = await caller.send('userList', 'list the users of the pool', (c, abortSignal) =>
                  c.send(new ListUsersCommand({ UserPoolId: pool, Limit: limit, ...(state.token ? { PaginationToken: state.token } : {}) }), { abortSignal }),
                );
              } catch (error) {
                if (!refusedToken(error)) throw error;
                save({ token: '', replay: state.users });
                yield batchOf({ issues: [startedOver('the users', error)] });
                break;
              }
              const users: SourceUser[] = [];
              const issues: SourceIssue[] = [];
              const memberships: SourceMembership[] = [];
              const leftOut: NonNullable<ExportBatch['leftOut']> = [];
              let replay = state.replay ?? 0;
              let read = 0;
              for (const raw of page.Users ?? []) {
                const mapped = mapCognitoUser(raw, pool, disabled);
                // Read before the listing started over: staged with its issues already.
                if (replay > 0) replay--;
                else {
                  read++;
                  issues.push(...mapped.issues);
                }
                if (!mapped.user) continue;
                users.push(mapped.user);
                if (mapped.skipReason) leftOut.push({ kind: 'user', sourceId: mapped.user.sourceId, reason: mapped.skipReason });
                if (organization) memberships.push({ userSourceId: mapped.user.sourceId, orgSourceId: pool, roles: [], origin: `cognito user ${mapped.user.sourceId}` });
              }
              const next = page.PaginationToken ?? '';
              const finished = !next;
              save({
                users: state.users + read,
                token: next,
                replay,
                ...(finished ? { phase: organization && state.groups.length ? ('members' as const) : ('done' as const), group: 0 } : {}),
              });
              yield batchOf({ users, issues, memberships, ...(leftOut.length ? { leftOut } : {}) });
              break;
            }
            case 'members': {
              const group = state.groups[state.group];
              let page;
              try {
                page = await caller.send('userList', `list the members of group ${group}`, (c, abortSignal) =>
                  c.send(new ListUsersInGroupCommand({ UserPoolId: pool, GroupName: group, Limit: limit, ...(state.token ? { NextToken: state.token } : {}) }), { abortSignal }),
                );
              } catch (error) {
                if (!refusedToken(error)) throw error;
                save({ token: '' });
                yield batchOf({ issues: [startedOver(`group ${group}`, error)] });
                break;
              }
              const memberships: SourceMembership[] = [];
              for (const raw of page.Users ?? []) {
                const sub = subOf(raw);
                // A member without a sub was reported (and left out) when the users were read.
                if (sub) memberships.push({ userSourceId: sub, orgSourceId: pool!, roles: [group], origin: `cognito group ${group} member ${raw.Username ?? sub}` });
              }
              const next = page.NextToken ?? '';
              const last = !next && state.group + 1 >= state.groups.length;
              save({ members: state.members + memberships.length, token: next, ...(next ? {} : { group: state.group + 1 }), ...(last ? { phase: 'done' as const } : {}) });
              yield batchOf({ memberships });
              break;
            }
          }
        }
      } catch (error) {
        // A stop in the middle of a request or a wait: the last staged cursor is where to resume.
        if (stopped()) return;
        throw error;
      }
    },
  };
}
