import type { ExportBatch, SourceIssue } from '../../providers/types.js';
import { validateOrganization, validateUser } from '../mapping/validate.js';

/** A record ruled out by WorkOS's limits, or (byChoice) left out by the operator's choice. */
export type InvalidRecord = { kind: 'user' | 'organization'; sourceId: string; reason: string; byChoice?: boolean };

/** A batch's records checked against WorkOS's limits: every issue, and the records ruled out. */
export function validateBatch(batch: ExportBatch): { issues: SourceIssue[]; invalid: InvalidRecord[] } {
  if (batch.validated) return { issues: batch.issues ?? [], invalid: batch.validated.invalid };
  const issues: SourceIssue[] = [...(batch.issues ?? [])];
  const invalid: InvalidRecord[] = [];
  const check = (kind: 'user' | 'organization', sourceId: string, found: SourceIssue[]) => {
    for (const issue of found) issues.push(issue);
    const errors = found.filter((i) => i.severity !== 'warning');
    if (errors.length) invalid.push({ kind, sourceId, reason: errors.map((i) => `${i.field}: ${i.message}`).join('; ') });
  };
  for (const user of batch.users ?? []) check('user', user.sourceId, validateUser(user));
  for (const org of batch.organizations ?? []) check('organization', org.sourceId, validateOrganization(org));
  for (const left of batch.leftOut ?? []) invalid.push({ ...left, byChoice: true });
  return { issues, invalid };
}
