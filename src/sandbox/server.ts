/**
 * The HTTP side of the sandbox: auth, the three rate-limit buckets, fault injection, routing and
 * the /__sandbox/ admin endpoints. Plain node:http so that what the SDK sees is a real socket with
 * real failure modes (a destroyed socket is a genuine network error in fetch).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SlidingWindowLog, mulberry32, retryAfterSeconds } from './rate-limit.js';
import { ApiError, SandboxStore, type SeedUser } from './store.js';
import type {
  BucketName,
  SandboxFaults,
  SandboxLimits,
  SandboxMembership,
  SandboxOptions,
  SandboxOrganization,
  SandboxState,
  SandboxStats,
  SandboxUser,
  UserConflictStyle,
} from './types.js';

/** The real API's ceilings (shared/reference/workos-api.md). */
export const REAL_LIMITS: SandboxLimits = {
  writes: { limit: 500, windowMs: 10_000 },
  reads: { limit: 1000, windowMs: 10_000 },
  general: { limit: 6000, windowMs: 60_000 },
};

export const DEFAULT_API_KEY = 'sk_test_sandbox';

const BUCKETS: BucketName[] = ['writes', 'reads', 'general'];
const FAULT_NAMES = ['rate429', 'rate500', 'lostResponse', 'connectionReset'] as const;
const MAX_BODY_BYTES = 1_000_000;

export interface Sandbox {
  url: string;
  host: string;
  port: number;
  apiKey: string;
  /** Direct access for tests; treat as read-only (see SandboxState). */
  state: SandboxState;
  setFaults(f: SandboxFaults): void;
  setLimits(l: SandboxLimits | false): void;
  stats(): SandboxStats;
  resetStats(): void;
  /** How a user create answers a taken email or external id (see SandboxOptions.userConflict). */
  setUserConflict(style: UserConflictStyle): void;
  /**
   * WorkOS unreachable: the listener closes (every connection refused, open ones cut) for
   * `windowMs`, then listens again on the same port. Resolves once it is closed; `reopened`
   * resolves once it listens again.
   */
  outage(windowMs: number): Promise<{ reopened: Promise<void> }>;
  /** Whether `password` signs `email` in through the hash it was imported with; null when the sandbox cannot compute that hash type. */
  checkPassword(email: string, password: string): boolean | null;
  seedUser(u: SeedUser): SandboxUser;
  seedOrganization(o: { name: string; external_id?: string; domains?: string[] }): SandboxOrganization;
  seedMembership(m: { user_id: string; organization_id: string; role_slug?: string }): SandboxMembership;
  /** The whole state as JSON-able data, and loaded back with its ids (the demo keeps it between runs). */
  dump(): Record<string, unknown>;
  restore(dump: Record<string, unknown>): void;
  close(): Promise<void>;
}

/**
 * Which specific bucket a request falls in, besides `general` (which every authenticated request
 * counts against): AuthKit writes and reads are users, memberships and password resets.
 */
export function bucketFor(method: string, pathname: string): 'writes' | 'reads' | null {
  // unverified: that invitations count as AuthKit calls (the reference lists users, memberships and resets).
  const authKit =
    pathname.startsWith('/user_management/users') ||
    pathname.startsWith('/user_management/organization_memberships') ||
    pathname.startsWith('/user_management/invitations');
  const reset = pathname.startsWith('/user_management/password_reset');
  if (method === 'GET') return authKit ? 'reads' : null;
  if (method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'PATCH') {
    return authKit || reset ? 'writes' : null;
  }
  return null;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });
const noContent = (status = 204): Reply => ({ status });
const routeNotFound = (): Reply => ({ status: 404, body: { message: 'Not Found', code: 'not_found' } });

function decodeSegments(pathname: string): string[] | null {
  try {
    // Split before decoding so an encoded '/' inside an external id stays one segment.
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, { code: 'invalid_json', message: 'The request body is not valid JSON.' });
  }
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function emptyStats(): SandboxStats {
  return {
    requests: 0,
    byBucket: { writes: 0, reads: 0, general: 0 },
    rateLimited: 0,
    faultsInjected: Object.fromEntries(FAULT_NAMES.map((f) => [f, 0])),
    maxInAnyWindow: { writes: 0, reads: 0, general: 0 },
    byRoute: {},
  };
}

