/** Training behaviour: tensor leaks, learning on a fixed batch, save/load/resume, NaN handling. */
import { checkpointShards } from "../../src/io/checkpoint.js";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../src/backend/index.js";
import { msnConfig } from "../../src/config/msn.js";
import { disposeBatch } from "../../src/types/batch.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { syntheticBatch } from "../helpers/batches.js";

describe("MultimodalMSN training", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("leaks no tensors: numTensors is identical after step 2 and step 20", () => {
    const model = new MultimodalMSN("test", { ehr: { ehrIn: 5 } });
    const batch = syntheticBatch(model.config, 4);
    const counts: number[] = [];
    for (let i = 1; i <= 20; i++) {
      model.trainStep(batch);
      counts.push(tf.memory().numTensors);
    }
    assert.equal(counts[19], counts[1], `numTensors after step 2 = ${counts[1]}, after step 20 = ${counts[19]}`);
    const before = tf.memory().numTensors;
    const f = model.encode(batch.target);
    f.dispose();
    model.gradients(batch).grads.forEach((g) => g.dispose());
    assert.equal(tf.memory().numTensors, before, "encode/gradients are tensor-neutral once their results are disposed");
    disposeBatch(batch);
    model.dispose();
  });

  it("a step reads the device once (loss parts and gradient norm together), and gradients() once", () => {
    const model = new MultimodalMSN("test", { ehr: { ehrIn: 3 }, optimizer: { clipGrad: 0.5 } });
    const batch = syntheticBatch(model.config, 4);
    const engine = tf.engine();
    const readSync = engine.readSync.bind(engine);
    const read = engine.read.bind(engine);
    let reads = 0;
    engine.readSync = (dataId) => (reads++, readSync(dataId));
    engine.read = (dataId) => (reads++, read(dataId));
    try {
      model.trainStep(batch); // warm-up: first-use work stays out of the count
      reads = 0;
      const r = model.trainStep(batch);
      assert.equal(reads, 1, "device reads in one trainStep");
      assert.ok(Number.isFinite(r.loss) && r.gradNorm > 0, `loss ${r.loss}, gradient norm ${r.gradNorm}`);
      reads = 0;
      model.gradients(batch).grads.forEach((g) => g.dispose());
      assert.equal(reads, 1, "device reads in one gradients()");
    } finally {
      engine.readSync = readSync;
      engine.read = read;
      disposeBatch(batch);
      model.dispose();
    }
  });

  it("dispose() frees every tensor the model and its optimizer created", () => {
    const before = tf.memory().numTensors;
    const model = new MultimodalMSN("test", { ehr: { ehrIn: 2 } });
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it("learns: 200 steps on a fixed tiny batch drive the loss down", () => {
    const model = new MultimodalMSN("test", { ehr: { ehrIn: 3 }, optimizer: { lr: { kind: "constant", value: 1e-3 } } });
    const batch = syntheticBatch(model.config, 8, 7);
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) losses.push(model.trainStep(batch).loss);
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-10));
    assert.ok(last < 0.6 * first, `loss went from ${first.toFixed(3)} to ${last.toFixed(3)}`);
    disposeBatch(batch);
    model.dispose();
  });

  it("vanilla MSN (ehrIn 0) trains, and EHR/batch mismatches fail with the field named", () => {
    const vanilla = new MultimodalMSN("test");
    const b = syntheticBatch(vanilla.config, 2);
    assert.ok(Number.isFinite(vanilla.trainStep(b).loss));
    const withEhr = { ...b, ehr: tf.ones([2, 4]) as tf.Tensor2D };
    assert.throws(() => vanilla.trainStep(withEhr), /ehr\.ehrIn is 0.*set ehr\.ehrIn = 4/);
    const mm = new MultimodalMSN("test", { ehr: { ehrIn: 3 } });
    assert.throws(() => mm.trainStep(b), /config\.ehr\.ehrIn is 3 but the batch has no ehr tensor/);
    assert.throws(() => mm.trainStep(withEhr), /batch\.ehr has shape \[2,4\], expected \[2, 3\].*ehrIn/);
    const wrongSize = { ...b, target: tf.zeros([2, 16, 16, 1]) as tf.Tensor4D };
    assert.throws(() => mm.trainStep(wrongSize), /batch\.target has shape \[2,16,16,1\], expected \[B, 32, 32, 1\]/);
    tf.dispose([withEhr.ehr, wrongSize.target]);
    disposeBatch(b);
    vanilla.dispose();
    mm.dispose();
  });

  it("save/load round-trips weights, optimizer state and masks: resumed training is bit-identical", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmsn-ckpt-"));
    const cfg = msnConfig("test", { ehr: { ehrIn: 2 } });
    const batch = syntheticBatch(cfg, 4, 3);
    const a = new MultimodalMSN(cfg);
    for (let i = 0; i < 3; i++) a.trainStep(batch, { stepsPerEpoch: 5 });
    a.save(join(dir, "ckpt"));
    assert.ok(existsSync(join(dir, "ckpt", "config.json")));
    const manifest = JSON.parse(readFileSync(join(dir, "ckpt", "model.json"), "utf8"));
    assert.ok(Array.isArray(manifest.weightsManifest), "tfjs weightsManifest");
    assert.match(manifest.weightsManifest[0].paths[0], /^weights-3-[0-9a-f]{12}\.bin$/);
    assert.ok(existsSync(join(dir, "ckpt", manifest.weightsManifest[0].paths[0])));
    const b = MultimodalMSN.load(join(dir, "ckpt"));
    assert.equal(b.step, 3);
    assert.equal(b.stepsPerEpoch, 5);
    const ra = [a.trainStep(batch), a.trainStep(batch)];
    const rb = [b.trainStep(batch), b.trainStep(batch)];
    assert.deepEqual(rb, ra);
    const fa = a.encode(batch.target);
    const fb = b.encode(batch.target);
    assert.deepEqual(fb.dataSync(), fa.dataSync());
    tf.dispose([fa, fb]);
    a.dispose();
    b.dispose();
    disposeBatch(batch);
  });

  it("a truncated or corrupt checkpoint fails with the file named", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmsn-bad-"));
    const m = new MultimodalMSN("test");
    m.save(join(dir, "c"));
    m.dispose();
    const bin = checkpointShards(join(dir, "c"))[0]!;
    writeFileSync(bin, readFileSync(bin).subarray(0, 100));
    assert.throws(() => MultimodalMSN.load(join(dir, "c")), /weights-0-[0-9a-f]{12}\.bin: 100 bytes but the manifest describes \d+; the checkpoint is truncated or corrupt/);
    writeFileSync(join(dir, "c", "model.json"), "{ not json");
    assert.throws(() => MultimodalMSN.load(join(dir, "c")), /model\.json is not valid JSON/);
    assert.throws(() => MultimodalMSN.load(join(dir, "missing")), /no checkpoint at .*missing/);
  });

  it("a NaN loss stops with a clear message and leaves the weights untouched", () => {
    const m = new MultimodalMSN("test");
    const b = syntheticBatch(m.config, 2);
    const bad = { ...b, anchors: tf.fill(b.anchors.shape, NaN) as tf.Tensor4D };
    const before = m.anchorParams.snapshot();
    assert.throws(() => m.trainStep(bad), /loss is NaN at step 0.*optimizer update was not applied/);
    for (const [n, v] of m.anchorParams.snapshot()) assert.deepEqual(v, before.get(n), n);
    assert.equal(m.step, 0);
    bad.anchors.dispose();
    disposeBatch(b);
    m.dispose();
  });
});

function mean(a: number[]): number {
  return a.reduce((s, x) => s + x, 0) / a.length;
}
