/**
 * The steps every front end shares (headless runner, wizard): where journals live, how a run's
 * settings become a provider and a target again, what the plan says, and how roles map.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../errors.js';
import { createProvider, DEFAULT_ROLE_MAPS, noPasswordReason, sourceDefinition } from '../providers/index.js';
import type { SourceProvider } from '../providers/types.js';
import { providerInWorker } from './export/source-worker.js';
import { Journal, JOURNAL_DIR, LEFT_OUT } from './journal/journal.js';
import { USERS_TO_IMPORT_SQL, WORKOS_HASH_TYPES_SQL } from './journal/sql.js';
import type { BucketLimit, BucketName, Phase, RunSettings, StateCounts } from './journal/types.js';
import { WorkOSTarget, type TargetOptions } from './workos/target.js';

export function defaultJournalPath(cwd: string, sourceKind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join(cwd, JOURNAL_DIR, `${stamp}-${sourceKind}.db`);
}

export interface JournalListing {
  path: string;
  source: string;
  phase: Phase;
  lastActivity?: string;
  counts: StateCounts;
}

/** The journals in the working directory's folder, newest activity first. */
export function findJournals(cwd: string): JournalListing[] {
  const dir = path.join(cwd, JOURNAL_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.db'));
  } catch {
    return [];
  }
  const listings: JournalListing[] = [];
  for (const name of names) {
    let journal: Journal | undefined;
    try {
      journal = Journal.open(path.join(dir, name));
      listings.push({
        path: journal.path,
        source: journal.settings.source.kind,
        phase: journal.phase,
        lastActivity: journal.lastActivity,
        counts: journal.counts(),
      });
    } catch {
      // Not a journal of ours (or a newer one): not offered for resuming.
    } finally {
      journal?.close();
    }
  }
  return listings.sort((a, b) => (b.lastActivity ?? '').localeCompare(a.lastActivity ?? ''));
}

/** `resume` without --journal: the one unfinished migration, or a clear question. */
export function resolveJournalToResume(cwd: string, given?: string): string {
  if (given) return path.resolve(cwd, given);
  const listings = findJournals(cwd);
  const unfinished = listings.filter((l) => l.phase !== 'imported' && l.phase !== 'verified');
  if (unfinished.length === 1) return unfinished[0].path;
  if (unfinished.length === 0) {
    if (listings.length) {
      throw new ExpectedError(
        `Every migration in ${path.join(cwd, JOURNAL_DIR)} has finished (latest: ${listings[0].path}).`,
        'Pass --journal PATH to reopen one, e.g. with `run --retry-failed`.',
      );
    }
    throw new ExpectedError(`No migration to resume in ${path.join(cwd, JOURNAL_DIR)}.`, 'Start one with `workos-migrate run`, or pass --journal PATH.');
  }
  throw new ExpectedError(
    `${unfinished.length} unfinished migrations in ${path.join(cwd, JOURNAL_DIR)}: ${unfinished.map((l) => path.basename(l.path)).join(', ')}.`,
    'Choose one with --journal PATH.',
  );
}

/** status, report and verify read finished journals too: the unfinished one, else the newest. */
export function newestJournal(cwd: string): string {
  try {
    return resolveJournalToResume(cwd);
  } catch (error) {
    const newest = findJournals(cwd)[0];
    if (!newest) throw error;
    return newest.path;
  }
}

/** The WorkOS key named by the run's settings, read from the environment (never from the journal). */
export function apiKeyFrom(env: NodeJS.ProcessEnv, keyEnv = 'WORKOS_API_KEY'): string {
  const key = env[keyEnv]?.trim();
  if (!key) {
    throw new ExpectedError(`${keyEnv} is not set.`, `Export it (export ${keyEnv}=sk_...) or put it in a .env file in this directory.`);
  }
  return key;
}

