/**
 * The commands after an import: `rollback`, `resets`, `handoffs` and `write-ids`. Each reads one
 * journal, says what it would do, and does it only when told (--yes, --send); the engine is in
 * services/ (rollback.ts, handoffs.ts, app-database.ts).
 */
import path from 'node:path';
import { ExpectedError } from '../errors.js';
import { APP_DATABASE_URL_ENV, writeIds } from '../services/app-database.js';
import { createEventBus } from '../services/events.js';
import { nextSteps, sendPasswordResets, writePortalLinks, writeSmsUsers } from '../services/handoffs.js';
import { Journal } from '../services/journal/journal.js';
import { newestJournal } from '../services/migration.js';
import { summaryFacts } from '../services/report/report.js';
import { rollbackMigration, rollbackPlanLines } from '../services/rollback.js';
import { EXIT, withJournal, type CommandContext } from './commands.js';
import { HeadlessOutput } from './output.js';

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

const journalPath = (ctx: CommandContext, given?: string) => (given ? path.resolve(ctx.cwd, given) : newestJournal(ctx.cwd));

/**
 * `workos-migrate rollback --journal J [--yes]`: without --yes, what would be deleted and exit 1;
 * with it, deletes what the journal created (resumable: run it again after a stop).
 */
export async function rollbackCommand(ctx: CommandContext, flags: { journal?: string; yes: boolean; json: boolean; concurrency?: number }): Promise<number> {
  if (!flags.journal) throw new ExpectedError('rollback needs the journal of the migration to undo.', 'Pass it with --journal PATH (see `workos-migrate status`).');
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  const bus = createEventBus();
  const detach = out.attach(bus);
  try {
    return await withJournal(journalPath(ctx, flags.journal), async (journal) => {
      const result = await rollbackMigration({ env: ctx.env, bus }, journal, { confirm: flags.yes, signal: ctx.signal, concurrency: flags.concurrency });
      bus.flush();
      const planLines = rollbackPlanLines(result.plan);
      if (result.status === 'planned') {
        out.result({ rollback: result, deleted: false }, [
          ...planLines,
          `Nothing was deleted. To delete these from the ${result.plan.environment} environment (${result.plan.apiUrl}), run again with --yes:`,
          `  workos-migrate rollback --journal ${journal.path} --yes`,
        ]);
        return EXIT.error;
      }
      const d = result.deleted;
      const lines = [
        `${result.status === 'stopped' ? 'Rollback stopped' : 'Rollback finished'} in the ${result.plan.environment} environment:`,
        `  deleted ${plural(d.memberships, 'membership')}, ${plural(d.users, 'user')} (with ${plural(d.membershipsWithUsers, 'membership')}), ${plural(d.organizations, 'organization')}${d.invitations ? `; revoked ${plural(d.invitations, 'invitation')}` : ''}${result.alreadyGone ? ` (${result.alreadyGone} of them were already gone)` : ''}`,
        `  kept: ${plural(result.plan.adopted.users, 'adopted user')}, ${plural(result.plan.adopted.organizations, 'adopted organization')}, ${plural(result.plan.adopted.memberships, 'adopted membership')}`,
        ...result.plan.notUndone.map((n) => `  not undone: ${n}`),
        ...result.kept.map((k) => `  kept ${k.kind} ${k.label}: ${k.note}`),
        ...result.failed.slice(0, 20).map((f) => `  failed ${f.kind} ${f.label}: ${f.note}`),
      ];
      if (result.status === 'stopped') lines.push(`Run it again to go on: workos-migrate rollback --journal ${journal.path} --yes`);
      else if (result.failed.length) lines.push(`${plural(result.failed.length, 'deletion')} failed: run the rollback again to retry them.`);
      out.result({ rollback: result, deleted: true }, lines);
      if (result.status === 'stopped') return EXIT.stopped;
      return result.failed.length ? EXIT.incomplete : EXIT.ok;
    });
  } finally {
    bus.flush();
    detach();
  }
}

/**
 * `workos-migrate resets --journal J [--send] [--yes]`: who needs a password reset email, and (with
 * --send --yes) sends each one once.
 */
