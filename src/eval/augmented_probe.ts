/**
 * The **official** linear-probe mode (docs/protocol.md#linear-evaluation): as the paper's `evaluate.py --freeze 1`,
 * every epoch takes a fresh shuffled pass of the training images with the train-time augmentation
 * (RandomHorizontalFlip + RandomAffine, produced by the caller's loader) through the frozen target encoder,
 * and trains the linear head on those features in batches of 64 with drop_last. Validation uses features
 * without augmentation, computed once by the caller. Defaults are the official settings
 * ({@link OFFICIAL_PROBE_OPTIONS}: cosine schedule, validation AUROC rounded to 4 decimals).
 *
 * Cost: one encoder forward (and the loader's decode + augmentation) per training image per epoch, against
 * none for the fast mode (`trainLinearProbe` on cached features).
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  assertSameLabels,
  headStep,
  headValMacroAuroc,
  headVariables,
  labelFractionIndices,
  probeTrainResult,
  type ProbeTrainResult,
} from "./linear_probe.js";
import { fitWithEarlyStopping } from "./probe_fit.js";
import { OFFICIAL_PROBE_OPTIONS, resolveProbeOptions, type ProbeOptions } from "./probe_options.js";
import { Rng, deriveSeed } from "../utils/rng.js";
import { checkFeatureSet, type ImageTrainSet, type LabeledFeatures, type TrainPass } from "./types.js";

/**
 * The seed of epoch `epoch`'s pass (shuffle and augmentation) under the probe seed `seed`: what
 * {@link trainLinearProbeAugmented} hands its loader in {@link TrainPass.seed}.
 */
export function trainPassSeed(seed: number, epoch: number): number {
  return deriveSeed(seed, 0x7a55, epoch);
}

/**
 * Train the linear probe with train-time augmentation through the frozen encoder every epoch (the official
 * mode). Each epoch calls `train.batches({ epoch, seed, rows })` once; the images' features are re-batched into
 * `batchSize` rows in arrival order, the incomplete last batch dropped with `dropLast` (torch's
 * `DataLoader(batch_size=64, shuffle=True, drop_last=True)` when the loader shuffles). `labelFraction` picks
 * `rows` (the same seeded subset as the fast mode). Head initialisation, optimizer, schedule, early
 * stopping and checkpointing are those of `trainLinearProbe`; with a loader that yields the cached features'
 * images unaugmented, in that mode's order, the result is the fast mode's, bit for bit.
 * Options: {@link ProbeOptions}, defaulting to {@link OFFICIAL_PROBE_OPTIONS} (pass `scheduler: "none"`,
 * `valAurocDecimals: undefined` to turn the schedule or the rounding off).
 * Memory: every batch's `images` and every tensor made here are disposed; `tf.memory().numTensors` is the
 * same before and after, and flat across epochs.
 * @param train the encoder, the training labels and the per-epoch image loader.
 * @param val validation features without augmentation (same labelNames; width = the encoder's output).
 * @throws when an epoch yields no full batch (with dropLast), more images than asked for, or features of the
 * wrong shape.
 * @example
 * const r = await trainLinearProbeAugmented(
 *   { encoder, labels: trainDs.labels, labelNames: trainDs.labelNames, batches: (p) => loaderPass(trainDs, p) },
 *   valFeatures,
 * );
 */
export async function trainLinearProbeAugmented(
  train: ImageTrainSet,
  val: LabeledFeatures,
  opts: ProbeOptions = {},
): Promise<ProbeTrainResult> {
  const where = "trainLinearProbeAugmented";
  const o = resolveProbeOptions({ ...OFFICIAL_PROBE_OPTIONS, ...opts }, where);
  checkFeatureSet(val, `${where}(val)`);
  assertSameLabels(train.labelNames, val.labelNames, `${where}: train vs val`);
  const L = train.labelNames.length;
  const n = train.labels.length / L;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${where}: train.labels has ${train.labels.length} values, not n×L with L=${L}, n ≥ 1`);
  const D = val.dim;
  const rows = labelFractionIndices(n, o.labelFraction, o.seed);
  const B = o.batchSize;
  const { W, b } = headVariables(D, L, new Rng(o.seed));
  const xBuf = new Float32Array(B * D);
  const yBuf = new Float32Array(B * L);
  let nTrain = 0;
  try {
    const outcome = await fitWithEarlyStopping(
      {
        variables: [W, b],
        runEpoch: async (optimizer, epoch) => {
          const pass: TrainPass = { epoch, seed: trainPassSeed(o.seed, epoch), rows };
          let fill = 0;
          let lossSum = 0;
          let steps = 0;
          let used = 0;
          let seen = 0;
          for await (const batch of train.batches(pass)) {
            try {
              const m = batch.images.shape[0];
              if (batch.labels.length !== m * L) throw new Error(`${where}: batch of ${m} images has ${batch.labels.length} labels, expected ${m}×${L}`);
              seen += m;
              if (seen > rows.length) throw new Error(`${where}: epoch ${epoch} yielded more than the ${rows.length} images asked for`);
              if (m === 0) continue;
              const f = tf.tidy(() => train.encoder(batch.images)); // [m, D]
              let feats: Float32Array;
              try {
                if (f.rank !== 2 || f.shape[0] !== m || f.shape[1] !== D) {
                  throw new Error(`${where}: encoder returned [${f.shape}] for ${m} images; expected [${m}, ${D}] (D = val.dim)`);
                }
                feats = (await f.data()) as Float32Array;
              } finally {
                f.dispose();
              }
              for (let off = 0; off < m; ) {
                const k = Math.min(B - fill, m - off);
                xBuf.set(feats.subarray(off * D, (off + k) * D), fill * D);
                yBuf.set(batch.labels.subarray(off * L, (off + k) * L), fill * L);
                fill += k;
                off += k;
                if (fill === B) {
                  lossSum += await headStep(optimizer, W, b, xBuf, yBuf, B);
                  steps++;
                  used += B;
                  fill = 0;
                }
              }
            } finally {
              batch.images.dispose();
            }
          }
          if (fill > 0 && !o.dropLast) {
            lossSum += await headStep(optimizer, W, b, xBuf, yBuf, fill);
            steps++;
            used += fill;
          }
          if (steps === 0) {
            throw new Error(`${where}: epoch ${epoch} yielded ${seen} training images, no full batch of ${B} (dropLast); lower batchSize`);
          }
          nTrain = seen;
          return { loss: lossSum / steps, steps, rows: used };
        },
        validate: () => headValMacroAuroc(W, b, val),
      },
      o,
    );
    return probeTrainResult(outcome, D, train.labelNames, nTrain);
  } finally {
    W.dispose();
    b.dispose();
  }
}
