/**
 * Clerk as a source: users from the Backend API (paged) or from the Dashboard's CSV export,
 * organizations and memberships from the Backend API whenever a secret key is given.
 *
 * Order, each step a staged batch with the cursor that says where the next request starts:
 *
 *   users    GET /v1/users?limit=&offset=&order_by=+created_at (oldest first: a user signing up
 *            during the export lands on the last page instead of shifting the pages already read)
 *   csv      or the export file, `batchSize` rows a batch; `row` counts the rows staged, so a
 *            resumed export skips them
 *   orgs     GET /v1/organizations?limit=&offset=, one page at a time, each organization with its
 *            domains (GET /v1/organizations/{id}/domains), then for each of its organizations
 *   members  GET /v1/organizations/{id}/memberships?limit=&offset=, its pending invitations
 *            (GET /v1/organizations/{id}/invitations?status=pending) named with its last page: they
 *            do not move. The next organizations' first pages and invitations are asked for ahead
 *            (AHEAD at once; the pacer keeps the rate), so the export runs at the instance's limit
 *            rather than at one round trip per request
 *
 * The Backend API never returns password digests or TOTP secrets (Clerk: "Only the Clerk
 * Dashboard export includes password digests and TOTP secrets"): with the API alone, password
 * users reset and TOTP users re-enrol, each told in the plan; the export carries both.
 *
 * Cursor: { v: 1, phase, offset, row, orgOffset, pending, memberOffset, orgsRead, done }.
 */
import fs from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceMembership, SourceOrganization, SourceProvider, SourceRole, SourceUser } from '../types.js';
import { ClerkApi, type ClerkConnection } from './client.js';
import { invitationIssue, mapApiUser, mapCsvRow, mapMembership, mapOrganization, type BannedChoice } from './mapping.js';

export { ClerkApi, ClerkCallError, parseRate, defaultRate, DEFAULT_API_URL } from './client.js';
export { mapApiUser, mapCsvRow, mapOrganization, mapMembership, listCell } from './mapping.js';
export type { BannedChoice } from './mapping.js';

export interface ClerkOptions {
  /** The instance's secret key; without it only the export file is read (no organizations). */
  secretKey?: string;
  apiUrl?: string;
  rate?: ClerkConnection['rate'];
  /** The Dashboard's user export (CSV): users come from it instead of the API. */
  exportFile?: string;
  banned?: BannedChoice;
  /** Users per API page (default and maximum 500). */
  pageSize?: number;
  /** Organizations / memberships per page (default 100 / 500; at most 500). */
  orgPageSize?: number;
  memberPageSize?: number;
  /** Rows of the export per staged batch (default 1000). */
  batchSize?: number;
}

type Phase = 'users' | 'csv' | 'orgs' | 'members' | 'done';

interface ClerkCursor {
  v: 1;
  phase: Phase;
  /** Users read from the API. */
  offset: number;
  /** Data rows of the export staged. */
  row: number;
  orgOffset: number;
  /** Organizations of the last page whose memberships are not all staged. */
  pending: string[];
  memberOffset: number;
  /** The last page of organizations was read: after its members, the export is done. */
  orgsRead: boolean;
  done: number;
}

/** The export's columns, as the Dashboard writes them. */
export const EXPORT_COLUMNS = [
  'id', 'first_name', 'last_name', 'username', 'primary_email_address', 'primary_phone_number', 'verified_email_addresses',
  'unverified_email_addresses', 'verified_phone_numbers', 'unverified_phone_numbers', 'totp_secret', 'password_digest', 'password_hasher',
];
const REQUIRED_COLUMNS = ['id', 'primary_email_address'];
/** Organizations whose domains, first memberships page and invitations are asked for at once. */
const AHEAD = 8;

function parseCursor(text: string): ClerkCursor {
  let c: Partial<ClerkCursor> = {};
  try {
    c = JSON.parse(text) as Partial<ClerkCursor>;
  } catch {
    // below
  }
  if (c.v !== 1 || typeof c.phase !== 'string' || !Array.isArray(c.pending) || typeof c.offset !== 'number' || typeof c.row !== 'number') {
    throw new ExpectedError('The saved Clerk export position in the journal is not one this version understands.', 'Start a new migration (a new --journal) to export again from the beginning.');
  }
  return c as ClerkCursor;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** The export's records with their line, header first; a broken quote is a located error. */
async function* csvRecords(file: string): AsyncGenerator<{ cells: string[]; line: number }> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExpectedError(`The Clerk export ${file} cannot be read${code === 'ENOENT' ? ': no such file' : `: ${(error as Error).message}`}.`, 'Check the path given to --clerk-export (the CSV from Clerk Dashboard > Settings > User exports).');
  }
  const parser = stream.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: 1024 * 1024 }));
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { cells: r.record, line: r.info.lines };
  } catch (error) {
    const e = error as CsvError & { lines?: number };
    if (e.code?.startsWith('CSV_') || typeof e.lines === 'number') {
      throw new ExpectedError(
        `The Clerk export ${file} cannot be read at line ${e.lines ?? '?'}: ${e.message.replace(/^Invalid Record Length: |^Invalid Closing Quote: /, '')}.`,
        'Fix that line (a quote opened and not closed, or a stray quote inside a cell) or export again from the Clerk Dashboard, then resume: the rows already staged are kept.',
      );
    }
    throw error;
  } finally {
    stream.destroy();
  }
}

