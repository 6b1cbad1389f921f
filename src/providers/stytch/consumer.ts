/**
 * Stytch (consumer) as a source: Search Users (`results`), 1000 a page, at most 150 requests a
 * minute. The cursor is `{ v: 1, next, done }`: Stytch's next_cursor ('' = first page, null = no
 * more) and the users read so far. Users without an email (phone-only) cannot become WorkOS users:
 * they are reported, not exported.
 */
import type { Client } from 'stytch';
import { ExpectedError } from '../../errors.js';
import type { ExportBatch, ExportOptions, SourceIssue, SourceProvider, SourceUser } from '../types.js';
import { baseUrlOf, createConsumerClient, passwordLoader, StytchCaller, type StytchConnection } from './client.js';
import { mapConsumerUser } from './mapping.js';

export interface StytchConsumerOptions extends StytchConnection {
  passwordExportPath?: string;
  /** Requests a minute (default 150, Stytch's limit for user search). */
  ratePerMinute?: number;
  windowMs?: number;
  /** Users per page (default and maximum 1000). */
  pageSize?: number;
}

interface ConsumerCursor {
  v: 1;
  next: string | null;
  done: number;
}

const WRONG_KIND = 'Is this a consumer Stytch project? For a B2B project use --source stytch-b2b.';

function parseCursor(text: string): ConsumerCursor {
  let c: Partial<ConsumerCursor> = {};
  try {
    c = JSON.parse(text) as Partial<ConsumerCursor>;
  } catch {
    // fall through
  }
  if (c.v !== 1 || (c.next !== null && typeof c.next !== 'string') || typeof c.done !== 'number') {
    throw new ExpectedError(
      'The saved Stytch export position in the journal is not one this version understands.',
      'Start a new migration (a new --journal) to export again from the beginning.',
    );
  }
  return c as ConsumerCursor;
}

export function createStytchConsumerProvider(options: StytchConsumerOptions): SourceProvider {
  const pageSize = Math.min(1000, Math.max(1, Math.floor(options.pageSize ?? 1000)));
  const client: Client = createConsumerClient(options);
  const caller = new StytchCaller({
    projectId: options.projectId,
    baseUrl: baseUrlOf(options),
    limit: options.ratePerMinute ?? 150,
    windowMs: options.windowMs ?? 60_000,
    wrongKindHint: WRONG_KIND,
  });
  const loadPasswords = passwordLoader(options.passwordExportPath);

  return {
    id: 'stytch',
    displayName: 'Stytch',

    async check() {
      const found = await caller.call('search users', () => client.users.search({ limit: 1 }));
      const total = found.results_metadata?.total;
      const parts = [`Stytch project ${options.projectId}: ${typeof total === 'number' && total >= 0 ? `${total} users` : 'users readable'}`];
      const pw = await loadPasswords();
      if (pw) parts.push(`${pw.byId.size} password hashes in ${pw.file}${pw.issues.length ? ` (${pw.issues.length} row${pw.issues.length === 1 ? '' : 's'} cannot be imported)` : ''}`);
      return { summary: parts.join('; ') };
    },

    stats: () => caller.stats(),

    async *export({ cursor, signal, onRateLimited }: ExportOptions): AsyncIterable<ExportBatch> {
      const pw = await loadPasswords();
      let state: ConsumerCursor = cursor ? parseCursor(cursor) : { v: 1, next: '', done: 0 };
      const pending: SourceIssue[] = cursor ? [] : [...(pw?.issues ?? [])];
      caller.onRateLimited = onRateLimited;
      try {
        while (state.next !== null) {
          if (signal?.aborted) return;
          const next = state.next;
          const page = await caller.call('search users', () => client.users.search({ limit: pageSize, ...(next ? { cursor: next } : {}) }), signal);
          const users: SourceUser[] = [];
          const issues = pending.splice(0);
          for (const u of page.results ?? []) {
            const mapped = mapConsumerUser(u, { passwords: pw });
            if (mapped.user) users.push(mapped.user);
            issues.push(...mapped.issues);
          }
          state = { v: 1, next: page.results_metadata?.next_cursor || null, done: state.done + (page.results?.length ?? 0) };
          yield { users, issues, cursor: JSON.stringify(state), progress: { done: state.done, total: page.results_metadata?.total > 0 ? page.results_metadata.total : undefined, unit: 'users' } };
        }
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      } finally {
        caller.onRateLimited = undefined;
      }
    },
  };
}
