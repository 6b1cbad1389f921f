/**
 * The wizard shell: one screen per step, one error boundary, one exit path (the store's `exit`,
 * which the CLI turns into the process's exit code).
 */
import { extendTheme, defaultTheme, ThemeProvider } from '@inkjs/ui';
import { Box, Static, Text, useApp, useInput } from 'ink';
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
 * wrapped (not cut) at 80 columns, since why a record failed is read in full.
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
        <Box key={line.id} width={80}>
          <Text color={line.level === 'error' ? 'red' : line.level === 'warning' ? 'yellow' : undefined} wrap="wrap">
            {line.text}
          </Text>
        </Box>
      )}
    </Static>
  );
}

export function App({ store }: { store: StoreApi<WizardState> }) {
  return (
    <ThemeProvider theme={theme}>
      <StoreContext.Provider value={store}>
        <Log store={store} />
        <Boundary onError={(error) => store.getState().actions.quit(1, `Unexpected error: ${error.message}`)}>
          <Shell store={store} />
        </Boundary>
      </StoreContext.Provider>
    </ThemeProvider>
  );
}
