/**
 * Every chart the package draws, built with worst-case data (28 label bars with the real label names, the 9
 * methods of the EHR ablation with their long names, intervals beyond [0, 1]) and laid out by vega headless
 * (View with renderer "none", then the scenegraph and the SVG):
 * - the labels of one axis never overlap (the rotated text boxes), and no category label is hidden;
 * - legend labels are the full input names, never truncated with "…" (nor is any other text);
 * - rules, bands, bars and lines stay inside the plot (intervals clipped to the axis, the clipping marked);
 * - AUROC axes stay within [0, 1].
 * The list of chart functions is checked against the sources: every function declared to return a Vega-Lite
 * spec, and every function holding a Vega-Lite `$schema`, must have a case here.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import { groupedComparisonChart, histogramChart, lineChart, perLabelChart } from "../../src/viz/charts.js";
import type { ResultRow } from "../../src/eval/results.js";
import { ehrShareChart } from "../../app/study/ablation.js";
import { learningCurveChart, type SeedSummary } from "../../app/study/seeds.js";
import { monitorChart } from "../../app/study/run_summary.js";
import { ehrCombinations, methodName } from "../../app/study/ehr_groups.js";
import { shortLabel } from "../../app/study/report.js";
import type { AlignedEhr } from "../../app/data.js";
import { CHEXPERT_LABELS, NIH14_LABELS } from "../../data-loaders/labels.js";
import { selectionColumns } from "../../data-loaders/ehr_features.js";
import type { MonitorRow } from "../../src/eval/monitors.js";
import { Rng } from "../../src/utils/rng.js";

const ROOT = join(import.meta.dirname, "../..");

// ---- worst-case data ----------------------------------------------------------------------------------------

/** The 9 methods of notebook 07: random init, MSN and MSN+EHR of every group combination (longest: all three). */
const METHODS = ["random init", "MSN", ...ehrCombinations().map(methodName)];
/** 28 label names: the 14 CheXpert labels and the 14 NIH-14 labels (those two share six names, so NIH's are marked). */
const LABELS_28 = [...CHEXPERT_LABELS, ...NIH14_LABELS.map((l) => `${l} (NIH-14)`)];
/** The categories of notebook 02's prevalence chart: every label name of MIMIC-CXR, CheXpert and NIH-14. */
const PREVALENCE_LABELS = [...new Set<string>([...CHEXPERT_LABELS, ...NIH14_LABELS])];
const DATASETS = ["MIMIC-CXR", "CheXpert", "NIH-14"];

const rng = new Rng(21);
/** A value in [lo, hi). */
const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
/** An interval around `v` that runs past [0, 1] on one side or the other for about half the calls. */
const wideCi = (v: number) => ({ lo: v - uniform(0.05, 0.8), hi: v + uniform(0.05, 0.8) });

/** Evaluation rows (`evaluationRows` shape) of 28 labels plus macro, with intervals beyond [0, 1]. */
function resultRows(): ResultRow[] {
  const row = (label: string): ResultRow => {
    const auroc = uniform(0.3, 0.95);
    const auprc = uniform(0.05, 0.9);
    const a = wideCi(auroc);
    const p = wideCi(auprc);
    return {
      method: METHODS.at(-1)!, dataset: "mimic", group: "", label, auroc, aurocLo: a.lo, aurocHi: a.hi, aurocBasicLo: a.lo, aurocBasicHi: a.hi,
      auprc, auprcLo: p.lo, auprcHi: p.hi, auprcBasicLo: p.lo, auprcBasicHi: p.hi, nPos: 10, nNeg: 50, excluded: false,
    } as ResultRow;
  };
  return [...LABELS_28.map(row), row("macro")];
}

/** Grouped bars: every category × every series, with (optionally) intervals beyond [0, 1]. */
function comparison(categories: readonly string[], series: readonly string[], ci: boolean) {
  return categories.flatMap((category) => series.map((s) => {
    const value = uniform(0.02, 0.98);
    return { category, series: s, value, ...(ci ? wideCi(value) : {}) };
  }));
}

