import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ExpectedError } from '../../errors.js';
import type { SourceStats } from '../../providers/types.js';
import { noPasswordReason } from '../../providers/index.js';
import { INVITATION_ONLY, LEFT_OUT, type Journal } from '../journal/journal.js';
import { WORKOS_HASH_TYPES_SQL } from '../journal/sql.js';
import type { MembershipImport, PasswordState, Phase, RecordKind, RunSettings, StateCounts } from '../journal/types.js';

export interface ReportPaths {
  dir: string;
  idMap: string;
  idMapSql: string;
  memberIdMap: string;
  failures: string;
  passwordResets: string;
  invitedMembers: string;
  leftOut: string;
  summary: string;
}

export type WrittenReports = ReportPaths & { failureCount: number; mapped: number; resetCount: number };

// ---- CSV ---------------------------------------------------------------------------------------

/** RFC 4180 quoting; the value itself is written exactly. */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// A spreadsheet runs a cell starting with one of = + - @ TAB CR as a formula (=HYPERLINK(...) from a
// source field would be live in failures.csv). A leading quote is defused too, so that undoing the
// prefix is exact: every cell that starts with a quote was given one.
const FORMULA_START = /^[=+\-@\t\r']/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A cell for a file people open in a spreadsheet: a formula-like value gets a leading `'`; numbers stay. */
export function defuseCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** The value defuseCell was given. */
export function undefuseCell(text: string): string {
  return text.startsWith("'") ? text.slice(1) : text;
}

/** `machine`: read back by SQL loads or programs, values exact. `people`: opened in spreadsheets, defused. */
export type Audience = 'machine' | 'people';

const csvLine = (fields: unknown[], audience: Audience) =>
  `${fields.map((f) => csvField(audience === 'people' ? defuseCell(f) : f)).join(',')}\n`;

export function reportDir(journal: Journal): string {
  return journal.path.replace(/\.db$/, '') + '.reports';
}

export function reportPaths(dir: string): ReportPaths {
  return {
    dir,
    idMap: path.join(dir, 'id-map.csv'),
    idMapSql: path.join(dir, 'id-map.sql'),
    memberIdMap: path.join(dir, 'member-id-map.csv'),
    failures: path.join(dir, 'failures.csv'),
    passwordResets: path.join(dir, 'password-resets.csv'),
    invitedMembers: path.join(dir, 'invited-members.csv'),
    leftOut: path.join(dir, 'left-out.csv'),
    summary: path.join(dir, 'summary.md'),
  };
}

/** Streams rows to a file in chunks, so a million-row report never sits in memory whole. */
export function writeRows(file: string, audience: Audience, header: string[], rows: Iterable<unknown[]>): number {
  const fd = fs.openSync(file, 'w', 0o600);
  let count = 0;
  try {
    let chunk = csvLine(header, audience);
    for (const row of rows) {
      chunk += csvLine(row, audience);
      count++;
      if (chunk.length > 1 << 16) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  return count;
}

// ---- what the files hold (one query per idea, shared by the files and the summary) -----------

/**
 * Records that did not make it as the source had them, for the operator. A merged duplicate is
 * among them (its own name and password were not carried; the id map has its id), an invited
 * member skipped by the operator's choice is not (invited-members.csv lists it), nor is a record
 * left out by choice (left-out.csv lists it).
 */
const NOT_IMPORTED: Record<RecordKind, string> = {
  organization: `state IN ('failed', 'skipped') AND error_code IS NOT '${LEFT_OUT}'`,
  user: `state IN ('failed', 'skipped') AND error_code IS NOT '${LEFT_OUT}'`,
  // Invited members skipped by the choice (listed in invited-members.csv) are not failures.
  membership: `state IN ('failed', 'skipped') AND COALESCE(error_code, '') NOT IN ('invited', '${INVITATION_ONLY}', '${LEFT_OUT}')`,
};

/** Records left out by the operator's choice (left-out.csv), with the choice that brings them in. */
const LEFT_OUT_SQL = `SELECT 'organization' AS kind, source_id, name AS label, last_error AS reason FROM organizations WHERE error_code = '${LEFT_OUT}'
  UNION ALL SELECT 'user', source_id, email, last_error FROM users WHERE error_code = '${LEFT_OUT}'
  UNION ALL SELECT 'membership', user_source_id || ' in ' || org_source_id, user_source_id || ' in ' || org_source_id, last_error FROM memberships WHERE error_code = '${LEFT_OUT}'`;

export const FAILURES_HEADER = ['kind', 'source_id', 'label', 'origin', 'state', 'code', 'reason'];

const FAILURE_QUERIES: { kind: RecordKind | 'issue'; sql: string }[] = [
  {
    kind: 'organization',
    sql: `SELECT source_id, name AS label, origin, state, error_code, last_error FROM organizations WHERE ${NOT_IMPORTED.organization} ORDER BY id`,
  },
  { kind: 'user', sql: `SELECT source_id, email AS label, origin, state, error_code, last_error FROM users WHERE ${NOT_IMPORTED.user} ORDER BY id` },
  {
    // A membership's id is "user<US>organization" (resetFailed splits it there).
    kind: 'membership',
    sql: `SELECT user_source_id || char(31) || org_source_id AS source_id, user_source_id || ' in ' || org_source_id AS label, origin, state, error_code, last_error
            FROM memberships WHERE ${NOT_IMPORTED.membership} ORDER BY id`,
  },
  {
    // Problems in the source that no listed record already explains: rows that never became a
    // record (unreadable, no email...), and data a record could not carry (a second email under one
    // id...). The predicates' bare columns (state) are the record's: issues has none.
    kind: 'issue',
    sql: `SELECT location, field, message, record_kind, source_id FROM issues i
           WHERE severity = 'error'
             AND NOT EXISTS (SELECT 1 FROM users u WHERE i.record_kind = 'user' AND u.source_id = i.source_id AND u.state IN ('failed', 'skipped'))
             AND NOT EXISTS (SELECT 1 FROM organizations o WHERE i.record_kind = 'organization' AND o.source_id = i.source_id AND o.state IN ('failed', 'skipped'))
           ORDER BY id`,
  },
];

/**
 * TOTP factors the source handed over that WorkOS does not hold as the source had them: failed
 * (the secret is kept for --retry-failed) or skipped (the user had a factor already, a merged
 * duplicate). Listed as kind `factor` under the user's source id; never the secret. A factor
 * whose user was left out by choice is left out with it (left-out.csv names the user).
 */
const FACTOR_NOT_IMPORTED = `totp_state IN ('failed', 'skipped') AND error_code IS NOT '${LEFT_OUT}'`;
const FACTOR_FAILURES_SQL = `SELECT source_id, email AS label, origin, totp_state AS state, totp_error_code AS error_code, totp_error AS last_error
  FROM users WHERE ${FACTOR_NOT_IMPORTED} ORDER BY id`;

function* failureRows(journal: Journal): Generator<unknown[]> {
  for (const r of journal.iterate<{ source_id: string; label: string; origin: string | null; state: string; error_code: string | null; last_error: string | null }>(
    FACTOR_FAILURES_SQL,
  )) {
    yield ['factor', r.source_id, r.label, r.origin, r.state, r.error_code, r.last_error];
  }
  for (const { kind, sql } of FAILURE_QUERIES) {
    if (kind !== 'issue') {
      for (const r of journal.iterate<{ source_id: string; label: string; origin: string | null; state: string; error_code: string | null; last_error: string | null }>(sql)) {
        yield [kind, r.source_id, r.label, r.origin, r.state, r.error_code, r.last_error];
      }
      continue;
    }
    for (const issue of journal.iterate<{ location: string; field: string | null; message: string; record_kind: string | null; source_id: string | null }>(sql)) {
      const unreadable = !issue.source_id;
      yield [unreadable ? 'row' : issue.record_kind ?? 'row', issue.source_id ?? '', '', issue.location, unreadable ? 'unreadable' : 'not_imported', issue.field ?? '', issue.message];
    }
  }
}

const failureCount = (journal: Journal) =>
  [...FAILURE_QUERIES.map((q) => q.sql), FACTOR_FAILURES_SQL].reduce((sum, sql) => sum + (journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${sql})`)?.n ?? 0), 0);

