export type RecordKind = 'organization' | 'user' | 'membership';
export type RecordState = 'pending' | 'in_flight' | 'done' | 'failed' | 'skipped';
/** How a `done` record got its WorkOS id: made by this tool, or found already there. */
export type RecordOutcome = 'created' | 'adopted';

export type Phase = 'created' | 'exporting' | 'exported' | 'importing' | 'imported' | 'verified';

export type BucketName = 'writes' | 'reads' | 'general';
export interface BucketLimit {
  limit: number;
  windowMs: number;
}

/**
 * What a run needs to resume. Never a secret: keys are named by the environment variable
 * to read them from.
 */
export interface RunSettings {
  version: 1;
  source: {
    kind: string;
    /** Provider options that are not secret (a file path, a column map, a project id). */
    options: Record<string, unknown>;
    /** Environment variables holding the source's secrets, read again on resume. */
    secretEnv?: Record<string, string>;
  };
  workos: {
    apiKeyEnv: string;
    apiUrl?: string;
    environment?: 'test' | 'production' | 'unknown';
  };
  limits?: Partial<Record<BucketName, BucketLimit>>;
  concurrency?: number;
  roleMap?: Record<string, string>;
  defaultRole?: string;
  /** Whether the environment accepts several role slugs on one membership; learned at import. */
  multipleRoles?: boolean;
  /** Update an adopted membership whose role differs from the mapped one (else only report it). */
  updateExistingRoles?: boolean;
  /**
   * A user already in WorkOS (adopted): `source` sets the source's hash on it (the default: the
   * source is the truth until cutover); `keep` leaves the password WorkOS has.
   */
  adoptedPasswords?: 'source' | 'keep';
  /**
   * Members invited (or pending) in the source: `skip` lists them and imports no membership (the
   * default); `active` makes them active members; `invite` sends each a WorkOS invitation.
   */
  invitedMembers?: 'skip' | 'active' | 'invite';
  createdAt: string;
}

export interface RecordColumns {
  id: number;
  state: RecordState;
  attempts: number;
  error_code: string | null;
  last_error: string | null;
  workos_id: string | null;
  outcome: RecordOutcome | null;
  origin: string | null;
}

export interface OrganizationRow extends RecordColumns {
  source_id: string;
  name: string;
  domains: string | null;
  metadata: string | null;
}

export interface UserRow extends RecordColumns {
  source_id: string;
  email: string;
  email_norm: string;
  first_name: string | null;
  last_name: string | null;
  email_verified: number | null;
  password_hash: string | null;
  password_hash_type: string | null;
  metadata: string | null;
  social: string | null;
  mfa: string | null;
  password_state: PasswordState | null;
  merged_into: string | null;
  totp_secret: string | null;
  totp_state: RecordState | null;
  totp_factor_id: string | null;
  totp_error_code: string | null;
  totp_error: string | null;
  totp_attempts: number;
}

/** A user's TOTP factor to enroll (users.totp_*). `totp_secret` is a secret: never logged or said. */
export interface FactorRow {
  id: number;
  source_id: string;
  email: string;
  origin: string | null;
  workos_id: string | null;
  outcome: RecordOutcome | null;
  merged_into: string | null;
  totp_secret: string | null;
  totp_state: 'pending' | 'in_flight';
  totp_attempts: number;
}

export interface FactorCounts {
  total: number;
  pending: number;
  in_flight: number;
  done: number;
  failed: number;
  skipped: number;
  /** Pending or in_flight, waiting for their user to be imported. */
  waiting: number;
}

/** What became of a user's password at import (see the journal schema). */
export type PasswordState = 'set' | 'kept' | 'none' | 'unsupported' | 'rejected';

export interface MembershipRow extends RecordColumns {
  user_source_id: string;
  org_source_id: string;
  roles: string;
  role_slugs: string | null;
  status: 'invited' | 'pending' | null;
  source_ref: string | null;
  /** An invitation to an email no source user has (no user row goes with it). */
  invite_email: string | null;
  /** How a done membership went into WorkOS (see the journal schema). */
  imported_as: MembershipImport | null;
  /** Skipped as merged: the id of the membership that carries it. */
  carried_by: number | null;
  /** Set when the membership's user is a merged duplicate: the user_* columns are then its kept user's. */
  user_merged_into: string | null;
  /** The source user whose WorkOS user holds the membership: its own, or for a merged duplicate the kept user. */
  kept_user_source_id: string;
  /** Invited or pending in the source, and not merged into another membership (1 or 0). */
  invited: number;
  user_workos_id: string | null;
  user_state: RecordState | null;
  user_error_code: string | null;
  user_email: string | null;
  org_workos_id: string | null;
  org_state: RecordState | null;
  org_error_code: string | null;
}

/** A done membership: an organization membership (created or adopted), or a WorkOS invitation sent. */
export type MembershipImport = 'membership' | 'invitation';

export type StateCounts = Record<
  RecordKind,
  Record<RecordState, number> & { adopted: number; total: number }
>;
