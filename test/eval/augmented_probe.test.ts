/**
 * The official probe mode (`trainLinearProbeAugmented`): augmented training images through the frozen encoder
 * every epoch, re-batched to 64 with drop_last, the official cosine schedule and rounded validation AUROC.
 * Images here are 1×1×D "pictures" whose pixels are the features of helpers.separableSet (image_helpers.ts),
 * so an identity encoder reproduces the cached features exactly and the fast mode can serve as the reference.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "./tf_setup.js";
import { trainLinearProbe, type EpochLog } from "../../src/eval/linear_probe.js";
import { trainLinearProbeAugmented, trainPassSeed } from "../../src/eval/augmented_probe.js";
import { cosineAnnealingLr, fitWithEarlyStopping, roundDecimals } from "../../src/eval/probe_fit.js";
import { OFFICIAL_PROBE_OPTIONS, resolveProbeOptions, type ProbeOptions } from "../../src/eval/probe_options.js";
import { Rng } from "../../src/utils/rng.js";
import type { ImageTrainSet, LabeledFeatures, TrainPass } from "../../src/eval/types.js";
import { separableSet } from "./helpers.js";
import { fastOrderSet, identityEncoder, imageBatches } from "./image_helpers.js";

const D = 8;
const L = 3;
const train = separableSet(300, D, L, 1);
const val = separableSet(200, D, L, 2);
const base = { learningRate: 1e-2, maxEpochs: 4, patience: 100 } as const;

const identity = identityEncoder;

/** A loader with augmentation, recording what it was asked for; the encoder records a checksum of its features per epoch. */
function augmentedSet(fs: LabeledFeatures, loaderBatch: number, noise: number) {
  const passes: TrainPass[] = [];
  const sums: number[] = [];
  const images: number[] = [];
  const set: ImageTrainSet = {
    encoder: (x) => {
      const f = identity(x);
      const e = passes.length - 1;
      sums[e] = f.dataSync().reduce((acc, v, i) => acc + v * (i + 1), sums[e] ?? 0); // position-weighted checksum
      images[e] = (images[e] ?? 0) + x.shape[0];
      return f;
    },
    labels: fs.labels,
    labelNames: fs.labelNames,
    batches: (p) => {
      passes.push(p);
      return imageBatches(fs, new Rng(p.seed).shuffle(p.rows.slice()), loaderBatch, noise, p.seed);
    },
  };
  return { set, passes, sums, images };
}

const strip = (h: readonly EpochLog[]) => h.map(({ seconds: _s, ...rest }) => rest);

test("augmentation off, fast mode's order: the official path equals the cached path bit for bit", async () => {
  for (const opts of [
    { ...base, scheduler: "cosine", valAurocDecimals: 4 },
    { ...base, labelFraction: 0.5, batchSize: 32, dropLast: false, scheduler: "none", valAurocDecimals: undefined },
  ] satisfies ProbeOptions[]) {
    const fast = await trainLinearProbe(train, val, opts);
    const official = await trainLinearProbeAugmented(fastOrderSet(train, 24, 50), val, opts); // loader batches of 50, re-batched
    assert.deepEqual(official.probe.weights, fast.probe.weights);
    assert.deepEqual(official.probe.bias, fast.probe.bias);
    assert.deepEqual(strip(official.history), strip(fast.history));
    assert.equal(official.nTrain, fast.nTrain);
    assert.equal(official.bestEpoch, fast.bestEpoch);
  }
});

test("augmentation on: a fresh pass per epoch with its own seed; the encoder sees new features every epoch", async () => {
  const a = augmentedSet(train, 50, 0.3);
  const opts = { ...base, learningRate: 5e-2, valAurocDecimals: undefined };
  const r = await trainLinearProbeAugmented(a.set, val, opts);
  assert.deepEqual(a.passes.map((p) => p.epoch), [1, 2, 3, 4]);
  assert.deepEqual(a.passes.map((p) => p.seed), [1, 2, 3, 4].map((e) => trainPassSeed(24, e)));
  assert.equal(new Set(a.passes.map((p) => p.seed)).size, 4);
  a.passes.forEach((p) => assert.deepEqual(p.rows, Int32Array.from({ length: 300 }, (_, i) => i)));
  assert.deepEqual(a.images, [300, 300, 300, 300], "every training image goes through the encoder every epoch");
  assert.equal(new Set(a.sums).size, 4, `per-epoch feature checksums ${a.sums}`);
  // Without the noise the same loader gives other features and another probe.
  const plain = augmentedSet(train, 50, 0);
  const r0 = await trainLinearProbeAugmented(plain.set, val, opts);
  assert.notDeepEqual(r.probe.weights, r0.probe.weights);
  assert.notDeepEqual(a.sums, plain.sums);
  assert.ok(r.bestValMacroAuroc > 0.9, `augmented probe val AUROC ${r.bestValMacroAuroc}`);
});

