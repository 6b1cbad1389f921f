/**
 * The engine's typed events. The headless runner prints them; the wizard's store subscribes to
 * them. Progress is coalesced per phase and flushed at most ~10 times a second, so a listener
 * that draws can never slow the work down.
 */
import type { RecordKind } from './journal/types.js';

/** `factors`: TOTP factors enrolled after the memberships (only when the source handed over secrets). */
export type PhaseName = 'export' | 'organizations' | 'users' | 'memberships' | 'factors' | 'reconcile' | 'dry-run';

export interface ProgressCounts {
  total: number;
  done: number;
  created: number;
  adopted: number;
  failed: number;
  skipped: number;
  /**
   * Of `created`, those this run found by look-up instead of creating: its own earlier write whose
   * answer was lost, or a record in flight when a run stopped. Said apart so that a resumed run
   * does not claim to have created them now.
   */
  found?: number;
}

export type MigrationEvent =
  | { type: 'phase'; phase: PhaseName; status: 'start' | 'end' }
  | {
      type: 'progress';
      phase: PhaseName;
      counts: ProgressCounts;
      unit: string;
      /** Calls per second over the last few seconds, and the ceiling they are measured against. */
      ratePerSecond: number;
      ceilingPerSecond?: number;
      etaSeconds?: number;
    }
  /** `factor`: a user's TOTP factor (sourceId is the user's); its message never holds the secret. */
  | { type: 'record'; kind: RecordKind | 'factor'; sourceId: string; label?: string; outcome: 'failed' | 'skipped'; code: string; message: string }
  | { type: 'rate_limited'; bucket: string; retryAfterMs: number }
  /** `code` names notices a front end may want to treat apart (workos_unreachable, workos_reachable). */
  | { type: 'notice'; level: 'info' | 'warning'; message: string; code?: string };

export type Listener = (event: MigrationEvent) => void;

export interface EventBus {
  emit(event: MigrationEvent): void;
  subscribe(listener: Listener): () => void;
  /** Sends any coalesced progress now (at the end of a phase). */
  flush(): void;
}

export function createEventBus(flushEveryMs = 100): EventBus {
  const listeners = new Set<Listener>();
  const pendingProgress = new Map<PhaseName, MigrationEvent>();
  let timer: NodeJS.Timeout | undefined;

  const deliver = (event: MigrationEvent) => {
    for (const listener of listeners) listener(event);
  };
  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const events = [...pendingProgress.values()];
    pendingProgress.clear();
    for (const event of events) deliver(event);
  };

  return {
    emit(event) {
      if (event.type !== 'progress') {
        // Ordering: a phase's last progress goes out before its end.
        if (event.type === 'phase') flush();
        deliver(event);
        return;
      }
      pendingProgress.set(event.phase, event);
      if (!timer) {
        timer = setTimeout(flush, flushEveryMs);
        timer.unref?.();
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush,
  };
}

/** Calls per second over a sliding few seconds, for rates and ETAs that do not jitter. */
export class RateMeter {
  private readonly samples: { at: number; count: number }[];
  private count = 0;

  /** Starts counting now: early rates are measured from the start, never from two close samples. */
  constructor(private readonly spanMs = 5_000, now = performance.now()) {
    this.samples = [{ at: now, count: 0 }];
  }

  add(n = 1): void {
    this.count += n;
  }

  /** Called once per record: keeps at most one sample per 100 ms, so the window stays ~50 long. */
  perSecond(now = performance.now()): number {
    if (now - this.samples[this.samples.length - 1].at >= 100) this.samples.push({ at: now, count: this.count });
    while (this.samples.length > 2 && now - this.samples[1].at >= this.spanMs) this.samples.shift();
    const first = this.samples[0];
    const elapsed = now - first.at;
    return elapsed > 0 ? ((this.count - first.count) * 1000) / elapsed : 0;
  }
}
