/**
 * Vega-Lite specs for evaluation and training figures (pure data → JSON spec; rendering is in render.ts):
 * - per-label AUROC (or AUPRC) bars with bootstrap CI error bars,
 * - a grouped comparison (methods or EHR groups side by side per category),
 * - line charts of loss curves.
 * Specs are plain objects, so they can be saved as JSON or displayed by a Vega-Lite-aware frontend.
 */
import type { TopLevelSpec } from "vega-lite";
import type { ResultRow } from "../eval/results.js";
import { checkOptionKeys } from "../utils/validate.js";

/** Common chart options. */
export interface ChartOptions {
  readonly title?: string;
  /** Plot width/height in px (default 480 × 260). */
  readonly width?: number;
  readonly height?: number;
}

const rejectUnknown = checkOptionKeys;

const BASE_KEYS = ["title", "width", "height"] as const;

/** Options of {@link perLabelChart}. */
export interface PerLabelChartOptions extends ChartOptions {
  /** Which metric; default "auroc". */
  readonly metric?: "auroc" | "auprc";
}

/**
 * Bars of a per-label metric with percentile-interval (official) error bars, a dashed line at the macro value, and the
 * excluded labels named in the subtitle.
 * @param rows rows of one evaluation (`evaluationRows`), including its "macro" row.
 * @example await saveChart(perLabelChart(rows, { title: "MIMIC test" }), "out/mimic_auroc");
 */
export function perLabelChart(rows: readonly ResultRow[], opts: PerLabelChartOptions = {}): TopLevelSpec {
  rejectUnknown(opts, [...BASE_KEYS, "metric"], "perLabelChart");
  const metric = opts.metric ?? "auroc";
  const name = metric.toUpperCase();
  const lo = metric === "auroc" ? "aurocLo" : "auprcLo";
  const hi = metric === "auroc" ? "aurocHi" : "auprcHi";
  const labels = rows.filter((r) => r.label !== "macro" && !r.excluded);
  const macro = rows.find((r) => r.label === "macro");
  const excluded = rows.filter((r) => r.excluded).map((r) => r.label);
  const values = labels.map((r) => ({
    label: r.label,
    value: r[metric],
    lo: Number.isNaN(r[lo]) ? null : r[lo],
    hi: Number.isNaN(r[hi]) ? null : r[hi],
  }));
  const order = labels.map((r) => r.label);
  const subtitle = [
    macro ? `macro ${name} ${macro[metric].toFixed(3)}` : "",
    excluded.length ? `excluded (one class): ${excluded.join(", ")}` : "",
  ].filter((s) => s !== "");
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>["layer"]> = [
    {
      mark: { type: "bar", color: "#4c78a8" },
      encoding: {
        x: { field: "label", type: "nominal", sort: order, title: null, axis: { labelAngle: -40 } },
        y: { field: "value", type: "quantitative", title: name, scale: { domain: [0, 1] } },
        tooltip: [
          { field: "label", type: "nominal" },
          { field: "value", type: "quantitative", format: ".3f" },
          { field: "lo", type: "quantitative", format: ".3f" },
          { field: "hi", type: "quantitative", format: ".3f" },
        ],
      },
    },
    {
      transform: [{ filter: "datum.lo != null" }],
      mark: { type: "rule", color: "#222", strokeWidth: 1.5 },
      encoding: {
        x: { field: "label", type: "nominal", sort: order },
        y: { field: "lo", type: "quantitative" },
        y2: { field: "hi" },
      },
    },
  ];
  if (macro && !Number.isNaN(macro[metric])) {
    layers.push({
      data: { values: [{ macro: macro[metric] }] },
      mark: { type: "rule", color: "#e45756", strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { y: { field: "macro", type: "quantitative" } },
    });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: opts.title ?? `Per-label ${name}`, ...(subtitle.length ? { subtitle } : {}) },
    width: opts.width ?? 480,
    height: opts.height ?? 260,
    data: { values },
    layer: layers,
  };
}

/** One bar of a grouped comparison. */
export interface ComparisonPoint {
  /** x-axis category (a label, a dataset, a label fraction …). */
  readonly category: string;
  /** Side-by-side series (a method, an EHR group …). */
  readonly series: string;
  readonly value: number;
  /** Optional interval. */
  readonly lo?: number;
  readonly hi?: number;
}

/** Options of {@link groupedComparisonChart}. */
export interface ComparisonChartOptions extends ChartOptions {
  readonly yTitle?: string;
  readonly seriesTitle?: string;
  /** y-axis domain; default [0, 1]. */
  readonly yDomain?: readonly [number, number];
  /** Rotation of the x-axis category labels in degrees (e.g. -40 for many long labels); default 0. */
  readonly labelAngle?: number;
  /**
   * true (default): the series of a category stand side by side. false: one bar per category, coloured by its
   * series (for data with one series per category, e.g. EHR columns coloured by their variable).
   */
  readonly sideBySide?: boolean;
}

/**
 * Grouped bars: one group per category, one coloured bar per series, optional error bars.
 * @example groupedComparisonChart(results.map((r) => ({ category: r.dataset, series: r.method, value: r.auroc, lo: r.aurocLo, hi: r.aurocHi })));
 */
