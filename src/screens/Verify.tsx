import { Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React, { useState } from 'react';
import { Frame, Menu, number, PathLine, StatusLine, useListRows, useShownPath, useWizard } from './ui.js';

const ICON = { pass: '✔', fail: '✖', warn: '!', info: '•' } as const;

/**
 * The checklist after the import: every check, the hand-offs (Admin Portal links, password
 * resets, MFA re-enrolment) in words, and the operator's own ticks, as one list that pages at
 * the terminal's height. Enter on a check or a hand-off shows its examples; on a tick, ticks it.
 */
export function Verify() {
  const status = useWizard((s) => s.verifyStatus);
  const progress = useWizard((s) => s.verifyProgress);
  const report = useWizard((s) => s.verify);
  const handoffs = useWizard((s) => s.handoffs);
  const ticks = useWizard((s) => s.manualTicks);
  const actions = useWizard((s) => s.actions);
  const [open, setOpen] = useState<string | undefined>();
  const [escNote, setEscNote] = useState(false);
  const shown = useShownPath();
  const rows = useListRows(6 + (open ? 5 : 0));
  const failed = report?.checks.some((c) => c.status === 'fail') ?? false;
  useInput((input, key) => {
    if (key.ctrl) return;
    // The migration is in WorkOS: nothing to go back to. Said, not ignored.
    if (key.escape) setEscNote(true);
    if (input === 'q') actions.quit(status.state === 'error' || failed ? 1 : 0, failed ? 'Some checks failed: see the report files.' : undefined);
    if (input === 'r' && status.state !== 'running') void actions.runVerify();
  });
  const items = report
    ? [
        // A failing check shows its first examples at once: what failed is read before anything else.
        ...report.checks.map((check) => ({
          value: `check:${check.id}`,
          label: [`${ICON[check.status]} ${check.label}: ${check.detail}`, ...(check.status === 'fail' ? (check.examples ?? []).slice(0, 3).map((e) => `    ${e}`) : [])].join('\n'),
        })),
        ...handoffs.map((h) => ({ value: `handoff:${h.id}`, label: `→ ${h.text}` })),
        ...report.manual.map((m) => ({ value: `tick:${m.id}`, label: `${ticks[m.id] ? '☑' : '☐'} ${m.label}` })),
      ]
    : [];
  const examples = open?.startsWith('check:')
    ? (report?.checks.find((c) => `check:${c.id}` === open)?.examples ?? [])
    : open?.startsWith('handoff:')
      ? (handoffs.find((h) => `handoff:${h.id}` === open)?.examples ?? [])
      : [];
  return (
    <Frame step="verify" keys={['↑↓ choose', 'Enter details / tick', 'r check again', 'q quit']}>
      {status.state === 'running' ? (
        <Spinner label={progress ? `Checking ${progress.check} against WorkOS: ${number(progress.done)}/${number(progress.total)}` : 'Checking against WorkOS...'} />
      ) : null}
      {status.state === 'error' ? <StatusLine status="error">{status.message}</StatusLine> : null}
      {report ? (
        <Box flexDirection="column">
          <Menu
            items={items}
            rows={rows}
            onSelect={(value) => {
              if (value.startsWith('tick:')) actions.tick(value.slice(5));
              else setOpen((current) => (current === value ? undefined : value));
            }}
          />
          {open ? (
            <Box flexDirection="column" borderStyle="round" paddingX={1}>
              {examples.length ? examples.map((e, i) => <Text key={i}>{e}</Text>) : <Text dimColor>no examples</Text>}
            </Box>
          ) : null}
          <Text bold>For you to tick: the ☐ lines above.</Text>
          <PathLine label="Reports: summary.md, the id map, failures and password resets, in">{shown(report.reports.dir)}</PathLine>
        </Box>
      ) : null}
      {escNote ? <StatusLine status="info">The migration is in WorkOS; there is no step to go back to. q leaves (the reports stay), r checks again.</StatusLine> : null}
    </Frame>
  );
}
