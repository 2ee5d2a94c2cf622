/**
 * MSN views, evaluation transforms and batch iterators. The resampler is cross-checked with Pillow's
 * BILINEAR resize (computed live); batches are checked for shapes, determinism, prefetching, bad images and
 * tensor ownership (tf.memory().numTensors returns to its start value).
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import path from "node:path";
import { before, describe, it } from "node:test";
import { disposeBatch } from "../../src/types/batch.js";
import {
  datasetSource,
  EVAL_NORMALIZATION,
  evalBatches,
  evalTransform,
  IMAGENET_NORMALIZATION,
  makeRng,
  msnBatches,
  randomResizedCropBox,
  readGrayImage,
  resampleBox,
  trainAffineTransform,
  type GrayImage,
  type ImageSource,
} from "../../data-loaders/index.js";
import { requirePython } from "../helpers/python.js";
import { NIH, nihSamples, pythonJson } from "./helpers.js";

const IMG = path.join(NIH, "images/00000001_000.png");

before(async () => {
  await tf.setBackend("cpu");
});

describe("views", () => {
  it("RandomResizedCrop boxes: area in scale range, inside the image, seeded", () => {
    const rng = makeRng(3);
    for (let k = 0; k < 200; k++) {
      const b = randomResizedCropBox(rng, 300, 200, [0.05, 0.3]);
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= 300 && b.y + b.h <= 200);
      const a = (b.w * b.h) / (300 * 200);
      assert.ok(a > 0.04 && a < 0.32, `area ${a}`);
    }
    assert.deepEqual(randomResizedCropBox(makeRng(9), 256, 256, [0.3, 1]), randomResizedCropBox(makeRng(9), 256, 256, [0.3, 1]));
  });

  it("resampler: identity is exact; a 1024→224 downsample matches Pillow BILINEAR", async (t) => {
    const img = await readGrayImage(IMG);
    const id = resampleBox(img.data, 1024, 1024, { x: 0, y: 0, w: 1024, h: 1024 }, 1024, 1024, false);
    assert.ok(id.every((v, i) => Math.abs(v - img.data[i]!) < 1e-3));
    const py = requirePython(t, ["PIL", "numpy"], ["python3-pil", "python3-numpy"]);
    if (!py) return;
    const ref = pythonJson<number[]>(py, "loaders_pil_resize.py", [IMG, "224", "224"]);
    const ours = resampleBox(img.data, 1024, 1024, { x: 0, y: 0, w: 1024, h: 1024 }, 224, 224, false);
    let maxD = 0;
    let sumD = 0;
    ours.forEach((v, i) => {
      const d = Math.abs(Math.round(v) - ref[i]!);
      maxD = Math.max(maxD, d);
      sumD += d;
    });
    t.diagnostic(`vs Pillow: max |diff| ${maxD}, mean ${(sumD / ours.length).toFixed(3)} grey levels`);
    assert.ok(maxD <= 2 && sumD / ours.length < 0.5);
  });

  it("normalisation: paper (3 channels, ImageNet) and the grayscale option", () => {
    const white: GrayImage = { width: 300, height: 260, data: new Uint8Array(300 * 260).fill(255), bitDepth: 8 };
    const x3 = evalTransform(white, { norm: IMAGENET_NORMALIZATION });
    assert.equal(x3.length, 224 * 224 * 3);
    [0, 1, 2].forEach((c) => assert.ok(Math.abs(x3[c]! - (1 - IMAGENET_NORMALIZATION.mean[c]!) / IMAGENET_NORMALIZATION.std[c]!) < 1e-5));
    const x1 = evalTransform(white, { channels: 1 });
    assert.equal(x1.length, 224 * 224);
    const m = EVAL_NORMALIZATION.mean.reduce((a, b) => a + b) / 3;
    const s = EVAL_NORMALIZATION.std.reduce((a, b) => a + b) / 3;
    assert.ok(Math.abs(x1[0]! - (1 - m) / s) < 1e-5);
    const a = trainAffineTransform(white, makeRng(1));
    const b = trainAffineTransform(white, makeRng(1));
    assert.deepEqual(a, b);
    // Rotation leaves fill-0 corners on some draws; the centre pixel is always inside.
    const c = (112 * 224 + 112) * 3;
    assert.ok(Math.abs(a[c]! - (1 - EVAL_NORMALIZATION.mean[0]) / EVAL_NORMALIZATION.std[0]) < 1e-5);
  });
});

describe("batches", () => {
  it("MSN batches: shapes (view-major), EHR rows, determinism, and no leaked tensors", async () => {
    const ds = nihSamples();
    const ehrDim = 3;
    const matrix = Float32Array.from({ length: ds.length * ehrDim }, (_, i) => i);
    const run = async () => {
      const start = tf.memory().numTensors;
      const firsts: number[] = [];
      const stream = msnBatches(datasetSource(ds, { shortSide: 256 }), { batchSize: 4, seed: 5, views: { focalViews: 3 }, ehr: { matrix, dim: ehrDim } });
      let n = 0;
      for await (const b of stream) {
        assert.deepEqual(b.target.shape, [4, 224, 224, 3]);
        assert.deepEqual(b.anchors.shape, [4, 224, 224, 3]);
        assert.deepEqual(b.focal.shape, [12, 96, 96, 3]);
        assert.deepEqual(b.ehr!.shape, [4, 3]);
        const e = b.ehr!.dataSync();
        for (let r = 0; r < 4; r++) assert.equal(e[r * 3 + 1]! - e[r * 3]!, 1);
        firsts.push(b.target.dataSync()[1000]!, b.focal.dataSync()[5000]!);
        disposeBatch(b);
        n++;
      }
      assert.equal(n, 2); // 9 images, batch 4, drop_last
      assert.equal(stream.report.kept, 8);
      assert.equal(tf.memory().numTensors, start);
      return firsts;
    };
    assert.deepEqual(await run(), await run());
  });

  it("grayscale option gives C = 1; the paper's defaults give 1 + 1 + 10 views", async () => {
    const ds = nihSamples();
    const start = tf.memory().numTensors;
    for await (const b of msnBatches(datasetSource(ds, { shortSide: 256 }), { batchSize: 2, epochs: 1, views: { channels: 1 } })) {
      assert.deepEqual([b.target.shape, b.anchors.shape, b.focal.shape], [[2, 224, 224, 1], [2, 224, 224, 1], [20, 96, 96, 1]]);
      assert.equal(b.ehr, undefined);
      disposeBatch(b);
      break; // Stopping early must not leak either.
    }
    assert.equal(tf.memory().numTensors, start);
  });

  it("one bad image never stops an epoch: it is skipped, counted and reported", async () => {
    const good = datasetSource(nihSamples(), { shortSide: 128 });
    const src: ImageSource = {
      length: 10,
      read: (i) => (i === 4 ? readGrayImage(path.join(NIH, "images/missing.png")) : good.read(i > 4 ? i - 1 : i)),
      describe: (i) => `image ${i}`,
    };
    const stream = msnBatches(src, { batchSize: 3, shuffle: false, views: { randSize: 32, focalSize: 16, focalViews: 1 } });
    let n = 0;
    for await (const b of stream) {
      assert.equal(b.target.shape[0], 3);
      disposeBatch(b);
      n++;
    }
    assert.equal(n, 3);
    assert.equal(stream.report.total("unreadable image"), 1);
    assert.match(stream.report.examplesOf("unreadable image")[0]!.detail, /image file not found/);
  });

  it("the training plan is fixed: an unreadable image's slot is refilled and no other batch changes", async () => {
    const good = datasetSource(nihSamples(), { shortSide: 128 });
    const readable: ImageSource = { length: 9, read: (i) => good.read(i) };
    const broken: ImageSource = { length: 9, read: (i) => (i === 4 ? readGrayImage(path.join(NIH, "images/missing.png")) : good.read(i)) };
    const targets = async (src: ImageSource) => {
      const out: Float32Array[] = [];
      const stream = msnBatches(src, { batchSize: 2, epochs: 2, views: { randSize: 16, focalSize: 8, focalViews: 1 } });
      for await (const b of stream) {
        out.push(b.target.dataSync() as Float32Array);
        disposeBatch(b);
      }
      return { out, skipped: stream.report.total("unreadable image") };
    };
    const a = await targets(readable);
    const b = await targets(broken);
    assert.equal(b.out.length, a.out.length); // 4 batches per epoch either way: the step ↔ epoch map never shifts
    assert.equal(b.skipped, 1);
    const changed = a.out.map((x, k) => (Buffer.compare(Buffer.from(x.buffer), Buffer.from(b.out[k]!.buffer)) === 0 ? 0 : 1)).reduce((s, v) => s + v, 0);
    assert.equal(changed, 2, "only the batch holding image 4 changes, once per epoch");
  });

  it("prefetches: batches are prepared while the consumer is busy", async () => {
    let reads = 0;
    const img: GrayImage = { width: 64, height: 64, data: new Uint8Array(64 * 64).fill(7), bitDepth: 8 };
    const src: ImageSource = { length: 40, read: async () => (reads++, img) };
    const it = msnBatches(src, { batchSize: 4, prefetch: 3, views: { randSize: 16, focalSize: 8, focalViews: 1 } })[Symbol.asyncIterator]();
    const first = await it.next();
    disposeBatch(first.value!);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(reads >= 12, `only ${reads} images read ahead`);
    await it.return?.(undefined);
  });

  it("evaluation batches: paper transforms, labels with NaN preserved, indices", async () => {
    const ds = nihSamples();
    const start = tf.memory().numTensors;
    const seen: number[] = [];
    for await (const b of evalBatches(ds, { batchSize: 4, decode: { shortSide: 256 } })) {
      assert.deepEqual(b.images.shape.slice(1), [224, 224, 3]);
      assert.deepEqual(b.labels.shape, [b.indices.length, 14]);
      const l = b.labels.dataSync();
      b.indices.forEach((idx, r) => assert.deepEqual(Array.from(l.subarray(r * 14, r * 14 + 14)), Array.from(ds.labels.subarray(idx * 14, idx * 14 + 14))));
      seen.push(...b.indices);
      tf.dispose([b.images, b.labels]);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(tf.memory().numTensors, start);
  });
});
