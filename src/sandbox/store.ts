/**
 * The sandbox's data and business rules: users, organizations, memberships, roles, password
 * resets. Knows nothing about HTTP except that failures are `ApiError`s carrying the exact status
 * and body the real API answers with (see shared/reference/workos-api.md), because the importer
 * branches on those codes.
 */
import { isPasswordHashType, passwordHashProblem } from './hash-formats.js';
import { checkPasswordHash, hashPlainPassword, verifyPasswordHash } from './passwords.js';
import { newId, randomToken } from './ids.js';
import { SlidingWindowLog, retryAfterSeconds } from './rate-limit.js';
import type {
  SandboxAuthFactor,
  SandboxCredential,
  SandboxInvitation,
  SandboxMembership,
  SandboxOrganization,
  SandboxOrganizationDomain,
  SandboxPasswordReset,
  SandboxRole,
  SandboxRoleRef,
  SandboxState,
  SandboxUser,
  UserConflictStyle,
} from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
  }
}

export interface FieldError {
  code: string;
  field?: string;
  message?: string;
}

export function invalidRequest(errors: FieldError[], message = 'Validation failed.'): ApiError {
  return new ApiError(422, { code: 'invalid_request_parameters', message, errors });
}

export function notFound(entity: string, id: string): ApiError {
  return new ApiError(404, { code: 'entity_not_found', message: `${entity} not found: '${id}'.`, entity_id: id });
}

export function rateLimited(retryAfter: string): ApiError {
  return new ApiError(429, { message: 'Rate limit exceeded', code: 'rate_limit_exceeded' }, { 'Retry-After': retryAfter });
}

export interface ListResponse<T> {
  object: 'list';
  data: T[];
  list_metadata: { before: string | null; after: string | null };
}

type Body = Record<string, unknown>;

const EXTERNAL_ID_MAX = 128;
const METADATA_MAX_KEYS = 50;
const METADATA_KEY_MAX = 40;
const METADATA_VALUE_MAX = 600;
// Deliberately plain: one @, something on both sides, a dot in the domain, no whitespace.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/**
 * "WorkOS does not allow addition of common consumer domains, like gmail.com" (the organization
 * domain reference). unverified: the exact list and the answer's code; the answer here is the
 * 422 the SDK turns into an UnprocessableEntityException naming only the code. A domain another
 * organization holds is accepted: the reference says nothing against it.
 */
const CONSUMER_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'msn.com',
  'icloud.com', 'me.com', 'mac.com', 'aol.com', 'protonmail.com', 'proton.me', 'gmx.com', 'yandex.com', 'mail.com',
]);
const INVITATION_DAYS = { default: 7, max: 30 };

/** Per-email password reset ceiling (3 / 60 s) and organization deletes (50 / 60 s), from the reference. */
const RESET_LIMIT = { limit: 3, windowMs: 60_000 };
const DELETE_ORG_LIMIT = { limit: 50, windowMs: 60_000 };

const now = () => new Date().toISOString();
const monotonicNow = () => performance.now();

function titleCase(slug: string): string {
  return slug
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// field validation: each returns a FieldError or null, so one request reports every problem

function optionalString(body: Body, field: string, errors: FieldError[]): void {
  const v = body[field];
  if (v !== undefined && v !== null && typeof v !== 'string') errors.push({ code: `${field}_must_be_string`, field });
}

function checkEmail(value: unknown, errors: FieldError[]): void {
  if (value === undefined || value === null || value === '') {
    errors.push({ code: 'email_required', field: 'email', message: 'Email is required.' });
  } else if (typeof value !== 'string' || value.length > 254 || !EMAIL_RE.test(value)) {
    errors.push({ code: 'invalid_email', field: 'email', message: 'Email is not a valid email address.' });
  }
}

function checkExternalId(value: unknown, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.length === 0) {
    errors.push({ code: 'invalid_external_id', field: 'external_id', message: 'External ID must be a non-empty string.' });
  } else if (value.length > EXTERNAL_ID_MAX) {
    errors.push({
      code: 'external_id_too_long',
      field: 'external_id',
      message: `External ID must be at most ${EXTERNAL_ID_MAX} characters.`,
    });
  }
}

/** On update a null value removes a key, so nulls are allowed there. */
function checkMetadata(value: unknown, errors: FieldError[], allowNullValues: boolean): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push({ code: 'metadata_must_be_object', field: 'metadata' });
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > METADATA_MAX_KEYS) {
    errors.push({ code: 'metadata_too_many_keys', field: 'metadata', message: `At most ${METADATA_MAX_KEYS} keys.` });
  }
  for (const [key, v] of entries) {
    if (key.length === 0 || key.length > METADATA_KEY_MAX) {
      errors.push({ code: 'metadata_key_too_long', field: `metadata.${key}`, message: `Keys are 1 to ${METADATA_KEY_MAX} characters.` });
    }
    if (v === null && allowNullValues) continue;
    if (typeof v !== 'string') {
      errors.push({ code: 'metadata_value_must_be_string', field: `metadata.${key}` });
    } else if (v.length > METADATA_VALUE_MAX) {
      errors.push({
        code: 'metadata_value_too_long',
        field: `metadata.${key}`,
        message: `Values are at most ${METADATA_VALUE_MAX} characters.`,
      });
    }
  }
}

