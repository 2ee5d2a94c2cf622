import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "./tf_setup.js";
import { evaluateMultilabel } from "../../src/eval/metrics.js";
import {
  LinearProbe,
  labelFractionIndices,
  maskedBceWithLogits,
  targetsAndMask,
  trainLinearProbe,
  type EpochLog,
} from "../../src/eval/linear_probe.js";
import { separableSet, shuffledLabels } from "./helpers.js";

const D = 8;
const L = 3;
const train = separableSet(1200, D, L, 1);
const val = separableSet(400, D, L, 2);
const testSet = separableSet(600, D, L, 3);
const fast = { learningRate: 1e-2, maxEpochs: 15 } as const;

test("probe on linearly separable features reaches test macro AUROC > 0.99", async () => {
  const r = await trainLinearProbe(train, val, fast);
  const ev = evaluateMultilabel(testSet.labels, r.probe.predictLogits(testSet.features), L, r.probe.labelNames, { bootstrap: 0 });
  assert.equal(ev.excluded.length, 0);
  assert.ok(ev.macroAuroc > 0.99, `macro AUROC ${ev.macroAuroc}`);
  assert.ok(r.bestValMacroAuroc > 0.99);
  assert.equal(r.history[r.bestEpoch - 1]!.valMacroAuroc, r.bestValMacroAuroc);
  // The loss decreases from the first to the best epoch.
  assert.ok(r.history[r.bestEpoch - 1]!.trainLoss < r.history[0]!.trainLoss);
});

test("probe on shuffled labels stays near chance (0.5 ± 0.1)", async () => {
  // Labels of every split are permuted, so nothing links features to labels; the probe cannot beat chance.
  const r = await trainLinearProbe(shuffledLabels(train, 5), shuffledLabels(val, 6), { ...fast, maxEpochs: 8 });
  const shuffledTest = shuffledLabels(testSet, 7);
  const logits = r.probe.predictLogits(shuffledTest.features);
  const ev = evaluateMultilabel(shuffledTest.labels, logits, L, r.probe.labelNames, { bootstrap: 0 });
  assert.ok(Math.abs(ev.macroAuroc - 0.5) < 0.1, `macro AUROC ${ev.macroAuroc}`);
});

test("no tensor leak: numTensors constant across epochs and unchanged by the call", async () => {
  const before = tf.memory().numTensors;
  const perEpoch: number[] = [];
  const r = await trainLinearProbe(train, val, {
    ...fast,
    maxEpochs: 4,
    patience: 10,
    onEpoch: () => perEpoch.push(tf.memory().numTensors),
  });
  assert.equal(perEpoch.length, 4, `epochs: ${perEpoch}`);
  assert.ok(perEpoch.every((c) => c === perEpoch[0]), `per-epoch counts ${perEpoch}`);
  assert.equal(tf.memory().numTensors, before);
  r.probe.predictLogits(testSet.features);
  r.probe.predictProba(testSet.features);
  assert.equal(tf.memory().numTensors, before);
});

test("early stopping: patience and best checkpoint", async () => {
  // With lr 0 the validation AUROC never improves after epoch 1: stop after 1 + patience epochs.
  const logs: EpochLog[] = [];
  const r = await trainLinearProbe(train, val, { learningRate: 0, maxEpochs: 50, patience: 3, onEpoch: (l) => logs.push(l) });
  assert.equal(r.history.length, 4);
  assert.equal(logs.length, 4);
  assert.equal(r.bestEpoch, 1);
  assert.ok(r.stoppedEarly);
  // Returned weights are the epoch-1 (= initial, since lr=0) weights: same seed gives the same probe.
  const again = await trainLinearProbe(train, val, { learningRate: 0, maxEpochs: 1 });
  assert.deepEqual(r.probe.weights, again.probe.weights);
  assert.equal(again.stoppedEarly, false);
});

test("seeded: equal options give identical probes", async () => {
  const a = await trainLinearProbe(train, val, { ...fast, maxEpochs: 2 });
  const b = await trainLinearProbe(train, val, { ...fast, maxEpochs: 2 });
  assert.deepEqual(a.probe.weights, b.probe.weights);
  assert.deepEqual(a.history.map((h) => h.trainLoss), b.history.map((h) => h.trainLoss));
});

test("label fractions: seeded subsample of ⌊n·f⌋ rows", async () => {
  assert.equal(labelFractionIndices(1000, 1, 24).length, 1000);
  const a = labelFractionIndices(1000, 0.1, 24);
  assert.equal(a.length, 100);
  assert.deepEqual(a, labelFractionIndices(1000, 0.1, 24));
  assert.notDeepEqual(a, labelFractionIndices(1000, 0.1, 25));
  assert.equal(labelFractionIndices(50, 0.01, 1).length, 1);
  const r = await trainLinearProbe(train, val, { ...fast, labelFraction: 0.25, maxEpochs: 2 });
  assert.equal(r.nTrain, 300);
  await assert.rejects(trainLinearProbe(train, val, { labelFraction: 0.01 }), /make no full batch of 64/);
});

test("masked BCE equals the float64 formula and ignores NaN labels", () => {
  const z = [2, -1, 0.5, -3];
  const y = [1, 0, NaN, 1];
  const bce = (zi: number, yi: number) => -(yi * Math.log(1 / (1 + Math.exp(-zi))) + (1 - yi) * Math.log(1 - 1 / (1 + Math.exp(-zi))));
  const expected = (bce(2, 1) + bce(-1, 0) + bce(-3, 1)) / 3;
  const logits = tf.tensor2d(z, [2, 2]);
  const { targets, mask } = targetsAndMask(Float32Array.from(y), 2, 2);
  const loss = maskedBceWithLogits(logits, targets, mask);
  assert.ok(Math.abs(loss.dataSync()[0]! - expected) < 1e-6);
  tf.dispose([logits, targets, mask, loss]);
});

test("options and inputs are validated", async () => {
  await assert.rejects(trainLinearProbe(train, val, { lr: 1 } as never), /unknown option "lr"; valid options: learningRate, batchSize/);
  await assert.rejects(trainLinearProbe(train, val, { labelFraction: 0 }), /labelFraction must be in \(0, 1\]/);
  await assert.rejects(trainLinearProbe(train, { ...val, labelNames: ["a", "b", "c"] }), /label names differ/);
  await assert.rejects(trainLinearProbe({ ...train, n: 5 }, val), /features has 9600 values, expected n×dim = 5×8/);
});

test("LinearProbe JSON round trip", () => {
  const p = new LinearProbe(Float32Array.from([1, 2, 3, 4]), Float32Array.from([0.5, -0.5]), 2, ["a", "b"]);
  const q = LinearProbe.fromJSON(JSON.parse(JSON.stringify(p)));
  assert.deepEqual(q.predictLogits(Float32Array.from([1, 1])), Float32Array.from([4.5, 5.5]));
  assert.throws(() => new LinearProbe(new Float32Array(3), new Float32Array(2), 2, ["a", "b"]), /do not fit/);
});
