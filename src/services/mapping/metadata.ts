/**
 * A source's nested metadata made into WorkOS metadata: one level of string values, at most 50
 * keys of at most 40 characters, values of at most 600. Nested objects are flattened with dots
 * (`{"prefs": {"theme": "dark"}}` → `prefs.theme = dark`), other non-string values are written as
 * JSON (`3`, `true`, `["a","b"]`). A key that cannot be carried is left out and returned with the
 * reason, for the caller to report: never dropped without a word.
 */
import { LIMITS } from './validate.js';

/** JSON values nested deeper than this are refused before anything recurses into them. */
export const MAX_JSON_DEPTH = 100;

export interface DroppedMetadataKey {
  key: string;
  reason: string;
  /** Set on the one entry for the keys over the 50-key limit: all of them (`key` is the first). */
  keys?: string[];
}

/**
 * True when `value` nests objects / arrays more than `max` levels deep. Iterative (an explicit
 * stack): a value 5,000 levels deep must not overflow the stack it is checked on.
 */
export function exceedsDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // The common case, a flat list or object (roles, tags): no stack to build.
  let nested = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !nested; i++) nested = typeof value[i] === 'object' && value[i] !== null;
  } else {
    for (const key in value) {
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        nested = true;
        break;
      }
    }
  }
  if (!nested) return max < 1;
  const stack: [object, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

const describe = (key: string) => JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key);

/**
 * Adds `value` (a parsed JSON object) to `into`, flattened (see module doc). Keys already in
 * `into` (set by the operator's `metadata.KEY` columns, or by an earlier object) win. Returns the
 * keys left out, each with why; the keys over the 50-key limit are named together in one entry.
 * `into` must have no prototype (Object.create(null)): keys are source data (`__proto__`).
 */
export function flattenMetadata(value: Record<string, unknown>, into: Record<string, string>): DroppedMetadataKey[] {
  const dropped: DroppedMetadataKey[] = [];
  const overLimit: string[] = [];
  let count = Object.keys(into).length;
  const visit = (object: Record<string, unknown>, prefix: string) => {
    for (const key of Object.keys(object)) {
      const child = object[key];
      const full = prefix + key;
      if (child === null || child === undefined) continue; // no value, as an empty cell
      if (typeof child === 'object' && !Array.isArray(child)) {
        const entries = child as Record<string, unknown>;
        if (Object.keys(entries).length === 0) continue;
        // Every key under a prefix this long would be too long: one report for the subtree.
        if (full.length >= LIMITS.metadataKeyLength) {
          dropped.push({
            key: `${full}.*`,
            reason: `the keys under ${describe(full)} would be over ${LIMITS.metadataKeyLength} characters once flattened (WorkOS allows at most ${LIMITS.metadataKeyLength}); shorten the keys at the source`,
          });
          continue;
        }
        visit(entries, `${full}.`);
        continue;
      }
      let text: string;
      if (typeof child === 'string') text = child;
      else if (exceedsDepth(child)) {
        dropped.push({ key: full, reason: `its value is nested more than ${MAX_JSON_DEPTH} levels deep` });
        continue;
      } else text = JSON.stringify(child);
      if (full === '') dropped.push({ key: full, reason: 'the key is empty; name the field at the source' });
      else if (full.length > LIMITS.metadataKeyLength) {
        dropped.push({ key: full, reason: `the key is ${full.length} characters, WorkOS allows at most ${LIMITS.metadataKeyLength}; shorten it at the source` });
      } else if (text.length > LIMITS.metadataValueLength) {
        dropped.push({ key: full, reason: `its value is ${text.length} characters, WorkOS allows at most ${LIMITS.metadataValueLength}; shorten it at the source` });
      } else if (Object.hasOwn(into, full)) {
        // The kept value is not repeated: metadata can hold anything, and this lands in reports.
        dropped.push({ key: full, reason: 'the key is already set (by a metadata.KEY column, the source\'s own fields or an earlier metadata object); the first value was kept' });
      } else if (count >= LIMITS.metadataKeys) overLimit.push(full);
      else {
        into[full] = text;
        count++;
      }
    }
  };
  visit(value, '');
  if (overLimit.length) {
    const shown = overLimit.map(describe).join(', ');
    dropped.push({
      key: overLimit[0],
      keys: overLimit,
      reason: `WorkOS allows at most ${LIMITS.metadataKeys} metadata keys and the record already has ${LIMITS.metadataKeys}, so ${overLimit.length} key${overLimit.length === 1 ? ' was' : 's were'} left out: ${shown}`,
    });
  }
  return dropped;
}
