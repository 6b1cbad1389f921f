/**
 * SQL fragments shared by the journal's readers (plan, verify, reports), so that one idea is
 * written once. The memberships' join to their WorkOS user and organization, and the invited
 * predicate, are the view `memberships_resolved` (schema.ts).
 */
import { WORKOS_HASH_TYPES } from '../../providers/types.js';

/** The hash types WorkOS takes, as an SQL list: `password_hash_type IN ${WORKOS_HASH_TYPES_SQL}`. */
export const WORKOS_HASH_TYPES_SQL = `(${WORKOS_HASH_TYPES.map((t) => `'${t}'`).join(', ')})`;