export async function resetsCommand(ctx: CommandContext, flags: { journal?: string; send: boolean; yes: boolean; retryUncertain: boolean; json: boolean; concurrency?: number }): Promise<number> {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  return withJournal(journalPath(ctx, flags.journal), async (journal) => {
    const send = flags.send && flags.yes;
    const result = await sendPasswordResets({ env: ctx.env }, journal, { send, retryUncertain: flags.retryUncertain, signal: ctx.signal, concurrency: flags.concurrency });
    const p = result.plan;
    const environment = journal.settings.workos.environment ?? 'unknown';
    const lines = [
      `${plural(p.users, 'user')} need a password reset email (password-resets.csv, without ${plural(p.socialOnly, 'social-only user')}): ${p.sent} sent, ${p.failed} failed, ${p.uncertain.length} uncertain, ${p.toSend.length - p.failed} not sent yet.`,
    ];
    if (!send) {
      lines.push(...p.toSend.slice(0, 20).map((u) => `  ${u.email} (${u.sourceId})`));
      if (p.toSend.length > 20) lines.push(`  ... and ${p.toSend.length - 20} more`);
    }
    if (p.uncertain.length) {
      lines.push(
        `Uncertain (a stop caught the call; not sent again unless you pass --retry-uncertain): ${p.uncertain
          .slice(0, 10)
          .map((u) => u.email)
          .join(', ')}${p.uncertain.length > 10 ? ', ...' : ''}`,
      );
    }
    if (!send) {
      if (p.toSend.length || (flags.retryUncertain && p.uncertain.length)) {
        lines.push(
          flags.send
            ? `Nothing was sent. To email these users from the ${environment} environment, add --yes: workos-migrate resets --journal ${journal.path} --send --yes`
            : `To send them: workos-migrate resets --journal ${journal.path} --send --yes`,
        );
      }
      out.result({ resets: result }, lines);
      return flags.send ? EXIT.error : EXIT.ok;
    }
    lines.push(`Sent ${plural(result.sent, 'password reset email')} now.`);
    for (const f of result.failed.slice(0, 20)) lines.push(`  failed ${f.email}: ${f.reason}`);
    if (result.status === 'stopped') lines.push(`Stopped: run it again to send the rest (each user is emailed once).`);
    out.result({ resets: result }, lines);
    if (result.status === 'stopped') return EXIT.stopped;
    return result.failed.length ? EXIT.incomplete : EXIT.ok;
  });
}

/** `workos-migrate handoffs --journal J`: admin-portal-links.csv, and what is left to do by hand. */
export async function handoffsCommand(ctx: CommandContext, flags: { journal?: string; json: boolean; returnUrl?: string }): Promise<number> {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  return withJournal(journalPath(ctx, flags.journal), async (journal) => {
    const links = await writePortalLinks({ env: ctx.env }, journal, { signal: ctx.signal, returnUrl: flags.returnUrl });
    const sms = writeSmsUsers(journal);
    const facts = summaryFacts(journal);
    const lines = [
      links.links.length
        ? `Admin Portal links: ${links.generated} written to ${links.file}${links.notImported ? ` (${links.notImported} organizations not in WorkOS: no link)` : ''}. They expire soon: run this again for fresh ones.`
        : 'No organization had SSO or Directory Sync in the source: no Admin Portal link to send.',
      ...(sms.users ? [`Users to re-enrol a second factor (they had SMS, which WorkOS does not have): ${plural(sms.users, 'user')} in ${sms.file}.`] : []),
      'What to do next:',
      ...nextSteps(facts).map((s) => `  - ${s}`),
    ];
    // The links grant access to an organization's SSO setup: in the file (0600), never on the terminal.
    out.result({ portalLinks: { file: links.file, generated: links.generated, notImported: links.notImported }, smsUsers: sms, nextSteps: nextSteps(facts) }, lines);
    return EXIT.ok;
  });
}

/**
 * `workos-migrate write-ids --journal J [--app-database-url URL] [--table user] [--column
 * workos_user_id]`: the one opt-in write into the application's database.
 */
export async function writeIdsCommand(
  ctx: CommandContext,
  flags: { journal?: string; json: boolean; appDatabaseUrl?: string; table?: string; idColumn?: string; column?: string },
): Promise<number> {
  const out = new HeadlessOutput(ctx.stdout, ctx.stderr, flags.json);
  // The URL may hold a password: this process's environment only, the journal names the variable.
  if (flags.appDatabaseUrl) ctx.env[APP_DATABASE_URL_ENV] = flags.appDatabaseUrl;
  return withJournal(journalPath(ctx, flags.journal), async (journal) => {
    const record = await writeIds(journal, ctx.env, { url: flags.appDatabaseUrl, table: flags.table, idColumn: flags.idColumn, column: flags.column, cwd: ctx.cwd });
    out.result({ writeIds: record }, [
      `${record.label}: ${record.table}.${record.column} ${record.columnAdded ? 'added and ' : ''}filled for ${plural(record.written, 'user')} in one transaction.`,
      ...(record.unmatched ? [`${plural(record.unmatched, 'user')} of the id map have no row in ${record.table} (by ${record.idColumn}): see id-map.csv.`] : []),
      '`workos-migrate verify` checks the column from now on.',
    ]);
    return record.unmatched ? EXIT.incomplete : EXIT.ok;
  });
}
