/**
 * Stytch's JSON metadata (trusted_metadata, untrusted_metadata: any JSON object) into WorkOS
 * metadata, which holds at most 50 keys, keys of at most 40 characters, string values of at most
 * 600 characters.
 *
 * - Nested objects become dotted keys (`{ plan: { tier: 'pro' } }` -> `plan.tier`); an empty
 *   nested object is kept as `"{}"` so that its key does not vanish.
 * - Every other non-string (numbers, booleans, null, arrays) becomes its JSON text.
 * - Keys a source marks with `prefix` (untrusted_metadata: `untrusted.`) stay apart from trusted
 *   ones: an application must not start trusting what its users could write themselves.
 * - Keys already present (the provider's own, e.g. `stytch_slug`) win; so does the first of two
 *   source keys that flatten to the same dotted key.
 * - Whatever does not fit is dropped and returned with the reason, for a warning: never silently.
 *   Values are never part of a reason (metadata can hold anything).
 */
export const WORKOS_METADATA = { keys: 50, keyLength: 40, valueLength: 600 } as const;

export interface MetadataSource {
  /** The source field, for messages: `trusted_metadata`. */
  label: string;
  value: unknown;
  /** Put before every key of this source (`untrusted.`). */
  prefix?: string;
}

export interface DroppedMetadataKey {
  /** The source field it came from. */
  label: string;
  /** The flattened (and prefixed) key. */
  key: string;
  why: string;
}

type Entry = { label: string; key: string; value: string; emptyName?: boolean };

function flattenInto(out: Entry[], label: string, prefix: string, object: Record<string, unknown>, emptyName: boolean): void {
  for (const [name, value] of Object.entries(object)) {
    const key = `${prefix}${name}`;
    const empty = emptyName || name === '';
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (Object.keys(value).length === 0) out.push({ label, key, value: '{}', emptyName: empty });
      else flattenInto(out, label, `${key}.`, value as Record<string, unknown>, empty);
    } else {
      out.push({ label, key, value: typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)), emptyName: empty });
    }
  }
}

/**
 * `base` plus every source's keys that fit WorkOS's limits; `undefined` metadata when nothing is
 * set at all. The dropped keys come back in the order they were met.
 */
export function toWorkosMetadata(
  base: Record<string, string>,
  sources: MetadataSource[],
): { metadata: Record<string, string> | undefined; dropped: DroppedMetadataKey[] } {
  const metadata: Record<string, string> = { ...base };
  const from = new Map<string, string>(Object.keys(base).map((k) => [k, '']));
  const dropped: DroppedMetadataKey[] = [];
  const entries: Entry[] = [];
  for (const source of sources) {
    const v = source.value;
    if (v === undefined || v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      // Stytch documents an object; anything else is kept whole under the field's own name.
      entries.push({ label: source.label, key: `${source.prefix ?? ''}${source.label}`, value: typeof v === 'string' ? v : JSON.stringify(v) });
      continue;
    }
    flattenInto(entries, source.label, source.prefix ?? '', v as Record<string, unknown>, false);
  }
  let count = Object.keys(metadata).length;
  for (const { label, key, value, emptyName } of entries) {
    const drop = (why: string) => dropped.push({ label, key, why });
    if (emptyName) drop('the key (or a key it is nested in) is empty');
    else if (key.length > WORKOS_METADATA.keyLength) drop(`the key is ${key.length} characters; WorkOS allows at most ${WORKOS_METADATA.keyLength}`);
    else if (value.length > WORKOS_METADATA.valueLength) drop(`its value is ${value.length} characters; WorkOS allows at most ${WORKOS_METADATA.valueLength}`);
    else if (from.has(key)) {
      const first = from.get(key);
      drop(first ? `${first} already gives the key "${key}" (a dotted key and a nested object name the same key)` : `the migration sets "${key}" itself`);
    } else if (count >= WORKOS_METADATA.keys) drop(`WorkOS allows at most ${WORKOS_METADATA.keys} metadata keys and the first ${WORKOS_METADATA.keys} are taken`);
    else {
      metadata[key] = value;
      from.set(key, label);
      count++;
    }
  }
  return { metadata: Object.keys(metadata).length ? metadata : undefined, dropped };
}
