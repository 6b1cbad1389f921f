import { Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React from 'react';
import { eta, Frame, number, PathLine, plural, StatusLine, useShownPath, useWizard } from './ui.js';

export function Export() {
  const status = useWizard((s) => s.exportStatus);
  const progress = useWizard((s) => s.exportProgress);
  const journalPath = useWizard((s) => s.journalPath);
  const actions = useWizard((s) => s.actions);
  const shown = useShownPath();
  useInput((input, key) => {
    if (key.ctrl) return;
    if ((status.state === 'error' || status.stopped) && input === 'r') void actions.startExport();
  });
  const c = progress?.counts;
  return (
    <Frame step="export" keys={status.state === 'error' || status.stopped ? ['r retry', 'Ctrl-C quit'] : ['Ctrl-C stop (resumes from the last page)']}>
      <Text>Reading the source into the journal, page by page.</Text>
      {journalPath ? <PathLine>{shown(journalPath)}</PathLine> : null}
      <Box marginTop={1} flexDirection="column">
        {status.state === 'running' ? <Spinner label={progress ? `${number(c!.done)} ${progress.unit} read` : 'Starting...'} /> : null}
        {progress ? (
          <Text dimColor>
            {`${plural(c!.created, 'user')} staged · ${plural(c!.skipped, 'problem')} noted · ${number(Math.round(progress.ratePerSecond))} ${progress.unit}/s`}
            {progress.etaSeconds !== undefined ? ` · ETA ${eta(progress.etaSeconds)}` : ''}
          </Text>
        ) : null}
        {status.state === 'error' ? <StatusLine status="error">{status.message}</StatusLine> : null}
        {/* A stop is the operator's own choice: said plainly, not as a failure. */}
        {status.stopped ? <StatusLine status="warn">{status.message}</StatusLine> : null}
      </Box>
    </Frame>
  );
}
