import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { Frame, Menu, useWizard, YesNo } from './ui.js';

const CHECKLISTS = {
  freeze: {
    title: 'Signup freeze (big bang)',
    summary: 'Signups are off for the import; everyone moves at once. Simplest; suits up to ~10,000 users or a quiet window.',
    items: [
      'New signups are turned off in your application (a feature flag or maintenance page)',
      'Webhook delivery to your app is paused, or ready for a flood of user.created events',
      'You know how you will switch sign-in to WorkOS once the import is verified',
    ],
    question: 'Are signups off now?',
  },
  'dual-write': {
    title: 'Dual-write',
    summary: 'Signups stay open: your app writes new users to WorkOS too while the history is imported.',
    items: [
      'New signups also create the user in WorkOS and store its id (workos_user_id)',
      'Email and password changes are mirrored with updateUser',
      'Users that dual-write already created are adopted by the import (no duplicates)',
    ],
    question: 'Is dual-write in place and deployed?',
  },
} as const;

export function Strategy() {
  const actions = useWizard((s) => s.actions);
  const current = useWizard((s) => s.strategy);
  const kit = useWizard((s) => s.dualWriteKit);
  const [choice, setChoice] = useState<'freeze' | 'dual-write' | undefined>();
  const [refused, setRefused] = useState(false);
  useInput((input, key) => {
    if (choice === 'dual-write' && input === 'w') actions.writeDualWriteKit();
    if (!key.escape) return;
    if (choice) setChoice(undefined);
    else actions.back();
  });
  const list = choice ? CHECKLISTS[choice] : undefined;
  return (
    <Frame
      step="strategy"
      keys={choice ? [...(choice === 'dual-write' ? ['w write the module'] : []), 'y confirm', 'n or Enter not yet', 'Esc other strategy'] : ['↑↓ choose', 'Enter select', 'Esc back']}
    >
      {!choice ? (
        <>
          <Text bold>How will new signups be handled during the import?</Text>
          {/* Opens on the strategy already chosen; Enter on it goes on (coming back here is no dead end). */}
          <Menu
            initial={current}
            items={(['freeze', 'dual-write'] as const).map((k) => ({ value: k, label: `${CHECKLISTS[k].title}: ${CHECKLISTS[k].summary}` }))}
            onSelect={(value) => {
              setRefused(false);
              setChoice(value);
            }}
          />
        </>
      ) : (
        <Box flexDirection="column">
          <Text bold>{list!.title}</Text>
          {list!.items.map((item) => (
            <Box key={item} paddingLeft={2}>
              <Text>{'☐ '}</Text>
              <Box flexShrink={1}>
                <Text>{item}</Text>
              </Box>
            </Box>
          ))}
          <Box marginTop={1}>
            <Text>{`${list!.question} `}</Text>
            {/* A risky fact is confirmed by a y, never by an Enter pressed on the way. */}
            <YesNo defaultChoice="no" onYes={() => actions.chooseStrategy(choice)} onNo={() => setRefused(true)} />
          </Box>
          {choice === 'dual-write' && !kit ? <Text dimColor>w writes the dual-write module and its test into ./workos-dual-write/ (call it from your sign-up, email and password changes, deletions).</Text> : null}
          {kit?.files ? (
            <Box flexDirection="column">
              <Text color="green">Written (see docs/dual-write.md for where to call it):</Text>
              {kit.files.map((f) => (
                <Text key={f}>{`  ${f}`}</Text>
              ))}
            </Box>
          ) : null}
          {kit?.error ? <Text color="red">{kit.error}</Text> : null}
          {refused ? <Text color="yellow">Put it in place first; the choice and its time are recorded in the journal when you confirm.</Text> : null}
        </Box>
      )}
    </Frame>
  );
}
