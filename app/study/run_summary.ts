/**
 * Charts and summary of a pretraining run directory, from its `metrics.csv` (so a resumed run's chart
 * covers the whole run): `loss.{svg,png,vl.json}` (total, cross-entropy, ME-MAX per step),
 * `schedules.{svg,png,vl.json}` (lr, weight decay, EMA momentum) and `summary.md`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { lineChart } from "../../src/viz/charts.js";
import type { MonitorRow } from "../../src/train/monitor.js";
import { saveChart } from "../../src/viz/render.js";

/** One parsed row of metrics.csv. */
export type MetricsRow = Record<string, number>;

/** Parse `dir/metrics.csv` (header + numeric rows; an empty field, a monitor column of a step without a reading, is NaN). */
export function readMetrics(dir: string): MetricsRow[] {
  const lines = readFileSync(join(dir, "metrics.csv"), "utf8").split("\n").filter((l) => l.length > 0);
  const head = (lines[0] ?? "").split(",");
  return lines.slice(1).map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(head.map((h, i) => [h, cells[i] === "" || cells[i] === undefined ? NaN : Number(cells[i])]));
  });
}

/**
 * The monitor readings of a run's metrics rows (the rows with a k-NN value), as {@link MonitorRow}s: `step` is
 * the steps taken (the row's step + 1), `dim` the encoder width that `featureStd` is compared with.
 */
export function monitorReadings(rows: readonly MetricsRow[], dim: number): MonitorRow[] {
  return rows
    .filter((r) => Number.isFinite(r.knn_auroc))
    .map((r) => ({
      step: r.step! + 1,
      knnAuroc: r.knn_auroc!,
      effectiveRank: r.effective_rank!,
      featureStd: r.feature_std!,
      featureStdRef: 1 / Math.sqrt(dim),
      protoEntropy: r.proto_entropy!,
      protoMeanEntropy: r.proto_mean_entropy!,
      protosInUse: r.protos_in_use!,
      seconds: NaN,
    }));
}

/** The encoder width of the run in `dir` (its config.json), what its `feature_std` column is compared with. */
export function runEmbedDim(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { vit: { embedDim: number } }).vit.embedDim;
}

/** The monitor readings of the run in `dir`: {@link monitorReadings} of its metrics.csv. */
export function runMonitorReadings(dir: string): MonitorRow[] {
  return monitorReadings(readMetrics(dir), runEmbedDim(dir));
}

/**
 * Monitor readings as one Vega-Lite spec, a panel per monitor against the steps taken: k-NN macro AUROC on the
 * validation subset, effective rank, feature std ÷ 1/√D, and the prototype entropies (nats); one line per series.
 * @param readings e.g. `StepReport.monitor` values collected in `onStep`, or {@link monitorReadings} of a run.
 * @param series name of the run, for comparing runs in one chart (default: one run).
 */
