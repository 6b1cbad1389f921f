/**
 * Versioned schema. Each entry upgrades the journal by one `user_version`; never edit a shipped
 * entry, append a new one, so journals written by older releases still open and resume.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE cursors (
    source TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    unit TEXT,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    domains TEXT,
    metadata TEXT,
    origin TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    last_error TEXT,
    workos_id TEXT,
    outcome TEXT,
    updated_at INTEGER
  );

  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    email_verified INTEGER,
    password_hash TEXT,
    password_hash_type TEXT,
    metadata TEXT,
    social TEXT,
    mfa TEXT,
    origin TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    last_error TEXT,
    workos_id TEXT,
    outcome TEXT,
    updated_at INTEGER
  );

  CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    user_source_id TEXT NOT NULL,
    org_source_id TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '[]',
    origin TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    last_error TEXT,
    workos_id TEXT,
    outcome TEXT,
    role_slugs TEXT,
    updated_at INTEGER,
    UNIQUE (user_source_id, org_source_id)
  );
  -- users(email_norm) has no index: finalizeStaging() finds duplicates with one sort, which is
  -- far cheaper than keeping an index up to date through a million inserts.

  CREATE TABLE roles (
    slug TEXT PRIMARY KEY,
    name TEXT,
    description TEXT
  ) WITHOUT ROWID;

  CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    severity TEXT NOT NULL,
    location TEXT NOT NULL,
    field TEXT,
    message TEXT NOT NULL,
    record_kind TEXT,
    source_id TEXT
  );
  `,
  `
  -- What happened to each user's password at import: set (the source's hash is in WorkOS), kept
  -- (an adopted user kept the password WorkOS had, by the operator's choice), none (the source had
  -- none), unsupported (a hash type WorkOS cannot take), rejected (WorkOS refused the hash). Every
  -- user not 'set' or 'kept' is listed in password-resets.csv.
  ALTER TABLE users ADD COLUMN password_state TEXT;
  -- A second source user with an email already taken: its source id resolves to the kept user's
  -- WorkOS user (the id map says so) and its memberships are carried by that user.
  ALTER TABLE users ADD COLUMN merged_into TEXT;
  -- The membership's status in the source (NULL = active; invited, pending) and the source's own
  -- id for it (a Stytch member_id), for the id map.
  ALTER TABLE memberships ADD COLUMN status TEXT;
  ALTER TABLE memberships ADD COLUMN source_ref TEXT;
  `,
];
