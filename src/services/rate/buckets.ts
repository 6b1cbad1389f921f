/**
 * WorkOS ceilings narrower than the three shared buckets (writes, reads, general), from the
 * reference's rate-limit table. Each is one more Pacer a caller acquires before the call's own
 * buckets; the target's 429 handling still applies on top.
 *
 * - Deleting an organization: 50 per 60 s (rollback of organizations).
 * - Password reset / Magic Auth: 3 per 60 s per email. Resets are sent once per user, so that one
 *   never binds; they count against the AuthKit writes bucket, which paces them.
 */
import type { BucketLimit } from '../journal/types.js';
import { Pacer } from './pacer.js';

export const ORGANIZATION_DELETES: BucketLimit = { limit: 50, windowMs: 60_000 };

export function organizationDeletePacer(limit: BucketLimit = ORGANIZATION_DELETES): Pacer {
  return new Pacer({ name: 'organization-deletes', ...limit });
}
