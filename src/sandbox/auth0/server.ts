/**
 * A fake Auth0 tenant on 127.0.0.1 for tests, the demo and the benchmark, faithful to
 * shared/reference/auth0-api.md as far as a migration sees it. The real `auth0` SDK talks to it
 * (its `fetch` sends https://DOMAIN/... here):
 *
 * - POST /oauth/token (client credentials, form-encoded or JSON) -> a bearer token of short life
 *   (`tokenLifeSec`); an expired or unknown token answers 401.
 * - POST /api/v2/jobs/users-exports, GET /api/v2/jobs/{id} (pending -> processing -> completed
 *   over `jobMs`, percentage_done, time_left_seconds, `location` when completed: a link that
 *   expires after `linkLifeMs`, 403 after), the file gzip-compressed NDJSON of the asked fields.
 * - GET /api/v2/users?page=&per_page= stops at 1,000 results (400 past them).
 * - GET /api/v2/organizations?from=&take= (checkpoint; offset page/per_page stops at 1,000),
 *   /organizations/{id}/members?from=&take=&fields= (roles only when asked),
 *   /organizations/{id}/members/{user}/roles, /organizations/{id}/enabled_connections,
 *   GET /api/v2/roles?page=&per_page=&include_totals= (past the end an empty list).
 * - A token bucket per endpoint (`burst` tokens, `perSecond` refill) with x-ratelimit-limit /
 *   -remaining / -reset (Unix seconds when full) on every answer, and 429 with the reference's
 *   body when empty; `errorRate` (seeded) and inject500() answer 502/503 with an HTML body.
 * - Counters: requests per route, pages served more than once, jobs created, downloads, 429s.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '../rate-limit.js';
import { auth0ExportFile, type Auth0Tenant } from './data.js';

export interface FakeAuth0Options {
  tenant: Auth0Tenant;
  clientId?: string;
  clientSecret?: string;
  port?: number;
  /** Token bucket per endpoint: capacity and refill per second. Defaults 10 and 2 (a free tenant). */
  burst?: number;
  perSecond?: number;
  enforceLimits?: boolean;
  tokenLifeSec?: number;
  /** How long the export job takes (default 3000 ms) and how long its link lives (default 60 s). */
  jobMs?: number;
  linkLifeMs?: number;
  /** Share of API requests answered 502/503 with an HTML body (seeded). Default 0. */
  errorRate?: number;
  seed?: number;
}

export interface FakeAuth0Stats {
  requests: number;
  byRoute: Record<string, number>;
  repeatedPages: string[];
  jobsCreated: number;
  jobPolls: number;
  downloads: number;
  expiredLinks: number;
  tokenRequests: number;
  tokensExpired: number;
  rateLimited: number;
  injected5xx: number;
  /** Highest requests in any one second, per endpoint bucket. */
  maxPerSecond: Record<string, number>;
}

export interface FakeAuth0 {
  url: string;
  domain: string;
  clientId: string;
  clientSecret: string;
  tenant: Auth0Tenant;
  burst: number;
  perSecond: number;
  stats(): FakeAuth0Stats;
  resetStats(): void;
  inject500(count: number): void;
  inject429(count: number): void;
  /** Every issued link expires now. */
  expireLinks(): void;
  /** Every export job is done now (a test stops during a poll however slow the machine, then lets the job finish). */
  finishJobs(): void;
  /** The next download's connection is cut after this many bytes. */
  breakNextDownload(afterBytes: number): void;
  close(): Promise<void>;
}

interface Job {
  id: string;
  created: number;
  fields?: string[];
  format: string;
  file?: Buffer;
  connection_id?: string;
}

const HTML_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n';

const cursorOf = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
function offsetOf(from: string | null): number | null {
  if (!from) return 0;
  try {
    const o = (JSON.parse(Buffer.from(from, 'base64url').toString('utf8')) as { o?: unknown }).o;
    return typeof o === 'number' && o >= 0 ? o : null;
  } catch {
    return null;
  }
}

