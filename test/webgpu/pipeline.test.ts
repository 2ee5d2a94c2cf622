/**
 * The library's asynchronous paths on the webgpu backend: a checkpointed run that is resumed ends exactly
 * where an uninterrupted one does, features match the wasm backend, the linear probe trains, AddN over more
 * inputs than a shader may bind is exact, and a synchronous read fails with an error that names the fix.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../src/backend/index.js";
import { checkpointShards } from "../../src/io/checkpoint.js";
import { msnConfig } from "../../src/config/msn.js";
import { evaluateMultilabel } from "../../src/eval/metrics.js";
import { extractFeatures } from "../../src/eval/features.js";
import { trainLinearProbe } from "../../src/eval/linear_probe.js";
import { disposeBatch } from "../../src/types/batch.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { Rng } from "../../src/utils/rng.js";
import { separableSet } from "../eval/helpers.js";
import { syntheticBatch } from "../helpers/batches.js";
import { maxScaledDiff } from "../helpers/golden.js";
import { metricsWithoutTiming, ROOT, runChildToEnd } from "../helpers/train_run.js";
import { useWebgpu } from "../helpers/webgpu.js";

const run = (dir: string, steps: number, resume: boolean) => runChildToEnd(dir, steps, resume, { MMSN_BACKEND: "webgpu" });

/** CLS features of a fixed image set under `backend`, from the same seeded model. */
async function features(backend: string) {
  await initBackend({ force: backend, quiet: true });
  const cfg = msnConfig("test");
  const model = new MultimodalMSN(cfg);
  const rng = new Rng(5);
  const [s, c] = [cfg.randSize, cfg.vit.inChans];
  const before = tf.memory().numTensors;
  const batches = [0, 1].map(() => ({ images: tf.tensor4d(rng.uniformArray(3 * s * s * c, -1, 1), [3, s, s, c]), labels: new Float32Array([1, 0, 0, 1, 1, 0]) }));
  const f = await extractFeatures((x) => model.encode(x), batches); // disposes each batch's images
  const leaked = tf.memory().numTensors - before;
  model.dispose();
  return { f, leaked };
}

describe("webgpu backend: training, checkpoints, features and probe", () => {
  it("a run stopped after a checkpoint and resumed ends with the same metrics and weights as an uninterrupted run", async (t) => {
    if (!(await useWebgpu(t))) return;
    const whole = mkdtempSync(join(tmpdir(), "mmsn-webgpu-whole-"));
    const parts = mkdtempSync(join(tmpdir(), "mmsn-webgpu-parts-"));
    run(whole, 6, false);
    run(parts, 3, false);
    run(parts, 6, true);
    assert.equal(metricsWithoutTiming(whole).length, 7);
    assert.deepEqual(metricsWithoutTiming(parts), metricsWithoutTiming(whole));
    assert.deepEqual(checkpointShards(join(parts, "checkpoint")).map((f) => readFileSync(f)), checkpointShards(join(whole, "checkpoint")).map((f) => readFileSync(f)));
  });

  it("extractFeatures matches the wasm backend within 1e-4 and leaks no tensors", async (t) => {
    if (!(await useWebgpu(t))) return;
    const w = await features("wasm");
    const g = await features("webgpu");
    assert.equal(g.leaked, 0);
    assert.equal(g.f.n, 6);
    const d = maxScaledDiff(g.f.features, w.f.features);
    assert.ok(d <= 1e-4, `max scaled difference ${d.toExponential(2)}`);
  });

  it("the linear probe trains on webgpu as on wasm: same best epoch, separable AUROC > 0.99, no tensor leak", async (t) => {
    if (!(await useWebgpu(t))) return;
    const probe = async (backend: string) => {
      await initBackend({ force: backend, quiet: true });
      const before = tf.memory().numTensors;
      const r = await trainLinearProbe(separableSet(1200, 8, 3, 1), separableSet(400, 8, 3, 2), { learningRate: 1e-2, maxEpochs: 15 });
      assert.equal(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
      const test = separableSet(600, 8, 3, 3);
      return { r, auroc: evaluateMultilabel(test.labels, r.probe.predictLogits(test.features), 3, r.probe.labelNames, { bootstrap: 0 }).macroAuroc };
    };
    const w = await probe("wasm");
    const g = await probe("webgpu");
    assert.ok(g.auroc > 0.99, `macro AUROC ${g.auroc}`);
    assert.equal(g.r.bestEpoch, w.r.bestEpoch);
    assert.ok(Math.abs(g.auroc - w.auroc) < 1e-3, `macro AUROC ${g.auroc} on webgpu, ${w.auroc} on wasm`);
  });

  it("AddN over more inputs than a shader can bind (the gradient norm's sum) is exact", async (t) => {
    if (!(await useWebgpu(t))) return;
    // more than two groups on this device (15 inputs a shader in compatibility mode; more on a GPU)
    const limit = (tf.backend() as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } } }).device.limits.maxStorageBuffersPerShaderStage;
    const n = 2 * limit + 3;
    const terms = Array.from({ length: n }, (_, i) => tf.fill([3], i + 1));
    const sum = tf.addN(terms);
    assert.deepEqual(Array.from(await sum.data()), Array(3).fill((n * (n + 1)) / 2));
    tf.dispose([...terms, sum]);
  });

  it("a failed GPU command (here an invalid buffer) makes every later read throw, naming the error", async (t) => {
    if (!(await useWebgpu(t))) return;
    // in a child process: the failure is sticky, as it must be (every result after it is unreliable)
    const script = `import * as tf from "@tensorflow/tfjs-core"; import { initBackend } from "./src/backend/index.js";
      await initBackend({ force: "webgpu", quiet: true });
      const x = tf.ones([4]); console.log("before", Array.from(await x.data()).join(","));
      tf.backend().device.createBuffer({ size: 7, usage: 0xffff });
      for (const i of [1, 2]) try { await tf.add(x, i).data(); console.log("no error"); } catch (e) { console.log("read", i, e.message); }`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^before 1,1,1,1$/m);
    assert.doesNotMatch(r.stdout, /no error/);
    for (const i of [1, 2]) assert.match(r.stdout, new RegExp(`^read ${i} webgpu: a GPU command failed, so every result since is unreliable: .*BufferUsage`, "m"));
  });

  it("a synchronous read (trainStep, save) throws an error that names the asynchronous API and leaks nothing; saveAsync works", async (t) => {
    if (!(await useWebgpu(t))) return;
    const cfg = msnConfig("test");
    const model = new MultimodalMSN(cfg);
    const batch = syntheticBatch(cfg, 2);
    const before = tf.memory().numTensors;
    assert.throws(() => model.trainStep(batch), /cannot read GPU data synchronously.*trainStepAsync/);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(model.step, 0, "the failed step did not count");
    const r = await model.trainStepAsync(batch);
    assert.ok(Number.isFinite(r.loss));
    assert.throws(() => model.save(join(tmpdir(), "never")), /cannot read GPU data synchronously.*saveAsync/);
    const n = tf.memory().numTensors;
    const dir = join(mkdtempSync(join(tmpdir(), "mmsn-webgpu-save-")), "ckpt");
    await model.saveAsync(dir);
    assert.equal(tf.memory().numTensors, n, "saveAsync is tensor-neutral");
    const back = MultimodalMSN.load(dir);
    assert.equal(back.step, 1);
    back.dispose();
    disposeBatch(batch);
    model.dispose();
  });
});
