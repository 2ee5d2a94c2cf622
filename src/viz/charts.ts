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
  /**
   * Plot width/height in px (default 480 × 260). Charts with categories on x widen past `width` when their labels
   * (or the bars of a side-by-side group) need more room.
   */
  readonly width?: number;
  readonly height?: number;
}

const rejectUnknown = checkOptionKeys;

const BASE_KEYS = ["title", "width", "height"] as const;

/** vega's default size of axis and legend labels, px. */
const LABEL_FONT = 10;
/** Space kept between neighbouring axis labels, px. */
const LABEL_GAP = 3;
/** Narrowest bar of a side-by-side group, px: the plot widens rather than draw thinner bars. */
const MIN_BAR = 3;

/** The width vega gives a label when it has no canvas to measure with (0.8 em per character; fonts draw narrower). */
function labelWidth(text: string): number {
  return 0.8 * LABEL_FONT * text.length;
}

/** Layout of a discrete x axis: the label angle (degrees) and the plot width. */
interface BandAxisLayout {
  readonly labelAngle: number;
  readonly width: number;
}

/**
 * Lay out a discrete x axis of `labels` so that no two labels overlap and none is cut. Neighbouring labels sit one
 * band apart; rotated by θ, two of them are clear when that step is at least one line height across the text
 * (h / |sin θ|) or one label length along it (w / |cos θ|). With `angle` given, the plot widens until that angle
 * fits; without, the first of 0°, −45° and −90° that fits the width is taken, else −90° on a widened plot.
 * @param minStep the narrowest band, px (e.g. room for every bar of a side-by-side group).
 */
function bandAxisLayout(labels: readonly string[], width: number, angle: number | undefined, minStep = 0): BandAxisLayout {
  const n = Math.max(1, labels.length);
  const w = Math.max(0, ...labels.map(labelWidth)) + LABEL_GAP;
  const h = LABEL_FONT + LABEL_GAP;
  const stepAt = (deg: number) => {
    const [c, s] = [Math.abs(Math.cos((deg * Math.PI) / 180)), Math.abs(Math.sin((deg * Math.PI) / 180))];
    return Math.max(minStep, Math.min(s > 1e-9 ? h / s : Infinity, c > 1e-9 ? w / c : Infinity));
  };
  const fits = (deg: number) => n * stepAt(deg) <= width;
  const labelAngle = angle ?? [0, -45, -90].find(fits) ?? -90;
  return { labelAngle, width: Math.max(width, Math.ceil(n * stepAt(labelAngle))) };
}

/** The x axis of a discrete chart: the laid-out angle, and labels never truncated (vega cuts at 180 px by default). */
function bandAxis(layout: BandAxisLayout) {
  return { labelAngle: layout.labelAngle, labelLimit: 0 } as const;
}

/** Legend of full names: vega cuts legend labels at 160 px by default ("MSN+EHR(demographi…"). */
const FULL_LEGEND = { labelLimit: 0 } as const;

/** Note under the title when an interval was cut at the axis. */
const CLIP_NOTE = "▲ ▼ interval clipped at the axis (full interval in the tooltip)";

/** One datum's interval as drawn: the ends clamped into the y domain, and which end was cut. */
interface ShownInterval {
  readonly lo: number | null;
  readonly hi: number | null;
  readonly loShown: number | null;
  readonly hiShown: number | null;
  readonly clippedLo: boolean;
  readonly clippedHi: boolean;
}

/** {@link ShownInterval} of `[lo, hi]` (NaN or absent ends: no interval) on the y domain `[d0, d1]`. */
function shownInterval(lo: number | undefined, hi: number | undefined, [d0, d1]: readonly [number, number]): ShownInterval {
  if (lo === undefined || hi === undefined || Number.isNaN(lo) || Number.isNaN(hi)) {
    return { lo: null, hi: null, loShown: null, hiShown: null, clippedLo: false, clippedHi: false };
  }
  const clamp = (v: number) => Math.min(d1, Math.max(d0, v));
  return { lo, hi, loShown: clamp(lo), hiShown: clamp(hi), clippedLo: lo < d0, clippedHi: hi > d1 };
}

/** A layer of a layered spec. */
type Layer = NonNullable<Extract<TopLevelSpec, { layer: unknown }>["layer"]>[number];

