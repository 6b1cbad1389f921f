/** Runs the wizard in the terminal: one store per run, the app as its only subscriber. */
import { render } from 'ink';
import React from 'react';
import { App } from './app.js';
import { createWizardStore, type WizardDeps, type WizardState } from './store/wizard.js';

const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * What the shell keeps once the wizard is gone: what was done, what to do next, where the files
 * are. Commands and paths each get a line of their own, so a terminal's wrap never breaks one
 * mid-word for a person copying it. Nothing at all when no migration was begun.
 */
export function closingLines(state: WizardState): string[] {
  const journal = state.journalPath;
  if (!journal) return [];
  const lines: string[] = [''];
  const report = state.verify;
  if (report) {
    const c = state.plan?.counts;
    const failedChecks = report.checks.filter((check) => check.status === 'fail').length;
    lines.push(
      c
        ? `Done: ${count(c.user.done, 'user')}, ${count(c.organization.done, 'organization')} and ${count(c.membership.done, 'membership')} are in WorkOS.`
        : 'Done: the migration is in WorkOS.',
    );
    if (failedChecks) lines.push(`${count(failedChecks, 'check')} failed: summary.md says which records and why.`);
    lines.push('', 'What to do next:');
    // The engine's own next steps (hand-off commands, resets, ids), else the hand-offs in words.
    if (state.nextSteps?.length) for (const step of state.nextSteps) lines.push(`- ${step}`);
    else {
      for (const h of state.handoffs) lines.push(`- ${h.text}`);
      lines.push("- Store each user's WorkOS id in your database: id-map.sql in the reports.");
    }
    const failedRecords = c ? c.user.failed + c.organization.failed + c.membership.failed : 0;
    if (failedRecords) lines.push(`- Once the cause is fixed, retry the ${count(failedRecords, 'record')} that failed with:`, `  workos-migrate run --retry-failed --journal ${journal}`);
    lines.push('', 'Where the files are:', `  reports: ${report.reports.dir}`, `  journal: ${journal}`);
    return lines;
  }
  const stopped = state.importStatus.stopped || state.importStatus.state === 'running' || state.exportStatus.stopped;
  lines.push(
    stopped ? 'Stopped: the journal is consistent; nothing is lost.' : `Not finished: ${state.importStatus.state === 'idle' ? 'nothing was written to WorkOS yet.' : 'the import did not complete.'}`,
    '',
    'What to do next: go on where it stopped with',
    `  ${state.resumeCommand ?? `workos-migrate resume --journal ${journal}`}`,
    state.resumeCommand ? '  (its first screen offers the stopped run)' : '  (or run workos-migrate again and choose Resume)',
    '',
    'Where the files are:',
    `  journal: ${journal}`,
  );
  return lines;
}

/**
 * After a change of width, the screen is cleared before Ink draws again: the terminal has
 * re-wrapped the old frame's lines, so erasing as many lines as Ink drew left parts of it behind
 * (ghost headers that stayed into Verify). The frame follows the new width on its own.
 */
function clearOnResize(stdout: NodeJS.WriteStream): () => void {
  let columns = stdout.columns;
  const onResize = () => {
    if (stdout.columns === columns) return;
    columns = stdout.columns;
    stdout.write('\u001B[2J\u001B[H');
  };
  // Before Ink's own listener, so that it draws onto the cleared screen.
  stdout.prependListener('resize', onResize);
  return () => stdout.off('resize', onResize);
}

export async function runWizard(deps: WizardDeps, start?: { verifyJournal?: string }): Promise<number> {
  const store = createWizardStore(deps);
  if (start?.verifyJournal) void store.getState().actions.verifyJournal(start.verifyJournal);
  const stopClearing = clearOnResize(process.stdout);
  // Ctrl-C is the app's: it stops the import cleanly instead of killing the process.
  const instance = render(<App store={store} />, { exitOnCtrlC: false, patchConsole: true });
  await instance.waitUntilExit();
  stopClearing();
  const state = store.getState();
  const exit = state.exit ?? { code: 0 };
  state.actions.dispose();
  const closing = closingLines(state);
  // An error's message is said even with the closing block; a stop's is the block itself.
  if (exit.message && (!closing.length || exit.code === 1)) process.stderr.write(`${exit.message}\n`);
  if (closing.length) process.stdout.write(`${closing.join('\n')}\n`);
  return exit.code;
}
