/**
 * Auth0 as a source, on the official `auth0` SDK (client credentials), paced to the tenant's own
 * x-ratelimit-* headers (client.ts).
 *
 * Order, each step a staged batch with the cursor that says where the next request starts:
 *
 *   job      POST /jobs/users-exports (format json, every field a migration reads) – at once, so
 *            Auth0 builds the file while the rest is paged; its id is staged before anything else
 *   roles    GET /roles?page=&per_page= (offset paging; a page shorter than asked is the last)
 *   orgs     GET /organizations?from=&take= (checkpoint paging), one page at a time, then for each
 *            of its organizations: enabled_connections (an enterprise one -> an Admin Portal
 *            warning) and GET /organizations/{id}/members?from=&take=&fields=...roles
 *   poll     GET /jobs/{id} until completed, its percentage as the progress (a progress-only batch)
 *   download the link of the completed job (re-asked from the job when it has expired), gunzipped
 *            and streamed as NDJSON, `pageSize` users a batch; `line` counts the lines staged, so a
 *            stop in the middle re-downloads and skips them (still matching their password rows)
 *
 * GET /users is never used: it stops at 1,000 results. With `exportFile` (an export the operator
 * already has) there is no job: the file is streamed instead.
 *
 * Cursor: { v: 1, phase, job, rolesPage, org, pending, conns, member, line, done }.
 */
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceMembership, SourceProvider, SourceRole, SourceUser } from '../types.js';
import { Auth0CallError, Auth0Caller, createManagement, type Auth0Connection } from './client.js';
import { fileBlocks, fileLines, ndjsonBlocks, readMfaFile, readPasswordFile, type MfaFile, type PasswordFile } from './files.js';
import { isEnterpriseStrategy, mapExportUser, mapOrganization, type BlockedChoice } from './mapping.js';
import { validateBatch } from '../../services/export/validate-batch.js';
import { sleep } from '../../services/rate/pacer.js';

export { Auth0Caller, Auth0CallError, bucketOf } from './client.js';
export type { Auth0Connection } from './client.js';
export { ndjsonBlocks, ndjsonLines, readPasswordFile, readMfaFile } from './files.js';
export { mapExportUser, mapOrganization, USER_METADATA_PREFIX } from './mapping.js';
export type { BlockedChoice } from './mapping.js';

export interface Auth0Options extends Auth0Connection {
  /** A bulk export file the operator already has (NDJSON, gzip or not): no export job. */
  exportFile?: string;
  passwordExportPath?: string;
  mfaExportPath?: string;
  blocked?: BlockedChoice;
  /** Users per staged batch of the download (default 500). */
  pageSize?: number;
  /** Organizations / members per page (default and maximum 100; Auth0's take). */
  take?: number;
  /** Roles per page (default 50). */
  rolesPerPage?: number;
  /** Between two polls of the export job (default 2000 ms). */
  pollMs?: number;
}

type Phase = 'job' | 'roles' | 'orgs' | 'members' | 'poll' | 'download' | 'done';

interface Auth0Cursor {
  v: 1;
  phase: Phase;
  job: string | null;
  rolesPage: number;
  /** The organizations' next `from` ('' = first page, null = no more). */
  org: string | null;
  /** Organizations of the current page whose connections / members are not all exported. */
  pending: string[];
  /** The enabled connections of pending[0] were read. */
  conns: boolean;
  /** The members' next `from` inside pending[0] ('' = first page). */
  member: string;
  /** Lines of the export file staged. */
  line: number;
  done: number;
}

/** The fields a migration reads from the bulk export. */
export const EXPORT_FIELDS = ['user_id', 'email', 'email_verified', 'name', 'given_name', 'family_name', 'blocked', 'identities', 'app_metadata', 'user_metadata', 'created_at'];

function parseCursor(text: string): Auth0Cursor {
  let c: Partial<Auth0Cursor> = {};
  try {
    c = JSON.parse(text) as Partial<Auth0Cursor>;
  } catch {
    // below
  }
  if (c.v !== 1 || typeof c.phase !== 'string' || !Array.isArray(c.pending) || typeof c.line !== 'number') {
    throw new ExpectedError('The saved Auth0 export position in the journal is not one this version understands.', 'Start a new migration (a new --journal) to export again from the beginning.');
  }
  return c as Auth0Cursor;
}

