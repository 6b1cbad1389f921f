/**
 * The post-migration checklist: what can be checked against WorkOS is checked there, against what
 * the source and the operator's mapping say (never against what WorkOS answered at import); what
 * only the operator can know (signups re-enabled, a sign-in tested) is asked of them.
 */
import type { Journal } from './journal/journal.js';
import type { RunSettings } from './journal/types.js';
import { mappedRoleSlugs, sameRoles } from './mapping/roles.js';
import { planOf, resolveRoles } from './migration.js';
import { writeReports, type WrittenReports } from './report/report.js';
import { WorkOSCallError, type CallOptions, type WorkOSTarget } from './workos/target.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface VerifyCheck {
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  examples?: string[];
  /** Record checks: how many were looked at, out of how many imported, and what was found. */
  counts?: { checked: number; total: number; sampled: boolean; failed: number; warned: number };
}

export interface VerifyReport {
  checks: VerifyCheck[];
  /** Items only the operator can tick. */
  manual: { id: string; label: string }[];
  reports: WrittenReports;
}

export interface VerifyOptions {
  /** Every record is checked up to this many; above it, a random sample. */
  fullCheckUpTo?: number;
  sampleSize?: number;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (check: string, done: number, total: number) => void;
}

/**
 * Invitations can be checked only where the target can list them (a pending or accepted
 * invitation of an email to an organization); elsewhere the check says so.
 */
export interface InvitationLookup {
  findInvitation(email: string, organizationId: string, opts?: CallOptions): Promise<{ id: string; email: string; organizationId: string | null; state: string } | null>;
}

const canFindInvitations = (target: WorkOSTarget): target is WorkOSTarget & InvitationLookup =>
  typeof (target as Partial<InvitationLookup>).findInvitation === 'function';

type Finding = { level: 'fail' | 'warn'; text: string } | undefined;

/**
 * One kind of imported record checked against WorkOS, record by record. `rows` selects them
 * (FROM ... WHERE ..., the sampling is added here); `check` compares one with WorkOS now. A later
 * listing-based verification replaces `check`'s look-up with a map built from WorkOS's lists.
 */
interface RecordCheck<Row> {
  id: string;
  label: string;
  noun: string;
  select: string;
  from: string;
  orderBy: string;
  params?: unknown[];
  check(row: Row, opts: CallOptions): Promise<Finding>;
  describe(row: Row): string;
}

async function each<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !signal?.aborted) await fn(items[next++]);
    }),
  );
}

interface RunContext {
  journal: Journal;
  limits: { fullCheckUpTo: number; sampleSize: number };
  concurrency: number;
  signal?: AbortSignal;
  onProgress?: VerifyOptions['onProgress'];
}

async function runRecordCheck<Row>(ctx: RunContext, spec: RecordCheck<Row>): Promise<VerifyCheck> {
  const { journal, limits, signal } = ctx;
  const params = spec.params ?? [];
  const total = journal.get<{ n: number }>(`SELECT COUNT(*) AS n ${spec.from}`, ...params)?.n ?? 0;
  if (total === 0) {
    return { id: spec.id, label: spec.label, status: 'info', detail: `no ${spec.noun}s imported: nothing to check`, counts: { checked: 0, total: 0, sampled: false, failed: 0, warned: 0 } };
  }
  const sampled = total > limits.fullCheckUpTo;
  const rows = journal.all<Row>(`SELECT ${spec.select} ${spec.from} ORDER BY ${sampled ? `random() LIMIT ${limits.sampleSize}` : spec.orderBy}`, ...params);
  const failed: string[] = [];
  const warned: string[] = [];
  let checked = 0;
  await each(
    rows,
    ctx.concurrency,
    async (row) => {
      let finding: Finding;
      try {
        finding = await spec.check(row, { signal });
      } catch (error) {
        if (signal?.aborted) return;
        if (!(error instanceof WorkOSCallError)) throw error;
        finding = { level: 'warn', text: `${spec.describe(row)}: could not be checked (${error.message})` };
      }
      // Counted here, not in the progress callback: without a listener the counts are still real.
      checked++;
      if (finding) (finding.level === 'fail' ? failed : warned).push(finding.text);
      ctx.onProgress?.(spec.id, checked, rows.length);
    },
    signal,
  );
  const matching = checked - failed.length - warned.length;
  const scope = sampled ? `sampled (of ${total})` : 'checked';
  const parts = [`${matching} of ${checked} ${scope} match`];
  if (failed.length) parts.push(`${failed.length} wrong or missing`);
  if (warned.length) parts.push(`${warned.length} to look at`);
  if (checked < rows.length) parts.push(`stopped after ${checked} of ${rows.length}`);
  return {
    id: spec.id,
    label: spec.label,
    status: failed.length ? 'fail' : warned.length || checked < rows.length ? 'warn' : 'pass',
    detail: parts.join('; '),
    examples: [...failed.slice(0, 5), ...warned.slice(0, 5)],
    counts: { checked, total, sampled, failed: failed.length, warned: warned.length },
  };
}

