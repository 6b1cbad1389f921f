/**
 * Parsing of command-line values shared by the shell and the sources' flag definitions: each bad
 * value is an ExpectedError that names the flag and how to write it.
 */
import path from 'node:path';
import { ExpectedError } from '../errors.js';

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** `A=B` items into a prototype-free record: a column called __proto__ is a key like any other. */
export function pairs(list: unknown, flag: string, what: string): Record<string, string> {
  const result: Record<string, string> = Object.create(null);
  for (const item of (list as string[] | undefined) ?? []) {
    const at = item.indexOf('=');
    if (at <= 0 || at === item.length - 1) throw new ExpectedError(`${flag} ${item} is not ${what}.`, `Write it as ${flag} ${what}.`);
    result[item.slice(0, at)] = item.slice(at + 1);
  }
  return result;
}

export function positiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ExpectedError(`${flag} ${String(value)} is not a positive whole number.`, `Pass e.g. ${flag} 16.`);
  return n;
}

export function oneOf<T extends string>(value: unknown, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new ExpectedError(`${flag} ${String(value)} is not understood.`, `Use one of: ${allowed.join(', ')}.`);
  return value as T;
}

/** A file flag's value as an absolute path (relative to where the command runs), or undefined. */
export function filePath(values: FlagValues, flag: string, cwd: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' && value ? path.resolve(cwd, value) : undefined;
}