/** Users who stand for themselves in WorkOS (a merged duplicate is carried by its kept user). */
const OWN_DONE_USERS = `state = 'done' AND merged_into IS NULL`;

/**
 * What became of a user's password. Journals from before password_state was recorded: no hash means
 * none, a type WorkOS cannot take means unsupported (a refused hash failed its user then).
 */
export const PASSWORD_STATE_SQL = `COALESCE(password_state, CASE WHEN password_hash_type IS NULL THEN 'none'
  WHEN password_hash_type IN ${WORKOS_HASH_TYPES_SQL} THEN 'set' ELSE 'unsupported' END)`;

export const WITHOUT_PASSWORD_SQL = `SELECT email, source_id, workos_id, outcome, ${PASSWORD_STATE_SQL} AS pstate, password_hash_type, social
  FROM users WHERE ${OWN_DONE_USERS} AND ${PASSWORD_STATE_SQL} IN ('none', 'unsupported', 'rejected') ORDER BY id`;

/**
 * The users a password reset email goes to (`workos-migrate resets`): those of password-resets.csv
 * but the ones who sign in only with a social provider (linked by email once it is configured).
 */
export const RESET_EMAILS_SQL = `SELECT u.id, u.email, u.source_id, u.workos_id, u.reset_state, u.reset_id, u.reset_error FROM users u
  JOIN (${WITHOUT_PASSWORD_SQL}) w ON w.source_id = u.source_id WHERE NOT (w.pstate = 'none' AND w.social IS NOT NULL)`;

/** Organizations whose SSO or SCIM connection the source had: each gets an Admin Portal link (intent sso / dsync). */
export const HANDOFFS_SQL = `SELECT DISTINCT o.id, o.name AS organization, o.source_id AS sourceId, o.workos_id AS workosId, i.field AS kind
  FROM issues i JOIN organizations o ON o.source_id = i.source_id
 WHERE i.severity = 'warning' AND i.record_kind = 'organization' AND i.field IN ('sso', 'scim')`;

/** The journal's note of the Admin Portal links written (`workos-migrate handoffs`); the links themselves only in the file. */
export const PORTAL_LINKS_META = 'portal_links';

function resetReason(row: { pstate: string; password_hash_type: string | null; social: string | null; outcome: string | null }, none: string): string {
  const social = row.social ? (JSON.parse(row.social) as string[]) : [];
  // A user who was in WorkOS before may have a password there already.
  const before = row.outcome === 'adopted' ? ' (the user was already in WorkOS and may have a password there)' : '';
  if (row.pstate === 'none' && social.length) {
    return `social sign-in only (${social.join(', ')}): no reset needed once that provider is configured in WorkOS; linked by email at the first sign-in${before}`;
  }
  if (row.pstate === 'unsupported') return `unsupported hash: WorkOS cannot take ${row.password_hash_type ?? 'this'} hashes${before}`;
  if (row.pstate === 'rejected') return `rejected hash: WorkOS refused the ${row.password_hash_type ?? 'source'} hash${before}`;
  return `${none}${before}`;
}

