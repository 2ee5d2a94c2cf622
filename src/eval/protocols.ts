/**
 * The three evaluation protocols of the paper (docs/protocol.md#evaluation-datasets), written over feature sets so they do not depend on the
 * loaders:
 * - MIMIC-CXR: a probe trained on MIMIC train (early stopping on MIMIC val), tested on MIMIC test;
 *   label fractions (1/10/25/100 %) give the low-data regime.
 * - CheXpert: the MIMIC-trained probe applied to CheXpert test *without retraining* (same 14 labels, same order).
 * - NIH-14: a new probe on NIH train; images labelled only "No Finding" are dropped from every split.
 */
import { assertSameLabels, trainLinearProbe, type LinearProbe, type ProbeTrainResult } from "./linear_probe.js";
import type { ProbeOptions } from "./probe_options.js";
import { evaluateMultilabel, type EvaluateOptions, type MultilabelEvaluation } from "./metrics.js";
import { checkOptionKeys } from "../utils/validate.js";
import { checkFeatureSet, type LabeledFeatures } from "./types.js";

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

/** Options of the protocols. */
export interface ProtocolOptions {
  /** Probe training options (learning rate, label fraction, …). */
  readonly probe?: ProbeOptions;
  /** Test-set evaluation options (bootstrap resamples, seed, level). */
  readonly evaluate?: EvaluateOptions;
}
const PROTOCOL_KEYS = ["probe", "evaluate"] as const;

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
}

function trainAndTest(protocol: ProtocolName, s: FeatureSplits, opts: ProtocolOptions, notes: string[]): Promise<ProtocolResult> {
  checkFeatureSet(s.test, `${protocol}: test`);
  assertSameLabels(s.train.labelNames, s.test.labelNames, `${protocol}: train vs test`);
  return trainLinearProbe(s.train, s.val, opts.probe).then((training) => ({
    protocol,
    evaluation: testProbe(training.probe, s.test, opts.evaluate),
    probe: training.probe,
    training,
    labelFraction: opts.probe?.labelFraction ?? 1,
    notes,
  }));
}

/** Evaluate a probe on a test feature set (label names and feature width must match). */
export function testProbe(probe: LinearProbe, test: LabeledFeatures, opts?: EvaluateOptions): MultilabelEvaluation {
  const L = checkFeatureSet(test, "testProbe");
  assertSameLabels(probe.labelNames, test.labelNames, "testProbe: probe vs test");
  if (probe.dim !== test.dim) throw new Error(`testProbe: probe expects dim ${probe.dim}, test features have ${test.dim}`);
  return evaluateMultilabel(test.labels, probe.predictLogits(test.features), L, test.labelNames, opts);
}

/**
 * MIMIC-CXR protocol: train on MIMIC train, early-stop on MIMIC val, test on MIMIC test.
 * @returns metrics and the probe (keep it for {@link chexpertProtocol}).
 * @example const mimic = await mimicProtocol({ train, val, test }, { probe: { labelFraction: 0.1 } });
 */
export async function mimicProtocol(splits: FeatureSplits, opts: ProtocolOptions = {}): Promise<ProtocolResult> {
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
  const nf = fs.labelNames.indexOf(NO_FINDING);
  const keepCols = fs.labelNames.map((_, l) => l).filter((l) => l !== nf);
  const keepRows: number[] = [];
  for (let i = 0; i < fs.n; i++) {
    const anyFinding = keepCols.some((l) => fs.labels[i * L + l] === 1);
    const noFindingOnly = nf >= 0 ? fs.labels[i * L + nf] === 1 && !anyFinding : !anyFinding;
    if (!noFindingOnly) keepRows.push(i);
  }
  const D = fs.dim;
  const L2 = keepCols.length;
  const features = new Float32Array(keepRows.length * D);
  const labels = new Float32Array(keepRows.length * L2);
  keepRows.forEach((r, k) => {
    features.set(fs.features.subarray(r * D, (r + 1) * D), k * D);
    keepCols.forEach((l, j) => (labels[k * L2 + j] = fs.labels[r * L + l]!));
  });
  return {
    set: { features, labels, n: keepRows.length, dim: D, labelNames: keepCols.map((l) => fs.labelNames[l]!) },
    dropped: fs.n - keepRows.length,
  };
}

/**
 * NIH-14 protocol: drop "No Finding"-only images from every split, train a new probe on NIH train, test on
 * NIH test.
 * @example const nih = await nih14Protocol({ train, val, test });
 */
export async function nih14Protocol(splits: FeatureSplits, opts: ProtocolOptions = {}): Promise<ProtocolResult> {
  checkOptionKeys(opts, PROTOCOL_KEYS, "nih14Protocol");
  const notes: string[] = [];
  const filter = (name: string, fs: LabeledFeatures): LabeledFeatures => {
    const { set, dropped } = dropNoFindingOnly(fs);
    notes.push(`${name}: dropped ${dropped} of ${fs.n} "No Finding"-only images`);
    return set;
  };
  const filtered = { train: filter("train", splits.train), val: filter("val", splits.val), test: filter("test", splits.test) };
  return trainAndTest("nih14", filtered, opts, notes);
}

/** The paper's low-data regimes. */
export const LABEL_FRACTIONS = [0.01, 0.1, 0.25, 1] as const;

/**
 * MIMIC protocol at several label fractions (seeded subsamples of the training set; same val and test).
 * @example const runs = await labelFractionSweep({ train, val, test }); runs.map((r) => r.evaluation.macroAuroc);
 */
export async function labelFractionSweep(
  splits: FeatureSplits,
  fractions: readonly number[] = LABEL_FRACTIONS,
  opts: ProtocolOptions = {},
): Promise<ProtocolResult[]> {
  const out: ProtocolResult[] = [];
  for (const f of fractions) out.push(await mimicProtocol(splits, { ...opts, probe: { ...opts.probe, labelFraction: f } }));
  return out;
}
