/**
 * Stytch's JSON metadata (trusted_metadata, untrusted_metadata: any JSON object) into WorkOS
 * metadata, through the one flattening every source uses (services/mapping/metadata.ts).
 * Keys a source marks with `prefix` (untrusted_metadata: `untrusted.`) stay apart from trusted
 * ones: an application must not start trusting what its users could write themselves. Keys the
 * provider sets itself (`stytch_slug`) win. Whatever does not fit is returned with the reason.
 */
import { flattenMetadata } from '../../services/mapping/metadata.js';

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
