import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "./tf_setup.js";
import { fineTuneEncoder } from "../../src/eval/fine_tune.js";
import { extractFeatures } from "../../src/eval/features.js";
import { evaluateMultilabel } from "../../src/eval/metrics.js";
import { Rng } from "../../src/utils/rng.js";
import type { LabeledBatch, TrainableEncoder } from "../../src/eval/types.js";

const S = 4; // 4×4×1 images
const D = 6;
const L = 2;

/** Label 0 = top half brighter than bottom half; label 1 = left half brighter than right half. */
function makeData(n: number, seed: number): { images: Float32Array; labels: Float32Array } {
  const rng = new Rng(seed);
  const images = new Float32Array(n * S * S);
  const labels = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    let top = 0;
    let left = 0;
    for (let r = 0; r < S; r++) {
      for (let c = 0; c < S; c++) {
        const v = rng.normal();
        images[i * S * S + r * S + c] = v;
        top += r < S / 2 ? v : -v;
        left += c < S / 2 ? v : -v;
      }
    }
    labels[i * L] = top > 0 ? 1 : 0;
    labels[i * L + 1] = left > 0 ? 1 : 0;
  }
  return { images, labels };
}

function* batchesOf(d: { images: Float32Array; labels: Float32Array }, bs: number): Generator<LabeledBatch> {
  const n = d.labels.length / L;
  for (let s = 0; s < n; s += bs) {
    const e = Math.min(n, s + bs);
    yield {
      images: tf.tensor4d(d.images.slice(s * S * S, e * S * S), [e - s, S, S, 1]),
      labels: d.labels.slice(s * L, e * L),
    };
  }
}

/** A toy trainable encoder: flatten → one dense layer [S·S, D]. */
function toyEncoder(seed: number): TrainableEncoder {
  const rng = new Rng(seed);
  const w = new Float32Array(S * S * D).map(() => rng.normal() * 0.3);
  const W = tf.tidy(() => tf.variable(tf.tensor2d(w, [S * S, D]))); // [S·S, D]
  return {
    variables: [W],
    forward: (images) => tf.tidy(() => tf.matMul(tf.reshape(images, [images.shape[0], S * S]), W)), // [B, D]
  };
}

test("fineTuneEncoder trains encoder + head, keeps the best weights and leaks no tensor", async () => {
  const enc = toyEncoder(3);
  const w0 = enc.variables[0]!.dataSync().slice();
  const train = makeData(512, 1);
  const val = makeData(256, 2);
  const testData = makeData(256, 3);
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const r = await fineTuneEncoder(
    { encoder: enc, train: () => batchesOf(train, 32), val: () => batchesOf(val, 64), labelNames: ["top", "left"], dim: D },
    { learningRate: 2e-2, maxEpochs: 6, patience: 3, onEpoch: () => counts.push(tf.memory().numTensors) },
  );
  assert.equal(tf.memory().numTensors, before, "tensors after fine-tuning");
  assert.ok(counts.every((c) => c === counts[0]), `per-epoch tensor counts ${counts}`);
  assert.equal(r.nTrain, 512);
  assert.ok(r.history.length >= 1);
  // The encoder really trained (its weights moved) …
  const w1 = enc.variables[0]!.dataSync();
  assert.ok(w1.some((v, i) => Math.abs(v - w0[i]!) > 1e-3), "encoder weights unchanged");
  // … and encoder + head classify held-out images.
  const feats = await extractFeatures(enc.forward, batchesOf(testData, 64), { progress: false });
  const ev = evaluateMultilabel(feats.labels, r.probe.predictLogits(feats.features), L, r.probe.labelNames, { bootstrap: 0 });
  assert.ok(ev.macroAuroc > 0.9, `fine-tuned macro AUROC ${ev.macroAuroc}`);
  assert.ok(Math.abs(r.bestValMacroAuroc - Math.max(...r.history.map((h) => h.valMacroAuroc))) < 1e-12);
  enc.variables.forEach((v) => v.dispose());
});

test("fineTuneEncoder rejects loader-level options", async () => {
  const enc = toyEncoder(1);
  const d = makeData(8, 1);
  await assert.rejects(
    fineTuneEncoder({ encoder: enc, train: () => batchesOf(d, 4), val: () => batchesOf(d, 4), labelNames: ["a", "b"], dim: D }, { batchSize: 8 }),
    /option "batchSize" belongs to the batch loader/,
  );
  enc.variables.forEach((v) => v.dispose());
});