export function targetFor(
  settings: RunSettings,
  env: NodeJS.ProcessEnv,
  extra: Pick<TargetOptions, 'onRateLimited' | 'timeoutMs'> = {},
): WorkOSTarget {
  return new WorkOSTarget({
    apiKey: apiKeyFrom(env, settings.workos.apiKeyEnv),
    apiUrl: settings.workos.apiUrl,
    limits: settings.limits,
    ...extra,
  });
}

/**
 * The provider a run reads through: in the export worker for the sources whose definition says so
 * (files, databases, Auth0's bulk export), in-process for API sources paced by their limits.
 */
export function providerFor(settings: RunSettings, env: NodeJS.ProcessEnv): SourceProvider {
  const { kind, options } = settings.source;
  const worker = sourceDefinition(kind).worker;
  if (worker) return providerInWorker(kind, options, env, { heapMb: worker.heapMb?.(options), youngMb: worker.youngMb });
  return createProvider(kind, options, env);
}

/** `--rate writes=500/10s` style overrides, for environments with raised limits (and tests). */
export function parseRateOverride(text: string): [BucketName, BucketLimit] {
  const match = /^(writes|reads|general)=(\d+)\/(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!match) {
    throw new ExpectedError(`--rate ${text} is not understood.`, 'Write it as BUCKET=LIMIT/WINDOW, e.g. --rate writes=500/10s (buckets: writes, reads, general; windows in ms, s or m).');
  }
  const unit = { ms: 1, s: 1000, m: 60_000 }[match[4] as 'ms' | 's' | 'm'];
  return [match[1] as BucketName, { limit: Number(match[2]), windowMs: Number(match[3]) * unit }];
}

export interface RoleResolution {
  roleMap: Record<string, string>;
  /** Source roles with no WorkOS role and no default to fall back on. */
  unmapped: string[];
  /** Explicit mappings naming a slug the environment does not have. */
  unknownTargets: { source: string; slug: string }[];
  usage: { slug: string; members: number }[];
}

/**
 * Every source role found in the journal gets a WorkOS slug: the operator's mapping first, then
 * the same slug when the environment has it, then the default. Unknown slugs are refused.
 */
export function resolveRoles(
  journal: Journal,
  environmentRoles: string[],
  explicit: Record<string, string>,
  defaultRole?: string,
): RoleResolution {
  // The source's conventional pairs (stytch_admin -> admin) apply when the environment has the slug.
  const conventional = DEFAULT_ROLE_MAPS[journal.settings.source.kind] ?? {};
  explicit = {
    // Only where the environment lacks the source's own slug: an environment with an `owner` role keeps it.
    ...Object.fromEntries(Object.entries(conventional).filter(([source, slug]) => environmentRoles.includes(slug) && !environmentRoles.includes(source))),
    ...explicit,
  };
  const known = new Set(environmentRoles);
  const usage = journal.roleUsage();
  const roleMap: Record<string, string> = {};
  const unmapped: string[] = [];
  const unknownTargets: RoleResolution['unknownTargets'] = [];
  for (const [source, slug] of Object.entries(explicit)) if (!known.has(slug)) unknownTargets.push({ source, slug });
  if (defaultRole && !known.has(defaultRole)) unknownTargets.push({ source: '(default)', slug: defaultRole });
  for (const { slug } of usage) {
    const target = Object.hasOwn(explicit, slug) ? explicit[slug] : known.has(slug) ? slug : undefined;
    if (target) roleMap[slug] = target;
    else if (!defaultRole) unmapped.push(slug);
  }
  return { roleMap, unmapped, unknownTargets, usage };
}

