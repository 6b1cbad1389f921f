/**
 * The verification's public shapes (the Verify screen, `verify --json` and the orchestration read
 * them) and the one way a check's findings become its line.
 */
import type { Journal } from '../journal/journal.js';
import type { WrittenReports } from '../report/report.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface VerifyCheck {
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  examples?: string[];
  /**
   * Record checks: how many were looked at, out of how many imported, and what was found.
   * `sampled` stays for readers of older reports: every record is checked now, it is always false.
   */
  counts?: { checked: number; total: number; sampled: boolean; failed: number; warned: number };
}

export interface VerifyReport {
  checks: VerifyCheck[];
  /** Items only the operator can tick. */
  manual: { id: string; label: string }[];
  reports: WrittenReports;
}

export interface VerifyOptions {
  /**
   * TOTP factors are listed per user (one read each): up to this many enrolled factors (default
   * 50,000, about 8 minutes of reads); above it the check says how many and lists none.
   */
  fullCheckUpTo?: number;
  /** Per-record look-ups in flight at once (factors, invitations); the pacers set the rate. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (check: string, done: number, total: number) => void;
}

export type Finding = { level: 'fail' | 'warn'; text: string } | undefined;

/** What every check gets: the journal, the stop signal, the progress callback. */
export interface CheckContext {
  journal: Journal;
  signal?: AbortSignal;
  onProgress?: VerifyOptions['onProgress'];
}

const EXAMPLES = 5;

/**
 * One check's findings, counted as they come: only the first few examples are kept, so a million
 * records cost a few numbers, not a million strings.
 */
export class Tally {
  checked = 0;
  failed = 0;
  warned = 0;
  /** Why the check ended before every record was looked at (a stop, a list WorkOS would not give). */
  incomplete: string | undefined;
  private readonly fails: string[] = [];
  private readonly warns: string[] = [];

  constructor(
    readonly id: string,
    readonly label: string,
    readonly noun: string,
  ) {}

  add(finding: Finding): void {
    this.checked++;
    if (!finding) return;
    if (finding.level === 'fail') {
      if (this.failed++ < EXAMPLES) this.fails.push(finding.text);
    } else if (this.warned++ < EXAMPLES) this.warns.push(finding.text);
  }

  /** The check's line: `total` records were to be checked. */
  result(total: number): VerifyCheck {
    const { id, label } = this;
    if (total === 0 && !this.checked) {
      return { id, label, status: 'info', detail: `no ${this.noun}s imported: nothing to check`, counts: { checked: 0, total: 0, sampled: false, failed: 0, warned: 0 } };
    }
    const matching = this.checked - this.failed - this.warned;
    // Counts as people read them: 12,000 of 12,000.
    const n = (x: number) => x.toLocaleString('en-US');
    const parts = [`${n(matching)} of ${n(this.checked)} checked match`];
    if (this.failed) parts.push(`${n(this.failed)} wrong or missing`);
    if (this.warned) parts.push(`${n(this.warned)} to look at`);
    if (this.checked < total) parts.push(`stopped after ${n(this.checked)} of ${n(total)}${this.incomplete ? ` (${this.incomplete})` : ''}`);
    return {
      id,
      label,
      status: this.failed ? 'fail' : this.warned || this.checked < total ? 'warn' : 'pass',
      detail: parts.join('; '),
      examples: [...this.fails, ...this.warns],
      counts: { checked: this.checked, total, sampled: false, failed: this.failed, warned: this.warned },
    };
  }
}
