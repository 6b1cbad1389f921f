/**
 * The pace of a phase in words, the same in the wizard and the headless output: `49 writes/s,
 * limit 50`. The share said never passes the limit: a burst the bucket allowed over a short
 * window is not the pace, and "1.02 of 50/s" read as a broken limit.
 */
import type { MigrationEvent } from '../events.js';

export function paceWords(progress: Extract<MigrationEvent, { type: 'progress' }>): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (!progress.ceilingPerSecond) return `${n(Math.round(progress.ratePerSecond))} ${progress.unit}/s`;
  return `${n(Math.round(Math.min(progress.ratePerSecond, progress.ceilingPerSecond)))} writes/s, limit ${n(progress.ceilingPerSecond)}`;
}
