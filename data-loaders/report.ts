/**
 * Load reports and data errors. Loaders never crash halfway: a bad row or image is skipped,
 * counted by reason and reported here, or the load stops *before* it starts with a
 * {@link DataFormatError} whose message names the file, the column and the fix. A bad *value* in a row
 * that is kept (e.g. an age of `abc`) is read as missing and counted too ({@link LoadReport.missing}).
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
  private readonly missingCounts = new Map<string, number>();
  private readonly examples = new Map<string, LoadIssue[]>();
  /** Non-fatal notes (e.g. "ages > 100 flagged: 16"). */
  readonly notes: string[] = [];

  /** @param source what is being loaded, used in {@link LoadReport.toString}. */
  constructor(source: string) {
    this.source = source;
  }

  /**
   * Count `count` (default 1) skipped items under `reason` and keep `issue` as an example (up to 5 per reason).
   * @example r.skip("unreadable image", { file: "cache/", detail: "3 of 20 images have no cached features" }, 3);
   */
  skip(reason: string, issue: LoadIssue, count = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + count);
    this.example(reason, issue);
  }

  /**
   * Count one invalid value that was read as missing while its row was kept (the loader's missing-value
   * policy then applies, e.g. imputation), under `reason` (e.g. `invalid anchor_age`), keeping it as an example.
   * These are not skips: {@link LoadReport.total} does not include them.
   * @example r.missing("invalid anchor_age", { file: "patients.csv", line: 7, detail: 'anchor_age "abc"' });
   */
  missing(reason: string, issue: LoadIssue): void {
    this.missingCounts.set(reason, (this.missingCounts.get(reason) ?? 0) + 1);
    this.example(reason, issue);
  }

  private example(reason: string, issue: LoadIssue): void {
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

  /** Number of values read as missing for `reason`, or for every reason when omitted. */
  totalMissing(reason?: string): number {
    if (reason !== undefined) return this.missingCounts.get(reason) ?? 0;
    let n = 0;
    for (const v of this.missingCounts.values()) n += v;
    return n;
  }

  /** Counts of values read as missing (rows kept), by reason. */
  get missingValues(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.missingCounts);
  }

  /** Examples kept for `reason` (a skip reason or a missing-value reason). */
  examplesOf(reason: string): readonly LoadIssue[] {
    return this.examples.get(reason) ?? [];
  }

  /** Merge another report's counts (skips and missing values), examples and notes into this one (read/kept are not summed). */
  absorb(other: LoadReport): void {
    for (const [mine, theirs] of [[this.counts, other.counts], [this.missingCounts, other.missingCounts]] as const) {
      for (const [reason, n] of theirs) mine.set(reason, (mine.get(reason) ?? 0) + n);
    }
    for (const [reason, list] of other.examples) {
      const ex = this.examples.get(reason) ?? [];
      for (const e of list) if (ex.length < MAX_EXAMPLES) ex.push(e);
      this.examples.set(reason, ex);
    }
    this.notes.push(...other.notes);
  }

  /** Plain-object form, for JSON logs. */
  toJSON(): { source: string; read: number; kept: number; skipped: Record<string, number>; missing: Record<string, number>; examples: Record<string, LoadIssue[]>; notes: string[] } {
    return {
      source: this.source,
      read: this.read,
      kept: this.kept,
      skipped: Object.fromEntries(this.counts),
      missing: Object.fromEntries(this.missingCounts),
      examples: Object.fromEntries(this.examples),
      notes: [...this.notes],
    };
  }

  /**
   * One-paragraph summary, e.g. `nih14: read 10, kept 8; skipped 2 (malformed row: 2); read as missing 1 (invalid Patient Age: 1)`.
   */
  toString(): string {
    const list = (m: Map<string, number>) => [...m].map(([k, v]) => `${k}: ${v}`).join(", ");
    const skipped = this.counts.size ? `; skipped ${this.total()} (${list(this.counts)})` : "";
    const missing = this.missingCounts.size ? `; read as missing ${this.totalMissing()} (${list(this.missingCounts)})` : "";
    return `${this.source}: read ${this.read}, kept ${this.kept}${skipped}${missing}`;
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
