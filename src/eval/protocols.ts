/**
 * The three evaluation protocols of the paper (docs/protocol.md#evaluation-datasets), written over feature sets so they do not depend on the
 * loaders:
 * - MIMIC-CXR: a probe trained on MIMIC train (early stopping on MIMIC val), tested on MIMIC test;
 *   label fractions (1/10/25/100 %) give the low-data regime.
 * - CheXpert: the MIMIC-trained probe applied to CheXpert test *without retraining* (same 14 labels, same order).
 * - NIH-14: a new probe on NIH train; images labelled only "No Finding" are dropped from every split.
 *
 * Each protocol trains in one of two modes, chosen by its training split: `fast` with training features
 * ({@link FeatureSplits}: `trainLinearProbe` on cached features of unaugmented images) or `official` with
 * training images ({@link ImageTrainSplits}: `trainLinearProbeAugmented`, augmented images through the frozen
 * encoder every epoch, as the paper's code).
 */
import { assertSameLabels, trainLinearProbe, type LinearProbe, type ProbeTrainResult } from "./linear_probe.js";
import { trainLinearProbeAugmented } from "./augmented_probe.js";
import { OFFICIAL_PROBE_OPTIONS, type ProbeOptions } from "./probe_options.js";
import { evaluateMultilabel, type EvaluateOptions, type MultilabelEvaluation } from "./metrics.js";
import { checkOptionKeys } from "../utils/validate.js";
import { Rng } from "../utils/rng.js";
import { checkFeatureSet, type ImageTrainSet, type LabeledBatch, type LabeledFeatures } from "./types.js";

/** Protocol names. */
export const PROTOCOLS = ["mimic", "chexpert", "nih14"] as const;
/** One of {@link PROTOCOLS}. */
export type ProtocolName = (typeof PROTOCOLS)[number];

/** Train/validation/test features of one dataset. */
export interface FeatureSplits {
  readonly train: LabeledFeatures;
  readonly val: LabeledFeatures;
  readonly test: LabeledFeatures;
}

/**
 * Splits of the **official** probe mode: the training images go through the frozen encoder every epoch with
 * train-time augmentation; validation and test are features without augmentation (cacheable).
 */
export interface ImageTrainSplits {
  readonly train: ImageTrainSet;
  readonly val: LabeledFeatures;
  readonly test: LabeledFeatures;
}

/** Probe modes: `fast` (cached training features, no augmentation) and `official` (augmented images every epoch). */
export const PROBE_MODES = ["fast", "official"] as const;
/** One of {@link PROBE_MODES}. */
export type ProbeMode = (typeof PROBE_MODES)[number];

/** The mode a protocol trains in for these splits: `official` when the training split is images. */
export function probeMode(splits: FeatureSplits | ImageTrainSplits): ProbeMode {
  return "encoder" in splits.train ? "official" : "fast";
}

/** Options of the protocols. */
export interface ProtocolOptions {
  /** Probe training options (learning rate, label fraction, …). */
  readonly probe?: ProbeOptions;
  /** Test-set evaluation options (bootstrap resamples, seed, level). */
  readonly evaluate?: EvaluateOptions;
  /**
   * Drop the last incomplete batch of 64 from the validation set, as the official val loader does
   * (`DataLoader(batch_size=64, drop_last=True)` in evaluate.py): early stopping then sees ⌊n/64⌋·64 rows.
   * Default false (every row).
   */
  readonly dropLastValBatch?: boolean;
  /**
   * Drop the last incomplete batch of 64 from the test set, as the official test loader does (a quirk of
   * evaluate.py: `drop_last=True` on the test `DataLoader` too, so up to 63 test images go unscored). Default
   * false. Not applied to CheXpert, whose official loader is one batch of the whole set.
   */
  readonly dropLastTestBatch?: boolean;
}
const PROTOCOL_KEYS = ["probe", "evaluate", "dropLastValBatch", "dropLastTestBatch"] as const;

