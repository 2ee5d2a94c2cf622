/**
 * `mmsn probe`: features of the frozen target encoder of a checkpoint (or of a random-init model, the
 * baseline), the paper's linear probe and test metrics with bootstrap CIs, written to a probe directory.
 *   mimic     probe trained on MIMIC train (early stop on MIMIC val), tested on MIMIC test
 *   nih14     new probe on NIH-14 train, "No Finding"-only images dropped, tested on NIH-14 test
 *   chexpert  the MIMIC-trained probe applied to CheXpert valid.csv (as the test set), no retraining
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProbeTrainResult } from "../../src/eval/linear_probe.js";
import { chexpertProtocol, dropNoFindingOnly, mimicProtocol, nih14Protocol, type FeatureSplits, type ImageTrainSplits, type ProtocolOptions, type ProtocolResult, type TestScores } from "../../src/eval/protocols.js";
import type { Encoder, ImageTrainSet, LabeledFeatures, TrainPass } from "../../src/eval/types.js";
import { OFFICIAL_PROBE_OPTIONS } from "../../src/eval/probe_options.js";
import { checkpointFingerprint } from "../../src/io/checkpoint.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { RNG_ALGORITHM } from "../../src/utils/rng.js";
import { selectSplit, subsetDataset, type CxrDataset, type SplitName } from "../../data-loaders/index.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { methodName } from "../study/ehr_groups.js";
import { seedMeanMacroAuroc } from "../../src/eval/paired.js";
import { KNN_K, runMethod } from "../study/method_run.js";
import { protocolHeader, resolvedProtocol, type ResolvedProtocol } from "../study/protocol.js";
import { writeProbeOutputs, type MethodResult } from "../study/report.js";
import { checkPreset } from "./args.js";
import { EVAL_NORMALIZATION, checkImageFiles, type LoadReport } from "../../data-loaders/index.js";
import { dataFingerprint, datasetFeatures, evalImageBatches, evalViews, loadDataset, type DatasetName } from "../data.js";
import { DEFAULT_MAX_SKIP_FRACTION, assertSkipFraction, skipCounts, printSkipSummary, skipNote, writeSkips } from "../skips.js";

/** Options of {@link probeCommand}. */
export interface ProbeCommandOptions {
  readonly data: string;
  readonly dataset: DatasetName;
  /** A checkpoint directory (`RUN/checkpoint`) or a run directory; absent = random-init baseline. */
  readonly checkpoint?: string;
  /** Preset of the random-init baseline (ignored with a checkpoint). */
  readonly preset: string;
  readonly out: string;
  /** Display name; default from the run's EHR groups ("MSN", "MSN+EHR(…)") or "random init". */
  readonly method?: string;
  /** Probe epoch limit (default 100, the paper's). */
  readonly maxEpochs?: number;
  /** Bootstrap resamples of the test metrics (default 1000). */
  readonly bootstrap?: number;
  /** Images per encoder forward. */
  readonly batchSize?: number;
  readonly progress?: boolean;
  /** Stop before probing when loading a dataset table skipped more than this share of its rows (default 0.05). */
  readonly maxSkipFraction?: number;
  /** Follow symlinks out of the dataset root (default: skipped and counted). */
  readonly allowSymlinks?: boolean;
  /** The protocol (default `fast`): its settings choose the split, the CheXpert set, the probe and the interval. */
  readonly protocol?: ResolvedProtocol;
  /** Seed of the random-init baseline's weights (default: the preset's); ignored with a checkpoint. */
  readonly seed?: number;
}

/** Result of {@link probeCommand}: the method's test evaluation and the probe's training run. */
export interface ProbeCommandResult extends MethodResult {
  readonly training?: ProbeTrainResult;
  readonly dir: string;
  /** The scored test rows: labels and the probe's logits (for paired comparisons). */
  readonly test: TestScores;
  /** MIMIC with cached features: the test rows scored by a k-NN classifier (k 20) on the frozen train features. */
  readonly knn?: TestScores;
}

/** Resolve `RUN` or `RUN/checkpoint` to the checkpoint directory. */
export function checkpointDir(p: string): string {
  if (existsSync(join(p, "model.json"))) return p;
  if (existsSync(join(p, "checkpoint", "model.json"))) return join(p, "checkpoint");
  throw new Error(`no checkpoint at ${p}: expected ${join(p, "model.json")} (or a run directory holding checkpoint/); pretrain with \`mmsn pretrain --out RUN\` first`);
}

