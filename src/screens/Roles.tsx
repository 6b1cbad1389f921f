import { Select, Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { Frame, LineInput, StatusLine, useWizard } from './ui.js';

const DEFAULT = '__default__';
type Mode = { name: 'list' } | { name: 'pick'; role: string } | { name: 'type'; role: string };

export function Roles() {
  const roles = useWizard((s) => s.roles);
  const actions = useWizard((s) => s.actions);
  const [mode, setMode] = useState<Mode>({ name: 'list' });
  const [message, setMessage] = useState<string | undefined>();

  useInput((input, key) => {
    // Ctrl-C arrives as "c" with ctrl: it quits (the shell's), it must not confirm and start the import.
    if (key.ctrl) return;
    // While the roles load, or after they failed to: only Esc.
    if (roles.status.state !== 'ok') {
      if (key.escape) actions.back();
      return;
    }
    if (mode.name === 'type') {
      if (key.escape) setMode({ name: 'pick', role: mode.role });
      return;
    }
    if (key.escape) {
      if (mode.name === 'pick') setMode({ name: 'list' });
      else actions.back();
    } else if (mode.name === 'pick' && input === 't') setMode({ name: 'type', role: mode.role });
    else if (mode.name === 'list' && input === 'c') {
      const result = actions.confirmRoles();
      setMessage(result.ok ? undefined : result.message);
    }
  });

  const apply = (role: string, slug: string) => {
    const result = role === DEFAULT ? actions.setDefaultRole(slug) : actions.mapRole(role, slug);
    setMessage(result.ok ? undefined : result.message);
    setMode({ name: 'list' });
  };

  if (roles.status.state === 'running' || roles.status.state === 'idle') {
    return (
      <Frame step="roles" keys={['Esc back']}>
        <Spinner label="Reading the WorkOS environment's roles..." />
      </Frame>
    );
  }
  if (roles.status.state === 'error') {
    return (
      <Frame step="roles" keys={['Esc back']}>
        <StatusLine status="error">{roles.status.message}</StatusLine>
      </Frame>
    );
  }

  const rows = [
    ...roles.usage.map((u) => ({ value: u.slug, label: `${u.slug.padEnd(24)} ${String(u.members).padStart(7)} members → ${roles.mapping[u.slug] ?? (roles.defaultRole ? `${roles.defaultRole} (default)` : 'not mapped')}` })),
    { value: DEFAULT, label: `${'(any unmapped role)'.padEnd(24)} ${''.padStart(15)} → ${roles.defaultRole ?? 'none'}` },
  ];
  const keys =
    mode.name === 'list' ? ['↑↓ choose', 'Enter change', 'c confirm and start the import', 'Esc back'] : mode.name === 'pick' ? ['↑↓ choose', 'Enter select', 't type a slug', 'Esc cancel'] : ['Enter check', 'Esc cancel'];
  return (
    <Frame step="roles" keys={keys}>
      <Text>{`Each source role becomes a role of the WorkOS environment (${roles.environmentRoles.map((r) => r.slug).join(', ')}).`}</Text>
      <Box marginTop={1} flexDirection="column">
        {mode.name === 'list' ? (
          <Select options={rows} visibleOptionCount={10} onChange={(role) => setMode({ name: 'pick', role })} />
        ) : (
          <>
            <Text bold>{mode.role === DEFAULT ? 'Default for unmapped roles:' : `${mode.role} becomes:`}</Text>
            {mode.name === 'pick' ? (
              <Select options={roles.environmentRoles.map((r) => ({ value: r.slug, label: `${r.slug} (${r.name})` }))} onChange={(slug) => apply(mode.role, slug)} />
            ) : (
              <LineInput placeholder="role slug" onSubmit={(slug) => apply(mode.role, slug.trim())} />
            )}
          </>
        )}
      </Box>
      {message ? <StatusLine status="error">{message}</StatusLine> : null}
    </Frame>
  );
}
