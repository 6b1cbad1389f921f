/**
 * The export's reading half, in a worker thread: parsing a large file and validating its records
 * is as much work as staging them in SQLite, so the two run side by side on two cores. The main
 * thread keeps the journal; the worker posts validated batches, at most two ahead of staging.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ExpectedError } from '../../errors.js';
import { createProvider } from '../../providers/index.js';
import type { ExportBatch, ExportOptions, SourceProvider, SourceStats } from '../../providers/types.js';
import { membershipRows, userRows } from '../journal/rows.js';
import { validateBatch } from './validate-batch.js';

interface WorkerInput {
  kind: string;
  options: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  cursor?: string;
}

type WorkerMessage =
  | { type: 'batch'; batch: ExportBatch; stats?: SourceStats }
  | { type: 'rate_limited'; waitMs: number; stats?: SourceStats }
  | { type: 'done'; stats?: SourceStats }
  | { type: 'error'; message: string; nextStep?: string; expected: boolean; stack?: string };

const AHEAD = 2;

/** The worker's heap generations in MB (a source definition's `worker`, resolved for a run's options). */
type WorkerMemory = { heapMb?: number; youngMb?: number };

/** A provider whose export runs in a worker thread; `check()` stays in this thread (a head read). */
export function providerInWorker(
  kind: string,
  options: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  memory: WorkerMemory = {},
): SourceProvider {
  const local = createProvider(kind, options, env);
  // Smaller batches than in-process: fewer rows alive at once on either side of the channel.
  options = { batchSize: 2000, ...options };
  // An API source's requests and 429s are counted in the worker: its latest figures come with
  // every batch and every wait.
  const counted = { stats: undefined as SourceStats | undefined };
  return {
    id: local.id,
    displayName: local.displayName,
    check: () => local.check(),
    ...(local.census ? { census: (o?: { newest?: number }) => local.census!(o) } : {}),
    ...(local.stats ? { stats: () => counted.stats ?? { requests: 0, rateLimited: 0, waitedMs: 0 } } : {}),
    export: (exportOptions) => exportInWorker({ kind, options, env, cursor: exportOptions.cursor }, exportOptions, counted, memory),
  };
}

/** The worker's entry: this module as built, or (from source, in tests) through tsx's loader. */
function startWorker(workerData: WorkerInput, memory: WorkerMemory): Worker {
  const self = import.meta.url;
  const options = {
    workerData,
    // Small generations: a file's garbage is short-lived rows, and a bounded heap keeps a
    // million-row export within its memory budget (~145 MB for the whole process reading a file).
    resourceLimits: { maxYoungGenerationSizeMb: memory.youngMb ?? 8, maxOldGenerationSizeMb: memory.heapMb ?? 64 },
  };
  if (!self.endsWith('.ts')) return new Worker(new URL(self), options);
  const tsxApi = pathToFileURL(path.join(path.dirname(createRequire(self).resolve('tsx')), 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

async function* exportInWorker(input: WorkerInput, options: ExportOptions, counted: { stats?: SourceStats }, memory: WorkerMemory): AsyncGenerator<ExportBatch> {
  const worker = startWorker(input, memory);
  // A wait is said the moment it arrives, never queued: the inbox holds everything else.
  const inbox: (Exclude<WorkerMessage, { type: 'rate_limited' }> | { type: 'crash'; error: Error })[] = [];
  let wake: (() => void) | undefined;
  const push = (message: (typeof inbox)[number]) => {
    inbox.push(message);
    wake?.();
  };
  worker.on('message', (message: WorkerMessage) => {
    if (message.type !== 'error') counted.stats = message.stats ?? counted.stats;
    if (message.type === 'rate_limited') options.onRateLimited?.(message.waitMs);
    else push(message);
  });
  worker.on('error', (error) => push({ type: 'crash', error }));
  worker.on('exit', (code) => push(code === 0 ? { type: 'done' } : { type: 'crash', error: new Error(`the export worker stopped (exit code ${code})`) }));
  const onAbort = () => worker.postMessage({ type: 'stop' });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (!inbox.length) await new Promise<void>((resolve) => (wake = resolve));
      const message = inbox.shift()!;
      if (message.type === 'batch') {
        yield message.batch;
        worker.postMessage({ type: 'ack' }); // staged: the worker may read one more
      } else if (message.type === 'done') return;
      else if (message.type === 'crash') throw message.error;
      else if (message.expected) throw new ExpectedError(message.message, message.nextStep);
      else {
        const error = new Error(message.message);
        error.stack = message.stack;
        throw error;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}

/** The worker's side: read, validate, post; wait for staging when two batches are ahead. */
async function runInWorker(): Promise<void> {
  const port = parentPort!;
  const input = workerData as WorkerInput;
  const stop = new AbortController();
  let credits = AHEAD;
  let waiting: (() => void) | undefined;
  port.on('message', (message: { type: string }) => {
    if (message.type === 'ack') {
      credits++;
      waiting?.();
    } else if (message.type === 'stop') {
      stop.abort(new Error('stopped'));
      waiting?.();
    }
  });
  try {
    const provider = createProvider(input.kind, input.options, input.env);
    const onRateLimited = (waitMs: number) => port.postMessage({ type: 'rate_limited', waitMs, stats: provider.stats?.() } satisfies WorkerMessage);
    for await (const batch of provider.export({ cursor: input.cursor, signal: stop.signal, onRateLimited })) {
      const { issues, invalid } = validateBatch(batch);
      while (credits === 0 && !stop.signal.aborted) await new Promise<void>((resolve) => (waiting = resolve));
      if (stop.signal.aborted) break;
      credits--;
      // Flattened here, on the reading thread: the staging thread only binds values.
      const rows = { users: userRows(batch.users ?? []), memberships: membershipRows(batch.memberships ?? []) };
      port.postMessage({ type: 'batch', batch: { ...batch, users: undefined, memberships: undefined, rows, issues, validated: { invalid } }, stats: provider.stats?.() } satisfies WorkerMessage);
      // Every batch posted staged (all credits back) before the source makes its next request.
      if (batch.stagedBeforeNextRead) while (credits < AHEAD && !stop.signal.aborted) await new Promise<void>((resolve) => (waiting = resolve));
    }
    port.postMessage({ type: 'done', stats: provider.stats?.() } satisfies WorkerMessage);
  } catch (error) {
    const e = error as Error;
    port.postMessage({
      type: 'error',
      message: e.message,
      nextStep: error instanceof ExpectedError ? error.nextStep : undefined,
      expected: error instanceof ExpectedError,
      stack: e.stack,
    } satisfies WorkerMessage);
  } finally {
    port.close();
  }
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.kind) await runInWorker();