/** Caret distance from the axis edge, px: the caret's centre sits inside the plot. */
const CARET_INSET = 4;

/**
 * Interval layers over data of {@link ShownInterval} fields: the rule between the clamped ends (tooltip: the full
 * interval), and where an end was cut, a caret at the axis edge pointing past it (▲ above, ▼ below).
 * @param position the x (and x offset) encoding of the bars the intervals belong to.
 */
function intervalLayers(position: Record<string, unknown>, clipped: { readonly lo: boolean; readonly hi: boolean }, strokeWidth = 1): Layer[] {
  const tooltip = [
    { field: "lo", type: "quantitative", title: "interval lo", format: ".3f" },
    { field: "hi", type: "quantitative", title: "interval hi", format: ".3f" },
  ];
  const caret = (end: "Lo" | "Hi"): Layer => ({
    transform: [{ filter: `datum.clipped${end}` }],
    mark: { type: "point", shape: end === "Hi" ? "triangle-up" : "triangle-down", filled: true, color: "#222", opacity: 1, size: 36, yOffset: end === "Hi" ? CARET_INSET : -CARET_INSET },
    encoding: { ...position, y: { field: end === "Hi" ? "hiShown" : "loShown", type: "quantitative" }, tooltip },
  } as Layer);
  return [
    {
      transform: [{ filter: "datum.lo != null" }],
      mark: { type: "rule", color: "#222", strokeWidth },
      encoding: { ...position, y: { field: "loShown", type: "quantitative" }, y2: { field: "hiShown" }, tooltip },
    } as Layer,
    ...(clipped.hi ? [caret("Hi")] : []),
    ...(clipped.lo ? [caret("Lo")] : []),
  ];
}

/** Which ends of the intervals in `values` were cut. */
function anyClipped(values: readonly ShownInterval[]): { lo: boolean; hi: boolean } {
  return { lo: values.some((v) => v.clippedLo), hi: values.some((v) => v.clippedHi) };
}

/** Options of {@link perLabelChart}. */
export interface PerLabelChartOptions extends ChartOptions {
  /** Which metric; default "auroc". */
  readonly metric?: "auroc" | "auprc";
}

/**
 * Bars of a per-label metric with percentile-interval (official) error bars, a dashed line at the macro value, and the
 * excluded labels named in the subtitle. Intervals past [0, 1] end at the axis with a caret (the full interval is in
 * the tooltip); the labels turn only as far as they must to clear each other, and the plot widens if even −90° does not fit.
 * @param rows rows of one evaluation (`evaluationRows`), including its "macro" row.
 * @example await saveChart(perLabelChart(rows, { title: "MIMIC test" }), "out/mimic_auroc");
 */
