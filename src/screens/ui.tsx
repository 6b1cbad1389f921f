/** Small shared pieces of the wizard's screens: frame, key hints, progress rows, status lines. */
import { Box, Text } from 'ink';
import React, { createContext, useContext } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { STEP_TITLES, STEPS, type Step, type WizardState, type ProgressEvent } from '../store/wizard.js';

export const StoreContext = createContext<StoreApi<WizardState> | null>(null);

/** Reads a slice of the run's store (passed down by <App/>, never a global). */
export function useWizard<T>(selector: (state: WizardState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useWizard outside <App/>');
  return useStore(store, selector);
}

export function Frame({ step, children, keys }: { step: Step; children: React.ReactNode; keys: string[] }) {
  const index = STEPS.indexOf(step);
  return (
    <Box flexDirection="column" width={80}>
      <Box>
        <Text bold>workos-migrate</Text>
        <Text dimColor>{`  ${index + 1}/${STEPS.length}  `}</Text>
        <Text bold color="cyan">
          {STEP_TITLES[step]}
        </Text>
      </Box>
      <Box flexDirection="column" marginTop={1} marginBottom={1}>
        {children}
      </Box>
      <KeyHints keys={keys} />
    </Box>
  );
}

export function KeyHints({ keys }: { keys: string[] }) {
  return <Text dimColor>{keys.join(' · ')}</Text>;
}

const ICON = { pass: '✔', ok: '✔', fail: '✖', error: '✖', warn: '!', info: '•', running: '…', idle: ' ' } as const;
const COLOR = { pass: 'green', ok: 'green', fail: 'red', error: 'red', warn: 'yellow', info: 'blue', running: 'cyan', idle: 'gray' } as const;

export function StatusLine({ status, children }: { status: keyof typeof ICON; children: React.ReactNode }) {
  return (
    <Box>
      <Text color={COLOR[status]}>{`${ICON[status]} `}</Text>
      <Box flexShrink={1}>
        <Text wrap="wrap">{children}</Text>
      </Box>
    </Box>
  );
}

const number = (n: number) => n.toLocaleString('en-US');

export function eta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A text bar: no color needed to read it (NO_COLOR), 24 cells wide so a row fits 80 columns. */
export function Bar({ ratio, width = 24 }: { ratio: number; width?: number }) {
  const filled = Math.max(0, Math.min(width, Math.round(ratio * width)));
  return (
    <Text>
      <Text color="green">{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(width - filled)}</Text>
    </Text>
  );
}

export function ProgressRow({ label, progress }: { label: string; progress?: ProgressEvent }) {
  if (!progress) {
    return (
      <Box flexDirection="column">
        <Text>
          {label.padEnd(14)}
          <Bar ratio={0} /> <Text dimColor>waiting</Text>
        </Text>
      </Box>
    );
  }
  const c = progress.counts;
  const finished = c.done + c.failed + c.skipped;
  const ratio = c.total ? finished / c.total : 0;
  const rate = progress.ceilingPerSecond
    ? `${progress.ratePerSecond.toFixed(1)}/s (${(progress.ratePerSecond / progress.ceilingPerSecond).toFixed(2)} of ${number(progress.ceilingPerSecond)}/s)`
    : `${progress.ratePerSecond.toFixed(0)}/s`;
  return (
    <Box flexDirection="column">
      <Text>
        {label.padEnd(14)}
        <Bar ratio={ratio} /> {number(finished)}/{number(c.total)}
      </Text>
      <Text dimColor>
        {'              '}
        {number(c.created)} created · {number(c.adopted)} adopted · {number(c.failed)} failed{c.skipped ? ` · ${number(c.skipped)} skipped` : ''} · {rate}
        {progress.etaSeconds !== undefined && finished < c.total ? ` · ETA ${eta(progress.etaSeconds)}` : ''}
      </Text>
    </Box>
  );
}
