import { Box, Text, useInput } from 'ink';
import React, { useEffect } from 'react';
import type { JournalListing } from '../services/migration.js';
import { Frame, Menu, number, useListRows, useWizard } from './ui.js';

const NEW = '__new__';
const SYNC = '__sync__:';
const ROLLBACK = '__rollback__:';

/** A migration in the journal folder, in words: a finished one is opened (to verify), not resumed. */
function listingLabel(j: JournalListing): string {
  const c = j.counts;
  const done = c.user.done + c.organization.done + c.membership.done;
  const total = c.user.total + c.organization.total + c.membership.total;
  const failed = c.user.failed + c.membership.failed + c.organization.failed;
  const finished = j.phase === 'imported' || j.phase === 'verified';
  return [
    `${finished ? 'Open (finished)' : 'Resume'} ${j.source} · ${j.phase}`,
    `${number(done)}/${number(total)} records`,
    `${number(failed)} failed`,
    j.lastActivity?.replace('T', ' ').slice(0, 16) ?? '',
  ]
    .filter(Boolean)
    .join(' · ');
}

export function Welcome() {
  const journals = useWizard((s) => s.journals);
  const banner = useWizard((s) => s.banner);
  const actions = useWizard((s) => s.actions);
  useEffect(() => actions.refreshJournals(), [actions]);
  // The banner and the heading take the rest of the rows: the list pages.
  const rows = useListRows(4 + (banner ? Math.ceil(banner.length / 60) : 0));

  // A finished migration can be synced with its source until cutover (dual-write, a leaked freeze).
  const options = [
    ...journals.flatMap((j) => [
      { value: j.path, label: listingLabel(j) },
      ...(j.phase === 'imported' || j.phase === 'verified'
        ? [
            { value: `${SYNC}${j.path}`, label: `  Sync ${j.source}: read the source again and carry what changed since (new, changed, deleted users)` },
            { value: `${ROLLBACK}${j.path}`, label: `  Roll back ${j.source}: delete from WorkOS what this migration created (never what it adopted)` },
          ]
        : []),
    ]),
    { value: NEW, label: 'Start a new migration' },
  ];

  return (
    <Frame step="welcome" keys={['↑↓ choose', 'Enter open', 'q quit']}>
      <Text>Moves users, organizations, memberships, roles and password hashes into WorkOS.</Text>
      {banner ? <Text color="yellow">{banner}</Text> : null}
      <Box marginTop={1} flexDirection="column">
        <Text bold>{journals.length ? `Migrations in .workos-migrate/ (${number(journals.length)})` : 'No migration in .workos-migrate/ yet.'}</Text>
        <Menu
          items={options}
          rows={rows}
          onSelect={(value) => {
            if (value === NEW) actions.startNew();
            else if (value.startsWith(SYNC)) void actions.sync(value.slice(SYNC.length));
            else if (value.startsWith(ROLLBACK)) actions.openRollback(value.slice(ROLLBACK.length));
            else void actions.resume(value);
          }}
          onKey={(input, key) => {
            if (input === 'q' && !key.ctrl) actions.quit(0);
          }}
        />
      </Box>
    </Frame>
  );
}
