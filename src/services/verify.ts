/**
 * The post-migration checklist: what can be checked against WorkOS is checked there; what only
 * the operator can know (signups re-enabled, a sign-in tested) is asked of them.
 */
import type { Journal } from './journal/journal.js';
import type { MembershipRow, UserRow } from './journal/types.js';
import { planOf } from './migration.js';
import { writeReports, type ReportPaths } from './report/report.js';
import { WorkOSCallError, type WorkOSTarget } from './workos/target.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface VerifyCheck {
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  examples?: string[];
}

export interface VerifyReport {
  checks: VerifyCheck[];
  /** Items only the operator can tick. */
  manual: { id: string; label: string }[];
  reports: ReportPaths & { failureCount: number };
}

export interface VerifyOptions {
  /** Every record is checked up to this many; above it, a random sample. */
  fullCheckUpTo?: number;
  sampleSize?: number;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (check: string, done: number, total: number) => void;
}

async function each<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !signal?.aborted) await fn(items[next++]);
    }),
  );
}

function sampleQuery(table: string, total: number, options: Required<Pick<VerifyOptions, 'fullCheckUpTo' | 'sampleSize'>>): string {
  return total > options.fullCheckUpTo ? `ORDER BY random() LIMIT ${options.sampleSize}` : `ORDER BY ${table}.id`;
}

export async function runVerification(journal: Journal, target: WorkOSTarget, options: VerifyOptions = {}): Promise<VerifyReport> {
  const limits = { fullCheckUpTo: options.fullCheckUpTo ?? 10_000, sampleSize: options.sampleSize ?? 1_000 };
  const concurrency = options.concurrency ?? 16;
  const signal = options.signal;
  const checks: VerifyCheck[] = [];

  try {
    await target.checkKey({ signal });
    checks.push({ id: 'key', label: 'The API key still works', status: 'pass', detail: `${target.apiUrl} (${target.environment} environment)` });
  } catch (error) {
    checks.push({ id: 'key', label: 'The API key still works', status: 'fail', detail: (error as Error).message });
    return { checks, manual: [], reports: writeReports(journal) };
  }

  const counts = journal.counts();
  const users = journal.all<UserRow>(`SELECT * FROM users WHERE state = 'done' ${sampleQuery('users', counts.user.done, limits)}`);
  const userProblems: string[] = [];
  let checkedUsers = 0;
  await each(
    users,
    concurrency,
    async (row) => {
      const found = await target.getUser(row.workos_id!, { signal });
      if (!found) userProblems.push(`${row.email}: no user ${row.workos_id} in WorkOS`);
      else if (found.email.toLowerCase() !== row.email_norm) userProblems.push(`${row.email}: WorkOS has ${found.email}`);
      else if (row.outcome === 'created' && found.externalId !== row.source_id) userProblems.push(`${row.email}: external id is ${found.externalId ?? 'empty'}, expected ${row.source_id}`);
      options.onProgress?.('users', ++checkedUsers, users.length);
    },
    signal,
  );
  const sampledUsers = counts.user.done > limits.fullCheckUpTo;
  checks.push({
    id: 'users',
    label: 'Imported users exist with the right email and external id',
    status: userProblems.length ? 'fail' : 'pass',
    detail: `${checkedUsers - userProblems.length} of ${checkedUsers} ${sampledUsers ? `sampled (of ${counts.user.done})` : 'checked'} match`,
    examples: userProblems.slice(0, 5),
  });

  const memberships = journal.all<MembershipRow>(
    `SELECT m.*, u.workos_id AS user_workos_id, o.workos_id AS org_workos_id FROM memberships m
       JOIN users u ON u.source_id = m.user_source_id JOIN organizations o ON o.source_id = m.org_source_id
      WHERE m.state = 'done' ${sampleQuery('m', counts.membership.done, limits)}`,
  );
  const membershipProblems: string[] = [];
  let checkedMemberships = 0;
  await each(
    memberships,
    concurrency,
    async (row) => {
      const found = await target.findMembership(row.user_workos_id!, row.org_workos_id!, { signal });
      const wanted = row.role_slugs ? (JSON.parse(row.role_slugs) as string[]) : [];
      if (!found) membershipProblems.push(`${row.user_source_id} in ${row.org_source_id}: missing`);
      else if (wanted.length && !wanted.every((slug) => found.roleSlugs.includes(slug))) {
        membershipProblems.push(`${row.user_source_id} in ${row.org_source_id}: role ${found.roleSlugs.join(', ')}, expected ${wanted.join(', ')}`);
      }
      options.onProgress?.('memberships', ++checkedMemberships, memberships.length);
    },
    signal,
  );
  checks.push({
    id: 'memberships',
    label: 'Memberships exist with the mapped role',
    status: membershipProblems.length ? 'fail' : 'pass',
    detail: `${checkedMemberships - membershipProblems.length} of ${checkedMemberships} ${counts.membership.done > limits.fullCheckUpTo ? `sampled (of ${counts.membership.done})` : 'checked'} match`,
    examples: membershipProblems.slice(0, 5),
  });

  // Source, journal and WorkOS side by side (WorkOS may hold users from before: more is fine).
  let workosUsers: number | undefined;
  if (counts.user.done <= 50_000) {
    try {
      workosUsers = await target.countUsers({ signal });
    } catch (error) {
      if (!(error instanceof WorkOSCallError)) throw error;
    }
  }
  checks.push({
    id: 'counts',
    label: 'Counts: source, journal, WorkOS',
    status: workosUsers !== undefined && workosUsers < counts.user.done ? 'fail' : 'info',
    detail: `users ${counts.user.total} staged, ${counts.user.done} done, ${workosUsers ?? 'not counted'} in WorkOS; organizations ${counts.organization.total} staged, ${counts.organization.done} done; memberships ${counts.membership.total} staged, ${counts.membership.done} done`,
  });

  const reports = writeReports(journal);
  checks.push({
    id: 'failures',
    label: 'Records that did not make it',
    status: reports.failureCount ? 'warn' : 'pass',
    detail: reports.failureCount ? `${reports.failureCount} in ${reports.failures}: fix them and retry with \`workos-migrate run --retry-failed --journal ${journal.path}\`` : 'none',
  });

  const plan = planOf(journal);
  if (plan.socialProviders.length) {
    checks.push({
      id: 'social',
      label: 'Social sign-in providers to configure in WorkOS',
      status: 'warn',
      detail: plan.socialProviders.map((p) => `${p.provider}: ${p.users} users`).join(', '),
    });
  }
  if (plan.mfa.sms || plan.mfa.totp) {
    checks.push({
      id: 'mfa',
      label: 'Users who must re-enroll a second factor',
      status: 'warn',
      detail: `${plan.mfa.sms} with SMS (not in WorkOS), ${plan.mfa.totp} with TOTP (secrets cannot be exported)`,
    });
  }
  checks.push({ id: 'id-map', label: "Each user's WorkOS id, for your database", status: 'info', detail: `${reports.idMap} (load it with ${reports.idMapSql})` });

  if (!signal?.aborted && checks.every((c) => c.status !== 'fail')) journal.setPhase('verified');
  return {
    checks,
    manual: [
      { id: 'signups', label: journal.getMeta<string>('strategy') === 'dual-write' ? 'Dual-write is in place for new signups' : 'Signups are re-enabled' },
      { id: 'sign-in', label: 'A migrated user signed in successfully' },
    ],
    reports,
  };
}