/**
 * A probe writes results.csv, summary.md, … into `out`: never into a pretraining run directory, whose
 * summary and charts it would replace.
 * @throws Error naming the run and a probe directory to use instead.
 */
function assertNotRunDir(out: string): void {
  const runJson = join(out, "run.json");
  let pretrainRun = existsSync(join(out, "metrics.csv")) || existsSync(join(out, "checkpoint"));
  if (!pretrainRun && existsSync(runJson)) {
    try {
      pretrainRun = (JSON.parse(readFileSync(runJson, "utf8")) as { command?: string }).command === "pretrain";
    } catch {
      pretrainRun = true;
    }
  }
  if (pretrainRun) throw new Error(`probe: --out ${out} is a pretraining run directory (its summary.md and charts would be replaced); write the probe beside it, e.g. --out ${join(out, "probe-mimic")}`);
}

/** The method name recorded by `mmsn pretrain` in `RUN/run.json`, if any. */
function recordedMethod(ckpt: string): string | undefined {
  const runJson = join(ckpt, "..", "run.json");
  if (!existsSync(runJson)) return undefined;
  try {
    const j = JSON.parse(readFileSync(runJson, "utf8")) as { ehr?: EhrGroup[] };
    return Array.isArray(j.ehr) ? methodName(j.ehr) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Probe a checkpoint (or a random-init model) on a dataset and write `out/`: results.csv, evaluation.json,
 * per_label_auroc.svg/.png, probe_curve.svg/.png, summary.md, features/ (cache).
 * @throws Error with how to get the data when `data` is missing; naming the file for a corrupt checkpoint.
 */
export async function probeCommand(o: ProbeCommandOptions): Promise<ProbeCommandResult> {
  assertNotRunDir(o.out);
  const protocol = o.protocol ?? resolvedProtocol("fast");
  const maxSkip = o.maxSkipFraction ?? DEFAULT_MAX_SKIP_FRACTION;
  const name = o.dataset === "nih14" ? "nih14" : "mimic";
  const reports: LoadReport[] = [];
  // Each dataset: its table's skips, then the cheap image-file check, both under the threshold before any work.
  const checked = (n: "mimic" | "nih14" | "chexpert"): CxrDataset => {
    const loaded = loadDataset(o.data, n, { allowSymlinks: o.allowSymlinks, split: protocol.settings.split, chexpertSet: protocol.settings.chexpertSet });
    assertSkipFraction(loaded.report, maxSkip);
    const files = checkImageFiles(loaded);
    assertSkipFraction(files.report, maxSkip);
    reports.push(loaded.report, files.report);
    return files.dataset;
  };
  const ds = checked(name);
  const chexpertDs = o.dataset === "chexpert" ? checked("chexpert") : undefined;
  let model: MultimodalMSN;
  let source: string;
  let method: string;
  // The feature cache is keyed by what the features depend on: the weights (or the random init) and the size.
  let fingerprint: string;
  if (o.checkpoint !== undefined) {
    const ckpt = checkpointDir(o.checkpoint);
    model = MultimodalMSN.load(ckpt);
    fingerprint = checkpointFingerprint(ckpt);
    source = `target encoder of ${ckpt} (step ${model.step})`;
    method = o.method ?? recordedMethod(ckpt) ?? "pretrained";
  } else {
    model = new MultimodalMSN(checkPreset(o.preset), { init: protocol.settings.init, ...(o.seed !== undefined ? { seed: o.seed } : {}) });
    source = `random-init ${o.preset} encoder (${model.config.init} init, seed ${model.config.seed}), no pretraining`;
    method = o.method ?? "random init";
    fingerprint = `random-${o.preset}-${model.config.init}-${model.config.seed}-${RNG_ALGORITHM}`;
  }
  try {
    const { size, channels } = evalViews(model.config);
    const bs = o.batchSize ?? 64;
    const features = async (encoder: Encoder, ds: CxrDataset, name: string, s: SplitName | "all"): Promise<LabeledFeatures> => {
      const part = s === "all" ? ds : selectSplit(ds, s);
      if (part.length === 0) throw new Error(`${name}: the ${s} split is empty`);
      const opts = { size, channels, batchSize: bs };
      // The cache key covers the weights (or the random init) and the data: images, files, labels, preprocessing.
      const data = dataFingerprint(part, { ...opts, decode: { shortSide: 2 * size }, normalization: EVAL_NORMALIZATION });
      const f = await datasetFeatures(encoder, part, opts, {
        cacheDir: join(o.out, "features"),
        cacheKey: `${fingerprint}.${data}.${size}px.${name}.${s}`,
        label: `features ${name}/${s}`,
        progress: o.progress === false ? false : process.stderr,
      });
      reports.push(f.report);
      return f;
    };
    const augmented = protocol.settings.probe === "augmented";
    // Cached features: the paper's batch 64 (drop_last), a tiny cohort gets one batch of all its training rows.
    // Augmented (the official probe): images through the frozen encoder every epoch, cosine lr, batch 64
    // drop_last, validation AUROC rounded to 4 decimals, and the official val/test loaders' drop_last.
    const popts = (nTrain: number): ProtocolOptions =>
      augmented
        ? { probe: { ...OFFICIAL_PROBE_OPTIONS, maxEpochs: o.maxEpochs ?? 100 }, evaluate: { bootstrap: o.bootstrap ?? 1000 }, dropLastValBatch: true, dropLastTestBatch: true }
        : { probe: { maxEpochs: o.maxEpochs ?? 100, batchSize: Math.min(64, nTrain) }, evaluate: { bootstrap: o.bootstrap ?? 1000 } };
    const trainImages = (encoder: Encoder, part: CxrDataset): ImageTrainSet => {
      let first = true;
      return {
        encoder,
        labels: part.labels,
        labelNames: part.labelNames,
        batches: (pass: TrainPass) => {
          const rows = pass.rows.length === part.length ? part : subsetDataset(part, Array.from(pass.rows));
          const stream = evalImageBatches(rows, { size, channels, batchSize: OFFICIAL_PROBE_OPTIONS.batchSize, decode: { shortSide: 2 * size }, transform: "train", shuffle: true, seed: pass.seed });
          if (first) reports.push(stream.report); // each epoch reads the same images: count their skips once
          first = false;
          return stream;
        },
      };
    };
    // The CheXpert protocol applies the MIMIC-trained probe: its test features come with the MIMIC splits.
    let chexpert: LabeledFeatures | undefined;
    const run = await runMethod({
      method,
      dataset: o.dataset,
      model,
      knn: o.dataset === "mimic" && !augmented,
      features: async (encoder) => {
        const train = augmented ? trainImages(encoder, selectSplit(ds, "train")) : await features(encoder, ds, name, "train");
        const splits = { train, val: await features(encoder, ds, name, "validate"), test: await features(encoder, ds, name, "test") } as FeatureSplits | ImageTrainSplits;
        if (chexpertDs) chexpert = await features(encoder, chexpertDs, "chexpert", "all");
        return splits;
      },
      protocol: async (splits): Promise<ProtocolResult> => {
        const nTrain = "n" in splits.train ? splits.train.n : 0;
        if (o.dataset === "nih14") return nih14Protocol(splits, popts("n" in splits.train ? dropNoFindingOnly(splits.train as LabeledFeatures).set.n : 0));
        const mimic = await mimicProtocol(splits, popts(nTrain));
        if (o.dataset !== "chexpert") return mimic;
        return { ...chexpertProtocol({ probe: mimic.probe, test: chexpert! }, { evaluate: popts(0).evaluate! }), training: mimic.training };
      },
    });
    const result: MethodResult = { method, dataset: o.dataset, evaluation: run.evaluation, source };
    const skipped = skipCounts(reports);
    printSkipSummary(reports);
    await writeProbeOutputs(o.out, result, { training: run.training, notes: [...protocolHeader(protocol, { probeEpochs: o.maxEpochs ?? 100, bootstrap: o.bootstrap ?? 1000 }), ...run.notes, ...(run.knn ? [knnNote(run.knn, o.bootstrap ?? 1000)] : []), skipNote(reports)], skipped, interval: protocol.settings.interval });
    writeSkips(o.out, reports);
    return { ...result, training: run.training, dir: o.out, test: run.test, ...(run.knn ? { knn: run.knn } : {}) };
  } finally {
    model.dispose();
  }
}

/** The k-NN read-out in one line: test macro AUROC with its percentile interval. */
function knnNote(knn: TestScores, bootstrap: number): string {
  const m = seedMeanMacroAuroc(knn.labels, [knn.logits], knn.numLabels, { resamples: Math.max(bootstrap, 2) });
  return `k-NN read-out (k ${KNN_K}, cosine, T 0.07, the train features as the bank, no training): test macro AUROC ${m.value.toFixed(3)} (${m.ci.lo.toFixed(3)}, ${m.ci.hi.toFixed(3)})`;
}
