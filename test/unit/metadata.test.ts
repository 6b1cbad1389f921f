/**
 * Every source's metadata goes through toWorkosMetadata, which takes a quick path for the usual
 * shape (nothing to drop) and the general flattening for anything else. Both must give what the
 * general flattening alone gives: the same keys, values and order, and the same keys dropped.
 */
import { describe, expect, it } from 'vitest';
import { toWorkosMetadata, type MetadataSource } from '../../src/providers/stytch/metadata.js';
import { flattenMetadata } from '../../src/services/mapping/metadata.js';

/** The general flattening alone, as toWorkosMetadata's contract states it. */
function reference(base: Record<string, string>, sources: MetadataSource[]) {
  const into: Record<string, string> = Object.assign(Object.create(null), base);
  const dropped: { label: string; key: string }[] = [];
  for (const s of sources) {
    if (s.value === undefined || s.value === null) continue;
    const object = typeof s.value === 'object' && !Array.isArray(s.value) ? (s.value as Record<string, unknown>) : { [s.label]: s.value };
    const prefixed = s.prefix ? { [s.prefix.replace(/\.$/, '')]: object } : object;
    for (const d of flattenMetadata(prefixed, into)) for (const key of d.keys ?? [d.key]) dropped.push({ label: s.label, key });
  }
  return { metadata: Object.keys(into).length ? { ...into } : undefined, dropped };
}

const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

const CASES: [string, Record<string, string>, MetadataSource[]][] = [
  ['nothing', {}, [{ label: 'a', value: undefined }, { label: 'b', value: null }]],
  ['empty objects', {}, [{ label: 'a', value: {} }, { label: 'u', value: {}, prefix: 'user.' }]],
  ['the usual shape', {}, [
    { label: 'app_metadata', value: { plan: 'pro', seats: 3, beta: true, tags: ['a', 'b'], tenant: { id: 't1', region: { code: 'eu' } } } },
    { label: 'user_metadata', value: { locale: 'en', theme: 'dark' }, prefix: 'user.' },
  ]],
  ['a base with its own keys', { stytch_slug: 'acme' }, [{ label: 'trusted_metadata', value: { tier: 'gold', 10: 'ten', 2: 'two' } }]],
  ['a clash with the base', { plan: 'base' }, [{ label: 'm', value: { plan: 'source' } }]],
  ['a clash between sources', {}, [{ label: 'a', value: { 'user.x': '1' } }, { label: 'b', value: { x: '2' }, prefix: 'user.' }]],
  ['a key too long', {}, [{ label: 'm', value: { ['k'.repeat(41)]: 'v', ok: 'yes' } }]],
  ['a subtree under a key too long', {}, [{ label: 'm', value: { ['p'.repeat(40)]: { a: '1' }, ['q'.repeat(40)]: {} } }]],
  ['a value too long', {}, [{ label: 'm', value: { big: 'x'.repeat(601), small: 'y' } }]],
  ['over 50 keys', { own: '1' }, [{ label: 'm', value: many(55) }]],
  ['exactly 50 keys', {}, [{ label: 'm', value: many(50) }]],
  ['a value that is not an object', {}, [{ label: 'custom', value: 'just text' }, { label: 'list', value: [1, 2] }]],
  ['an empty key and inherited names', {}, [{ label: 'm', value: { '': 'empty', constructor: 'c', toString: 't', __proto__x: 'p' } }]],
  ['nulls inside', {}, [{ label: 'm', value: { a: null, b: undefined, c: { d: null } } }]],
  ['a prefix without its dot', {}, [{ label: 'untrusted_metadata', value: { note: 'hi' }, prefix: 'untrusted' }]],
  ['a deep array', {}, [{ label: 'm', value: { deep: JSON.parse('['.repeat(120) + ']'.repeat(120)) } }]],
];

describe('toWorkosMetadata', () => {
  it.each(CASES)('%s: the same metadata and the same dropped keys as the general flattening', (_name, base, sources) => {
    const got = toWorkosMetadata(base, sources);
    const want = reference(base, sources);
    expect(got.metadata).toEqual(want.metadata);
    // Key order too: it is what WorkOS is sent.
    expect(Object.keys(got.metadata ?? {})).toEqual(Object.keys(want.metadata ?? {}));
    expect(got.dropped.map(({ label, key }) => ({ label, key }))).toEqual(want.dropped);
  });

  it('gives each record its own object, whatever key strings records share', () => {
    const a = toWorkosMetadata({}, [{ label: 'm', value: { prefs: { theme: 'dark' } } }]).metadata!;
    const b = toWorkosMetadata({}, [{ label: 'm', value: { prefs: { theme: 'light' } } }]).metadata!;
    expect(a).toEqual({ 'prefs.theme': 'dark' });
    expect(b).toEqual({ 'prefs.theme': 'light' });
    expect(a).not.toBe(b);
  });
});
