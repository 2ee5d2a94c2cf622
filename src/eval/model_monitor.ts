/**
 * Pretraining monitors of a model (issue 20): its frozen target encoder embeds two fixed image sets and a
 * reading records how good and how collapsed the features are: a weighted k-NN classifier (DINO's monitor)
 * scored by macro AUROC on a fixed validation subset, the effective rank (RankMe) and the per-dimension std of
 * the normalised features against 1/√D, and how the prototypes are used. Labels serve the k-NN monitor only;
 * nothing here changes training. The maths is in monitors.ts; `trainRun` / `pretrain` take {@link modelMonitor}.
 */
import * as tf from "@tensorflow/tfjs-core";
import { effectiveRank, featureStd, knnMacroAuroc, prototypeUsage } from "./monitors.js";
import type { MultimodalMSN } from "../msn/multimodal_msn.js";
import type { MonitorRow, TrainMonitor } from "../train/monitor.js";
import { checkInt } from "../utils/validate.js";
import { extractFeatures } from "./features.js";
import type { LabeledBatch } from "./types.js";

/** A fixed set of monitor images: plain data. */
export interface MonitorImages {
  /** Normalised images as the encoder takes them, row-major [n, size, size, channels]. */
  readonly images: Float32Array;
  readonly n: number;
  readonly size: number;
  readonly channels: number;
  /** 0/1 labels with NaN = missing, row-major [n, L]; read by the k-NN monitor only. */
  readonly labels: Float32Array;
}

/** Options of {@link monitorModel} and {@link modelMonitor}. */
export interface MonitorOptions {
  /** Monitor every this many steps (and at the last step of a run); {@link modelMonitor} only. */
  readonly every: number;
  /** The k-NN reference set: fixed training images with their labels. */
  readonly bank: MonitorImages;
  /** A fixed validation subset: the k-NN queries, and the features the collapse diagnostics read. */
  readonly query: MonitorImages;
  /** Neighbours of the k-NN monitor; default 20 (DINO's k-NN uses 20 and 200). */
  readonly k?: number;
  /** Images per encoder forward; default 64. */
  readonly batchSize?: number;
}

/** Target-encoder CLS features of a monitor set as a plain array, row-major [n, D] (`extractFeatures` over its batches). */
async function embed(model: MultimodalMSN, set: MonitorImages, batchSize: number): Promise<{ features: Float32Array; dim: number }> {
  const { n, size, channels } = set;
  const per = size * size * channels;
  const L = set.labels.length / n;
  function* batches(): Generator<LabeledBatch> {
    for (let i = 0; i < n; i += batchSize) {
      const b = Math.min(batchSize, n - i);
      // images [b, S, S, C], disposed by extractFeatures
      yield { images: tf.tensor4d(set.images.subarray(i * per, (i + b) * per), [b, size, size, channels]), labels: set.labels.subarray(i * L, (i + b) * L) };
    }
  }
  const f = await extractFeatures((x) => model.encode(x), batches(), { progress: false });
  return { features: f.features, dim: f.dim };
}

/** Prototype assignments [n, K] of the CLS features of a whole set: one head pass, so its BatchNorm sees every row. */
async function assignments(model: MultimodalMSN, features: Float32Array, n: number, dim: number): Promise<Float32Array> {
  const p = tf.tidy(() => model.prototypeAssignments(tf.tensor2d(features, [n, dim]))); // [n, K]
  const out = (await p.data()) as Float32Array;
  p.dispose();
  return out;
}

/**
 * Read the monitors of `model` now (its target encoder, prototypes and step). No tensors are left behind;
 * the model is not changed.
 * @throws Error when a monitor set is empty or the two sets' image sizes or label counts differ.
 * @example const m = await monitorModel(model, { every: 50, bank, query }); console.log(m.knnAuroc);
 */
export async function monitorModel(model: MultimodalMSN, o: MonitorOptions): Promise<MonitorRow> {
  const t0 = performance.now();
  checkInt(o.bank.n, "monitor: bank images", 1);
  checkInt(o.query.n, "monitor: query images", 2);
  if (o.bank.labels.length / o.bank.n !== o.query.labels.length / o.query.n) throw new Error("monitor: the bank and query sets have different label counts");
  const bs = checkInt(o.batchSize ?? 64, "monitor: batchSize", 1);
  const bank = await embed(model, o.bank, bs);
  const query = await embed(model, o.query, bs);
  const probs = await assignments(model, query.features, o.query.n, query.dim);
  const knn = knnMacroAuroc({ features: bank.features, labels: o.bank.labels, n: o.bank.n, dim: bank.dim }, { features: query.features, labels: o.query.labels, n: o.query.n, dim: query.dim }, { k: o.k ?? 20 });
  const std = featureStd(query.features, o.query.n, query.dim);
  const usage = prototypeUsage(probs, o.query.n, probs.length / o.query.n);
  return {
    step: model.step,
    knnAuroc: knn.macroAuroc,
    effectiveRank: effectiveRank(query.features, o.query.n, query.dim),
    featureStd: std.meanStd,
    featureStdRef: std.reference,
    protoEntropy: usage.entropyOfMean,
    protoMeanEntropy: usage.meanEntropy,
    protosInUse: usage.inUse,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The {@link TrainMonitor} of `o` for `trainRun` / `pretrain`: {@link monitorModel} every `o.every` steps. */
export function modelMonitor(o: MonitorOptions): TrainMonitor {
  checkInt(o.every, "monitor: every", 1);
  return { every: o.every, read: (model) => monitorModel(model, o) };
}
