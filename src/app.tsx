/**
 * The wizard shell: one screen per step, one error boundary, one exit path (the store's `exit`,
 * which the CLI turns into the process's exit code).
 */
import { extendTheme, defaultTheme, ThemeProvider } from '@inkjs/ui';
import { Box, Static, Text, useApp, useInput, useStdin } from 'ink';
import React, { useEffect } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { Export } from './screens/Export.js';
import { Import } from './screens/Import.js';
import { Plan } from './screens/Plan.js';
import { Roles } from './screens/Roles.js';
import { Source } from './screens/Source.js';
import { SourceAuth } from './screens/SourceAuth.js';
import { Strategy } from './screens/Strategy.js';
import { StoreContext } from './screens/ui.js';
import { Rollback } from './screens/Rollback.js';
import { Verify } from './screens/Verify.js';
import { Welcome } from './screens/Welcome.js';
import { WorkOSAuth } from './screens/WorkOSAuth.js';
import type { Step, WizardState } from './store/wizard.js';

const SCREENS: Record<Step, () => React.JSX.Element> = {
  welcome: Welcome,
  source: Source,
  'source-auth': SourceAuth,
  'workos-auth': WorkOSAuth,
  export: Export,
  plan: Plan,
  strategy: Strategy,
  roles: Roles,
  import: Import,
  verify: Verify,
  rollback: Rollback,
};
const theme = extendTheme(defaultTheme, { components: {} });

class Boundary extends React.Component<{ children: React.ReactNode; onError: (error: Error) => void }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(error: Error) {
    this.props.onError(error);
  }
  override render() {
    return this.state.error ? <Text color="red">{`✖ Unexpected error (a workos-migrate bug): ${this.state.error.message}`}</Text> : this.props.children;
  }
}

function Shell({ store }: { store: StoreApi<WizardState> }) {
  const step = useStore(store, (s) => s.step);
  const exit = useStore(store, (s) => s.exit);
  const importing = useStore(store, (s) => s.importStatus.state === 'running' || s.exportStatus.state === 'running');
  const { exit: unmount } = useApp();

  // Ctrl-C: a running import or export stops cleanly first; otherwise the wizard ends.
  useInput((input, key) => {
    if (!(key.ctrl && input === 'c')) return;
    const state = store.getState();
    if (importing && !state.importStatus.stopping) state.actions.stop();
    else state.actions.quit(130, 'Stopped. Run workos-migrate again to resume.');
  });
  useEffect(() => {
    if (exit) unmount();
  }, [exit, unmount]);

  const Screen = SCREENS[step];
  return <Screen />;
}

/**
 * Notices and failed records, oldest first, drawn once each above the live area and never redrawn;
 * wrapped (not cut) at the terminal's width, since why a record failed is read in full.
 *
 * Mounted for the app's whole life, outside the error boundary: Ink 6.8 keeps a reference to a
 * <Static>'s layout node after it unmounts and reads the freed node on every later render
 * (vadimdemedes/ink#904), which crashed the wizard with "memory access out of bounds" once the
 * Import screen, which used to own it, gave way to Verify.
 */
function Log({ store }: { store: StoreApi<WizardState> }) {
  const lines = useStore(store, (s) => s.logLines);
  return (
    <Static items={lines}>
      {(line) => (
        <Box key={line.id}>
          <Text color={line.level === 'error' ? 'red' : line.level === 'warning' ? 'yellow' : undefined} wrap="wrap">
            {line.text}
          </Text>
        </Box>
      )}
    </Static>
  );
}

/**
 * Keys that arrive in one chunk (Down Down Down Enter in one write: a fast typist, a paste, tmux)
 * are handed to the screens one at a time, a few milliseconds apart. Ink parses a chunk into its
 * keys and emits them in one synchronous loop, before React draws again or runs the effects that
 * attach a new screen's handlers: every handler then saw the state of the last drawing (a list
 * moved once) and the keys meant for the next screen reached the old one. The first key of a
 * chunk goes at once; the rest follow once React has drawn and attached what the first changed.
 */
const KEY_GAP_MS = 8;
function useOneKeyAtATime(): void {
  const { internal_eventEmitter: emitter } = useStdin() as unknown as { internal_eventEmitter?: NodeJS.EventEmitter & { queued?: true } };
  useEffect(() => {
    if (!emitter || emitter.queued) return;
    emitter.queued = true;
    const emit = emitter.emit.bind(emitter);
    const queue: unknown[] = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      if (!queue.length) return;
      emit('input', queue.shift());
      if (queue.length) timer = setTimeout(drain, KEY_GAP_MS);
    };
    emitter.emit = (event: string | symbol, ...args: unknown[]) => {
      if (event !== 'input') return emit(event, ...args);
      queue.push(args[0]);
      // The first key at once; the next ones after React's drawing and effects.
      if (!timer) {
        if (queue.length === 1) {
          emit('input', queue.shift());
          timer = setTimeout(drain, KEY_GAP_MS);
        } else timer = setTimeout(drain, KEY_GAP_MS);
      }
      return true;
    };
    return () => {
      if (timer) clearTimeout(timer);
      emitter.emit = emit;
      delete emitter.queued;
    };
  }, [emitter]);
}

function KeysOneAtATime() {
  useOneKeyAtATime();
  return null;
}

export function App({ store }: { store: StoreApi<WizardState> }) {
  return (
    <ThemeProvider theme={theme}>
      <KeysOneAtATime />
      <StoreContext.Provider value={store}>
        <Log store={store} />
        <Boundary onError={(error) => store.getState().actions.quit(1, `Unexpected error: ${error.message}`)}>
          <Shell store={store} />
        </Boundary>
      </StoreContext.Provider>
    </ThemeProvider>
  );
}