test("drop_last: ⌊n/64⌋ steps of 64 per epoch, whatever the loader's batch size; off: one more, partial", async () => {
  const run = async (loaderBatch: number, dropLast: boolean) => {
    const a = augmentedSet(train, loaderBatch, 0.1);
    return trainLinearProbeAugmented(a.set, val, { ...base, maxEpochs: 2, dropLast });
  };
  for (const bs of [50, 64, 7, 300]) {
    const r = await run(bs, true);
    assert.deepEqual(r.history.map((h) => [h.steps, h.trainRows]), [[4, 256], [4, 256]], `loader batch ${bs}`);
    assert.equal(r.nTrain, 300);
  }
  const keep = await run(50, false);
  assert.deepEqual(keep.history.map((h) => [h.steps, h.trainRows]), [[5, 300], [5, 300]]);
  // A loader that already drops its own last batch of 64 gives the same batches, so the same probe.
  const order = new Rng(5).shuffle(Int32Array.from({ length: 300 }, (_, i) => i));
  const set = (n: number, bs: number): ImageTrainSet => ({ encoder: identity, labels: train.labels, labelNames: train.labelNames, batches: () => imageBatches(train, order.subarray(0, n), bs) });
  const probeDrops = await trainLinearProbeAugmented(set(300, 50), val, { ...base, maxEpochs: 2 });
  const loaderDrops = await trainLinearProbeAugmented(set(256, 64), val, { ...base, maxEpochs: 2 });
  assert.deepEqual(probeDrops.probe.weights, loaderDrops.probe.weights);
  // The fast mode counts the same way.
  const fast = await trainLinearProbe(train, val, { ...base, maxEpochs: 1 });
  assert.deepEqual([fast.history[0]!.steps, fast.history[0]!.trainRows], [4, 256]);
});

