/**
 * Source roles -> WorkOS role slugs: the one reading of the operator's mapping, for the import and
 * for verification alike.
 */
export interface RoleMapping {
  roleMap?: Record<string, string>;
  /** For source roles with no mapping; none means the environment's default role. */
  defaultRole?: string;
  /** false: the environment takes one role per membership, and only the first slug counts. */
  multipleRoles?: boolean;
}

/**
 * The WorkOS role slugs a membership with these source roles should hold: the operator's mapping
 * (own keys only: a role called "constructor" must not find Object's), else the default role,
 * each once; the first one only where the environment takes one role per membership. Empty: the
 * environment's default role, whatever it is.
 */
export function mappedRoleSlugs(sourceRoles: readonly string[], mapping: RoleMapping): string[] {
  const map = mapping.roleMap ?? {};
  const slugs = [
    ...new Set(sourceRoles.map((r) => (Object.hasOwn(map, r) ? map[r] : mapping.defaultRole)).filter((s): s is string => typeof s === 'string' && !!s)),
  ];
  return mapping.multipleRoles === false ? slugs.slice(0, 1) : slugs;
}

/** The same slugs, in any order. */
export function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}
