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
  `
  -- How a done membership went into WorkOS: 'membership' (an organization membership, created or
  -- adopted) or 'invitation' (a WorkOS invitation was sent). Verification and the reports read
  -- this, never the invited-members setting of the moment, which may have changed since.
  ALTER TABLE memberships ADD COLUMN imported_as TEXT;
  -- A membership skipped as 'merged' (a duplicate-email user's): the membership that carries it.
  ALTER TABLE memberships ADD COLUMN carried_by INTEGER;
  -- Journals written before: an id tells (WorkOS invitations are invitation_..., memberships
  -- om_...), else the setting they were imported under.
  UPDATE memberships SET imported_as = CASE
      WHEN workos_id LIKE 'invitation!_%' ESCAPE '!' THEN 'invitation'
      WHEN workos_id LIKE 'om!_%' ESCAPE '!' THEN 'membership'
      WHEN status IS NOT NULL AND (SELECT json_extract(value, '$.invitedMembers') FROM meta WHERE key = 'settings') = 'invite' THEN 'invitation'
      ELSE 'membership' END
   WHERE state = 'done';
  UPDATE memberships SET carried_by = (
      SELECT k.id FROM users u JOIN memberships k ON k.user_source_id = u.merged_into AND k.org_source_id = memberships.org_source_id
       WHERE u.source_id = memberships.user_source_id)
   WHERE state = 'skipped' AND error_code = 'merged';

  -- Every membership with the WorkOS user it goes to (a merged duplicate's: its kept user's) and
  -- its organization: the one definition of that join, for the import, verify and the reports.
  -- invited: invited or pending in the source, and not merged into another membership.
  CREATE VIEW memberships_resolved AS
  SELECT m.*,
         u.merged_into AS user_merged_into,
         COALESCE(u.merged_into, m.user_source_id) AS kept_user_source_id,
         CASE WHEN u.merged_into IS NULL THEN u.workos_id ELSE k.workos_id END AS user_workos_id,
         CASE WHEN u.merged_into IS NULL THEN u.state ELSE k.state END AS user_state,
         CASE WHEN u.merged_into IS NULL THEN u.error_code ELSE k.error_code END AS user_error_code,
         CASE WHEN u.merged_into IS NULL THEN u.email ELSE k.email END AS user_email,
         o.workos_id AS org_workos_id, o.state AS org_state, o.error_code AS org_error_code,
         (m.status IS NOT NULL AND m.error_code IS NOT 'merged') AS invited
    FROM memberships m
    LEFT JOIN users u ON u.source_id = m.user_source_id
    LEFT JOIN users k ON k.source_id = u.merged_into
    LEFT JOIN organizations o ON o.source_id = m.org_source_id;
  `,
  `
  -- A TOTP second factor the source could hand over (SourceUser.totpSecret), enrolled in WorkOS
  -- after the user: totp_secret is the base32 secret (a secret: purged once enrolled or skipped,
  -- like password hashes); totp_state pending | in_flight | done | failed | skipped (NULL: the
  -- user has none); totp_factor_id the WorkOS factor; totp_error_code / totp_error why it failed
  -- or was skipped (never the secret); totp_attempts the calls made.
  ALTER TABLE users ADD COLUMN totp_secret TEXT;
  ALTER TABLE users ADD COLUMN totp_state TEXT;
  ALTER TABLE users ADD COLUMN totp_factor_id TEXT;
  ALTER TABLE users ADD COLUMN totp_error_code TEXT;
  ALTER TABLE users ADD COLUMN totp_error TEXT;
  ALTER TABLE users ADD COLUMN totp_attempts INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- workos-migrate sync: what the source changed after the import, to carry into WorkOS.
  -- sync_action update (email, names, password hash) | delete (only when the operator asks);
  -- sync_state pending | in_flight | done | failed; sync_changes the fields' names (JSON, never a
  -- value); sync_error why it failed; sync_pass the pass that found it; source_deleted the pass
  -- that found the user gone from the source (reported; deleted in WorkOS only on request);
  -- password_digest the SHA-256 of the imported hash, kept when the hash is purged, so a later pass
  -- can tell a changed password without keeping the hash.
  ALTER TABLE users ADD COLUMN sync_action TEXT;
  ALTER TABLE users ADD COLUMN sync_state TEXT;
  ALTER TABLE users ADD COLUMN sync_changes TEXT;
  ALTER TABLE users ADD COLUMN sync_error TEXT;
  ALTER TABLE users ADD COLUMN sync_pass INTEGER;
  ALTER TABLE users ADD COLUMN source_deleted INTEGER;
  ALTER TABLE users ADD COLUMN password_digest TEXT;
  `,
  `
  -- Rollback (workos-migrate rollback): what this journal created is deleted from WorkOS, one
  -- record at a time. rollback_state: NULL (not rolled back), in_flight (committed before the
  -- delete call: a stop from here means "delete again; a 404 says it is gone"), done (gone from
  -- WorkOS), kept (left on purpose, rollback_note says why), failed (rollback_note says why).
  ALTER TABLE organizations ADD COLUMN rollback_state TEXT;
  ALTER TABLE organizations ADD COLUMN rollback_note TEXT;
  ALTER TABLE users ADD COLUMN rollback_state TEXT;
  ALTER TABLE users ADD COLUMN rollback_note TEXT;
  ALTER TABLE memberships ADD COLUMN rollback_state TEXT;
  ALTER TABLE memberships ADD COLUMN rollback_note TEXT;
  -- Password reset emails (workos-migrate resets --send): reset_state NULL (not sent), in_flight
  -- (committed before the call: after a stop it is never sent again, only reported as uncertain),
  -- done, failed; reset_id the WorkOS password reset's id (never its token); reset_error why not.
  ALTER TABLE users ADD COLUMN reset_state TEXT;
  ALTER TABLE users ADD COLUMN reset_id TEXT;
  ALTER TABLE users ADD COLUMN reset_error TEXT;
  `,
  `
  -- An invitation to an email no source user has (a Better Auth invitation of someone new): its
  -- user_source_id is invitation:<email> and no user row goes with it. Sent as a WorkOS
  -- invitation when invited members are invited, else listed; never a membership (no one to be it).
  ALTER TABLE memberships ADD COLUMN invite_email TEXT;
  DROP VIEW memberships_resolved;
  CREATE VIEW memberships_resolved AS
  SELECT m.*,
         u.merged_into AS user_merged_into,
         COALESCE(u.merged_into, m.user_source_id) AS kept_user_source_id,
         CASE WHEN u.merged_into IS NULL THEN u.workos_id ELSE k.workos_id END AS user_workos_id,
         CASE WHEN u.merged_into IS NULL THEN u.state ELSE k.state END AS user_state,
         CASE WHEN u.merged_into IS NULL THEN u.error_code ELSE k.error_code END AS user_error_code,
         CASE WHEN u.merged_into IS NULL THEN COALESCE(u.email, m.invite_email) ELSE k.email END AS user_email,
         o.workos_id AS org_workos_id, o.state AS org_state, o.error_code AS org_error_code,
         (m.status IS NOT NULL AND m.error_code IS NOT 'merged') AS invited
    FROM memberships m
    LEFT JOIN users u ON u.source_id = m.user_source_id
    LEFT JOIN users k ON k.source_id = u.merged_into
    LEFT JOIN organizations o ON o.source_id = m.org_source_id;
  `,
];