/**
 * The role mapping the import used: the operator's (settings), completed as the import completed
 * it (a source role that is also an environment role maps to itself, a source's conventional pairs).
 */
async function roleSettings(journal: Journal, target: WorkOSTarget, signal?: AbortSignal): Promise<Pick<RunSettings, 'roleMap' | 'defaultRole' | 'multipleRoles'>> {
  const settings = journal.settings;
  const explicit = settings.roleMap ?? {};
  let roleMap = explicit;
  try {
    const slugs = (await target.listEnvironmentRoles({ signal })).map((r) => r.slug);
    roleMap = { ...resolveRoles(journal, slugs, explicit, settings.defaultRole).roleMap, ...explicit };
  } catch (error) {
    if (!(error instanceof WorkOSCallError)) throw error;
  }
  return { roleMap, defaultRole: settings.defaultRole, multipleRoles: settings.multipleRoles };
}

const parseSlugs = (json: string | null): string[] | null => (json ? (JSON.parse(json) as string[]) : null);
const listed = (slugs: string[]) => slugs.join(', ') || '(none)';

export async function runVerification(journal: Journal, target: WorkOSTarget, options: VerifyOptions = {}): Promise<VerifyReport> {
  const signal = options.signal;
  const ctx: RunContext = {
    journal,
    limits: { fullCheckUpTo: options.fullCheckUpTo ?? 10_000, sampleSize: options.sampleSize ?? 1_000 },
    concurrency: options.concurrency ?? 16,
    signal,
    onProgress: options.onProgress,
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

  checks.push(
    await runRecordCheck<{ source_id: string; name: string; workos_id: string }>(ctx, {
      id: 'organizations',
      label: 'Imported organizations exist with the source id as external id',
      noun: 'organization',
      select: 'source_id, name, workos_id',
      from: `FROM organizations WHERE state = 'done'`,
      orderBy: 'id',
      describe: (r) => `${r.name} [${r.source_id}]`,
      check: async (r, opts) => {
        const id = await target.findOrganizationByExternalId(r.source_id, opts);
        if (!id) return { level: 'fail', text: `${r.name} [${r.source_id}]: no organization with this external id in WorkOS (deleted, or its external id changed); it was ${r.workos_id}` };
        if (id !== r.workos_id) return { level: 'fail', text: `${r.name} [${r.source_id}]: the external id is on ${id}, expected ${r.workos_id}` };
        return undefined;
      },
    }),
  );

  checks.push(
    await runRecordCheck<{ source_id: string; email: string; email_norm: string; workos_id: string; outcome: string }>(ctx, {
      id: 'users',
      label: 'Imported users exist with the right email and external id',
      noun: 'user',
      select: 'source_id, email, email_norm, workos_id, outcome',
      // A merged duplicate is its kept user in WorkOS: checked as that user.
      from: `FROM users WHERE state = 'done' AND merged_into IS NULL`,
      orderBy: 'id',
      describe: (r) => r.email,
      check: async (r, opts) => {
        const found = await target.getUser(r.workos_id, opts);
        if (!found) return { level: 'fail', text: `${r.email}: no user ${r.workos_id} in WorkOS` };
        if (found.email.toLowerCase() !== r.email_norm) return { level: 'fail', text: `${r.email}: WorkOS has ${found.email}` };
        if (found.externalId !== r.source_id) {
          return { level: 'fail', text: `${r.email}${r.outcome === 'adopted' ? ' (adopted)' : ''}: external id is ${found.externalId ?? 'empty'}, expected ${r.source_id}` };
        }
        return undefined;
      },
    }),
  );

  const roles = await roleSettings(journal, target, signal);
  const keepExisting = settings.updateExistingRoles === false;
  checks.push(
    await runRecordCheck<{ user_source_id: string; org_source_id: string; roles: string; role_slugs: string | null; outcome: string; user_id: string | null; org_id: string | null }>(ctx, {
      id: 'memberships',
      label: 'Memberships exist with the mapped role',
      noun: 'membership',
      select: `m.user_source_id, m.org_source_id, m.roles, m.role_slugs, m.outcome, m.user_workos_id AS user_id, m.org_workos_id AS org_id`,
      // A merged duplicate's memberships are on its kept user; an invited member sent an
      // invitation has no membership (checked below).
      from: `FROM memberships_resolved m WHERE m.state = 'done' AND m.imported_as IS NOT 'invitation'`,
      orderBy: 'm.id',
      describe: (r) => `${r.user_source_id} in ${r.org_source_id}`,
      check: async (r, opts) => {
        const who = `${r.user_source_id} in ${r.org_source_id}`;
        if (!r.user_id || !r.org_id) return { level: 'fail', text: `${who}: its user or organization has no WorkOS id in the journal` };
        const found = await target.findMembership(r.user_id, r.org_id, opts);
        if (!found) return { level: 'fail', text: `${who}: no membership in WorkOS` };
        const sourceRoles = JSON.parse(r.roles) as string[];
        const expected = mappedRoleSlugs(sourceRoles, roles);
        // No mapped role: it was given the environment's default, which the API does not name.
        if (!expected.length || sameRoles(found.roleSlugs, expected)) return undefined;
        const keptAtImport = parseSlugs(r.role_slugs);
        if (keepExisting && r.outcome === 'adopted' && keptAtImport && sameRoles(found.roleSlugs, keptAtImport)) {
          return { level: 'warn', text: `${who}: kept at ${listed(found.roleSlugs)} by --keep-existing-roles; the source role ${listed(sourceRoles)} maps to ${listed(expected)}` };
        }
        return { level: 'fail', text: `${who}: role ${listed(found.roleSlugs)}, expected ${listed(expected)} (source role ${listed(sourceRoles)})` };
      },
    }),
  );

  const factors = await factorCheck(ctx, target);
  if (factors) checks.push(factors);

  const invited = await invitedCheck(ctx, target, settings.invitedMembers ?? 'skip');
  if (invited) checks.push(invited);

  // Source, journal and WorkOS side by side (WorkOS may hold users from before: more is fine).
  const counts = journal.counts();
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

/**
 * Each TOTP factor enrolled from the source's secret is still on its user in WorkOS (the user's
 * factors listed, one read each). Above `fullCheckUpTo` enrolled factors the check only says how
 * many there are (no sampling of second factors: an operator checks those in the dashboard).
 * Undefined when the source handed over no TOTP secrets.
 */
async function factorCheck(ctx: RunContext, target: WorkOSTarget): Promise<VerifyCheck | undefined> {
  const { journal } = ctx;
  const f = journal.factorCounts();
  if (!f.total) return undefined;
  const id = 'factors';
  const label = 'TOTP factors enrolled from the source are in WorkOS';
  const others = [
    f.failed ? `${f.failed} failed` : '',
    f.skipped ? `${f.skipped} skipped (the user had one already, or a merged duplicate)` : '',
    f.pending + f.in_flight ? `${f.pending + f.in_flight} not enrolled yet` : '',
  ].filter(Boolean);
  const rest = others.length ? `; ${others.join(', ')} (in failures.csv as kind factor)` : '';
  if (f.done > ctx.limits.fullCheckUpTo) {
    return { id, label, status: 'info', detail: `${f.done} enrolled: more than ${ctx.limits.fullCheckUpTo}, not listed one by one (check a few users' factors in the WorkOS dashboard)${rest}` };
  }
  const result = await runRecordCheck<{ source_id: string; email: string; workos_id: string; factor_id: string }>(ctx, {
    id,
    label,
    noun: 'TOTP factor',
    select: 'source_id, email, workos_id, totp_factor_id AS factor_id',
    from: `FROM users WHERE totp_state = 'done' AND workos_id IS NOT NULL`,
    orderBy: 'id',
    describe: (r) => r.email,
    check: async (r, opts) => {
      let factors: { id: string }[];
      try {
        factors = await target.listTotpFactors(r.workos_id, opts);
      } catch (error) {
        if (error instanceof WorkOSCallError && error.info.kind === 'not_found') return { level: 'fail', text: `${r.email}: no user ${r.workos_id} in WorkOS` };
        throw error;
      }
      if (factors.some((x) => x.id === r.factor_id)) return undefined;
      if (factors.length) return { level: 'warn', text: `${r.email}: the enrolled factor ${r.factor_id} is gone; the user has another TOTP factor (${factors[0].id})` };
      return { level: 'fail', text: `${r.email}: no TOTP factor in WorkOS (${r.factor_id} was enrolled): the user must re-enroll` };
    },
  });
  if (rest) result.detail += rest;
  if (result.status === 'pass' && (f.failed || f.pending + f.in_flight)) result.status = 'warn';
  return result;
}

/**
 * Invited (or pending) members in the source, each checked as it was imported (a membership, an
 * invitation, or skipped while the choice was `skip`), whatever the choice is now.
 */
async function invitedCheck(ctx: RunContext, target: WorkOSTarget, choice: NonNullable<RunSettings['invitedMembers']>): Promise<VerifyCheck | undefined> {
  const { journal } = ctx;
  // A merged duplicate's invitation is carried by its kept user's membership (the view leaves it out).
  const c = journal.invitedCounts();
  if (!c.total) return undefined;
  const id = 'invited';
  const label = 'Invited and pending members';
  const parts: string[] = [];
  const examples: string[] = [];
  let status: CheckStatus = 'info';
  const worse = (next: CheckStatus) => {
    const rank: Record<CheckStatus, number> = { info: 0, pass: 1, warn: 2, fail: 3 };
    if (rank[next] > rank[status]) status = next;
  };
  let counts: VerifyCheck['counts'];

  if (c.active) parts.push(`${c.active} made active members (checked with the memberships above)`);
  if (c.invitations) {
    const invitations = await invitationCheck(ctx, target);
    if (!invitations) {
      parts.push(`${c.invitations} sent a WorkOS invitation; this WorkOS endpoint cannot list invitations: check them in the dashboard (invited-members.csv lists each)`);
    } else {
      parts.push(`invitations: ${invitations.detail}`);
      examples.push(...(invitations.examples ?? []));
      counts = invitations.counts;
      worse(invitations.status);
    }
  }
  if (c.skipped) {
    if (choice === 'skip') parts.push(`${c.skipped} not imported, by your choice (no membership expected); each is in invited-members.csv`);
    else {
      parts.push(
        `${c.skipped} not imported: skipped while the choice was skip; your choice is now ${choice}: import them with \`workos-migrate run --retry-failed --journal ${journal.path}\``,
      );
      worse('warn');
    }
  }
  if (c.notYet) {
    parts.push(`${c.notYet} not imported yet (\`workos-migrate resume\`)`);
    worse('warn');
  }
  if (c.failed) {
    parts.push(`${c.failed} failed or blocked (in failures.csv)`);
    worse('warn');
  }
  // Only invitations, all of them checked: the invitation check is the whole answer.
  const onlyInvitations = c.invitations === c.total && counts;
  return {
    id,
    label: onlyInvitations ? 'Invited members were sent a WorkOS invitation' : label,
    status,
    detail: onlyInvitations ? parts[0].replace(/^invitations: /, '') : parts.join('; '),
    ...(examples.length ? { examples } : {}),
    ...(counts ? { counts } : {}),
  };
}

/**
 * The invitations sent (done as invitations), each looked for in WorkOS; undefined when the
 * target cannot list them (an endpoint without invitations answers its list with 404: that is
 * "cannot check", not "missing").
 */
async function invitationCheck(ctx: RunContext, target: WorkOSTarget): Promise<VerifyCheck | undefined> {
  if (!canFindInvitations(target)) return undefined;
  let unsupported = false;
  const result = await runRecordCheck<{ org_source_id: string; workos_id: string; email: string; org_id: string | null }>(ctx, {
    id: 'invited',
    label: 'Invited members were sent a WorkOS invitation',
    noun: 'invitation',
    select: 'm.org_source_id, m.workos_id, m.user_email AS email, m.org_workos_id AS org_id',
    from: `FROM memberships_resolved m WHERE m.state = 'done' AND m.imported_as = 'invitation'`,
    orderBy: 'm.id',
    describe: (r) => `${r.email} in ${r.org_source_id}`,
    check: async (r, opts) => {
      const who = `${r.email} in ${r.org_source_id}`;
      if (!r.org_id) return { level: 'fail', text: `${who}: its organization has no WorkOS id in the journal` };
      try {
        const found = await target.findInvitation(r.email, r.org_id, opts);
        return found ? undefined : { level: 'fail', text: `${who}: no pending or accepted invitation in WorkOS (${r.workos_id} was sent)` };
      } catch (error) {
        if (!(error instanceof WorkOSCallError) || error.info.kind !== 'not_found') throw error;
        unsupported = true;
        return undefined;
      }
    },
  });
  return unsupported ? undefined : result;
}
