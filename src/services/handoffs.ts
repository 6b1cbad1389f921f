/**
 * Hand-offs the operator acts on after the import:
 *
 * - Password reset emails to the users of password-resets.csv who need one (`resets --send`):
 *   WorkOS's password reset endpoint, one call per user through the AuthKit writes bucket (the
 *   per-email ceiling, 3 a minute, never binds at one per user). NEVER twice: each user's reset is
 *   committed in the journal (reset_state in_flight) before its call, as the importer commits a
 *   record before creating it; a stop that catches a call leaves it in_flight, and such a user is
 *   reported as uncertain and sent again only when the operator asks (`--retry-uncertain`). The
 *   reset's token and URL are secrets of the user's: only its id is kept.
 * - Admin Portal links (`handoffs`): one per organization whose SSO or SCIM connection the source
 *   had (intent sso / dsync), written to admin-portal-links.csv; the links themselves are never
 *   put in the journal (they grant access to the organization's SSO setup).
 * - `nextSteps(facts)`: the short "what to do next" lines the wizard prints when it exits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import { ExpectedError } from '../errors.js';
import type { EventBus } from './events.js';
import type { Journal } from './journal/journal.js';
import { targetFor } from './migration.js';
import { HANDOFFS_SQL, PORTAL_LINKS_META, reportDir, RESET_EMAILS_SQL, WITHOUT_PASSWORD_SQL, writeRows, type SummaryFacts } from './report/report.js';
import { WorkOSCallError, type WorkOSTarget } from './workos/target.js';

export interface HandoffContext {
  env: NodeJS.ProcessEnv;
  bus?: EventBus;
}

interface ResetRow {
  id: number;
  email: string;
  source_id: string;
  workos_id: string;
  reset_state: 'in_flight' | 'done' | 'failed' | null;
  reset_id: string | null;
  reset_error: string | null;
}

export interface ResetPlan {
  /** Users who need a reset email (password-resets.csv without the social-only ones). */
  users: number;
  /** Not sent yet (and failed ones, which are tried again). */
  toSend: { email: string; sourceId: string }[];
  sent: number;
  failed: number;
  /** A stop caught the call: it may have gone out; never sent again without `retryUncertain`. */
  uncertain: { email: string; sourceId: string }[];
  /** In password-resets.csv, but signing in with a social provider only: no email. */
  socialOnly: number;
}

export interface ResetResult {
  status: 'planned' | 'stopped' | 'done';
  plan: ResetPlan;
  /** Sent by this run. */
  sent: number;
  failed: { email: string; sourceId: string; reason: string }[];
}

export interface ResetOptions {
  /** false: only the plan (who would get one). */
  send: boolean;
  /** Send again to users a stop caught mid-call (they may get two emails). */
  retryUncertain?: boolean;
  signal?: AbortSignal;
  concurrency?: number;
  target?: WorkOSTarget;
  onProgress?: (done: number, total: number) => void;
}

