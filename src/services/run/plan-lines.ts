/**
 * What the plan says, line by line: the same words on the wizard's Plan screen and in the headless
 * output, so the two never tell an operator different things.
 */
import type { Plan } from '../migration.js';

export interface PlanLine {
  /** Its examples: `plan.examples[id]`. */
  id: keyof Plan['examples'];
  text: string;
}

const n = (x: number) => x.toLocaleString('en-US');
/** `1 organization`, `2,000 organizations`. */
const of = (x: number, word: string, words = `${word}s`) => `${n(x)} ${x === 1 ? word : words}`;

/** `keys`: name the wizard's key that changes a choice. */
export function planLines(plan: Plan, options: { keys: boolean }): PlanLine[] {
  const c = plan.counts;
  const key = (k: string) => (options.keys ? ` (${k} to change)` : '');
  const lines: PlanLine[] = [
    { id: 'users', text: `${of(c.user.pending, 'user')} to create or adopt${c.user.skipped - plan.leftOut ? ` (${n(c.user.skipped - plan.leftOut)} skipped: see the failures file)` : ''}` },
    { id: 'organizations', text: `${of(c.organization.pending, 'organization')} to create or adopt` },
    { id: 'memberships', text: `${of(c.membership.pending, 'membership')}${c.membership.skipped ? ` (${n(c.membership.skipped)} skipped: see the failures file)` : ''}` },
  ];
  if (plan.issues.errors || plan.issues.warnings) lines.push({ id: 'issues', text: `${of(plan.issues.errors, 'invalid row')}, ${of(plan.issues.warnings, 'warning')} in the source` });
  if (plan.leftOut) {
    lines.push({ id: 'leftOut', text: `${of(plan.leftOut, 'user')} left out by your choice (listed in left-out.csv, not failures)` });
  }
  if (plan.duplicates) {
    lines.push({ id: 'duplicates', text: `${of(plan.duplicates, 'duplicate email')}: merged into the first user with the email (memberships carried)` });
  }
  const hashes = plan.hashTypes.map((h) => `${h.type} ${n(h.users)}`).join(', ');
  // Its examples are the users who will need a reset, not the ones whose hash moves.
  lines.push({
    id: 'resets',
    text: `Password hashes: ${hashes || 'none'}; ${of(plan.withoutPassword + plan.unsupportedHashes, 'user')} will need a password reset or social sign-in`,
  });
  const invited = plan.invited.invited + plan.invited.pending;
  if (invited) {
    const { withoutUser, choice } = plan.invited;
    // Invitations of emails with no user: no one to make an active member of.
    const what =
      choice === 'active' && withoutUser
        ? `${n(invited - withoutUser)} imported as active members; ${n(withoutUser)} with no user there listed (only an invitation carries them)`
        : { skip: 'listed, not imported', active: 'imported as active members', invite: 'sent a WorkOS invitation' }[choice];
    lines.push({ id: 'invited', text: `${of(invited, 'member')} only invited in the source: ${what}${key('i')}` });
  }
  if (plan.hashTypes.length) {
    const what = plan.adoptedPasswords === 'source' ? "get the source's password" : 'keep their WorkOS password';
    lines.push({ id: 'hashes', text: `Users already in WorkOS: ${what}${key('a')}` });
  }
  if (plan.ignoredColumns.length) {
    lines.push({ id: 'ignored', text: `${of(plan.ignoredColumns.length, 'column')} not read: ${plan.ignoredColumns.map((col) => col.column).join(', ')}` });
  }
  if (plan.socialProviders.length) {
    lines.push({ id: 'social', text: `Social sign-in: ${plan.socialProviders.map((p) => `${p.provider} ${n(p.users)}`).join(', ')} (configure them in WorkOS)` });
  }
  const mfa = [
    plan.totpToEnroll ? `${of(plan.totpToEnroll, 'TOTP factor')} to enroll with the source's secret (authenticator apps keep working)` : '',
    plan.mfa.sms || plan.mfa.totp ? `${n(plan.mfa.sms)} SMS-MFA and ${of(plan.mfa.totp, 'TOTP user')} must re-enroll` : '',
  ].filter(Boolean);
  if (mfa.length) lines.push({ id: 'mfa', text: mfa.join('; ') });
  return lines;
}
