import { PasswordInput, Select, Spinner, TextInput } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { Frame, StatusLine, useWizard } from './ui.js';

type Mode = { name: 'field'; index: number } | { name: 'review' } | { name: 'pick-column' } | { name: 'pick-field'; column: string };

/** Which field has the cursor, and whether the mapping is being edited: view state only. */
function useSourceAuthMode(fieldCount: number) {
  const [mode, setMode] = useState<Mode>({ name: 'field', index: 0 });
  const nextField = (index: number) => setMode(index + 1 < fieldCount ? { name: 'field', index: index + 1 } : { name: 'review' });
  return { mode, setMode, nextField };
}

export function SourceAuth() {
  const fields = useWizard((s) => s.sourceFields);
  const kind = useWizard((s) => s.sourceKind);
  const check = useWizard((s) => s.sourceCheck);
  const inspection = useWizard((s) => s.fileInspection);
  const suggestions = useWizard((s) => s.pathSuggestions);
  const mappable = useWizard((s) => s.mappableFields);
  const actions = useWizard((s) => s.actions);
  const { mode, setMode, nextField } = useSourceAuthMode(fields.length);

  useInput((input, key) => {
    if (mode.name === 'field' || check.state === 'running') return;
    if (key.escape) {
      if (mode.name === 'review') actions.back();
      else setMode({ name: 'review' });
      return;
    }
    if (mode.name !== 'review') return;
    if (key.return && check.state === 'ok') actions.goTo('workos-auth');
    else if (input === 'e') setMode({ name: 'field', index: 0 });
    else if (input === 'm' && inspection) setMode({ name: 'pick-column' });
    else if (input === 'r') void actions.checkSource();
  });

  const submit = (name: string, index: number) => (value: string) => {
    actions.setField(name, value);
    nextField(index);
    if (index + 1 >= fields.length) void actions.checkSource();
  };

  const keys =
    mode.name === 'field'
      ? ['type the value', 'Tab complete', 'Enter next']
      : mode.name === 'review'
        ? [check.state === 'ok' ? 'Enter continue' : 'r check again', 'e edit', ...(inspection ? ['m change a column'] : []), 'Esc back']
        : ['↑↓ choose', 'Enter select', 'Esc cancel'];

  return (
    <Frame step="source-auth" keys={keys}>
      {fields.map((field, index) => {
        const editing = mode.name === 'field' && mode.index === index;
        return (
          <Box key={field.name}>
            <Text>{`${field.label}: `}</Text>
            {editing ? (
              field.secret ? (
                <PasswordInput placeholder={field.fromEnv ? `(from ${field.fromEnv})` : ''} onSubmit={(v) => submit(field.name, index)(v || field.value)} />
              ) : (
                <TextInput defaultValue={field.value} suggestions={kind === 'file' ? suggestions : undefined} onSubmit={submit(field.name, index)} />
              )
            ) : (
              <Text>
                {field.secret ? '•'.repeat(Math.min(12, field.value.length)) : field.value}
                {field.fromEnv ? <Text dimColor>{` (from ${field.fromEnv})`}</Text> : null}
              </Text>
            )}
          </Box>
        );
      })}
      <Box marginTop={1} flexDirection="column">
        {check.state === 'running' ? <Spinner label="Checking the source..." /> : null}
        {check.state === 'error' ? <StatusLine status="error">{check.message}</StatusLine> : null}
        {check.state === 'ok' ? <StatusLine status="ok">{check.summary}</StatusLine> : null}
      </Box>
      {inspection && check.state !== 'running' ? (
        <Box marginTop={1} flexDirection="column">
          <Text bold>{`Columns (${inspection.format}${inspection.delimiter ? `, "${inspection.delimiter === '\t' ? 'tab' : inspection.delimiter}" separated` : ''}):`}</Text>
          {inspection.columns.slice(0, 14).map((column) => (
            <Text key={column}>
              {`  ${column.padEnd(28).slice(0, 28)} → `}
              <Text color={inspection.mapping[column] ? 'green' : undefined} dimColor={!inspection.mapping[column]}>
                {inspection.mapping[column] ?? 'not imported'}
              </Text>
            </Text>
          ))}
          {inspection.columns.length > 14 ? <Text dimColor>{`  ... ${inspection.columns.length - 14} more`}</Text> : null}
        </Box>
      ) : null}
      {mode.name === 'pick-column' && inspection ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>Which column?</Text>
          <Select options={inspection.columns.map((c) => ({ value: c, label: c }))} onChange={(column) => setMode({ name: 'pick-field', column })} />
        </Box>
      ) : null}
      {mode.name === 'pick-field' ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{`"${mode.column}" holds:`}</Text>
          <Select
            options={[...mappable, `metadata.${mode.column}`].map((f) => ({ value: f, label: f }))}
            onChange={(field) => {
              actions.setColumnField(mode.column, field);
              setMode({ name: 'review' });
              void actions.checkSource();
            }}
          />
        </Box>
      ) : null}
    </Frame>
  );
}