export async function startFakeAuth0(options: FakeAuth0Options): Promise<FakeAuth0> {
  const tenant = options.tenant;
  const clientId = options.clientId ?? 'fake-client-id';
  const clientSecret = options.clientSecret ?? 'fake-client-secret';
  const burst = options.burst ?? 10;
  const perSecond = options.perSecond ?? 2;
  const enforce = options.enforceLimits !== false;
  const tokenLife = options.tokenLifeSec ?? 86_400;
  const jobMs = options.jobMs ?? 3000;
  const rand = mulberry32(options.seed ?? 5);
  const signingKey = randomBytes(16);
  const tokens = new Map<string, number>();
  const jobs = new Map<string, Job>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const secondCounts = new Map<string, { second: number; n: number }>();
  const linkLifeMs = options.linkLifeMs ?? 60_000;
  let linksIssuedBefore = 0;
  let breakAfter: number | undefined;
  let inject5xx = 0;
  let inject429 = 0;
  let served = new Map<string, number>();
  let stats = empty();
  function empty(): FakeAuth0Stats {
    return { requests: 0, byRoute: {}, repeatedPages: [], jobsCreated: 0, jobPolls: 0, downloads: 0, expiredLinks: 0, tokenRequests: 0, tokensExpired: 0, rateLimited: 0, injected5xx: 0, maxPerSecond: {} };
  }
  const countPage = (key: string) => {
    const n = (served.get(key) ?? 0) + 1;
    served.set(key, n);
    if (n === 2) stats.repeatedPages.push(key);
  };
  const usersById = new Map(tenant.users.map((u) => [u.user_id, u]));
  const roleById = new Map(tenant.roles.map((r) => [r.id, r]));
  const connById = new Map(tenant.connections.map((c) => [c.id, c]));
  const orgById = new Map(tenant.organizations.map((o) => [o.id, o]));
  let base = '';

  function take(bucket: string): { ok: boolean; headers: Record<string, string> } {
    const now = Date.now();
    const b = buckets.get(bucket) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    let ok = true;
    if (inject429 > 0) {
      inject429--;
      ok = false;
    } else if (enforce && b.tokens < 1) ok = false;
    else b.tokens -= 1;
    buckets.set(bucket, b);
    const full = now + ((burst - b.tokens) / perSecond) * 1000;
    const headers = { 'x-ratelimit-limit': String(burst), 'x-ratelimit-remaining': String(Math.max(0, Math.floor(b.tokens))), 'x-ratelimit-reset': String(Math.ceil(full / 1000)) };
    if (ok) {
      const second = Math.floor(now / 1000);
      const c = secondCounts.get(bucket);
      if (!c || c.second !== second) secondCounts.set(bucket, { second, n: 1 });
      else c.n++;
      const n = secondCounts.get(bucket)!.n;
      stats.maxPerSecond[bucket] = Math.max(stats.maxPerSecond[bucket] ?? 0, n);
    }
    return { ok, headers };
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  const sign = (jobId: string, expires: number) => createHmac('sha256', signingKey).update(`${jobId}:${expires}`).digest('hex');

  function jobView(job: Job): Record<string, unknown> {
    const elapsed = Date.now() - job.created;
    const pct = Math.min(100, Math.floor((elapsed / jobMs) * 100));
    const status = elapsed >= jobMs ? 'completed' : elapsed < jobMs * 0.1 ? 'pending' : 'processing';
    const view: Record<string, unknown> = { type: 'users_export', status, id: job.id, created_at: new Date(job.created).toISOString(), format: job.format, fields: job.fields?.map((name) => ({ name })) };
    if (job.connection_id) view.connection_id = job.connection_id;
    if (status === 'completed') {
      job.file ??= auth0ExportFile(tenant.users, { fields: job.fields });
      const expires = Date.now() + linkLifeMs;
      view.location = `${base}/exports/${encodeURIComponent(tenant.domain)}/${job.id}.json.gz?Expires=${expires}&Signature=${sign(job.id, expires)}`;
      view.percentage_done = 100;
      view.time_left_seconds = 0;
    } else {
      view.percentage_done = pct;
      view.time_left_seconds = Math.ceil((jobMs - elapsed) / 1000);
    }
    return view;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const path = url.pathname.replace(/\/+$/, '');
    const raw = await readBody(req);
    stats.requests++;
    const q = url.searchParams;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(payload), ...headers });
      res.end(payload);
    };
    const fail = (status: number, error: string, message: string, headers: Record<string, string> = {}, errorCode?: string) =>
      json(status, { statusCode: status, error, message, ...(errorCode ? { errorCode } : {}) }, headers);

    // The token endpoint.
    if (method === 'POST' && path === '/oauth/token') {
      stats.tokenRequests++;
      stats.byRoute['POST /oauth/token'] = (stats.byRoute['POST /oauth/token'] ?? 0) + 1;
      const type = String(req.headers['content-type'] ?? '');
      let form: Record<string, string> = {};
      try {
        form = type.includes('application/json') ? (JSON.parse(raw) as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw));
      } catch {
        return json(400, { error: 'invalid_request', error_description: 'Invalid request body' });
      }
      if (form.grant_type !== 'client_credentials') return json(400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
      if (form.client_id !== clientId || form.client_secret !== clientSecret) return json(401, { error: 'access_denied', error_description: 'Unauthorized' });
      if (form.audience !== `https://${tenant.domain}/api/v2/`) {
        return json(403, { error: 'access_denied', error_description: `Service not found: ${form.audience}` });
      }
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + tokenLife * 1000);
      return json(200, { access_token: token, expires_in: tokenLife, token_type: 'Bearer', scope: 'read:users read:roles read:organizations read:organization_members read:organization_connections' });
    }

    // The export file (a signed link, like S3's).
    const download = /^\/exports\/[^/]+\/([^/]+)\.json\.gz$/.exec(path);
    if (method === 'GET' && download) {
      const job = jobs.get(download[1]);
      const expires = Number(q.get('Expires'));
      const valid = job && job.file && q.get('Signature') === sign(job.id, expires);
      if (!valid || expires <= Date.now() || expires - linkLifeMs < linksIssuedBefore) {
        if (valid) stats.expiredLinks++;
        const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';
        res.writeHead(403, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) });
        return void res.end(xml);
      }
      stats.downloads++;
      res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': job.file!.length });
      // In chunks, as a real download arrives.
      const cut = breakAfter;
      breakAfter = undefined;
      for (let at = 0; at < job.file!.length; at += 16_384) {
        if (cut !== undefined && at >= cut) return void res.destroy();
        if (!res.write(job.file!.subarray(at, at + 16_384))) await new Promise((r) => res.once('drain', r));
      }
      return void res.end();
    }

    if (!path.startsWith('/api/v2/')) return fail(404, 'Not Found', `No route ${method} ${path}`);
    const parts = path.slice('/api/v2/'.length).split('/').map(decodeURIComponent);
    const bucket = `${method} /api/v2/${parts.map((p, i) => (i % 2 === 1 && !['users-exports'].includes(p) ? ':id' : p)).join('/')}`;
    stats.byRoute[bucket] = (stats.byRoute[bucket] ?? 0) + 1;

    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expiry = tokens.get(token);
    if (expiry === undefined) return fail(401, 'Unauthorized', 'Invalid token', {}, undefined);
    if (expiry <= Date.now()) {
      stats.tokensExpired++;
      return json(401, { statusCode: 401, error: 'Unauthorized', message: 'Expired token received for JSON Web Token validation', attributes: { error: 'Expired token received for JSON Web Token validation' } });
    }
    const limit = take(bucket);
    if (!limit.ok) {
      stats.rateLimited++;
      return fail(429, 'Too Many Requests', 'Global limit has been reached', limit.headers);
    }
    if (inject5xx > 0 || (options.errorRate && rand() < options.errorRate)) {
      if (inject5xx > 0) inject5xx--;
      stats.injected5xx++;
      res.writeHead(rand() < 0.5 ? 502 : 503, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(HTML_502), ...limit.headers });
      return void res.end(HTML_502);
    }
    const ok = (body: unknown) => json(200, body, limit.headers);
    const bad = (message: string, errorCode = 'invalid_query_string') => fail(400, 'Bad Request', message, limit.headers, errorCode);
    const intParam = (name: string, dflt: number) => {
      const v = q.get(name);
      return v === null || v === '' ? dflt : Number(v);
    };

    // Jobs.
    if (method === 'POST' && parts[0] === 'jobs' && parts[1] === 'users-exports' && parts.length === 2) {
      let body: { format?: string; fields?: { name: string }[]; connection_id?: string } = {};
      try {
        body = raw ? (JSON.parse(raw) as typeof body) : {};
      } catch {
        return bad('Invalid request payload JSON format', 'invalid_body');
      }
      if (body.format && body.format !== 'json' && body.format !== 'csv') return bad('Payload validation error: format must be json or csv', 'invalid_body');
      const job: Job = { id: `job_${randomBytes(8).toString('hex')}`, created: Date.now(), fields: body.fields?.map((f) => f.name), format: body.format ?? 'csv', connection_id: body.connection_id };
      jobs.set(job.id, job);
      stats.jobsCreated++;
      return json(201, jobView(job), limit.headers);
    }
    if (method === 'GET' && parts[0] === 'jobs' && parts.length === 2) {
      const job = jobs.get(parts[1]);
      if (!job) return fail(404, 'Not Found', 'The job does not exist.', limit.headers, 'inexistent_job');
      stats.jobPolls++;
      return ok(jobView(job));
    }

    // GET /users: at most the first 1,000 results.
    if (method === 'GET' && parts[0] === 'users' && parts.length === 1) {
      const page = intParam('page', 0);
      const perPage = intParam('per_page', 50);
      if (perPage > 100) return bad('Query validation error: per_page must be at most 100');
      if ((page + 1) * perPage > 1000) {
        return bad('You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation', 'invalid_paging');
      }
      const slice = tenant.users.slice(page * perPage, (page + 1) * perPage);
      return ok(q.get('include_totals') === 'true' ? { start: page * perPage, limit: perPage, length: slice.length, total: tenant.users.length, users: slice } : slice);
    }

    // Roles: offset paging.
    if (method === 'GET' && parts[0] === 'roles' && parts.length === 1) {
      const page = intParam('page', 0);
      const perPage = intParam('per_page', 50);
      if (perPage > 100) return bad('Query validation error: per_page must be at most 100');
      const slice = tenant.roles.slice(page * perPage, (page + 1) * perPage);
      countPage(`roles ${page}/${perPage}`);
      return ok(q.get('include_totals') === 'true' ? { roles: slice, start: page * perPage, limit: perPage, total: tenant.roles.length } : slice);
    }

    if (method === 'GET' && parts[0] === 'organizations') {
      if (parts.length === 1) {
        if (q.has('page') || q.has('per_page')) {
          const page = intParam('page', 0);
          const perPage = intParam('per_page', 50);
          if ((page + 1) * perPage > 1000) return bad('Requesting page exceeds the allowed maximum of 1000 records', 'invalid_paging');
          const slice = tenant.organizations.slice(page * perPage, (page + 1) * perPage);
          return ok(q.get('include_totals') === 'true' ? { organizations: slice, start: page * perPage, limit: perPage, total: tenant.organizations.length } : slice);
        }
        const takeN = intParam('take', 50);
        if (!(takeN >= 1 && takeN <= 100)) return bad('Query validation error: take must be between 1 and 100');
        const offset = offsetOf(q.get('from'));
        if (offset === null) return bad('Invalid value for from', 'invalid_paging');
        const slice = tenant.organizations.slice(offset, offset + takeN);
        countPage(`organizations from ${offset} take ${takeN}`);
        const end = offset + slice.length;
        return ok({ organizations: slice, ...(end < tenant.organizations.length ? { next: cursorOf(end) } : {}) });
      }
      const org = orgById.get(parts[1]);
      if (!org) return fail(404, 'Not Found', 'No organization found by that id', limit.headers, 'inexistent_organization');
      const list = tenant.members.get(org.id) ?? [];
      if (parts[2] === 'members' && parts.length === 3) {
        const takeN = intParam('take', 50);
        if (!(takeN >= 1 && takeN <= 100)) return bad('Query validation error: take must be between 1 and 100');
        const offset = offsetOf(q.get('from'));
        if (offset === null) return bad('Invalid value for from', 'invalid_paging');
        const fields = (q.get('fields') ?? '').split(',').filter(Boolean);
        const include = q.get('include_fields') !== 'false';
        const want = (f: string) => (fields.length === 0 ? f !== 'roles' : include ? fields.includes(f) : !fields.includes(f));
        const slice = list.slice(offset, offset + takeN);
        countPage(`members ${org.id} from ${offset} take ${takeN}`);
        const members = slice.map((m) => {
          const u = usersById.get(m.user_id)!;
          const out: Record<string, unknown> = {};
          if (want('user_id')) out.user_id = m.user_id;
          if (want('email')) out.email = u.email;
          if (want('name')) out.name = u.name;
          if (want('picture')) out.picture = u.picture;
          if (want('roles')) out.roles = m.roles.map((id) => ({ id, name: roleById.get(id)!.name }));
          return out;
        });
        const end = offset + slice.length;
        return ok({ members, ...(end < list.length ? { next: cursorOf(end) } : {}) });
      }
      if (parts[2] === 'members' && parts[4] === 'roles' && parts.length === 5) {
        const member = list.find((m) => m.user_id === parts[3]);
        if (!member) return fail(404, 'Not Found', 'The user is not a member of the organization', limit.headers, 'inexistent_member');
        const page = intParam('page', 0);
        const perPage = intParam('per_page', 50);
        const all = member.roles.map((id) => roleById.get(id)!);
        const slice = all.slice(page * perPage, (page + 1) * perPage);
        return ok({ roles: slice.map((r) => ({ id: r.id, name: r.name, description: r.description })), start: page * perPage, limit: perPage, total: all.length });
      }
      if (parts[2] === 'enabled_connections' && parts.length === 3) {
        const page = intParam('page', 0);
        const perPage = intParam('per_page', 50);
        const all = (tenant.enabledConnections.get(org.id) ?? []).map((id) => connById.get(id)!);
        const slice = all.slice(page * perPage, (page + 1) * perPage);
        countPage(`enabled_connections ${org.id} ${page}`);
        const enabled = slice.map((c) => ({ connection_id: c.id, assign_membership_on_login: false, show_as_button: true, is_signup_enabled: false, connection: { name: c.name, strategy: c.strategy } }));
        return ok(q.get('include_totals') === 'true' ? { enabled_connections: enabled, start: page * perPage, limit: perPage, total: all.length } : enabled);
      }
    }
    return fail(404, 'Not Found', `No route ${method} ${path}`, limit.headers);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[fake auth0] internal error', error);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'fake auth0 failed' }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    domain: tenant.domain,
    clientId,
    clientSecret,
    tenant,
    burst,
    perSecond,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = empty();
      served = new Map();
    },
    inject500: (n) => {
      inject5xx += n;
    },
    finishJobs: () => {
      for (const job of jobs.values()) job.created = Math.min(job.created, Date.now() - jobMs);
    },
    inject429: (n) => {
      inject429 += n;
    },
    breakNextDownload: (bytes) => {
      breakAfter = bytes;
    },
    expireLinks: () => {
      linksIssuedBefore = Date.now() + 1;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
