/**
 * The normalized records every source provider yields, and the provider contract.
 * Providers know nothing of WorkOS calls or of the journal's states: they read a source and
 * hand over batches, which the export service stages in the journal in one transaction each.
 */

export const WORKOS_HASH_TYPES = ['bcrypt', 'scrypt', 'firebase-scrypt', 'pbkdf2', 'argon2', 'ssha'] as const;
export type PasswordHashType = (typeof WORKOS_HASH_TYPES)[number];

export interface SourceOrganization {
  /** The source's id; becomes WorkOS `externalId`. */
  sourceId: string;
  name: string;
  domains: { domain: string; state: 'pending' | 'verified' }[];
  metadata?: Record<string, string>;
  /** Where the record came from (e.g. `users.csv:12`), for messages. */
  origin?: string;
}

export interface SourceUser {
  /** The source's id; becomes WorkOS `externalId`. */
  sourceId: string;
  email: string;
  firstName?: string;
  lastName?: string;
  emailVerified?: boolean;
  passwordHash?: string;
  /** A WorkOS type, or the source's own name for an unsupported one (e.g. `md5`), kept to explain the fallback. */
  passwordHashType?: string;
  metadata?: Record<string, string>;
  /** Social sign-in providers this user has (google, microsoft, github, ...). */
  socialProviders?: string[];
  /** Second factors that cannot be carried over and need re-enrolment. */
  mfa?: { sms?: boolean; totp?: boolean };
  /**
   * A verified TOTP secret (base32, as an authenticator app holds it) the source could give: it is
   * enrolled as a WorkOS TOTP factor after the user is created. A secret: it lives only in the
   * journal until enrolled, never in a log, a report or a message.
   */
  totpSecret?: string;
  origin?: string;
}

export interface SourceMembership {
  userSourceId: string;
  orgSourceId: string;
  /** Source role slugs; mapped to WorkOS slugs at import time. */
  roles: string[];
  /** The member's status in the source; absent means active. Invited and pending members follow the operator's choice. */
  status?: 'active' | 'invited' | 'pending';
  /** The source's own id for this membership (a Stytch member_id), written to the id map. */
  sourceRef?: string;
  /**
   * An invitation to an email no source user has (a Better Auth invitation of someone new):
   * `userSourceId` is `invitation:<email>` and no user goes with it. Only a WorkOS invitation can
   * carry it (--invited-members invite); otherwise it is listed with the invited members.
   */
  inviteEmail?: string;
  origin?: string;
}

export interface SourceRole {
  slug: string;
  name?: string;
  description?: string;
}

/** A row or record the provider could not turn into a valid record: never silently dropped. */
export interface SourceIssue {
  /** `file:line` or the source's record id. */
  location: string;
  field?: string;
  message: string;
  /** The record it concerns, where one can be named. */
  recordKind?: 'user' | 'organization' | 'membership';
  sourceId?: string;
  /** error: the record cannot be imported as is; warning: imported with a fallback. */
  severity?: 'error' | 'warning';
}

export interface ExportBatch {
  organizations?: SourceOrganization[];
  users?: SourceUser[];
  memberships?: SourceMembership[];
  roles?: SourceRole[];
  issues?: SourceIssue[];
  /** Saved with the batch in the same transaction: an interrupted export resumes after it. */
  cursor?: string;
  /** Units of progress the batch represents (rows, pages). */
  progress?: { done: number; total?: number; unit: string };
  /**
   * The read after this batch is a request the source must not see twice (an API page, an export
   * job): it is made only once this batch is staged, so a kill never repeats one. Batches without
   * it (lines of a file, of a download) may be read ahead of staging.
   */
  stagedBeforeNextRead?: boolean;
  /**
   * Set when the batch was already checked against WorkOS's limits (by the export worker):
   * `issues` then includes the validation issues, and `invalid` names the records they rule out.
   */
  validated?: { invalid: { kind: 'user' | 'organization'; sourceId: string; reason: string; byChoice?: boolean }[] };
  /**
   * Records the operator chose to leave out (a blocked or disabled user, say): staged, then marked
   * skipped with the reason, named in `left-out.csv`, and not counted as failures. The reason says
   * which flag or answer brings them in.
   */
  leftOut?: { kind: 'user' | 'organization'; sourceId: string; reason: string }[];
  /**
   * Source columns (file columns, JSON keys) whose values are not read, each with why and what to
   * do (e.g. "not a known field; map it with --map COLUMN=FIELD or metadata.KEY"). The exporter
   * keeps their union in the journal (meta `ignored_columns`) for the plan and the summary.
   */
  ignoredColumns?: { column: string; reason: string }[];
  /** Set by the export worker: `users` and `memberships` flattened into the journal's column values. */
  rows?: { users: (string | number | null)[][]; memberships: (string | number | null)[][] };
}

