/**
 * Study outputs from plain evaluation results (no tensors, no data loaders): a probe directory (results
 * CSV, evaluation JSON, per-label AUROC chart, probe curve, summary markdown), the comparison table of
 * several methods (markdown with bootstrap CIs), and the study report with its grouped comparison chart.
 */
import { makeDirs } from "../../src/utils/make_dirs.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { ProbeTrainResult } from "../../src/eval/linear_probe.js";
import { intervalKind, type BootstrapCi, type Interval, type IntervalKind, type MultilabelEvaluation } from "../../src/eval/metrics.js";
import { evaluationRows, formatWithCi, writeResultsCsv, type ResultRow } from "../../src/eval/results.js";
import { checkOptionKeys } from "../../src/utils/validate.js";
import { groupedComparisonChart, lineChart, perLabelChart, type ComparisonPoint } from "../../src/viz/charts.js";
import { saveChart } from "../../src/viz/render.js";

/** One evaluated method: what the study compares. */
export interface MethodResult {
  /** Display name, e.g. "random init", "MSN", "MSN+EHR(demographic)". */
  readonly method: string;
  /** Evaluation protocol/dataset, e.g. "mimic". */
  readonly dataset: string;
  readonly evaluation: MultilabelEvaluation;
  /** Free-text provenance (checkpoint path, steps). */
  readonly source?: string;
}

/**
 * Which bootstrap interval the tables, charts and summaries of this module show. The CSV files always hold both
 * (`…Lo`/`…Hi` percentile, `…BasicLo`/`…BasicHi` basic), whatever is shown.
 */
export interface IntervalOption {
  /**
   * "percentile" (default): [P2.5(θ*), P97.5(θ*)], the official code's `computing_confidence_intervals`;
   * "basic": [2θ̂ − P97.5(θ*), 2θ̂ − P2.5(θ*)], its reflection about the point estimate.
   */
  readonly interval?: IntervalKind;
}

/** The rows with `aurocLo/Hi` and `auprcLo/Hi` holding the interval of `kind` (they hold the percentile one). */
function shownRows(rows: readonly ResultRow[], kind: IntervalKind): ResultRow[] {
  if (kind === "percentile") return [...rows];
  return rows.map((x) => ({ ...x, aurocLo: x.aurocBasicLo, aurocHi: x.aurocBasicHi, auprcLo: x.auprcBasicLo, auprcHi: x.auprcBasicHi }));
}

/** How a summary names the interval it shows. */
function ciWords(kind: IntervalKind): string {
  return kind === "percentile"
    ? "percentile CIs (the official code's interval)"
    : "basic CIs (the percentile interval reflected about the estimate, not the official code's)";
}

/** Files written by {@link writeProbeOutputs}. */
export interface ProbeOutputs {
  readonly resultsCsv: string;
  readonly evaluationJson: string;
  readonly summary: string;
  readonly charts: readonly string[];
}

/**
 * Write a probe's outputs into `dir`: `results.csv` (one row per label + macro, percentile and basic CIs),
 * `evaluation.json` (the full evaluation, for `mmsn report`), `per_label_auroc.{svg,png,vl.json}`,
 * `probe_curve.{svg,png,vl.json}` when a training history is given, and `summary.md`. The chart and the summary
 * show the interval `extra.interval` names (default "percentile", the official code's).
 */
export async function writeProbeOutputs(
  dir: string,
  r: MethodResult,
  extra: { readonly training?: ProbeTrainResult; readonly notes?: readonly string[]; readonly skipped?: Readonly<Record<string, Readonly<Record<string, number>>>> } & IntervalOption = {},
): Promise<ProbeOutputs> {
  const kind = intervalKind(extra.interval, "writeProbeOutputs");
  makeDirs(dir);
  const rows = evaluationRows(r.evaluation, { method: r.method, dataset: r.dataset });
  const resultsCsv = join(dir, "results.csv");
  writeResultsCsv(rows, resultsCsv);
  const evaluationJson = join(dir, "evaluation.json");
  writeFileSync(evaluationJson, JSON.stringify({ method: r.method, dataset: r.dataset, source: r.source ?? "", evaluation: r.evaluation, skipped: extra.skipped ?? {} }, null, 1) + "\n");
  const charts: string[] = [];
  const c1 = await saveChart(perLabelChart(shownRows(rows, kind), { title: `${r.method}: ${r.dataset} test AUROC per label` }), join(dir, "per_label_auroc"));
  charts.push(...Object.values(c1));
  const t = extra.training;
  if (t && t.history.length > 0) {
    const pts = t.history.flatMap((h) => [
      { step: h.epoch, value: h.trainLoss, series: "train BCE" },
      { step: h.epoch, value: h.valMacroAuroc, series: "val macro AUROC" },
    ]);
    const c2 = await saveChart(lineChart(pts, { title: `${r.method}: linear probe`, xTitle: "epoch", yTitle: "value" }), join(dir, "probe_curve"));
    charts.push(...Object.values(c2));
  }
  const summary = join(dir, "summary.md");
  writeFileSync(summary, probeSummaryMarkdown(r, shownRows(rows, kind), extra, kind));
  return { resultsCsv, evaluationJson, summary, charts };
}

