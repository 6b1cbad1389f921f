/** Small shared pieces of the wizard's screens: frame, key hints, progress rows, status lines. */
import path from 'node:path';
import { Box, Text, useInput, useStdout } from 'ink';
import { colorless } from '../no-color.js';
import { paceWords } from '../services/run/pace-words.js';
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

/** The terminal's size, followed on resize (the layout uses the width; lists page by the height). */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/**
 * Rows a screen may give a list: the terminal's height less the frame around it (header, rule,
 * margins, key hints) and what the screen draws besides the list. Never fewer than 3.
 */
export function useListRows(besides: number): number {
  const { rows } = useTerminalSize();
  return Math.max(3, rows - 6 - besides);
}

/**
 * The frame takes the terminal's width (Ink lays the root out at it): nothing is fixed at 80
 * columns, so nothing wraps behind the layout's back. The rule under the header is cut to the
 * width by the layout, and so changes with it: after a resize the whole frame is drawn again.
 */
export function Frame({ step, children, keys }: { step: Step; children: React.ReactNode; keys: string[] }) {
  const index = (STEPS as readonly string[]).indexOf(step);
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold>workos-migrate</Text>
        {/* A step outside the sequence (the rollback) has no place in it to show. */}
        <Text dimColor>{index >= 0 ? `  ${index + 1}/${STEPS.length}  ` : '  '}</Text>
        <Text bold color="cyan">
          {STEP_TITLES[step]}
        </Text>
      </Box>
      {/* A rule as wide as the layout (a top border), so it follows the width with no ellipsis. */}
      <Box borderStyle="single" borderBottom={false} borderLeft={false} borderRight={false} borderDimColor />
      <Box flexDirection="column" marginBottom={1}>
        {children}
      </Box>
      <KeyHints keys={keys} />
    </Box>
  );
}

/**
 * A path or a command: never wrapped (a wrapped path cannot be copied). It gets a line of its
 * own and, when wider than the terminal, is cut in the middle with an ellipsis.
 */
export function PathLine({ children, label, dim = true }: { children: string; label?: string; dim?: boolean }) {
  return (
    <Box flexDirection="column">
      {label ? <Text dimColor={dim}>{label}</Text> : null}
      <Text dimColor={dim} wrap="truncate-middle">
        {children}
      </Text>
    </Box>
  );
}

/** A path as the operator's shell reaches it: relative under the wizard's directory, else whole. */
export function useShownPath(): (file: string) => string {
  const from = useWizard((s) => s.pathsFrom);
  return (file) => {
    if (!from || !path.isAbsolute(file)) return file;
    const relative = path.relative(from, file);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
  };
}

/** Keys that move a cursor, by name. */
type Key = Parameters<Parameters<typeof useInput>[0]>[1];

/**
 * A value kept in a ref as well as in React state: handlers read the ref, so the second of two
 * keys handled before React draws again sees what the first did.
 */
export function useLiveState<T>(initial: T | (() => T)): [T, (next: T) => void, () => T] {
  const [state, setState] = useState(initial);
  const ref = useRef(state);
  const set = (next: T) => {
    ref.current = next;
    setState(next);
  };
  return [state, set, () => ref.current];
}

export interface MenuItem<T extends string> {
  value: T;
  label: React.ReactNode;
  /** A line drawn dim under the label (only while focused when `hintWhenFocused`). */
  hint?: string;
}

/**
 * A list the cursor moves through, where Enter acts on the focused item every time it is pressed
 * (the value already chosen included). It replaces @inkjs/ui's Select everywhere: Select calls
 * onChange only when its value changes, so Enter on the current choice did nothing (a dead end
 * after going back), and calls it again from an effect whenever its options are new objects.
 * The cursor lives in a ref, so keys that arrive together (Down Down Down Enter in one write)
 * each move it. `initial` opens the list on a value; a list longer than `rows` scrolls.
 */