export interface ExportOptions {
  /** The cursor saved with the last staged batch, when resuming. */
  cursor?: string;
  signal?: AbortSignal;
  /** Told when the source answers 429 and the export waits: the operator must never stare at a silent screen. */
  onRateLimited?: (waitMs: number) => void;
}

/** What reading the source cost: shown in the summary and in `--json`. */
export interface SourceStats {
  requests: number;
  rateLimited: number;
  /** Time spent waiting on the source's 429s. */
  waitedMs: number;
}

export interface SourceProvider {
  readonly id: string;
  readonly displayName: string;
  /** One live call (or a read of the file's head) proving the credentials or input work. */
  check(): Promise<{ summary: string }>;
  /** Yields batches in order; each is staged atomically with its cursor. */
  export(options: ExportOptions): AsyncIterable<ExportBatch>;
  /** Requests made and 429s met so far by this provider (API sources). */
  stats?(): SourceStats;
  /**
   * The source's users now, counted as the export stages them, and the newest few by creation
   * time where the source keeps one: the signup-freeze check compares them with the journal.
   * Sources that cannot count cheaply leave it out (the check then says so).
   */
  census?(options?: { newest?: number }): Promise<SourceCensus>;
}

export interface SourceCensus {
  users: number;
  newest?: { sourceId: string; email: string; createdAt?: string }[];
}

/** A credential or setting the wizard asks for; `env` pre-fills it, a secret is masked and never written. */
export interface SourceField {
  name: string;
  label: string;
  env: string;
  secret: boolean;
  optional?: boolean;
}

/**
 * Everything the shells need to know about one source, in the source's own folder: the Source
 * screen's line, the wizard's fields, the `run` flags and their help, and how a run's settings
 * become a provider. Importing a definition must stay cheap: SDKs load in `create` (see lazy.ts).
 */
export interface SourceDefinition {
  kind: string;
  name: string;
  /** One line on what the source brings. */
  brings: string;
  available: boolean;
  fields?: SourceField[];
  /** Source role slugs with an obvious WorkOS counterpart, used where the environment has that slug and not the source's. */
  defaultRoles?: Record<string, string>;
  /** The `run` flags this source adds (node:util parseArgs options); a flag may be shared by sources of one shape. */
  flags?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  /** Flags whose value is a secret: it goes into this run's environment under the variable named, never into the journal (also accepted by `resume`). */
  secretFlags?: Record<string, string>;
  /** `run --help` lines for the flags, each starting with two spaces. */
  flagHelp?: string;
  /** `--help` lines for the environment variables the source reads. */
  envHelp?: string;
  /** The source's non-secret settings from its flags (saved in the journal). */
  optionsFrom?(values: Record<string, string | boolean | string[] | undefined>, cwd: string, env: NodeJS.ProcessEnv): Record<string, unknown>;
  /**
   * Why a user without a hash has none, where the source keeps passwords it will not release
   * (Cognito): the plan and password-resets.csv say it instead of "no password in the source".
   */
  noPasswordReason?: string;
  /** A provider from a run's settings; secrets come from `env`, never from the journal. */
  create(options: Record<string, unknown>, env: NodeJS.ProcessEnv): SourceProvider;
  /**
   * Read in the export worker (parsing and mapping are as much work as staging in SQLite, so the
   * two share the cores) rather than in-process, with the worker's memory where it differs.
   */
  worker?: WorkerSettings;
}

export interface WorkerSettings {
  /** Old-generation heap (default 64 MB): more for a source that holds a side file whole. */
  heapMb?(options: Record<string, unknown>): number;
  /** Young generation (default 8 MB): more for a database driver's garbage. */
  youngMb?: number;
}