const fmtCi = (v: number, ci: BootstrapCi | undefined, interval: IntervalKind) => (Number.isFinite(v) ? formatWithCi(v, ci, { interval }) : "n/a");

function probeSummaryMarkdown(r: MethodResult, rows: readonly ResultRow[], extra: { training?: ProbeTrainResult; notes?: readonly string[] }, kind: IntervalKind): string {
  const ev = r.evaluation;
  const lines = [
    `# Linear probe: ${r.method} on ${r.dataset}`,
    "",
    r.source ? `Features: ${r.source}.` : "",
    `Test images: ${ev.n}. Macro AUROC **${fmtCi(ev.macroAuroc, ev.macroAurocCi, kind)}**, macro AUPRC ${fmtCi(ev.macroAuprc, ev.macroAuprcCi, kind)}` +
      (ev.bootstrap ? ` (95% ${ciWords(kind)} from ${ev.bootstrap.resamples} bootstrap resamples, seed ${ev.bootstrap.seed}).` : "."),
    extra.training
      ? `Probe: ${extra.training.nTrain} training rows, best epoch ${extra.training.bestEpoch} of ${extra.training.history.length} (val macro AUROC ${extra.training.bestValMacroAuroc.toFixed(3)}${extra.training.stoppedEarly ? ", early stop" : ""}).`
      : "",
    ...(extra.notes ?? []).map((n) => `- ${n}`),
    "",
    "| label | AUROC (95% CI) | AUPRC | positives | negatives |",
    "|---|---|---|---|---|",
    ...rows.map((x) =>
      x.excluded
        ? `| ${x.label} | excluded (one class in the test set) | | ${x.nPos} | ${x.nNeg} |`
        : `| ${x.label} | ${Number.isFinite(x.auroc) ? `${x.auroc.toFixed(3)} (${x.aurocLo.toFixed(3)}, ${x.aurocHi.toFixed(3)})` : "n/a"} | ${Number.isFinite(x.auprc) ? x.auprc.toFixed(3) : "n/a"} | ${Number.isNaN(x.nPos) ? "" : x.nPos} | ${Number.isNaN(x.nNeg) ? "" : x.nNeg} |`,
    ),
    "",
    "Charts: `per_label_auroc.svg` / `.png`" + (extra.training ? ", `probe_curve.svg` / `.png`" : "") + ". Table: `results.csv`.",
    "",
  ];
  return lines.filter((l, i) => l !== "" || lines[i - 1] !== "").join("\n");
}

/**
 * The comparison table of several methods as markdown: macro AUROC and AUPRC with 95% CIs (percentile, the
 * official code's, unless `opts.interval` says "basic").
 * @example console.log(comparisonMarkdown(results));
 */
export function comparisonMarkdown(results: readonly MethodResult[], opts: IntervalOption = {}): string {
  checkOptionKeys(opts, ["interval"], "comparisonMarkdown");
  const kind = intervalKind(opts.interval, "comparisonMarkdown");
  const head = ["method", "dataset", "macro AUROC (95% CI)", "macro AUPRC (95% CI)", "test images", "labels excluded"];
  return markdownTable(
    head,
    results.map(({ method, dataset, evaluation: ev }) => [method, dataset, fmtCi(ev.macroAuroc, ev.macroAurocCi, kind), fmtCi(ev.macroAuprc, ev.macroAuprcCi, kind), String(ev.n), ev.excluded.map((e) => e.label).join(", ") || "none"]),
  );
}

/**
 * The comparison table as aligned plain text (for the terminal); CIs as in {@link comparisonMarkdown}.
 */
