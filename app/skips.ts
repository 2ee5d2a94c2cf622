/**
 * What a command skipped, shown and kept: every {@link LoadReport} of the inputs a command read (dataset
 * tables, EHR tables, image streams) is printed as a summary (count per reason, the first examples with file
 * and line), written beside the command's outputs as `skips.csv`, and checked against a threshold before a
 * run starts (`--max-skip-fraction`), so bad data never changes a result without saying so.
 */
import { join } from "node:path";
import type { LoadReport } from "../data-loaders/index.js";
import { writeFileAtomic } from "../src/utils/atomic.js";

/** Default of `--max-skip-fraction`: a load that skips more than this share of its rows/images stops. */
export const DEFAULT_MAX_SKIP_FRACTION = 0.05;

/** Skip counts by source (what was read) and reason, as written to `run.json` / `evaluation.json`. */
export type SkipCounts = Record<string, Record<string, number>>;

function countsBySource(reports: readonly LoadReport[], of: (r: LoadReport) => Readonly<Record<string, number>>): SkipCounts {
  const out: SkipCounts = {};
  for (const r of reports) {
    const c = of(r);
    if (Object.keys(c).length > 0) out[r.source] = { ...(out[r.source] ?? {}), ...c };
  }
  return out;
}

/** Counts of every report that skipped something. */
export const skipCounts = (reports: readonly LoadReport[]): SkipCounts => countsBySource(reports, (r) => r.skipped);

/** Counts of invalid values read as missing (their rows kept, the documented missing-value policy applied). */
export const missingCounts = (reports: readonly LoadReport[]): SkipCounts => countsBySource(reports, (r) => r.missingValues);

const flat = (c: SkipCounts) =>
  Object.entries(c)
    .map(([src, r]) => `${src}: ${Object.entries(r).map(([k, n]) => `${k} ${n}`).join(", ")}`)
    .join("; ");

/** One line for a summary.md: what was skipped and what was read as missing, or "none". */
export function skipNote(reports: readonly LoadReport[]): string {
  const skipped = skipCounts(reports);
  const missing = missingCounts(reports);
  const parts = [Object.keys(skipped).length ? flat(skipped) : "none", ...(Object.keys(missing).length ? [`values read as missing: ${flat(missing)}`] : [])];
  return `skipped inputs: ${parts.join("; ")} (skips.csv)`;
}

const where = (e: { file: string; line?: number }) => (e.line !== undefined ? `${e.file}:${e.line}` : e.file);

/**
 * A printable summary: per source that skipped something (or read invalid values as missing) a line, then
 * per reason its count and up to `examples` examples (`file:line: detail`). Empty string when all was clean.
 */
export function skipSummary(reports: readonly LoadReport[], examples = 3): string {
  const lines: string[] = [];
  const reasons = (r: LoadReport, counts: Readonly<Record<string, number>>) => {
    for (const [reason, n] of Object.entries(counts)) {
      lines.push(`  ${reason}: ${n}`);
      for (const e of r.examplesOf(reason).slice(0, examples)) lines.push(`    e.g. ${where(e)}: ${e.detail}`);
    }
  };
  for (const r of reports) {
    if (r.total() > 0) {
      lines.push(`skipped ${r.total()} of ${r.read} in ${r.source}:`);
      reasons(r, r.skipped);
    }
    if (r.totalMissing() > 0) {
      lines.push(`read ${r.totalMissing()} invalid values as missing in ${r.source} (rows kept):`);
      reasons(r, r.missingValues);
    }
  }
  return lines.join("\n");
}

const shown = new WeakSet<LoadReport>();

/**
 * Print {@link skipSummary} of the reports not printed before in this process (a study loads its dataset once
 * and runs several commands on it: its table's skips are listed once, and still written beside every output).
 */
export function printSkipSummary(reports: readonly LoadReport[], note = ""): void {
  const fresh = reports.filter((r) => !shown.has(r));
  fresh.forEach((r) => shown.add(r));
  const text = skipSummary(fresh);
  if (text) console.log(note ? `${text}\n${note}` : text);
}

const csvCell = (v: string | number | undefined): string => {
  const s = v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * Write `dir/skips.csv`: one row per kept example (source, what: `skipped` or `missing` (value read as
 * missing, row kept), reason, the reason's count, file, line, detail); a header only when all was clean (so
 * its presence says the check ran).
 * @returns the file written.
 */
export function writeSkips(dir: string, reports: readonly LoadReport[]): string {
  const rows = [["source", "what", "reason", "count", "file", "line", "detail"].join(",")];
  for (const r of reports) {
    for (const [what, counts] of [["skipped", r.skipped], ["missing", r.missingValues]] as const) {
      for (const [reason, n] of Object.entries(counts)) {
        const ex = r.examplesOf(reason);
        for (const e of ex.length ? ex : [{ file: "", detail: "" }]) rows.push([r.source, what, reason, n, e.file, e.line, e.detail].map(csvCell).join(","));
      }
    }
  }
  const file = join(dir, "skips.csv");
  writeFileAtomic(file, rows.join("\n") + "\n");
  return file;
}

/**
 * Stop before a run starts when a load skipped more than `maxFraction` of what it read.
 * @param fix what the user can do besides fixing the input (e.g. the flag that raises the threshold)
 * @throws Error naming the source, the counts per reason, the first examples (file and line) and the fix.
 */
export function assertSkipFraction(report: LoadReport, maxFraction: number, fix = `raise --max-skip-fraction (now ${maxFraction}) to accept it`): void {
  const n = report.total();
  if (report.read === 0 || n / report.read <= maxFraction) return;
  const pct = ((100 * n) / report.read).toFixed(1);
  throw new Error(`${report.source}: ${n} of ${report.read} items were skipped (${pct}%), more than the allowed ${(100 * maxFraction).toFixed(1)}%; nothing was run.\n${skipSummary([report], 5)}\nFix the input at the lines shown, or ${fix}`);
}
