/**
 * The checks of what hangs off one user or organization: a user's TOTP factors (one read per user
 * whose factor was enrolled: WorkOS lists factors per user only), and the invitations sent to
 * invited members (their organization's invitations listed).
 */
import type { RunSettings } from '../journal/types.js';
import { WorkOSCallError, type CallOptions, type WorkOSTarget } from '../workos/target.js';
import { each, listPages } from './listing.js';
import { Tally, type CheckContext, type CheckStatus, type Finding, type VerifyCheck } from './types.js';

/**
 * Invitations can be checked only where the target can list them (it finds a pending or accepted
 * invitation of an email to an organization, through the same list); elsewhere the check says so.
 */
export interface InvitationLookup {
  findInvitation(email: string, organizationId: string, opts?: CallOptions): Promise<{ id: string; email: string; organizationId: string | null; state: string } | null>;
}

const canFindInvitations = (target: WorkOSTarget): target is WorkOSTarget & InvitationLookup =>
  typeof (target as Partial<InvitationLookup>).findInvitation === 'function';

export interface RecordContext extends CheckContext {
  concurrency: number;
  /** Enrolled TOTP factors listed one by one up to this many. */
  factorsUpTo: number;
}

/**
 * One kind of imported record checked against WorkOS, one look-up each. `from` selects them
 * (FROM ... WHERE ...); `check` compares one with WorkOS now.
 */
interface RecordCheck<Row> {
  id: string;
  label: string;
  noun: string;
  select: string;
  from: string;
  orderBy: string;
  check(row: Row, opts: CallOptions): Promise<Finding>;
  describe(row: Row): string;
}

async function runRecordCheck<Row>(ctx: RecordContext, spec: RecordCheck<Row>): Promise<VerifyCheck> {
  const { journal, signal } = ctx;
  const rows = journal.all<Row>(`SELECT ${spec.select} ${spec.from} ORDER BY ${spec.orderBy}`);
  const tally = new Tally(spec.id, spec.label, spec.noun);
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
      tally.add(finding);
      ctx.onProgress?.(spec.id, tally.checked, rows.length);
    },
    signal,
  );
  if (signal?.aborted) tally.incomplete = 'stopped';
  return tally.result(rows.length);
}

/**
 * Each TOTP factor enrolled from the source's secret is still on its user in WorkOS (the user's
 * factors listed, one read each). Above `factorsUpTo` enrolled factors the check only says how
 * many there are (no sampling of second factors: an operator checks those in the dashboard).
 * Undefined when the source handed over no TOTP secrets.
 */
export async function factorCheck(ctx: RecordContext, target: WorkOSTarget): Promise<VerifyCheck | undefined> {
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
  if (f.done > ctx.factorsUpTo) {
    return { id, label, status: 'info', detail: `${f.done} enrolled: more than ${ctx.factorsUpTo}, not listed one by one (check a few users' factors in the WorkOS dashboard)${rest}` };
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
export async function invitedCheck(ctx: RecordContext, target: WorkOSTarget, choice: NonNullable<RunSettings['invitedMembers']>): Promise<VerifyCheck | undefined> {
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
  if (c.inviteOnly) {
    parts.push(
      `${c.inviteOnly} invited people have no user in the source, so no membership could be made (invited members: ${choice}); only an invitation carries them: run again with --invited-members invite (invited-members.csv lists each)`,
    );
    worse('warn');
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
 * The invitations sent (done as invitations), found in their organization's invitations, listed
 * (100 a read) once per organization; undefined when the target cannot list them (an endpoint
 * without invitations answers its list with 404: that is "cannot check", not "missing").
 */
async function invitationCheck(ctx: RecordContext, target: WorkOSTarget): Promise<VerifyCheck | undefined> {
  if (!canFindInvitations(target)) return undefined;
  const rows = ctx.journal.all<{ org_source_id: string; workos_id: string; email: string; org_id: string | null }>(
    `SELECT m.org_source_id, m.workos_id, m.user_email AS email, m.org_workos_id AS org_id
       FROM memberships_resolved m WHERE m.state = 'done' AND m.imported_as = 'invitation' ORDER BY m.org_workos_id, m.id`,
  );
  const tally = new Tally('invited', 'Invited members were sent a WorkOS invitation', 'invitation');
  const byOrg = new Map<string, typeof rows>();
  for (const r of rows) {
    if (!r.org_id) tally.add({ level: 'fail', text: `${r.email} in ${r.org_source_id}: its organization has no WorkOS id in the journal` });
    else byOrg.set(r.org_id, [...(byOrg.get(r.org_id) ?? []), r]);
  }
  let unsupported = false;
  await each(
    [...byOrg],
    ctx.concurrency,
    async ([orgId, sent]) => {
      // Pending or accepted invitations of the organization, by email.
      const live = new Set<string>();
      try {
        for await (const page of listPages(target, 'reads', (p) => target.sdk.userManagement.listInvitations({ organizationId: orgId, ...p }), ctx.signal)) {
          for (const i of page) if (i.state === 'pending' || i.state === 'accepted') live.add(i.email.toLowerCase());
        }
      } catch (error) {
        if (ctx.signal?.aborted) return;
        if (!(error instanceof WorkOSCallError)) throw error;
        if (error.info.kind === 'not_found') unsupported = true;
        else for (const r of sent) tally.add({ level: 'warn', text: `${r.email} in ${r.org_source_id}: could not be checked (${error.message})` });
        return;
      }
      for (const r of sent) {
        tally.add(live.has(r.email.toLowerCase()) ? undefined : { level: 'fail', text: `${r.email} in ${r.org_source_id}: no pending or accepted invitation in WorkOS (${r.workos_id} was sent)` });
      }
      ctx.onProgress?.('invited', tally.checked, rows.length);
    },
    ctx.signal,
  );
  if (ctx.signal?.aborted) tally.incomplete = 'stopped';
  return unsupported ? undefined : tally.result(rows.length);
}
