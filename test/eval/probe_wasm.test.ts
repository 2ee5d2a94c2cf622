/** The probe's ops (matMul, relu, log1p, exp, abs, Adam) also run on the wasm backend, without leaks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { trainLinearProbe } from "../../src/eval/linear_probe.js";
import { evaluateMultilabel } from "../../src/eval/metrics.js";
import { separableSet } from "./helpers.js";

createRequire(import.meta.url)("@tensorflow/tfjs"); // registers all gradients (see tf_setup.ts)
await tf.setBackend("wasm");

test("linear probe trains on wasm: separable AUROC > 0.99, no tensor leak", async () => {
  assert.equal(tf.getBackend(), "wasm");
  const train = separableSet(1200, 8, 3, 1);
  const val = separableSet(400, 8, 3, 2);
  const testSet = separableSet(600, 8, 3, 3);
  const before = tf.memory().numTensors;
  const r = await trainLinearProbe(train, val, { learningRate: 1e-2, maxEpochs: 15 });
  assert.equal(tf.memory().numTensors, before);
  const ev = evaluateMultilabel(testSet.labels, r.probe.predictLogits(testSet.features), 3, r.probe.labelNames, { bootstrap: 0 });
  assert.ok(ev.macroAuroc > 0.99, `macro AUROC ${ev.macroAuroc}`);
});
