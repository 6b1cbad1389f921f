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
  /**
   * The record is wrong for WorkOS (validation, bad hash): a per-record failure, never retried.
   * `details` are the answer's per-field errors, where the SDK kept them (a 400 does, a 422 keeps
   * only their codes, in `message`).
   */
  | { kind: 'invalid'; code: string; message: string; details?: FieldDetail[] }
  | { kind: 'multiple_roles_not_enabled'; code: string; message: string }
  | { kind: 'not_found'; code: string; message: string }
  /** The key is missing, wrong or revoked: nothing else can work. */
  | { kind: 'unauthorized'; code: string; message: string }
  /**
   * 5xx, timeouts, resets: retry; a write may have landed, so look before creating again.
   * `connection` is set when no HTTP answer came at all (refused, reset, timed out, DNS): the
   * target may be unreachable as a whole. `sent: false` when the connection was never made, so
   * nothing can have landed. `outage` is set by the target when WorkOS was unreachable as a whole
   * for a while before this failure was handed back (the record is not to blame for it).
   */
  | { kind: 'transient'; code: string; message: string; connection?: boolean; sent?: boolean; outage?: boolean }
  /** A request this tool built wrong: a bug, reported as such. */
  | { kind: 'bug'; code: string; message: string };

export interface FieldDetail {
  code?: string;
  field?: string;
  message?: string;
}

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

/** Network failures where the connection itself was never made: the request did not leave. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

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
      const netCode = String(cause?.cause?.code ?? cause?.code ?? 'network_error');
      return { kind: 'transient', code: netCode, message: `network error (${netCode})`, connection: true, sent: !NOT_SENT.has(netCode) };
    }
    return { kind: 'bug', code: e.name ?? 'error', message: e.message ?? String(error) };
  }
  if (status === 429) {
    const seconds = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) ? e.retryAfter : null;
    return { kind: 'rate_limited', retryAfterMs: seconds === null ? null : seconds * 1000, message: messageOf(e, 'rate limited') };
  }
  // 401 means the key itself; a 403 on one record is that record's problem.
  if (status === 401) return { kind: 'unauthorized', code, message: messageOf(e, 'unauthorized') };
  // The SDK reports its own request timeout as a 408 with error "Request timeout": no answer came.
  if (status === 408) return { kind: 'transient', code: 'timeout', message: messageOf(e, 'request timed out'), connection: true, sent: true };
  if (status >= 500) return { kind: 'transient', code, message: messageOf(e, `HTTP ${status}`) };
  if (status === 409) return { kind: 'conflict', code: code === `http_409` ? 'conflict' : code, message: messageOf(e, 'conflict') };
  if (codes.some((c) => CONFLICT_CODES.has(c))) return { kind: 'conflict', code, message: messageOf(e, 'conflict') };
  if (codes.includes('multiple_roles_not_enabled')) {
    return { kind: 'multiple_roles_not_enabled', code: 'multiple_roles_not_enabled', message: messageOf(e, 'multiple roles not enabled') };
  }
  if (status === 404) return { kind: 'not_found', code, message: messageOf(e, 'not found') };
  if (codes.some((c) => BUG_CODES.has(c))) return { kind: 'bug', code, message: messageOf(e, `HTTP ${status}`) };
  const details = [...(e.errors ?? []), ...(e.rawData?.errors ?? [])] as FieldDetail[];
  return { kind: 'invalid', code, message: messageOf(e, `HTTP ${status}`), ...(details.length ? { details } : {}) };
}

/**
 * Whether an invalid answer to an organization create (or update) refuses some of its domains
 * (a consumer domain like gmail.com, one WorkOS will not take): null when the answer is about
 * something else; otherwise the refused domains it names, by `domain_data[i]` field or by name,
 * or `unknown` when it says a domain was refused but not which.
 */
export function refusedDomains(info: ErrorClass, domains: string[]): string[] | 'unknown' | null {
  if (info.kind !== 'invalid') return null;
  const details = info.details ?? [];
  const texts = [info.code, info.message, ...details.flatMap((d) => [d.code ?? '', d.field ?? '', d.message ?? ''])];
  if (!texts.some((t) => /domain/i.test(t))) return null;
  const named = new Set<string>();
  for (const d of details) {
    const index = /^domain_data\[(\d+)\]/.exec(d.field ?? '')?.[1];
    if (index !== undefined && domains[Number(index)]) named.add(domains[Number(index)]);
  }
  for (const domain of domains) if (texts.some((t) => t.toLowerCase().includes(domain.toLowerCase()))) named.add(domain);
  if (named.size) return domains.filter((d) => named.has(d));
  return domains.length === 1 ? [...domains] : 'unknown';
}