/** One summary of the learning curve: 8 pretrained methods at 0, 75 and 150 steps, intervals beyond [0, 1]. */
function seedSummaryOf(readout: "probe" | "knn"): SeedSummary {
  const curve = METHODS.slice(1).flatMap((method) => [0, 75, 150].map((steps) => {
    const value = uniform(0.5, 0.95);
    return { method, steps, value, ...wideCi(value), perSeed: [value] };
  }));
  return { readout, seeds: [24, 25, 26], n: 90, rows: [], paired: [], curve };
}

/** Monitor readings of the 8 pretrained methods every 10 of 50 steps. */
function monitorRows(): (MonitorRow & { series: string })[] {
  return METHODS.slice(1).flatMap((series) => [10, 20, 30, 40, 50].map((step) => ({
    step, knnAuroc: uniform(0.5, 0.7), effectiveRank: uniform(3, 9), featureStd: uniform(0.01, 0.05), featureStdRef: 1 / Math.sqrt(192),
    protoEntropy: uniform(4, 5.5), protoMeanEntropy: uniform(3, 5), protosInUse: Math.round(uniform(20, 200)), series,
  } as MonitorRow & { series: string })));
}

/** An aligned EHR matrix with every one-hot column of every variable (what `ehrShareChart` reads). */
function alignedEhr(): AlignedEhr {
  const { columns } = selectionColumns({ variables: ["sex", "age", "view", "orientation", "mortality", "icu"], age: "norm" });
  const n = 50;
  const matrix = Float32Array.from({ length: n * columns.length }, () => (rng.next() < 0.4 ? 1 : 0));
  return { columns, matrix, dim: columns.length } as unknown as AlignedEhr;
}

// ---- the charts ---------------------------------------------------------------------------------------------

/** One chart to lay out: how it is built (the package's own calls and notebooks' options) and what it must show in full. */
interface ChartCase {
  readonly fn: string;
  readonly name: string;
  readonly spec: () => TopLevelSpec;
  /** Names that must be legend labels, in full. */
  readonly legend?: readonly string[];
  /** Names that must be axis labels, in full. */
  readonly axis?: readonly string[];
  /** The numbers on the vertical axes stay within this range (AUROC: [0, 1]). */
  readonly yRange?: readonly [number, number];
}

const SHORT_CHEXPERT = [...CHEXPERT_LABELS.map(shortLabel), "macro"];
const kind = (m: string) => (m === "random init" ? "no pretraining" : m === "MSN" ? "vanilla MSN" : `${m.split("+").length - 1} EHR groups`);

