/**
 * A fake Stytch API on 127.0.0.1 for tests and the benchmark, faithful to the facts in
 * shared/reference/stytch-api.md as far as a migration sees them:
 *
 * - Basic auth `project_id:secret`; anything else answers 401 `unauthorized_credentials`.
 * - POST /v1/b2b/organizations/search, POST /v1/b2b/organizations/members/search (with
 *   `organization_ids` required), GET /v1/b2b/rbac/policy, POST /v1/users/search (`results`).
 * - Opaque cursor paging (`results_metadata.next_cursor`, empty when done), `limit` default 100,
 *   at most 1000; a cursor only works with the query it was made for.
 * - Member search filters `statuses` and `member_ids`/`member_emails`; user search `status`.
 * - Every body carries `request_id` and `status_code` (the SDK reads the status from the body).
 * - 100 requests a minute per project shared by the two B2B search endpoints, 150 for user
 *   search, as sliding windows (`windowMs` scales them for fast tests); over it, the 429 body from
 *   the reference and no rate-limit headers.
 * - Counters: requests per path, pages served per (endpoint, query, cursor), 429s, the most
 *   requests seen in any window: what tests assert "no page asked twice" and "never over" with.
 *
 * Where Stytch's exact answer is not documented, the choice is marked "fake:" (the error_type of
 * a missing organization_ids, of a limit over 1000, of a cursor from another query).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Member, Organization, User } from 'stytch';
import { SlidingWindowLog } from '../rate-limit.js';
import type { StytchProject } from './data.js';

export const STYTCH_B2B_LIMIT = { limit: 100, windowMs: 60_000 };
export const STYTCH_CONSUMER_LIMIT = { limit: 150, windowMs: 60_000 };

export interface FakeStytchOptions {
  project: StytchProject;
  /** Default `secret-test-fake`. */
  secret?: string;
  port?: number;
  /** B2B searches per window (default 100). */
  limit?: number;
  /** Consumer user searches per window (default 150). */
  consumerLimit?: number;
  /** The window both limits count over (default 60,000 ms); scale it down for fast tests. */
  windowMs?: number;
  /** false turns the limits off (the counters still count). */
  enforceLimits?: boolean;
  /** Added latency per API request, ms. */
  latencyMs?: number;
}

export interface FakeStytchStats {
  requests: number;
  byPath: Record<string, number>;
  /** Pages answered 200, by endpoint + query + cursor + limit. */
  pagesServed: number;
  /** Keys of pages answered 200 more than once. */
  repeatedPages: string[];
  rateLimited: number;
  injected429: number;
  injected500: number;
  unauthorized: number;
  badRequests: number;
  maxInAnyWindow: { b2b: number; consumer: number };
}

export interface FakeStytch {
  url: string;
  projectId: string;
  secret: string;
  project: StytchProject;
  stats(): FakeStytchStats;
  resetStats(): void;
  /** The next `count` API requests answer 429 whatever the window holds. */
  inject429(count: number): void;
  /** The next `count` API requests answer 500 (before doing anything). */
  inject500(count: number): void;
  setEnforceLimits(on: boolean): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

const ERROR_URL = 'https://stytch.com/docs/api/errors';

function errorReply(status: number, type: string, message: string, requestId: string): Reply {
  return {
    status,
    body: { status_code: status, request_id: requestId, error_type: type, error_message: message, error_url: `${ERROR_URL}/${status}#${type}` },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

class BadRequest extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface SearchBody {
  cursor?: unknown;
  limit?: unknown;
  query?: { operator?: unknown; operands?: { filter_name?: unknown; filter_value?: unknown }[] } | null;
  organization_ids?: unknown;
}

function pageLimit(body: SearchBody): number {
  if (body.limit === undefined || body.limit === null || body.limit === 0) return 100;
  if (typeof body.limit !== 'number' || !Number.isInteger(body.limit) || body.limit < 0) {
    throw new BadRequest('invalid_limit', 'limit must be a positive integer.');
  }
  // fake: Stytch documents the maximum; the exact error it gives over it is not documented.
  if (body.limit > 1000) throw new BadRequest('invalid_limit', 'limit must be at most 1000.');
  return body.limit;
}

function operands(body: SearchBody): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!body.query) return out;
  if (typeof body.query !== 'object' || !Array.isArray(body.query.operands ?? [])) {
    throw new BadRequest('invalid_query', 'query must be an object with an operator and operands.');
  }
  for (const operand of body.query.operands ?? []) {
    if (typeof operand?.filter_name !== 'string') throw new BadRequest('invalid_query', 'Every operand needs a filter_name.');
    out.set(operand.filter_name, operand.filter_value);
  }
  return out;
}

/** Opaque cursors bound to their query, like real ones: base64url of { offset, query key }. */
function makeCursor(offset: number, queryKey: string): string {
  return Buffer.from(JSON.stringify({ o: offset, k: queryKey })).toString('base64url');
}

function readCursor(cursor: unknown, queryKey: string): number {
  if (cursor === undefined || cursor === null || cursor === '') return 0;
  if (typeof cursor !== 'string') throw new BadRequest('invalid_cursor', 'cursor must be a string.');
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: number; k: string };
    if (typeof parsed.o !== 'number' || parsed.k !== queryKey) throw new Error('mismatch');
    return parsed.o;
  } catch {
    // fake: the error a cursor from another query gets.
    throw new BadRequest('invalid_cursor', 'The cursor is invalid or was made for a different query.');
  }
}