function applyMetadata(current: Record<string, string>, update: Record<string, string | null>): Record<string, string> {
  const next = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/**
 * Validates password / password_hash / password_hash_type. 422s are pushed to `errors`; the 400s
 * (both given, malformed hash) are thrown afterwards by `credentialFrom`, mirroring the API which
 * rejects bad parameters before looking at their content.
 */
function checkPasswordFields(body: Body, errors: FieldError[]): void {
  const { password, password_hash: hash, password_hash_type: type } = body;
  if (password !== undefined && password !== null && (typeof password !== 'string' || password.length === 0)) {
    errors.push({ code: 'invalid_password', field: 'password' });
  }
  if (type !== undefined && type !== null && !isPasswordHashType(type)) {
    errors.push({
      code: 'invalid_password_hash_type',
      field: 'password_hash_type',
      message: 'password_hash_type must be one of bcrypt, scrypt, firebase-scrypt, pbkdf2, argon2, ssha.',
    });
  }
  const hasHash = hash !== undefined && hash !== null;
  const hasType = type !== undefined && type !== null;
  if (hasHash && typeof hash !== 'string') errors.push({ code: 'password_hash_must_be_string', field: 'password_hash' });
  if (hasHash && !hasType) errors.push({ code: 'password_hash_type_required', field: 'password_hash_type' });
  if (hasType && !hasHash) errors.push({ code: 'password_hash_required', field: 'password_hash' });
}

/** `echo`: the refusal quotes the hash it was sent (see SandboxOptions.echoHashes). */
function credentialFrom(body: Body, echo = false): SandboxCredential | undefined {
  const { password, password_hash: hash, password_hash_type: type } = body;
  const hasPassword = typeof password === 'string';
  const hasHash = typeof hash === 'string';
  if (hasPassword && hasHash) {
    throw new ApiError(400, {
      code: 'password_and_password_hash_provided',
      message: 'Only one of password or password_hash can be provided.',
    });
  }
  if (hasHash && isPasswordHashType(type)) {
    const problem = passwordHashProblem(type, hash);
    if (problem) {
      throw new ApiError(400, {
        code: 'invalid_password_hash',
        message: `The password hash is not a valid ${type} hash: ${problem}.${echo ? ` Received: ${hash}` : ''}`,
      });
    }
    return { kind: 'hash', password_hash_type: type, password_hash: hash };
  }
  if (hasPassword) return { kind: 'password', ...hashPlainPassword(password) };
  return undefined;
}

function parseDomainData(value: unknown, errors: FieldError[]): Array<{ domain: string; state: 'pending' | 'verified' }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push({ code: 'domain_data_must_be_array', field: 'domain_data' });
    return [];
  }
  const out: Array<{ domain: string; state: 'pending' | 'verified' }> = [];
  value.forEach((entry, i) => {
    const d = entry as { domain?: unknown; state?: unknown } | null;
    if (!d || typeof d.domain !== 'string' || !DOMAIN_RE.test(d.domain)) {
      errors.push({ code: 'invalid_domain', field: `domain_data[${i}].domain` });
      return;
    }
    if (CONSUMER_DOMAINS.has(d.domain.toLowerCase())) {
      errors.push({ code: 'invalid_domain', field: `domain_data[${i}].domain`, message: `${d.domain} is a consumer email domain and cannot belong to an organization.` });
      return;
    }
    if (d.state !== 'pending' && d.state !== 'verified') {
      errors.push({ code: 'invalid_domain_state', field: `domain_data[${i}].state`, message: "state must be 'pending' or 'verified'." });
      return;
    }
    out.push({ domain: d.domain.toLowerCase(), state: d.state });
  });
  return out;
}

function throwIfErrors(errors: FieldError[]): void {
  if (errors.length > 0) throw invalidRequest(errors);
}

function asBody(value: unknown): Body {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest([{ code: 'body_must_be_object' }], 'Request body must be a JSON object.');
  }
  return value as Body;
}

// ---------------------------------------------------------------------------------------------
// paging

/**
 * Cursor paging the WorkOS way: `after`/`before` are ids, `order` is desc by default. `items`
 * must be in ascending id order (creation order, as ids are monotonic).
 */
