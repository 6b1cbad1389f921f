import { Box, Text, useInput } from 'ink';
import React from 'react';
import { Frame, ProgressRow, StatusLine, useWizard } from './ui.js';

export function Import() {
  const progress = useWizard((s) => s.importProgress);
  const status = useWizard((s) => s.importStatus);
  const journalPath = useWizard((s) => s.journalPath);
  const actions = useWizard((s) => s.actions);
  useInput((input, key) => {
    if (key.ctrl) return; // Ctrl-C is the shell's: it stops the import cleanly.
    if (input === 'p' && status.state === 'running') actions.togglePause();
    if (input === 'r' && status.state === 'error') void actions.startImport();
    if (input === 'q' && (status.stopped || status.state === 'error')) actions.quit(status.stopped ? 130 : 1, status.message);
  });
  const keys = status.state === 'running' ? [status.paused ? 'p resume' : 'p pause', 'Ctrl-C stop cleanly'] : status.state === 'error' ? ['r retry', 'q quit'] : ['q quit'];
  // Failed records and notices are drawn above this frame by the app's log (app.tsx).
  return (
    <Frame step="import" keys={keys}>
      <ProgressRow label="organizations" progress={progress.organizations} />
      <ProgressRow label="users" progress={progress.users} />
      <ProgressRow label="memberships" progress={progress.memberships} />
      {/* Only when the source gave TOTP secrets to enroll. */}
      {progress.factors?.counts.total ? <ProgressRow label="TOTP factors" progress={progress.factors} /> : null}
      <Box marginTop={1} flexDirection="column">
        {status.paused ? <StatusLine status="warn">Paused: calls in flight finish, nothing new starts. Press p to go on.</StatusLine> : null}
        {status.stopping && status.state === 'running' ? <StatusLine status="running">Stopping: letting calls in flight finish...</StatusLine> : null}
        {status.stopped ? <StatusLine status="warn">{`Stopped; the journal is consistent. Resume with: workos-migrate resume --journal ${journalPath}`}</StatusLine> : null}
        {status.state === 'error' ? <StatusLine status="error">{status.message}</StatusLine> : null}
      </Box>
    </Frame>
  );
}
