/**
 * The operator's organizations file (`--supabase-organizations FILE`): Supabase has no
 * organizations, so who belongs where comes from a CSV the operator writes, one membership a line:
 *
 *   user,organization_id,organization_name,role
 *   6f1c...-uuid,acme,Acme Inc,admin
 *   bob@example.com,acme,Acme Inc,member
 *
 * The user is a Supabase user id (uuid) or email; the role may be empty (the environment's default
 * role) or several joined with `|`. The header is optional (without one the columns are in this
 * order). Read whole, once per export pass: it is the operator's own list, far smaller than the
 * users table it points into. A line that cannot be read is an error issue naming file, line and
 * field; the file itself unreadable (a missing file, broken quoting) an ExpectedError before anything
 * is staged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ExpectedError } from '../../errors.js';
import { isValidEmail } from '../../services/mapping/text.js';
import { detectDelimiter } from '../file/csv.js';
import type { SourceIssue, SourceOrganization } from '../types.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MappedLine {
  line: number;
  orgId: string;
  roles: string[];
}

export interface OrganizationsFile {
  file: string;
  /** For messages: `orgs.csv`. */
  name: string;
  organizations: SourceOrganization[];
  /** Lines by user: `id:<uuid>` or `email:<lowercased>`. */
  byUser: Map<string, MappedLine[]>;
  issues: SourceIssue[];
  lines: number;
}

const HEADER: Record<string, 'user' | 'orgId' | 'orgName' | 'role'> = {
  user: 'user', userid: 'user', uid: 'user', id: 'user', email: 'user', useremail: 'user', userid_or_email: 'user', useroremail: 'user',
  organizationid: 'orgId', orgid: 'orgId', organization: 'orgId', org: 'orgId', organizationexternalid: 'orgId',
  organizationname: 'orgName', orgname: 'orgName', name: 'orgName',
  role: 'role', roles: 'role', roleslug: 'role',
};
const norm = (s: string) => s.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[^a-z0-9]/g, '');

export const userKey = (value: string): string | undefined => {
  const v = value.trim();
  if (UUID.test(v)) return `id:${v.toLowerCase()}`;
  if (isValidEmail(v)) return `email:${v.toLowerCase()}`;
  return undefined;
};

export function readOrganizationsFile(file: string): OrganizationsFile {
  const name = path.basename(file);
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExpectedError(
      code === 'ENOENT' ? `The organizations file ${file} does not exist.` : `The organizations file ${file} cannot be read: ${(error as Error).message}.`,
      'Check the path given to --supabase-organizations (a CSV: user id or email, organization id, organization name, role).',
    );
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(content, { bom: true, delimiter: detectDelimiter(content.slice(0, 4096)), relax_column_count: true, skip_empty_lines: true, info: true, trim: true }) as never;
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new ExpectedError(
      `The organizations file ${name}${line ? `, line ${line},` : ''} is not a CSV that can be read: ${(error as Error).message}.`,
      'Fix the quoting on that line (a value holding a comma or a quote is written "like ""this"""), then run again.',
    );
  }
  const columns = { user: 0, orgId: 1, orgName: 2, role: 3 };
  const first = records[0]?.record ?? [];
  const named = first.map((c) => HEADER[norm(c)]);
  let start = 0;
  if (named.some(Boolean) && !first.some((c) => userKey(c))) {
    start = 1;
    const at = (key: keyof typeof columns) => named.indexOf(key);
    if (at('user') < 0 || at('orgId') < 0) {
      throw new ExpectedError(
        `The organizations file ${name}, line 1, is a header without ${at('user') < 0 ? 'a user column' : 'an organization_id column'} (it has: ${first.join(', ')}).`,
        'Write the header as user,organization_id,organization_name,role (or leave the header out and keep that order).',
      );
    }
    for (const key of Object.keys(columns) as (keyof typeof columns)[]) columns[key] = at(key);
  }

  const organizations = new Map<string, SourceOrganization>();
  const byUser = new Map<string, MappedLine[]>();
  const issues: SourceIssue[] = [];
  const problem = (line: number, field: string, message: string, severity: 'error' | 'warning' = 'error') =>
    issues.push({ location: `${name}:${line}`, field, severity, recordKind: 'membership', message });
  for (const { record, info } of records.slice(start)) {
    // csv-parse counts the line the record ends on: a record here spans one line.
    const line = info.lines;
    const cell = (i: number) => (i >= 0 ? (record[i] ?? '').trim() : '');
    const user = cell(columns.user);
    const orgId = cell(columns.orgId);
    const orgName = cell(columns.orgName);
    if (!user) {
      problem(line, 'user', 'no user: write the Supabase user\'s id (uuid) or email in the user column. This membership is not created.');
      continue;
    }
    const key = userKey(user);
    if (!key) {
      problem(line, 'user', `"${user.slice(0, 80)}" is neither a Supabase user id (a uuid) nor an email address. This membership is not created: fix the line and run again.`);
      continue;
    }
    if (!orgId) {
      problem(line, 'organization_id', 'no organization id: write the id the organization is to have as its WorkOS external id. This membership is not created.');
      continue;
    }
    let org = organizations.get(orgId);
    if (!org) {
      org = { sourceId: orgId, name: orgName || orgId, domains: [], origin: `${name}:${line}` };
      organizations.set(orgId, org);
      if (!orgName) problem(line, 'organization_name', `organization ${orgId} has no name on its first line; "${orgId}" is its name in WorkOS.`, 'warning');
    } else if (orgName && orgName !== org.name && org.origin) {
      problem(line, 'organization_name', `organization ${orgId} is named "${orgName}" here and "${org.name}" on ${org.origin}: the first name is kept.`, 'warning');
    }
    const roles = cell(columns.role).split('|').map((r) => r.trim()).filter(Boolean);
    const list = byUser.get(key) ?? [];
    list.push({ line, orgId, roles });
    byUser.set(key, list);
  }
  return { file, name, organizations: [...organizations.values()], byUser, issues, lines: records.length - start };
}
