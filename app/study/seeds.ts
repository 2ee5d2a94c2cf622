/**
 * A study repeated over pretraining seeds: every method of seed s starts from the same initial weights and sees
 * the same batches (the random-init baseline of seed s is that initial encoder), and every method is scored on
 * the same test images. From the per-seed probe results this module computes, as plain data:
 * - the summary table: macro AUROC per seed, mean ± sd over seeds, and the seed-averaged macro AUROC with its
 *   bootstrap interval over test images ({@link seedMeanMacroAuroc});
 * - the paired comparisons (each method against random init, and the multimodal method against MSN): Δ macro
 *   AUROC averaged over seeds, its interval and p-value from a paired bootstrap of the test images
 *   ({@link pairedBootstrap}, pROC's test), and Δ per seed;
 * - the learning curve: seed-averaged macro AUROC with its interval at each probed step, step 0 being random init;
 * - sentences that read those numbers, so a report stays true whichever way they fall.
 */
import type { TopLevelSpec } from "vega-lite";
import { pairedBootstrap, seedMeanMacroAuroc, type PairedComparison, type SeedMeanAuroc } from "../../src/eval/paired.js";
import type { TestScores } from "../../src/eval/protocols.js";
import { alignedTable, markdownTable } from "./report.js";

/** One method's probe on one seed: its name and scored test rows (linear probe, and k-NN when computed). */
export interface SeedMethodResult {
  readonly method: string;
  readonly test: TestScores;
  readonly knn?: TestScores;
}

/** A learning-curve probe: a method's checkpoint after `steps` steps, on one seed. */
export interface CurveProbe extends SeedMethodResult {
  readonly steps: number;
}

/** The read-outs a summary can be made of: the linear probe's logits, or the k-NN scores. */
export type Readout = "probe" | "knn";

/** Everything a study measured on one seed. */
export interface SeedRun {
  readonly seed: number;
  /** In the study's method order, random init first. */
  readonly results: readonly SeedMethodResult[];
  /** Probes of intermediate checkpoints (the final step is the method's own result). */
  readonly curve: readonly CurveProbe[];
}

/** One row of the summary table. */
export interface SeedSummaryRow {
  readonly method: string;
  readonly perSeed: readonly number[];
  readonly mean: number;
  /** Sample sd over seeds (n − 1); NaN with one seed. */
  readonly sd: number;
  /** Seed-averaged macro AUROC with its interval over test images. */
  readonly pooled: SeedMeanAuroc;
}

/** One paired comparison. */
export interface PairedRow {
  readonly a: string;
  readonly b: string;
  readonly comparison: PairedComparison;
}

/** One point of the learning curve. */
export interface CurvePoint {
  readonly method: string;
  readonly steps: number;
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
  readonly perSeed: readonly number[];
}

/** The summary of a seeded study: plain data. */
export interface SeedSummary {
  readonly readout: Readout;
  readonly seeds: readonly number[];
  readonly n: number;
  readonly rows: readonly SeedSummaryRow[];
  readonly paired: readonly PairedRow[];
  readonly curve: readonly CurvePoint[];
}

/**
 * Summarise a seeded study. `runs` must hold the same methods in the same order on every seed, scored on the
 * same test rows (the labels are compared).
 * @param steps the pretraining steps of the final checkpoints (the curve's last point).
 * @param opts `readout`: the linear probe (default) or the k-NN scores; `resamples` of the bootstraps (default 1000).
 * @throws Error when the seeds' methods or test labels differ, or a result lacks the read-out.
 */
