import { Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { Frame, LineInput, Menu, StatusLine, useListRows, useWizard } from './ui.js';

type Mode = { name: 'field'; index: number } | { name: 'review' } | { name: 'pick-column' } | { name: 'pick-field'; column: string };

/**
 * Which field has the cursor, and whether the mapping is being edited: view state only. Coming
 * back to a source already checked (Esc from the next step) opens its review, not its first field.
 */
function useSourceAuthMode(fieldCount: number, checked: boolean) {
  const [mode, setCurrent] = useState<Mode>(checked ? { name: 'review' } : { name: 'field', index: 0 });
  const [reviewed, setReviewed] = useState(checked);
  const setMode = (next: Mode) => {
    if (next.name === 'review') setReviewed(true);
    setCurrent(next);
  };
  const nextField = (index: number) => setMode(index + 1 < fieldCount ? { name: 'field', index: index + 1 } : { name: 'review' });
  return { mode, setMode, nextField, reviewed };
}

export function SourceAuth() {
  const fields = useWizard((s) => s.sourceFields);
  const kind = useWizard((s) => s.sourceKind);
  const check = useWizard((s) => s.sourceCheck);
  const inspection = useWizard((s) => s.fileInspection);
  const suggestions = useWizard((s) => s.pathSuggestions);
  const mappable = useWizard((s) => s.mappableFields);
  const actions = useWizard((s) => s.actions);
  const { mode, setMode, nextField, reviewed } = useSourceAuthMode(fields.length, check.state === 'ok');
  const pickerRows = useListRows(fields.length + 4);

  useInput((input, key) => {
    if (check.state === 'running' || key.ctrl) return;
    if (mode.name === 'field') {
      // Typing: only Esc is ours (the input ignores it): back to the review once there is one.
      if (key.escape) {
        if (reviewed) setMode({ name: 'review' });
        else actions.back();
      }
      return;
    }
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
      ? ['type the value', ...(kind === 'file' && suggestions.length ? ['Tab complete'] : []), 'Enter next', 'Esc back']
      : mode.name === 'review'
        ? [check.state === 'ok' ? 'Enter continue' : 'r check again', 'e edit', ...(inspection ? ['m change a column'] : []), 'Esc back']
        : ['↑↓ choose', 'Enter select', 'Esc cancel'];

  return (
    <Frame step="source-auth" keys={keys}>
      {fields.map((field, index) => {
        const editing = mode.name === 'field' && mode.index === index;
        // Where a value came from goes after it, or under it when the two do not fit on one line.
        const origin = field.fromEnv ? <Text dimColor>{` (from ${field.fromEnv})`}</Text> : null;
        // Wizard words for an empty required field, said on the field (not a flag of the headless CLI).
        const required = field.optional ? undefined : `${field.label} is needed: type it, or Esc to go back.`;
        return (
          <Box key={field.name}>
            {/* The field being typed into is marked by a character, not only by a cursor's color (NO_COLOR). */}
            <Box flexShrink={0} width={2}>
              <Text color="cyan" bold>
                {editing ? '›' : ' '}
              </Text>
            </Box>
            <Box flexShrink={0}>
              <Text bold={editing}>{`${field.label}: `}</Text>
            </Box>
            <Box flexWrap="wrap" flexShrink={1}>
              {editing ? (
                field.secret ? (
                  <LineInput
                    mask
                    placeholder={field.fromEnv ? `(from ${field.fromEnv}; Enter keeps it)` : field.value ? '(Enter keeps the one given)' : ''}
                    required={field.value ? undefined : required}
                    onSubmit={(v) => submit(field.name, index)(v || field.value)}
                  />
                ) : (
                  <>
                    <LineInput defaultValue={field.value} required={required} suggestions={kind === 'file' ? suggestions : undefined} onSubmit={submit(field.name, index)} />
                    {origin}
                  </>
                )
              ) : (
                <>
                  {/* A secret shows that it is set, not its length. */}
                  <Text>{field.secret ? (field.value ? '•'.repeat(12) : '') : field.value}</Text>
                  {origin}
                </>
              )}
            </Box>
          </Box>
        );
      })}
      <Box marginTop={1} flexDirection="column">
        {check.state === 'running' ? <Spinner label="Checking the source..." /> : null}
        {check.state === 'error' ? <StatusLine status="error">{check.message}</StatusLine> : null}
        {check.state === 'ok' ? <StatusLine status="ok">{check.summary}</StatusLine> : null}
      </Box>
      {inspection && check.state !== 'running' && mode.name !== 'pick-column' && mode.name !== 'pick-field' ? (
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
          <Menu rows={pickerRows} items={inspection.columns.map((c) => ({ value: c, label: c }))} onSelect={(column) => setMode({ name: 'pick-field', column })} />
        </Box>
      ) : null}
      {mode.name === 'pick-field' ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{`"${mode.column}" holds:`}</Text>
          <Menu
            rows={pickerRows}
            initial={inspection?.mapping[mode.column]}
            items={[...mappable, `metadata.${mode.column}`].map((f) => ({ value: f, label: f }))}
            onSelect={(field) => {
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