/** What a protocol returns (plain data: no tensors). */
export interface ProtocolResult {
  readonly protocol: ProtocolName;
  /** Test-set metrics with CIs and excluded labels. */
  readonly evaluation: MultilabelEvaluation;
  /** The probe used on the test set. */
  readonly probe: LinearProbe;
  /** Training run of the probe (absent for CheXpert, which reuses the MIMIC probe). */
  readonly training?: ProbeTrainResult;
  /** Fraction of training labels used. */
  readonly labelFraction: number;
  /** Human-readable notes (rows dropped, label columns removed, …). */
  readonly notes: readonly string[];
  /** The scored test rows: labels [n, L] (NaN = missing) and the probe's logits [n, L], for paired comparisons. */
  readonly test: TestScores;
}

/** The test rows a probe was scored on (plain arrays). */
export interface TestScores {
  /** Row-major [n, L], 0/1 with NaN = missing. */
  readonly labels: Float32Array;
  /** Row-major [n, L] logits of the probe. */
  readonly logits: Float32Array;
  /** L, the label columns. */
  readonly numLabels: number;
}

/**
 * The rows of `fs` that a `DataLoader(batch_size, shuffle=False, drop_last=True)` scores: ⌊n/B⌋·B of them.
 * With `seed`, the dropped n mod B rows are a seeded random subset (the official MIMIC splits are
 * `random.sample` permutations of the split list, so their last batch is a random subset); without, the last
 * rows (NIH-14, read in file order). The kept rows stay in their order.
 * @returns a new feature set and the number of rows dropped.
 * @throws when fewer than `batchSize` rows are left (nothing would be scored).
 */
export function dropIncompleteBatch(fs: LabeledFeatures, batchSize: number, seed?: number): { set: LabeledFeatures; dropped: number } {
  const L = checkFeatureSet(fs, "dropIncompleteBatch");
  const keep = Math.floor(fs.n / batchSize) * batchSize;
  if (keep === 0) throw new Error(`dropIncompleteBatch: ${fs.n} rows make no full batch of ${batchSize}`);
  if (keep === fs.n) return { set: fs, dropped: 0 };
  const order = Int32Array.from({ length: fs.n }, (_, i) => i);
  const rows = seed === undefined ? order.subarray(0, keep) : new Rng(seed).shuffle(order).subarray(0, keep).sort();
  return { set: selectRows(fs, rows, L), dropped: fs.n - keep };
}

function selectRows(fs: LabeledFeatures, rows: ArrayLike<number>, L: number): LabeledFeatures {
  const D = fs.dim;
  const features = new Float32Array(rows.length * D);
  const labels = new Float32Array(rows.length * L);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    features.set(fs.features.subarray(r * D, (r + 1) * D), k * D);
    labels.set(fs.labels.subarray(r * L, (r + 1) * L), k * L);
  }
  return { features, labels, n: rows.length, dim: D, labelNames: fs.labelNames };
}

async function trainAndTest(protocol: ProtocolName, s: FeatureSplits | ImageTrainSplits, opts: ProtocolOptions, notes: string[]): Promise<ProtocolResult> {
  checkFeatureSet(s.test, `${protocol}: test`);
  assertSameLabels(s.train.labelNames, s.test.labelNames, `${protocol}: train vs test`);
  const B = OFFICIAL_PROBE_OPTIONS.batchSize;
  // The official MIMIC splits are random.sample permutations (seed 24); NIH-14 is read in file order.
  const seed = (split: string) => (protocol === "mimic" ? new Rng(opts.probe?.seed ?? OFFICIAL_PROBE_OPTIONS.seed).fork(split).nextUint32() : undefined);
  const official = (fs: LabeledFeatures, split: "val" | "test"): LabeledFeatures => {
    const { set, dropped } = dropIncompleteBatch(fs, B, seed(split));
    notes.push(`${split}: dropped the last incomplete batch of ${B} (official drop_last): ${dropped} of ${fs.n} rows`);
    return set;
  };
  const val = opts.dropLastValBatch ? official(s.val, "val") : s.val;
  const test = opts.dropLastTestBatch ? official(s.test, "test") : s.test;
  const mode = probeMode(s);
  if (mode === "official") notes.push("probe mode official: augmented training images through the frozen encoder every epoch");
  const training =
    mode === "official" ? await trainLinearProbeAugmented((s as ImageTrainSplits).train, val, opts.probe) : await trainLinearProbe((s as FeatureSplits).train, val, opts.probe);
  return {
    protocol,
    evaluation: testProbe(training.probe, test, opts.evaluate),
    probe: training.probe,
    training,
    test: { labels: test.labels, logits: training.probe.predictLogits(test.features), numLabels: test.labelNames.length },
    labelFraction: opts.probe?.labelFraction ?? 1,
    notes,
  };
}