export function paginate<T extends { id: string }>(items: T[], query: URLSearchParams): ListResponse<T> {
  const limitRaw = query.get('limit');
  const limit = limitRaw === null || limitRaw === '' ? 10 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw invalidRequest([{ code: 'invalid_limit', field: 'limit', message: 'limit must be an integer from 1 to 100.' }]);
  }
  const order = query.get('order') || 'desc';
  if (order !== 'asc' && order !== 'desc' && order !== 'normal') {
    throw invalidRequest([{ code: 'invalid_order', field: 'order', message: "order must be 'asc' or 'desc'." }]);
  }
  const asc = order === 'asc';
  const n = items.length;
  // Positions count in listing order; binary searches over the ascending ids keep a page of a
  // million records as cheap as one of ten.
  const at = (p: number) => items[asc ? p : n - 1 - p];
  /** First index whose id is above `cursor` (or at it, with `orEqual`). */
  const firstAbove = (cursor: string, orEqual: boolean) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid].id > cursor || (orEqual && items[mid].id === cursor)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const after = query.get('after');
  const before = query.get('before');

  let start = 0;
  let end = Math.min(n, limit);
  if (after) {
    // The first position that comes later in this listing than the cursor.
    start = asc ? firstAbove(after, false) : n - firstAbove(after, true);
    end = Math.min(n, start + limit);
  } else if (before) {
    // The page is the `limit` items just ahead of the cursor.
    end = asc ? firstAbove(before, true) : n - firstAbove(before, false);
    start = Math.max(0, end - limit);
  }
  const data: T[] = [];
  for (let p = start; p < end; p++) data.push(at(p));
  return {
    object: 'list',
    data,
    list_metadata: {
      before: data.length > 0 && start > 0 ? data[0].id : null,
      after: data.length > 0 && end < n ? data[data.length - 1].id : null,
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface SeedUser {
  email: string;
  first_name?: string;
  last_name?: string;
  external_id?: string;
  email_verified?: boolean;
  metadata?: Record<string, string>;
  /** A user who already has a password in WorkOS, as the hash it was set with. */
  password_hash?: string;
  password_hash_type?: string;
}

export interface StoreOptions {
  roles: string[];
  multipleRoles: boolean;
  userConflict?: UserConflictStyle;
}

export class SandboxStore {
  readonly state: SandboxState;
  /** Per-email reset and organization-delete ceilings; off when the sandbox runs without limits. */
  enforceExtraLimits = true;
  /** How a user create answers a taken email or external id (see SandboxOptions.userConflict). */
  userConflict: UserConflictStyle;
  /** A refused password hash is quoted back in the answer (see SandboxOptions.echoHashes). */
  echoHashes = false;
  private readonly multipleRoles: boolean;
  private readonly defaultRole: string;

  // Private indexes so that lookups stay O(1) with hundreds of thousands of users.
  private usersByEmail = new Map<string, string>();
  private usersByExternalId = new Map<string, string>();
  private orgsByExternalId = new Map<string, string>();
  private membershipByPair = new Map<string, string>();
  private membershipsByUser = new Map<string, Set<string>>();
  private membershipsByOrg = new Map<string, Set<string>>();
  private orgIdempotency = new Map<string, SandboxOrganization>();
  private resetLogs = new Map<string, SlidingWindowLog>();
  private deleteOrgLog = new SlidingWindowLog(DELETE_ORG_LIMIT.limit, DELETE_ORG_LIMIT.windowMs);
  /**
   * Every user in creation (= id) order for listing, rebuilt only when users came or went (the
   * size is checked too: tests delete from `state.users` directly): copying a million users for
   * each page of 100 would make the sandbox, not the rate limit, the pace of a full listing.
   */
  private userList: { version: number; list: SandboxUser[] } | undefined;
  private usersVersion = 0;

  constructor(options: StoreOptions) {
    if (options.roles.length === 0) throw new Error('sandbox needs at least one role');
    this.multipleRoles = options.multipleRoles;
    this.userConflict = options.userConflict ?? 'user_creation_error';
    this.defaultRole = options.roles.includes('member') ? 'member' : options.roles[0];
    const created = now();
    this.state = {
      users: new Map(),
      organizations: new Map(),
      memberships: new Map(),
      roles: options.roles.map((slug) => ({
        object: 'role',
        id: newId('role'),
        name: titleCase(slug),
        slug,
        description: null,
        permissions: [],
        type: 'EnvironmentRole',
        created_at: created,
        updated_at: created,
      })),
      credentials: new Map(),
      passwordResets: [],
      authFactors: new Map(),
      invitations: new Map(),
    };
  }

  // ------------------------------------------------------------------------------------------
  // users

  getUser(id: string): SandboxUser {
    const user = this.state.users.get(id);
    if (!user) throw notFound('User', id);
    return user;
  }

  getUserByExternalId(externalId: string): SandboxUser {
    const id = this.usersByExternalId.get(externalId);
    const user = id === undefined ? undefined : this.state.users.get(id);
    if (!user) throw notFound('User', externalId);
    return user;
  }

  createUser(raw: unknown): SandboxUser {
    const body = asBody(raw);
    const errors: FieldError[] = [];
    checkEmail(body.email, errors);
    optionalString(body, 'first_name', errors);
    optionalString(body, 'last_name', errors);
    if (body.email_verified !== undefined && body.email_verified !== null && typeof body.email_verified !== 'boolean') {
      errors.push({ code: 'email_verified_must_be_boolean', field: 'email_verified' });
    }
    checkExternalId(body.external_id, errors);
    checkMetadata(body.metadata, errors, false);
    checkPasswordFields(body, errors);
    throwIfErrors(errors);
    const credential = credentialFrom(body, this.echoHashes);

    const email = body.email as string;
    const externalId = (body.external_id as string | null | undefined) ?? null;
    const conflicts: FieldError[] = [];
    if (this.usersByEmail.has(email.toLowerCase())) {
      conflicts.push({ code: 'email_not_available', message: 'This email is not available.' });
    }
    if (externalId !== null && this.usersByExternalId.has(externalId)) {
      conflicts.push({ code: 'external_id_already_used', message: 'This external ID is already in use.' });
    }
    if (conflicts.length > 0 && this.userConflict === 'user_already_exists') {
      throw new ApiError(409, { code: 'user_already_exists', message: 'A user with this email already exists' });
    }
    if (conflicts.length > 0) {
      throw new ApiError(400, { code: 'user_creation_error', message: 'Could not create user.', errors: conflicts });
    }

    const ts = now();
    const user: SandboxUser = {
      object: 'user',
      id: newId('user'),
      email,
      email_verified: (body.email_verified as boolean | undefined) ?? false,
      first_name: (body.first_name as string | null | undefined) ?? null,
      last_name: (body.last_name as string | null | undefined) ?? null,
      profile_picture_url: null,
      last_sign_in_at: null,
      locale: null,
      external_id: externalId,
      metadata: { ...((body.metadata as Record<string, string> | null | undefined) ?? {}) },
      created_at: ts,
      updated_at: ts,
    };
    this.state.users.set(user.id, user);
    this.usersVersion++;
    this.usersByEmail.set(email.toLowerCase(), user.id);
    if (externalId !== null) this.usersByExternalId.set(externalId, user.id);
    if (credential) this.state.credentials.set(user.id, credential);
    return user;
  }

  updateUser(id: string, raw: unknown): SandboxUser {
    const user = this.getUser(id);
    const body = asBody(raw);
    const errors: FieldError[] = [];
    if (body.email !== undefined) checkEmail(body.email, errors);
    optionalString(body, 'first_name', errors);
    optionalString(body, 'last_name', errors);
    optionalString(body, 'locale', errors);
    if (body.email_verified !== undefined && body.email_verified !== null && typeof body.email_verified !== 'boolean') {
      errors.push({ code: 'email_verified_must_be_boolean', field: 'email_verified' });
    }
    checkExternalId(body.external_id, errors);
    checkMetadata(body.metadata, errors, true);
    checkPasswordFields(body, errors);
    throwIfErrors(errors);
    const credential = credentialFrom(body, this.echoHashes);

    let metadata: Record<string, string> | undefined;
    if (body.metadata !== undefined && body.metadata !== null) {
      metadata = applyMetadata(user.metadata, body.metadata as Record<string, string | null>);
      if (Object.keys(metadata).length > METADATA_MAX_KEYS) {
        throw invalidRequest([{ code: 'metadata_too_many_keys', field: 'metadata', message: `At most ${METADATA_MAX_KEYS} keys.` }]);
      }
    }

    const email = body.email as string | undefined;
    const conflicts: FieldError[] = [];
    if (email !== undefined) {
      const holder = this.usersByEmail.get(email.toLowerCase());
      if (holder !== undefined && holder !== id) conflicts.push({ code: 'email_not_available', message: 'This email is not available.' });
    }
    const externalId = body.external_id as string | null | undefined;
    if (typeof externalId === 'string') {
      const holder = this.usersByExternalId.get(externalId);
      if (holder !== undefined && holder !== id) {
        conflicts.push({ code: 'external_id_already_used', message: 'This external ID is already in use.' });
      }
    }
    if (conflicts.length > 0) {
      // unverified: the code the real API uses for a failed update (the inner codes match create).
      throw new ApiError(400, { code: 'user_update_error', message: 'Could not update user.', errors: conflicts });
    }

    if (email !== undefined) {
      this.usersByEmail.delete(user.email.toLowerCase());
      this.usersByEmail.set(email.toLowerCase(), id);
      user.email = email;
    }
    if (externalId !== undefined) {
      if (user.external_id !== null) this.usersByExternalId.delete(user.external_id);
      user.external_id = externalId;
      if (externalId !== null) this.usersByExternalId.set(externalId, id);
    }
    if (body.first_name !== undefined) user.first_name = body.first_name as string | null;
    if (body.last_name !== undefined) user.last_name = body.last_name as string | null;
    if (body.locale !== undefined) user.locale = body.locale as string | null;
    if (typeof body.email_verified === 'boolean') user.email_verified = body.email_verified;
    if (metadata) user.metadata = metadata;
    if (credential) this.state.credentials.set(id, credential);
    user.updated_at = now();
    return user;
  }

  deleteUser(id: string): void {
    const user = this.getUser(id);
    for (const membershipId of [...(this.membershipsByUser.get(id) ?? [])]) this.removeMembership(membershipId);
    for (const [factorId, factor] of this.state.authFactors) if (factor.user_id === id) this.state.authFactors.delete(factorId);
    this.usersByEmail.delete(user.email.toLowerCase());
    if (user.external_id !== null) this.usersByExternalId.delete(user.external_id);
    this.state.credentials.delete(id);
    this.state.users.delete(id);
    this.usersVersion++;
  }

  listUsers(query: URLSearchParams): ListResponse<SandboxUser> {
    const email = query.get('email');
    const orgId = query.get('organization_id');
    let users: SandboxUser[];
    if (email) {
      // Case-insensitive, like the uniqueness rule.
      const id = this.usersByEmail.get(email.toLowerCase());
      users = id === undefined ? [] : [this.state.users.get(id)!];
    } else {
      const cached = this.userList;
      users =
        cached && cached.version === this.usersVersion && cached.list.length === this.state.users.size
          ? cached.list
          : (this.userList = { version: this.usersVersion, list: [...this.state.users.values()] }).list;
    }
    if (orgId) {
      const memberIds = new Set(
        [...(this.membershipsByOrg.get(orgId) ?? [])].map((mid) => this.state.memberships.get(mid)!.user_id),
      );
      users = users.filter((u) => memberIds.has(u.id));
    }
    return paginate(users, query);
  }

  // ------------------------------------------------------------------------------------------
  // organizations

  getOrganization(id: string): SandboxOrganization {
    const org = this.state.organizations.get(id);
    if (!org) throw notFound('Organization', id);
    return org;
  }

  getOrganizationByExternalId(externalId: string): SandboxOrganization {
    const id = this.orgsByExternalId.get(externalId);
    const org = id === undefined ? undefined : this.state.organizations.get(id);
    if (!org) throw notFound('Organization', externalId);
    return org;
  }

  /** With an Idempotency-Key, a repeat returns the organization the first call created instead of a second one. */
  createOrganization(raw: unknown, idempotencyKey?: string): SandboxOrganization {
    if (idempotencyKey) {
      const earlier = this.orgIdempotency.get(idempotencyKey);
      if (earlier) return earlier;
    }
    const body = asBody(raw);
    const errors: FieldError[] = [];
    if (typeof body.name !== 'string' || body.name.trim() === '') errors.push({ code: 'name_required', field: 'name' });
    checkExternalId(body.external_id, errors);
    checkMetadata(body.metadata, errors, false);
    const domains = parseDomainData(body.domain_data, errors);
    throwIfErrors(errors);

    const externalId = (body.external_id as string | null | undefined) ?? null;
    if (externalId !== null && this.orgsByExternalId.has(externalId)) {
      // unverified: the exact status/code the real API uses for a duplicate organization external_id.
      throw new ApiError(400, {
        code: 'external_id_already_used',
        message: `An organization with external ID '${externalId}' already exists.`,
      });
    }
    const ts = now();
    const id = newId('org');
    const org: SandboxOrganization = {
      object: 'organization',
      id,
      name: body.name as string,
      allow_profiles_outside_organization: body.allow_profiles_outside_organization === true,
      domains: domains.map((d) => this.makeDomain(id, d.domain, d.state, ts)),
      external_id: externalId,
      metadata: { ...((body.metadata as Record<string, string> | null | undefined) ?? {}) },
      created_at: ts,
      updated_at: ts,
    };
    this.state.organizations.set(id, org);
    if (externalId !== null) this.orgsByExternalId.set(externalId, id);
    // Replays answer with the organization as first created (a snapshot, as idempotent APIs do).
    if (idempotencyKey) this.orgIdempotency.set(idempotencyKey, structuredClone(org));
    return org;
  }

  private makeDomain(orgId: string, domain: string, state: 'pending' | 'verified', ts: string): SandboxOrganizationDomain {
    return {
      object: 'organization_domain',
      id: newId('org_domain'),
      organization_id: orgId,
      domain,
      state,
      verification_strategy: state === 'verified' ? 'manual' : 'dns',
      created_at: ts,
      updated_at: ts,
    };
  }

  updateOrganization(id: string, raw: unknown): SandboxOrganization {
    const org = this.getOrganization(id);
    const body = asBody(raw);
    const errors: FieldError[] = [];
    if (body.name !== undefined && (typeof body.name !== 'string' || body.name.trim() === '')) {
      errors.push({ code: 'name_required', field: 'name' });
    }
    checkExternalId(body.external_id, errors);
    checkMetadata(body.metadata, errors, true);
    optionalString(body, 'stripe_customer_id', errors);
    const domains = body.domain_data === undefined ? undefined : parseDomainData(body.domain_data, errors);
    throwIfErrors(errors);

    let metadata: Record<string, string> | undefined;
    if (body.metadata !== undefined && body.metadata !== null) {
      metadata = applyMetadata(org.metadata, body.metadata as Record<string, string | null>);
      if (Object.keys(metadata).length > METADATA_MAX_KEYS) {
        throw invalidRequest([{ code: 'metadata_too_many_keys', field: 'metadata', message: `At most ${METADATA_MAX_KEYS} keys.` }]);
      }
    }
    const externalId = body.external_id as string | null | undefined;
    if (typeof externalId === 'string') {
      const holder = this.orgsByExternalId.get(externalId);
      if (holder !== undefined && holder !== id) {
        throw new ApiError(400, {
          code: 'external_id_already_used',
          message: `An organization with external ID '${externalId}' already exists.`,
        });
      }
    }
    const ts = now();
    if (typeof body.name === 'string' && body.name !== org.name) {
      org.name = body.name;
      // Memberships carry a copy of the name.
      for (const mid of this.membershipsByOrg.get(id) ?? []) this.state.memberships.get(mid)!.organization_name = org.name;
    }
    if (externalId !== undefined) {
      if (org.external_id !== null) this.orgsByExternalId.delete(org.external_id);
      org.external_id = externalId;
      if (externalId !== null) this.orgsByExternalId.set(externalId, id);
    }
    if (domains !== undefined) {
      // Keep ids of domains that stay, so updates are not churn.
      const existing = new Map(org.domains.map((d) => [d.domain, d]));
      org.domains = domains.map((d) => {
        const kept = existing.get(d.domain);
        if (kept && kept.state === d.state) return kept;
        return this.makeDomain(id, d.domain, d.state, ts);
      });
    }
    if (metadata) org.metadata = metadata;
    if (typeof body.stripe_customer_id === 'string') org.stripe_customer_id = body.stripe_customer_id;
    if (typeof body.allow_profiles_outside_organization === 'boolean') {
      org.allow_profiles_outside_organization = body.allow_profiles_outside_organization;
    }
    org.updated_at = ts;
    return org;
  }

  deleteOrganization(id: string): void {
    const org = this.getOrganization(id);
    if (this.enforceExtraLimits) {
      const t = monotonicNow();
      const wait = this.deleteOrgLog.waitMs(t);
      if (wait > 0) throw rateLimited(retryAfterSeconds(wait, DELETE_ORG_LIMIT.windowMs));
      this.deleteOrgLog.record(t);
    }
    for (const mid of [...(this.membershipsByOrg.get(id) ?? [])]) this.removeMembership(mid);
    if (org.external_id !== null) this.orgsByExternalId.delete(org.external_id);
    this.state.organizations.delete(id);
  }

  listOrganizations(query: URLSearchParams): ListResponse<SandboxOrganization> {
    let orgs = [...this.state.organizations.values()];
    // The SDK sends `domains` as a comma-joined array.
    const domains = query.getAll('domains').flatMap((d) => d.split(',')).filter(Boolean).map((d) => d.toLowerCase());
    if (domains.length > 0) orgs = orgs.filter((o) => o.domains.some((d) => domains.includes(d.domain)));
    return paginate(orgs, query);
  }

  // ------------------------------------------------------------------------------------------
  // roles

  listRoles(): { object: 'list'; data: SandboxRole[] } {
    return { object: 'list', data: this.state.roles };
  }

  listOrganizationRoles(orgId: string): { object: 'list'; data: SandboxRole[] } {
    this.getOrganization(orgId);
    // No organization-specific roles in the sandbox: an organization sees the environment's.
    return this.listRoles();
  }

  /** Turns role_slug / role_slugs into role refs, applying the environment's rules. */
  private resolveRoles(body: Body, required: boolean): SandboxRoleRef[] | undefined {
    const slug = body.role_slug;
    const slugs = body.role_slugs;
    const hasSlug = slug !== undefined && slug !== null;
    const hasSlugs = slugs !== undefined && slugs !== null;
    if (hasSlug && hasSlugs) {
      throw invalidRequest([{ code: 'role_slug_and_role_slugs_provided', message: 'Provide role_slug or role_slugs, not both.' }]);
    }
    let wanted: string[];
    if (hasSlugs) {
      if (!Array.isArray(slugs) || slugs.some((s) => typeof s !== 'string')) {
        throw invalidRequest([{ code: 'role_slugs_must_be_string_array', field: 'role_slugs' }]);
      }
      wanted = [...new Set(slugs as string[])];
      if (wanted.length > 1 && !this.multipleRoles) {
        throw new ApiError(422, {
          code: 'multiple_roles_not_enabled',
          message: 'Multiple roles are not enabled for this environment.',
        });
      }
    } else if (hasSlug) {
      if (typeof slug !== 'string') throw invalidRequest([{ code: 'role_slug_must_be_string', field: 'role_slug' }]);
      wanted = [slug];
    } else {
      if (required) throw invalidRequest([{ code: 'role_slug_required', field: 'role_slug' }]);
      return undefined;
    }
    if (wanted.length === 0) return required ? undefined : [{ slug: this.defaultRole }];
    const known = new Set(this.state.roles.map((r) => r.slug));
    const missing = wanted.filter((s) => !known.has(s));
    if (missing.length > 0) {
      throw invalidRequest(
        missing.map((s) => ({ code: 'role_not_found', field: hasSlugs ? 'role_slugs' : 'role_slug', message: `Role '${s}' not found.` })),
        `Role not found: ${missing.join(', ')}.`,
      );
    }
    return wanted.map((s) => ({ slug: s }));
  }

  // ------------------------------------------------------------------------------------------
  // memberships

  getMembership(id: string): SandboxMembership {
    const membership = this.state.memberships.get(id);
    if (!membership) throw notFound('Organization membership', id);
    return membership;
  }

  createMembership(raw: unknown): SandboxMembership {
    const body = asBody(raw);
    const errors: FieldError[] = [];
    if (typeof body.user_id !== 'string' || !body.user_id) errors.push({ code: 'user_id_required', field: 'user_id' });
    if (typeof body.organization_id !== 'string' || !body.organization_id) {
      errors.push({ code: 'organization_id_required', field: 'organization_id' });
    }
    throwIfErrors(errors);
    const user = this.getUser(body.user_id as string);
    const org = this.getOrganization(body.organization_id as string);
    const roles = this.resolveRoles(body, false) ?? [{ slug: this.defaultRole }];
    const pair = `${user.id}|${org.id}`;
    if (this.membershipByPair.has(pair)) {
      throw new ApiError(409, {
        code: 'organization_membership_already_exists',
        message: `User '${user.id}' is already a member of organization '${org.id}'.`,
      });
    }
    const ts = now();
    const membership: SandboxMembership = {
      object: 'organization_membership',
      id: newId('om'),
      user_id: user.id,
      organization_id: org.id,
      organization_name: org.name,
      status: 'active',
      role: roles[0],
      roles,
      directory_managed: false,
      custom_attributes: {},
      created_at: ts,
      updated_at: ts,
    };
    this.state.memberships.set(membership.id, membership);
    this.membershipByPair.set(pair, membership.id);
    addToIndex(this.membershipsByUser, user.id, membership.id);
    addToIndex(this.membershipsByOrg, org.id, membership.id);
    return membership;
  }

  updateMembership(id: string, raw: unknown): SandboxMembership {
    const membership = this.getMembership(id);
    const roles = this.resolveRoles(asBody(raw), true);
    if (!roles || roles.length === 0) throw invalidRequest([{ code: 'role_slug_required', field: 'role_slug' }]);
    membership.role = roles[0];
    membership.roles = roles;
    membership.updated_at = now();
    return membership;
  }

  setMembershipStatus(id: string, status: 'active' | 'inactive'): SandboxMembership {
    const membership = this.getMembership(id);
    membership.status = status;
    membership.updated_at = now();
    return membership;
  }

  deleteMembership(id: string): void {
    this.getMembership(id);
    this.removeMembership(id);
  }

  private removeMembership(id: string): void {
    const m = this.state.memberships.get(id);
    if (!m) return;
    this.state.memberships.delete(id);
    this.membershipByPair.delete(`${m.user_id}|${m.organization_id}`);
    this.membershipsByUser.get(m.user_id)?.delete(id);
    this.membershipsByOrg.get(m.organization_id)?.delete(id);
  }

  listMemberships(query: URLSearchParams): ListResponse<SandboxMembership> {
    const userId = query.get('user_id');
    const orgId = query.get('organization_id');
    if (!userId && !orgId) {
      throw invalidRequest([{ code: 'user_id_or_organization_id_required', message: 'Provide user_id or organization_id.' }]);
    }
    // Start from the smaller index, then filter by the other.
    let ids: Iterable<string>;
    if (userId) ids = this.membershipsByUser.get(userId) ?? [];
    else ids = this.membershipsByOrg.get(orgId!) ?? [];
    let list = [...ids].map((id) => this.state.memberships.get(id)!);
    if (userId && orgId) list = list.filter((m) => m.organization_id === orgId);
    const statuses = query.getAll('statuses').flatMap((s) => s.split(',')).filter(Boolean);
    if (statuses.length > 0) list = list.filter((m) => statuses.includes(m.status));
    return paginate(list, query);
  }

  // ------------------------------------------------------------------------------------------
  // password resets and auth factors

  private userByEmail(email: string): SandboxUser {
    const id = this.usersByEmail.get(email.toLowerCase());
    const user = id === undefined ? undefined : this.state.users.get(id);
    if (!user) throw notFound('User', email);
    return user;
  }

  /** Also enforces the per-email ceiling (3 per 60 s). */
  createPasswordReset(raw: unknown, passwordResetUrl?: string): SandboxPasswordReset {
    const body = asBody(raw);
    const errors: FieldError[] = [];
    checkEmail(body.email, errors);
    throwIfErrors(errors);
    const user = this.userByEmail(body.email as string);
    if (this.enforceExtraLimits) {
      const key = user.email.toLowerCase();
      let log = this.resetLogs.get(key);
      if (!log) this.resetLogs.set(key, (log = new SlidingWindowLog(RESET_LIMIT.limit, RESET_LIMIT.windowMs)));
      const t = monotonicNow();
      const wait = log.waitMs(t);
      if (wait > 0) throw rateLimited(retryAfterSeconds(wait, RESET_LIMIT.windowMs));
      log.record(t);
    }
    const token = randomToken(25);
    const created = new Date();
    const reset: SandboxPasswordReset = {
      object: 'password_reset',
      id: newId('password_reset'),
      user_id: user.id,
      email: user.email,
      password_reset_token: token,
      password_reset_url: `${passwordResetUrl ?? 'https://sandbox.workos.test/reset-password'}?token=${token}`,
      expires_at: new Date(created.getTime() + 30 * 60_000).toISOString(),
      created_at: created.toISOString(),
    };
    this.state.passwordResets.push(reset);
    return reset;
  }

  sendPasswordReset(raw: unknown): void {
    const body = asBody(raw);
    if (typeof body.password_reset_url !== 'string' || !body.password_reset_url) {
      const errors: FieldError[] = [{ code: 'password_reset_url_required', field: 'password_reset_url' }];
      checkEmail(body.email, errors);
      throw invalidRequest(errors);
    }
    this.createPasswordReset(body, body.password_reset_url);
  }

  enrollAuthFactor(userId: string, raw: unknown): { authentication_factor: SandboxAuthFactor; authentication_challenge: Record<string, unknown> } {
    const user = this.getUser(userId);
    const body = asBody(raw);
    if (body.type !== 'totp') throw invalidRequest([{ code: 'invalid_factor_type', field: 'type', message: "type must be 'totp'." }]);
    const secret = body.totp_secret;
    if (secret !== undefined && secret !== null && (typeof secret !== 'string' || !/^[A-Z2-7]+=*$/i.test(secret))) {
      throw invalidRequest([{ code: 'invalid_totp_secret', field: 'totp_secret', message: 'totp_secret must be base32.' }]);
    }
    const issuer = typeof body.totp_issuer === 'string' ? body.totp_issuer : 'WorkOS';
    const account = typeof body.totp_user === 'string' ? body.totp_user : user.email;
    const finalSecret = typeof secret === 'string' ? secret.toUpperCase() : randomToken(32).replace(/[^A-Z2-7]/g, 'A');
    const ts = now();
    const uri = `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${finalSecret}&issuer=${encodeURIComponent(issuer)}`;
    const factor: SandboxAuthFactor = {
      object: 'authentication_factor',
      id: newId('auth_factor'),
      user_id: user.id,
      type: 'totp',
      totp: { issuer, user: account, secret: finalSecret, qr_code: 'data:image/png;base64,', uri },
      created_at: ts,
      updated_at: ts,
    };
    this.state.authFactors.set(factor.id, factor);
    return {
      authentication_factor: factor,
      authentication_challenge: {
        object: 'authentication_challenge',
        id: newId('auth_challenge'),
        created_at: ts,
        updated_at: ts,
        expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
        authentication_factor_id: factor.id,
      },
    };
  }

  listAuthFactors(userId: string, query: URLSearchParams): ListResponse<Record<string, unknown>> {
    this.getUser(userId);
    // The list form omits the secret, QR code and URI.
    const factors = [...this.state.authFactors.values()]
      .filter((f) => f.user_id === userId)
      .map((f) => ({ ...f, totp: { issuer: f.totp.issuer, user: f.totp.user } }));
    return paginate(factors, query);
  }

  generatePortalLink(raw: unknown): { link: string } {
    const body = asBody(raw);
    const intents = ['sso', 'dsync', 'audit_logs', 'log_streams', 'domain_verification', 'certificate_renewal'];
    if (typeof body.intent !== 'string' || !intents.includes(body.intent)) {
      throw invalidRequest([{ code: 'invalid_intent', field: 'intent' }]);
    }
    if (typeof body.organization !== 'string') throw invalidRequest([{ code: 'organization_required', field: 'organization' }]);
    this.getOrganization(body.organization);
    return { link: `https://setup.workos.test/portal/launch?secret=${randomToken(32)}` };
  }

  // ------------------------------------------------------------------------------------------
  // invitations

  /** POST /user_management/invitations: WorkOS emails `email` an invitation (here: only recorded). */
  sendInvitation(raw: unknown): SandboxInvitation {
    const body = asBody(raw);
    const errors: FieldError[] = [];
    checkEmail(body.email, errors);
    optionalString(body, 'organization_id', errors);
    optionalString(body, 'inviter_user_id', errors);
    optionalString(body, 'role_slug', errors);
    const days = body.expires_in_days ?? INVITATION_DAYS.default;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > INVITATION_DAYS.max) {
      errors.push({ code: 'invalid_expires_in_days', field: 'expires_in_days', message: `expires_in_days must be 1 to ${INVITATION_DAYS.max}.` });
    }
    throwIfErrors(errors);
    const organizationId = (body.organization_id as string | undefined) ?? null;
    if (organizationId !== null) this.getOrganization(organizationId);
    const roleSlug = (body.role_slug as string | undefined) ?? null;
    if (roleSlug !== null) {
      if (!organizationId) throw invalidRequest([{ code: 'organization_id_required', field: 'organization_id', message: 'A role needs an organization.' }]);
      this.resolveRoles({ role_slug: roleSlug }, true);
    }
    const created = new Date();
    const token = randomToken(25);
    const invitation: SandboxInvitation = {
      object: 'invitation',
      id: newId('invitation'),
      email: body.email as string,
      state: 'pending',
      accepted_at: null,
      revoked_at: null,
      expires_at: new Date(created.getTime() + (days as number) * 86_400_000).toISOString(),
      organization_id: organizationId,
      inviter_user_id: (body.inviter_user_id as string | undefined) ?? null,
      accepted_user_id: null,
      token,
      accept_invitation_url: `https://sandbox.workos.test/invite?invitation_token=${token}`,
      created_at: created.toISOString(),
      updated_at: created.toISOString(),
      role_slug: roleSlug,
    };
    this.state.invitations.set(invitation.id, invitation);
    return invitation;
  }

  getInvitation(id: string): SandboxInvitation {
    const invitation = this.state.invitations.get(id);
    if (!invitation) throw notFound('Invitation', id);
    return invitation;
  }

  getInvitationByToken(token: string): SandboxInvitation {
    for (const invitation of this.state.invitations.values()) if (invitation.token === token) return invitation;
    throw notFound('Invitation', token);
  }

  /** GET /user_management/invitations?email=&organization_id=: email compared case-insensitively. */
  listInvitations(query: URLSearchParams): ListResponse<SandboxInvitation> {
    const email = query.get('email')?.toLowerCase();
    const orgId = query.get('organization_id');
    const list = [...this.state.invitations.values()].filter(
      (i) => (!email || i.email.toLowerCase() === email) && (!orgId || i.organization_id === orgId),
    );
    return paginate(list, query);
  }

  revokeInvitation(id: string): SandboxInvitation {
    const invitation = this.getInvitation(id);
    if (invitation.state !== 'pending') {
      throw new ApiError(400, { code: 'invitation_not_pending', message: `Invitation is ${invitation.state}.` });
    }
    invitation.state = 'revoked';
    invitation.revoked_at = invitation.updated_at = now();
    return invitation;
  }

  // ------------------------------------------------------------------------------------------
  // sign-in

  /**
   * Whether `password` signs `email` in, recomputed through the hash the user was imported with
   * (or the sandbox's own hash of a plain password): null when the sandbox cannot compute that
   * hash type synchronously (bcrypt, argon2: see `verifyPassword`) or holds no password.
   */
  checkPassword(email: string, password: string): boolean | null {
    const id = this.usersByEmail.get(email.toLowerCase());
    const credential = id === undefined ? undefined : this.state.credentials.get(id);
    if (!credential) return id === undefined ? false : null;
    if (!isPasswordHashType(credential.password_hash_type)) return null;
    return verifyPasswordHash(credential.password_hash_type, credential.password_hash, password);
  }

  /** The sign-in's own check, for every hash type: false for an unknown email or a user without a password. */
  async verifyPassword(email: string, password: string): Promise<boolean> {
    const id = this.usersByEmail.get(email.toLowerCase());
    const credential = id === undefined ? undefined : this.state.credentials.get(id);
    if (!credential || !isPasswordHashType(credential.password_hash_type)) return false;
    return (await checkPasswordHash(credential.password_hash_type, credential.password_hash, password)) === true;
  }

  /**
   * POST /user_management/authenticate with grant_type=password. unverified: the real API's code
   * for wrong credentials (here 400 invalid_credentials, the code WorkOS's SDKs name); an unknown
   * email and a user without a password answer the same, so the answer never tells which.
   */
  async authenticate(raw: unknown, apiKeys: Set<string>): Promise<Record<string, unknown>> {
    const body = asBody(raw);
    const errors: FieldError[] = [];
    if (typeof body.client_id !== 'string' || !body.client_id) errors.push({ code: 'client_id_required', field: 'client_id' });
    if (body.grant_type !== 'password') errors.push({ code: 'unsupported_grant_type', field: 'grant_type', message: 'The sandbox signs in with grant_type password only.' });
    checkEmail(body.email, errors);
    if (typeof body.password !== 'string' || !body.password) errors.push({ code: 'password_required', field: 'password' });
    throwIfErrors(errors);
    if (typeof body.client_secret !== 'string' || !apiKeys.has(body.client_secret)) {
      throw new ApiError(401, { code: 'invalid_client', message: 'Invalid client secret.' });
    }
    if (!(await this.verifyPassword(body.email as string, body.password as string))) {
      throw new ApiError(400, { code: 'invalid_credentials', message: 'Invalid credentials.' });
    }
    const user = this.userByEmail(body.email as string);
    user.last_sign_in_at = now();
    const token = (claims: Record<string, unknown>) =>
      [{ alg: 'none', typ: 'JWT' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.';
    return {
      user,
      organization_id: null,
      access_token: token({ sub: user.id, sid: newId('session'), iss: 'https://sandbox.workos.test', exp: Math.floor(Date.now() / 1000) + 300 }),
      refresh_token: randomToken(25),
      authentication_method: 'Password',
    };
  }

  // ------------------------------------------------------------------------------------------
  // seeding (tests): same rules as the API, no rate limits

  seedUser(u: SeedUser): SandboxUser {
    return structuredClone(this.createUser({ ...u }));
  }

  seedOrganization(o: { name: string; external_id?: string; domains?: string[] }): SandboxOrganization {
    const domain_data = (o.domains ?? []).map((domain) => ({ domain, state: 'verified' }));
    return structuredClone(this.createOrganization({ name: o.name, external_id: o.external_id, domain_data }));
  }

  seedMembership(m: { user_id: string; organization_id: string; role_slug?: string }): SandboxMembership {
    return structuredClone(this.createMembership({ ...m }));
  }

  /** JSON-friendly dump for GET /__sandbox/state. */
  dump(): Record<string, unknown> {
    return {
      users: [...this.state.users.values()],
      organizations: [...this.state.organizations.values()],
      memberships: [...this.state.memberships.values()],
      roles: this.state.roles,
      credentials: Object.fromEntries(this.state.credentials),
      password_resets: this.state.passwordResets,
      auth_factors: [...this.state.authFactors.values()],
      invitations: [...this.state.invitations.values()],
    };
  }

  /** Loads a `dump()` back, ids kept and indexes rebuilt (the demo keeps its WorkOS between runs). */
  restore(d: ReturnType<SandboxStore['dump']>): void {
    const list = <T>(v: unknown) => (Array.isArray(v) ? (v as T[]) : []);
    for (const u of list<SandboxUser>(d.users)) {
      this.state.users.set(u.id, u);
      this.usersByEmail.set(u.email.toLowerCase(), u.id);
      if (u.external_id !== null) this.usersByExternalId.set(u.external_id, u.id);
    }
    this.usersVersion++;
    for (const o of list<SandboxOrganization>(d.organizations)) {
      this.state.organizations.set(o.id, o);
      if (o.external_id) this.orgsByExternalId.set(o.external_id, o.id);
    }
    for (const m of list<SandboxMembership>(d.memberships)) {
      this.state.memberships.set(m.id, m);
      this.membershipByPair.set(`${m.user_id}|${m.organization_id}`, m.id);
      addToIndex(this.membershipsByUser, m.user_id, m.id);
      addToIndex(this.membershipsByOrg, m.organization_id, m.id);
    }
    for (const [id, c] of Object.entries((d.credentials as Record<string, SandboxCredential> | undefined) ?? {})) this.state.credentials.set(id, c);
    this.state.passwordResets.push(...list<SandboxPasswordReset>(d.password_resets));
    for (const f of list<SandboxAuthFactor>(d.auth_factors)) this.state.authFactors.set(f.id, f);
    for (const i of list<SandboxInvitation>(d.invitations)) this.state.invitations.set(i.id, i);
  }
}

function addToIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}
