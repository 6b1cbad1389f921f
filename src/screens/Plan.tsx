import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { planLines, type PlanLine } from '../services/run/plan-lines.js';
import { Frame, Menu, useWizard } from './ui.js';

type LineId = PlanLine['id'];

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
  const lines = planLines(plan, { keys: true });
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