/** Evaluate a probe on a test feature set (label names and feature width must match). */
export function testProbe(probe: LinearProbe, test: LabeledFeatures, opts?: EvaluateOptions): MultilabelEvaluation {
  const L = checkFeatureSet(test, "testProbe");
  assertSameLabels(probe.labelNames, test.labelNames, "testProbe: probe vs test");
  if (probe.dim !== test.dim) throw new Error(`testProbe: probe expects dim ${probe.dim}, test features have ${test.dim}`);
  return evaluateMultilabel(test.labels, probe.predictLogits(test.features), L, test.labelNames, opts);
}

/**
 * MIMIC-CXR protocol: train on MIMIC train, early-stop on MIMIC val, test on MIMIC test. Training features give
 * the fast mode, training images ({@link ImageTrainSplits}) the official one.
 * @returns metrics and the probe (keep it for {@link chexpertProtocol}).
 * @example const mimic = await mimicProtocol({ train, val, test }, { probe: { labelFraction: 0.1 } });
 */
export async function mimicProtocol(splits: FeatureSplits | ImageTrainSplits, opts: ProtocolOptions = {}): Promise<ProtocolResult> {
  checkOptionKeys(opts, PROTOCOL_KEYS, "mimicProtocol");
  return trainAndTest("mimic", splits, opts, []);
}

/**
 * CheXpert protocol: the MIMIC-trained probe applied to CheXpert test features, no retraining.
 * @throws when the CheXpert label names differ from the probe's (names and order must be equal).
 * @example const cx = chexpertProtocol({ probe: mimic.probe, test: chexpertTest });
 */
export function chexpertProtocol(
  input: { readonly probe: LinearProbe; readonly test: LabeledFeatures },
  opts: Pick<ProtocolOptions, "evaluate"> = {},
): ProtocolResult {
  checkOptionKeys(opts, ["evaluate"], "chexpertProtocol");
  return {
    protocol: "chexpert",
    evaluation: testProbe(input.probe, input.test, opts.evaluate),
    probe: input.probe,
    test: { labels: input.test.labels, logits: input.probe.predictLogits(input.test.features), numLabels: input.test.labelNames.length },
    labelFraction: NaN,
    notes: ["MIMIC-trained probe applied without retraining"],
  };
}

/** Name of the NIH "no finding" column, when a loader provides one. */
export const NO_FINDING = "No Finding";

/**
 * Drop images labelled only "No Finding" (NIH ChestX-ray14 as in the paper's notebook: 112,120 → 51,759).
 * With a "No Finding" column, a row is dropped when it is 1 there and no other label is 1, and the column is
 * removed; without one, a row is dropped when none of its labels is 1.
 * @returns a new feature set (inputs are not modified) and the number of rows dropped.
 */
export function dropNoFindingOnly(fs: LabeledFeatures): { set: LabeledFeatures; dropped: number } {
  const L = checkFeatureSet(fs, "dropNoFindingOnly");
  const { rows, cols } = noFindingSelection(fs.labels, fs.labelNames);
  const kept = selectRows(fs, rows, L);
  return {
    set: { ...kept, labels: selectColumns(kept.labels, L, cols), labelNames: cols.map((l) => fs.labelNames[l]!) },
    dropped: fs.n - rows.length,
  };
}