const CASES: readonly ChartCase[] = [
  { fn: "perLabelChart", name: "28 labels, AUROC", spec: () => perLabelChart(resultRows(), { title: "MIMIC test" }), axis: LABELS_28, yRange: [0, 1] },
  { fn: "perLabelChart", name: "28 labels, AUPRC, narrow", spec: () => perLabelChart(resultRows(), { metric: "auprc", width: 300 }), axis: LABELS_28, yRange: [0, 1] },
  {
    fn: "groupedComparisonChart", name: "notebook 02: label prevalence of three datasets",
    spec: () => groupedComparisonChart(comparison(PREVALENCE_LABELS, DATASETS, false), { title: "Label prevalence", yTitle: "fraction positive", seriesTitle: "dataset", yDomain: [0, 1], width: 640, height: 220 }),
    axis: PREVALENCE_LABELS, legend: DATASETS,
  },
  {
    fn: "groupedComparisonChart", name: "notebook 07: macro AUROC of 9 methods",
    spec: () => groupedComparisonChart(METHODS.map((m) => ({ category: m, series: kind(m), value: uniform(0.4, 0.9), ...wideCi(0.6) })), { title: "macro AUROC", seriesTitle: "method", labelAngle: -35, width: 560, height: 240 }),
    axis: METHODS, legend: [...new Set(METHODS.map(kind))], yRange: [0, 1],
  },
  {
    fn: "groupedComparisonChart", name: "notebook 07: per-label AUROC of 9 methods",
    spec: () => groupedComparisonChart(comparison(SHORT_CHEXPERT, METHODS, true), { title: "per label", yTitle: "AUROC", labelAngle: -40, width: 980, height: 260 }),
    axis: SHORT_CHEXPERT, legend: METHODS, yRange: [0, 1],
  },
  {
    fn: "groupedComparisonChart", name: "writeStudyReport: per-label AUROC of 9 methods, default angle",
    spec: () => groupedComparisonChart(comparison(SHORT_CHEXPERT, METHODS, true), { title: "study", width: 900, yTitle: "AUROC" }),
    axis: SHORT_CHEXPERT, legend: METHODS, yRange: [0, 1],
  },
  {
    fn: "groupedComparisonChart", name: "defaults: 28 labels × 9 methods",
    spec: () => groupedComparisonChart(comparison(LABELS_28, METHODS, true)), axis: LABELS_28, legend: METHODS, yRange: [0, 1],
  },
  {
    fn: "groupedComparisonChart", name: "narrow y domain [0.5, 1]: bars and intervals clipped",
    spec: () => groupedComparisonChart(comparison(METHODS, ["probe", "k-NN"], true), { yDomain: [0.5, 1], labelAngle: -90 }), axis: METHODS, yRange: [0.5, 1],
  },
  {
    fn: "lineChart", name: "notebook 07 / ablation loss: 8 curves with long names",
    spec: () => lineChart(METHODS.slice(1).flatMap((series) => [0, 10, 20].map((step) => ({ step, value: uniform(1, 5), series }))), { title: "MSN loss", width: 420, height: 200 }),
    legend: METHODS.slice(1),
  },
  { fn: "lineChart", name: "log y, defaults", spec: () => lineChart(METHODS.map((series, i) => ({ step: i, value: 10 ** i, series })), { logY: true }), legend: METHODS },
  {
    fn: "histogramChart", name: "histogram with long series names",
    spec: () => histogramChart(Array.from({ length: 200 }, (_, i) => ({ value: uniform(18, 95), series: METHODS[i % 9]! })), { binStep: 5, seriesTitle: "method", width: 420, height: 200 }),
    legend: METHODS,
  },
  { fn: "ehrShareChart", name: "every one-hot EHR column", spec: () => ehrShareChart(alignedEhr(), { title: "scan" }), axis: selectionColumns({ variables: ["sex", "view", "orientation", "mortality", "icu"], age: "norm" }).columns },
  {
    fn: "learningCurveChart", name: "8 methods, two read-outs, intervals beyond [0, 1]",
    spec: () => learningCurveChart([seedSummaryOf("probe"), seedSummaryOf("knn")], "All groups ablation"), legend: METHODS.slice(1), yRange: [0, 1],
  },
  { fn: "monitorChart", name: "8 methods", spec: () => monitorChart(monitorRows(), "All groups ablation (seed 24)"), legend: METHODS.slice(1).flatMap((m) => [m, `${m}: entropy of the mean assignment`, `${m}: mean per-image entropy`]) },
];

// ---- reading the scenegraph ---------------------------------------------------------------------------------

/** A scenegraph node: a mark (with items) or an item (a group item has marks as items). */
interface SceneNode {
  marktype?: string;
  role?: string;
  items?: SceneNode[];
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  text?: string | string[];
  angle?: number;
  align?: string;
  fontSize?: number;
  limit?: number;
  opacity?: number;
  strokeWidth?: number;
  bounds: { x1: number; y1: number; x2: number; y2: number };
}

/** The laid-out chart: scenegraph root and SVG. */
async function layOut(spec: TopLevelSpec): Promise<{ root: SceneNode; svg: string }> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  try {
    await view.runAsync();
    return { root: (view.scenegraph() as unknown as { root: SceneNode }).root, svg: await view.toSVG() };
  } finally {
    view.finalize();
  }
}

/** Every mark under `node` (depth first) with `visit` called on it. */
function eachMark(node: SceneNode, visit: (mark: SceneNode, parent: SceneNode | undefined) => void, parent?: SceneNode): void {
  if (node.marktype) {
    visit(node, parent);
    for (const item of node.items ?? []) for (const m of item.items ?? []) eachMark(m, visit, item);
  } else for (const m of node.items ?? []) eachMark(m, visit, node);
}

/** The label items of each axis, one array per axis. */
function axisLabels(root: SceneNode): SceneNode[][] {
  const out: SceneNode[][] = [];
  eachMark(root, (m) => {
    if (m.role === "axis-label") out.push(m.items ?? []);
  });
  return out;
}

const textOf = (t: SceneNode["text"]) => (Array.isArray(t) ? t.join(" ") : String(t ?? ""));
const visible = (t: SceneNode) => t.opacity !== 0 && textOf(t.text) !== "";