export function comparisonText(results: readonly MethodResult[], opts: IntervalOption = {}): string {
  checkOptionKeys(opts, ["interval"], "comparisonText");
  const kind = intervalKind(opts.interval, "comparisonText");
  const head = ["method", "dataset", "macro AUROC (95% CI)", "macro AUPRC (95% CI)", "n"];
  const body = results.map((r) => [r.method, r.dataset, fmtCi(r.evaluation.macroAuroc, r.evaluation.macroAurocCi, kind), fmtCi(r.evaluation.macroAuprc, r.evaluation.macroAuprcCi, kind), String(r.evaluation.n)]);
  return alignedTable(head, body);
}

/** A table as aligned plain text: columns padded to their widest cell, a dashed rule under the header. */
export function alignedTable(head: readonly string[], body: readonly (readonly string[])[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd();
  return [fmt(head), w.map((n) => "-".repeat(n)).join("  "), ...body.map(fmt)].join("\n");
}

/** A table as markdown: a header row, the separator and one row per body entry. */
export function markdownTable(head: readonly string[], body: readonly (readonly string[])[]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...body.map((b) => `| ${b.join(" | ")} |`)].join("\n");
}

/** Files written by {@link writeStudyReport}. */
export interface StudyReportFiles {
  readonly report: string;
  readonly comparisonCsv: string;
  readonly charts: readonly string[];
}

/**
 * Write the study report into `dir`: `comparison.csv` (every method's per-label and macro rows, percentile and
 * basic CIs), `comparison.{svg,png,vl.json}` (grouped bars of per-label and macro AUROC with CIs, one colour per
 * method) and `report.md` (the comparison table with CIs, per-run links, notes, timings). The chart and
 * `report.md` show the interval `meta.interval` names (default "percentile", the official code's).
 * @param runs extra per-method lines (e.g. run directories and pretraining steps), keyed by method.
 */
export async function writeStudyReport(
  dir: string,
  results: readonly MethodResult[],
  meta: {
    readonly title: string;
    readonly notes?: readonly string[];
    readonly links?: Readonly<Record<string, string>>;
    /** Markdown lines that replace the comparison table after the title (a seeded study's summary and per-seed tables). */
    readonly sections?: readonly string[];
  } & IntervalOption,
): Promise<StudyReportFiles> {
  const interval = intervalKind(meta.interval, "writeStudyReport");
  makeDirs(dir);
  const rows = results.flatMap((r) => evaluationRows(r.evaluation, { method: r.method, dataset: r.dataset }));
  const comparisonCsv = join(dir, "comparison.csv");
  writeResultsCsv(rows, comparisonCsv);
  const points = comparisonPoints(results, { interval });
  const files = await saveChart(
    groupedComparisonChart(points, { title: `${meta.title}: test AUROC per label (95% CI)`, width: 900, yTitle: "AUROC" }),
    join(dir, "comparison"),
  );
  const charts = Object.values(files);
  const report = join(dir, "report.md");
  const lines = [
    `# ${meta.title}`,
    "",
    ...(meta.sections ?? [comparisonMarkdown(results, { interval })]),
    "",
    `Intervals: 95% bootstrap ${ciWords(interval)} over test images. Excluded labels have one class in the test set.`,
    "",
    "![comparison](comparison.svg)",
    "",
    ...(meta.links ? ["## Runs", "", ...Object.entries(meta.links).map(([k, v]) => `- ${k}: \`${relOrAbs(dir, v)}\``), ""] : []),
    ...(meta.notes?.length ? ["## Notes", "", ...meta.notes.map((n) => `- ${n}`), ""] : []),
  ];
  writeFileSync(report, lines.join("\n"));
  return { report, comparisonCsv, charts };
}

function relOrAbs(from: string, p: string): string {
  const r = relative(from, p);
  return r.startsWith("..") && r.split("/").filter((s) => s === "..").length > 2 ? p : r || ".";
}

/**
 * The bars of a grouped comparison chart (`groupedComparisonChart`): per-label and macro test AUROC with
 * 95% CIs (percentile, the official code's, unless `opts.interval` says "basic"), one series per method;
 * excluded labels and non-finite values are left out; long CheXpert label names are shortened ({@link shortLabel}).
 */
export function comparisonPoints(results: readonly MethodResult[], opts: IntervalOption = {}): ComparisonPoint[] {
  checkOptionKeys(opts, ["interval"], "comparisonPoints");
  const kind = intervalKind(opts.interval, "comparisonPoints");
  return results
    .flatMap((r) => shownRows(evaluationRows(r.evaluation, { method: r.method, dataset: r.dataset }), kind))
    .filter((x) => !x.excluded && Number.isFinite(x.auroc))
    .map((x) => ({ category: x.label === "macro" ? "macro" : shortLabel(x.label), series: x.method, value: x.auroc, lo: x.aurocLo, hi: x.aurocHi }));
}

