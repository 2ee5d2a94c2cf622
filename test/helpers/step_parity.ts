/**
 * One full MSN training step (EMA, target branch, masked anchors + focal views, loss, backward, AdamW) on a
 * backend agrees with the wasm backend within 1e-4: loss, every gradient, the gradient norm, and the AdamW
 * update (compared from identical gradients: AdamW's first step moves every parameter by ±lr whatever the
 * gradient's size, so float32 noise on an exactly-zero gradient would flip it between any two backends).
 * Repeated steps leave `tf.memory().numTensors` unchanged. Shared by native_step.test.ts, cuda_step.test.ts and test/webgpu/step.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../src/backend/index.js";
import { msnConfig } from "../../src/config/msn.js";
import { disposeBatch } from "../../src/types/batch.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { AdamW } from "../../src/optim/adamw.js";
import { syntheticBatch } from "./batches.js";
import { maxScaledDiff } from "./golden.js";

const TOL = 1e-4;

/** A host copy of `t`'s values (awaited: every backend, the webgpu one included). */
async function host(t: tf.Tensor): Promise<Float32Array> {
  return ((await t.data()) as Float32Array).slice();
}

/** The value of a scalar; disposes it. */
async function readScalar(t: tf.Tensor): Promise<number> {
  try {
    return (await t.data())[0]!;
  } finally {
    t.dispose();
  }
}

/** Loss, gradients and parameters after one step on `backend`, from the same seed and batch (host copies). */
async function oneStep(backend: string) {
  await initBackend({ force: backend, quiet: true });
  const cfg = msnConfig("test", { ehr: { ehrIn: 4 } });
  const model = new MultimodalMSN(cfg);
  const batch = syntheticBatch(cfg, 4);
  const masks = model.drawMasks(4);
  const g = await model.gradientsAsync(batch, masks);
  const grads = new Map(await Promise.all([...g.grads].map(async ([k, v]) => [k, await host(v)] as const)));
  for (const t of g.grads.values()) t.dispose();
  const params = new Map(await Promise.all([...model.anchorParams.vars].map(async ([k, v]) => [k, await host(v)] as const)));
  const r = await model.trainStepAsync(batch, masks);
  disposeBatch(batch);
  model.dispose();
  return { loss: g.loss, step: r, grads, params };
}

/** Two AdamW steps (with clipping and decay on half the parameters) from given values and gradients. */
async function adamwSteps(backend: string, params: Map<string, Float32Array>, grads: Map<string, Float32Array>) {
  await initBackend({ force: backend, quiet: true });
  const names = [...grads.keys()].sort();
  const vars = names.map((n, i) => ({ name: n, variable: tf.variable(tf.tensor(params.get(n)!)), decay: i % 2 === 0 }));
  const opt = new AdamW(vars, { beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const g = new Map(names.map((n) => [n, tf.tensor(grads.get(n)!)]));
  const norm = await readScalar(opt.sumOfSquares(g)).then(Math.sqrt); // read with data(): the webgpu backend has no dataSync
  const norms = [opt.step(g, 1e-3, 0.04, 3.0, norm), opt.step(g, 1e-3, 0.04, 0, norm)];
  const out = new Map(await Promise.all(vars.map(async (v) => [v.name, await host(v.variable)] as const)));
  tf.dispose([...g.values(), ...vars.map((v) => v.variable)]);
  opt.dispose();
  return { norms, out };
}

/**
 * Declare the step-parity tests for `backend`.
 * @param use switches to `backend`; resolves false after skipping the test (loudly) when it cannot load.
 */
export function describeStepParity(backend: string, use: (t: { skip: (msg?: string) => void }) => Promise<boolean>): void {
  describe(`${backend} backend: a full MSN training step`, () => {
    it("matches the wasm backend within 1e-4 (loss, gradients, parameters after AdamW)", async (t) => {
      if (!(await use(t))) return;
      const w = await oneStep("wasm");
      const n = await oneStep(backend);
      assert.ok(Math.abs(n.loss - w.loss) <= TOL * Math.max(1, Math.abs(w.loss)), `loss ${n.loss} vs ${w.loss}`);
      assert.ok(Math.abs(n.step.loss - w.step.loss) <= TOL * Math.max(1, Math.abs(w.step.loss)));
      assert.ok(Math.abs(n.step.gradNorm - w.step.gradNorm) <= TOL * Math.max(1, w.step.gradNorm), `gradNorm ${n.step.gradNorm} vs ${w.step.gradNorm}`);
      assert.deepEqual([...n.grads.keys()].sort(), [...w.grads.keys()].sort());
      for (const [name, gw] of w.grads) {
        // absolute below 1, relative above (some gradients are ~1e-7 float32 noise around an exact 0, where
        // the cpu and wasm backends differ from each other by as much)
        const d = maxScaledDiff(n.grads.get(name)!, gw);
        assert.ok(d <= TOL, `gradient ${name}: max scaled difference ${d.toExponential(2)} > ${TOL}`);
      }
      const aw = await adamwSteps("wasm", w.params, w.grads);
      const an = await adamwSteps(backend, w.params, w.grads);
      an.norms.forEach((x, i) => assert.ok(Math.abs(x - aw.norms[i]!) <= TOL * Math.max(1, aw.norms[i]!)));
      for (const [name, pw] of aw.out) {
        const d = maxScaledDiff(an.out.get(name)!, pw);
        assert.ok(d <= TOL, `parameter ${name} after AdamW: max scaled difference ${d.toExponential(2)} > ${TOL}`);
      }
    });

    it("repeated steps leave tf.memory().numTensors unchanged", async (t) => {
      if (!(await use(t))) return;
      const cfg = msnConfig("test", { ehr: { ehrIn: 4 } });
      const model = new MultimodalMSN(cfg);
      const batch = syntheticBatch(cfg, 4);
      await model.trainStepAsync(batch);
      const n0 = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await model.trainStepAsync(batch);
      assert.equal(tf.memory().numTensors, n0);
      disposeBatch(batch);
      model.dispose();
    });
  });
}