export function perLabelChart(rows: readonly ResultRow[], opts: PerLabelChartOptions = {}): TopLevelSpec {
  rejectUnknown(opts, [...BASE_KEYS, "metric"], "perLabelChart");
  const metric = opts.metric ?? "auroc";
  const name = metric.toUpperCase();
  const lo = metric === "auroc" ? "aurocLo" : "auprcLo";
  const hi = metric === "auroc" ? "aurocHi" : "auprcHi";
  const domain = [0, 1] as const;
  const labels = rows.filter((r) => r.label !== "macro" && !r.excluded);
  const macro = rows.find((r) => r.label === "macro");
  const excluded = rows.filter((r) => r.excluded).map((r) => r.label);
  const values = labels.map((r) => ({ label: r.label, value: r[metric], ...shownInterval(r[lo], r[hi], domain) }));
  const clipped = anyClipped(values);
  const order = labels.map((r) => r.label);
  const layout = bandAxisLayout(order, opts.width ?? 480, undefined);
  const subtitle = [
    macro ? `macro ${name} ${macro[metric].toFixed(3)}` : "",
    excluded.length ? `excluded (one class): ${excluded.join(", ")}` : "",
    clipped.lo || clipped.hi ? CLIP_NOTE : "",
  ].filter((s) => s !== "");
  const x = { field: "label", type: "nominal", sort: order } as const;
  const layers: Layer[] = [
    {
      mark: { type: "bar", color: "#4c78a8" },
      encoding: {
        x: { ...x, title: null, axis: bandAxis(layout) },
        // clamp: nothing is drawn past the axis (the intervals are also clamped in the data, to mark the cut).
        y: { field: "value", type: "quantitative", title: name, scale: { domain: [...domain], clamp: true } },
        tooltip: [
          { field: "label", type: "nominal" },
          { field: "value", type: "quantitative", format: ".3f" },
          { field: "lo", type: "quantitative", format: ".3f" },
          { field: "hi", type: "quantitative", format: ".3f" },
        ],
      },
    },
    ...intervalLayers({ x }, clipped, 1.5),
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
    width: layout.width,
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
  /**
   * Rotation of the x-axis category labels in degrees (e.g. -40 for many long labels); the plot widens until the
   * labels clear each other at that angle. Default: 0° when the labels fit side by side, else −45° or −90°.
   */
  readonly labelAngle?: number;
  /**
   * true (default): the series of a category stand side by side. false: one bar per category, coloured by its
   * series (for data with one series per category, e.g. EHR columns coloured by their variable).
   */
  readonly sideBySide?: boolean;
}

/**
 * Grouped bars: one group per category, one coloured bar per series, optional error bars. Intervals past the y domain
 * end at the axis with a caret (full interval in the tooltip); the legend shows full series names; the category labels
 * never overlap (see {@link ComparisonChartOptions.labelAngle}).
 * @example groupedComparisonChart(results.map((r) => ({ category: r.dataset, series: r.method, value: r.auroc, lo: r.aurocLo, hi: r.aurocHi })));
 */
export function groupedComparisonChart(points: readonly ComparisonPoint[], opts: ComparisonChartOptions = {}): TopLevelSpec {
  rejectUnknown(opts, [...BASE_KEYS, "yTitle", "seriesTitle", "yDomain", "labelAngle", "sideBySide"], "groupedComparisonChart");
  if (opts.labelAngle !== undefined && (!Number.isFinite(opts.labelAngle) || Math.abs(opts.labelAngle) > 90)) {
    throw new Error(`groupedComparisonChart: labelAngle must be in [-90, 90], got ${opts.labelAngle}`);
  }
  const domain = opts.yDomain ?? ([0, 1] as const);
  const categories = [...new Set(points.map((p) => p.category))];
  const series = [...new Set(points.map((p) => p.series))];
  const sideBySide = opts.sideBySide !== false;
  const values = points.map((p) => ({ category: p.category, series: p.series, value: p.value, ...shownInterval(p.lo, p.hi, domain) }));
  const clipped = anyClipped(values);
  // Without an angle, a small one is taken when the labels fit; each band holds its group's bars at MIN_BAR or more.
  const layout = bandAxisLayout(categories, opts.width ?? 480, opts.labelAngle, sideBySide ? series.length * MIN_BAR : 0);
  const x = { field: "category", type: "nominal", sort: categories } as const;
  const offset = sideBySide ? { xOffset: { field: "series", type: "nominal", sort: series } as const } : {};
  const title = opts.title ?? "Comparison";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: clipped.lo || clipped.hi ? { text: title, subtitle: [CLIP_NOTE] } : title,
    width: layout.width,
    height: opts.height ?? 260,
    data: { values },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x: { ...x, title: null, axis: bandAxis(layout) },
          ...offset,
          y: {
            field: "value",
            type: "quantitative",
            title: opts.yTitle ?? "macro AUROC",
            // clamp: bars past the domain end at the axis (the intervals are also clamped in the data, to mark the cut).
            scale: { domain: [...domain], clamp: true },
          },
          color: { field: "series", type: "nominal", sort: series, title: opts.seriesTitle ?? "method", legend: FULL_LEGEND },
          tooltip: [
            { field: "category", type: "nominal" },
            { field: "series", type: "nominal" },
            { field: "value", type: "quantitative", format: ".3f" },
          ],
        },
      },
      ...intervalLayers({ x, ...offset }, clipped),
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
      color: { field: "series", type: "nominal", sort: series, title: null, legend: FULL_LEGEND },
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
      ...(hasSeries ? { color: { field: "series", type: "nominal", title: opts.seriesTitle ?? null, legend: FULL_LEGEND } } : {}),
    },
  };
}
