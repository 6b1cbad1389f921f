import type { EventBus, MigrationEvent, PhaseName } from '../services/events.js';
import { paceWords } from '../services/run/pace-words.js';

const number = (n: number) => n.toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

export function progressLine(event: Extract<MigrationEvent, { type: 'progress' }>): string {
  const c = event.counts;
  const parts = [`${event.phase.padEnd(13)} ${number(c.done + c.failed + c.skipped)}/${number(c.total)} ${event.unit}`];
  if (event.phase === 'export') {
    parts[0] = `${event.phase.padEnd(13)} ${number(c.done)} ${event.unit}`;
  } else if (event.phase === 'factors') {
    // TOTP factors: enrolled, or skipped (the user had one already) or failed; never adopted.
    parts[0] = `${event.phase.padEnd(13)} ${number(c.done + c.failed + c.skipped)}/${number(c.total)} TOTP factors`;
    parts.push(`${number(c.done)} enrolled`, `${number(c.failed)} failed`);
    if (c.skipped) parts.push(`${number(c.skipped)} skipped`);
  } else if (event.phase === 'dry-run') {
    // A dry run writes nothing: its counts are what the run would do.
    parts.push(`${number(c.created)} would be created`, `${number(c.adopted)} would be adopted (already in WorkOS)`);
  } else {
    parts.push(`${number(c.created)} created`, `${number(c.adopted)} adopted`, `${number(c.failed)} failed`);
    if (c.skipped) parts.push(`${number(c.skipped)} skipped`);
  }
  parts.push(paceWords(event));
  if (event.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(event.etaSeconds)}`);
  return parts.join(' · ');
}

/**
 * Headless output: human lines on stderr (progress at most once a second per phase, so logs stay
 * readable), or with --json every event as one JSON line on stdout.
 */
export class HeadlessOutput {
  private readonly lastProgressAt = new Map<PhaseName, number>();
  private readonly lastProgress = new Map<PhaseName, Extract<MigrationEvent, { type: 'progress' }>>();
  private readonly lastPrinted = new Map<PhaseName, Extract<MigrationEvent, { type: 'progress' }>>();
  private recordLines = 0;
  private recordLinesHidden = 0;

  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly stderr: NodeJS.WritableStream,
    readonly json: boolean,
    private readonly maxRecordLines = 20,
  ) {}

  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.onEvent(event));
  }

  info(message: string): void {
    if (this.json) this.emitJson({ type: 'notice', level: 'info', message });
    else this.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    if (this.json) this.emitJson({ type: 'notice', level: 'warning', message });
    else this.stderr.write(`! ${message}\n`);
  }

  /** The final word of a command: a JSON object with --json, else lines on stderr. */
  result(value: Record<string, unknown>, lines: string[]): void {
    if (this.json) this.emitJson({ type: 'result', ...value });
    else for (const line of lines) this.stderr.write(`${line}\n`);
  }

  private emitJson(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  private onEvent(event: MigrationEvent): void {
    if (this.json) return this.emitJson(event);
    switch (event.type) {
      case 'phase':
        if (event.status === 'end') {
          const last = this.lastProgress.get(event.phase);
          if (last && last !== this.lastPrinted.get(event.phase)) this.stderr.write(`${progressLine(last)}\n`);
          if (this.recordLinesHidden) {
            this.stderr.write(`  ... and ${number(this.recordLinesHidden)} more (all are in the failures file)\n`);
            this.recordLinesHidden = 0;
          }
        }
        return;
      case 'progress': {
        this.lastProgress.set(event.phase, event);
        const now = performance.now();
        if (now - (this.lastProgressAt.get(event.phase) ?? -Infinity) >= 1_000) {
          this.lastProgressAt.set(event.phase, now);
          this.lastPrinted.set(event.phase, event);
          this.stderr.write(`${progressLine(event)}\n`);
        }
        return;
      }
      case 'record':
        if (this.recordLines < this.maxRecordLines) {
          this.recordLines++;
          this.stderr.write(`  ${event.outcome} ${event.kind} ${event.label ?? event.sourceId}: ${event.message} [${event.code}]\n`);
        } else {
          this.recordLinesHidden++;
        }
        return;
      case 'rate_limited':
        return; // the pacer absorbs these; the rate in the progress line tells the story
      case 'notice':
        this.stderr.write(`${event.level === 'warning' ? '! ' : ''}${event.message}\n`);
        return;
    }
  }
}