const inviteAction = (settings: RunSettings) => settings.invitedMembers ?? 'skip';

// ---- the files ---------------------------------------------------------------------------------

/**
 * The id maps (source id -> WorkOS user id, and a source membership id -> WorkOS user and
 * organization) with an SQL template to load them, the failures file (every record that did not
 * make it, and every source row that could not be read, with the reason), the users to send a
 * password reset, the invited members and what was done with them, and a Markdown summary. Never
 * a password hash. Files for spreadsheets are formula-defused; the id maps are exact.
 */
export function writeReports(journal: Journal, dir = reportDir(journal)): WrittenReports {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new ExpectedError(`Cannot write the reports to ${dir}: ${(error as Error).message}.`, 'Choose a writable folder with --out.');
  }
  const paths = reportPaths(dir);
  const action = inviteAction(journal.settings);

  const mapped = writeRows(
    paths.idMap,
    'machine',
    ['source_id', 'email', 'workos_user_id'],
    (function* () {
      for (const r of idMapRows(journal)) yield [r.source_id, r.email, r.workos_id];
    })(),
  );

  writeRows(
    paths.memberIdMap,
    'machine',
    ['member_id', 'workos_user_id', 'workos_organization_id', 'workos_membership_id', 'workos_invitation_id', 'user_source_id', 'org_source_id'],
    (function* () {
      // A merged duplicate's membership resolves to the membership that carries it (WorkOS holds
      // one per person and organization).
      for (const r of journal.iterate<{ source_ref: string; user_id: string | null; org_id: string | null; workos_id: string; invited: number; user_source_id: string; org_source_id: string }>(
        `SELECT m.source_ref, m.user_workos_id AS user_id, m.org_workos_id AS org_id, COALESCE(km.workos_id, m.workos_id) AS workos_id,
                COALESCE(km.imported_as, m.imported_as) IS 'invitation' AS invited,
                CASE WHEN m.invite_email IS NULL THEN m.user_source_id END AS user_source_id, m.org_source_id
           FROM memberships_resolved m
           LEFT JOIN memberships km ON m.state = 'skipped' AND m.error_code = 'merged' AND km.id = m.carried_by
          WHERE m.source_ref IS NOT NULL AND (m.state = 'done' OR km.state = 'done') ORDER BY m.id`,
      )) {
        yield [r.source_ref, r.user_id, r.org_id, r.invited ? '' : r.workos_id, r.invited ? r.workos_id : '', r.user_source_id, r.org_source_id];
      }
    })(),
  );

  fs.writeFileSync(paths.idMapSql, idMapSql(), { mode: 0o600 });

  const failures = writeRows(paths.failures, 'people', FAILURES_HEADER, failureRows(journal));

  const none = noPasswordReason(journal.settings.source.kind);
  const resetCount = writeRows(
    paths.passwordResets,
    'people',
    ['email', 'source_id', 'workos_user_id', 'reason'],
    (function* () {
      for (const r of journal.iterate<{ email: string; source_id: string; workos_id: string; outcome: string | null; pstate: string; password_hash_type: string | null; social: string | null }>(
        WITHOUT_PASSWORD_SQL,
      )) {
        yield [r.email, r.source_id, r.workos_id, resetReason(r, none)];
      }
    })(),
  );

  writeRows(
    paths.invitedMembers,
    'people',
    ['email', 'user_source_id', 'org_source_id', 'member_id', 'source_status', 'result', 'workos_id', 'note'],
    (function* () {
      for (const r of journal.iterate<{ email: string; user_source_id: string; org_source_id: string; source_ref: string | null; status: string; state: string; error_code: string | null; workos_id: string | null; imported_as: MembershipImport | null; last_error: string | null }>(
        // An invitation of someone with no user in the source has no user source id to give.
        `SELECT m.user_email AS email, CASE WHEN m.invite_email IS NULL THEN m.user_source_id END AS user_source_id, m.org_source_id, m.source_ref, m.status, m.state, m.error_code, m.workos_id, m.imported_as, m.last_error
           FROM memberships_resolved m WHERE m.invited ORDER BY m.id`,
      )) {
        yield [r.email, r.user_source_id, r.org_source_id, r.source_ref, r.status, invitedResult(r, action), r.workos_id, r.last_error];
      }
    })(),
  );

  writeRows(paths.leftOut, 'people', ['kind', 'source_id', 'label', 'reason'], (function* () {
    for (const r of journal.iterate<{ kind: string; source_id: string; label: string; reason: string }>(LEFT_OUT_SQL)) yield [r.kind, r.source_id, r.label, r.reason];
  })());

  const facts = summaryFacts(journal, paths);
  fs.writeFileSync(paths.summary, summaryMarkdown(facts), { mode: 0o600 });
  return { ...paths, failureCount: failures, mapped, resetCount };
}

/**
 * The id map (id-map.csv, and write-ids into the application's database): each source user id
 * with the WorkOS user it became. A duplicate's own source id resolves to the user that kept the email.
 */
