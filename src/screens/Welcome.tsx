import { Select } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React, { useEffect } from 'react';
import { Frame, useWizard } from './ui.js';

const NEW = '__new__';

export function Welcome() {
  const journals = useWizard((s) => s.journals);
  const banner = useWizard((s) => s.banner);
  const actions = useWizard((s) => s.actions);
  useEffect(() => actions.refreshJournals(), [actions]);
  useInput((input, key) => {
    if (input === 'q' && !key.ctrl) actions.quit(0);
  });

  const options = [
    ...journals.map((j) => {
      const c = j.counts;
      const done = c.user.done + c.organization.done + c.membership.done;
      const total = c.user.total + c.organization.total + c.membership.total;
      return {
        value: j.path,
        label: `Resume ${j.source} · ${j.phase} · ${done}/${total} records · ${c.user.failed + c.membership.failed + c.organization.failed} failed · ${j.lastActivity?.replace('T', ' ').slice(0, 16) ?? ''}`,
      };
    }),
    { value: NEW, label: 'Start a new migration' },
  ];

  return (
    <Frame step="welcome" keys={['↑↓ choose', 'Enter open', 'q quit']}>
      <Text>Moves users, organizations, memberships, roles and password hashes into WorkOS.</Text>
      {banner ? <Text color="yellow">{banner}</Text> : null}
      <Box marginTop={1} flexDirection="column">
        <Text bold>{journals.length ? `Migrations in .workos-migrate/ (${journals.length})` : 'No migration in .workos-migrate/ yet.'}</Text>
        <Select
          options={options}
          visibleOptionCount={8}
          onChange={(value) => {
            if (value === NEW) actions.startNew();
            else void actions.resume(value);
          }}
        />
      </Box>
    </Frame>
  );
}
