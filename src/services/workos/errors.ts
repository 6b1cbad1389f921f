/**
 * What a WorkOS answer means for the importer (the reference's error table, in one place).
 * The SDK (8.x) turns answers into exception classes; we read their status and codes
 * structurally so the classification does not depend on class identity.
 */
export type ErrorClass =
  /** 429: nothing landed; wait `retryAfterMs` and send again. */
  | { kind: 'rate_limited'; retryAfterMs: number | null; message: string }
  /** The record exists already (email, external id, membership): adopt it. */
  | { kind: 'conflict'; code: string; message: string }
  /** The record is wrong for WorkOS (validation, bad hash): a per-record failure, never retried. */
  | { kind: 'invalid'; code: string; message: string }
  | { kind: 'multiple_roles_not_enabled'; code: string; message: string }
  | { kind: 'not_found'; code: string; message: string }
  /** The key is missing, wrong or revoked: nothing else can work. */
  | { kind: 'unauthorized'; code: string; message: string }
  /** 5xx, timeouts, resets: retry; a write may have landed, so look before creating again. */
  | { kind: 'transient'; code: string; message: string }
  /** A request this tool built wrong: a bug, reported as such. */
  | { kind: 'bug'; code: string; message: string };

interface SdkErrorShape {
  status?: number;
  code?: string;
  errors?: { code?: string; message?: string; field?: string }[];
  rawData?: { code?: string; message?: string; errors?: { code?: string; message?: string }[] };
  retryAfter?: number | null;
  message?: string;
  error?: string;
  errorDescription?: string;
  cause?: unknown;
  name?: string;
}

const CONFLICT_CODES = new Set([
  'email_not_available',
  'external_id_already_used',
  'user_already_exists',
  'organization_membership_already_exists',
]);

const BUG_CODES = new Set(['password_and_password_hash_provided', 'invalid_request', 'missing_required_parameter']);

function messageOf(e: SdkErrorShape, fallback: string): string {
  const detail = e.errors?.map((x) => x.message ?? x.code).filter(Boolean).join('; ');
  const base = e.rawData?.message ?? e.message ?? fallback;
  return detail && !base.includes(detail) ? `${base} (${detail})` : base;
}

export function classifyWorkOSError(error: unknown): ErrorClass {
  const e = (error ?? {}) as SdkErrorShape;
  // The SDK reports a non-JSON answer as a ParseError with status 500; its rawStatus is the truth.
  const raw = (error as { rawStatus?: unknown } | undefined)?.rawStatus;
  const status = typeof raw === 'number' ? raw : typeof e.status === 'number' ? e.status : undefined;
  const codes = [e.code, e.rawData?.code, ...(e.errors ?? []).map((x) => x.code), ...(e.rawData?.errors ?? []).map((x) => x.code)].filter(
    (c): c is string => typeof c === 'string',
  );
  const code = codes.find((c) => CONFLICT_CODES.has(c)) ?? codes[codes.length - 1] ?? `http_${status ?? 'error'}`;

  if (status === undefined) {
    // No HTTP answer: the SDK wraps fetch's failure (a reset, a refused connection, DNS) as
    // "Unexpected error: TypeError: fetch failed" with the network error as its cause.
    const cause = e.cause as { code?: string; message?: string; cause?: { code?: string } } | undefined;
    const network = /fetch failed|network|socket|ECONN|EPIPE|ETIMEDOUT|terminated/i.test(`${e.message ?? ''} ${cause?.message ?? ''}`);
    if (network || cause?.cause?.code || cause?.code) {
      const netCode = cause?.cause?.code ?? cause?.code ?? 'network_error';
      return { kind: 'transient', code: String(netCode), message: `network error (${netCode})` };
    }
    return { kind: 'bug', code: e.name ?? 'error', message: e.message ?? String(error) };
  }
  if (status === 429) {
    const seconds = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) ? e.retryAfter : null;
    return { kind: 'rate_limited', retryAfterMs: seconds === null ? null : seconds * 1000, message: messageOf(e, 'rate limited') };
  }
  // 401 means the key itself; a 403 on one record is that record's problem.
  if (status === 401) return { kind: 'unauthorized', code, message: messageOf(e, 'unauthorized') };
  if (status === 408 || status >= 500) return { kind: 'transient', code, message: messageOf(e, `HTTP ${status}`) };
  if (status === 409) return { kind: 'conflict', code: code === `http_409` ? 'conflict' : code, message: messageOf(e, 'conflict') };
  if (codes.some((c) => CONFLICT_CODES.has(c))) return { kind: 'conflict', code, message: messageOf(e, 'conflict') };
  if (codes.includes('multiple_roles_not_enabled')) {
    return { kind: 'multiple_roles_not_enabled', code: 'multiple_roles_not_enabled', message: messageOf(e, 'multiple roles not enabled') };
  }
  if (status === 404) return { kind: 'not_found', code, message: messageOf(e, 'not found') };
  if (codes.some((c) => BUG_CODES.has(c))) return { kind: 'bug', code, message: messageOf(e, `HTTP ${status}`) };
  return { kind: 'invalid', code, message: messageOf(e, `HTTP ${status}`) };
}
