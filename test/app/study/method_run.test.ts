/** app/study/method_run.ts and the comparison helpers of app/study/report.ts. */
import "../../eval/tf_setup.js";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../../src/utils/rng.js";
import { evaluateMultilabel } from "../../../src/eval/metrics.js";
import { type Encoder, type LabeledFeatures } from "../../../src/eval/types.js";
import { MultimodalMSN } from "../../../src/msn/multimodal_msn.js";
import { toyBatches } from "../../../app/demo/toy_views.js";
import { runMethod } from "../../../app/study/method_run.js";
import { comparisonPoints, perLabelComparison, shortLabel, type MethodResult } from "../../../app/study/report.js";

const LABELS = ["Cardiomegaly", "Pleural Effusion", "Fracture"];

/** Features of random 32-px images whose labels depend on the mean brightness (learnable by a probe). */
async function splitsOf(encoder: Encoder): Promise<{ train: LabeledFeatures; val: LabeledFeatures; test: LabeledFeatures }> {
  const rng = new Rng(5);
  const part = (n: number) => {
    const bright = Array.from({ length: n }, (_, i) => i % 2);
    const x = tf.tidy(() => tf.add(tf.randomUniform([n, 32, 32, 1], -1, 1, "float32", n), tf.reshape(tf.tensor1d(bright.map((b) => b * 0.8)), [n, 1, 1, 1])) as tf.Tensor4D);
    const f = tf.tidy(() => encoder(x));
    const features = f.dataSync() as Float32Array;
    const dim = f.shape[1];
    tf.dispose([x, f]);
    const labels = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      labels[i * 3] = bright[i]!;
      labels[i * 3 + 1] = rng.next() < 0.5 ? 1 : 0;
      labels[i * 3 + 2] = 0; // one class: excluded
    }
    return { features: Float32Array.from(features), labels, n, dim, labelNames: LABELS };
  };
  return { train: part(48), val: part(16), test: part(32) };
}

describe("runMethod", () => {
  it("pretrains, extracts features and probes; the random-init baseline skips pretraining; no tensors leak", async () => {
    const model = new MultimodalMSN("test");
    const before = tf.memory().numTensors;
    const r = await runMethod({ method: "MSN", model, batches: toyBatches(model.config, 4, 0), steps: 3, features: splitsOf, probe: { maxEpochs: 5, batchSize: 16 }, bootstrap: 50 });
    assert.equal(r.method, "MSN");
    assert.equal(r.dataset, "mimic");
    assert.equal(r.pretraining.length, 3);
    assert.equal(r.evaluation.n, 32);
    assert.ok(r.training && r.training.history.length > 0);
    assert.deepEqual(r.evaluation.excluded.map((e) => e.label), ["Fracture"]);
    assert.ok(r.seconds.pretrain >= 0 && r.seconds.evaluate > 0);
    const random = await runMethod({ method: "random init", model, features: splitsOf, probe: { maxEpochs: 3, batchSize: 16 }, bootstrap: 0 });
    assert.equal(random.pretraining.length, 0);
    assert.match(random.source!, /random init/);
    assert.ok(tf.memory().numTensors <= before, `tensors: ${before} → ${tf.memory().numTensors}`);
    await assert.rejects(runMethod({ method: "x", model, batches: toyBatches(model.config, 4, 0), features: splitsOf }), /steps > 0/);
    model.dispose();
  });
});

describe("comparison helpers", () => {
  const ev = (seed: number) => {
    const rng = new Rng(seed);
    const n = 120;
    const y = new Float64Array(n * 3), s = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) for (let l = 0; l < 3; l++) {
      const pos = l === 2 ? 0 : rng.next() < 0.4 ? 1 : 0;
      y[i * 3 + l] = pos;
      s[i * 3 + l] = rng.normal() + pos;
    }
    return evaluateMultilabel(y, s, 3, LABELS, { bootstrap: 50, seed: 1 });
  };
  const results: MethodResult[] = [
    { method: "random init", dataset: "mimic", evaluation: ev(1) },
    { method: "MSN", dataset: "mimic", evaluation: ev(2) },
  ];

  it("perLabelComparison: one row per label plus macro, a column per method with CIs, excluded labels named", () => {
    const rows = perLabelComparison(results);
    assert.deepEqual(rows.map((r) => r.label), [...LABELS, "macro"]);
    assert.match(String(rows[0]!["MSN"]), /^0\.\d{3} \(-?\d\.\d{3}, \d\.\d{3}\)$/);
    assert.equal(rows[2]!["random init"], "excluded");
    assert.equal(typeof rows[0]!.positives, "number");
    assert.deepEqual(perLabelComparison([]), []);
    const other = { method: "other", dataset: "nih14", evaluation: evaluateMultilabel(new Float64Array([0, 1]), new Float64Array([0, 1]), 1, ["Edema"]) };
    assert.throws(() => perLabelComparison([results[0]!, other]), /other labels/);
  });

  it("comparisonPoints: labels and macro per method, excluded left out, long names shortened", () => {
    const pts = comparisonPoints(results);
    assert.equal(pts.length, 2 * 3);
    assert.deepEqual([...new Set(pts.map((p) => p.category))], ["Cardiomegaly", "Pl. Effusion", "macro"]);
    assert.deepEqual([...new Set(pts.map((p) => p.series))], ["random init", "MSN"]);
    assert.equal(shortLabel("Enlarged Cardiomediastinum"), "Enl. Card.");
    assert.equal(shortLabel("Edema"), "Edema");
  });
});
