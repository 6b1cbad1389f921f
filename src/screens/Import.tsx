import { Box, Static, Text, useInput } from 'ink';
import React from 'react';
import { Frame, ProgressRow, StatusLine, useWizard } from './ui.js';

export function Import() {
  const progress = useWizard((s) => s.importProgress);
  const status = useWizard((s) => s.importStatus);
  const lines = useWizard((s) => s.logLines);
  const journalPath = useWizard((s) => s.journalPath);
  const actions = useWizard((s) => s.actions);
  useInput((input) => {
    if (input === 'p' && status.state === 'running') actions.togglePause();
    if (input === 'r' && status.state === 'error') void actions.startImport();
    if (input === 'q' && (status.stopped || status.state === 'error')) actions.quit(status.stopped ? 130 : 1, status.message);
  });
  const keys = status.state === 'running' ? [status.paused ? 'p resume' : 'p pause', 'Ctrl-C stop cleanly'] : status.state === 'error' ? ['r retry', 'q quit'] : ['q quit'];
  return (
    <>
      {/* Finished lines are drawn once, above the live area, and never redrawn. */}
      <Static items={lines}>
        {(line) => (
          <Text key={line.id} color={line.level === 'error' ? 'red' : line.level === 'warning' ? 'yellow' : undefined} wrap="truncate-end">
            {line.text}
          </Text>
        )}
      </Static>
      <Frame step="import" keys={keys}>
        <ProgressRow label="organizations" progress={progress.organizations} />
        <ProgressRow label="users" progress={progress.users} />
        <ProgressRow label="memberships" progress={progress.memberships} />
        <Box marginTop={1} flexDirection="column">
          {status.paused ? <StatusLine status="warn">Paused: calls in flight finished; press p to go on.</StatusLine> : null}
          {status.stopping && status.state === 'running' ? <StatusLine status="running">Stopping: letting calls in flight finish...</StatusLine> : null}
          {status.stopped ? <StatusLine status="warn">{`Stopped; the journal is consistent. Resume with: workos-migrate resume --journal ${journalPath}`}</StatusLine> : null}
          {status.state === 'error' ? <StatusLine status="error">{status.message}</StatusLine> : null}
        </Box>
      </Frame>
    </>
  );
}
