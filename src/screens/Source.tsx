import { Select } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React from 'react';
import { Frame, useWizard } from './ui.js';

export function Source() {
  const sources = useWizard((s) => s.sources);
  const actions = useWizard((s) => s.actions);
  useInput((_input, key) => {
    if (key.escape) actions.back();
  });
  const available = sources.filter((s) => s.available);
  return (
    <Frame step="source" keys={['↑↓ choose', 'Enter select', 'Esc back']}>
      <Text bold>Where are your users now?</Text>
      <Select options={available.map((s) => ({ value: s.kind, label: `${s.name}: ${s.brings}` }))} onChange={(kind) => actions.chooseSource(kind)} />
      {sources.some((s) => !s.available) ? (
        <Box marginTop={1} flexDirection="column">
          <Text dimColor>Not available yet:</Text>
          {sources
            .filter((s) => !s.available)
            .map((s) => (
              <Box key={s.kind} paddingLeft={2}>
                <Text dimColor>{`${s.name}: ${s.brings}`}</Text>
              </Box>
            ))}
        </Box>
      ) : null}
    </Frame>
  );
}
