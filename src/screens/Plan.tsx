import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import type { Plan as PlanData } from '../store/wizard.js';
import { Frame, Menu, useWizard } from './ui.js';

type LineId = keyof PlanData['examples'];

function planLines(plan: PlanData): { id: LineId; text: string }[] {
  const c = plan.counts;
  const n = (x: number) => x.toLocaleString('en-US');
  const lines: { id: LineId; text: string }[] = [
    { id: 'users', text: `${n(c.user.pending)} users to create or adopt (${n(c.user.skipped)} skipped)` },
    { id: 'organizations', text: `${n(c.organization.pending)} organizations to create or adopt` },
    { id: 'memberships', text: `${n(c.membership.pending)} memberships (${n(c.membership.skipped)} skipped: user or organization missing)` },
  ];
  if (plan.issues.errors || plan.issues.warnings) lines.push({ id: 'issues', text: `${n(plan.issues.errors)} invalid rows, ${n(plan.issues.warnings)} warnings in the source` });
  if (plan.duplicates) lines.push({ id: 'duplicates', text: `${n(plan.duplicates)} duplicate emails: the later ones are skipped` });
  const hashes = plan.hashTypes.map((h) => `${h.type} ${n(h.users)}`).join(', ');
  // Its examples are the users who will need a reset, not the ones whose hash moves.
  lines.push({
    id: 'resets',
    text: `Password hashes: ${hashes || 'none'}; ${n(plan.withoutPassword + plan.unsupportedHashes)} users will need a password reset or social sign-in`,
  });
  const invited = plan.invited.invited + plan.invited.pending;
  if (invited) {
    const what = { skip: 'listed, not imported', active: 'imported as active members', invite: 'sent a WorkOS invitation' }[plan.invited.choice];
    lines.push({ id: 'invited', text: `${n(invited)} members only invited in the source: ${what} (i to change)` });
  }
  if (plan.hashTypes.length) {
    lines.push({
      id: 'hashes',
      text: `Users already in WorkOS: ${plan.adoptedPasswords === 'source' ? "get the source's password" : 'keep their WorkOS password'} (a to change)`,
    });
  }
  if (plan.ignoredColumns.length) {
    lines.push({ id: 'ignored', text: `${n(plan.ignoredColumns.length)} columns not read: ${plan.ignoredColumns.map((c) => c.column).join(', ')}` });
  }
  if (plan.socialProviders.length) lines.push({ id: 'social', text: `Social sign-in: ${plan.socialProviders.map((p) => `${p.provider} ${n(p.users)}`).join(', ')} (configure them in WorkOS)` });
  if (plan.mfa.sms || plan.mfa.totp) lines.push({ id: 'mfa', text: `${n(plan.mfa.sms)} SMS-MFA and ${n(plan.mfa.totp)} TOTP users must re-enroll` });
  return lines;
}

export function Plan() {
  const plan = useWizard((s) => s.plan);
  const actions = useWizard((s) => s.actions);
  const [open, setOpen] = useState<LineId | undefined>();
  useInput((input, key) => {
    // Ctrl-C arrives as "c" with ctrl: it quits (the shell's), it does not confirm.
    if (key.ctrl) return;
    if (input === 'c') actions.confirmPlan();
    // The choices cycle in place; the import reads them from the journal.
    if (input === 'i' && plan && plan.invited.invited + plan.invited.pending) {
      const next = { skip: 'active', active: 'invite', invite: 'skip' } as const;
      actions.setChoice('invitedMembers', next[plan.invited.choice]);
    }
    if (input === 'a' && plan?.hashTypes.length) actions.setChoice('adoptedPasswords', plan.adoptedPasswords === 'source' ? 'keep' : 'source');
  });
  if (!plan)
    return (
      <Frame step="plan" keys={['Ctrl-C quit']}>
        <Text>Reading the plan...</Text>
      </Frame>
    );
  const lines = planLines(plan);
  return (
    <Frame
      step="plan"
      keys={[
        '↑↓ choose',
        'Enter examples',
        ...(plan.invited.invited + plan.invited.pending ? ['i invited'] : []),
        ...(plan.hashTypes.length ? ['a passwords'] : []),
        'c continue',
        // Short enough for 80 columns with both choices shown; the journal resumes from here.
        'Ctrl-C quit',
      ]}
    >
      {/* One line at 80 columns (the end-to-end tests look for it whole). */}
      <Text>Nothing has been written to WorkOS yet. What was found, and what will happen:</Text>
      <Box marginTop={1} flexDirection="column">
        <Menu items={lines.map((l) => ({ value: l.id, label: l.text }))} onSelect={(id) => setOpen((current) => (current === id ? undefined : id))} />
      </Box>
      {open ? (
        <Box flexDirection="column" marginTop={1} borderStyle="round" paddingX={1}>
          {plan.examples[open].length ? plan.examples[open].map((e, i) => <Text key={i} wrap="truncate-end">{e}</Text>) : <Text dimColor>no examples</Text>}
        </Box>
      ) : null}
    </Frame>
  );
}
