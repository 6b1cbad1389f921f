import { Box, Text, useInput } from 'ink';
import React, { useEffect, useState } from 'react';
import type { ImportPhase, ProgressEvent } from '../store/wizard.js';
import { eta, Frame, PathLine, ProgressRow, StatusLine, useShownPath, useWizard } from './ui.js';

const PHASES: ImportPhase[] = ['organizations', 'users', 'memberships', 'factors'];

/** Seconds since a moment, redrawn every second while `running` (the clock of the whole import). */
function useElapsed(since: number | undefined, until: number | undefined, running: boolean): number | undefined {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return since === undefined ? undefined : ((until ?? now) - since) / 1000;
}

/**
 * The whole import's time left: the records not finished in every phase (the plan's counts for
 * the phases not started yet) at the pace of the phase running now, never above its limit.
 */
function overallEta(progress: Partial<Record<ImportPhase, ProgressEvent>>, planned: Partial<Record<ImportPhase, number>>): number | undefined {
  const current = PHASES.map((p) => progress[p]).filter(Boolean).at(-1);
  if (!current) return undefined;
  const rate = Math.min(current.ratePerSecond, current.ceilingPerSecond ?? Infinity);
  if (!(rate > 0)) return undefined;
  let left = 0;
  for (const phase of PHASES) {
    const c = progress[phase]?.counts;
    left += c ? Math.max(0, c.total - c.done - c.failed - c.skipped) : (planned[phase] ?? 0);
  }
  return left / rate;
}

export function Import() {
  const progress = useWizard((s) => s.importProgress);
  const status = useWizard((s) => s.importStatus);
  const timing = useWizard((s) => s.importTiming);
  const plan = useWizard((s) => s.plan);
  const journalPath = useWizard((s) => s.journalPath);
  const resumeCommand = useWizard((s) => s.resumeCommand);
  const actions = useWizard((s) => s.actions);
  const [escNote, setEscNote] = useState(false);
  const shown = useShownPath();
  const running = status.state === 'running';
  const elapsed = useElapsed(timing.startedAt, timing.finishedAt, running);
  useInput((input, key) => {
    if (key.ctrl) return; // Ctrl-C is the shell's: it stops the import cleanly.
    // Esc cannot take an import back: say what does what here instead of ignoring it.
    if (key.escape) setEscNote(true);
    if (input === 'p' && running) actions.togglePause();
    if (input === 'r' && status.state === 'error') void actions.startImport();
    if (input === 'q' && (status.stopped || status.state === 'error')) actions.quit(status.stopped ? 130 : 1, status.message);
  });
  const done = status.state === 'ok' && !status.stopped;
  // Done: Verify follows by itself in a moment, nothing to press.
  const keys = running ? [status.paused ? 'p resume' : 'p pause', 'Ctrl-C stop cleanly'] : status.state === 'error' ? ['r retry', 'q quit'] : done ? [] : ['q quit'];
  const planned = plan ? { organizations: plan.counts.organization.pending, users: plan.counts.user.pending, memberships: plan.counts.membership.pending } : {};
  const left = running && !status.paused ? overallEta(progress, planned) : undefined;
  const clock = [
    elapsed !== undefined ? `Elapsed ${eta(elapsed)}` : '',
    done ? 'done' : status.paused ? 'paused' : left !== undefined ? `about ${eta(left)} left in all` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  // Failed records and notices are drawn above this frame by the app's log (app.tsx).
  return (
    <Frame step="import" keys={keys}>
      <ProgressRow label="organizations" progress={progress.organizations} paused={status.paused} />
      <ProgressRow label="users" progress={progress.users} paused={status.paused} />
      <ProgressRow label="memberships" progress={progress.memberships} paused={status.paused} />
      {/* Only when the source gave TOTP secrets to enroll. */}
      {progress.factors?.counts.total ? <ProgressRow label="TOTP factors" progress={progress.factors} paused={status.paused} /> : null}
      {clock ? <Text dimColor>{clock}</Text> : null}
      <Box marginTop={1} flexDirection="column">
        {done ? <StatusLine status="ok">{`Import done${elapsed !== undefined ? ` in ${eta(elapsed)}` : ''}. Checking it against WorkOS next...`}</StatusLine> : null}
        {status.paused ? <StatusLine status="warn">Paused: calls in flight finish, nothing new starts. Press p to go on.</StatusLine> : null}
        {status.stopping && running ? <StatusLine status="running">Stopping: letting calls in flight finish...</StatusLine> : null}
        {status.stopped ? (
          <>
            <StatusLine status="warn">Stopped; the journal is consistent. Resume with:</StatusLine>
            <PathLine dim={false}>{resumeCommand ?? `workos-migrate resume --journal ${shown(journalPath ?? '')}`}</PathLine>
          </>
        ) : null}
        {status.state === 'error' ? <StatusLine status="error">{status.message}</StatusLine> : null}
        {escNote && running ? <StatusLine status="info">An import does not go back. p pauses it; Ctrl-C stops it cleanly, to resume later.</StatusLine> : null}
      </Box>
    </Frame>
  );
}
