/**
 * Progress lines with throughput and ETA. On a TTY the line is redrawn in place (`\r`); otherwise (CI logs,
 * pipes) a full line is printed at most every `intervalMs`, plus a final line.
 */

/** Where progress goes: `process.stdout`/`process.stderr` or anything with `write`. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Options of {@link ProgressReporter}. */
export interface ProgressOptions {
  /** Prefix of every line, e.g. "features mimic/test". */
  readonly label?: string;
  /** Expected total (for percent and ETA); unknown when absent. */
  readonly total?: number;
  /** Unit of the counted items, e.g. "img". */
  readonly unit?: string;
  /** Output; default `process.stdout`. */
  readonly sink?: ProgressSink;
  /** Minimum time between non-TTY lines; default 5000 ms. TTY redraws are throttled to 100 ms. */
  readonly intervalMs?: number;
  /** Clock in ms (tests); default `performance.now`. */
  readonly now?: () => number;
}

/** Format seconds as "42s", "3m05s" or "1h02m". */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return "?";
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Counts items and prints throughput and ETA.
 * @example
 * const p = new ProgressReporter({ label: "features", total: 1000, unit: "img" });
 * p.update(64); …; p.done();
 */
export class ProgressReporter {
  private count = 0;
  private info = "";
  private lastPrint = -Infinity;
  private readonly start: number;
  private readonly tty: boolean;
  private readonly sink: ProgressSink;
  private readonly now: () => number;

  constructor(private readonly opts: ProgressOptions = {}) {
    this.sink = opts.sink ?? process.stdout;
    this.tty = this.sink.isTTY === true;
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Items counted so far. */
  get processed(): number {
    return this.count;
  }

  /** The current status line (without control characters). */
  line(): string {
    const elapsed = (this.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.count / elapsed : 0;
    const unit = this.opts.unit ?? "items";
    const total = this.opts.total;
    const head = this.opts.label ? `${this.opts.label}: ` : "";
    if (total !== undefined && total > 0) {
      const pct = ((100 * this.count) / total).toFixed(1);
      const eta = rate > 0 ? formatDuration((total - this.count) / rate) : "?";
      return `${head}${this.count}/${total} ${unit} (${pct}%) ${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s ETA ${eta}${this.info ? "  " + this.info : ""}`;
    }
    return `${head}${this.count} ${unit} ${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s elapsed ${formatDuration(elapsed)}${this.info ? "  " + this.info : ""}`;
  }

  /** Add `k` processed items and print if due; `info` (e.g. "loss 5.12") is appended to the line. */
  update(k: number, info = ""): void {
    this.count += k;
    this.info = info;
    const t = this.now();
    const every = this.tty ? 100 : (this.opts.intervalMs ?? 5000);
    if (t - this.lastPrint >= every) {
      this.lastPrint = t;
      this.sink.write(this.tty ? `\r${this.line()}\x1b[K` : `${this.line()}\n`);
    }
  }

  /** Print the final line (and end the TTY line). */
  done(): void {
    this.sink.write(this.tty ? `\r${this.line()}\x1b[K\n` : `${this.line()} done\n`);
  }
}
