import { Box, Text } from 'ink';
import React from 'react';
import { Frame, Menu, useListRows, useWizard } from './ui.js';

export function Source() {
  const sources = useWizard((s) => s.sources);
  const current = useWizard((s) => s.sourceKind);
  const actions = useWizard((s) => s.actions);
  const available = sources.filter((s) => s.available);
  const unavailable = sources.filter((s) => !s.available);
  // The sources not available yet take a line each: the list of those to choose pages in the rest.
  const rows = useListRows(1 + (unavailable.length ? 2 + unavailable.length : 0));
  return (
    <Frame step="source" keys={['↑↓ choose', 'Enter select', 'Esc back']}>
      <Text bold>Where are your users now?</Text>
      <Menu
        items={available.map((s) => ({ value: s.kind, label: `${s.name}: ${s.brings}` }))}
        initial={current}
        rows={rows}
        onSelect={(kind) => actions.chooseSource(kind)}
        onKey={(_input, key) => {
          if (key.escape) actions.back();
        }}
      />
      {unavailable.length ? (
        <Box marginTop={1} flexDirection="column">
          <Text dimColor>Not available yet:</Text>
          {unavailable.map((s) => (
            <Box key={s.kind} paddingLeft={2}>
              <Text dimColor wrap="truncate-end">{`${s.name}: ${s.brings}`}</Text>
            </Box>
          ))}
        </Box>
      ) : null}
    </Frame>
  );
}
