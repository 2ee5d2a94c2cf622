/** app/data.ts: data roots, EHR alignment, pretraining batches and evalBatches → extractFeatures. */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { evalBatches, extractEhrMatrix, loadMimicCxr, selectSplit, type CxrDataset } from "../../data-loaders/index.js";
import { alignEhr, datasetFeatures, ehrColumnShares, labeledBatches, mimicEhr, pretrainBatches, resolveDataRoots, splitFeatures } from "../../app/data.js";
import { msnConfig } from "../../src/config/msn.js";
import { tempDir } from "../data-loaders/helpers.js";

describe("app/data.ts glue on a small synthetic cohort", () => {
  const tmp = tempDir("mmsn-app-data-");
  let roots: Record<string, string | undefined>;
  let mimic: CxrDataset;

  before(async () => {
    const r = await resolveDataRoots(["mimic", "mimicIv"], { synthDir: tmp.dir, synth: { images: 60, imageSize: 64 }, env: {} });
    assert.deepEqual(r.synthetic, ["mimic", "mimicIv"]);
    assert.ok(r.synthReport);
    roots = r.roots;
    mimic = loadMimicCxr({ root: roots.mimic! });
  });
  after(() => tmp.cleanup());

  it("resolveDataRoots: real roots from the environment, the synthetic cohort for the rest, MIMIC pairs checked", async () => {
    assert.ok(existsSync(path.join(roots.mimic!, "mimic-cxr-2.0.0-metadata.csv.gz")));
    assert.ok(existsSync(path.join(roots.mimicIv!, "hosp")));
    const real = await resolveDataRoots(["nih", "mimic", "mimicIv"], { synthDir: tmp.dir, env: { MMSN_NIH14_DIR: "/x/nih", MMSN_MIMIC_DIR: "/x/m", MMSN_MIMIC_IV_DIR: "/x/iv" } });
    assert.deepEqual(real, { roots: { nih: "/x/nih", mimic: "/x/m", mimicIv: "/x/iv" }, synthetic: [] });
    await assert.rejects(resolveDataRoots(["mimic", "mimicIv"], { synthDir: tmp.dir, env: { MMSN_MIMIC_DIR: "/x/m" } }), /both MMSN_MIMIC_DIR and MMSN_MIMIC_IV_DIR/);
  });

  it("alignEhr: EHR rows follow the dataset's images; images without EHR are dropped", () => {
    const train = selectSplit(mimic, "train");
    const ehr = extractEhrMatrix({ mimicIvRoot: roots.mimicIv!, metadata: path.join(roots.mimic!, "mimic-cxr-2.0.0-metadata.csv.gz"), selection: { groups: ["demographic"], age: "norm" } });
    const a = alignEhr(train, ehr);
    assert.equal(a.dim, ehr.columns.length);
    assert.equal(a.dataset.length + a.dropped, train.length);
    assert.equal(a.matrix.length, a.dataset.length * a.dim);
    assert.equal(a.records.length, a.dataset.length);
    const at = new Map(ehr.dicomIds.map((id, i) => [id, i]));
    a.dataset.ids.forEach((id, i) => {
      const r = at.get(id)!;
      assert.deepEqual(Array.from(a.matrix.subarray(i * a.dim, (i + 1) * a.dim)), Array.from(ehr.matrix.subarray(r * a.dim, (r + 1) * a.dim)));
      assert.equal(a.records[i], ehr.records[r]);
    });
    // An image the EHR does not know is dropped.
    const partial = alignEhr(train, { ...ehr, dicomIds: ehr.dicomIds.map((id) => (id === train.ids[0] ? "unknown" : id)) });
    assert.equal(partial.dropped, a.dropped + 1);
    assert.ok(!partial.dataset.ids.includes(train.ids[0]!));
  });

  it("mimicEhr finds the metadata and aligns; ehrColumnShares summarises the columns", () => {
    const train = selectSplit(mimic, "train");
    const a = mimicEhr(train, { mimicRoot: roots.mimic!, mimicIvRoot: roots.mimicIv!, groups: ["demographic", "inpatient"] });
    assert.deepEqual(a.columns, ["male", "female", "age_norm", "alive", "died", "icu", "not_icu"]);
    const shares = ehrColumnShares(a);
    assert.deepEqual(shares.map((s) => s.variable), ["sex", "sex", "age", "mortality", "mortality", "icu", "icu"]);
    assert.ok(Math.abs(shares[0]!.mean + shares[1]!.mean - 1) < 1e-6, "male + female shares sum to 1");
    assert.equal(shares[2]!.oneHot, false);
    assert.ok(shares[2]!.mean > 0 && shares[2]!.mean < 1);
    assert.throws(() => mimicEhr(train, { mimicRoot: tmp.dir, mimicIvRoot: roots.mimicIv!, groups: ["scan"] }), /metadata/);
    assert.throws(() => ehrColumnShares({ matrix: new Float32Array(1), columns: ["bmi"] }), /unknown EHR column "bmi"/);
  });

  it("pretrainBatches: views, batch size and EHR width of the config", async () => {
    const config = msnConfig("test", { ehr: { ehrIn: 2 } });
    const ds = selectSplit(mimic, "train");
    const matrix = Float32Array.from({ length: ds.length * 2 }, (_, i) => i);
    const it = pretrainBatches(ds, config, { ehr: { matrix, dim: 2 }, epochs: 1 })[Symbol.asyncIterator]();
    const b = (await it.next()).value;
    assert.deepEqual(b.target.shape, [config.batchSize, config.randSize, config.randSize, config.vit.inChans]);
    assert.deepEqual(b.focal.shape, [config.batchSize * config.focalViews, config.focalSize, config.focalSize, config.vit.inChans]);
    assert.deepEqual(b.ehr!.shape, [config.batchSize, 2]);
    tf.dispose([b.target, b.anchors, b.focal, b.ehr!]);
    await it.return?.();
  });

  it("labeledBatches: plain labels, resized images, no leaked tensors", async () => {
    const ds = selectSplit(mimic, "test");
    const before = tf.memory().numTensors;
    let n = 0;
    for await (const b of labeledBatches(evalBatches(ds, { batchSize: 8, channels: 1, decode: { shortSide: 128 } }), { size: 32 })) {
      assert.deepEqual(b.images.shape.slice(1), [32, 32, 1]);
      assert.equal(b.labels.length, b.images.shape[0] * ds.labelNames.length);
      n += b.images.shape[0];
      b.images.dispose();
    }
    assert.equal(n, ds.length);
    assert.equal(tf.memory().numTensors, before);
  });

  it("datasetFeatures / splitFeatures: one feature row per image with the dataset's labels", async () => {
    const W = tf.randomNormal([32 * 32, 5], 0, 1, "float32", 1);
    const encoder = (x: tf.Tensor4D) => tf.matMul(tf.reshape(x, [x.shape[0], -1]), W) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const test = selectSplit(mimic, "test");
    const f = await datasetFeatures(encoder, test, { size: 32, channels: 1, batchSize: 16 });
    assert.deepEqual([f.n, f.dim, f.labelNames], [test.length, 5, mimic.labelNames]);
    assert.deepEqual(Array.from(f.labels), Array.from(test.labels));
    const s = await splitFeatures(encoder, mimic, { size: 32, channels: 1 });
    assert.deepEqual([s.train.n, s.val.n, s.test.n], [selectSplit(mimic, "train").length, selectSplit(mimic, "validate").length, test.length]);
    assert.deepEqual(Array.from(s.test.features), Array.from(f.features));
    assert.equal(tf.memory().numTensors, before);
    W.dispose();
  });
});
