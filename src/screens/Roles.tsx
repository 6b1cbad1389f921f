import { Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { grantsMore } from './roles-rank.js';
import { Frame, LineInput, Menu, plural, StatusLine, useListRows, useWizard, YesNo } from './ui.js';

const DEFAULT = '__default__';
type Mode =
  | { name: 'list' }
  | { name: 'pick'; role: string }
  | { name: 'type'; role: string }
  /** A mapping that grants more than the source role did, waiting for a y. */
  | { name: 'confirm'; role: string; slug: string };

export function Roles() {
  const roles = useWizard((s) => s.roles);
  const actions = useWizard((s) => s.actions);
  const [mode, setMode] = useState<Mode>({ name: 'list' });
  const [message, setMessage] = useState<string | undefined>();
  const [focusedRole, setFocusedRole] = useState<string | undefined>();
  const known = new Set(roles.environmentRoles.map((r) => r.slug));
  // Source roles this environment does not have and nobody mapped: they fall to the default, said plainly.
  const unknown = roles.usage.filter((u) => !known.has(u.slug) && !Object.hasOwn(roles.mapping, u.slug));
  const rows = useListRows(6 + (unknown.length ? 2 : 0));

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
      if (mode.name === 'pick' || mode.name === 'confirm') {
        setMode({ name: 'list' });
        setMessage(undefined);
      } else actions.back();
    } else if (mode.name === 'pick' && input === 't') setMode({ name: 'type', role: mode.role });
    else if (mode.name === 'list' && input === 'c') {
      const result = actions.confirmRoles();
      setMessage(result.ok ? undefined : result.message);
    }
  });

  const members = (role: string) => (role === DEFAULT ? unknown.reduce((n, u) => n + u.members, 0) : (roles.usage.find((u) => u.slug === role)?.members ?? 0));
  const apply = (role: string, slug: string, confirmed = false) => {
    if (!known.has(slug)) {
      const result = role === DEFAULT ? actions.setDefaultRole(slug) : actions.mapRole(role, slug);
      setMessage(result.message);
      setMode({ name: 'list' });
      return;
    }
    const current = role === DEFAULT ? roles.defaultRole : (roles.mapping[role] ?? roles.defaultRole);
    // Granting more than the source did is asked about, once, before it is kept.
    if (!confirmed && slug !== current && grantsMore(role === DEFAULT ? undefined : role, slug)) {
      setMode({ name: 'confirm', role, slug });
      setMessage(undefined);
      return;
    }
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

  const target = (slug: string) => roles.mapping[slug] ?? (roles.defaultRole ? `${roles.defaultRole} (default)` : 'not mapped');
  const items = [
    ...roles.usage.map((u) => ({
      value: u.slug,
      label: `${unknown.includes(u) ? '! ' : ''}${u.slug.padEnd(22)} ${plural(u.members, 'member').padStart(13)} → ${target(u.slug)}`,
    })),
    { value: DEFAULT, label: `${'(any unmapped role)'.padEnd(22)} ${''.padStart(13)} → ${roles.defaultRole ?? 'none'}` },
  ];
  const keys =
    mode.name === 'list'
      ? ['↑↓ choose', 'Enter change', 'c confirm and start the import', 'Esc back']
      : mode.name === 'pick'
        ? ['↑↓ choose', 'Enter select', 't type a slug', 'Esc cancel']
        : mode.name === 'confirm'
          ? ['y grant it', 'n or Enter keep the current role', 'Esc cancel']
          : ['Enter check', 'Esc cancel'];
  const pickedFor = mode.name === 'list' ? undefined : mode.role;
  return (
    <Frame step="roles" keys={keys}>
      <Text>{`Each source role becomes a role of the WorkOS environment (${roles.environmentRoles.map((r) => r.slug).join(', ')}).`}</Text>
      {unknown.length ? (
        <StatusLine status="warn">
          {`Not roles in WorkOS: ${unknown.map((u) => `${u.slug} (${plural(u.members, 'member')})`).join(', ')}. ${
            roles.defaultRole ? `They get the default, ${roles.defaultRole}, unless you map them.` : 'Map them or choose a default.'
          }`}
        </StatusLine>
      ) : null}
      <Box marginTop={1} flexDirection="column">
        {mode.name === 'list' ? (
          <Menu items={items} rows={rows} initial={focusedRole} onSelect={(role) => {
            setFocusedRole(role);
            setMode({ name: 'pick', role });
          }} />
        ) : (
          <>
            <Text bold>{pickedFor === DEFAULT ? 'Default for unmapped roles:' : `${pickedFor} becomes:`}</Text>
            {mode.name === 'pick' ? (
              // Opens on the role it has now: Enter Enter changes nothing.
              <Menu
                items={roles.environmentRoles.map((r) => ({ value: r.slug, label: `${r.slug} (${r.name})` }))}
                initial={mode.role === DEFAULT ? roles.defaultRole : (roles.mapping[mode.role] ?? roles.defaultRole)}
                rows={rows}
                onSelect={(slug) => apply(mode.role, slug)}
              />
            ) : mode.name === 'confirm' ? (
              <Box flexDirection="column">
                <StatusLine status="warn">
                  {`${mode.role === DEFAULT ? 'Every unmapped role' : `${mode.role} → ${mode.slug}`} gives ${plural(members(mode.role), 'member')} more than the source did${
                    mode.role === DEFAULT ? ` (${mode.slug})` : ''
                  }.`}
                </StatusLine>
                <Box>
                  <Text>{`Grant ${mode.slug}? `}</Text>
                  <YesNo defaultChoice="no" onYes={() => apply(mode.role, mode.slug, true)} onNo={() => setMode({ name: 'list' })} />
                </Box>
              </Box>
            ) : (
              <LineInput placeholder="role slug" required="Type a role slug, or Esc to pick one from the list." onSubmit={(slug) => apply(mode.role, slug.trim())} />
            )}
          </>
        )}
      </Box>
      {message ? <StatusLine status="error">{message}</StatusLine> : null}
    </Frame>
  );
}
