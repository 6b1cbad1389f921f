/**
 * A fake Amazon Cognito user pools endpoint on 127.0.0.1 for tests and the demo, speaking the wire
 * protocol the official SDK (@aws-sdk/client-cognito-identity-provider) uses: AWS JSON 1.1, every
 * call a `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>` and
 * `Content-Type: application/x-amz-json-1.1`, errors as HTTP 400 (500 for InternalErrorException)
 * with `{ "__type": "...", "message": "..." }`, which the SDK turns into its exception classes.
 *
 * - Signature Version 4 checked as AWS does: an unknown access key -> UnrecognizedClientException,
 *   a wrong secret -> InvalidSignatureException, a date too far off -> InvalidSignatureException
 *   (Signature expired), a session token that is not the one issued -> UnrecognizedClientException;
 *   a pool asked in another region than its own -> ResourceNotFoundException.
 * - ListUsers (PaginationToken, Limit 0..60, default 60), ListGroups and ListUsersInGroup
 *   (NextToken, Limit 0..60), DescribeUserPool (EstimatedNumberOfUsers). A Limit over 60 or a
 *   token not issued for that listing -> InvalidParameterException.
 * - Request-rate quotas per category, as Cognito counts them (sliding one-second window):
 *   UserList (ListUsers, ListUsersInGroup) 30 RPS, ListGroups 5 RPS per pool, UserPoolRead
 *   (DescribeUserPool) 15 RPS; over it: 400 TooManyRequestsException "Rate exceeded" (no
 *   Retry-After: Cognito sends none).
 * - expireTokens(): every token issued so far is refused, as a stale one would be; deny(ops):
 *   AccessDeniedException for those operations, as an IAM policy without them answers.
 * - Counters: requests per operation, pages served more than once, 429s, the most requests seen
 *   in any one second per category.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlidingWindowLog } from '../rate-limit.js';
import type { CognitoPool, CognitoUser } from './data.js';

export interface FakeCognitoOptions {
  pool: CognitoPool;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** When set, requests must carry it (temporary credentials). */
  sessionToken?: string;
  port?: number;
  /** Requests per second of the UserList category (ListUsers, ListUsersInGroup); default 30. */
  userListRps?: number;
  /** ListGroups per second for the pool; default 5. */
  groupRps?: number;
  enforceLimits?: boolean;
}

export interface FakeCognitoStats {
  requests: number;
  byOperation: Record<string, number>;
  /** Listing pages (operation + group + token) served more than once. */
  repeatedPages: string[];
  rateLimited: number;
  /** Highest number of accepted requests in any one-second window, per category. */
  maxPerSecond: Record<string, number>;
  /** Answers by error type. */
  errors: Record<string, number>;
}