function page<T>(items: T[], offset: number, limit: number, queryKey: string): { slice: T[]; next: string } {
  const slice = items.slice(offset, offset + limit);
  const end = offset + slice.length;
  return { slice, next: end < items.length ? makeCursor(end, queryKey) : '' };
}

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

export async function startFakeStytch(options: FakeStytchOptions): Promise<FakeStytch> {
  const project = options.project;
  const projectId = project.projectId;
  const secret = options.secret ?? 'secret-test-fake';
  const windowMs = options.windowMs ?? STYTCH_B2B_LIMIT.windowMs;
  const b2bLog = new SlidingWindowLog(options.limit ?? STYTCH_B2B_LIMIT.limit, windowMs);
  const consumerLog = new SlidingWindowLog(options.consumerLimit ?? STYTCH_CONSUMER_LIMIT.limit, windowMs);
  let enforce = options.enforceLimits !== false;
  let inject = 0;
  let inject5xx = 0;
  const expectedAuth = Buffer.from(`Basic ${Buffer.from(`${projectId}:${secret}`).toString('base64')}`);

  const membersByOrg = new Map<string, Member[]>();
  for (const m of project.members) {
    let list = membersByOrg.get(m.organization_id);
    if (!list) membersByOrg.set(m.organization_id, (list = []));
    list.push(m);
  }
  const orgById = new Map(project.organizations.map((o) => [o.organization_id, o]));

  let stats = emptyStats();
  let served = new Map<string, number>();
  function emptyStats(): FakeStytchStats {
    return {
      requests: 0,
      byPath: {},
      pagesServed: 0,
      repeatedPages: [],
      rateLimited: 0,
      injected429: 0,
      injected500: 0,
      unauthorized: 0,
      badRequests: 0,
      maxInAnyWindow: { b2b: 0, consumer: 0 },
    };
  }
  const countPage = (key: string) => {
    const n = (served.get(key) ?? 0) + 1;
    served.set(key, n);
    stats.pagesServed++;
    if (n === 2) stats.repeatedPages.push(key);
  };

  function authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth);
  }

  function searchOrganizations(body: SearchBody, requestId: string): Reply {
    const limit = pageLimit(body);
    const ops = operands(body);
    const ids = stringList(ops.get('organization_ids'));
    const slugs = stringList(ops.get('organization_slugs'));
    let list: Organization[] = project.organizations;
    if (ids) list = list.filter((o) => ids.includes(o.organization_id));
    if (slugs) list = list.filter((o) => slugs.includes(o.organization_slug));
    const queryKey = JSON.stringify({ q: body.query ?? null, limit });
    const offset = readCursor(body.cursor, queryKey);
    const { slice, next } = page(list, offset, limit, queryKey);
    countPage(`orgs ${queryKey} @${offset}`);
    return {
      status: 200,
      body: { request_id: requestId, status_code: 200, organizations: slice, results_metadata: { total: list.length, next_cursor: next } },
    };
  }

  function searchMembers(body: SearchBody, requestId: string): Reply {
    const orgIds = stringList(body.organization_ids);
    if (!orgIds || orgIds.length === 0) {
      // fake: the exact error_type Stytch uses here is not documented.
      throw new BadRequest('invalid_organization_ids', 'organization_ids must contain at least one organization_id.');
    }
    const limit = pageLimit(body);
    const ops = operands(body);
    const statuses = stringList(ops.get('statuses'));
    const memberIds = stringList(ops.get('member_ids'));
    const emails = stringList(ops.get('member_emails'))?.map((e) => e.toLowerCase());
    let list: Member[] = [];
    for (const id of orgIds) list.push(...(membersByOrg.get(id) ?? []));
    if (statuses) list = list.filter((m) => statuses.includes(m.status));
    if (memberIds) list = list.filter((m) => memberIds.includes(m.member_id));
    if (emails) list = list.filter((m) => emails.includes(m.email_address.toLowerCase()));
    const queryKey = JSON.stringify({ o: orgIds, q: body.query ?? null, limit });
    const offset = readCursor(body.cursor, queryKey);
    const { slice, next } = page(list, offset, limit, queryKey);
    countPage(`members ${queryKey} @${offset}`);
    const organizations: Record<string, Organization> = {};
    for (const m of slice) organizations[m.organization_id] ??= orgById.get(m.organization_id)!;
    return {
      status: 200,
      body: {
        request_id: requestId,
        status_code: 200,
        members: slice,
        results_metadata: { total: list.length, next_cursor: next },
        organizations,
      },
    };
  }

  function searchUsers(body: SearchBody, requestId: string): Reply {
    const limit = pageLimit(body);
    const ops = operands(body);
    const status = ops.get('status');
    const userIds = stringList(ops.get('user_id'));
    let list: User[] = project.users;
    if (typeof status === 'string') list = list.filter((u) => u.status === status);
    if (userIds) list = list.filter((u) => userIds.includes(u.user_id));
    const queryKey = JSON.stringify({ q: body.query ?? null, limit });
    const offset = readCursor(body.cursor, queryKey);
    const { slice, next } = page(list, offset, limit, queryKey);
    countPage(`users ${queryKey} @${offset}`);
    return {
      status: 200,
      body: { request_id: requestId, status_code: 200, results: slice, results_metadata: { total: list.length, next_cursor: next } },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `request-id-test-${randomUUID()}`;
    const method = (req.method ?? 'GET').toUpperCase();
    const pathname = new URL(req.url ?? '/', 'http://fake.local').pathname.replace(/\/+$/, '');
    const raw = await readBody(req);
    stats.requests++;
    stats.byPath[`${method} ${pathname}`] = (stats.byPath[`${method} ${pathname}`] ?? 0) + 1;
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));

    const send = (reply: Reply) => {
      const payload = JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
      res.end(payload);
    };

    if (!authorized(req)) {
      stats.unauthorized++;
      return send(
        errorReply(401, 'unauthorized_credentials', 'Unauthorized credentials. Please check your project ID and secret and try again.', requestId),
      );
    }

    const route =
      method === 'POST' && pathname === '/v1/b2b/organizations/search'
        ? 'orgs'
        : method === 'POST' && pathname === '/v1/b2b/organizations/members/search'
          ? 'members'
          : method === 'GET' && pathname === '/v1/b2b/rbac/policy'
            ? 'policy'
            : method === 'POST' && pathname === '/v1/users/search'
              ? 'users'
              : null;
    if (!route) return send(errorReply(404, 'route_not_found', `No route for ${method} ${pathname}.`, requestId));
    if (inject5xx > 0) {
      inject5xx--;
      stats.injected500++;
      return send(errorReply(500, 'internal_server_error', 'Oops, something seems to have gone wrong.', requestId));
    }

    // The two B2B searches share one window; user search has its own; the policy read is not limited.
    const log = route === 'users' ? consumerLog : route === 'policy' ? null : b2bLog;
    if (log) {
      const now = performance.now();
      if (inject > 0 || (enforce && log.waitMs(now) > 0)) {
        if (inject > 0) {
          inject--;
          stats.injected429++;
        } else stats.rateLimited++;
        return send(errorReply(429, 'too_many_requests', 'Too many requests have been made.', requestId));
      }
      log.record(now);
    }

    let body: SearchBody = {};
    if (method === 'POST') {
      try {
        body = raw.trim() ? (JSON.parse(raw) as SearchBody) : {};
      } catch {
        stats.badRequests++;
        return send(errorReply(400, 'invalid_json', 'The request body is not valid JSON.', requestId));
      }
    }
    try {
      if (route === 'orgs') return send(searchOrganizations(body, requestId));
      if (route === 'members') return send(searchMembers(body, requestId));
      if (route === 'users') return send(searchUsers(body, requestId));
      return send({ status: 200, body: { request_id: requestId, status_code: 200, policy: project.policy } });
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      stats.badRequests++;
      return send(errorReply(400, error.type, error.message, requestId));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[fake stytch] internal error', error);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status_code: 500, request_id: 'request-id-test-error', error_type: 'internal_server_error', error_message: 'Oops.', error_url: ERROR_URL }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    projectId,
    secret,
    project,
    stats: () => {
      const s = structuredClone(stats);
      s.maxInAnyWindow = { b2b: b2bLog.maxInWindow, consumer: consumerLog.maxInWindow };
      return s;
    },
    resetStats: () => {
      stats = emptyStats();
      served = new Map();
      b2bLog.maxInWindow = b2bLog.count(performance.now());
      consumerLog.maxInWindow = consumerLog.count(performance.now());
    },
    inject429: (count) => {
      inject += count;
    },
    inject500: (count) => {
      inject5xx += count;
    },
    setEnforceLimits: (on) => {
      enforce = on;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
