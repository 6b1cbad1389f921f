/** Runs the wizard in the terminal: one store per run, the app as its only subscriber. */
import { render } from 'ink';
import React from 'react';
import { App } from './app.js';
import { createWizardStore, type WizardDeps } from './store/wizard.js';

export async function runWizard(deps: WizardDeps, start?: { verifyJournal?: string }): Promise<number> {
  const store = createWizardStore(deps);
  if (start?.verifyJournal) void store.getState().actions.verifyJournal(start.verifyJournal);
  // Ctrl-C is the app's: it stops the import cleanly instead of killing the process.
  const instance = render(<App store={store} />, { exitOnCtrlC: false, patchConsole: true });
  await instance.waitUntilExit();
  const exit = store.getState().exit ?? { code: 0 };
  store.getState().actions.dispose();
  if (exit.message) process.stderr.write(`${exit.message}\n`);
  return exit.code;
}