export function* idMapRows(journal: Journal): Generator<{ source_id: string; email: string; workos_id: string }> {
  yield* journal.iterate<{ source_id: string; email: string; workos_id: string }>(`SELECT source_id, email, workos_id FROM users WHERE ${OWN_DONE_USERS} ORDER BY id`);
  yield* journal.iterate<{ source_id: string; email: string; workos_id: string }>(
    `SELECT d.source_id, d.email, k.workos_id FROM users d JOIN users k ON k.source_id = d.merged_into
      WHERE k.state = 'done' AND k.workos_id IS NOT NULL ORDER BY d.id`,
  );
}

/** What became of one invited member, as its record says (not as the choice of the moment would have it). */
function invitedResult(r: { state: string; error_code: string | null; imported_as: MembershipImport | null }, action: NonNullable<RunSettings['invitedMembers']>): string {
  if (r.state === 'done') return r.imported_as === 'invitation' ? 'invitation sent' : 'active member';
  if (r.state === 'skipped' && r.error_code === 'invited') {
    return action === 'skip' ? 'not imported (your choice)' : `not imported (skipped while the choice was skip; --retry-failed imports it as ${action})`;
  }
  if (r.state === 'skipped' && r.error_code === INVITATION_ONLY) return 'not imported: no user in the source to make a member (--invited-members invite sends an invitation)';
  if (r.state === 'failed' || r.state === 'skipped') return `${r.state} (see failures.csv)`;
  return 'not imported yet';
}

function idMapSql(): string {
  return `-- workos-migrate: store each user's WorkOS id in your application's database.
--
-- id-map.csv: source_id, email, workos_user_id. One row per source user id. A duplicate-email
--   user that was merged into the user who kept the email has its own row, pointing at that
--   user's WorkOS id: two source ids may share one workos_user_id.
-- member-id-map.csv: member_id, workos_user_id, workos_organization_id, workos_membership_id,
--   workos_invitation_id, user_source_id, org_source_id. One row per source membership that has
--   an id of its own (a Stytch member_id); workos_invitation_id instead of workos_membership_id
--   for an invited member who was sent a WorkOS invitation.
-- Both files hold exact values (no spreadsheet formula escaping), so they load as they are: open
-- them in a spreadsheet only as text.
--
-- 1. Once: add the column.
--      ALTER TABLE users ADD COLUMN workos_user_id VARCHAR(64);
--
-- 2. PostgreSQL (psql):
CREATE TEMP TABLE workos_id_map (source_id TEXT PRIMARY KEY, email TEXT, workos_user_id TEXT NOT NULL);
\\copy workos_id_map FROM 'id-map.csv' WITH (FORMAT csv, HEADER true)
UPDATE users SET workos_user_id = m.workos_user_id
  FROM workos_id_map m
 WHERE users.id::text = m.source_id;   -- replace users.id with the column that held the source id
--
--    Memberships keyed by the source's member id (only if your tables use it):
-- CREATE TEMP TABLE workos_member_map (member_id TEXT PRIMARY KEY, workos_user_id TEXT, workos_organization_id TEXT,
--   workos_membership_id TEXT, workos_invitation_id TEXT, user_source_id TEXT, org_source_id TEXT);
-- \\copy workos_member_map FROM 'member-id-map.csv' WITH (FORMAT csv, HEADER true)
-- UPDATE members SET workos_user_id = m.workos_user_id, workos_organization_id = m.workos_organization_id
--   FROM workos_member_map m WHERE members.member_id = m.member_id;
--
-- 2'. MySQL / MariaDB:
--   CREATE TEMPORARY TABLE workos_id_map (source_id VARCHAR(255) PRIMARY KEY, email VARCHAR(320), workos_user_id VARCHAR(64) NOT NULL);
--   LOAD DATA LOCAL INFILE 'id-map.csv' INTO TABLE workos_id_map FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' IGNORE 1 LINES;
--   UPDATE users u JOIN workos_id_map m ON CAST(u.id AS CHAR) = m.source_id SET u.workos_user_id = m.workos_user_id;
--   (member-id-map.csv loads the same way into a table with its seven columns.)
`;
}

// ---- the failures file, read back --------------------------------------------------------------

/**
 * The records listed in a failures.csv, for `--retry-failed --failures FILE`: their kind and
 * exact source id (the spreadsheet defusing undone). Rows that never became a record are left out.
 */
