/**
 * Results as tables: flat rows (one per label plus a macro row), CSV text/files, and danfojs-node DataFrames
 * (loaded lazily: `danfojs-node` takes ~1.5 s to import). Intervals are the paper's pivot interval; the
 * percentile interval is kept in its own columns. Excluded labels appear as rows with empty metrics and the
 * reason in `note`, so a table never hides them.
 */
import { makeDirs } from "../utils/make_dirs.js";
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { BootstrapCi, MultilabelEvaluation } from "./metrics.js";
import type { DataFrame } from "danfojs-node";

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
  readonly aurocLo: number;
  readonly aurocHi: number;
  readonly aurocPctLo: number;
  readonly aurocPctHi: number;
  readonly auprc: number;
  readonly auprcLo: number;
  readonly auprcHi: number;
  readonly auprcPctLo: number;
  readonly auprcPctHi: number;
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
  "aurocPctLo",
  "aurocPctHi",
  "auprc",
  "auprcLo",
  "auprcHi",
  "auprcPctLo",
  "auprcPctHi",
  "nPos",
  "nNeg",
  "excluded",
  "note",
] as const satisfies readonly (keyof ResultRow)[];

function ciCols(ci: BootstrapCi | undefined, prefix: "auroc" | "auprc") {
  return {
    [`${prefix}Lo`]: ci?.pivot.lo ?? NaN,
    [`${prefix}Hi`]: ci?.pivot.hi ?? NaN,
    [`${prefix}PctLo`]: ci?.percentile.lo ?? NaN,
    [`${prefix}PctHi`]: ci?.percentile.hi ?? NaN,
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

/**
 * The paper's print format: "0.846 (0.836, 0.866)" (3 decimals, pivot interval).
 * @example formatWithCi(0.8461, ev.macroAurocCi);
 */
export function formatWithCi(value: number, ci?: BootstrapCi, digits = 3): string {
  const f = (x: number) => x.toFixed(digits);
  return ci ? `${f(value)} (${f(ci.pivot.lo)}, ${f(ci.pivot.hi)})` : f(value);
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
 * A danfojs-node DataFrame of result rows (danfojs-node is imported on first use).
 * @example const df = await resultsDataFrame(rows); df.query(df["label"].eq("macro")).print();
 */
export async function resultsDataFrame(rows: readonly ResultRow[]): Promise<DataFrame> {
  const dfd = await import("danfojs-node");
  const data = rows.map((r) => RESULT_COLUMNS.map((c) => r[c]));
  return new dfd.DataFrame(data, { columns: [...RESULT_COLUMNS] });
}
