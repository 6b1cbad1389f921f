/**
 * Stytch's JSON metadata (trusted_metadata, untrusted_metadata: any JSON object) into WorkOS
 * metadata, through the one flattening every source uses (services/mapping/metadata.ts).
 * Keys a source marks with `prefix` (untrusted_metadata: `untrusted.`) stay apart from trusted
 * ones: an application must not start trusting what its users could write themselves. Keys the
 * provider sets itself (`stytch_slug`) win. Whatever does not fit is returned with the reason.
 */
import { exceedsDepth, flattenMetadata } from '../../services/mapping/metadata.js';
import { LIMITS } from '../../services/mapping/validate.js';

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

/** What the operator reads about a key left out of a user's metadata. */
export function droppedMetadataMessage(d: DroppedMetadataKey): string {
  return `${d.label} key "${d.key}" is not carried into WorkOS metadata: ${d.why}. Keep it in your application's database, or set it in WorkOS under a shorter key after the import.`;
}

/** `base` plus every source's keys that fit; `undefined` metadata when nothing is set at all. */
export function toWorkosMetadata(
  base: Record<string, string>,
  sources: MetadataSource[],
): { metadata: Record<string, string> | undefined; dropped: DroppedMetadataKey[] } {
  const quick = quickMetadata(base, sources);
  if (quick) return { metadata: quick.count ? quick.metadata : undefined, dropped: [] };
  const into: Record<string, string> = Object.assign(Object.create(null), base);
  const dropped: DroppedMetadataKey[] = [];
  for (const source of sources) {
    const v = source.value;
    if (v === undefined || v === null) continue;
    // Stytch documents an object; anything else is kept whole under the field's own name.
    const object = typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { [source.label]: v };
    const prefixed = source.prefix ? { [source.prefix.replace(/\.$/, '')]: object } : object;
    for (const d of flattenMetadata(prefixed, into)) {
      // The keys over the 50-key limit come as one entry; each is reported on its own here.
      const why = d.keys ? `WorkOS allows at most 50 metadata keys and the first 50 are taken` : d.reason;
      for (const key of d.keys ?? [d.key]) dropped.push({ label: source.label, key, why });
    }
  }
  return { metadata: Object.keys(into).length ? { ...into } : undefined, dropped };
}

/**
 * The same result for the usual shape, without the general path's generality (a million users a
 * run): objects whose keys fit, values that are strings, numbers, booleans or shallow arrays, no
 * clash, at most 50 keys, so nothing to drop. Undefined for anything else (a key too long, a value
 * too large, a clash, a value that is not an object...): the general path decides, and says what
 * it drops.
 */
function quickMetadata(base: Record<string, string>, sources: MetadataSource[]): { metadata: Record<string, string>; count: number } | undefined {
  const out: Record<string, string> = { ...base };
  const state = { count: 0, ok: true };
  for (const _ in out) state.count++;
  for (const source of sources) {
    const v = source.value;
    if (v === undefined || v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) return undefined;
    let prefix = '';
    if (source.prefix) {
      // The general path nests the object under the prefix's name: a name too long drops it.
      prefix = source.prefix.endsWith('.') ? source.prefix : joinKey(source.prefix, '.');
      if (prefix.length - 1 >= LIMITS.metadataKeyLength || prefix === '.') return undefined;
    }
    quickVisit(v as Record<string, unknown>, prefix, out, state);
    if (!state.ok) return undefined;
  }
  return { metadata: out, count: state.count };
}

function quickVisit(object: Record<string, unknown>, prefix: string, out: Record<string, string>, state: { count: number; ok: boolean }): void {
  for (const key in object) {
    if (!state.ok) return;
    if (!Object.hasOwn(object, key)) continue;
    const child = object[key];
    if (child === null || child === undefined) continue;
    const full = joinKey(prefix, key);
    let text: string;
    if (typeof child === 'string') text = child;
    else if (typeof child === 'number' || typeof child === 'boolean') text = JSON.stringify(child);
    else if (typeof child === 'object' && !Array.isArray(child)) {
      if (full.length >= LIMITS.metadataKeyLength) {
        // The general path drops the subtree, unless it is empty.
        for (const k in child) if (Object.hasOwn(child, k)) return void (state.ok = false);
        continue;
      }
      quickVisit(child as Record<string, unknown>, joinKey(full, '.'), out, state);
      continue;
    } else if (Array.isArray(child) && !exceedsDepth(child)) text = JSON.stringify(child);
    else return void (state.ok = false);
    // An ordinary object: `__proto__` would not be a key of it; a name it inherits ('constructor')
    // is left to the general path rather than told apart here.
    if (key === '' || full.length > LIMITS.metadataKeyLength || text.length > LIMITS.metadataValueLength || full === '__proto__' || full in out || state.count >= LIMITS.metadataKeys) {
      return void (state.ok = false);
    }
    out[full] = text;
    state.count++;
  }
}

/**
 * prefix + key, the same string each time for the same pair (up to a bound): records share their
 * metadata keys, and one string per key spares a million concatenations and property-name lookups.
 */
const joined = new Map<string, Map<string, string>>();
let joinedSize = 0;
function joinKey(prefix: string, key: string): string {
  if (prefix === '') return key;
  let byKey = joined.get(prefix);
  if (!byKey) {
    if (joinedSize >= 20_000) return prefix + key;
    joined.set(prefix, (byKey = new Map()));
  }
  let full = byKey.get(key);
  if (full === undefined) {
    full = prefix + key;
    if (joinedSize < 20_000) {
      byKey.set(key, full);
      joinedSize++;
    }
  }
  return full;
}
