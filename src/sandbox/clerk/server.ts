/**
 * A fake Clerk Backend API on 127.0.0.1 for tests and benchmarks, faithful to Clerk's public
 * documentation as far as a migration sees it:
 *
 * - `Authorization: Bearer <secret key>`; a missing or wrong key answers 401 with Clerk's error
 *   body `{ errors: [{ message, long_message, code }], clerk_trace_id }`.
 * - GET /v1/users?limit=&offset=&order_by= : a plain JSON array (limit 1..500, default 10;
 *   order_by created_at with + or -, default -created_at); GET /v1/users/count.
 * - GET /v1/organizations?limit=&offset=, GET /v1/organizations/{id}/memberships?limit=&offset=,
 *   /organizations/{id}/domains and /organizations/{id}/invitations?status= : `{ data, total_count }`;
 *   a limit outside 1..500 or a negative offset answers 422.
 * - Rate limit: `limit` requests per `windowMs` per instance (Clerk: 100 per 10 s on a development
 *   instance, 1000 per 10 s in production); past it 429 with `Retry-After` (whole seconds).
 * - Counters: requests per route, pages served more than once, 429s, the most requests seen in
 *   any window; inject429 / inject500 for the error paths.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClerkInstance, ClerkUser } from './data.js';

export interface FakeClerkOptions {
  instance: ClerkInstance;
  secretKey?: string;
  port?: number;
  /** Requests allowed per window (default 100 per 10 s, a development instance). */
  limit?: number;
  windowMs?: number;
  /** Seconds a 429 asks to wait (default: until the window frees a slot, at least 1). */
  retryAfterSec?: number;
}

export interface FakeClerkStats {
  requests: number;
  byRoute: Record<string, number>;
  /** `route?offset=` keys served more than once. */
  repeatedPages: string[];
  rateLimited: number;
  unauthorized: number;
  /** The most requests accepted inside any one window. */
  maxInWindow: number;
}

export interface FakeClerk {
  url: string;
  secretKey: string;
  instance: ClerkInstance;
  limit: number;
  windowMs: number;
  stats(): FakeClerkStats;
  /** Pages served so far (`GET /v1/users?offset=0` ...), in order. */
  pages(): string[];
  inject429(count: number): void;
  inject500(count: number): void;
  close(): Promise<void>;
}

const error = (code: string, message: string, long: string, meta?: Record<string, unknown>) => ({
  errors: [{ message, long_message: long, code, ...(meta ? { meta } : {}) }],
  clerk_trace_id: randomBytes(16).toString('hex'),
});