function loader<T>(file: string | undefined, read: (f: string) => Promise<T>): () => Promise<T | undefined> {
  let loading: Promise<T> | undefined;
  return () => {
    if (!file) return Promise.resolve(undefined);
    loading ??= read(file).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

export function createAuth0Provider(options: Auth0Options): SourceProvider {
  const caller = new Auth0Caller(options);
  const client = createManagement(options, caller);
  const take = Math.min(100, Math.max(1, Math.floor(options.take ?? 100)));
  const perPage = Math.min(100, Math.max(1, Math.floor(options.rolesPerPage ?? 50)));
  // 500: a batch's users live until it is posted, and in the export worker's small young
  // generation fewer survivors make cheaper collections (a million users a run).
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 500));
  const pollMs = options.pollMs ?? 2000;
  const blocked: BlockedChoice = options.blocked ?? 'skip';
  const loadPasswords = loader<PasswordFile>(options.passwordExportPath, readPasswordFile);
  const loadMfa = loader<MfaFile>(options.mfaExportPath, readMfaFile);

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (caller.signal?.aborted) throw error;
      throw caller.explain(error, what);
    }
  }

  const createJob = () =>
    call('create the users export job', () =>
      client.jobs.usersExports.create({ format: 'json', fields: EXPORT_FIELDS.map((name) => ({ name })) }),
    );

  return {
    id: 'auth0',
    displayName: 'Auth0',

    async check() {
      const roles = await call('list the tenant roles', () => client.roles.list({ per_page: 1, page: 0, include_totals: true }));
      const total = (roles.response as { total?: number }).total;
      const parts = [`Auth0 tenant ${options.domain}: ${typeof total === 'number' ? `${total} roles` : 'roles readable'}`];
      if (options.exportFile) {
        const head = fileLines(options.exportFile);
        try {
          await head.next();
        } catch (error) {
          throw new ExpectedError(`The Auth0 export ${options.exportFile} cannot be read: ${(error as Error).message}.`, 'Check the path given to --auth0-export.');
        } finally {
          await head.return(undefined);
        }
        parts.push(`users from ${options.exportFile}`);
      } else parts.push('users through a bulk export job');
      // Read and let go: the export (in its worker thread) reads them again, and a copy kept here
      // would sit beside the worker's for the whole run.
      const pw = options.passwordExportPath ? await readPasswordFile(options.passwordExportPath) : undefined;
      if (pw) parts.push(`${pw.byId.size} password hashes in ${pw.file}`);
      const mfa = options.mfaExportPath ? await readMfaFile(options.mfaExportPath) : undefined;
      if (mfa) parts.push(`${[...mfa.byId.values()].filter((e) => e.totpSecret).length} TOTP secrets in ${mfa.file}`);
      return { summary: parts.join('; ') };
    },

    stats: () => caller.stats(),

    async *export({ cursor, signal, onRateLimited }: ExportOptions): AsyncIterable<ExportBatch> {
      const pw = await loadPasswords();
      const mfa = await loadMfa();
      let state: Auth0Cursor = cursor
        ? parseCursor(cursor)
        : { v: 1, phase: options.exportFile ? 'roles' : 'job', job: null, rolesPage: 0, org: '', pending: [], conns: false, member: '', line: 0, done: 0 };
      const carry: SourceIssue[] = cursor ? [] : [...(pw?.issues ?? []), ...(mfa?.issues ?? [])];
      const aborted = () => signal?.aborted === true;
      const save = (next: Partial<Auth0Cursor>) => (state = { ...state, ...next });
      // The Management API's pages and the export job: each staged before the next request, so a
      // kill never asks for one twice (the download's lines, batched apart, are read ahead).
      const batchOf = (b: ExportBatch, progress?: ExportBatch['progress']): ExportBatch => ({
        ...b,
        issues: [...carry.splice(0), ...(b.issues ?? [])],
        cursor: JSON.stringify(state),
        progress: progress ?? { done: state.done, unit: 'records' },
        stagedBeforeNextRead: true,
      });
      caller.signal = signal;
      caller.onRateLimited = onRateLimited;
      let location: string | undefined;
      try {
        while (state.phase !== 'done') {
          if (aborted()) return;
          switch (state.phase) {
            case 'job': {
              const job = await createJob();
              save({ phase: 'roles', job: job.id });
              yield batchOf({});
              break;
            }
            case 'roles': {
              const page = await call('list the tenant roles', () => client.roles.list({ page: state.rolesPage, per_page: perPage, include_totals: true }));
              const roles: SourceRole[] = page.data
                .filter((r) => r.name)
                .map((r) => ({ slug: r.name!, name: r.name, description: r.description || undefined }));
              const total = (page.response as { total?: number }).total;
              const last = page.data.length < perPage || (typeof total === 'number' && (state.rolesPage + 1) * perPage >= total);
              save(last ? { phase: 'orgs', rolesPage: state.rolesPage + 1 } : { rolesPage: state.rolesPage + 1 });
              save({ done: state.done + roles.length });
              yield batchOf({ roles });
              break;
            }
            case 'orgs': {
              const from = state.org ?? '';
              const page = await call('list organizations', () => client.organizations.list({ take, ...(from ? { from } : {}) }));
              const organizations = [];
              const issues: SourceIssue[] = [];
              const ids: string[] = [];
              for (const o of page.data) {
                const mapped = mapOrganization(o);
                issues.push(...mapped.issues);
                if (mapped.organization) {
                  organizations.push(mapped.organization);
                  ids.push(mapped.organization.sourceId);
                }
              }
              const next = page.response.next || null;
              save({ org: next, pending: ids, conns: false, member: '', done: state.done + organizations.length });
              save({ phase: ids.length ? 'members' : next === null ? (options.exportFile ? 'download' : 'poll') : 'orgs' });
              yield batchOf({ organizations, issues });
              break;
            }
            case 'members': {
              const orgId = state.pending[0];
              if (!state.conns) {
                const issues: SourceIssue[] = [];
                let page = 0;
                for (;;) {
                  const conns = await call(`list the enabled connections of ${orgId}`, () =>
                    client.organizations.enabledConnections.list(orgId, { page, per_page: 50, include_totals: true }),
                  );
                  for (const c of conns.data) {
                    const strategy = c.connection?.strategy;
                    if (isEnterpriseStrategy(strategy)) {
                      issues.push({
                        location: `auth0 organization ${orgId}`,
                        field: 'sso',
                        severity: 'warning',
                        recordKind: 'organization',
                        sourceId: orgId,
                        message: `the organization signs in through the enterprise connection ${c.connection?.name ?? c.connection_id} (${strategy}). Connections cannot be exported from Auth0: after the import, send its IT admin a WorkOS Admin Portal link to set SSO up again (portal.generateLink({ organization: <its WorkOS id>, intent: 'sso' })).`,
                      });
                    }
                  }
                  const total = (conns.response as { total?: number }).total;
                  if (conns.data.length < 50 || (typeof total === 'number' && (page + 1) * 50 >= total)) break;
                  page++;
                }
                save({ conns: true });
                yield batchOf({ issues });
                break;
              }
              const from = state.member;
              const page = await call(`list the members of ${orgId}`, () =>
                client.organizations.members.list(orgId, { take, fields: 'user_id,email,name,roles', include_fields: true, ...(from ? { from } : {}) }),
              );
              const memberships: SourceMembership[] = [];
              for (const m of page.data) {
                if (!m.user_id) continue;
                let roles = m.roles;
                if (!roles) {
                  // An answer without roles: ask for them (paged), one member at a time.
                  roles = [];
                  for (let p = 0; ; p++) {
                    const r = await call(`list the roles of ${m.user_id} in ${orgId}`, () => client.organizations.members.roles.list(orgId, m.user_id!, { page: p, per_page: 50 }));
                    roles.push(...r.data);
                    if (r.data.length < 50) break;
                  }
                }
                memberships.push({
                  userSourceId: m.user_id,
                  orgSourceId: orgId,
                  roles: roles.map((r) => r.name ?? r.id ?? '').filter(Boolean),
                  origin: `auth0 organization ${orgId} member ${m.user_id}`,
                });
              }
              const next = page.response.next || '';
              if (next) save({ member: next });
              else {
                const pending = state.pending.slice(1);
                save({ pending, conns: false, member: '', phase: pending.length ? 'members' : state.org === null ? (options.exportFile ? 'download' : 'poll') : 'orgs' });
              }
              save({ done: state.done + memberships.length });
              yield batchOf({ memberships });
              break;
            }
            case 'poll': {
              if (!state.job) {
                const job = await createJob();
                save({ job: job.id });
              }
              const job = await call('read the users export job', () => client.jobs.get(state.job!));
              const status = job.status;
              if (status === 'completed' && job.location) {
                location = job.location;
                save({ phase: 'download' });
                yield batchOf({}, { done: 100, total: 100, unit: '% of the export job' });
                break;
              }
              if (status === 'failed' || status === 'completed') {
                // A failed (or empty-handed) job: one more, said.
                const again = await createJob();
                carry.push({
                  location: `auth0 export job ${state.job}`,
                  severity: 'warning',
                  message: `the users export job ${state.job} ${status === 'failed' ? 'failed' : 'completed without a file'}${job.status_details ? ` (${job.status_details})` : ''}; a new one (${again.id}) was started.`,
                });
                save({ job: again.id });
                yield batchOf({});
                break;
              }
              yield batchOf({}, { done: Math.max(0, Math.min(100, job.percentage_done ?? 0)), total: 100, unit: '% of the export job' });
              await sleep(Math.max(50, Math.min(pollMs, ((job.time_left_seconds as number | undefined) ?? pollMs / 1000) * 1000)), signal);
              break;
            }
            case 'download': {
              yield* download();
              break;
            }
          }
        }
      } catch (error) {
        if (aborted()) return;
        throw error;
      } finally {
        caller.onRateLimited = undefined;
      }

      /**
       * The download, tried again (a fresh link from the job, the lines staged skipped) when the
       * connection breaks in the middle of the file.
       */
      async function* download(): AsyncGenerator<ExportBatch> {
        for (let attempt = 1; ; attempt++) {
          try {
            yield* downloadOnce();
            return;
          } catch (error) {
            if (options.exportFile && !(error instanceof ExpectedError) && !aborted()) {
              throw new ExpectedError(
                `The Auth0 export ${options.exportFile} cannot be read after line ${state.line}: ${(error as Error).message}.`,
                'Check that it is the whole file (NDJSON, gzip-compressed or not) as Auth0 gave it, then resume: the lines staged are kept.',
              );
            }
            if (aborted() || options.exportFile || error instanceof ExpectedError || attempt >= 4) throw error;
            location = undefined;
            carry.push({
              location: `auth0 export job ${state.job}`,
              severity: 'warning',
              message: `the download of the users export broke after line ${state.line} (${(error as Error).message}); it was downloaded again from a fresh link and went on after the lines already staged.`,
            });
            await sleep(1000 * attempt, signal);
          }
        }
      }

      /** The export file's lines into users, `pageSize` a batch, after the `state.line` already staged. */
      async function* downloadOnce(): AsyncGenerator<ExportBatch> {
        const source = options.exportFile ?? 'the export job';
        let blocks: AsyncGenerator<string[]>;
        if (options.exportFile) blocks = fileBlocks(options.exportFile);
        else {
          let res: Response | undefined;
          for (let attempt = 0; ; attempt++) {
            if (!location) {
              const job = await call('read the users export job', () => client.jobs.get(state.job!));
              if (job.status !== 'completed' || !job.location) {
                save({ phase: 'poll' });
                return;
              }
              location = job.location;
            }
            res = await caller.fetch(location!);
            if (res.ok && res.body) break;
            await res.body?.cancel();
            location = undefined;
            // An expired link (403 from the store): the job gives a fresh one.
            if (attempt >= 3) {
              throw new Auth0CallError(`The users export file could not be downloaded (${res.status}).`, 'Resume (workos-migrate resume): the export job is asked for a fresh link.', res.status);
            }
          }
          blocks = ndjsonBlocks(res!.body! as unknown as AsyncIterable<Uint8Array>);
        }
        const matched = pw ? new Set<string>() : undefined;
        const skipTo = state.line;
        let n = 0;
        let users: SourceUser[] = [];
        let issues: SourceIssue[] = [];
        let skipped: { kind: 'user'; sourceId: string; reason: string; byChoice: true }[] = [];
        const flush = (): ExportBatch => {
          save({ line: n, done: state.done + users.length });
          const batch: ExportBatch = { users, issues: [...carry.splice(0), ...issues] };
          const { issues: all, invalid } = validateBatch(batch);
          const out: ExportBatch = { ...batch, issues: all, validated: { invalid: [...invalid, ...skipped] }, cursor: JSON.stringify(state), progress: { done: state.done, unit: 'records' } };
          users = [];
          issues = [];
          skipped = [];
          return out;
        };
        const ctx = { passwords: pw, mfa: mfa?.byId, blocked, matched };
        try {
          for await (const block of blocks) {
            for (const text of block) {
              n++;
              // Staged by an earlier pass: only its password match counts, and without a password
              // file there is none to make.
              if (n <= skipTo && !pw) continue;
              if (!text.trim()) continue;
              const where = `${source}:${n}`;
              let raw: Record<string, unknown>;
              try {
                raw = JSON.parse(text) as Record<string, unknown>;
              } catch {
                if (n > skipTo) issues.push({ location: where, severity: 'error', recordKind: 'user', message: 'not a JSON object (the export should be newline-delimited JSON); this line is not imported.' });
                continue;
              }
              if (!raw || typeof raw !== 'object') continue;
              const mapped = mapExportUser(raw, where, ctx);
              if (n <= skipTo) continue;
              for (const issue of mapped.issues) issues.push(issue);
              if (mapped.user) {
                users.push(mapped.user);
                if (mapped.skipReason) skipped.push({ kind: 'user', sourceId: mapped.user.sourceId, reason: mapped.skipReason, byChoice: true });
              }
              if (users.length >= pageSize) {
                yield flush();
                if (aborted()) return;
              }
            }
          }
        } finally {
          await blocks.return(undefined);
        }
        if (pw) {
          for (const row of pw.byId.values()) {
            if (matched!.has(row.userId)) continue;
            issues.push({
              location: `${pw.file}:${row.line}`,
              field: 'passwordHash',
              severity: 'warning',
              message: `the password export has ${row.userId}${row.email ? ` (${row.email})` : ''}, who is not in the users export: not created from the password file alone (it lacks the profile). Check whether the user was deleted in Auth0.`,
            });
          }
        }
        save({ phase: 'done' });
        yield flush();
      }
    },
  };
}
