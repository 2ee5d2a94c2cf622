/**
 * Progress for long jobs: a one-line bar with throughput and ETA on a terminal, plain log lines otherwise
 * (CI logs, notebooks), at most every `intervalMs`.
 */
export interface ProgressOptions {
  /** Total units of work (steps, images); 0 or undefined when unknown. */
  readonly total?: number;
  /** Unit shown with the throughput, e.g. "img". */
  readonly unit?: string;
  /** Label at the start of the line. */
  readonly label?: string;
  /** Minimum time between plain log lines (ms). */
  readonly intervalMs?: number;
  /** Output stream (default stderr). */
  readonly stream?: NodeJS.WriteStream;
}

export class Progress {
  private readonly start = performance.now();
  private last = 0;
  private done = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly o: ProgressOptions = {}) {
    this.stream = o.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && process.env.CI !== "true";
  }

  /** Advance by `n` units; `info` is appended (e.g. "loss 5.12"). */
  tick(n = 1, info = ""): void {
    this.done += n;
    const now = performance.now();
    const finished = this.o.total !== undefined && this.done >= this.o.total;
    if (!finished && now - this.last < (this.tty ? 100 : (this.o.intervalMs ?? 5000))) return;
    this.last = now;
    const line = this.format(now, info);
    if (this.tty) this.stream.write(`\r\x1b[2K${line}${finished ? "\n" : ""}`);
    else this.stream.write(line + "\n");
  }

  /** Throughput so far in units per second. */
  rate(): number {
    return this.done / Math.max(1e-9, (performance.now() - this.start) / 1000);
  }

  private format(now: number, info: string): string {
    const secs = (now - this.start) / 1000;
    const rate = this.done / Math.max(secs, 1e-9);
    const unit = this.o.unit ?? "it";
    const total = this.o.total ?? 0;
    let bar = "";
    let eta = "";
    if (total > 0) {
      const frac = Math.min(1, this.done / total);
      const w = 24;
      bar = `[${"#".repeat(Math.round(frac * w)).padEnd(w, ".")}] ${this.done}/${total} `;
      eta = ` ETA ${formatDuration((total - this.done) / Math.max(rate, 1e-9))}`;
    } else bar = `${this.done} `;
    return `${this.o.label ? this.o.label + " " : ""}${bar}${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s elapsed ${formatDuration(secs)}${eta}${info ? "  " + info : ""}`;
  }
}

/** 75 → "1m15s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
