/**
 * One row of the paper's EHR-group ablation, in memory: the shared recipe of notebooks 04–06 (one notebook per
 * EHR group; notebook 07 and `mmsn ablate` run every combination).
 *
 * The recipe, the same for every group:
 * 1. {@link groupAblationData}: MIMIC-CXR (official split) and MIMIC-IV from `MMSN_MIMIC_DIR` /
 *    `MMSN_MIMIC_IV_DIR`, or a synthetic cohort written to a temporary folder; the group's EHR features linked
 *    to the training images (`mimicEhr`; unlinked images are dropped from the EHR run).
 * 2. {@link runGroupAblation}: three encoders through `runMethod`, all built from the same preset and seed, so
 *    with the same initial weights: **random init** (no pretraining, the floor), **vanilla MSN** and
 *    **MSN+EHR(group)** (the EHR projector and fusion layer on the anchor branch), both pretrained for the same
 *    number of steps on the same augmentation stream. Each is probed on its frozen target encoder's features
 *    (Adam, BCE, early stopping on validation macro AUROC) and tested with 95 % bootstrap percentile intervals (the official interval).
 * 3. {@link ablationFindings}: sentences computed from the results (which method is higher, whether the
 *    intervals overlap, per-label wins, loss curves), so that a discussion stays true for whatever numbers
 *    a run produces.
 *
 * Everything returned is plain data (numbers, strings, typed arrays, Vega-Lite specs): no tensors leave this
 * module; the models it builds are disposed before it returns.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { loadMimicCxr, selectSplit, type CxrDataset, type EhrGroup } from "../../data-loaders/index.js";
import type { MsnOverrides, MsnPresetName } from "../../src/config/msn.js";
import type { ProbeOptions } from "../../src/eval/probe_options.js";
import { formatWithCi } from "../../src/eval/results.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { groupedComparisonChart, lineChart } from "../../src/viz/charts.js";
import { ehrColumnShares, evalViews, mimicEhr, monitorImages, pretrainBatches, resolveDataRoots, splitFeatures, type AlignedEhr, type DatasetFeatureOptions } from "../data.js";
import { methodName } from "./ehr_groups.js";
import { runMethod, type MethodRun } from "./method_run.js";
import { LEVEL, learningCurveChart, seedSummary, signed, type CurveProbe, type SeedRun, type SeedSummary } from "./seeds.js";
import { monitorChart } from "./run_summary.js";
import { modelMonitor, type MonitorImages } from "../../src/eval/model_monitor.js";
import type { MonitorRow } from "../../src/train/monitor.js";
import type { Encoder } from "../../src/eval/types.js";
import { msnConfig } from "../../src/config/msn.js";
import { comparisonPoints, comparisonText, perLabelComparison } from "./report.js";

/** Reader-facing name of each EHR group (chart titles). */
const GROUP_TITLE: Readonly<Record<EhrGroup, string>> = { demographic: "demographic", scan: "scan metadata", inpatient: "inpatient stay" };

/**
 * The settings of notebooks 04–06 (the defaults of {@link groupAblationData} and {@link runGroupAblation}):
 * a 500-image synthetic cohort of 128-px images; the `cpu_fast` preset cut to 2 ViT blocks with batch 16
 * (64-px grey views, 4 focal views of 32 px, the preset's seed); 30 pretraining steps; the probe with learning
 * rate 1e-3, batch 32, at most 60 epochs; 1,000 bootstrap resamples.
 */
export const GROUP_ABLATION_DEFAULTS = {
  synthImages: 500,
  synthImageSize: 128,
  preset: "cpu_fast",
  model: { vit: { depth: 2 }, batchSize: 16 },
  steps: 30,
  probe: { learningRate: 1e-3, batchSize: 32, maxEpochs: 60 },
  bootstrap: 1000,
} as const satisfies {
  synthImages: number;
  synthImageSize: number;
  preset: MsnPresetName;
  model: MsnOverrides;
  steps: number;
  probe: ProbeOptions;
  bootstrap: number;
};