export function groupedComparisonChart(points: readonly ComparisonPoint[], opts: ComparisonChartOptions = {}): TopLevelSpec {
  rejectUnknown(opts, [...BASE_KEYS, "yTitle", "seriesTitle", "yDomain", "labelAngle", "sideBySide"], "groupedComparisonChart");
  const labelAngle = opts.labelAngle ?? 0;
  if (!Number.isFinite(labelAngle) || Math.abs(labelAngle) > 90) throw new Error(`groupedComparisonChart: labelAngle must be in [-90, 90], got ${labelAngle}`);
  const categories = [...new Set(points.map((p) => p.category))];
  const series = [...new Set(points.map((p) => p.series))];
  const values = points.map((p) => ({
    category: p.category,
    series: p.series,
    value: p.value,
    lo: p.lo === undefined || Number.isNaN(p.lo) ? null : p.lo,
    hi: p.hi === undefined || Number.isNaN(p.hi) ? null : p.hi,
  }));
  const x = { field: "category", type: "nominal", sort: categories, title: null, axis: { labelAngle } } as const;
  const offset = opts.sideBySide === false ? {} : { xOffset: { field: "series", type: "nominal", sort: series } as const };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: opts.title ?? "Comparison",
    width: opts.width ?? 480,
    height: opts.height ?? 260,
    data: { values },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x,
          ...offset,
          y: {
            field: "value",
            type: "quantitative",
            title: opts.yTitle ?? "macro AUROC",
            scale: { domain: [...(opts.yDomain ?? [0, 1])] },
          },
          color: { field: "series", type: "nominal", sort: series, title: opts.seriesTitle ?? "method" },
          tooltip: [
            { field: "category", type: "nominal" },
            { field: "series", type: "nominal" },
            { field: "value", type: "quantitative", format: ".3f" },
          ],
        },
      },
      {
        transform: [{ filter: "datum.lo != null" }],
        mark: { type: "rule", color: "#222" },
        encoding: { x, ...offset, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } },
      },
    ],
  };
}

/** One point of a curve. */
export interface CurvePoint {
  readonly step: number;
  readonly value: number;
  /** Curve name, e.g. "train loss", "val AUROC". */
  readonly series: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions extends ChartOptions {
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Log-scaled y axis (values must be > 0). */
  readonly logY?: boolean;
}

/**
 * Line chart of one or more curves (loss curves of the trainer, validation AUROC per epoch …).
 * @example lineChart(history.map((h) => ({ step: h.epoch, value: h.trainLoss, series: "train BCE" })), { xTitle: "epoch" });
 */
export function lineChart(points: readonly CurvePoint[], opts: LineChartOptions = {}): TopLevelSpec {
  rejectUnknown(opts, [...BASE_KEYS, "xTitle", "yTitle", "logY"], "lineChart");
  const series = [...new Set(points.map((p) => p.series))];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: opts.title ?? "Loss",
    width: opts.width ?? 480,
    height: opts.height ?? 260,
    data: { values: points.filter((p) => Number.isFinite(p.value)).map((p) => ({ ...p })) },
    mark: { type: "line", point: points.length <= 60 },
    encoding: {
      x: { field: "step", type: "quantitative", title: opts.xTitle ?? "step" },
      y: {
        field: "value",
        type: "quantitative",
        title: opts.yTitle ?? "loss",
        scale: opts.logY ? { type: "log" } : { zero: false },
      },
      color: { field: "series", type: "nominal", sort: series, title: null },
    },
  };
}

/** One value of a {@link histogramChart}. */
export interface HistogramValue {
  readonly value: number;
  /** Stacked colour group (e.g. sex); one colour when absent. */
  readonly series?: string;
}

/** Options of {@link histogramChart}. */
export interface HistogramChartOptions extends ChartOptions {
  /** Bin width; default: Vega-Lite's automatic binning. */
  readonly binStep?: number;
  readonly xTitle?: string;
  readonly yTitle?: string;
  readonly seriesTitle?: string;
}

/**
 * Histogram of numeric values (counts per bin), stacked by series when given. Non-finite values are dropped.
 * @example histogramChart(records.map((r) => ({ value: r.age, series: r.sex })), { binStep: 5, xTitle: "age (years)" });
 */
export function histogramChart(values: readonly HistogramValue[], opts: HistogramChartOptions = {}): TopLevelSpec {
  rejectUnknown(opts, [...BASE_KEYS, "binStep", "xTitle", "yTitle", "seriesTitle"], "histogramChart");
  if (opts.binStep !== undefined && !(opts.binStep > 0)) throw new Error(`histogramChart: binStep must be > 0, got ${opts.binStep}`);
  const hasSeries = values.some((v) => v.series !== undefined);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: opts.title ?? "Histogram",
    width: opts.width ?? 480,
    height: opts.height ?? 260,
    data: { values: values.filter((v) => Number.isFinite(v.value)).map((v) => ({ value: v.value, series: v.series ?? "" })) },
    mark: "bar",
    encoding: {
      x: { field: "value", type: "quantitative", bin: opts.binStep !== undefined ? { step: opts.binStep } : true, title: opts.xTitle ?? "value" },
      y: { aggregate: "count", type: "quantitative", title: opts.yTitle ?? "count" },
      ...(hasSeries ? { color: { field: "series", type: "nominal", title: opts.seriesTitle ?? null } } : {}),
    },
  };
}
