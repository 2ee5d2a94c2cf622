/**
 * What a command skipped, shown and kept: every {@link LoadReport} of the inputs a command read (dataset
 * tables, EHR tables, image streams) is printed as a summary (count per reason, the first examples with file
 * and line), written beside the command's outputs as `skips.csv`, and checked against a threshold before a
 * run starts (`--max-skip-fraction`), so bad data never changes a result without saying so.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadReport } from "../data-loaders/index.js";

/** Default of `--max-skip-fraction`: a load that skips more than this share of its rows/images stops. */
export const DEFAULT_MAX_SKIP_FRACTION = 0.05;

/** Skip counts by source (what was read) and reason, as written to `run.json` / `evaluation.json`. */
export type SkipCounts = Record<string, Record<string, number>>;

/** Counts of every report that skipped something. */
export function skipCounts(reports: readonly LoadReport[]): SkipCounts {
  const out: SkipCounts = {};
  for (const r of reports) if (r.total() > 0) out[r.source] = { ...(out[r.source] ?? {}), ...r.skipped };
  return out;
}

/** Total skipped items over `reports`. */
export function skipTotal(reports: readonly LoadReport[]): number {
  return reports.reduce((s, r) => s + r.total(), 0);
}

const where = (e: { file: string; line?: number }) => (e.line !== undefined ? `${e.file}:${e.line}` : e.file);

/**
 * A printable summary: one line per source that skipped something, then per reason its count and up to
 * `examples` examples (`file:line: detail`). Empty string when nothing was skipped.
 */
export function skipSummary(reports: readonly LoadReport[], examples = 3): string {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.total() === 0) continue;
    lines.push(`skipped ${r.total()} of ${r.read} in ${r.source}:`);
    for (const [reason, n] of Object.entries(r.skipped)) {
      lines.push(`  ${reason}: ${n}`);
      for (const e of r.examplesOf(reason).slice(0, examples)) lines.push(`    e.g. ${where(e)}: ${e.detail}`);
    }
  }
  return lines.join("\n");
}

const csvCell = (v: string | number | undefined): string => {
  const s = v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * Write `dir/skips.csv`: one row per kept example (source, reason, the reason's count, file, line, detail);
 * a header only when nothing was skipped (so its presence says the check ran).
 * @returns the file written.
 */
export function writeSkips(dir: string, reports: readonly LoadReport[]): string {
  const rows = [["source", "reason", "count", "file", "line", "detail"].join(",")];
  for (const r of reports) {
    for (const [reason, n] of Object.entries(r.skipped)) {
      const ex = r.examplesOf(reason);
      for (const e of ex.length ? ex : [{ file: "", detail: "" }]) rows.push([r.source, reason, n, e.file, e.line, e.detail].map(csvCell).join(","));
    }
  }
  const file = join(dir, "skips.csv");
  writeFileSync(file, rows.join("\n") + "\n");
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
