#!/usr/bin/env node
/** The lifecycle root: the only place that exits. Signals become a clean stop request. */
import './no-color.js';
import { setMaxListeners } from 'node:events';
import { EXIT } from './headless/commands.js';
import { main } from './main.js';

const controller = new AbortController();
setMaxListeners(0, controller.signal);
let signals = 0;
const onSignal = () => {
  if (++signals > 1) process.exit(EXIT.stopped);
  process.stderr.write('\nStopping: letting calls in flight finish (Ctrl-C again to quit at once)...\n');
  controller.abort(new Error('stopped by the operator'));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
const code = await main(process.argv.slice(2), {
  // Decided once, up front: a person at a terminal gets the wizard; CI and pipes the headless runner.
  interactive: !!process.stdin.isTTY && !!process.stdout.isTTY && !process.env.CI,
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
// Idle keep-alive sockets must not hold the process open once the work is done.
process.stdout.write('', () => process.exit(code));