export function monitorChart(readings: readonly (MonitorRow & { readonly series?: string })[], title: string): TopLevelSpec {
  const panel = (name: string, value: (r: MonitorRow) => number, what?: string) =>
    readings.map((r) => ({ steps: r.step, value: value(r), panel: name, series: [r.series, what].filter(Boolean).join(": ") || "value" }));
  const values = [
    ...panel("k-NN macro AUROC (validation)", (r) => r.knnAuroc),
    ...panel("effective rank", (r) => r.effectiveRank),
    ...panel("feature std × √D (1 = spread, 0 = collapsed)", (r) => r.featureStd / r.featureStdRef),
    ...panel("prototypes in use (argmax of some validation image)", (r) => r.protosInUse),
    ...panel("prototype entropy (nats)", (r) => r.protoEntropy, "entropy of the mean assignment"),
    ...panel("prototype entropy (nats)", (r) => r.protoMeanEntropy, "mean per-image entropy"),
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `${title}: monitors`,
    data: { values },
    facet: { row: { field: "panel", type: "nominal", title: null, sort: [...new Set(values.map((v) => v.panel))], header: { labelAngle: 0, labelOrient: "top", labelAnchor: "start", labelFontWeight: "bold" } } },
    spec: {
      width: 420,
      height: 110,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "steps", type: "quantitative", title: "steps taken" },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        // Full series names (no label limit); two columns only while they fit beside each other under the panels.
        color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", labelLimit: 0, columns: legendColumns(values.map((v) => v.series)) } },
      },
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

/** Legend columns for `names` under a 420-px panel: 2 while two of the longest (vega's 8 px a character) fit, else 1. */
function legendColumns(names: readonly string[]): number {
  const longest = Math.max(0, ...names.map((n) => n.length));
  return 2 * (longest * 8 + 40) <= 420 ? 2 : 1;
}

/**
 * Render the run's charts and write `summary.md`.
 * @param info lines describing the run (data, EHR groups, preset), printed at the top of the summary.
 * @returns the chart files written.
 */
export async function writeRunSummary(dir: string, title: string, info: readonly string[]): Promise<string[]> {
  const rows = readMetrics(dir);
  const files: string[] = [];
  const loss = rows.flatMap((r) => [
    { step: r.step!, value: r.loss!, series: "total" },
    { step: r.step!, value: r.ce!, series: "cross-entropy" },
    { step: r.step!, value: r.me_max!, series: "ME-MAX" },
  ]);
  files.push(...Object.values(await saveChart(lineChart(loss, { title: `${title}: MSN loss`, xTitle: "step", yTitle: "loss" }), join(dir, "loss"))));
  const maxLr = rows.reduce((m, x) => Math.max(m, x.lr!), 1e-12);
  const sched = rows.flatMap((r) => [
    { step: r.step!, value: r.lr! / maxLr, series: "lr (÷ max)" },
    { step: r.step!, value: r.momentum!, series: "EMA momentum" },
  ]);
  files.push(...Object.values(await saveChart(lineChart(sched, { title: `${title}: schedules`, xTitle: "step", yTitle: "value" }), join(dir, "schedules"))));
  const readings = monitorReadings(rows, runEmbedDim(dir));
  if (readings.length > 0) files.push(...Object.values(await saveChart(monitorChart(readings, title), join(dir, "monitors"))));
  const n = rows.length;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const k = Math.max(1, Math.min(10, Math.floor(n / 4)));
  const first = mean(rows.slice(0, k).map((r) => r.loss!));
  const last = mean(rows.slice(-k).map((r) => r.loss!));
  const ips = mean(rows.map((r) => r.images_per_second!));
  writeFileSync(
    join(dir, "summary.md"),
    [
      `# Pretraining run: ${title}`,
      "",
      ...info.map((l) => `- ${l}`),
      `- steps: ${n}; loss, mean of the first ${k} steps ${first.toFixed(4)} → last ${k} steps ${last.toFixed(4)}; ${ips.toFixed(1)} images/s (training step only)`,
      ...(readings.length > 0 ? [`- monitors (${readings.length} readings): ${monitorSentence(readings)}`] : []),
      "",
      "Files: `config.json` (resolved config), `run.json` (command options), `metrics.csv` (per step: loss parts, lr, weight decay, momentum, grad norm, monitor readings, images/s), `checkpoint/` (atomic), `loss.svg`/`.png`, `schedules.svg`/`.png`" +
        (readings.length > 0 ? ", `monitors.svg`/`.png`." : "."),
      "",
      "![loss](loss.svg)",
      "",
      ...(readings.length > 0 ? ["![monitors](monitors.svg)", ""] : []),
    ].join("\n"),
  );
  return files;
}

/**
 * One sentence on the monitors, first reading → last: whether the k-NN AUROC rose, and whether the features
 * collapsed (effective rank, feature std), computed from the numbers.
 */
export function monitorSentence(readings: readonly MonitorRow[]): string {
  const a = readings[0]!;
  const b = readings[readings.length - 1]!;
  const arrow = (x: number, y: number, d = 3) => `${x.toFixed(d)} → ${y.toFixed(d)}`;
  const knn = b.knnAuroc - a.knnAuroc;
  const rankFell = b.effectiveRank < 0.5 * a.effectiveRank;
  return (
    `from step ${a.step} to ${b.step}, k-NN macro AUROC ${arrow(a.knnAuroc, b.knnAuroc)} (${Math.abs(knn) < 0.01 ? "within 0.01" : knn > 0 ? "rising" : "falling"}), ` +
    `effective rank ${arrow(a.effectiveRank, b.effectiveRank, 1)}${rankFell ? " (the features are concentrating in fewer directions)" : ""}, ` +
    `feature std × √D ${arrow(a.featureStd / a.featureStdRef, b.featureStd / b.featureStdRef, 2)}, ` +
    `prototypes in use ${a.protosInUse} → ${b.protosInUse}, mean per-image prototype entropy ${arrow(a.protoMeanEntropy, b.protoMeanEntropy, 2)} nats`
  );
}