test("memory: numTensors flat across epochs and unchanged by the call (the loader's batches are disposed)", async () => {
  const a = augmentedSet(train, 50, 0.2);
  const before = tf.memory().numTensors;
  const perEpoch: number[] = [];
  await trainLinearProbeAugmented(a.set, val, { ...base, maxEpochs: 5, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
  assert.equal(perEpoch.length, 5);
  assert.ok(perEpoch.every((c) => c === perEpoch[0]), `per-epoch counts ${perEpoch}`);
  assert.equal(tf.memory().numTensors, before);
  // A failing encoder leaks nothing either.
  const bad: ImageTrainSet = { ...a.set, encoder: (x) => tf.tidy(() => tf.reshape(x, [x.shape[0], D]).slice([0, 0], [-1, D - 1])) as tf.Tensor2D };
  await assert.rejects(trainLinearProbeAugmented(bad, val, base), /encoder returned \[50,7\] for 50 images; expected \[50, 8\]/);
  assert.equal(tf.memory().numTensors, before);
});

test("cosine schedule: the lr of every epoch (and so of every step in it) is torch's CosineAnnealingLR(T_max = maxEpochs)", async () => {
  // Transcribed from torch.optim.lr_scheduler.CosineAnnealingLR.get_lr (torch 2.1, the official environment.yml),
  // as configured in src/models/evaluationmodels.py (EvaluationModel.configure_optimizers: eta_min=0,
  // T_max=self.max_epochs) and stepped once per epoch by Lightning (default interval "epoch"), no warm-up.
  const torchCosine = (base: number, T: number, epochs: number): number[] => {
    const lrs = [base]; // last_epoch 0: the initial lr
    for (let t = 1; t < epochs; t++) {
      const prev = lrs[t - 1]!;
      if ((t - 1 - T) % (2 * T) === 0) lrs.push(prev + (base * (1 - Math.cos(Math.PI / T))) / 2);
      else lrs.push(((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * prev);
    }
    return lrs;
  };
  const T = 7;
  const a = augmentedSet(train, 64, 0.1);
  const r = await trainLinearProbeAugmented(a.set, val, { learningRate: 1e-3, maxEpochs: T, patience: 100 }); // scheduler defaults to "cosine"
  const expected = torchCosine(1e-3, T, T);
  assert.equal(r.history.length, T);
  r.history.forEach((h, i) => assert.ok(Math.abs(h.lr - expected[i]!) <= 1e-15 + 1e-12 * expected[i]!, `epoch ${h.epoch}: ${h.lr} vs ${expected[i]}`));
  // The closed form over the official 100 epochs.
  const hundred = torchCosine(1e-4, 100, 100);
  hundred.forEach((lr, t) => assert.ok(Math.abs(cosineAnnealingLr(1e-4, t, 100) - lr) <= 1e-12 * 1e-4, `step ${t}`));
  assert.equal(cosineAnnealingLr(1e-4, 0, 100), 1e-4);
  // The fast mode with scheduler "cosine" follows the same values.
  const fast = await trainLinearProbe(train, val, { learningRate: 1e-3, maxEpochs: T, patience: 100, scheduler: "cosine" });
  assert.deepEqual(fast.history.map((h) => h.lr), r.history.map((h) => h.lr));
});

test("official defaults: Adam lr 1e-4, batch 64 + drop_last, cosine, patience 5 / min_delta 1e-5 on val AUROC rounded to 4 decimals", async () => {
  assert.deepEqual(OFFICIAL_PROBE_OPTIONS, {
    learningRate: 1e-4,
    batchSize: 64,
    dropLast: true,
    maxEpochs: 100,
    patience: 5,
    minDelta: 1e-5,
    seed: 24,
    scheduler: "cosine",
    valAurocDecimals: 4,
  });
  const a = augmentedSet(train, 64, 0.1);
  const r = await trainLinearProbeAugmented(a.set, val, { maxEpochs: 3, patience: 100 });
  assert.deepEqual(r.history.map((h) => h.lr), [0, 1, 2].map((t) => cosineAnnealingLr(1e-4, t, 3)));
  for (const h of r.history) assert.equal(h.valMacroAuroc, roundDecimals(h.valMacroAuroc, 4));
  assert.deepEqual(r.history.map((h) => h.steps), [4, 4, 4]);
  // np.round(x, 4) rounds half to even (values from numpy 1.24).
  assert.deepEqual([roundDecimals(0.12345, 4), roundDecimals(0.81235, 4), roundDecimals(2.5, 0), roundDecimals(0.00025, 4), roundDecimals(0.81236, 4)], [0.1234, 0.8124, 2, 0.0002, 0.8124]);
});

test("rounded validation AUROC drives early stopping and the checkpoint as Lightning's callbacks see it", async () => {
  // Validation AUROC rising 2e-5 per epoch: > min_delta 1e-5 raw, but the rounded value moves once in 5 epochs.
  const raw = Array.from({ length: 10 }, (_, k) => 0.80002 + 2e-5 * k);
  const fit = async (opts: ProbeOptions) => {
    const v = tf.variable(tf.scalar(0));
    let k = 0;
    try {
      return await fitWithEarlyStopping({ variables: [v], runEpoch: async () => 0, validate: async () => raw[k++]! }, resolveProbeOptions({ ...opts, maxEpochs: 10, patience: 3 }, "test"));
    } finally {
      v.dispose();
    }
  };
  const unrounded = await fit({});
  assert.equal(unrounded.history.length, 10);
  assert.equal(unrounded.bestEpoch, 10);
  const rounded = await fit({ valAurocDecimals: 4 });
  // 0.8, 0.8, 0.8001 (improves by 1e-4 > min_delta), 0.8001 ×3 → patience 3 exhausted at epoch 6.
  assert.deepEqual(rounded.history.map((h) => h.valMacroAuroc), [0.8, 0.8, 0.8001, 0.8001, 0.8001, 0.8001]);
  assert.equal(rounded.bestEpoch, 3, "ModelCheckpoint keeps the first of equal values (strictly greater replaces)");
  assert.ok(rounded.stoppedEarly);
});

test("inputs and options are validated", async () => {
  const a = augmentedSet(train, 64, 0);
  await assert.rejects(trainLinearProbeAugmented(a.set, val, { lr: 1 } as never), /trainLinearProbeAugmented: unknown option "lr"; valid options: learningRate/);
  await assert.rejects(trainLinearProbeAugmented(a.set, val, { valAurocDecimals: 1.5 }), /valAurocDecimals must be an integer/);
  await assert.rejects(trainLinearProbeAugmented({ ...a.set, labels: train.labels.subarray(1) }, val), /not n×L/);
  await assert.rejects(trainLinearProbeAugmented(a.set, { ...val, labelNames: ["x", "y", "z"] }), /label names differ/);
  await assert.rejects(trainLinearProbeAugmented(a.set, val, { ...base, labelFraction: 0.1 }), /epoch 1 yielded 30 training images, no full batch of 64/);
  const tooMany: ImageTrainSet = { ...a.set, batches: () => imageBatches(train, Int32Array.from({ length: 301 }, (_, i) => i % 300), 64) };
  const before = tf.memory().numTensors;
  await assert.rejects(trainLinearProbeAugmented(tooMany, val, base), /yielded more than the 300 images asked for/);
  assert.equal(tf.memory().numTensors, before);
});
