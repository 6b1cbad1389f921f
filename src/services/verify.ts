/**
 * The post-migration checklist: what can be checked against WorkOS is checked there, against what
 * the source and the operator's mapping say (never against what WorkOS answered at import); what
 * only the operator can know (signups re-enabled, a sign-in tested) is asked of them.
 *
 * Every imported record is checked, none sampled: users, organizations and memberships by listing
 * WorkOS (100 a read, memberships per organization; verify/records.ts), invitations in their
 * organization's list, TOTP factors one read per enrolled user (verify/per-record.ts). A million
 * users are about 10,000 reads: under two minutes at the 100/s read ceiling, for users alone.
 */
import type { Journal } from './journal/journal.js';
import { planOf } from './migration.js';
import { writeReports } from './report/report.js';
import { Scratch } from './verify/listing.js';
import { factorCheck, invitedCheck, type RecordContext } from './verify/per-record.js';
import { checkMemberships, checkOrganizations, checkUsers } from './verify/records.js';
import type { VerifyCheck, VerifyOptions, VerifyReport } from './verify/types.js';
import type { WorkOSTarget } from './workos/target.js';

export type { CheckStatus, VerifyCheck, VerifyOptions, VerifyReport } from './verify/types.js';
export type { InvitationLookup } from './verify/per-record.js';

export async function runVerification(journal: Journal, target: WorkOSTarget, options: VerifyOptions = {}): Promise<VerifyReport> {
  const signal = options.signal;
  const ctx: RecordContext = {
    journal,
    signal,
    onProgress: options.onProgress,
    concurrency: options.concurrency ?? 16,
    factorsUpTo: options.fullCheckUpTo ?? 50_000,
  };
  const checks: VerifyCheck[] = [];

  try {
    await target.checkKey({ signal });
    checks.push({ id: 'key', label: 'The API key still works', status: 'pass', detail: `${target.apiUrl} (${target.environment} environment)` });
  } catch (error) {
    checks.push({ id: 'key', label: 'The API key still works', status: 'fail', detail: (error as Error).message });
    return { checks, manual: [], reports: writeReports(journal) };
  }

  const settings = journal.settings;
  let workosUsers: number | undefined;
  const scratch = new Scratch(journal);
  try {
    // Organizations first: the memberships of one found gone are not asked for.
    checks.push(await checkOrganizations(ctx, scratch, target));
    const users = await checkUsers(ctx, scratch, target);
    checks.push(users.users);
    if (users.passwords) checks.push(users.passwords);
    workosUsers = users.workosUsers;
    checks.push(await checkMemberships(ctx, scratch, target));
  } finally {
    scratch.close();
  }

  const factors = await factorCheck(ctx, target);
  if (factors) checks.push(factors);

  const invited = await invitedCheck(ctx, target, settings.invitedMembers ?? 'skip');
  if (invited) checks.push(invited);

  // Source, journal and WorkOS side by side (WorkOS may hold users from before: more is fine).
  // WorkOS's count is the users listing's, which read every user already.
  const counts = journal.counts();
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
  if (reports.resetCount) {
    checks.push({
      id: 'password-resets',
      label: 'Users imported without their password',
      status: 'warn',
      detail: `${reports.resetCount} in ${reports.passwordResets}, each with the reason: send them a password reset (social-only users sign in with their provider once it is configured)`,
    });
  }

  const plan = planOf(journal);
  if (plan.socialProviders.length) {
    checks.push({
      id: 'social',
      label: 'Social sign-in providers to configure in WorkOS',
      status: 'warn',
      detail: plan.socialProviders.map((p) => `${p.provider}: ${p.users.toLocaleString('en-US')} ${p.users === 1 ? 'user' : 'users'}`).join(', '),
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
