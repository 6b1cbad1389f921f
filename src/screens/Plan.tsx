import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { planLines, type PlanLine } from '../services/run/plan-lines.js';
import { Frame, Menu, PathLine, StatusLine, useListRows, useShownPath, useWizard } from './ui.js';

type LineId = PlanLine['id'] | `handoff-${string}`;

/** How many records a line's examples are drawn from, where the plan knows it (to say "and more"). */
function totalOf(id: LineId, plan: NonNullable<ReturnType<typeof usePlan>>): number | undefined {
  const c = plan.counts;
  switch (id) {
    case 'issues':
      return plan.issues.errors + plan.issues.warnings;
    case 'resets':
      return plan.withoutPassword + plan.unsupportedHashes;
    case 'users':
      return c.user.pending;
    case 'memberships':
      return c.membership.pending;
    case 'duplicates':
      return plan.duplicates;
    case 'mfa':
      return plan.mfa.sms + plan.mfa.totp;
    default:
      return undefined;
  }
}

const usePlan = () => useWizard((s) => s.plan);

export function Plan() {
  const plan = usePlan();
  const handoffs = useWizard((s) => s.handoffs);
  const kind = useWizard((s) => s.sourceKind);
  const journalPath = useWizard((s) => s.journalPath);
  const actions = useWizard((s) => s.actions);
  const [open, setOpen] = useState<LineId | undefined>();
  const [escNote, setEscNote] = useState(false);
  const shown = useShownPath();
  const rows = useListRows(5 + (open ? 6 : 0));
  useInput((input, key) => {
    // Ctrl-C arrives as "c" with ctrl: it quits (the shell's), it does not confirm.
    if (key.ctrl) return;
    // A file's plan goes back to its columns (the export is made again); another source's export is kept.
    if (key.escape) {
      if (kind === 'file') actions.back();
      else setEscNote(true);
    }
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
  const lines: { value: LineId; label: string }[] = [
    ...planLines(plan, { keys: true }).map((l) => ({ value: l.id as LineId, label: l.text })),
    // The hand-offs, said before anything is written: what the import will leave to the operator.
    ...handoffs.map((h) => ({ value: h.id as LineId, label: `By hand after the import: ${h.text}` })),
  ];
  const examples = open ? (open.startsWith('handoff-') ? (handoffs.find((h) => h.id === open)?.examples ?? []) : (plan.examples[open as PlanLine['id']] ?? [])) : [];
  const total = open ? (open.startsWith('handoff-') ? examples.length : totalOf(open, plan)) : undefined;
  return (
    <Frame
      step="plan"
      keys={[
        '↑↓ choose',
        'Enter examples',
        ...(plan.invited.invited + plan.invited.pending ? ['i invited'] : []),
        ...(plan.hashTypes.length ? ['a passwords'] : []),
        'c continue',
        kind === 'file' ? 'Esc change columns' : 'Esc back',
        'Ctrl-C quit',
      ]}
    >
      <Text>Nothing has been written to WorkOS yet. What was found, and what will happen:</Text>
      {/* "Adopt" is said once, where it is first used. */}
      <Text dimColor>Adopt: a user or organization already in WorkOS (same email or external id) is taken over, not created twice.</Text>
      <Box marginTop={1} flexDirection="column">
        <Menu items={lines} rows={rows} onSelect={(id) => setOpen((current) => (current === id ? undefined : id))} />
      </Box>
      {open ? (
        <Box flexDirection="column" marginTop={1} borderStyle="round" paddingX={1}>
          {/* Wrapped, never cut at "…": an example is read in full. */}
          {examples.length ? examples.map((e, i) => <Text key={i}>{e}</Text>) : <Text dimColor>no examples</Text>}
          {total !== undefined && total > examples.length && journalPath ? (
            <PathLine label={`${total.toLocaleString('en-US')} in all; every one of them:`}>{`workos-migrate status --journal ${shown(journalPath)}`}</PathLine>
          ) : null}
        </Box>
      ) : null}
      {escNote ? <StatusLine status="info">The export is kept in the journal. To read the source with other settings, quit and start a new migration.</StatusLine> : null}
    </Frame>
  );
}