export function readFailuresFile(file: string): { kind: RecordKind; sourceId: string }[] {
  const notOurs = (why: string) => new ExpectedError(`${file} is not a workos-migrate failures file (${why}).`, 'Pass the failures.csv a run wrote.');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ExpectedError(`Cannot read the failures file ${file}: ${(error as Error).message}.`, 'Pass the failures.csv a run wrote.');
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (error) {
    throw notOurs(`it is not readable CSV: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header || header.join(',') !== FAILURES_HEADER.join(',')) throw notOurs(header ? `its header is "${header.join(',')}"` : 'it is empty');
  const found: { kind: RecordKind; sourceId: string }[] = [];
  for (const [kind, sourceId] of rows) {
    if ((kind === 'organization' || kind === 'user' || kind === 'membership') && sourceId) found.push({ kind, sourceId: undefuseCell(sourceId) });
    // A user's TOTP factor: retried with its user (resetFailed re-queues the user's failed factor).
    else if (kind === 'factor' && sourceId) found.push({ kind: 'user', sourceId: undefuseCell(sourceId) });
  }
  return found;
}

// ---- the summary -------------------------------------------------------------------------------

export interface SummaryFacts {
  source: { kind: string; path?: string };
  workos: { apiUrl: string; environment: string };
  journal: string;
  phase: Phase;
  lastActivity?: string;
  strategy?: string;
  counts: StateCounts;
  /** Rows in failures.csv, and why records did not make it. */
  failures: { count: number; byCode: { kind: RecordKind | 'factor'; code: string | null; count: number }[] };
  passwords: {
    /** For users already in WorkOS: set the source's hash on them, or keep WorkOS's password. */
    adoptedPasswords: NonNullable<RunSettings['adoptedPasswords']>;
    /** Imported users by what became of their password. */
    states: Record<PasswordState, number>;
    hashTypes: { type: string; users: number }[];
    /** Rows in password-resets.csv (none, unsupported, rejected; social-only users named as such). */
    resets: number;
    socialOnly: number;
  };
  invitedMembers: {
    /** The choice now; each record says how it was imported (a choice may have changed since). */
    action: NonNullable<RunSettings['invitedMembers']>;
    total: number;
    /** Imported: made active members, or sent an invitation (madeActive + invitationsSent). */
    done: number;
    madeActive: number;
    invitationsSent: number;
    /** Skipped while the choice was `skip`. */
    skippedByChoice: number;
    failed: number;
    notYet: number;
  };
  mergedDuplicates: { count: number; examples: string[] };
  /** Records left out by the operator's choice (blocked or disabled users...): not failures; left-out.csv names each. */
  leftOut: { count: number; byKind: Record<RecordKind, number>; reasons: { reason: string; count: number }[] };
  /** Imported users a sync found gone from the source and that are still in WorkOS (deleted only with --apply-deletions). */
  goneFromSource: { count: number; examples: string[] };
  /**
   * TOTP factors the source handed over (users with a secret): enrolled in WorkOS, failed, skipped
   * (the user had one already, a merged duplicate), and not enrolled yet (their user not imported).
   */
  factors: { total: number; enrolled: number; failed: number; skipped: number; notYet: number };
  /** File source: columns not carried into WorkOS, and why. */
  ignoredColumns: { column: string; reason: string }[];
  /** API sources: requests made, and the 429s they answered with. */
  sourceRequests?: SourceStats;
  /** Organization domains WorkOS refused (the organization was imported without them). */
  refusedDomains: { count: number; list: { organization: string; sourceId: string; workosId: string | null; message: string }[] };
  /** Connections an organization's IT admin sets up again (SSO, SCIM) through an Admin Portal link. */
  handoffs: { organization: string; workosId: string | null; kind: 'sso' | 'scim' }[];
  /** Admin Portal links written to admin-portal-links.csv (`workos-migrate handoffs`), when they were. */
  portalLinks: { file: string; links: number; generatedAt: string; notImported: number } | null;
  /**
   * Password reset emails (`workos-migrate resets --send`) to the users of password-resets.csv who
   * need one (social-only users do not): sent, failed, uncertain (a stop caught the call: not sent
   * again by itself), not sent yet.
   */
  resetEmails: { users: number; sent: number; failed: number; uncertain: number; notSent: number };
  /** Imported users who had an SMS second factor: it does not exist in WorkOS, they re-enrol. */
  smsUsers: number;
  /** `workos-migrate rollback` (services/rollback.ts): started, finished, what it deleted. Null when never rolled back. */
  rollback: { state: 'in_progress' | 'done'; startedAt: string; finishedAt?: string; deleted?: { users: number; organizations: number; memberships: number; membershipsWithUsers: number; invitations: number } } | null;
  /** Every warning recorded (source reading and import). */
  warningCount: number;
  /** Other warnings, by record kind and field. */
  warnings: { recordKind: string | null; field: string | null; count: number; example: string }[];
  files: ReportPaths;
}

/**
 * The facts of summary.md as a plain object (for `--json`): the markdown is rendered from it, so
 * both say the same. Read from the journal alone.
 */
export function summaryFacts(journal: Journal, paths: ReportPaths = reportPaths(reportDir(journal))): SummaryFacts {
  const settings = journal.settings;
  const count = (sql: string, ...params: unknown[]) => journal.get<{ n: number }>(sql, ...params)?.n ?? 0;

  const byCode = journal.all<{ kind: RecordKind | 'factor'; code: string | null; count: number }>(
    `SELECT 'user' AS kind, error_code AS code, COUNT(*) AS count FROM users WHERE ${NOT_IMPORTED.user} GROUP BY error_code
     UNION ALL SELECT 'organization', error_code, COUNT(*) FROM organizations WHERE ${NOT_IMPORTED.organization} GROUP BY error_code
     UNION ALL SELECT 'membership', error_code, COUNT(*) FROM memberships WHERE ${NOT_IMPORTED.membership} GROUP BY error_code
     UNION ALL SELECT 'factor', totp_error_code, COUNT(*) FROM users WHERE ${FACTOR_NOT_IMPORTED} GROUP BY totp_error_code
     ORDER BY count DESC`,
  );
  const factorCounts = journal.factorCounts();

  const states: Record<PasswordState, number> = { set: 0, kept: 0, none: 0, unsupported: 0, rejected: 0 };
  for (const r of journal.all<{ pstate: PasswordState; n: number }>(
    `SELECT ${PASSWORD_STATE_SQL} AS pstate, COUNT(*) AS n FROM users WHERE ${OWN_DONE_USERS} GROUP BY pstate`,
  )) {
    if (Object.hasOwn(states, r.pstate)) states[r.pstate] = r.n;
  }

  const invited = journal.invitedCounts();
  const leftOutByKind: Record<RecordKind, number> = { organization: 0, user: 0, membership: 0 };
  for (const r of journal.all<{ kind: RecordKind; n: number }>(`SELECT kind, COUNT(*) AS n FROM (${LEFT_OUT_SQL}) GROUP BY kind`)) leftOutByKind[r.kind] = r.n;

  const domainsWhere = `i.severity = 'warning' AND i.record_kind = 'organization' AND i.field = 'domains'`;

  return {
    source: { kind: settings.source.kind, ...(settings.source.options.path ? { path: String(settings.source.options.path) } : {}) },
    workos: { apiUrl: settings.workos.apiUrl ?? 'https://api.workos.com', environment: settings.workos.environment ?? 'unknown' },
    journal: journal.path,
    phase: journal.phase,
    lastActivity: journal.lastActivity,
    strategy: journal.getMeta<string>('strategy'),
    counts: journal.counts(),
    failures: { count: failureCount(journal), byCode },
    passwords: {
      adoptedPasswords: settings.adoptedPasswords ?? 'source',
      states,
      hashTypes: journal.all(
        `SELECT password_hash_type AS type, COUNT(*) AS users FROM users WHERE password_hash_type IS NOT NULL GROUP BY password_hash_type ORDER BY users DESC`,
      ),
      resets: count(`SELECT COUNT(*) AS n FROM (${WITHOUT_PASSWORD_SQL})`),
      socialOnly: count(`SELECT COUNT(*) AS n FROM (${WITHOUT_PASSWORD_SQL}) WHERE pstate = 'none' AND social IS NOT NULL`),
    },
    invitedMembers: {
      action: inviteAction(settings),
      total: invited.total,
      done: invited.active + invited.invitations,
      madeActive: invited.active,
      invitationsSent: invited.invitations,
      skippedByChoice: invited.skipped,
      failed: invited.failed,
      notYet: invited.notYet,
    },
    mergedDuplicates: {
      count: count(`SELECT COUNT(*) AS n FROM users WHERE merged_into IS NOT NULL`),
      examples: journal
        .all<{ t: string }>(`SELECT email || ' (' || source_id || ' -> ' || merged_into || ')' AS t FROM users WHERE merged_into IS NOT NULL ORDER BY id LIMIT 5`)
        .map((r) => r.t),
    },
    goneFromSource: {
      count: count(`SELECT COUNT(*) AS n FROM users WHERE source_deleted IS NOT NULL AND state = 'done'`),
      examples: journal
        .all<{ t: string }>(`SELECT email || ' (' || source_id || ')' AS t FROM users WHERE source_deleted IS NOT NULL AND state = 'done' ORDER BY id LIMIT 5`)
        .map((r) => r.t),
    },
    leftOut: {
      count: leftOutByKind.organization + leftOutByKind.user + leftOutByKind.membership,
      byKind: leftOutByKind,
      // The memberships' reasons only repeat their user's or organization's.
      reasons: journal.all<{ reason: string; count: number }>(
        `SELECT last_error AS reason, COUNT(*) AS count FROM (SELECT last_error FROM users WHERE error_code = '${LEFT_OUT}' UNION ALL SELECT last_error FROM organizations WHERE error_code = '${LEFT_OUT}')
          GROUP BY last_error ORDER BY count DESC LIMIT 5`,
      ),
    },
    factors: {
      total: factorCounts.total,
      enrolled: factorCounts.done,
      failed: factorCounts.failed,
      skipped: factorCounts.skipped,
      notYet: factorCounts.pending + factorCounts.in_flight,
    },
    ignoredColumns: journal.getMeta<{ column: string; reason: string }[]>('ignored_columns') ?? [],
    sourceRequests: journal.getMeta<SourceStats>('source_stats'),
    refusedDomains: {
      count: count(`SELECT COUNT(*) AS n FROM issues i WHERE ${domainsWhere}`),
      list: journal.all(
        `SELECT COALESCE(o.name, i.source_id) AS organization, i.source_id AS sourceId, o.workos_id AS workosId, i.message
           FROM issues i LEFT JOIN organizations o ON o.source_id = i.source_id WHERE ${domainsWhere} ORDER BY i.id LIMIT 100`,
      ),
    },
    handoffs: journal.all(`SELECT organization, workosId, kind FROM (${HANDOFFS_SQL}) ORDER BY organization LIMIT 500`),
    portalLinks: journal.getMeta<SummaryFacts['portalLinks']>(PORTAL_LINKS_META) ?? null,
    resetEmails: journal.get<SummaryFacts['resetEmails']>(
      `SELECT COUNT(*) AS users, COALESCE(SUM(reset_state = 'done'), 0) AS sent, COALESCE(SUM(reset_state = 'failed'), 0) AS failed,
              COALESCE(SUM(reset_state = 'in_flight'), 0) AS uncertain, COALESCE(SUM(reset_state IS NULL), 0) AS notSent FROM (${RESET_EMAILS_SQL})`,
    )!,
    smsUsers: count(`SELECT COUNT(*) AS n FROM users WHERE state = 'done' AND merged_into IS NULL AND json_extract(mfa, '$.sms') = 1`),
    rollback: journal.getMeta<SummaryFacts['rollback']>('rollback') ?? null,
    warningCount: count(`SELECT COUNT(*) AS n FROM issues WHERE severity = 'warning'`),
    warnings: journal.all(
      `SELECT record_kind AS recordKind, field, COUNT(*) AS count, MIN(message) AS example FROM issues
        WHERE severity = 'warning' AND NOT (COALESCE(record_kind, '') = 'organization' AND COALESCE(field, '') IN ('sso', 'scim', 'domains'))
        GROUP BY record_kind, field ORDER BY count DESC`,
    ),
    files: paths,
  };
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

export function summaryMarkdown(f: SummaryFacts): string {
  const rows = (['organization', 'user', 'membership'] as const).map((kind) => {
    const c = f.counts[kind];
    return `| ${kind}s | ${c.total} | ${c.done - c.adopted} | ${c.adopted} | ${c.failed} | ${c.skipped} | ${c.pending + c.in_flight} |`;
  });
  const lines = [
    '# workos-migrate summary',
    '',
    `- Source: ${f.source.kind}${f.source.path ? ` (${f.source.path})` : ''}`,
    `- WorkOS: ${f.workos.apiUrl} (${f.workos.environment} environment)`,
    `- Journal: ${f.journal}`,
    `- Phase: ${f.phase}; last activity ${f.lastActivity ?? 'unknown'}`,
    ...(f.strategy ? [`- Strategy: ${f.strategy}`] : []),
    ...(f.rollback
      ? [
          f.rollback.state === 'done'
            ? `- **Rolled back** ${f.rollback.finishedAt}: the users, organizations and memberships this migration created were deleted from WorkOS${f.rollback.deleted ? ` (${f.rollback.deleted.users} users, ${f.rollback.deleted.organizations} organizations, ${f.rollback.deleted.memberships + f.rollback.deleted.membershipsWithUsers} memberships)` : ''}; the counts below are the import's`
            : `- **Rollback started** ${f.rollback.startedAt} and not finished: \`workos-migrate rollback --journal ${f.journal} --yes\` goes on`,
        ]
      : []),
    ...(f.sourceRequests
      ? [
          `- Source API: ${plural(f.sourceRequests.requests, 'request')}, ${plural(f.sourceRequests.rateLimited, 'rate-limited answer')} (429)` +
            (f.sourceRequests.waitedMs ? `, ${Math.round(f.sourceRequests.waitedMs / 1000)} s waited` : ''),
        ]
      : []),
    '',
    '| records | staged | created | adopted | failed | skipped | not yet imported |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
  if (f.mergedDuplicates.count) {
    lines.push(
      `${plural(f.mergedDuplicates.count, 'duplicate-email user')} merged into the user who kept the email: their source ids map to that user in id-map.csv and their memberships are that user's; their own names and passwords were not carried (listed in failures.csv). E.g. ${f.mergedDuplicates.examples.join('; ')}.`,
      '',
    );
  }

  const gone = f.goneFromSource;
  if (gone.count) {
    lines.push(
      '## Gone from the source',
      '',
      `- ${plural(gone.count, 'imported user')} no longer in the source (found by sync) and still in WorkOS, e.g. ${gone.examples.join('; ')}. \`workos-migrate sync --apply-deletions --journal ${f.journal}\` deletes the ones this migration created.`,
      '',
    );
  }

  const lo = f.leftOut;
  if (lo.count) {
    const parts = (['user', 'organization', 'membership'] as const).filter((k) => lo.byKind[k]).map((k) => plural(lo.byKind[k], k));
    lines.push(
      '## Left out by your choice',
      '',
      `- ${parts.join(', ')} not imported because you chose so; not failures. Each one: ${f.files.leftOut}`,
      ...lo.reasons.map((r) => `- ${plural(r.count, 'record')}: ${r.reason}`),
      '',
    );
  }

  const p = f.passwords;
  const imported = Object.values(p.states).reduce((a, b) => a + b, 0);
  if (imported || p.hashTypes.length) {
    lines.push('## Passwords', '');
    lines.push(
      `- Imported users: ${p.states.set} with the source's password, ${p.states.kept} kept the password WorkOS already had, ${p.states.none} without one in the source, ${p.states.unsupported} with a hash WorkOS cannot take, ${p.states.rejected} whose hash WorkOS refused`,
    );
    lines.push(
      `- Users already in WorkOS: ${p.adoptedPasswords === 'keep' ? "kept their WorkOS password (your choice)" : "given the source's password (the default)"}`,
    );
    if (p.hashTypes.length) lines.push(`- Hash types in the source: ${p.hashTypes.map((h) => `${h.type} ${h.users}`).join(', ')}`);
    if (p.resets) {
      lines.push(
        `- ${plural(p.resets, 'user')} to send a password reset${p.socialOnly ? ` (${p.socialOnly} of them sign in only with a social provider)` : ''}: ${f.files.passwordResets}`,
      );
    }
    lines.push('');
  }

  const inv = f.invitedMembers;
  if (inv.total) {
    const did = { skip: 'not imported', active: 'made active members', invite: 'sent a WorkOS invitation' }[inv.action];
    lines.push(
      '## Invited and pending members',
      '',
      `- ${plural(inv.total, 'member')} invited or pending in the source; your choice: ${inv.action} (${did})`,
      `- ${inv.madeActive} made active, ${inv.invitationsSent} sent a WorkOS invitation, ${inv.skippedByChoice} not imported while the choice was skip, ${inv.failed} failed, ${inv.notYet} not imported yet`,
      ...(inv.skippedByChoice && inv.action !== 'skip'
        ? [`- The ${plural(inv.skippedByChoice, 'member')} skipped before your choice became ${inv.action}: \`workos-migrate run --retry-failed --journal ${f.journal}\` imports them`]
        : []),
      `- Each one and what was done: ${f.files.invitedMembers}`,
      '',
    );
  }

  const fa = f.factors;
  if (fa.total) {
    lines.push(
      '## TOTP factors',
      '',
      `- ${plural(fa.total, 'user')} with a TOTP secret in the source: ${fa.enrolled} enrolled in WorkOS (their authenticator app keeps working), ${fa.failed} failed, ${fa.skipped} skipped, ${fa.notYet} not enrolled yet`,
      ...(fa.failed || fa.skipped ? [`- Each factor failed or skipped, with the reason: ${f.files.failures} (kind \`factor\`); those users re-enroll TOTP in WorkOS`] : []),
      ...(fa.notYet ? [`- Not enrolled yet: their user is not imported yet, or the import stopped (\`workos-migrate resume\`)`] : []),
      '- The secrets were removed from the journal as each factor was enrolled; failed ones keep theirs for `--retry-failed`.',
      '',
    );
  }

  if (f.ignoredColumns.length) {
    lines.push('## Columns not imported', '', ...f.ignoredColumns.map((c) => `- \`${c.column}\`: ${c.reason}`), '');
  }

  if (f.refusedDomains.count) {
    lines.push(
      '## Organization domains WorkOS refused',
      '',
      'The organizations were imported without them; add them in the WorkOS dashboard once resolved.',
      '',
      ...f.refusedDomains.list.map((d) => `- ${d.organization} [${d.sourceId}]${d.workosId ? ` (${d.workosId})` : ''}: ${d.message}`),
      ...(f.refusedDomains.count > f.refusedDomains.list.length ? [`- ... and ${f.refusedDomains.count - f.refusedDomains.list.length} more (\`workos-migrate status\`)`] : []),
      '',
    );
  }

  if (f.handoffs.length || f.warnings.length) {
    lines.push('## What to do by hand', '');
    for (const h of f.handoffs) {
      const intent = h.kind === 'sso' ? 'sso' : 'dsync';
      lines.push(
        `- ${h.organization}: ${h.kind === 'sso' ? 'SSO' : 'Directory Sync (SCIM)'} must be set up again by its IT admin: send an Admin Portal link (portal.generateLink({ organization: '${h.workosId ?? '<not imported yet>'}', intent: '${intent}' }))`,
      );
    }
    if (f.portalLinks) lines.push(`- Admin Portal links for those organizations (${f.portalLinks.links}, made ${f.portalLinks.generatedAt}; they expire soon, \`workos-migrate handoffs\` makes fresh ones): ${f.portalLinks.file}`);
    for (const w of f.warnings) lines.push(`- ${w.count} ${w.recordKind ?? 'record'} warning${w.count === 1 ? '' : 's'} on ${w.field ?? 'the record'}, e.g.: ${w.example}`);
    lines.push('');
  }
  if (f.failures.byCode.length) {
    lines.push('## Why records did not make it', '', ...f.failures.byCode.map((c) => `- ${c.kind} \`${c.code ?? 'unknown'}\`: ${c.count}`), '');
  }
  lines.push(
    '## Files',
    '',
    `- Id map: ${f.files.idMap} (load it with ${f.files.idMapSql})`,
    `- Source membership ids: ${f.files.memberIdMap}`,
    `- Failures (${f.failures.count}): ${f.files.failures}`,
    `- Password resets (${p.resets}): ${f.files.passwordResets}`,
    ...(inv.total ? [`- Invited members (${inv.total}): ${f.files.invitedMembers}`] : []),
    ...(lo.count ? [`- Left out by your choice (${lo.count}): ${f.files.leftOut}`] : []),
    f.warningCount ? `- ${plural(f.warningCount, 'warning')} recorded (see \`workos-migrate status\`)` : '',
    '',
    '## Next steps',
    '',
    f.failures.count
      ? `- Failures WorkOS or the network caused (codes \`transient\`, \`conflict\`, \`blocked\`): \`workos-migrate run --retry-failed --journal ${f.journal}\`. ` +
        'Records wrong in the source (invalid, duplicate, rejected hash): fix the source, then run the migration again with a new journal: ' +
        'what already exists in WorkOS is adopted, not created twice.'
      : '- Nothing failed.',
    '- Store each user\'s WorkOS id in your database (id-map.sql).',
    ...(f.resetEmails.sent || f.resetEmails.failed || f.resetEmails.uncertain
      ? [
          `- Password reset emails: ${f.resetEmails.sent} sent, ${f.resetEmails.failed} failed, ${f.resetEmails.uncertain} uncertain (a stop caught the call), ${f.resetEmails.notSent} not sent yet (\`workos-migrate resets --journal ${f.journal} --send\`).`,
        ]
      : f.resetEmails.users
        ? [`- Send the ${plural(f.resetEmails.users, 'user')} in password-resets.csv who need one a password reset email: \`workos-migrate resets --journal ${f.journal} --send\` (or let them use Magic Auth / their social provider).`]
        : []),
    ...(f.smsUsers ? [`- ${plural(f.smsUsers, 'user')} used SMS as a second factor, which WorkOS does not have: ask them to enrol an authenticator app (TOTP), Magic Auth or a passkey.`] : []),
    '- Configure the social sign-in providers your users used, re-enable signups, and test a sign-in.',
    '',
  );
  return lines.filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n');
}