export interface FakeCognito {
  url: string;
  pool: CognitoPool;
  accessKeyId: string;
  secretAccessKey: string;
  stats(): FakeCognitoStats;
  resetStats(): void;
  /** The next `count` listing requests answer TooManyRequestsException whatever the rate. */
  inject429(count: number): void;
  /** The next `count` requests answer InternalErrorException (HTTP 500). */
  inject500(count: number): void;
  /** Every paging token issued so far is refused from now on (InvalidParameterException), as a stale one would be. */
  expireTokens(): void;
  /** These operations answer AccessDeniedException from now on, as for an IAM policy without them (none: all allowed again). */
  deny(...operations: string[]): void;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const MAX_LIMIT = 60;

/** Which quota category an operation counts against. */
const CATEGORY: Record<string, string> = {
  ListUsers: 'UserList',
  ListUsersInGroup: 'UserList',
  ListGroups: 'ListGroups',
  DescribeUserPool: 'UserPoolRead',
};

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

export async function startFakeCognito(options: FakeCognitoOptions): Promise<FakeCognito> {
  const pool = options.pool;
  const accessKeyId = options.accessKeyId ?? 'AKIAFAKECOGNITO00001';
  const secretAccessKey = options.secretAccessKey ?? 'fake/Secret+Access/Key0000000000000000000';
  const enforce = options.enforceLimits !== false;
  const windows: Record<string, SlidingWindowLog> = {
    UserList: new SlidingWindowLog(options.userListRps ?? 30, 1000),
    ListGroups: new SlidingWindowLog(options.groupRps ?? 5, 1000),
    UserPoolRead: new SlidingWindowLog(15, 1000),
  };
  let tokenKey = randomBytes(16);
  let forbidden = new Set<string>();
  let inject429 = 0;
  let inject500 = 0;
  let served = new Map<string, number>();
  let stats = empty();
  function empty(): FakeCognitoStats {
    return { requests: 0, byOperation: {}, repeatedPages: [], rateLimited: 0, maxPerSecond: {}, errors: {} };
  }
  const userByName = new Map(pool.users.map((u) => [u.Username, u]));

  // Tokens are opaque to the client, as Cognito's are: an offset signed for one listing.
  const tokenFor = (listing: string, offset: number) => {
    const body = Buffer.from(JSON.stringify({ l: listing, o: offset })).toString('base64url');
    return `${body}.${hmac(tokenKey, body).toString('base64url')}`;
  };
  const offsetOf = (listing: string, token: string): number | undefined => {
    const [body, mac] = token.split('.');
    if (!body || !mac || hmac(tokenKey, body).toString('base64url') !== mac) return undefined;
    try {
      const t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { l?: string; o?: number };
      return t.l === listing && typeof t.o === 'number' ? t.o : undefined;
    } catch {
      return undefined;
    }
  };

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  /** SigV4 as AWS checks it; undefined when the signature holds, else the error to answer. */
  function checkSignature(req: IncomingMessage, body: Buffer): { type: string; message: string } | undefined {
    const auth = String(req.headers.authorization ?? '');
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
    const [, keyId, day, region, service, signedHeaders, signature] = m;
    if (keyId !== accessKeyId) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    if (options.sessionToken !== undefined && req.headers['x-amz-security-token'] !== options.sessionToken) {
      return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    }
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const at = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    if (!Number.isFinite(at) || Math.abs(Date.now() - at) > 5 * 60_000 || !amzDate.startsWith(day)) {
      return { type: 'InvalidSignatureException', message: `Signature expired: ${amzDate} is now earlier than ${new Date(Date.now() - 5 * 60_000).toISOString()} (${new Date().toISOString()} - 5 min.)` };
    }
    const names = signedHeaders.split(';');
    const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const url = new URL(req.url ?? '/', 'http://x');
    const query = [...url.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort().join('&');
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(body));
    const canonical = ['POST', url.pathname, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
    if (hmac(key, toSign).toString('hex') !== signature) {
      return {
        type: 'InvalidSignatureException',
        message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      };
    }
    if (region !== pool.region) return { type: 'ResourceNotFoundException', message: `User pool ${pool.id} does not exist.` };
    return undefined;
  }

  const userView = (u: CognitoUser) => ({ ...u });

  function limitOf(input: Record<string, unknown>, field = 'Limit'): number | { type: string; message: string } {
    const limit = input[field];
    if (limit === undefined) return MAX_LIMIT;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
      return { type: 'InvalidParameterException', message: `1 validation error detected: Value '${String(limit)}' at '${field.toLowerCase()}' failed to satisfy constraint: Member must have value less than or equal to ${MAX_LIMIT}` };
    }
    return limit || MAX_LIMIT;
  }

  function page<T>(listing: string, items: T[], input: Record<string, unknown>, tokenField: string): { items: T[]; next?: string } | { type: string; message: string } {
    const limit = limitOf(input);
    if (typeof limit !== 'number') return limit;
    const token = input[tokenField];
    let offset = 0;
    if (token !== undefined) {
      const o = typeof token === 'string' ? offsetOf(listing, token) : undefined;
      if (o === undefined) return { type: 'InvalidParameterException', message: `Invalid ${tokenField}.` };
      offset = o;
    }
    const key = `${listing}@${offset}/${limit}`;
    const n = (served.get(key) ?? 0) + 1;
    served.set(key, n);
    if (n === 2) stats.repeatedPages.push(key);
    const slice = items.slice(offset, offset + limit);
    return { items: slice, next: offset + limit < items.length ? tokenFor(listing, offset + limit) : undefined };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    stats.requests++;
    const send = (status: number, payload: unknown) => {
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        'Content-Type': 'application/x-amz-json-1.1',
        'Content-Length': Buffer.byteLength(text),
        'x-amzn-RequestId': randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
      });
      res.end(text);
    };
    const fail = (error: { type: string; message: string }, status = 400) => {
      stats.errors[error.type] = (stats.errors[error.type] ?? 0) + 1;
      send(status, { __type: error.type, message: error.message });
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) return fail({ type: 'UnknownOperationException', message: 'Unknown operation' });
    const operation = target.slice(TARGET_PREFIX.length);
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      return fail({ type: 'SerializationException', message: 'Start of structure or map found where not expected.' });
    }
    const unsigned = checkSignature(req, body);
    if (unsigned) return fail(unsigned);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return fail({ type: 'SerializationException', message: 'Unable to parse the request body as JSON.' });
    }
    if (forbidden.has(operation)) {
      const account = '123456789012';
      return fail({
        type: 'AccessDeniedException',
        message: `User: arn:aws:iam::${account}:user/migrate is not authorized to perform: cognito-idp:${operation} on resource: arn:aws:cognito-idp:${pool.region}:${account}:userpool/${pool.id} because no identity-based policy allows the cognito-idp:${operation} action`,
      });
    }
    const category = CATEGORY[operation];
    if (!category) return fail({ type: 'UnknownOperationException', message: `The fake has no ${operation}.` });
    if (inject500 > 0) {
      inject500--;
      return fail({ type: 'InternalErrorException', message: 'Internal error' }, 500);
    }
    const now = Date.now();
    const window = windows[category];
    if (inject429 > 0 || (enforce && window.waitMs(now) > 0)) {
      if (inject429 > 0) inject429--;
      stats.rateLimited++;
      return fail({ type: 'TooManyRequestsException', message: 'Rate exceeded' });
    }
    window.record(now);
    stats.maxPerSecond[category] = Math.max(stats.maxPerSecond[category] ?? 0, window.count(now));

    if (input.UserPoolId !== pool.id) {
      if (typeof input.UserPoolId !== 'string' || !/^[\w-]+_[0-9a-zA-Z]+$/.test(input.UserPoolId)) {
        return fail({ type: 'InvalidParameterException', message: `1 validation error detected: Value '${String(input.UserPoolId)}' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+` });
      }
      return fail({ type: 'ResourceNotFoundException', message: `User pool ${input.UserPoolId} does not exist.` });
    }
    switch (operation) {
      case 'DescribeUserPool':
        return send(200, { UserPool: { Id: pool.id, Name: pool.name, EstimatedNumberOfUsers: pool.users.length, Status: 'Enabled', CreationDate: 1672531200, LastModifiedDate: 1672531200 } });
      case 'ListUsers': {
        const p = page('users', pool.users, input, 'PaginationToken');
        if ('type' in p) return fail(p);
        return send(200, { Users: p.items.map(userView), ...(p.next ? { PaginationToken: p.next } : {}) });
      }
      case 'ListGroups': {
        const p = page('groups', pool.groups, input, 'NextToken');
        if ('type' in p) return fail(p);
        return send(200, { Groups: p.items.map((g) => ({ ...g, UserPoolId: pool.id })), ...(p.next ? { NextToken: p.next } : {}) });
      }
      case 'ListUsersInGroup': {
        const group = typeof input.GroupName === 'string' ? pool.members.get(input.GroupName) : undefined;
        if (!group) return fail({ type: 'ResourceNotFoundException', message: 'Group not found.' });
        const p = page(`group:${String(input.GroupName)}`, group, input, 'NextToken');
        if ('type' in p) return fail(p);
        return send(200, { Users: p.items.map((name) => userView(userByName.get(name)!)), ...(p.next ? { NextToken: p.next } : {}) });
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalErrorException', message: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pool,
    accessKeyId,
    secretAccessKey,
    stats: () => structuredClone(stats),
    resetStats() {
      stats = empty();
      served = new Map();
      for (const w of Object.values(windows)) w.reset();
    },
    inject429(count: number) {
      inject429 += count;
    },
    inject500(count: number) {
      inject500 += count;
    },
    expireTokens() {
      tokenKey = randomBytes(16);
    },
    deny(...operations: string[]) {
      forbidden = new Set(operations);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