/**
 * Whether two labels of one axis overlap, comparing their rotated text boxes: in the frame of the text (rotated by
 * the shared angle), the boxes are intervals along the text (from the anchor by the alignment) and across it
 * (one font size; the shared baseline cancels). The text length comes from vega's own bounds, so it is what was drawn.
 */
function overlaps(a: SceneNode, b: SceneNode): boolean {
  const th = ((a.angle ?? 0) * Math.PI) / 180;
  const [c, s] = [Math.cos(th), Math.sin(th)];
  const h = a.fontSize ?? 10;
  const length = (t: SceneNode) => {
    const [W, H] = [t.bounds.x2 - t.bounds.x1, t.bounds.y2 - t.bounds.y1];
    return Math.abs(c) >= Math.abs(s) ? (W - h * Math.abs(s)) / Math.abs(c) : (H - h * Math.abs(c)) / Math.abs(s);
  };
  const along = (t: SceneNode) => {
    const u = t.x! * c + t.y! * s;
    const w = length(t);
    const start = t.align === "right" ? u - w : t.align === "center" ? u - w / 2 : u;
    return [start, start + w] as const;
  };
  const across = -(b.x! - a.x!) * s + (b.y! - a.y!) * c;
  const [ua, ub] = [along(a), along(b)];
  const EPS = 0.5; // px of overlap tolerated (anti-aliasing)
  return Math.abs(across) < h - EPS && Math.min(ua[1], ub[1]) - Math.max(ua[0], ub[0]) > EPS;
}

/** Overlapping label pairs of one axis, as "a / b". */
function overlappingPairs(labels: readonly SceneNode[]): string[] {
  const shown = labels.filter(visible);
  const out: string[] = [];
  for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) if (overlaps(shown[i]!, shown[j]!)) out.push(`${textOf(shown[i]!.text)} / ${textOf(shown[j]!.text)}`);
  return out;
}

const DATA_MARKS = new Set(["rule", "area", "rect", "line"]);

/** Rules, bands, bars and lines that reach outside their plot (the group holding them), as descriptions. */
function marksOutside(root: SceneNode): string[] {
  const out: string[] = [];
  eachMark(root, (m, plot) => {
    if (m.role !== "mark" || !DATA_MARKS.has(m.marktype!) || plot?.width === undefined || plot.height === undefined) return;
    for (const it of m.items ?? []) {
      const b = it.bounds;
      const TOL = (it.strokeWidth ?? 1) / 2 + 1.5; // a stroke drawn on the edge, with its joins
      if (b.x1 < -TOL || b.y1 < -TOL || b.x2 > plot.width + TOL || b.y2 > plot.height + TOL) {
        out.push(`${m.marktype} [${b.x1.toFixed(0)}, ${b.y1.toFixed(0)}, ${b.x2.toFixed(0)}, ${b.y2.toFixed(0)}] in ${plot.width}×${plot.height}`);
      }
    }
  });
  return out;
}

/** The texts of every legend label. */
function legendLabels(root: SceneNode): SceneNode[] {
  const out: SceneNode[] = [];
  eachMark(root, (m) => {
    if (m.role === "legend-label") out.push(...(m.items ?? []));
  });
  return out;
}

/** The numbers on the vertical axes (an axis whose labels share one x). */
function verticalAxisNumbers(root: SceneNode): number[] {
  return axisLabels(root)
    .filter((ls) => ls.length > 1 && ls.every((l) => l.x === ls[0]!.x))
    .flatMap((ls) => ls.filter(visible).map((l) => Number(textOf(l.text).replace("−", "-"))))
    .filter((v) => Number.isFinite(v));
}

// ---- the tests ----------------------------------------------------------------------------------------------

