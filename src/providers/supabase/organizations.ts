/**
 * The operator's organizations file (`--supabase-organizations FILE`): Supabase has no
 * organizations, so who belongs where comes from the same CSV the Firebase source reads (one
 * reader: ../firebase/organizations.ts), one membership a line:
 *
 *   user,organization_id,organization_name,role
 *   6f1c...-uuid,acme,Acme Inc,admin
 *   bob@example.com,acme,Acme Inc,member
 *
 * Here the user is a Supabase user id, so a user cell that is neither a uuid nor an email is an
 * error naming file, line and field (auth.users.id is a uuid: such a line could never match).
 * Lines are keyed `id:<uuid>` / `email:<lowercased>` for the keyset pages to look up.
 */
import { readOrganizationsFile as readFile } from '../firebase/organizations.js';
import type { SourceIssue, SourceOrganization, SourceRole } from '../types.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MappedLine {
  line: number;
  orgId: string;
  roles: string[];
}

export interface OrganizationsFile {
  /** For messages: `orgs.csv`. */
  name: string;
  organizations: SourceOrganization[];
  roles: SourceRole[];
  /** Lines by user: `id:<uuid>` or `email:<lowercased>`. */
  byUser: Map<string, MappedLine[]>;
  issues: SourceIssue[];
  /** Membership lines read. */
  lines: number;
}

export function readOrganizationsFile(file: string): OrganizationsFile {
  const read = readFile(file, { flag: '--supabase-organizations', user: 'a Supabase user id (uuid)' });
  const byUser = new Map<string, MappedLine[]>();
  const issues = [...read.issues];
  let lines = 0;
  const add = (key: string, rows: { line: number; orgId: string; roles: string[] }[]) => {
    byUser.set(key, [...(byUser.get(key) ?? []), ...rows.map(({ line, orgId, roles }) => ({ line, orgId, roles }))]);
    lines += rows.length;
  };
  for (const [user, rows] of read.byUid) {
    if (UUID.test(user)) add(`id:${user.toLowerCase()}`, rows);
    else {
      for (const r of rows) {
        issues.push({
          location: `${read.file}:${r.line}`,
          field: 'user',
          severity: 'error',
          recordKind: 'membership',
          message: `"${user.slice(0, 80)}" is neither a Supabase user id (a uuid) nor an email address; the row is not read. Fix it and run again.`,
        });
      }
    }
  }
  for (const [email, rows] of read.byEmail) add(`email:${email}`, rows);
  issues.sort((a, b) => Number(a.location.split(':').pop()) - Number(b.location.split(':').pop()));
  return { name: read.file, organizations: read.organizations, roles: read.roles, byUser, issues, lines };
}
