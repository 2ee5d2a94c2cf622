/**
 * One method of a study, in memory (what the notebooks run; `mmsn study` / `mmsn ablate` do the same with
 * checkpointed run directories): optionally pretrain a model, extract frozen target-encoder features, train
 * and test a linear probe. The data side comes in as functions, so this module does not read datasets.
 */
import type { ProbeTrainResult } from "../../src/eval/linear_probe.js";
import type { ProbeOptions } from "../../src/eval/probe_options.js";
import { mimicProtocol, type FeatureSplits, type ImageTrainSplits, type ProtocolResult, type TestScores } from "../../src/eval/protocols.js";
import type { Encoder, LabeledFeatures } from "../../src/eval/types.js";
import { knnMacroAuroc } from "../../src/eval/monitors.js";
import type { MsnBatch } from "../../src/types/batch.js";
import type { MultimodalMSN, StepResult } from "../../src/msn/multimodal_msn.js";
import { pretrain, type StepReport } from "../../src/train/pretrain.js";
import type { MonitorRow, TrainMonitor } from "../../src/train/monitor.js";
import type { MethodResult } from "./report.js";

/** Options of {@link runMethod}. */
export interface MethodRunOptions {
  /** Display name ("random init", "MSN", `methodName(groups)`). */
  readonly method: string;
  /** Dataset/protocol name recorded in the result; default "mimic". */
  readonly dataset?: string;
  /** The model; its target encoder gives the features. Owned by the caller (not disposed here). */
  readonly model: MultimodalMSN;
  /** Pretraining batches (disposed by the trainer); absent = no pretraining (the random-init baseline). */
  readonly batches?: AsyncIterable<MsnBatch>;
  /** Pretraining steps (required with `batches`). */
  readonly steps?: number;
  /** Steps per schedule epoch of the pretraining (default `steps`: the call is one schedule epoch). */
  readonly stepsPerEpoch?: number;
  /** Pretraining monitors (e.g. `modelMonitor`); their readings are in `monitors`. */
  readonly monitor?: TrainMonitor;
  /**
   * Frozen-encoder features of the train/val/test splits (e.g. `splitFeatures(encoder, mimic, …)`), or the train
   * images themselves (`ImageTrainSplits`: the official probe, augmented images through the frozen encoder).
   */
  readonly features: (encoder: Encoder) => Promise<FeatureSplits | ImageTrainSplits>;
  /** Train and test the probe; default {@link mimicProtocol} with `probe` and `bootstrap`. */
  readonly protocol?: (splits: FeatureSplits | ImageTrainSplits) => Promise<ProtocolResult>;
  readonly probe?: ProbeOptions;
  /** Bootstrap resamples of the test metrics; default 1000. */
  readonly bootstrap?: number;
  /**
   * Also score the test images with a weighted k-NN classifier (k 20, cosine, `knnMacroAuroc`) on the same frozen
   * train features (cached-feature splits only): a second read-out that needs no training. Default false.
   */
  readonly knn?: boolean;
}

/** Result of {@link runMethod}: plain data, no tensors. */
export interface MethodRun extends MethodResult {
  /** Per-step pretraining results ([] for no pretraining). */
  readonly pretraining: readonly StepResult[];
  readonly training?: ProbeTrainResult;
  readonly notes: readonly string[];
  /** Wall-clock seconds of pretraining and of features + probe. */
  readonly seconds: { readonly pretrain: number; readonly evaluate: number };
  /** The scored test rows (labels and probe logits), for paired comparisons between methods. */
  readonly test: TestScores;
  /** With `knn`: the same test rows scored by the k-NN classifier (its scores in `logits`). */
  readonly knn?: TestScores;
  /** The monitor readings taken while pretraining ([] without `monitor`). */
  readonly monitors: readonly MonitorRow[];
}

/**
 * Pretrain (when `batches` are given), extract features with the model's target encoder and run the probe
 * protocol.
 * @throws Error when `batches` are given without a positive `steps`.
 * @example const r = await runMethod({ method: "MSN", model, batches, steps: 30, features: (e) => splitFeatures(e, mimic, { size: 64, channels: 1 }) });
 */
export async function runMethod(o: MethodRunOptions): Promise<MethodRun> {
  if (o.batches && !(o.steps !== undefined && o.steps > 0)) throw new Error(`runMethod(${o.method}): give steps > 0 with batches`);
  const t0 = performance.now();
  const monitors: MonitorRow[] = [];
  const pretraining = o.batches
    ? await pretrain(o.model, o.batches, {
        steps: o.steps!,
        progress: false,
        ...(o.stepsPerEpoch !== undefined ? { stepsPerEpoch: o.stepsPerEpoch } : {}),
        ...(o.monitor ? { monitor: o.monitor, onStep: (r: StepReport) => void (r.monitor && monitors.push(r.monitor)) } : {}),
      })
    : [];
  const t1 = performance.now();
  const splits = await o.features((x) => o.model.encode(x));
  const r = o.protocol ? await o.protocol(splits) : await mimicProtocol(splits, { ...(o.probe ? { probe: o.probe } : {}), evaluate: { bootstrap: o.bootstrap ?? 1000 } });
  const knn = o.knn && "features" in splits.train ? knnScores(splits.train, splits.test) : undefined;
  const t2 = performance.now();
  return {
    method: o.method,
    dataset: o.dataset ?? r.protocol,
    evaluation: r.evaluation,
    source: o.batches ? `${o.steps} pretraining steps` : "random init (no pretraining)",
    pretraining,
    ...(r.training ? { training: r.training } : {}),
    notes: r.notes,
    test: r.test,
    ...(knn ? { knn } : {}),
    monitors,
    seconds: { pretrain: (t1 - t0) / 1000, evaluate: (t2 - t1) / 1000 },
  };
}

/** k-NN scores (k 20, T 0.07, cosine) of every test row from the train features, as {@link TestScores}. */
export function knnScores(train: LabeledFeatures, test: LabeledFeatures): TestScores {
  const r = knnMacroAuroc(train, test, { k: KNN_K });
  return { labels: test.labels, logits: Float32Array.from(r.scores), numLabels: test.labelNames.length };
}

/** Neighbours of the study's k-NN read-out (DINO's smaller k). */
export const KNN_K = 20;
