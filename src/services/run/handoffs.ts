/**
 * What the operator does by hand after the import, in words: the same list on the wizard's Plan
 * (what will be asked of you), on Verify (what to do now), in the shell when the wizard ends, and
 * in `workos-migrate status`.
 */
import type { Journal } from '../journal/journal.js';
import type { Plan } from '../migration.js';
import { summaryFacts, WITHOUT_PASSWORD_SQL } from '../report/report.js';

/** One hand-off: a sentence, and the records it is about (organization names, user emails). */
export interface Handoff {
  id: string;
  text: string;
  examples: string[];
}

const count = (n: number, word: string, words = `${word}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? word : words}`;

/**
 * The hand-offs of a migration in words, read from its journal: the same list on the Plan (what
 * will be asked of you) and on Verify (what to do now). SSO and SCIM connections never move: each
 * organization's IT admin sets them up again through an Admin Portal link.
 */
export function handoffsOf(journal: Journal, plan: Plan): Handoff[] {
  const facts = summaryFacts(journal);
  const list: Handoff[] = [];
  for (const kind of ['sso', 'scim'] as const) {
    const orgs = facts.handoffs.filter((h) => h.kind === kind);
    if (!orgs.length) continue;
    const what = kind === 'sso' ? 'SSO' : 'Directory Sync (SCIM)';
    list.push({
      id: `handoff-${kind}`,
      text: `${count(orgs.length, 'organization')} used ${kind === 'sso' ? 'SSO' : 'SCIM provisioning'}, which cannot be exported: send each one's IT admin a WorkOS Admin Portal link (intent ${kind === 'sso' ? 'sso' : 'dsync'}) to set ${what} up again.`,
      examples: orgs.map((o) => (o.workosId ? `${o.organization} (${o.workosId})` : o.organization)),
    });
  }
  // Before the import, from the hashes staged; after it, from what became of each password (the
  // staged hashes may have been purged by then).
  const imported = plan.counts.user.done > 0;
  const resets = imported ? facts.passwords.resets : plan.withoutPassword + plan.unsupportedHashes;
  if (resets) {
    list.push({
      id: 'handoff-resets',
      text: `${count(resets, 'user')} without a password hash WorkOS can take will reset their password (or sign in with a social provider): the list is password-resets.csv in the reports.`,
      examples: imported ? journal.all<{ email: string }>(`SELECT email FROM (${WITHOUT_PASSWORD_SQL}) LIMIT 3`).map((r) => r.email) : plan.examples.resets,
    });
  }
  if (plan.mfa.sms || plan.mfa.totp) {
    list.push({
      id: 'handoff-mfa',
      text: `${count(plan.mfa.sms + plan.mfa.totp, 'user')} set up their second factor again in WorkOS (${plan.mfa.sms.toLocaleString('en-US')} SMS, ${plan.mfa.totp.toLocaleString('en-US')} authenticator app): SMS and secrets the source kept do not move.`,
      examples: plan.examples.mfa,
    });
  }
  return list;
}

