/**
 * Wire shapes (snake_case, exactly as the WorkOS API sends them) and the sandbox's public option
 * types. The stored objects ARE the wire objects, so what a test reads from `sandbox.state` is what
 * the SDK deserializes.
 */

export interface BucketLimit {
  limit: number;
  windowMs: number;
}

export interface SandboxLimits {
  writes: BucketLimit;
  reads: BucketLimit;
  general: BucketLimit;
}

export type BucketName = 'writes' | 'reads' | 'general';

export interface SandboxFaults {
  /** probability a request is answered 429 (with Retry-After) before doing anything */
  rate429?: number;
  /** probability of a 500 {message, code:'server_error'} before doing anything */
  rate500?: number;
  /** probability that a write (POST/PUT) is applied and then the socket destroyed without a response */
  lostResponse?: number;
  /** probability the socket is destroyed before the request is handled (nothing applied) */
  connectionReset?: number;
  /** uniform extra latency per request, [min, max] in ms */
  latencyMs?: [number, number];
  /** seed for the fault PRNG, so runs are reproducible */
  seed?: number;
  /** Retry-After (seconds) sent with injected 429s; default 1. (Extension: lets fast tests use e.g. 0.01.) */
  retryAfterSeconds?: number;
}

export interface SandboxOptions {
  /** default 0 = random free port */
  port?: number;
  /** accepted bearer keys; default ['sk_test_sandbox'] */
  apiKeys?: string[];
  /** default REAL_LIMITS; false disables rate limiting */
  limits?: SandboxLimits | false;
  faults?: SandboxFaults;
  /** environment role slugs; default ['admin', 'member'] ('member', else the first, is the default role) */
  roles?: string[];
  /** default false: role_slugs with more than one entry -> 422 multiple_roles_not_enabled */
  multipleRoles?: boolean;
  /**
   * How a user create answers an email or external id already taken: the real API's 400
   * `user_creation_error` with `errors[].code` (default), or 409 `user_already_exists` as WorkOS's
   * own emulator (workos/emulate) and older versions answer.
   */
  userConflict?: UserConflictStyle;
  /**
   * A refused password hash is quoted back in the answer's message (default false). unverified
   * whether WorkOS ever does; tests use it to prove no hash reaches a note, a log or a report.
   */
  echoHashes?: boolean;
}

export type UserConflictStyle = 'user_creation_error' | 'user_already_exists';

export interface SandboxStats {
  /** API requests received (admin endpoints excluded) */
  requests: number;
  /** accepted requests per bucket */
  byBucket: Record<BucketName, number>;
  /** requests answered 429 by a real limit (not by fault injection) */
  rateLimited: number;
  faultsInjected: Record<string, number>;
  /** highest number of accepted requests seen in any one window, per bucket */
  maxInAnyWindow: Record<BucketName, number>;
  /**
   * Answered API requests by method and route, ids replaced by `:id`, with their statuses:
   * `{ 'POST /organizations': { 201: 3, 400: 1 } }`. Tests count calls with it ("no create was
   * refused", "one invitation sent").
   */
  byRoute: Record<string, Record<number, number>>;
}

export interface SandboxUser {
  object: 'user';
  id: string;
  email: string;
  email_verified: boolean;
  first_name: string | null;
  last_name: string | null;
  profile_picture_url: string | null;
  last_sign_in_at: string | null;
  locale: string | null;
  external_id: string | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export interface SandboxOrganizationDomain {
  object: 'organization_domain';
  id: string;
  organization_id: string;
  domain: string;
  state: 'pending' | 'verified';
  verification_strategy: 'manual' | 'dns';
  created_at: string;
  updated_at: string;
}

export interface SandboxOrganization {
  object: 'organization';
  id: string;
  name: string;
  allow_profiles_outside_organization: boolean;
  domains: SandboxOrganizationDomain[];
  stripe_customer_id?: string;
  external_id: string | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export interface SandboxRoleRef {
  slug: string;
}

export interface SandboxMembership {
  object: 'organization_membership';
  id: string;
  user_id: string;
  organization_id: string;
  organization_name: string;
  status: 'active' | 'inactive' | 'pending';
  role: SandboxRoleRef;
  roles: SandboxRoleRef[];
  directory_managed: boolean;
  custom_attributes: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface SandboxRole {
  object: 'role';
  id: string;
  name: string;
  slug: string;
  description: string | null;
  permissions: string[];
  type: 'EnvironmentRole';
  created_at: string;
  updated_at: string;
}

export interface SandboxPasswordReset {
  object: 'password_reset';
  id: string;
  user_id: string;
  email: string;
  password_reset_token: string;
  password_reset_url: string;
  expires_at: string;
  created_at: string;
}

export interface SandboxInvitation {
  object: 'invitation';
  id: string;
  email: string;
  state: 'pending' | 'accepted' | 'expired' | 'revoked';
  accepted_at: string | null;
  revoked_at: string | null;
  expires_at: string;
  organization_id: string | null;
  inviter_user_id: string | null;
  accepted_user_id: string | null;
  token: string;
  accept_invitation_url: string;
  created_at: string;
  updated_at: string;
  /** Not on the wire object: the role the invitee gets on accepting (tests read it). */
  role_slug: string | null;
}

/** What the sandbox remembers about a user's password (never sent back over the API). */
export type SandboxCredential =
  /** Set with a plain `password`: the sandbox keeps only its own hash of it (see hashPlainPassword). */
  | { kind: 'password'; password_hash_type: 'pbkdf2'; password_hash: string }
  | { kind: 'hash'; password_hash_type: string; password_hash: string };

export interface SandboxAuthFactor {
  object: 'authentication_factor';
  id: string;
  user_id: string;
  type: 'totp';
  totp: { issuer: string; user: string; secret: string; qr_code: string; uri: string };
  created_at: string;
  updated_at: string;
}

/**
 * Direct access for tests. Maps are keyed by id and iterate in creation order. Treat as
 * read-only: the sandbox keeps private indexes (email, external id, ...) that direct writes
 * would bypass; use the seed helpers or the API to change data.
 */
export interface SandboxState {
  users: Map<string, SandboxUser>;
  organizations: Map<string, SandboxOrganization>;
  memberships: Map<string, SandboxMembership>;
  roles: SandboxRole[];
  /** user id -> the password or hash it was created/updated with */
  credentials: Map<string, SandboxCredential>;
  passwordResets: SandboxPasswordReset[];
  authFactors: Map<string, SandboxAuthFactor>;
  invitations: Map<string, SandboxInvitation>;
}