export function seedSummary(runs: readonly SeedRun[], steps: number, opts: { readonly resamples?: number; readonly readout?: Readout } = {}): SeedSummary {
  if (runs.length === 0) throw new Error("seedSummary: no seeds");
  const readout = opts.readout ?? "probe";
  const scored = (r: SeedMethodResult): TestScores => {
    const t = readout === "knn" ? r.knn : r.test;
    if (!t) throw new Error(`seedSummary: ${r.method} has no ${readout} scores`);
    return t;
  };
  const methods = runs[0]!.results.map((r) => r.method);
  const labels = runs[0]!.results[0]!.test.labels;
  for (const run of runs) {
    const m = run.results.map((r) => r.method);
    if (m.join("\u0000") !== methods.join("\u0000")) throw new Error(`seedSummary: seed ${run.seed} has methods ${m.join(", ")}, seed ${runs[0]!.seed} has ${methods.join(", ")}`);
    for (const r of [...run.results, ...run.curve]) {
      scored(r);
      if (r.test.labels.length !== labels.length || r.test.labels.some((v, i) => !Object.is(v, labels[i]))) {
        throw new Error(`seedSummary: ${r.method} of seed ${run.seed} was scored on other test rows than ${methods[0]} of seed ${runs[0]!.seed}; a paired comparison needs the same test images`);
      }
    }
  }
  const rowsOf = (name: string) => runs.map((run) => scored(run.results.find((r) => r.method === name)!).logits);
  const numLabels = runs[0]!.results[0]!.test.numLabels;
  const boot = { resamples: opts.resamples ?? 1000 };
  const rows = methods.map((method) => {
    const pooled = seedMeanMacroAuroc(labels, rowsOf(method), numLabels, boot);
    const mean = pooled.value;
    const sd = pooled.perSeed.length > 1 ? Math.sqrt(pooled.perSeed.reduce((t, v) => t + (v - mean) ** 2, 0) / (pooled.perSeed.length - 1)) : NaN;
    return { method, perSeed: pooled.perSeed, mean, sd, pooled };
  });
  const [random, ...others] = methods;
  const pairs: [string, string][] = others.map((m) => [m, random!]);
  if (others.length >= 2) pairs.push([others[others.length - 1]!, others[0]!]);
  const paired = pairs.map(([a, b]) => ({ a, b, comparison: pairedBootstrap(labels, rowsOf(a), rowsOf(b), numLabels, boot) }));
  const curve: CurvePoint[] = [];
  const point = (method: string, s: number, scores: Float32Array[]) => {
    const p = seedMeanMacroAuroc(labels, scores, numLabels, boot);
    curve.push({ method, steps: s, value: p.value, lo: p.ci.lo, hi: p.ci.hi, perSeed: p.perSeed });
  };
  const curveSteps = [...new Set(runs[0]!.curve.map((c) => c.steps))].sort((x, y) => x - y);
  for (const method of others) {
    point(method, 0, rowsOf(random!));
    for (const s of curveSteps) {
      const scores = runs.map((run) => {
        const c = run.curve.find((x) => x.method === method && x.steps === s);
        return c ? scored(c).logits : undefined;
      });
      if (scores.every((x): x is Float32Array => x !== undefined)) point(method, s, scores);
    }
    point(method, steps, rowsOf(method));
  }
  return { readout, seeds: runs.map((r) => r.seed), n: labels.length / numLabels, rows, paired, curve };
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "n/a");
/** Differences below the printed precision (3 decimals) count as level. */
export const LEVEL = 5e-4;
/** A signed difference to 3 decimals; below the printed precision it is ±0.000 (neither sign). */
export const signed = (v: number): string => (Math.abs(v) < LEVEL ? "±" : v > 0 ? "+" : "−") + Math.abs(v).toFixed(3);
/** A p-value as reported: two significant digits, "< 0.001" below. */
export const formatP = (p: number): string => (p < 0.001 ? "< 0.001" : p.toFixed(p < 0.01 ? 3 : 2));

/** The summary table as rows of cells: method, mean ± sd, seed-averaged value (95% CI), per-seed values. */
function summaryCells(s: SeedSummary): string[][] {
  return s.rows.map((r) => [r.method, `${f3(r.mean)} ± ${s.seeds.length > 1 ? f3(r.sd) : "–"}`, `${f3(r.pooled.value)} (${f3(r.pooled.ci.lo)}, ${f3(r.pooled.ci.hi)})`, r.perSeed.map(f3).join(", ")]);
}

/** The paired comparisons as rows of cells: A − B, Δ (95% CI), p, per-seed Δ. */
function pairedCells(s: SeedSummary): string[][] {
  return s.paired.map((p) => [`${p.a} − ${p.b}`, `${signed(p.comparison.delta)} (${signed(p.comparison.ci.lo)}, ${signed(p.comparison.ci.hi)})`, formatP(p.comparison.pValue), p.comparison.perSeed.map(signed).join(", ")]);
}