/** Who gets a reset email, who got one, who may have: from the journal alone. */
export function resetPlan(journal: Journal): ResetPlan {
  const rows = journal.all<ResetRow>(`SELECT * FROM (${RESET_EMAILS_SQL}) ORDER BY id`);
  const socialOnly = journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${WITHOUT_PASSWORD_SQL}) WHERE pstate = 'none' AND social IS NOT NULL`)?.n ?? 0;
  const who = (r: ResetRow) => ({ email: r.email, sourceId: r.source_id });
  return {
    users: rows.length,
    toSend: rows.filter((r) => r.reset_state === null || r.reset_state === 'failed').map(who),
    sent: rows.filter((r) => r.reset_state === 'done').length,
    failed: rows.filter((r) => r.reset_state === 'failed').length,
    uncertain: rows.filter((r) => r.reset_state === 'in_flight').map(who),
    socialOnly,
  };
}

/** `fn` over `items`, `concurrency` at a time, until done or stopped. */
async function each<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !signal?.aborted) await fn(items[next++]);
    }),
  );
}

/** Sends the password reset emails still to send (see the top of this file). The caller holds the journal's lock. */
export async function sendPasswordResets(ctx: HandoffContext, journal: Journal, options: ResetOptions): Promise<ResetResult> {
  const plan = resetPlan(journal);
  if (!options.send) return { status: 'planned', plan, sent: 0, failed: [] };
  const signal = options.signal;
  // Every call in flight listens for a stop: many listeners are expected, not a leak.
  if (signal) setMaxListeners(0, signal);
  const target = options.target ?? targetFor(journal.settings, ctx.env);
  await target.checkKey({ signal });
  const states = options.retryUncertain ? `reset_state IS NULL OR reset_state IN ('failed', 'in_flight')` : `reset_state IS NULL OR reset_state = 'failed'`;
  const rows = journal.all<ResetRow>(`SELECT * FROM (${RESET_EMAILS_SQL}) WHERE ${states} ORDER BY id`);
  let sent = 0;
  let done = 0;
  const failed: ResetResult['failed'] = [];
  await each(
    rows,
    options.concurrency ?? journal.settings.concurrency ?? 16,
    async (row) => {
      try {
        const reset = await target.call('writes', () => target.sdk.userManagement.createPasswordReset({ email: row.email }), {
          idempotent: false,
          signal,
          // Committed once paced, right before the request leaves: from here a stop means "may have
          // been sent", never "send again"; a stop while waiting for its turn leaves it unsent.
          onSend: () => journal.markResetSending(row.id),
        });
        journal.markResetSent(row.id, reset.id);
        sent++;
      } catch (error) {
        if (!(error instanceof WorkOSCallError)) {
          if (signal?.aborted) return; // stopped: unsent if it was waiting for its turn, in_flight if it had left
          throw error;
        }
        const info = error.info;
        if (info.kind === 'unauthorized') {
          throw new ExpectedError('WorkOS stopped accepting the API key while sending resets (401).', 'Check the key, then run `workos-migrate resets --send` again: it goes on where it stopped.');
        }
        // A lost answer: the email may have gone. It stays in_flight (uncertain), never sent twice by
        // itself. One that never left (no connection made) failed: the next run sends it.
        if (info.kind === 'transient' && info.sent !== false) return;
        const reason = `${info.message}${'code' in info ? ` [${info.code}]` : ''}`;
        journal.markResetFailed(row.id, reason);
        failed.push({ email: row.email, sourceId: row.source_id, reason });
      } finally {
        options.onProgress?.(++done, rows.length);
      }
    },
    signal,
  );
  journal.touch();
  if (sent) ctx.bus?.emit({ type: 'notice', level: 'info', message: `Password reset emails: ${sent} sent.` });
  return { status: signal?.aborted ? 'stopped' : 'done', plan: resetPlan(journal), sent, failed };
}

export interface PortalLink {
  organization: string;
  sourceId: string;
  workosId: string | null;
  intent: 'sso' | 'dsync';
  /** Empty when the organization is not in WorkOS (not imported): `note` says so. */
  link: string;
  note: string;
}

export interface PortalLinksResult {
  file: string;
  links: PortalLink[];
  generated: number;
  /** Organizations with a hand-off that are not in WorkOS: no link (named in the file). */
  notImported: number;
}

/**
 * One Admin Portal link per organization and connection the source had (SSO: intent sso; SCIM:
 * intent dsync), written to admin-portal-links.csv in the reports folder. Links expire soon after
 * they are made: running it again makes fresh ones.
 */
export async function writePortalLinks(
  ctx: HandoffContext,
  journal: Journal,
  options: { signal?: AbortSignal; target?: WorkOSTarget; returnUrl?: string; dir?: string } = {},
): Promise<PortalLinksResult> {
  const signal = options.signal;
  const rows = journal.all<{ organization: string; sourceId: string; workosId: string | null; kind: 'sso' | 'scim' }>(`SELECT * FROM (${HANDOFFS_SQL}) ORDER BY organization, kind`);
  const links: PortalLink[] = [];
  const needsCall = rows.some((r) => r.workosId);
  const target = needsCall ? (options.target ?? targetFor(journal.settings, ctx.env)) : undefined;
  if (target) await target.checkKey({ signal });
  for (const row of rows) {
    if (signal?.aborted) break;
    const intent = row.kind === 'sso' ? 'sso' : 'dsync';
    const base = { organization: row.organization, sourceId: row.sourceId, workosId: row.workosId, intent } as const;
    if (!row.workosId || !target) {
      links.push({ ...base, link: '', note: 'not in WorkOS (not imported): import it, then run `workos-migrate handoffs` again' });
      continue;
    }
    try {
      // Organizations count against the general bucket only.
      const { link } = await target.call(
        null,
        () => target.sdk.portal.generateLink({ organization: row.workosId!, intent: intent as never, ...(options.returnUrl ? { returnUrl: options.returnUrl } : {}) }),
        { idempotent: true, signal },
      );
      links.push({ ...base, link, note: `send it to the organization's IT admin to set up ${intent === 'sso' ? 'SSO' : 'Directory Sync (SCIM)'} again; it expires soon` });
    } catch (error) {
      if (!(error instanceof WorkOSCallError)) {
        if (signal?.aborted) break;
        throw error;
      }
      if (error.info.kind === 'unauthorized') throw new ExpectedError('WorkOS rejected the API key (401).', 'Check WORKOS_API_KEY, then run `workos-migrate handoffs` again.');
      links.push({ ...base, link: '', note: `no link: ${error.info.message}` });
    }
  }
  const dir = options.dir ?? reportDir(journal);
  const file = path.join(dir, 'admin-portal-links.csv');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeRows(
    file,
    'people',
    ['organization', 'source_id', 'workos_organization_id', 'intent', 'link', 'note'],
    links.map((l) => [l.organization, l.sourceId, l.workosId, l.intent, l.link, l.note]),
  );
  const generated = links.filter((l) => l.link).length;
  const notImported = links.filter((l) => !l.workosId).length;
  // Only the fact and the file: the links grant access and stay out of the journal.
  journal.setMeta(PORTAL_LINKS_META, { file, links: generated, generatedAt: new Date().toISOString(), notImported } satisfies NonNullable<SummaryFacts['portalLinks']>);
  return { file, links, generated, notImported };
}