describe("chart labels, legends and intervals", () => {
  for (const c of CASES) {
    it(`${c.fn}: ${c.name}`, async () => {
      const { root, svg } = await layOut(c.spec());
      const problems: string[] = [];
      for (const labels of axisLabels(root)) {
        const pairs = overlappingPairs(labels);
        if (pairs.length) problems.push(`${pairs.length} overlapping axis label pairs, e.g. ${pairs.slice(0, 3).join("; ")}`);
        const named = labels.filter((l) => !Number.isFinite(Number(textOf(l.text).replace("−", "-"))));
        const hidden = named.filter((l) => !visible(l)).map((l) => textOf(l.text));
        if (hidden.length) problems.push(`hidden category labels: ${hidden.join(", ")}`);
      }
      const axisTexts = new Set(axisLabels(root).flat().filter(visible).map((l) => textOf(l.text)));
      const missingAxis = (c.axis ?? []).filter((n) => !axisTexts.has(n));
      if (missingAxis.length) problems.push(`axis labels missing: ${missingAxis.join(", ")}`);
      const legend = new Set(legendLabels(root).map((l) => textOf(l.text)));
      const missingLegend = (c.legend ?? []).filter((n) => !legend.has(n));
      if (missingLegend.length) problems.push(`legend labels missing: ${missingLegend.join(", ")}`);
      const truncated = [...svg.matchAll(/>([^<>]*…)</g)].map((m) => m[1]);
      if (truncated.length) problems.push(`truncated text: ${truncated.slice(0, 4).join(" | ")}`);
      const outside = marksOutside(root);
      if (outside.length) problems.push(`${outside.length} marks outside the plot, e.g. ${outside.slice(0, 3).join("; ")}`);
      if (c.yRange) {
        const beyond = verticalAxisNumbers(root).filter((v) => v < c.yRange![0] - 1e-9 || v > c.yRange![1] + 1e-9);
        if (beyond.length) problems.push(`y axis beyond [${c.yRange.join(", ")}]: ${beyond.join(", ")}`);
      }
      assert.deepEqual(problems, []);
    });
  }

  it("the overlap check catches overlapping labels (a chart squeezed on purpose)", async () => {
    const squeezed = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: 100, data: { values: LABELS_28.map((l) => ({ l, v: 1 })) }, mark: "bar", encoding: { x: { field: "l", type: "nominal", axis: { labelAngle: 0, labelOverlap: false } }, y: { field: "v", type: "quantitative" } } } as TopLevelSpec;
    const { root } = await layOut(squeezed);
    assert.ok(axisLabels(root).some((ls) => overlappingPairs(ls).length > 20));
  });

  it("clipped intervals are marked with a caret and keep their full range in the tooltip", async () => {
    const spec = groupedComparisonChart([{ category: "a", series: "s", value: 0.9, lo: 0.7, hi: 1.3 }, { category: "b", series: "s", value: 0.2, lo: -0.2, hi: 0.4 }]);
    const { root } = await layOut(spec);
    const carets: string[] = [];
    eachMark(root, (m) => {
      if (m.role === "mark" && m.marktype === "symbol") for (const it of m.items ?? []) carets.push(String((it as unknown as { shape: string }).shape));
    });
    assert.deepEqual(carets.sort(), ["triangle-down", "triangle-up"]);
    assert.match(JSON.stringify(spec), /1\.3/, "the unclipped bound stays in the data for the tooltip");
  });
});

// ---- the list is complete -----------------------------------------------------------------------------------

/** The .ts files of the package's sources. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** The name of the function (declaration, method or `const f = () => …`) around `node`, or "<module>". */
function enclosingFunction(node: ts.Node): string {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name) return n.name.getText();
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent)) return n.parent.name.getText();
  }
  return "<module>";
}

/** Functions that return a Vega-Lite spec (declared `TopLevelSpec`, or holding a Vega-Lite `$schema`), as "file: name". */
function chartFunctions(): string[] {
  const found = new Set<string>();
  for (const file of ["src", "app", "data-loaders"].flatMap(sourceFiles)) {
    const text = readFileSync(file, "utf8");
    if (!text.includes("TopLevelSpec") && !text.includes("schema/vega-lite")) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node): void => {
      const fn = ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n);
      const returnType = fn ? (n as ts.SignatureDeclaration).type?.getText() : undefined;
      if (returnType !== undefined && /\bTopLevelSpec\b/.test(returnType) && !/^Promise</.test(returnType)) found.add(enclosingFunction(n));
      if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && n.text.includes("schema/vega-lite")) found.add(enclosingFunction(n));
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return [...found].sort();
}

describe("the chart list", () => {
  it("has a case for every function of the package that builds a Vega-Lite spec", () => {
    assert.deepEqual([...new Set(CASES.map((c) => c.fn))].sort(), chartFunctions());
  });
});
