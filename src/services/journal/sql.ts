/**
 * SQL fragments shared by the journal's readers (plan, verify, reports), so that one idea is
 * written once. The memberships' join to their WorkOS user and organization, and the invited
 * predicate, are the view `memberships_resolved` (schema.ts).
 */
import { WORKOS_HASH_TYPES } from '../../providers/types.js';

/**
 * The error code of a record the operator chose to leave out (a blocked user under the default
 * choice, say), and of the memberships that follow it: reported in left-out.csv, never a failure.
 */
export const LEFT_OUT = 'left_out';

/**
 * The error code of an invitation to someone with no user in the source (memberships.invite_email)
 * while invited members are made active: only `--invited-members invite` can carry it. Listed in
 * invited-members.csv, not a failure.
 */
export const INVITATION_ONLY = 'invitation_only';

/**
 * Users the import sends (or has sent): not those ruled out (invalid), left out by choice or
 * merged into a duplicate. The plan counts passwords among them; a duplicate is kept among them.
 */
export const USERS_TO_IMPORT_SQL = `NOT (state = 'skipped' AND COALESCE(error_code, '') IN ('invalid', 'duplicate_email', '${LEFT_OUT}'))`;

/** The hash types WorkOS takes, as an SQL list: `password_hash_type IN ${WORKOS_HASH_TYPES_SQL}`. */
export const WORKOS_HASH_TYPES_SQL = `(${WORKOS_HASH_TYPES.map((t) => `'${t}'`).join(', ')})`;