export function Menu<T extends string>({
  items,
  onSelect,
  onKey,
  isActive = true,
  initial,
  rows,
}: {
  items: MenuItem<T>[];
  onSelect: (value: T) => void;
  /** Other keys, with the focused value. */
  onKey?: (input: string, key: Key, focused: T | undefined) => void;
  isActive?: boolean;
  initial?: T;
  rows?: number;
}) {
  const [cursor, setCursor, liveCursor] = useLiveState(() => Math.max(0, initial === undefined ? 0 : items.findIndex((i) => i.value === initial)));
  const clamp = (n: number) => Math.max(0, Math.min(items.length - 1, n));
  const focused = clamp(cursor);
  const page = Math.max(1, (rows ?? items.length) - 1);
  useInput(
    (input, key) => {
      const at = clamp(liveCursor());
      if (key.upArrow) setCursor(clamp(at - 1));
      else if (key.downArrow) setCursor(clamp(at + 1));
      else if (key.pageUp) setCursor(clamp(at - page));
      else if (key.pageDown) setCursor(clamp(at + page));
      else if (key.home) setCursor(0);
      else if (key.end) setCursor(items.length - 1);
      else if (key.return && items[at]) onSelect(items[at].value);
      else onKey?.(input, key, items[at]?.value);
    },
    { isActive },
  );
  const { columns } = useTerminalSize();
  // Every label in full when they all fit the rows; otherwise one line each (the focused one in
  // full) in a window around the cursor (one row each way says what is hidden).
  const linesOf = (label: React.ReactNode) => (typeof label === 'string' ? Math.max(1, Math.ceil((label.length + 2) / Math.max(10, columns))) : 1);
  const fits = rows === undefined || items.reduce((n, item) => n + linesOf(item.label), 0) <= rows;
  let start = 0;
  let end = items.length;
  if (!fits && rows !== undefined && items.length > rows) {
    const shown = Math.max(1, rows - 2);
    start = Math.max(0, Math.min(focused - Math.floor(shown / 2), items.length - shown));
    end = start + shown;
  }
  return (
    <Box flexDirection="column">
      {start > 0 ? <Text dimColor>{`  ↑ ${plural(start, 'more line')}`}</Text> : null}
      {items.slice(start, end).map((item, offset) => {
        const index = start + offset;
        const on = index === focused;
        return (
          <Box key={item.value} flexDirection="column">
            <Box>
              <Box width={2} flexShrink={0}>
                <Text color="blue">{on ? '❯' : ' '}</Text>
              </Box>
              <Box flexShrink={1}>
                {/* One line each, the focused one in full: the list keeps its height, and every word can be read. */}
                {typeof item.label === 'string' ? (
                  <Text color={on ? 'blue' : undefined} wrap={on || fits ? 'wrap' : 'truncate-end'}>
                    {item.label}
                  </Text>
                ) : (
                  item.label
                )}
              </Box>
            </Box>
            {item.hint && on ? (
              <Box paddingLeft={4}>
                <Text dimColor>{item.hint}</Text>
              </Box>
            ) : null}
          </Box>
        );
      })}
      {end < items.length ? <Text dimColor>{`  ↓ ${plural(items.length - end, 'more line')}`}</Text> : null}
    </Box>
  );
}

/**
 * A yes/no question. Enter takes the default, which is shown in capitals (y/N); a question that
 * confirms a risky fact defaults to no. Answered once: keys after the answer are not its.
 */
export function YesNo({ defaultChoice, onYes, onNo }: { defaultChoice: 'yes' | 'no'; onYes: () => void; onNo: () => void }) {
  const answered = useRef(false);
  useInput((input, key) => {
    if (answered.current || key.ctrl) return;
    const yes = input.toLowerCase() === 'y' || (key.return && defaultChoice === 'yes');
    const no = input.toLowerCase() === 'n' || (key.return && defaultChoice === 'no');
    if (!yes && !no) return;
    answered.current = true;
    // Drawn again (a refusal keeps the question on screen): it may be answered again.
    setTimeout(() => (answered.current = false), 0);
    if (yes) onYes();
    else onNo();
  });
  return <Text dimColor>{defaultChoice === 'yes' ? 'Y/n' : 'y/N'}</Text>;
}

/**
 * A one-line text input (masked for secrets). Its value lives in a ref, not only in React state:
 * keys that arrive together (a fast typist, a paste, a terminal multiplexer) are handled before
 * React draws again, and @inkjs/ui's TextInput and PasswordInput then submitted the value of the
 * last drawing: "users.csv" followed at once by Enter submitted an empty path. A pasted line's
 * newline submits it. Tab or Enter takes the completion shown after the text.
 *
 * The caret and the completion are readable without color (NO_COLOR): the caret is a visible
 * block or bar, and a completion is drawn apart from the text, as `(Tab: users.csv)`. `required`:
 * Enter on an empty value is refused here, in the wizard's words, and the field stays.
 */
