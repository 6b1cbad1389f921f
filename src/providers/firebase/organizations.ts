/**
 * Firebase has no organizations: an optional CSV the operator writes assigns them, one membership
 * a row: `user` (a Firebase uid, or an email), `organization_id`, `organization_name`, `role`
 * (several as `admin|billing`; empty: the default role). A header naming those columns is
 * optional; without one the order is as above. Read whole: it is small beside the export.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ExpectedError } from '../../errors.js';
import type { SourceIssue, SourceOrganization, SourceRole } from '../types.js';

export interface OrgRow {
  line: number;
  user: string;
  orgId: string;
  roles: string[];
}

export interface OrganizationsFile {
  file: string;
  organizations: SourceOrganization[];
  roles: SourceRole[];
  /** Rows by uid, and by lowercased email (a user key with `@`). */
  byUid: Map<string, OrgRow[]>;
  byEmail: Map<string, OrgRow[]>;
  issues: SourceIssue[];
}

const HEADER: Record<string, 'user' | 'orgId' | 'orgName' | 'role'> = {
  user: 'user',
  uid: 'user',
  user_id: 'user',
  localid: 'user',
  email: 'user',
  user_email: 'user',
  organization_id: 'orgId',
  org_id: 'orgId',
  organization: 'orgId',
  organization_name: 'orgName',
  org_name: 'orgName',
  role: 'role',
  roles: 'role',
};

const norm = (s: string) => s.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** How a source names its flag and its user ids in the messages (the Supabase source reads the same file). */
export interface OrganizationsFileNames {
  flag: string;
  /** What a user id is: `a Firebase uid`. */
  user: string;
}

export function readOrganizationsFile(file: string, names: OrganizationsFileNames = { flag: '--firebase-organizations', user: 'a Firebase uid' }): OrganizationsFile {
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ExpectedError(`The organizations file ${file} cannot be read (no such file).`, `Check the path given to ${names.flag} (a CSV: user, organization_id, organization_name, role).`);
  }
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, raw: true, trim: true }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];
  } catch (error) {
    const at = (error as { lines?: number }).lines;
    throw new ExpectedError(`${name} cannot be read as CSV${at ? ` at line ${at}` : ''}: ${(error as Error).message}.`, 'Fix that line of the organizations file and run again.');
  }
  const columns = { user: 0, orgId: 1, orgName: 2, role: 3 };
  let first = 0;
  if (records.length) {
    const head = records[0].record.map(norm);
    if (head.some((h) => HEADER[h] === 'orgId')) {
      first = 1;
      const at = (field: keyof typeof columns) => head.findIndex((h) => HEADER[h] === field);
      for (const field of Object.keys(columns) as (keyof typeof columns)[]) columns[field] = at(field);
      if (columns.user < 0) throw new ExpectedError(`${name} has no user column (uid or email).`, `Name the columns user, organization_id, organization_name, role (the user is ${names.user} or an email).`);
    }
  }
  const result: OrganizationsFile = { file: name, organizations: [], roles: [], byUid: new Map(), byEmail: new Map(), issues: [] };
  const orgs = new Map<string, SourceOrganization>();
  const roles = new Set<string>();
  for (const { record, info, raw } of records.slice(first)) {
    // info.lines is the line the record ends on; its raw text (after any skipped empty lines)
    // says how many lines it spans, so the line named is the one it starts on.
    const line = info.lines - (raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '').match(/\n/g)?.length ?? 0);
    const cell = (i: number) => (i >= 0 ? (record[i] ?? '').trim() : '');
    const where = `${name}:${line}`;
    const user = cell(columns.user);
    const orgId = cell(columns.orgId);
    const orgName = cell(columns.orgName);
    if (!user) {
      result.issues.push({ location: where, field: 'user', severity: 'error', recordKind: 'membership', message: `no user (${names.user} or an email) on this row; the row is not read. Fill it in and run again.` });
      continue;
    }
    if (!orgId) {
      result.issues.push({ location: where, field: 'organization_id', severity: 'error', recordKind: 'membership', message: `no organization_id for ${user}; the row is not read. Give each organization an id of your own (it becomes the WorkOS external id).` });
      continue;
    }
    const known = orgs.get(orgId);
    if (!known) orgs.set(orgId, { sourceId: orgId, name: orgName || orgId, domains: [], origin: where });
    else if (orgName && known.name !== orgName) {
      result.issues.push({ location: where, field: 'organization_name', severity: 'warning', recordKind: 'organization', sourceId: orgId, message: `organization ${orgId} is named "${known.name}" on line ${known.origin?.split(':').pop()} and "${orgName}" here; the first name is kept.` });
    }
    const rowRoles = cell(columns.role).split('|').map((r) => r.trim()).filter(Boolean);
    for (const r of rowRoles) roles.add(r);
    const row: OrgRow = { line, user, orgId, roles: rowRoles };
    const map = user.includes('@') ? result.byEmail : result.byUid;
    const key = user.includes('@') ? user.toLowerCase() : user;
    map.set(key, [...(map.get(key) ?? []), row]);
  }
  result.organizations = [...orgs.values()];
  result.roles = [...roles].map((slug) => ({ slug, name: slug }));
  return result;
}
