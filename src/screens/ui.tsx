/** Small shared pieces of the wizard's screens: frame, key hints, progress rows, status lines. */
import { Box, Text, useInput } from 'ink';
import React, { createContext, useContext, useEffect, useReducer, useRef, useState } from 'react';
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

/**
 * A list the cursor moves through, where Enter acts on the focused item every time it is pressed.
 * For lists that stay on screen after a choice (the plan's lines, the manual checklist): @inkjs/ui's
 * Select calls onChange only when its value changes, so a second Enter on a line does nothing, and
 * it calls onChange again from an effect whenever its options or onChange are new objects, which a
 * list re-rendered by its own choice always has: the plan's examples opened and closed in an
 * endless render loop.
 */
export function Menu<T extends string>({ items, onSelect, isActive = true }: { items: { value: T; label: string }[]; onSelect: (value: T) => void; isActive?: boolean }) {
  const [cursor, setCursor] = useState(0);
  const focused = Math.min(cursor, Math.max(0, items.length - 1));
  useInput(
    (_input, key) => {
      if (key.upArrow) setCursor(Math.max(0, focused - 1));
      else if (key.downArrow) setCursor(Math.min(items.length - 1, focused + 1));
      else if (key.return && items[focused]) onSelect(items[focused].value);
    },
    { isActive },
  );
  return (
    <Box flexDirection="column">
      {items.map((item, index) => (
        <Box key={item.value}>
          <Box width={2} flexShrink={0}>
            <Text color="blue">{index === focused ? '❯' : ' '}</Text>
          </Box>
          <Box flexShrink={1}>
            <Text color={index === focused ? 'blue' : undefined}>{item.label}</Text>
          </Box>
        </Box>
      ))}
    </Box>
  );
}

/**
 * A one-line text input (masked for secrets). Its value lives in a ref, not only in React state:
 * keys that arrive together (a fast typist, a paste, a terminal multiplexer) are handled before
 * React draws again, and @inkjs/ui's TextInput and PasswordInput then submitted the value of the
 * last drawing: "users.csv" followed at once by Enter submitted an empty path. A pasted line's
 * newline submits it. Tab or Enter takes the completion shown (dim) after the text.
 */
export function LineInput({
  defaultValue = '',
  mask = false,
  placeholder = '',
  suggestions,
  onSubmit,
}: {
  defaultValue?: string;
  mask?: boolean;
  placeholder?: string;
  suggestions?: string[];
  onSubmit: (value: string) => void;
}) {
  // `submitted`: keys that came with the Enter are not this input's any more (they belong to the next field).
  const state = useRef({ value: defaultValue, cursor: defaultValue.length, submitted: false });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  // Once drawn again after a submit, the input (if still shown) takes keys again.
  useEffect(() => {
    state.current.submitted = false;
  });
  const completionOf = (value: string) => (value && suggestions?.find((s) => s.startsWith(value) && s !== value)?.slice(value.length)) || '';
  useInput((input, key) => {
    const s = state.current;
    if (s.submitted || key.ctrl || key.escape || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return;
    if (key.return) {
      s.submitted = true;
      onSubmit(s.value + completionOf(s.value));
      redraw();
      return;
    }
    if (key.tab) {
      s.value += completionOf(s.value);
      s.cursor = s.value.length;
    } else if (key.leftArrow) s.cursor = Math.max(0, s.cursor - 1);
    else if (key.rightArrow) s.cursor = Math.min(s.value.length, s.cursor + 1);
    else if (key.home) s.cursor = 0;
    else if (key.end) s.cursor = s.value.length;
    else if (key.backspace || key.delete) {
      if (s.cursor > 0) {
        s.value = s.value.slice(0, s.cursor - 1) + s.value.slice(s.cursor);
        s.cursor--;
      }
    } else if (input) {
      const newline = input.search(/[\r\n]/);
      const text = (newline === -1 ? input : input.slice(0, newline)).replace(/[\u0000-\u001f\u007f]/g, '');
      s.value = s.value.slice(0, s.cursor) + text + s.value.slice(s.cursor);
      s.cursor += text.length;
      if (newline !== -1) {
        s.submitted = true;
        onSubmit(s.value);
      }
    }
    redraw();
  });
  const { value, cursor } = state.current;
  if (!value) {
    return (
      <Text>
        <Text inverse>{placeholder[0] ?? ' '}</Text>
        <Text dimColor>{placeholder.slice(1)}</Text>
      </Text>
    );
  }
  const shown = mask ? '*'.repeat(value.length) : value;
  const completion = cursor === value.length ? completionOf(value) : '';
  return (
    <Text>
      {shown.slice(0, cursor)}
      <Text inverse>{shown[cursor] ?? completion[0] ?? ' '}</Text>
      {shown.slice(cursor + 1)}
      <Text dimColor>{completion.slice(1)}</Text>
    </Text>
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
      {/* The icon never shrinks: a shrunk icon hands its cell to the text, which then overflows 80 columns by one. */}
      <Box width={2} flexShrink={0}>
        <Text color={COLOR[status]}>{ICON[status]}</Text>
      </Box>
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
