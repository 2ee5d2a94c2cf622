/**
 * Results as tables: flat rows (one per label plus a macro row), CSV text/files, and danfojs-node DataFrames
 * (loaded lazily: `danfojs-node` takes ~1.5 s to import). The `…Lo`/`…Hi` columns hold the bootstrap percentile
 * interval (the official code's `computing_confidence_intervals`); the basic interval (its reflection about the
 * point estimate) is kept in `…BasicLo`/`…BasicHi`. Excluded labels appear as rows with empty metrics and the
 * reason in `note`, so a table never hides them.
 */
import { makeDirs } from "../utils/make_dirs.js";
import { checkOptionKeys } from "../utils/validate.js";
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { intervalKind, type BootstrapCi, type IntervalKind, type MultilabelEvaluation } from "./metrics.js";
import { dataFrame, type DataFrameLike } from "../utils/dataframe.js";

/** One row of a results table. NaN = not available (excluded label, or no bootstrap). */
export interface ResultRow {
  /** Pretraining method, e.g. "MSN", "MSN+EHR(demo)". */
  readonly method: string;
  /** Evaluation dataset/protocol, e.g. "mimic", "chexpert", "nih14". */
  readonly dataset: string;
  /** Free grouping key (EHR group, label fraction, backbone, …); "" when unused. */
  readonly group: string;
  /** A label name, or "macro". */
  readonly label: string;
  readonly auroc: number;
  /** Percentile interval (the official code's), as every table shows by default. */
  readonly aurocLo: number;
  readonly aurocHi: number;
  /** Basic interval (the percentile interval reflected about `auroc`). */
  readonly aurocBasicLo: number;
  readonly aurocBasicHi: number;
  readonly auprc: number;
  /** Percentile interval (the official code's). */
  readonly auprcLo: number;
  readonly auprcHi: number;
  /** Basic interval. */
  readonly auprcBasicLo: number;
  readonly auprcBasicHi: number;
  readonly nPos: number;
  readonly nNeg: number;
  readonly excluded: boolean;
  readonly note: string;
}

/** Column order of {@link ResultRow} in CSV files and DataFrames. */
export const RESULT_COLUMNS = [
  "method",
  "dataset",
  "group",
  "label",
  "auroc",
  "aurocLo",
  "aurocHi",
  "aurocBasicLo",
  "aurocBasicHi",
  "auprc",
  "auprcLo",
  "auprcHi",
  "auprcBasicLo",
  "auprcBasicHi",
  "nPos",
  "nNeg",
  "excluded",
  "note",
] as const satisfies readonly (keyof ResultRow)[];

function ciCols(ci: BootstrapCi | undefined, prefix: "auroc" | "auprc") {
  return {
    [`${prefix}Lo`]: ci?.percentile.lo ?? NaN,
    [`${prefix}Hi`]: ci?.percentile.hi ?? NaN,
    [`${prefix}BasicLo`]: ci?.basic.lo ?? NaN,
    [`${prefix}BasicHi`]: ci?.basic.hi ?? NaN,
  } as Record<string, number>;
}

/**
 * Flatten an evaluation into rows: every label in column order (excluded ones flagged), then "macro".
 * @example const rows = evaluationRows(result.evaluation, { method: "MSN", dataset: "mimic" });
 */
export function evaluationRows(
  ev: MultilabelEvaluation,
  meta: { readonly method: string; readonly dataset: string; readonly group?: string },
): ResultRow[] {
  const base = { method: meta.method, dataset: meta.dataset, group: meta.group ?? "" };
  const rows: ResultRow[] = ev.labelNames.map((label, index) => {
    const p = ev.perLabel.find((x) => x.index === index);
    if (p) {
      return {
        ...base,
        label,
        auroc: p.auroc,
        auprc: p.auprc,
        ...ciCols(p.aurocCi, "auroc"),
        ...ciCols(p.auprcCi, "auprc"),
        nPos: p.nPos,
        nNeg: p.nNeg,
        excluded: false,
        note: p.nMissing > 0 ? `${p.nMissing} missing labels ignored` : "",
      } as ResultRow;
    }
    const e = ev.excluded.find((x) => x.index === index)!;
    return {
      ...base,
      label,
      auroc: NaN,
      auprc: NaN,
      ...ciCols(undefined, "auroc"),
      ...ciCols(undefined, "auprc"),
      nPos: e.nPos,
      nNeg: e.nNeg,
      excluded: true,
      note: `excluded: ${e.reason}`,
    } as ResultRow;
  });
  const excludedNames = ev.excluded.map((e) => e.label);
  rows.push({
    ...base,
    label: "macro",
    auroc: ev.macroAuroc,
    auprc: ev.macroAuprc,
    ...ciCols(ev.macroAurocCi, "auroc"),
    ...ciCols(ev.macroAuprcCi, "auprc"),
    nPos: NaN,
    nNeg: NaN,
    excluded: false,
    note: `mean of ${ev.perLabel.length} labels` + (excludedNames.length ? `; excluded: ${excludedNames.join(", ")}` : ""),
  } as ResultRow);
  return rows;
}

/** Options of {@link formatWithCi}. */
export interface FormatCiOptions {
  /** Decimals; default 3. */
  readonly digits?: number;
  /** Which interval: "percentile" (default, the official code's) or "basic". */
  readonly interval?: IntervalKind;
}

/**
 * The paper's print format: "0.846 (0.836, 0.866)" (3 decimals, percentile interval unless `interval` says "basic").
 * @param opts decimals (a number, the older form) or {@link FormatCiOptions}.
 * @example formatWithCi(0.8461, ev.macroAurocCi); formatWithCi(0.8461, ev.macroAurocCi, { interval: "basic" });
 */
export function formatWithCi(value: number, ci?: BootstrapCi, opts: number | FormatCiOptions = {}): string {
  const o: FormatCiOptions = typeof opts === "number" ? { digits: opts } : opts;
  checkOptionKeys(o, ["digits", "interval"], "formatWithCi");
  const digits = o.digits ?? 3;
  const iv = ci?.[intervalKind(o.interval, "formatWithCi")];
  const f = (x: number) => x.toFixed(digits);
  return iv ? `${f(value)} (${f(iv.lo)}, ${f(iv.hi)})` : f(value);
}

function csvCell(v: unknown): string {
  if (typeof v === "number") return Number.isNaN(v) ? "" : String(v);
  const s = String(v ?? "");
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV text (RFC 4180 quoting, NaN as an empty cell) of rows, columns in `columns` order.
 * @example writeFileSync("results.csv", toCsv(rows));
 */
export function toCsv<T extends object>(rows: readonly T[], columns?: readonly (keyof T & string)[]): string {
  const cols = columns ?? (rows[0] ? (Object.keys(rows[0]) as (keyof T & string)[]) : []);
  const lines = [cols.map(csvCell).join(",")];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r[c])).join(","));
  return lines.join("\n") + "\n";
}

/** Write result rows to a CSV file (parent directories are created). */
export function writeResultsCsv(rows: readonly ResultRow[], path: string): void {
  makeDirs(dirname(path));
  writeFileSync(path, toCsv(rows, RESULT_COLUMNS));
}

/**
 * A danfojs-node DataFrame of result rows (danfojs-node is an optional peer dependency, imported on first use).
 * @throws Error with the install command when danfojs-node is not installed
 * @example (await resultsDataFrame(rows)).print();
 */
export async function resultsDataFrame(rows: readonly ResultRow[]): Promise<DataFrameLike> {
  return dataFrame(rows.map((r) => RESULT_COLUMNS.map((c) => r[c])), RESULT_COLUMNS, "resultsDataFrame");
}