export function LineInput({
  defaultValue = '',
  mask = false,
  placeholder = '',
  suggestions,
  required,
  onSubmit,
}: {
  defaultValue?: string;
  mask?: boolean;
  placeholder?: string;
  suggestions?: string[];
  /** What to say when Enter is pressed on an empty value (e.g. "Type the project id."). */
  required?: string;
  onSubmit: (value: string) => void;
}) {
  // `submitted`: keys that came with the Enter are not this input's any more (they belong to the next field).
  const state = useRef({ value: defaultValue, cursor: defaultValue.length, submitted: false, refused: false });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  // Once drawn again after a submit, the input (if still shown) takes keys again.
  useEffect(() => {
    state.current.submitted = false;
  });
  const completionOf = (value: string) => (value && suggestions?.find((s) => s.startsWith(value) && s !== value)?.slice(value.length)) || '';
  const submit = (value: string) => {
    const s = state.current;
    if (required && !value.trim()) {
      s.refused = true;
      return;
    }
    s.submitted = true;
    onSubmit(value);
  };
  useInput((input, key) => {
    const s = state.current;
    if (s.submitted || key.ctrl || key.escape || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return;
    s.refused = false;
    if (key.return) {
      submit(s.value + completionOf(s.value));
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
      if (newline !== -1) submit(s.value);
    }
    redraw();
  });
  const { value, cursor, refused } = state.current;
  const plain = colorless();
  const refusal = refused ? <Text color="red">{`  ✖ ${required}`}</Text> : null;
  if (!value) {
    return (
      <Text>
        {plain ? <Text>{CARET_END}</Text> : <Text inverse>{placeholder[0] ?? ' '}</Text>}
        <Text dimColor>{plain ? placeholder : placeholder.slice(1)}</Text>
        {refusal}
      </Text>
    );
  }
  const shown = mask ? '*'.repeat(value.length) : value;
  const completion = cursor === value.length ? completionOf(value) : '';
  if (plain) {
    // No inverse video: a bar before the character under the caret, a block at the end.
    return (
      <Text>
        {shown.slice(0, cursor)}
        {cursor < shown.length ? `${CARET_IN}${shown.slice(cursor)}` : CARET_END}
        {completion ? <Text dimColor>{`  (Tab: ${shown}${completion})`}</Text> : null}
        {refusal}
      </Text>
    );
  }
  return (
    <Text>
      {shown.slice(0, cursor)}
      <Text inverse>{shown[cursor] ?? completion[0] ?? ' '}</Text>
      {shown.slice(cursor + 1)}
      <Text dimColor>{completion.slice(1)}</Text>
      {completion ? <Text dimColor>{'  (Tab completes)'}</Text> : null}
      {refusal}
    </Text>
  );
}

const CARET_END = '█';
const CARET_IN = '│';

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

/** A count as people read it: 2,000. */
export const number = (n: number) => n.toLocaleString('en-US');
/** `1 organization`, `2,000 organizations`. */
export const plural = (n: number, word: string, words = `${word}s`) => `${number(n)} ${n === 1 ? word : words}`;

export function eta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The pace in words (`49 writes/s, limit 50`): the headless output's words. */
export const rateWords = paceWords;

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

/**
 * One phase of the import: its bar, then what happened to its records and the pace. Paused, the
 * pace and ETA are not frozen at their last values: the row says "paused".
 */
export function ProgressRow({ label, progress, paused = false }: { label: string; progress?: ProgressEvent; paused?: boolean }) {
  const pad = label.padEnd(14);
  if (!progress) {
    return (
      <Box flexDirection="column">
        <Text>
          {pad}
          <Bar ratio={0} /> <Text dimColor>waiting</Text>
        </Text>
      </Box>
    );
  }
  const c = progress.counts;
  const finished = c.done + c.failed + c.skipped;
  const ratio = c.total ? finished / c.total : 0;
  const complete = finished >= c.total;
  const outcomes = [
    // Found by look-up (written before a stop, or an answer lost): not created by this run.
    c.found ? `${number(c.created - c.found)} created, ${number(c.found)} found by look-up (written before)` : `${number(c.created)} created`,
    c.adopted ? `${number(c.adopted)} adopted (already in WorkOS)` : '',
    c.failed ? `${number(c.failed)} failed` : '',
    c.skipped ? `${number(c.skipped)} skipped` : '',
  ].filter(Boolean);
  const pace = complete ? 'done' : paused ? 'paused' : [rateWords(progress), progress.etaSeconds !== undefined ? `ETA ${eta(progress.etaSeconds)}` : ''].filter(Boolean).join(' · ');
  return (
    <Box flexDirection="column">
      <Text>
        {pad}
        <Bar ratio={ratio} /> {number(finished)}/{number(c.total)}
        <Text dimColor>{` ${Math.floor(ratio * 100)}%`}</Text>
      </Text>
      <Box paddingLeft={14}>
        <Text dimColor>{`${outcomes.join(' · ')} · ${pace}`}</Text>
      </Box>
    </Box>
  );
}