const SUMMARY_HEAD = ["method", "macro AUROC mean ± sd over seeds", "seed-averaged (95% CI over test images)", "per seed"];
const PAIRED_HEAD = ["paired comparison", "Δ macro AUROC (95% CI)", "p", "Δ per seed"];

/** What the paired test is, in one sentence (printed under its table). */
export function pairedTestNote(s: SeedSummary): string {
  const r = s.paired[0]?.comparison.resamples ?? 0;
  return (
    `Δ is averaged over the ${s.seeds.length} seed${s.seeds.length === 1 ? "" : "s"} (${s.seeds.join(", ")}); each seed's methods share their initial weights and batches. ` +
    `Interval and p: paired bootstrap over the ${s.n} test images (${r} resamples used, every method and seed scored on the same resample; a resample in which a label has one class is dropped), p = 2Φ(−|Δ/sd(Δ*)|) as pROC's bootstrap test. ` +
    `They cover test-set sampling for these trained encoders; variation between pretraining seeds is shown by Δ per seed, not contained in p.`
  );
}

/** The summary and paired tables as aligned text for the terminal. */
export function seedSummaryText(s: SeedSummary): string {
  return `${alignedTable(SUMMARY_HEAD, summaryCells(s))}\n\n${alignedTable(PAIRED_HEAD, pairedCells(s))}`;
}

/** The summary and paired tables as markdown, with the note on the test. */
export function seedSummaryMarkdown(s: SeedSummary): string {
  return [markdownTable(SUMMARY_HEAD, summaryCells(s)), "", markdownTable(PAIRED_HEAD, pairedCells(s)), "", pairedTestNote(s)].join("\n");
}

/** A read-out's name in tables and charts. */
export const READOUT_TITLE: Readonly<Record<Readout, string>> = { probe: "linear probe", knn: `k-NN (k 20)` };

/** Where a learning-curve caret sits inside the plot, px from the clipped end. */
const CARET_INSET = 4;

/**
 * The learning curve as a Vega-Lite spec: seed-averaged test macro AUROC against pretraining steps, one line per
 * method with its 95% interval as a band, one panel per read-out; step 0 is the random-init encoder, also drawn as
 * a dashed line across the panel. Bands are clipped to AUROC's [0, 1] (a caret marks a cut end; the tooltip has
 * the full interval), and the legend, below the panels, shows full method names.
 */