/** Rows that are not "No Finding"-only, and the label columns other than "No Finding" ({@link dropNoFindingOnly}). */
function noFindingSelection(labels: Float32Array, labelNames: readonly string[]): { rows: Int32Array; cols: number[] } {
  const L = labelNames.length;
  const nf = labelNames.indexOf(NO_FINDING);
  const cols = labelNames.map((_, l) => l).filter((l) => l !== nf);
  const rows: number[] = [];
  for (let i = 0; i < labels.length / L; i++) {
    const anyFinding = cols.some((l) => labels[i * L + l] === 1);
    const noFindingOnly = nf >= 0 ? labels[i * L + nf] === 1 && !anyFinding : !anyFinding;
    if (!noFindingOnly) rows.push(i);
  }
  return { rows: Int32Array.from(rows), cols };
}

function selectColumns(labels: Float32Array, L: number, cols: readonly number[]): Float32Array {
  if (cols.length === L) return labels;
  const n = labels.length / L;
  const out = new Float32Array(n * cols.length);
  for (let i = 0; i < n; i++) cols.forEach((l, j) => (out[i * cols.length + j] = labels[i * L + l]!));
  return out;
}

/**
 * {@link dropNoFindingOnly} for training images: the "No Finding"-only rows are never asked of the loader
 * (`TrainPass.rows` are mapped to the kept rows) and the "No Finding" column is removed from every batch.
 */
export function dropNoFindingOnlyImages(train: ImageTrainSet): { set: ImageTrainSet; dropped: number } {
  const L = train.labelNames.length;
  const { rows, cols } = noFindingSelection(train.labels, train.labelNames);
  const labels = new Float32Array(rows.length * L);
  rows.forEach((r, k) => labels.set(train.labels.subarray(r * L, (r + 1) * L), k * L));
  async function* strip(src: AsyncIterable<LabeledBatch> | Iterable<LabeledBatch>): AsyncGenerator<LabeledBatch> {
    for await (const b of src) yield { images: b.images, labels: selectColumns(b.labels, L, cols) };
  }
  return {
    set: {
      encoder: train.encoder,
      labels: selectColumns(labels, L, cols),
      labelNames: cols.map((l) => train.labelNames[l]!),
      batches: (pass) => strip(train.batches({ ...pass, rows: pass.rows.map((r) => rows[r]!) })),
    },
    dropped: train.labels.length / L - rows.length,
  };
}

/**
 * NIH-14 protocol: drop "No Finding"-only images from every split, train a new probe on NIH train, test on
 * NIH test.
 * @example const nih = await nih14Protocol({ train, val, test });
 */
export async function nih14Protocol(splits: FeatureSplits | ImageTrainSplits, opts: ProtocolOptions = {}): Promise<ProtocolResult> {
  checkOptionKeys(opts, PROTOCOL_KEYS, "nih14Protocol");
  const notes: string[] = [];
  const filter = (name: string, fs: LabeledFeatures): LabeledFeatures => {
    const { set, dropped } = dropNoFindingOnly(fs);
    notes.push(`${name}: dropped ${dropped} of ${fs.n} "No Finding"-only images`);
    return set;
  };
  const trainSet = (): LabeledFeatures | ImageTrainSet => {
    if (!("encoder" in splits.train)) return filter("train", splits.train);
    const { set, dropped } = dropNoFindingOnlyImages(splits.train);
    notes.push(`train: dropped ${dropped} of ${splits.train.labels.length / splits.train.labelNames.length} "No Finding"-only images`);
    return set;
  };
  const train = trainSet();
  const filtered = { train, val: filter("val", splits.val), test: filter("test", splits.test) } as FeatureSplits | ImageTrainSplits;
  return trainAndTest("nih14", filtered, opts, notes);
}

/** The paper's low-data regimes. */
export const LABEL_FRACTIONS = [0.01, 0.1, 0.25, 1] as const;

/**
 * MIMIC protocol at several label fractions (seeded subsamples of the training set; same val and test).
 * @example const runs = await labelFractionSweep({ train, val, test }); runs.map((r) => r.evaluation.macroAuroc);
 */
export async function labelFractionSweep(
  splits: FeatureSplits | ImageTrainSplits,
  fractions: readonly number[] = LABEL_FRACTIONS,
  opts: ProtocolOptions = {},
): Promise<ProtocolResult[]> {
  const out: ProtocolResult[] = [];
  for (const f of fractions) out.push(await mimicProtocol(splits, { ...opts, probe: { ...opts.probe, labelFraction: f } }));
  return out;
}
