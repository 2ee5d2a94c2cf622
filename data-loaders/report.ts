/**
 * Load reports and data errors. Loaders never crash halfway: a bad row or image is skipped,
 * counted by reason and reported here, or the load stops *before* it starts with a
 * {@link DataFormatError} whose message names the file, the column and the fix.
 */

/** One skipped row or image, kept as an example in a {@link LoadReport}. */
export interface LoadIssue {
  /** File the problem was found in. */
  readonly file: string;
  /** 1-based physical line of the CSV (when the issue is a row). */
  readonly line?: number;
  /** Human-readable description, e.g. `unknown label value "2.0" in column "Edema"`. */
  readonly detail: string;
}

/** Maximum number of examples kept per reason. */
const MAX_EXAMPLES = 5;

/**
 * Counts of skipped rows/images by reason, with a few examples each.
 * @example
 * const r = new LoadReport("nih14");
 * r.skip("malformed row", { file: "x.csv", line: 3, detail: "4 cells, expected 11" });
 * r.total("malformed row"); // 1
 */
export class LoadReport {
  /** What was loaded (dataset name or file). */
  readonly source: string;
  /** Rows or images read before filtering. */
  read = 0;
  /** Rows or images kept. */
  kept = 0;
  private readonly counts = new Map<string, number>();
  private readonly examples = new Map<string, LoadIssue[]>();
  /** Non-fatal notes (e.g. "ages > 100 flagged: 16"). */
  readonly notes: string[] = [];

  /** @param source what is being loaded, used in {@link LoadReport.toString}. */
  constructor(source: string) {
    this.source = source;
  }

  /** Count one skipped item under `reason` and keep it as an example (up to 5 per reason). */
  skip(reason: string, issue: LoadIssue): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    const ex = this.examples.get(reason) ?? [];
    if (ex.length < MAX_EXAMPLES) ex.push(issue);
    this.examples.set(reason, ex);
  }

  /** Number of items skipped for `reason`, or for every reason when omitted. */
  total(reason?: string): number {
    if (reason !== undefined) return this.counts.get(reason) ?? 0;
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** Skip counts by reason. */
  get skipped(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.counts);
  }

  /** Examples kept for `reason`. */
  examplesOf(reason: string): readonly LoadIssue[] {
    return this.examples.get(reason) ?? [];
  }

  /** Merge another report's counts, examples and notes into this one (read/kept are not summed). */
  absorb(other: LoadReport): void {
    for (const [reason, n] of other.counts) {
      this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
      const ex = this.examples.get(reason) ?? [];
      for (const e of other.examples.get(reason) ?? []) if (ex.length < MAX_EXAMPLES) ex.push(e);
      this.examples.set(reason, ex);
    }
    this.notes.push(...other.notes);
  }

  /** Plain-object form, for JSON logs. */
  toJSON(): { source: string; read: number; kept: number; skipped: Record<string, number>; examples: Record<string, LoadIssue[]>; notes: string[] } {
    return {
      source: this.source,
      read: this.read,
      kept: this.kept,
      skipped: Object.fromEntries(this.counts),
      examples: Object.fromEntries(this.examples),
      notes: [...this.notes],
    };
  }

  /** One-paragraph summary, e.g. `nih14: read 10, kept 8; skipped 2 (malformed row: 2)`. */
  toString(): string {
    const parts = [...this.counts].map(([k, v]) => `${k}: ${v}`);
    const skipped = parts.length ? `; skipped ${this.total()} (${parts.join(", ")})` : "";
    return `${this.source}: read ${this.read}, kept ${this.kept}${skipped}`;
  }
}

/**
 * An input problem that stops a load before it starts. The message always names the file, and the
 * column when one is involved, and says how to fix it.
 */
export class DataFormatError extends Error {
  /** File at fault. */
  readonly file: string;
  /** Column at fault, if any. */
  readonly column?: string;

  /**
   * @param file the file at fault
   * @param problem what is wrong
   * @param fix how to fix it
   * @param column the column at fault, if any
   */
  constructor(file: string, problem: string, fix: string, column?: string) {
    super(`${file}: ${problem}${column !== undefined ? ` (column "${column}")` : ""}. Fix: ${fix}`);
    this.name = "DataFormatError";
    this.file = file;
    if (column !== undefined) this.column = column;
  }
}