export function learningCurveChart(summaries: readonly SeedSummary[], title: string): TopLevelSpec {
  const s0 = summaries[0]!;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const values = summaries.flatMap((s) => s.curve.map((p) => ({
    readout: READOUT_TITLE[s.readout], method: p.method, steps: p.steps, value: p.value, lo: p.lo, hi: p.hi,
    loShown: clamp(p.lo), hiShown: clamp(p.hi), clippedLo: p.lo < 0, clippedHi: p.hi > 1,
  })));
  const clipped = values.some((v) => v.clippedLo || v.clippedHi);
  const x = { field: "steps", type: "quantitative", title: "pretraining steps (0 = random init)" } as const;
  const color = { field: "method", type: "nominal", title: null, legend: { orient: "bottom", labelLimit: 0, columns: 2 } } as const;
  const tooltip = [
    { field: "method", type: "nominal" },
    { field: "steps", type: "quantitative" },
    { field: "value", type: "quantitative", format: ".3f" },
    { field: "lo", type: "quantitative", title: "95% CI lo", format: ".3f" },
    { field: "hi", type: "quantitative", title: "95% CI hi", format: ".3f" },
  ];
  // A cut end: a caret at the axis edge pointing past it, in the method's colour.
  const caret = (end: "Lo" | "Hi") => ({
    transform: [{ filter: `datum.clipped${end}` }],
    mark: { type: "point", shape: end === "Hi" ? "triangle-up" : "triangle-down", filled: true, opacity: 1, size: 36, yOffset: end === "Hi" ? CARET_INSET : -CARET_INSET },
    encoding: { x, y: { field: end === "Hi" ? "hiShown" : "loShown", type: "quantitative" }, color, tooltip },
  });
  const text = `${title}: test macro AUROC vs pretraining steps (mean of ${s0.seeds.length} seed${s0.seeds.length === 1 ? "" : "s"}, 95% CI over test images)`;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: clipped ? { text, subtitle: ["▲ ▼ interval clipped at AUROC 0 or 1 (full interval in the tooltip)"] } : text,
    data: { values },
    facet: { column: { field: "readout", type: "nominal", title: null, sort: summaries.map((s) => READOUT_TITLE[s.readout]) } },
    spec: {
      width: 360,
      height: 260,
      layer: [
        { mark: { type: "errorband", opacity: 0.2 }, encoding: { x, y: { field: "loShown", type: "quantitative", title: "macro AUROC", scale: { zero: false } }, y2: { field: "hiShown" }, color } },
        { mark: { type: "line", point: true }, encoding: { x, y: { field: "value", type: "quantitative" }, color, tooltip } },
        // The random-init line: the step-0 value across the panel.
        { transform: [{ filter: "datum.steps === 0" }], mark: { type: "rule", strokeDash: [4, 4], color: "gray" }, encoding: { y: { field: "value", type: "quantitative" } } },
        ...(clipped ? [caret("Hi"), caret("Lo")] : []),
      ],
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

/** The learning curve as aligned text: one row per step, one column per method (value and interval). */
export function learningCurveText(s: SeedSummary): string {
  const methods = [...new Set(s.curve.map((p) => p.method))];
  const steps = [...new Set(s.curve.map((p) => p.steps))].sort((a, b) => a - b);
  const body = steps.map((st) => [String(st), ...methods.map((m) => {
    const p = s.curve.find((c) => c.method === m && c.steps === st);
    return p ? `${f3(p.value)} (${f3(p.lo)}, ${f3(p.hi)})` : "";
  })]);
  return alignedTable(["steps", ...methods], body);
}

/**
 * Sentences that read a seeded study's numbers: whether pretraining beats random init (paired test at 0.05,
 * and on how many seeds), whether EHR adds to MSN, and the shape of the learning curve.
 */
export function seedFindings(s: SeedSummary): string[] {
  const out: string[] = [];
  for (const p of s.paired) {
    const c = p.comparison;
    const wins = c.perSeed.filter((d) => d >= LEVEL).length;
    const same = c.perSeed.filter((d) => Math.sign(d) === Math.sign(c.delta)).length;
    const direction = c.delta > 0 ? "above" : "below";
    const verdict =
      c.pValue >= 0.05
        ? `this test does not separate ${p.a} from ${p.b}`
        : same === c.perSeed.length
          ? `${p.a} is ${direction} ${p.b}, on every seed`
          : `${p.a} is ${direction} ${p.b} on average, but not on every seed (${same} of ${c.perSeed.length}): the seed-to-seed variation is not in p`;
    out.push(`**${p.a} vs ${p.b} (${READOUT_TITLE[s.readout]}):** Δ ${signed(c.delta)} macro AUROC (95% CI ${signed(c.ci.lo)} to ${signed(c.ci.hi)}, p ${formatP(c.pValue)}); ${verdict}; higher on ${wins} of ${c.perSeed.length} seeds.`);
  }
  for (const m of [...new Set(s.curve.map((p) => p.method))]) {
    const pts = s.curve.filter((p) => p.method === m).sort((a, b) => a.steps - b.steps);
    if (pts.length < 3) continue;
    const best = pts.reduce((a, b) => (b.value > a.value ? b : a));
    const first = pts.find((p) => p.steps > 0 && p.lo > pts[0]!.hi);
    out.push(
      `**Learning curve of ${m} (${READOUT_TITLE[s.readout]}):** ${pts.map((p) => `${p.steps}: ${f3(p.value)}`).join(", ")}; highest at ${best.steps} steps` +
        (first ? `; its interval first clears the random-init interval at ${first.steps} steps.` : "; no point's interval clears the random-init interval."),
    );
  }
  return out;
}
