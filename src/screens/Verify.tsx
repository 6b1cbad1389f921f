import { Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React from 'react';
import { Frame, Menu, StatusLine, useWizard } from './ui.js';

export function Verify() {
  const status = useWizard((s) => s.verifyStatus);
  const progress = useWizard((s) => s.verifyProgress);
  const report = useWizard((s) => s.verify);
  const ticks = useWizard((s) => s.manualTicks);
  const actions = useWizard((s) => s.actions);
  const failed = report?.checks.some((c) => c.status === 'fail') ?? false;
  useInput((input, key) => {
    if (key.ctrl) return;
    if (input === 'q') actions.quit(status.state === 'error' || failed ? 1 : 0, failed ? 'Some checks failed: see the report files.' : undefined);
    if (input === 'r' && status.state !== 'running') void actions.runVerify();
  });
  return (
    <Frame step="verify" keys={['Enter tick / untick', 'r check again', 'q quit']}>
      {status.state === 'running' ? (
        <Spinner label={progress ? `Checking ${progress.check} against WorkOS: ${progress.done}/${progress.total}` : 'Checking against WorkOS...'} />
      ) : null}
      {status.state === 'error' ? <StatusLine status="error">{status.message}</StatusLine> : null}
      {report ? (
        <Box flexDirection="column">
          {report.checks.map((check) => (
            <Box key={check.id} flexDirection="column">
              <StatusLine status={check.status}>
                <Text bold>{check.label}</Text>
                {`: ${check.detail}`}
              </StatusLine>
              {check.examples?.map((e) => (
                <Text key={e} dimColor wrap="truncate-end">{`    ${e}`}</Text>
              ))}
            </Box>
          ))}
          <Box marginTop={1} flexDirection="column">
            <Text bold>For you to tick:</Text>
            <Menu items={report.manual.map((m) => ({ value: m.id, label: `${ticks[m.id] ? '☑' : '☐'} ${m.label}` }))} onSelect={(id) => actions.tick(id)} />
          </Box>
          <Text dimColor>{`Reports: ${report.reports.dir}`}</Text>
        </Box>
      ) : null}
    </Frame>
  );
}
