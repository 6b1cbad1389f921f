import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { Frame, LineInput, useWizard } from './ui.js';

/** The rollback of a finished migration: what goes, the environment typed to confirm, the outcome. */
export function Rollback() {
  const actions = useWizard((s) => s.actions);
  const rollback = useWizard((s) => s.rollback);
  const [refusal, setRefusal] = useState<string | undefined>();
  // A refused answer is cleared: the input is drawn anew for the next try.
  const [attempt, setAttempt] = useState(0);
  useInput((_input, key) => {
    if (key.escape) actions.back();
  });
  if (!rollback) return <Frame step="rollback" keys={['Esc back']}>{null}</Frame>;
  const running = rollback.status === 'running';
  return (
    <Frame step="rollback" keys={running ? ['Ctrl-C stop (nothing is deleted twice)'] : ['Enter confirm', 'Esc back']}>
      {rollback.lines.map((line) => (
        <Text key={line}>{line}</Text>
      ))}
      {rollback.status === 'confirm' ? (
        <Box marginTop={1} flexDirection="column">
          <Text bold>{`Type ${rollback.environment} to delete these from WorkOS:`}</Text>
          <LineInput
            key={attempt}
            required={`Type ${rollback.environment} to confirm, or Esc to go back.`}
            onSubmit={(value) => {
              void actions.confirmRollback(value).then((r) => {
                setRefusal(r.ok ? undefined : r.message);
                if (!r.ok) setAttempt((n) => n + 1);
              });
            }}
          />
          {refusal ? <Text color="yellow">{refusal}</Text> : null}
        </Box>
      ) : null}
      {running ? <Text>{`Deleting${rollback.progress ? ` ${rollback.progress.kind}s: ${rollback.progress.done.toLocaleString('en-US')}/${rollback.progress.total.toLocaleString('en-US')}` : '...'}`}</Text> : null}
      {rollback.message ? <Text color={rollback.status === 'done' ? 'green' : rollback.status === 'error' ? 'red' : 'yellow'}>{rollback.message}</Text> : null}
    </Frame>
  );
}