/** The words of the API's paths; every other segment is an id (or an email, a token). */
const ROUTE_WORDS = new Set([
  'user_management', 'users', 'organizations', 'organization_memberships', 'external_id', 'invitations', 'by_token', 'revoke',
  'authenticate', 'password_reset', 'send', 'roles', 'authorization', 'auth_factors', 'deactivate', 'reactivate', 'portal', 'generate_link',
]);
const routeOf = (method: string, segments: string[] | null) =>
  `${method} /${(segments ?? ['?']).map((s) => (ROUTE_WORDS.has(s) ? s : ':id')).join('/')}`;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const apiKeys = new Set(options.apiKeys && options.apiKeys.length > 0 ? options.apiKeys : [DEFAULT_API_KEY]);
  const store = new SandboxStore({
    roles: options.roles ?? ['admin', 'member'],
    multipleRoles: options.multipleRoles ?? false,
    userConflict: options.userConflict,
  });
  store.echoHashes = options.echoHashes === true;

  // One log per bucket. With limits off the logs still measure (over the real windows), so
  // maxInAnyWindow stays meaningful for "would this have been throttled?".
  let limits: SandboxLimits | false = options.limits === undefined ? REAL_LIMITS : options.limits;
  const logs = {} as Record<BucketName, SlidingWindowLog>;
  const setLimits = (next: SandboxLimits | false) => {
    limits = next;
    const shape = next || REAL_LIMITS;
    for (const b of BUCKETS) {
      const limit = next ? shape[b].limit : Number.POSITIVE_INFINITY;
      if (!logs[b]) logs[b] = new SlidingWindowLog(limit, shape[b].windowMs);
      logs[b].limit = limit;
      logs[b].windowMs = shape[b].windowMs;
    }
    store.enforceExtraLimits = next !== false;
  };
  setLimits(limits);

  let faults: SandboxFaults = {};
  let random = mulberry32(0);
  const setFaults = (next: SandboxFaults) => {
    faults = { ...next };
    random = mulberry32(next.seed ?? Math.floor(Math.random() * 2 ** 32));
  };
  setFaults(options.faults ?? {});
  const roll = (p: number | undefined) => p !== undefined && p > 0 && random() < p;

  let stats = emptyStats();
  const snapshotStats = (): SandboxStats => {
    const s = structuredClone(stats);
    for (const b of BUCKETS) s.maxInAnyWindow[b] = logs[b].maxInWindow;
    return s;
  };
  const resetStats = () => {
    stats = emptyStats();
    // Forget the window maxima too, but keep the timestamps: the window is still full.
    for (const b of BUCKETS) logs[b].maxInWindow = Math.min(logs[b].maxInWindow, logs[b].count(performance.now()));
  };

  function send(res: ServerResponse, reply: Reply, requestId: string): void {
    const headers: Record<string, string | number> = { 'X-Request-ID': requestId, ...reply.headers };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
    headers['Content-Length'] = Buffer.byteLength(payload);
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  /** Checks the request's buckets; consumes a slot in each only if all have room. */
  function admit(bucket: 'writes' | 'reads' | null): Reply | null {
    const t = performance.now();
    const buckets: BucketName[] = bucket ? [bucket, 'general'] : ['general'];
    let worst: { wait: number; windowMs: number } | null = null;
    for (const b of buckets) {
      const wait = logs[b].waitMs(t);
      if (wait > 0 && (!worst || wait > worst.wait)) worst = { wait, windowMs: logs[b].windowMs };
    }
    if (worst && limits) {
      stats.rateLimited++;
      return {
        status: 429,
        body: { message: 'Rate limit exceeded', code: 'rate_limit_exceeded' },
        headers: { 'Retry-After': retryAfterSeconds(worst.wait, worst.windowMs) },
      };
    }
    for (const b of buckets) {
      logs[b].record(t);
      stats.byBucket[b]++;
    }
    return null;
  }

  function route(method: string, segments: string[], query: URLSearchParams, rawBody: string, req: IncomingMessage): Reply | Promise<Reply> {
    const body = () => parseJson(rawBody);
    const [a, b, c, d] = segments;
    const n = segments.length;

    if (a === 'user_management') {
      if (b === 'users') {
        if (n === 2 && method === 'GET') return ok(store.listUsers(query));
        if (n === 2 && method === 'POST') return ok(store.createUser(body()), 201);
        if (n === 4 && c === 'external_id' && method === 'GET') return ok(store.getUserByExternalId(d));
        if (n === 3 && method === 'GET') return ok(store.getUser(c));
        if (n === 3 && method === 'PUT') return ok(store.updateUser(c, body()));
        if (n === 3 && method === 'DELETE') return store.deleteUser(c), noContent();
        if (n === 4 && d === 'auth_factors' && method === 'POST') return ok(store.enrollAuthFactor(c, body()), 201);
        if (n === 4 && d === 'auth_factors' && method === 'GET') return ok(store.listAuthFactors(c, query));
      }
      if (b === 'organization_memberships') {
        if (n === 2 && method === 'GET') return ok(store.listMemberships(query));
        if (n === 2 && method === 'POST') return ok(store.createMembership(body()), 201);
        if (n === 3 && method === 'GET') return ok(store.getMembership(c));
        if (n === 3 && method === 'PUT') return ok(store.updateMembership(c, body()));
        if (n === 3 && method === 'DELETE') return store.deleteMembership(c), noContent();
        if (n === 4 && d === 'deactivate' && method === 'PUT') return ok(store.setMembershipStatus(c, 'inactive'));
        if (n === 4 && d === 'reactivate' && method === 'PUT') return ok(store.setMembershipStatus(c, 'active'));
      }
      if (b === 'invitations') {
        // role_slug is the sandbox's own note of the role, not part of the wire object.
        const wire = ({ role_slug: _role, ...invitation }: ReturnType<SandboxStore['getInvitation']>) => invitation;
        if (n === 2 && method === 'GET') {
          const list = store.listInvitations(query);
          return ok({ ...list, data: list.data.map(wire) });
        }
        if (n === 2 && method === 'POST') return ok(wire(store.sendInvitation(body())), 201);
        if (n === 4 && c === 'by_token' && method === 'GET') return ok(wire(store.getInvitationByToken(d)));
        if (n === 3 && method === 'GET') return ok(wire(store.getInvitation(c)));
        if (n === 4 && d === 'revoke' && method === 'POST') return ok(wire(store.revokeInvitation(c)));
      }
      // Asynchronous: bcrypt and argon2 are checked by hash-wasm.
      if (b === 'authenticate' && n === 2 && method === 'POST') return store.authenticate(body(), apiKeys).then((answer) => ok(answer));
      if (b === 'password_reset' && method === 'POST') {
        if (n === 2) return ok(store.createPasswordReset(body()), 201);
        if (n === 3 && c === 'send') return store.sendPasswordReset(body()), ok({});
      }
      return routeNotFound();
    }

    if (a === 'organizations') {
      if (n === 1 && method === 'GET') return ok(store.listOrganizations(query));
      if (n === 1 && method === 'POST') {
        const key = req.headers['idempotency-key'];
        return ok(store.createOrganization(body(), typeof key === 'string' && key ? key : undefined), 201);
      }
      if (n === 3 && b === 'external_id' && method === 'GET') return ok(store.getOrganizationByExternalId(c));
      if (n === 2 && method === 'GET') return ok(store.getOrganization(b));
      if (n === 2 && method === 'PUT') return ok(store.updateOrganization(b, body()));
      // unverified: the real API's status for an organization delete (202 Accepted as far as known).
      if (n === 2 && method === 'DELETE') return store.deleteOrganization(b), noContent(202);
      if (n === 3 && c === 'roles' && method === 'GET') return ok(store.listOrganizationRoles(b));
      return routeNotFound();
    }

    if (a === 'authorization') {
      if (n === 2 && b === 'roles' && method === 'GET') return ok(store.listRoles());
      if (n === 4 && b === 'organizations' && d === 'roles' && method === 'GET') return ok(store.listOrganizationRoles(c));
      return routeNotFound();
    }

    if (a === 'portal' && b === 'generate_link' && n === 2 && method === 'POST') return ok(store.generatePortalLink(body()));

    return routeNotFound();
  }

  /** /__sandbox/*: no auth, no limits, no faults: the test's back door. */
  function admin(method: string, pathname: string, rawBody: string): Reply {
    if (pathname === '/__sandbox/state' && method === 'GET') return ok(store.dump());
    if (pathname === '/__sandbox/stats' && method === 'GET') return ok(snapshotStats());
    if (pathname === '/__sandbox/stats' && method === 'DELETE') return resetStats(), ok(snapshotStats());
    if (pathname === '/__sandbox/faults' && method === 'PUT') {
      setFaults((parseJson(rawBody) ?? {}) as SandboxFaults);
      return ok(faults);
    }
    if (pathname === '/__sandbox/user_conflict' && method === 'PUT') {
      const style = (parseJson(rawBody) as { style?: UserConflictStyle }).style;
      if (style !== 'user_creation_error' && style !== 'user_already_exists') {
        return { status: 400, body: { message: "style must be 'user_creation_error' or 'user_already_exists'" } };
      }
      store.userConflict = style;
      return ok({ style });
    }
    if (pathname === '/__sandbox/outage' && method === 'PUT') {
      const windowMs = Number((parseJson(rawBody) as { window_ms?: unknown }).window_ms);
      if (!Number.isFinite(windowMs) || windowMs < 0) return { status: 400, body: { message: 'window_ms must be a number of milliseconds' } };
      // Answer first: the listener closes right after this reply leaves.
      setImmediate(() => void outage(windowMs));
      return ok({ window_ms: windowMs });
    }
    if (pathname === '/__sandbox/limits' && method === 'PUT') {
      const next = parseJson(rawBody) as SandboxLimits | false | null;
      setLimits(next ? next : false);
      return ok({ limits });
    }
    return routeNotFound();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const rawBody = await readBody(req);
    if (rawBody === null) return send(res, { status: 413, body: { message: 'Request body too large' } }, requestId);

    if (url.pathname.startsWith('/__sandbox/')) return send(res, admin(method, url.pathname, rawBody), requestId);

    stats.requests++;
    if (faults.latencyMs) {
      const [min, max] = faults.latencyMs;
      await sleep(min + random() * Math.max(0, max - min));
    }

    const auth = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(auth);
    if (!match || !apiKeys.has(match[1].trim())) return send(res, { status: 401, body: { message: 'Unauthorized' } }, requestId);

    const limited = admit(bucketFor(method, url.pathname));
    if (limited) return send(res, limited, requestId);

    // Injected faults come after the real limits, so they are extra to them.
    if (roll(faults.connectionReset)) {
      stats.faultsInjected.connectionReset++;
      req.socket.destroy();
      return;
    }
    if (roll(faults.rate429)) {
      stats.faultsInjected.rate429++;
      return send(
        res,
        {
          status: 429,
          body: { message: 'Rate limit exceeded', code: 'rate_limit_exceeded' },
          headers: { 'Retry-After': String(faults.retryAfterSeconds ?? 1) },
        },
        requestId,
      );
    }
    if (roll(faults.rate500)) {
      stats.faultsInjected.rate500++;
      return send(res, { status: 500, body: { message: 'Internal server error', code: 'server_error' } }, requestId);
    }

    let reply: Reply;
    const segments = decodeSegments(url.pathname);
    if (!segments) {
      reply = { status: 400, body: { code: 'invalid_path', message: 'Malformed percent-encoding in path.' } };
    } else {
      try {
        reply = await route(method, segments, url.searchParams, rawBody, req);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 429) stats.rateLimited++;
        reply = { status: error.status, body: error.body, headers: error.headers };
      }
    }

    // The write has happened; now lose the answer.
    if ((method === 'POST' || method === 'PUT') && roll(faults.lostResponse)) {
      stats.faultsInjected.lostResponse++;
      req.socket.destroy();
      return;
    }
    const counted = (stats.byRoute[routeOf(method, segments)] ??= {});
    counted[reply.status] = (counted[reply.status] ?? 0) + 1;
    send(res, reply, requestId);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A sandbox bug: answer like the API would, and keep serving.
      console.error('[sandbox] internal error', error);
      if (!res.headersSent && !res.destroyed) {
        send(res, { status: 500, body: { message: 'Internal server error', code: 'server_error' } }, randomUUID());
      }
    });
  });
  server.keepAliveTimeout = 65_000;

  const host = '127.0.0.1';
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const closeListener = () =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // Keep-alive sockets would otherwise hold close() open (and keep answering).
      server.closeAllConnections();
    });
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  let down: Promise<void> | undefined;
  let closed = false;
  /** Connections refused for `windowMs`: nothing listens on the port, open connections are cut. */
  async function outage(windowMs: number): Promise<{ reopened: Promise<void> }> {
    if (down) throw new Error('the sandbox is already down');
    const closing = closeListener();
    const reopened = closing
      .then(() => sleep(windowMs))
      .then(() => (closed ? undefined : listen(port)))
      .finally(() => (down = undefined));
    down = reopened;
    await closing;
    return { reopened };
  }

  return {
    url: `http://${host}:${port}`,
    host,
    port,
    apiKey: [...apiKeys][0],
    state: store.state,
    setFaults,
    setLimits,
    stats: snapshotStats,
    resetStats,
    setUserConflict: (style) => {
      store.userConflict = style;
    },
    outage,
    checkPassword: (email, password) => store.checkPassword(email, password),
    seedUser: (u) => store.seedUser(u),
    seedOrganization: (o) => store.seedOrganization(o),
    seedMembership: (m) => store.seedMembership(m),
    dump: () => store.dump(),
    restore: (d) => store.restore(d),
    close: async () => {
      closed = true;
      if (down) await down.catch(() => {});
      if (server.listening) await closeListener();
    },
  };
}