/** The header's column positions; refuses a file that is not a Clerk export. */
function headerOf(file: string, cells: string[]): { index: Map<string, number>; ignored: { column: string; reason: string }[] } {
  const names = cells.map((c) => c.trim().toLowerCase());
  const index = new Map(names.map((n, i) => [n, i]));
  const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) {
    throw new ExpectedError(
      `${file}:1 is not a Clerk user export: the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (the header has ${names.slice(0, 8).join(', ') || 'nothing'}${names.length > 8 ? ', ...' : ''}).`,
      'Pass the CSV from Clerk Dashboard > Settings > User exports (Export users), as downloaded; for any other file use --source file.',
    );
  }
  const ignored = names
    .filter((n) => n && !EXPORT_COLUMNS.includes(n))
    .map((column) => ({ column, reason: 'not a column of the Clerk Dashboard export; its values are not read' }));
  return { index, ignored };
}

export function createClerkProvider(options: ClerkOptions): SourceProvider {
  const api = options.secretKey ? new ClerkApi({ secretKey: options.secretKey, apiUrl: options.apiUrl, rate: options.rate }) : undefined;
  if (!api && !options.exportFile) {
    throw new ExpectedError('The Clerk source needs the secret key, the Dashboard export, or both.', 'Set CLERK_SECRET_KEY (users, organizations and memberships from the Backend API) and/or pass --clerk-export FILE (users with their bcrypt passwords and TOTP secrets).');
  }
  const pageSize = Math.min(500, Math.max(1, Math.floor(options.pageSize ?? 500)));
  const orgPageSize = Math.min(500, Math.max(1, Math.floor(options.orgPageSize ?? 100)));
  const memberPageSize = Math.min(500, Math.max(1, Math.floor(options.memberPageSize ?? 500)));
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000));
  const banned: BannedChoice = options.banned ?? 'skip';
  const file = options.exportFile;
  const afterUsers: Phase = api ? 'orgs' : 'done';

  return {
    id: 'clerk',
    displayName: 'Clerk',

    async check() {
      const parts: string[] = [];
      if (api) {
        const users = await api.get<{ total_count?: number }>('/users/count', {}, 'count the users');
        const orgs = await api.get<{ total_count?: number }>('/organizations', { limit: 1, offset: 0 }, 'list organizations');
        const kind = options.secretKey!.startsWith('sk_live_') ? 'production' : 'development';
        parts.push(`Clerk ${kind} instance: ${plural(users.total_count ?? 0, 'user')}, ${plural(orgs.total_count ?? 0, 'organization')}`);
      }
      if (file) {
        const records = csvRecords(file);
        try {
          const head = await records.next();
          if (head.done) throw new ExpectedError(`The Clerk export ${file} is empty.`, 'Pass the CSV from Clerk Dashboard > Settings > User exports, as downloaded.');
          headerOf(file, head.value.cells);
        } finally {
          await records.return(undefined);
        }
        parts.push(`users from the Dashboard export ${file} (bcrypt passwords and TOTP secrets carried; it has no metadata or ban state)`);
        if (!api) parts.push('no CLERK_SECRET_KEY: organizations and memberships are not read');
      } else {
        parts.push('users from the Backend API: it never returns password digests or TOTP secrets, so password users reset and TOTP users re-enrol; pass --clerk-export FILE (the Dashboard export) to carry them');
      }
      return { summary: parts.join('; ') };
    },

    stats: () => api?.stats() ?? { requests: 0, rateLimited: 0, waitedMs: 0 },

    async *export({ cursor, signal, onRateLimited }: ExportOptions): AsyncIterable<ExportBatch> {
      let state: ClerkCursor = cursor ? parseCursor(cursor) : { v: 1, phase: file ? 'csv' : 'users', offset: 0, row: 0, orgOffset: 0, pending: [], memberOffset: 0, orgsRead: false, done: 0 };
      const aborted = () => signal?.aborted === true;
      const save = (next: Partial<ClerkCursor>) => (state = { ...state, ...next });
      const batchOf = (b: ExportBatch): ExportBatch => ({ ...b, cursor: JSON.stringify(state), progress: { done: state.done, unit: 'records' } });
      if (api) {
        api.signal = signal;
        api.onRateLimited = onRateLimited;
      }
      /** Requests sent ahead of their turn, by key; each awaited once, in order. */
      const pendingAhead = new Map<string, Promise<unknown>>();
      function ahead(key: string, send: () => Promise<unknown>): void {
        if (pendingAhead.has(key)) return;
        const sent = send();
        sent.catch(() => undefined); // awaited (and its error thrown) in its turn, or dropped by a stop
        pendingAhead.set(key, sent);
      }
      function take<T>(key: string, send: () => Promise<T>): Promise<T> {
        const sent = pendingAhead.get(key) as Promise<T> | undefined;
        pendingAhead.delete(key);
        return sent ?? send();
      }
      type Page = { data?: Record<string, unknown>[]; total_count?: number };
      const membersPage = (orgId: string, offset: number) =>
        api!.get<Page>(`/organizations/${encodeURIComponent(orgId)}/memberships`, { limit: memberPageSize, offset }, `list the memberships of ${orgId}`);
      const invitationsOf = (orgId: string) => all(`/organizations/${encodeURIComponent(orgId)}/invitations`, { status: 'pending' }, `list the invitations of ${orgId}`);
      /** Organization names of the current page, for the invitations' messages. */
      const names = new Map<string, string>();
      /** Every page of a short list (domains, invitations: one page of 500 as a rule). */
      const all = async (path: string, query: Record<string, string>, what: string): Promise<Record<string, unknown>[]> => {
        const out: Record<string, unknown>[] = [];
        for (;;) {
          const page = await api!.get<{ data?: Record<string, unknown>[]; total_count?: number }>(path, { ...query, limit: 500, offset: out.length }, what);
          const data = page.data ?? [];
          out.push(...data);
          if (data.length < 500 || (typeof page.total_count === 'number' && out.length >= page.total_count)) return out;
        }
      };
      try {
        while (state.phase !== 'done') {
          if (aborted()) return;
          switch (state.phase) {
            case 'users': {
              const page = await api!.get<unknown>('/users', { limit: pageSize, offset: state.offset, order_by: '+created_at' }, 'list users');
              if (!Array.isArray(page)) throw new ExpectedError('Clerk answered the users list with something that is not a list.', 'Check CLERK_API_URL: it should be the Backend API (https://api.clerk.com/v1).');
              const users: SourceUser[] = [];
              const issues: SourceIssue[] = [];
              const leftOut: NonNullable<ExportBatch['leftOut']> = [];
              for (const raw of page as Record<string, unknown>[]) {
                const mapped = mapApiUser(raw, banned);
                issues.push(...mapped.issues);
                if (!mapped.user) continue;
                users.push(mapped.user);
                if (mapped.leftOut) leftOut.push({ kind: 'user', sourceId: mapped.user.sourceId, reason: mapped.leftOut });
              }
              save({ offset: state.offset + page.length, done: state.done + users.length, ...(page.length < pageSize ? { phase: afterUsers } : {}) });
              yield batchOf({ users, issues, leftOut });
              break;
            }
            case 'csv': {
              yield* readExport();
              break;
            }
            case 'orgs': {
              const page = await api!.get<{ data?: Record<string, unknown>[]; total_count?: number }>('/organizations', { limit: orgPageSize, offset: state.orgOffset }, 'list organizations');
              const data = page.data ?? [];
              const organizations: SourceOrganization[] = [];
              const issues: SourceIssue[] = [];
              // The page's domains, AHEAD at a time: one round trip each, the pacer keeps the rate.
              const domainsOf = new Map<Record<string, unknown>, Record<string, unknown>[]>();
              for (let i = 0; i < data.length; i += AHEAD) {
                const chunk = data.slice(i, i + AHEAD);
                const lists = await Promise.all(chunk.map((raw) => (typeof raw.id === 'string' && raw.id ? all(`/organizations/${encodeURIComponent(raw.id)}/domains`, {}, `list the domains of ${raw.id}`) : Promise.resolve([]))));
                chunk.forEach((raw, k) => domainsOf.set(raw, lists[k]));
              }
              for (const raw of data) {
                const mapped = mapOrganization(raw, domainsOf.get(raw));
                issues.push(...mapped.issues);
                if (mapped.organization) organizations.push(mapped.organization);
              }
              const offset = state.orgOffset + data.length;
              const last = data.length < orgPageSize || (typeof page.total_count === 'number' && offset >= page.total_count);
              const pending = organizations.map((o) => o.sourceId);
              names.clear();
              for (const o of organizations) names.set(o.sourceId, o.name);
              save({ orgOffset: offset, pending, memberOffset: 0, orgsRead: last, done: state.done + organizations.length, phase: pending.length ? 'members' : last ? 'done' : 'orgs' });
              yield batchOf({ organizations, issues });
              break;
            }
            case 'members': {
              const orgId = state.pending[0];
              // The next organizations' first memberships page and invitations go out while this
              // one is staged; a stop leaves them unstaged, and a resume asks for them again.
              for (const [k, id] of state.pending.slice(0, AHEAD).entries()) {
                if (k > 0 || state.memberOffset === 0) ahead(`m ${id} 0`, () => membersPage(id, 0));
                ahead(`i ${id}`, () => invitationsOf(id));
              }
              const page = await take(`m ${orgId} ${state.memberOffset}`, () => membersPage(orgId, state.memberOffset));
              const data = page.data ?? [];
              const memberships: SourceMembership[] = [];
              const roles = new Map<string, SourceRole>();
              const issues: SourceIssue[] = [];
              for (const raw of data) {
                const mapped = mapMembership(raw, orgId);
                if (mapped.issue) issues.push(mapped.issue);
                if (mapped.membership) memberships.push(mapped.membership);
                if (mapped.role && !roles.has(mapped.role.slug)) roles.set(mapped.role.slug, mapped.role);
              }
              const offset = state.memberOffset + data.length;
              const last = data.length < memberPageSize || (typeof page.total_count === 'number' && offset >= page.total_count);
              if (last) {
                // Its pending invitations ride with its last memberships page: named, not carried.
                const invitations = await take(`i ${orgId}`, () => invitationsOf(orgId));
                issues.push(...invitations.map((i) => invitationIssue(i, orgId, names.get(orgId))));
                const pending = state.pending.slice(1);
                save({ pending, memberOffset: 0, phase: pending.length ? 'members' : state.orgsRead ? 'done' : 'orgs' });
              } else save({ memberOffset: offset });
              save({ done: state.done + memberships.length });
              yield batchOf({ memberships, roles: [...roles.values()], issues });
              break;
            }
          }
        }
      } catch (error) {
        if (aborted()) return;
        throw error;
      } finally {
        if (api) api.onRateLimited = undefined;
      }

      /** The Dashboard export, `batchSize` rows a batch, after the `state.row` rows already staged. */
      async function* readExport(): AsyncGenerator<ExportBatch> {
        const records = csvRecords(file!);
        const skipTo = state.row;
        let header: ReturnType<typeof headerOf> | undefined;
        let rows = 0;
        let users: SourceUser[] = [];
        let issues: SourceIssue[] = [];
        if (skipTo === 0) {
          issues.push({
            location: file!,
            severity: 'warning',
            message: `the Dashboard export has no metadata, no ban or lock state and no social accounts: users are imported without metadata, banned and locked users as ordinary users, social-only users without a password.${api ? '' : ' Without CLERK_SECRET_KEY no organizations or memberships are read.'}`,
          });
        }
        const flush = (): ExportBatch => {
          save({ row: rows, done: state.done + users.length });
          const out = batchOf({ users, issues, ...(header && skipTo === 0 && rows <= batchSize ? { ignoredColumns: header.ignored } : {}) });
          users = [];
          issues = [];
          return out;
        };
        try {
          for await (const { cells, line } of records) {
            if (!header) {
              header = headerOf(file!, cells);
              continue;
            }
            rows++;
            if (rows <= skipTo) continue;
            const location = `${file}:${line}`;
            const width = header.index.size;
            if (cells.length !== width) {
              issues.push({ location, severity: 'error', recordKind: 'user', message: `${cells.length} cells where the header has ${width}; this row is not imported. Check for an unquoted comma in a name, or export again from the Clerk Dashboard.` });
            } else {
              const row: Record<string, string | undefined> = Object.create(null);
              for (const [name, i] of header.index) row[name] = cells[i];
              const mapped = mapCsvRow(row, location);
              issues.push(...mapped.issues);
              if (mapped.user) users.push(mapped.user);
            }
            if (rows - skipTo > 0 && (rows - skipTo) % batchSize === 0) {
              yield flush();
              if (aborted()) return;
            }
          }
        } finally {
          await records.return(undefined);
        }
        if (!header) throw new ExpectedError(`The Clerk export ${file} is empty.`, 'Pass the CSV from Clerk Dashboard > Settings > User exports, as downloaded.');
        save({ phase: afterUsers });
        yield flush();
      }
    },
  };
}