/**
 * sms-reenrol.csv: the imported users who had SMS as a second factor, which WorkOS does not have:
 * each enrols an authenticator app (TOTP), Magic Auth or a passkey. Returns the file and how many.
 */
export function writeSmsUsers(journal: Journal, dir = reportDir(journal)): { file: string; users: number } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'sms-reenrol.csv');
  const users = writeRows(
    file,
    'people',
    ['email', 'source_id', 'workos_user_id', 'also_totp_enrolled'],
    (function* () {
      for (const r of journal.iterate<{ email: string; source_id: string; workos_id: string; totp: number }>(
        `SELECT email, source_id, workos_id, totp_state = 'done' AS totp FROM users
          WHERE state = 'done' AND merged_into IS NULL AND json_extract(mfa, '$.sms') = 1 ORDER BY id`,
      )) {
        yield [r.email, r.source_id, r.workos_id, r.totp ? 'yes' : 'no'];
      }
    })(),
  );
  return { file, users };
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * The closing "what to do next" the wizard prints to the shell when it exits: short lines, each an
 * action with its command or file. Empty when nothing is left to do by hand.
 */
export function nextSteps(facts: SummaryFacts): string[] {
  const lines: string[] = [];
  const journal = facts.journal;
  const sso = facts.handoffs.filter((h) => h.kind === 'sso').length;
  const scim = facts.handoffs.filter((h) => h.kind === 'scim').length;
  if (sso || scim) {
    const what = [sso ? `SSO for ${plural(sso, 'organization')}` : '', scim ? `Directory Sync for ${plural(scim, 'organization')}` : ''].filter(Boolean).join(' and ');
    lines.push(
      facts.portalLinks
        ? `Send each IT admin their Admin Portal link to set up ${what} again: ${facts.portalLinks.file} (links expire soon: \`workos-migrate handoffs --journal ${journal}\` makes fresh ones).`
        : `Set up ${what} again: \`workos-migrate handoffs --journal ${journal}\` writes an Admin Portal link for each IT admin.`,
    );
  }
  const r = facts.resetEmails;
  if (r.notSent || r.failed) {
    lines.push(`${plural(r.notSent + r.failed, 'user')} need a password reset email: \`workos-migrate resets --journal ${journal} --send\` (without --send it lists them).`);
  }
  if (r.uncertain) lines.push(`${plural(r.uncertain, 'password reset email')} may not have gone out (a stop caught the call): \`workos-migrate resets --journal ${journal}\` names them.`);
  if (facts.smsUsers) {
    lines.push(`${plural(facts.smsUsers, 'user')} used SMS as a second factor: ask them to enrol an authenticator app, Magic Auth or a passkey in WorkOS (\`workos-migrate handoffs --journal ${journal}\` lists them in sms-reenrol.csv).`);
  }
  if (facts.failures.count) lines.push(`${plural(facts.failures.count, 'record')} did not make it: ${facts.files.failures}.`);
  lines.push(`Store each user's WorkOS id in your app: ${facts.files.idMap} (or \`workos-migrate write-ids --journal ${journal}\`).`);
  return lines;
}