export async function startFakeClerk(options: FakeClerkOptions): Promise<FakeClerk> {
  const { instance } = options;
  const secretKey = options.secretKey ?? `sk_test_${randomBytes(18).toString('base64url')}`;
  const limit = options.limit ?? 100;
  const windowMs = options.windowMs ?? 10_000;
  const accepted: number[] = [];
  const served = new Map<string, number>();
  const pageLog: string[] = [];
  let inject429 = 0;
  let inject500 = 0;
  let stats = empty();
  function empty(): FakeClerkStats {
    return { requests: 0, byRoute: {}, repeatedPages: [], rateLimited: 0, unauthorized: 0, maxInWindow: 0 };
  }
  const orgById = new Map(instance.organizations.map((o) => [o.id, o]));
  const userById = new Map(instance.users.map((u) => [u.id, u]));

  function page(key: string) {
    pageLog.push(key);
    const n = (served.get(key) ?? 0) + 1;
    served.set(key, n);
    if (n === 2) stats.repeatedPages.push(key);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\/+$/, '');
    const parts = path.split('/').filter(Boolean);
    const route = `${method} /${parts.map((p, i) => (i === 2 && parts[1] === 'organizations' ? '{id}' : p)).join('/')}`;
    stats.requests++;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(payload), ...headers });
      res.end(payload);
    };

    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || auth.slice(7).trim() !== secretKey) {
      stats.unauthorized++;
      json(401, error('authentication_invalid', 'Invalid authentication', 'Unable to authenticate the request, you need to supply an active API key'));
      return;
    }

    // The instance's window: Clerk blocks the rest of it and says for how long.
    const now = Date.now();
    while (accepted.length && accepted[0] <= now - windowMs) accepted.shift();
    if (inject429 > 0 || accepted.length >= limit) {
      if (inject429 > 0) inject429--;
      stats.rateLimited++;
      const wait = options.retryAfterSec ?? Math.max(1, Math.ceil(((accepted[0] ?? now) + windowMs - now) / 1000));
      json(429, error('too_many_requests', 'Too many requests', 'Too many requests, please try again later.'), { 'Retry-After': String(wait) });
      return;
    }
    accepted.push(now);
    stats.maxInWindow = Math.max(stats.maxInWindow, accepted.length);
    if (inject500 > 0) {
      inject500--;
      json(500, error('internal_clerk_error', 'Oops, an unexpected error occurred', 'There was an internal error on our servers. We\'ve been notified and are working on fixing it.'));
      return;
    }

    if (method !== 'GET') {
      json(405, error('request_method_not_allowed', 'Method not allowed', `${method} is not allowed on ${path}`));
      return;
    }
    const paging = (): { limit: number; offset: number } | undefined => {
      const l = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : 10;
      const o = url.searchParams.has('offset') ? Number(url.searchParams.get('offset')) : 0;
      if (!Number.isInteger(l) || l < 1 || l > 500) {
        json(422, error('form_param_value_invalid', 'is invalid', 'limit must be an integer between 1 and 500', { param_name: 'limit' }));
        return undefined;
      }
      if (!Number.isInteger(o) || o < 0) {
        json(422, error('form_param_value_invalid', 'is invalid', 'offset must be an integer greater than or equal to 0', { param_name: 'offset' }));
        return undefined;
      }
      return { limit: l, offset: o };
    };

    if (path === '/v1/users/count') {
      json(200, { object: 'total_count', total_count: instance.users.length });
      return;
    }
    if (path === '/v1/users') {
      const p = paging();
      if (!p) return;
      const order = url.searchParams.get('order_by') ?? '-created_at';
      const sorted: ClerkUser[] = order === '+created_at' || order === 'created_at' ? instance.users : [...instance.users].reverse();
      page(`GET /v1/users?order_by=${order}&offset=${p.offset}&limit=${p.limit}`);
      json(200, sorted.slice(p.offset, p.offset + p.limit));
      return;
    }
    if (path === '/v1/organizations') {
      const p = paging();
      if (!p) return;
      page(`GET /v1/organizations?offset=${p.offset}&limit=${p.limit}`);
      const withCount = url.searchParams.get('include_members_count') === 'true';
      const data = instance.organizations.slice(p.offset, p.offset + p.limit).map((o) => (withCount ? { ...o, members_count: instance.memberships.get(o.id)?.length ?? 0 } : o));
      json(200, { data, total_count: instance.organizations.length });
      return;
    }
    if (parts.length === 4 && parts[1] === 'organizations' && parts[3] === 'memberships') {
      const org = orgById.get(decodeURIComponent(parts[2]));
      if (!org) {
        json(404, error('resource_not_found', 'not found', `No organization was found with id ${parts[2]}`));
        return;
      }
      const p = paging();
      if (!p) return;
      page(`GET /v1/organizations/${org.id}/memberships?offset=${p.offset}&limit=${p.limit}`);
      const list = instance.memberships.get(org.id) ?? [];
      const data = list.slice(p.offset, p.offset + p.limit).map((m) => {
        const u = userById.get(m.user_id);
        const primary = u?.email_addresses.find((e) => e.id === u.primary_email_address_id);
        return {
          id: m.id,
          object: 'organization_membership',
          role: m.role,
          role_name: m.role_name,
          permissions: m.role === 'org:admin' ? ['org:sys_memberships:manage', 'org:sys_memberships:read'] : ['org:sys_memberships:read'],
          public_metadata: {},
          private_metadata: {},
          organization: { object: 'organization', id: org.id, name: org.name, slug: org.slug },
          public_user_data: { user_id: m.user_id, first_name: u?.first_name ?? null, last_name: u?.last_name ?? null, identifier: primary?.email_address ?? '', has_image: false, image_url: '' },
          created_at: m.created_at,
          updated_at: m.created_at,
        };
      });
      json(200, { data, total_count: list.length });
      return;
    }
    if (parts.length === 4 && parts[1] === 'organizations' && (parts[3] === 'domains' || parts[3] === 'invitations')) {
      const org = orgById.get(decodeURIComponent(parts[2]));
      if (!org) {
        json(404, error('resource_not_found', 'not found', `No organization was found with id ${parts[2]}`));
        return;
      }
      const p = paging();
      if (!p) return;
      const status = url.searchParams.get('status');
      page(`GET /v1/organizations/${org.id}/${parts[3]}?offset=${p.offset}&limit=${p.limit}${status ? `&status=${status}` : ''}`);
      if (parts[3] === 'domains') {
        const list = instance.domains.get(org.id) ?? [];
        const data = list.slice(p.offset, p.offset + p.limit).map((d) => ({
          object: 'organization_domain',
          id: d.id,
          organization_id: org.id,
          name: d.name,
          enrollment_mode: 'manual_invitation',
          affiliation_email_address: null,
          verification: d.status === 'verified' ? { status: 'verified', strategy: 'email_code', attempts: 1, expire_at: null } : null,
          total_pending_invitations: 0,
          total_pending_suggestions: 0,
          created_at: org.created_at,
          updated_at: org.updated_at,
        }));
        json(200, { data, total_count: list.length });
        return;
      }
      const list = (instance.invitations.get(org.id) ?? []).filter((i) => !status || i.status === status);
      const data = list.slice(p.offset, p.offset + p.limit).map((i) => ({
        object: 'organization_invitation',
        id: i.id,
        email_address: i.email_address,
        role: i.role,
        role_name: i.role === 'org:admin' ? 'Admin' : 'Member',
        organization_id: org.id,
        status: i.status,
        public_metadata: {},
        private_metadata: {},
        created_at: org.created_at,
        updated_at: org.updated_at,
      }));
      json(200, { data, total_count: list.length });
      return;
    }
    json(404, error('resource_not_found', 'not found', `The requested resource ${path} was not found`));
  }

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      try {
        handle(req, res);
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(error('internal_clerk_error', 'Oops', (e as Error).message)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    secretKey,
    instance,
    limit,
    windowMs,
    stats: () => ({ ...stats, byRoute: { ...stats.byRoute }, repeatedPages: [...stats.repeatedPages] }),
    pages: () => [...pageLog],
    inject429: (n) => void (inject429 += n),
    inject500: (n) => void (inject500 += n),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