/** Options of {@link groupAblationData}. */
export interface GroupAblationDataOptions {
  readonly group: EhrGroup;
  /** Images of the synthetic cohort (used when the MIMIC environment variables are not set); default 500. */
  readonly synthImages?: number;
  /** Side of the synthetic images in px; default 128. */
  readonly synthImageSize?: number;
  /** Where the data roots are read from (`MMSN_MIMIC_DIR`, `MMSN_MIMIC_IV_DIR`); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Result of {@link groupAblationData}: plain data (datasets and a Float32Array EHR matrix, no tensors). */
export interface GroupAblationData {
  readonly group: EhrGroup;
  /** MIMIC-CXR with its official split. */
  readonly mimic: CxrDataset;
  /** Its train split (vanilla MSN pretrains on all of it). */
  readonly train: CxrDataset;
  /** The group's features row-aligned with the linked training images (MSN+EHR pretrains on `ehr.dataset`). */
  readonly ehr: AlignedEhr;
  /** Images per split. */
  readonly splits: { readonly train: number; readonly validate: number; readonly test: number };
  /** Whether MIMIC-CXR / MIMIC-IV come from the synthetic cohort (else from the environment variables). */
  readonly synthetic: boolean;
  /** Two lines: where the data comes from with the split sizes, then how many training images were linked. */
  readonly summary: string;
  /** Removes the temporary synthetic cohort (nothing to do for real data). Idempotent. */
  readonly cleanup: () => void;
}

/**
 * The data of a one-group ablation (step 1 of the module's recipe). Writes the synthetic cohort into a new
 * temporary folder unless both MIMIC environment variables are set; call `cleanup()` when done.
 * @throws Error when only one of `MMSN_MIMIC_DIR` / `MMSN_MIMIC_IV_DIR` is set, or a file is missing (the
 * temporary folder is removed first).
 * @example const data = await groupAblationData({ group: "scan" }); console.log(data.summary);
 */
export async function groupAblationData(o: GroupAblationDataOptions): Promise<GroupAblationData> {
  const synthDir = mkdtempSync(join(tmpdir(), `mmsn-ablation-${o.group}-`));
  const cleanup = () => rmSync(synthDir, { recursive: true, force: true });
  try {
    const synth = { images: o.synthImages ?? GROUP_ABLATION_DEFAULTS.synthImages, imageSize: o.synthImageSize ?? GROUP_ABLATION_DEFAULTS.synthImageSize };
    const data = await resolveDataRoots(["mimic", "mimicIv"], { synthDir, synth, ...(o.env ? { env: o.env } : {}) });
    const mimic = loadMimicCxr({ root: data.roots.mimic! });
    const train = selectSplit(mimic, "train");
    const ehr = mimicEhr(train, { mimicRoot: data.roots.mimic!, mimicIvRoot: data.roots.mimicIv!, groups: [o.group] });
    const splits = { train: train.length, validate: selectSplit(mimic, "validate").length, test: selectSplit(mimic, "test").length };
    const synthetic = data.synthetic.length > 0;
    if (!synthetic) cleanup();
    const summary = [
      `MIMIC-CXR ${synthetic ? "from the synthetic cohort" : "at " + data.roots.mimic}: ${mimic.length} images; train ${splits.train}, validate ${splits.validate}, test ${splits.test}`,
      `${ehr.dataset.length} of ${train.length} training images linked to MIMIC-IV (${ehr.dropped} dropped); ${ehr.dim} ${o.group} features: ${ehr.columns.join(", ")}`,
    ].join("\n");
    return { group: o.group, mimic, train, ehr, splits, synthetic, summary, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/**
 * The first `n` rows of an aligned EHR matrix, ready for `console.table`: the image id (shortened) and one
 * field per feature column (3 decimals). Plain objects.
 */
export function ehrPreview(ehr: AlignedEhr, n = 5): Record<string, string | number>[] {
  return ehr.dataset.ids.slice(0, n).map((id, i) => {
    const row: Record<string, string | number> = { image: id.slice(0, 12) + "…" };
    ehr.columns.forEach((c, j) => (row[c] = +ehr.matrix[i * ehr.dim + j]!.toFixed(3)));
    return row;
  });
}

/**
 * Grouped bars of the one-hot EHR columns (`ehrColumnShares`): the share of linked images with each value,
 * coloured by variable. `age_norm` is left out (not one-hot). A Vega-Lite spec (plain data).
 */
export function ehrShareChart(ehr: AlignedEhr, opts: { readonly title: string }): TopLevelSpec {
  const points = ehrColumnShares(ehr).filter((c) => c.oneHot).map((c) => ({ category: c.column, series: c.variable, value: c.mean }));
  // One bar per column (sideBySide false), coloured by its variable.
  return groupedComparisonChart(points, { title: opts.title, yTitle: "fraction of images", seriesTitle: "variable", sideBySide: false, width: 420, height: 200 });
}

/** One linked EHR record (sex, age, view, orientation, died, icu) of an {@link AlignedEhr}. */
type LinkedRecord = AlignedEhr["records"][number];

/**
 * Counts of linked training images by two properties of their EHR record, such as view × orientation: one
 * row per value of `row`, one column per value of `col` (both sorted, zeros filled). Plain objects, ready for
 * `console.table`.
 * @example console.table(ehrCrossTab(ehr, (r) => r.view, (r) => r.orientation));
 */
export function ehrCrossTab(ehr: AlignedEhr, row: (r: LinkedRecord) => string, col: (r: LinkedRecord) => string): Record<string, Record<string, number>> {
  const cols = [...new Set(ehr.records.map(col))].sort();
  const out: Record<string, Record<string, number>> = {};
  for (const k of [...new Set(ehr.records.map(row))].sort()) out[k] = Object.fromEntries(cols.map((c) => [c, 0]));
  for (const r of ehr.records) out[row(r)]![col(r)]! += 1;
  return out;
}

/**
 * Label prevalence among the linked training images, split by a property of their EHR record (an age band,
 * the view, ICU or not): one row per label with the share of positive images in each subgroup (NaN labels
 * ignored; NaN for a subgroup without a known label). Columns are the subgroups in sorted order, named with
 * their image counts. Plain objects, ready for `console.table`.
 * @throws Error naming a label the dataset does not have.
 * @example console.table(labelPrevalence(ehr, (r) => (r.icu ? "ICU" : "not ICU"), ["Support Devices"]));
 */
export function labelPrevalence(ehr: AlignedEhr, by: (r: LinkedRecord) => string, labels: readonly string[]): Record<string, string | number>[] {
  const ds = ehr.dataset;
  const L = ds.labelNames.length;
  const keys = ehr.records.map(by);
  const groups = [...new Set(keys)].sort();
  const size = new Map(groups.map((g) => [g, keys.filter((k) => k === g).length]));
  return labels.map((label) => {
    const j = ds.labelNames.indexOf(label);
    if (j < 0) throw new Error(`labelPrevalence: ${ds.name} has no label "${label}" (labels: ${ds.labelNames.join(", ")})`);
    const row: Record<string, string | number> = { label };
    for (const g of groups) {
      let pos = 0;
      let n = 0;
      keys.forEach((k, i) => {
        const y = ds.labels[i * L + j]!;
        if (k === g && !Number.isNaN(y)) [pos, n] = [pos + y, n + 1];
      });
      row[`${g} (n=${size.get(g)})`] = n > 0 ? +(pos / n).toFixed(3) : NaN;
    }
    return row;
  });
}

/** Options of {@link runGroupAblation}; every default is in {@link GROUP_ABLATION_DEFAULTS}. */
export interface GroupAblationOptions {
  readonly data: GroupAblationData;
  /** Pretraining steps of each pretrained method; default 30. */
  readonly steps?: number;
  /** Default "cpu_fast". */
  readonly preset?: MsnPresetName;
  /** Model overrides of the preset (default 2 ViT blocks, batch 16); `ehr.ehrIn` is set per method. */
  readonly model?: MsnOverrides;
  /** Probe options; default learning rate 1e-3, batch 32, at most 60 epochs. */
  readonly probe?: ProbeOptions;
  /** Feature extraction; default the model's view size and channels (64 px, grey for `cpu_fast`). */
  readonly features?: DatasetFeatureOptions;
  /** Bootstrap resamples of the test metrics; default 1000. */
  readonly bootstrap?: number;
  /** Called after each method (e.g. to log progress); gets plain data. */
  readonly onMethod?: (run: MethodRun) => void;
  /**
   * Pretraining seeds: the preset's seed and the next `seeds − 1` integers; default 1. The three methods of a seed
   * share their initial weights and batches; `summaries` compares them over seeds with paired tests.
   */
  readonly seeds?: number;
  /** Steps at which each pretrained method is also probed (the learning curve; random init and `steps` are always in it); default none. */
  readonly curve?: readonly number[];
  /** Monitor readings every this many steps (k-NN AUROC on validation images, effective rank, feature std, prototype usage); default 0 = off. */
  readonly monitorEvery?: number;
  /** Validation images the monitors read (the k-NN bank is twice as many train images); default 64. */
  readonly monitorImages?: number;
}

/** Result of {@link runGroupAblation}: plain data, no tensors. */
export interface GroupAblationResult {
  readonly group: EhrGroup;
  readonly steps: number;
  /** "random init", "MSN", `methodName([group])`, in that order. */
  readonly runs: readonly MethodRun[];
  /** Names of the three methods, in the order of `runs`. */
  readonly methods: { readonly random: string; readonly msn: string; readonly ehr: string };
  /** One row per method: seconds of pretraining and of features + probe, first → last loss, probe best epoch. */
  readonly timings: Record<string, string | number>[];
  /** The comparison table (macro AUROC and AUPRC with CIs) as aligned text (`comparisonText`). */
  readonly comparison: string;
  /** Per-label AUROC with CIs, one column per method (`perLabelComparison`). */
  readonly perLabel: Record<string, string | number>[];
  /**
   * Over the seeds, for the linear probe and for a k-NN read-out on the same features: mean ± sd, per-seed values,
   * paired tests (each pretrained method vs random init, MSN+EHR vs MSN) and the learning curve (`seedSummary`).
   */
  readonly summaries: readonly SeedSummary[];
  /** The pretraining monitor readings of the first seed, by method ({} without `monitorEvery`). */
  readonly monitors: Readonly<Record<string, readonly MonitorRow[]>>;
  /**
   * Vega-Lite specs: the pretraining losses of both pretrained methods, per-label and macro AUROC with CIs (first
   * seed), the learning curve over seeds, and the monitors of the first seed (with `monitorEvery`).
   */
  readonly charts: { readonly loss: TopLevelSpec; readonly auroc: TopLevelSpec; readonly curve: TopLevelSpec; readonly monitors?: TopLevelSpec };
}

/**
 * Run the three methods of a one-group ablation (step 2 of the module's recipe) on `data`: random init,
 * vanilla MSN (pretrained on `data.train`) and MSN+EHR(group) (pretrained on the linked images with their
 * features). Every model is built from the same preset and seed and disposed here; no tensors are returned
 * and none are left behind.
 * @throws Error from `runMethod` (e.g. `steps` ≤ 0) or the probe protocol; the model in use is disposed first.
 * @example const r = await runGroupAblation({ data, steps: 30 }); console.log(r.comparison);
 */
export async function runGroupAblation(o: GroupAblationOptions): Promise<GroupAblationResult> {
  const d = GROUP_ABLATION_DEFAULTS;
  const { data } = o;
  const steps = o.steps ?? d.steps;
  const preset = o.preset ?? d.preset;
  const overrides: MsnOverrides = o.model ?? d.model;
  const probe = o.probe ?? d.probe;
  const bootstrap = o.bootstrap ?? d.bootstrap;
  const base = msnConfig(preset, overrides).seed;
  const seeds = Array.from({ length: o.seeds ?? 1 }, (_, i) => base + i);
  const curveSteps = [...new Set(o.curve ?? [])].filter((k) => k > 0 && k < steps).sort((x, y) => x - y);
  const newModel = (ehrIn: number, seed: number) => new MultimodalMSN(preset, { ...overrides, seed, ehr: { ...overrides.ehr, ehrIn } });
  const methods = { random: "random init", msn: methodName([]), ehr: methodName([data.group]) };
  const runs: MethodRun[] = [];
  const seedRuns: SeedRun[] = [];
  let monitorSets: { bank: MonitorImages; query: MonitorImages } | undefined;
  // One method on one seed: random init, or pretraining in segments that end at the curve steps (each probed).
  const run = async (method: string, ehr: AlignedEhr | undefined, pretrained: boolean, seed: number): Promise<{ final: MethodRun; curve: CurveProbe[] }> => {
    const model = newModel(ehr ? ehr.dim : 0, seed);
    try {
      const c = model.config;
      const fo = o.features ?? evalViews(c);
      const common = { method, model, features: (e: Encoder) => splitFeatures(e, data.mimic, fo), probe, bootstrap, knn: true };
      if (!pretrained) return { final: await runMethod(common), curve: [] };
      if ((o.monitorEvery ?? 0) > 0 && !monitorSets) {
        const q = o.monitorImages ?? 64;
        monitorSets = { query: await monitorImages(selectSplit(data.mimic, "validate"), c, q), bank: await monitorImages(data.train, c, 2 * q) };
      }
      const monitor = monitorSets ? modelMonitor({ every: o.monitorEvery!, ...monitorSets }) : undefined;
      const parts: MethodRun[] = [];
      const curve: CurveProbe[] = [];
      let done = 0;
      for (const k of [...curveSteps, steps]) {
        const batches = pretrainBatches(ehr ? ehr.dataset : data.train, c, { ...(ehr ? { ehr } : {}), startStep: done });
        const r = await runMethod({ ...common, batches, steps: k - done, stepsPerEpoch: steps, ...(monitor ? { monitor } : {}) });
        parts.push(r);
        if (k < steps) curve.push({ method, steps: k, test: r.test, ...(r.knn ? { knn: r.knn } : {}) });
        done = k;
      }
      const last = parts[parts.length - 1]!;
      const sum = (f: (r: MethodRun) => number) => parts.reduce((t, r) => t + f(r), 0);
      const final: MethodRun = {
        ...last,
        source: `${steps} pretraining steps`,
        pretraining: parts.flatMap((r) => r.pretraining),
        monitors: parts.flatMap((r) => r.monitors),
        seconds: { pretrain: sum((r) => r.seconds.pretrain), evaluate: sum((r) => r.seconds.evaluate) },
      };
      return { final, curve };
    } finally {
      model.dispose();
    }
  };
  const monitors: Record<string, readonly MonitorRow[]> = {};
  for (const seed of seeds) {
    const random = await run(methods.random, undefined, false, seed);
    const msn = await run(methods.msn, undefined, true, seed);
    const ehr = await run(methods.ehr, data.ehr, true, seed);
    const three = [random.final, msn.final, ehr.final];
    if (seed === seeds[0]) {
      runs.push(...three);
      for (const r of three) if (r.monitors.length > 0) monitors[r.method] = r.monitors;
    }
    for (const r of three) o.onMethod?.(r);
    seedRuns.push({ seed, results: three.map((r) => ({ method: r.method, test: r.test, ...(r.knn ? { knn: r.knn } : {}) })), curve: [...msn.curve, ...ehr.curve] });
  }
  const summaries = (["probe", "knn"] as const).map((readout) => seedSummary(seedRuns, steps, { readout, resamples: Math.max(bootstrap, 200) }));
  const timings = runs.map((r) => ({
    method: r.method,
    "pretraining (s)": +r.seconds.pretrain.toFixed(1),
    "features + probe (s)": +r.seconds.evaluate.toFixed(1),
    "first → last loss": lossRange(r) ?? "–",
    "probe best epoch": r.training?.bestEpoch ?? "–",
  }));
  const lossPoints = runs.filter((r) => r.pretraining.length > 0).flatMap((r) => r.pretraining.map((s) => ({ step: s.step, value: s.loss, series: r.method })));
  const charts = {
    loss: lineChart(lossPoints, { title: "MSN loss (same seed, same steps)", width: 420, height: 200 }),
    auroc: groupedComparisonChart(comparisonPoints(runs), {
      title: `MIMIC-CXR test AUROC (95 % bootstrap CI): ${GROUP_TITLE[data.group]} ablation`,
      yTitle: "AUROC",
      labelAngle: -40,
      width: 760,
      height: 240,
    }),
    curve: learningCurveChart(summaries, `${GROUP_TITLE[data.group]} ablation`),
    ...(Object.keys(monitors).length > 0
      ? { monitors: monitorChart(Object.entries(monitors).flatMap(([method, rows]) => rows.map((r) => ({ ...r, series: method }))), `${GROUP_TITLE[data.group]} ablation (seed ${seeds[0]})`) }
      : {}),
  };
  return { group: data.group, steps, runs, methods, timings, comparison: comparisonText(runs), perLabel: perLabelComparison(runs), summaries, monitors, charts };
}

/** "first → last" pretraining loss of a run (3 decimals); undefined without pretraining. */
function lossRange(r: MethodRun): string | undefined {
  const p = r.pretraining;
  return p.length ? `${p[0]!.loss.toFixed(3)} → ${p[p.length - 1]!.loss.toFixed(3)}` : undefined;
}

/** Δ = a − b and whether the 95 % percentile intervals overlap (undefined without intervals). */
function contrast(a: MethodRun, b: MethodRun): { delta: number; overlap: boolean | undefined } {
  const [x, y] = [a.evaluation, b.evaluation];
  const overlap = x.macroAurocCi && y.macroAurocCi ? x.macroAurocCi.percentile.lo <= y.macroAurocCi.percentile.hi && y.macroAurocCi.percentile.lo <= x.macroAurocCi.percentile.hi : undefined;
  return { delta: x.macroAuroc - y.macroAuroc, overlap };
}

const direction = (d: number) => (Math.abs(d) < LEVEL ? "level with" : d > 0 ? "above" : "below");
const overlapText = (o: boolean | undefined) => (o === undefined ? "no intervals" : o ? "intervals overlap" : "intervals do not overlap");

/**
 * Sentences (markdown bullets) computed from a one-group ablation, for a notebook's discussion: the macro AUROC
 * of MSN+EHR(group) against vanilla MSN and of both against random init (direction, Δ, whether the 95 % percentile
 * intervals overlap) with what that allows to conclude, on how many labels MSN+EHR(group) is above / below /
 * level with MSN, the per-label Δ on `focusLabels` (the labels a notebook watches for its group; labels not
 * evaluated are named), the first → last pretraining losses, and the scale of the run. Every statement is
 * derived from `result`, so it holds for any run. Differences under 0.0005 (the printed precision) count as level.
 * @example console.log(ablationFindings(result, { focusLabels: ["Cardiomegaly"] }).join("\n"));
 */
export function ablationFindings(result: GroupAblationResult, opts: { readonly focusLabels?: readonly string[] } = {}): string[] {
  const by = (m: string) => result.runs.find((r) => r.method === m)!;
  const [rnd, msn, ehr] = [by(result.methods.random), by(result.methods.msn), by(result.methods.ehr)];
  const macro = (r: MethodRun) => formatWithCi(r.evaluation.macroAuroc, r.evaluation.macroAurocCi);
  const out: string[] = [];
  if (![rnd, msn, ehr].every((r) => Number.isFinite(r.evaluation.macroAuroc))) {
    out.push(`- **Macro AUROC** is not defined for every method (no test label has both classes), so this split cannot compare them.`);
  } else {
    const c = contrast(ehr, msn);
    out.push(`- **Macro AUROC:** ${ehr.method} ${macro(ehr)} is ${direction(c.delta)} ${msn.method} ${macro(msn)} (Δ ${signed(c.delta)}; ${overlapText(c.overlap)}).`);
    const floor = [msn, ehr].map((r) => ({ r, c: contrast(r, rnd) })).map(({ r, c }) => `${r.method} ${signed(c.delta)} (${overlapText(c.overlap)})`);
    out.push(`- **Against the random-init floor** ${macro(rnd)}: ${floor.join("; ")}.`);
    const reading =
      c.overlap === undefined
        ? "without intervals the gap cannot be weighed against test-set noise"
        : c.overlap
          ? `the two intervals overlap, so this check does not separate fusing the ${result.group} group from vanilla MSN (a conservative check: the paired test of \`summaries\` is sharper)`
          : `the gap exceeds the test-set sampling noise of this seed; the paired tests over seeds (\`summaries\`) say whether it holds across seeds`;
    out.push(`- **Reading:** ${reading}.`);
  }
  const aurocOf = (r: MethodRun) => new Map(r.evaluation.perLabel.map((l) => [l.label, l.auroc]));
  const [a, b] = [aurocOf(ehr), aurocOf(msn)];
  const shared = [...a.keys()].filter((l) => b.has(l));
  const count = (k: string) => shared.filter((l) => direction(a.get(l)! - b.get(l)!) === k).length;
  const excluded = msn.evaluation.excluded.length;
  out.push(
    `- **Per label:** of ${shared.length} evaluated labels, ${ehr.method} is above ${msn.method} on ${count("above")}, below on ${count("below")}, level on ${count("level with")}` +
      (excluded ? `; ${excluded} label${excluded === 1 ? " is" : "s are"} excluded (one class in the test split).` : "."),
  );
  if (opts.focusLabels?.length) {
    const parts = opts.focusLabels.map((l) => (a.has(l) && b.has(l) ? `${l} ${signed(a.get(l)! - b.get(l)!)}` : `${l} not evaluated`));
    out.push(`- **Watched labels** (AUROC of ${ehr.method} − ${msn.method}): ${parts.join(", ")}.`);
  }
  const loss = (r: MethodRun) => {
    const p = r.pretraining;
    return p.length ? `${r.method} ${lossRange(r)} (${p[p.length - 1]!.loss < p[0]!.loss ? "falling" : "not falling"})` : `${r.method} –`;
  };
  out.push(`- **Pretraining loss over ${result.steps} steps:** ${loss(msn)}; ${loss(ehr)}.`);
  const seeds = result.summaries[0]?.seeds ?? [];
  out.push(
    `- **Scale:** ${msn.evaluation.n} test images, ${result.steps} steps; these bullets read the first pretraining seed${seeds.length > 1 ? ` of ${seeds.length} (${seeds.join(", ")})` : ""}: its intervals cover test-set sampling only, not seed-to-seed variation${seeds.length > 1 ? " (the paired tests over seeds are in `summaries`)" : ""}.`,
  );
  return out;
}
