import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "./tf_setup.js";
import {
  chexpertProtocol,
  dropNoFindingOnly,
  labelFractionSweep,
  mimicProtocol,
  nih14Protocol,
} from "../../src/eval/protocols.js";
import type { LabeledFeatures } from "../../src/eval/types.js";
import { separableSet } from "./helpers.js";

const D = 8;
const L = 3;
const splits = { train: separableSet(800, D, L, 1), val: separableSet(300, D, L, 2), test: separableSet(300, D, L, 3) };
const probe = { learningRate: 1e-2, maxEpochs: 6 } as const;
const evaluate = { bootstrap: 50, seed: 1 } as const;

test("MIMIC protocol trains, early-stops and tests; CheXpert reuses the probe without retraining", async () => {
  const before = tf.memory().numTensors;
  const mimic = await mimicProtocol(splits, { probe, evaluate });
  assert.equal(mimic.protocol, "mimic");
  assert.ok(mimic.training && mimic.training.history.length >= 1);
  assert.ok(mimic.evaluation.macroAuroc > 0.97, `mimic ${mimic.evaluation.macroAuroc}`);
  assert.equal(mimic.evaluation.bootstrap?.resamples, 50);

  const chexTest = separableSet(200, D, L, 4);
  const cx = chexpertProtocol({ probe: mimic.probe, test: chexTest }, { evaluate });
  assert.equal(cx.protocol, "chexpert");
  assert.equal(cx.training, undefined);
  assert.equal(cx.probe, mimic.probe);
  assert.ok(cx.evaluation.macroAuroc > 0.95, `chexpert ${cx.evaluation.macroAuroc}`);
  // Label order must match exactly.
  const reordered: LabeledFeatures = { ...chexTest, labelNames: [...chexTest.labelNames].reverse() };
  assert.throws(() => chexpertProtocol({ probe: mimic.probe, test: reordered }), /label names differ/);
  assert.throws(() => chexpertProtocol({ probe: mimic.probe, test: { ...chexTest, dim: 4, features: new Float32Array(800) } }), /probe expects dim 8/);
  assert.equal(tf.memory().numTensors, before);
});

test("dropNoFindingOnly: with and without a 'No Finding' column", () => {
  const fs: LabeledFeatures = {
    features: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]),
    labels: Float32Array.from([
      1, 0, 0, // only No Finding → dropped
      0, 1, 0, // finding → kept
      1, 0, 1, // No Finding + finding → kept
      0, 0, 0, // nothing at all → kept when a No Finding column exists
    ]),
    n: 4,
    dim: 2,
    labelNames: ["No Finding", "Mass", "Nodule"],
  };
  const a = dropNoFindingOnly(fs);
  assert.equal(a.dropped, 1);
  assert.deepEqual(a.set.labelNames, ["Mass", "Nodule"]);
  assert.deepEqual(Array.from(a.set.features), [2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(a.set.labels), [1, 0, 0, 1, 0, 0]);
  const b = dropNoFindingOnly(a.set); // no such column: all-zero rows are the "No Finding" images
  assert.equal(b.dropped, 1);
  assert.equal(b.set.n, 2);
});

test("NIH-14 protocol drops No-Finding-only images from every split and trains a new probe", async () => {
  const nih = await nih14Protocol(splits, { probe, evaluate: { bootstrap: 0 } });
  assert.equal(nih.protocol, "nih14");
  assert.equal(nih.notes.length, 3);
  const allZero = (fs: LabeledFeatures) => {
    let k = 0;
    for (let i = 0; i < fs.n; i++) if ([0, 1, 2].every((l) => fs.labels[i * L + l] === 0)) k++;
    return k;
  };
  assert.match(nih.notes[2]!, new RegExp(`test: dropped ${allZero(splits.test)} of 300`));
  assert.equal(nih.evaluation.n, 300 - allZero(splits.test));
  assert.ok(nih.evaluation.macroAuroc > 0.95);
  await assert.rejects(nih14Protocol(splits, { epochs: 3 } as never), /unknown option "epochs"; valid options: probe, evaluate/);
});

test("label-fraction sweep: seeded subsets, one result per fraction", async () => {
  const runs = await labelFractionSweep(splits, [0.1, 1], { probe: { ...probe, maxEpochs: 3, batchSize: 16 }, evaluate: { bootstrap: 0 } });
  assert.deepEqual(runs.map((r) => r.labelFraction), [0.1, 1]);
  assert.deepEqual(runs.map((r) => r.training?.nTrain), [80, 800]);
});