/**
 * Per-label test AUROC of several methods side by side, one row per label (then "macro"): for each method
 * "AUROC (lo, hi)" with its 95% CI (percentile, the official code's, unless `opts.interval` says "basic"), or
 * "excluded" for a label with one class in the test set. Plain objects, ready for `console.table`.
 * @throws Error when the methods were evaluated on different label sets.
 */
export function perLabelComparison(results: readonly MethodResult[], opts: IntervalOption = {}): Record<string, string | number>[] {
  checkOptionKeys(opts, ["interval"], "perLabelComparison");
  const kind = intervalKind(opts.interval, "perLabelComparison");
  if (results.length === 0) return [];
  const byMethod = results.map((r) => shownRows(evaluationRows(r.evaluation, { method: r.method, dataset: r.dataset }), kind));
  const labels = byMethod[0]!.map((x) => x.label);
  for (const [i, rows] of byMethod.entries()) {
    if (rows.map((x) => x.label).join("\n") !== labels.join("\n")) throw new Error(`perLabelComparison: ${results[i]!.method} has other labels than ${results[0]!.method}`);
  }
  return labels.map((label, k) => {
    const first = byMethod[0]![k]!;
    const row: Record<string, string | number> = { label, positives: Number.isNaN(first.nPos) ? "" : first.nPos };
    results.forEach((r, i) => {
      const x = byMethod[i]![k]!;
      row[r.method] = x.excluded ? "excluded" : Number.isFinite(x.auroc) ? `${x.auroc.toFixed(3)} (${x.aurocLo.toFixed(3)}, ${x.aurocHi.toFixed(3)})` : "n/a";
    });
    return row;
  });
}

/** Short x-axis names for the long CheXpert label names (others unchanged). */
export function shortLabel(label: string): string {
  const m: Record<string, string> = {
    "Enlarged Cardiomediastinum": "Enl. Card.",
    "Pleural Effusion": "Pl. Effusion",
    "Pleural Other": "Pl. Other",
    "Support Devices": "Devices",
    "Lung Lesion": "Lesion",
    "Lung Opacity": "Opacity",
  };
  return m[label] ?? label;
}

/**
 * Read back a probe directory written by {@link writeProbeOutputs} (for `mmsn report`).
 * @throws when `dir/evaluation.json` is missing or not a probe result.
 */
export function readProbeResult(dir: string): MethodResult {
  const p = join(dir, "evaluation.json");
  if (!existsSync(p)) throw new Error(`${dir} is not a probe directory: ${basename(p)} is missing (run \`mmsn probe --out ${dir}\` first)`);
  const j = JSON.parse(readFileSync(p, "utf8")) as { method?: string; dataset?: string; source?: string; evaluation?: MultilabelEvaluation };
  if (typeof j.method !== "string" || typeof j.dataset !== "string" || !j.evaluation) throw new Error(`${p}: not a probe result (method, dataset, evaluation expected)`);
  const ev = j.evaluation;
  // JSON turns NaN into null: restore it. Files written before the rename hold the basic interval as "pivot".
  const fix = (x: unknown) => (x === null ? NaN : (x as number));
  const fixIv = (i: Interval): Interval => ({ lo: fix(i.lo), hi: fix(i.hi) });
  const fixCis = <T extends object>(o: T, keys: readonly string[]): T => {
    const out = { ...o } as Record<string, unknown>;
    for (const k of keys) {
      const c = out[k] as (Omit<BootstrapCi, "basic"> & { readonly basic?: Interval; readonly pivot?: Interval }) | undefined;
      if (!c) continue;
      const basic = fixIv((c.basic ?? c.pivot)!);
      out[k] = { percentile: fixIv(c.percentile), basic, nValid: c.nValid } satisfies BootstrapCi;
    }
    return out as T;
  };
  const evaluation = fixCis(
    { ...ev, macroAuroc: fix(ev.macroAuroc), macroAuprc: fix(ev.macroAuprc), perLabel: ev.perLabel.map((x) => fixCis(x, ["aurocCi", "auprcCi"])) },
    ["macroAurocCi", "macroAuprcCi"],
  );
  return { method: j.method, dataset: j.dataset, source: j.source ?? "", evaluation };
}