export interface Plan {
  counts: StateCounts;
  issues: { errors: number; warnings: number; examples: { location: string; field: string | null; message: string }[] };
  hashTypes: { type: string; users: number }[];
  withoutPassword: number;
  socialProviders: { provider: string; users: number }[];
  mfa: { sms: number; totp: number };
  /** Users whose TOTP secret the source handed over, with the factor still to enroll in WorkOS. */
  totpToEnroll: number;
  duplicates: number;
  /** Users left out by the operator's choice (blocked, disabled...): listed, not failures. */
  leftOut: number;
  /** Members only invited (or pending) in the source, and what the run will do with them. */
  /** Invited or pending in the source; withoutUser of them: invitations of emails no source user has. */
  invited: { invited: number; pending: number; withoutUser: number; choice: 'skip' | 'active' | 'invite' };
  /** A user already in WorkOS: the source's password is set on it, or its own kept. */
  adoptedPasswords: 'source' | 'keep';
  /** Columns the source had that nothing reads (file sources), with the flag that would read them. */
  ignoredColumns: { column: string; reason: string }[];
  /** Users whose hash type WorkOS cannot take: imported without a password, they reset it. */
  unsupportedHashes: number;
  /** What the operator must do by hand (SSO/SCIM handoffs, MFA re-enrolment...), by kind. */
  manual: { recordKind: string; field: string; count: number; example: string }[];
  /** A few examples behind each line of the plan. */
  examples: Record<'users' | 'organizations' | 'memberships' | 'issues' | 'duplicates' | 'hashes' | 'resets' | 'social' | 'mfa' | 'invited' | 'ignored' | 'leftOut', string[]>;
}

