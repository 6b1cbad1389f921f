/**
 * How much a role grants, guessed from its slug, so that the role mapping can tell a mapping that
 * grants more than the source did (member -> admin) from one that does not. Only names are known
 * here, never permissions: a slug matched by none of these is of unknown rank and never called an
 * escalation, except when it would become an admin or an owner.
 */
const RANKS: [RegExp, number][] = [
  [/owner|super|root/, 3],
  [/admin/, 2],
  [/manager|maintainer|editor|billing|write/, 1.5],
  [/member|user|basic|standard|default|staff/, 1],
  [/viewer|read|guest|observer|auditor/, 0],
];

export function roleRank(slug: string): number | undefined {
  const s = slug.toLowerCase();
  return RANKS.find(([pattern]) => pattern.test(s))?.[1];
}

/** The mapping gives more than the source role did: the operator confirms it first. */
export function grantsMore(sourceRole: string | undefined, slug: string): boolean {
  const to = roleRank(slug);
  if (to === undefined) return false;
  const from = sourceRole === undefined ? undefined : roleRank(sourceRole);
  return from === undefined ? to >= 2 : to > from;
}