/** What was found and what will happen to it: the plan screen and the headless summary. */
export function planOf(journal: Journal): Plan {
  const issues = journal.get<{ errors: number; warnings: number }>(
    `SELECT SUM(severity = 'error') AS errors, SUM(severity = 'warning') AS warnings FROM issues`,
  ) ?? { errors: 0, warnings: 0 };
  return {
    counts: journal.counts(),
    issues: {
      errors: issues.errors ?? 0,
      warnings: issues.warnings ?? 0,
      examples: journal.all(`SELECT location, field, message FROM issues WHERE severity = 'error' ORDER BY id LIMIT 5`),
    },
    hashTypes: journal.all(
      `SELECT password_hash_type AS type, COUNT(*) AS users FROM users WHERE ${USERS_TO_IMPORT_SQL} AND password_hash_type IS NOT NULL GROUP BY password_hash_type ORDER BY users DESC`,
    ),
    // A user whose source names a hash type WorkOS cannot take counts once, under unsupportedHashes.
    withoutPassword:
      journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE ${USERS_TO_IMPORT_SQL} AND password_hash IS NULL AND (password_hash_type IS NULL OR password_hash_type IN ${WORKOS_HASH_TYPES_SQL})`)?.n ?? 0,
    socialProviders: journal.all(
      `SELECT value AS provider, COUNT(*) AS users FROM users, json_each(users.social) WHERE ${USERS_TO_IMPORT_SQL} AND users.social IS NOT NULL GROUP BY value ORDER BY users DESC`,
    ),
    mfa: journal.get<{ sms: number; totp: number }>(
      `SELECT COALESCE(SUM(json_extract(mfa, '$.sms') = 1), 0) AS sms, COALESCE(SUM(json_extract(mfa, '$.totp') = 1), 0) AS totp FROM users WHERE ${USERS_TO_IMPORT_SQL} AND mfa IS NOT NULL`,
    ) ?? { sms: 0, totp: 0 },
    totpToEnroll: journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE totp_state IN ('pending', 'in_flight') AND merged_into IS NULL`)?.n ?? 0,
    duplicates: journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE error_code = 'duplicate_email'`)?.n ?? 0,
    leftOut: journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE error_code = '${LEFT_OUT}'`)?.n ?? 0,
    invited: {
      ...(journal.get<{ invited: number; pending: number; withoutUser: number }>(
        `SELECT COALESCE(SUM(status = 'invited'), 0) AS invited, COALESCE(SUM(status = 'pending'), 0) AS pending,
                COALESCE(SUM(invite_email IS NOT NULL), 0) AS withoutUser FROM memberships_resolved WHERE invited`,
      ) ?? { invited: 0, pending: 0, withoutUser: 0 }),
      choice: journal.settings.invitedMembers ?? 'skip',
    },
    adoptedPasswords: journal.settings.adoptedPasswords ?? 'source',
    ignoredColumns: journal.getMeta<{ column: string; reason: string }[]>('ignored_columns') ?? [],
    unsupportedHashes:
      journal.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM users WHERE ${USERS_TO_IMPORT_SQL} AND password_hash_type IS NOT NULL AND password_hash_type NOT IN ${WORKOS_HASH_TYPES_SQL}`,
      )?.n ?? 0,
    manual: journal.all(
      `SELECT COALESCE(record_kind, 'record') AS recordKind, COALESCE(field, 'other') AS field, COUNT(*) AS count, MIN(message) AS example
         FROM issues WHERE severity = 'warning' GROUP BY record_kind, field ORDER BY count DESC`,
    ),
    examples: {
      users: texts(journal, `SELECT email || COALESCE(' (' || origin || ')', '') AS t FROM users WHERE state = 'pending' ORDER BY id LIMIT 3`),
      organizations: texts(journal, `SELECT name || ' [' || source_id || ']' AS t FROM organizations ORDER BY id LIMIT 3`),
      memberships: texts(journal, `SELECT user_source_id || ' in ' || org_source_id || ' as ' || roles AS t FROM memberships ORDER BY id LIMIT 3`),
      issues: texts(journal, `SELECT location || COALESCE(' [' || field || ']', '') || ': ' || message AS t FROM issues ORDER BY severity, id LIMIT 3`),
      duplicates: texts(journal, `SELECT email || ': ' || last_error AS t FROM users WHERE error_code = 'duplicate_email' ORDER BY id LIMIT 3`),
      leftOut: texts(journal, `SELECT email || ': ' || last_error AS t FROM users WHERE error_code = '${LEFT_OUT}' ORDER BY id LIMIT 3`),
      hashes: texts(journal, `SELECT email || ': ' || password_hash_type AS t FROM users WHERE password_hash_type IS NOT NULL ORDER BY id LIMIT 3`),
      // The users who will need a reset, not the ones whose hash moves.
      resets: texts(
        journal,
        `SELECT email || ': ' || CASE WHEN password_hash_type IS NOT NULL THEN password_hash_type || ' hashes cannot be imported into WorkOS'
                                      WHEN social IS NOT NULL THEN 'no password; signs in with ' || json_extract(social, '$[0]')
                                      ELSE ? END AS t
           FROM users WHERE state = 'pending' AND (password_hash IS NULL OR password_hash_type NOT IN ${WORKOS_HASH_TYPES_SQL})
          ORDER BY id LIMIT 3`,
        noPasswordReason(journal.settings.source.kind),
      ),
      social: texts(journal, `SELECT email || ': ' || social AS t FROM users WHERE social IS NOT NULL ORDER BY id LIMIT 3`),
      mfa: texts(
        journal,
        `SELECT email || ': ' || TRIM(CASE WHEN json_extract(mfa, '$.sms') = 1 THEN 'SMS ' ELSE '' END || CASE WHEN json_extract(mfa, '$.totp') = 1 THEN 'TOTP (authenticator app)' ELSE '' END) || ' second factor to set up again' AS t
           FROM users WHERE mfa IS NOT NULL ORDER BY id LIMIT 3`,
      ),
      invited: texts(journal, `SELECT user_source_id || ' in ' || org_source_id || ' (' || status || ')' AS t FROM memberships_resolved WHERE invited ORDER BY id LIMIT 3`),
      ignored: (journal.getMeta<{ column: string; reason: string }[]>('ignored_columns') ?? []).slice(0, 3).map((c) => `${c.column}: ${c.reason}`),
    },
  };
}

const texts = (journal: Journal, sql: string, ...params: unknown[]) => journal.all<{ t: string }>(sql, ...params).map((r) => r.t);
