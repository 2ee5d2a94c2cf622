/**
 * MSN views on worker threads (`msnBatches({ workers })`, ViewPool): batches are bit-identical for 0, 1 and 2
 * workers (views depend only on seed, epoch and image), bad images are still skipped and counted, tensors are
 * not leaked, and a stream stopped early leaves no worker holding the process (checked in a child process).
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { before, describe, it } from "node:test";
import { disposeBatch } from "../../src/types/batch.js";
import {
  datasetSource,
  deriveSeed,
  IMAGENET_NORMALIZATION,
  msnBatches,
  readGrayImage,
  type ImageSource,
} from "../../data-loaders/index.js";
import { writeMsnViews, type MsnViewParams } from "../../data-loaders/msn_views.js";
import { sharedViewArrays, ViewPool } from "../../data-loaders/view_pool.js";
import { NIH, NIH_SAMPLE_IDS, nihSamples, REPO_ROOT } from "./helpers.js";


before(async () => {
  await tf.setBackend("cpu");
});

/** Every value of every batch of a stream (and the skip count), disposing as it goes. */
async function collect(src: ImageSource, workers: number): Promise<{ data: Float32Array[]; skipped: number; batches: number }> {
  const start = tf.memory().numTensors;
  const matrix = Float32Array.from({ length: src.length * 2 }, (_, i) => i);
  const stream = msnBatches(src, { batchSize: 3, seed: 11, epochs: 2, workers, views: { focalViews: 2 }, ehr: { matrix, dim: 2 } });
  const data: Float32Array[] = [];
  let batches = 0;
  for await (const b of stream) {
    data.push(b.target.dataSync() as Float32Array, b.anchors.dataSync() as Float32Array, b.focal.dataSync() as Float32Array, b.ehr!.dataSync() as Float32Array);
    disposeBatch(b);
    batches++;
  }
  assert.equal(tf.memory().numTensors, start);
  return { data, skipped: stream.report.total("unreadable image"), batches };
}

describe("views on worker threads", () => {
  it("batches are bit-identical for 0, 1 and 2 workers, with a bad image replaced and counted once", async () => {
    const good = datasetSource(nihSamples(), { shortSide: 256 });
    const src: ImageSource = {
      length: 10,
      read: (i) => (i === 6 ? readGrayImage(path.join(NIH, "images/missing.png")) : good.read(i > 6 ? i - 1 : i)),
      describe: (i) => `image ${i}`,
    };
    const inline = await collect(src, 0);
    assert.equal(inline.batches, 6); // 10 images per epoch (one unreadable: its slot is refilled), batch 3, 2 epochs
    assert.equal(inline.skipped, 1); // counted once per stream, not once per epoch
    for (const workers of [1, 2]) {
      const r = await collect(src, workers);
      assert.equal(r.batches, inline.batches);
      assert.equal(r.skipped, inline.skipped);
      r.data.forEach((a, k) => assert.deepEqual(a, inline.data[k], `workers ${workers}: array ${k} differs`));
    }
  });

  it("ViewPool writes what writeMsnViews writes, rejects after close, and validates its size", async () => {
    const img = await readGrayImage(path.join(NIH, "images", NIH_SAMPLE_IDS[0]!), { shortSide: 128 });
    const p: MsnViewParams = { randSize: 32, focalSize: 16, randViews: 1, focalViews: 3, randScale: [0.3, 1], focalScale: [0.05, 0.3], flipP: 0.5, channels: 3, norm: IMAGENET_NORMALIZATION };
    const ref = sharedViewArrays(p, 2);
    for (let b = 0; b < 2; b++) writeMsnViews(img, deriveSeed(1, b), p, ref, b, 2);
    const pool = new ViewPool(2, p);
    const out = sharedViewArrays(p, 2);
    try {
      await Promise.all([0, 1].map((b) => pool.run(img, deriveSeed(1, b), out, b, 2)));
    } finally {
      await pool.close();
    }
    assert.deepEqual(out, ref);
    await assert.rejects(pool.run(img, 1, out, 0, 2), /closed/);
    await pool.close(); // twice is fine
    assert.throws(() => new ViewPool(0, p), /size/);
    assert.throws(() => msnBatches({ length: 1, read: async () => img } as ImageSource, { batchSize: 1, workers: -1 }), /workers/);
  });

  it("a stream stopped early, or never finished, leaves no worker holding the process", () => {
    const script = `
      import { msnBatches } from ${JSON.stringify(path.join(REPO_ROOT, "data-loaders/index.ts"))};
      import "@tensorflow/tfjs-backend-cpu";
      import * as tf from "@tensorflow/tfjs-core";
      await tf.setBackend("cpu");
      const img = { width: 64, height: 64, data: new Uint8Array(64 * 64).fill(9), bitDepth: 8 };
      const src = { length: 40, read: async () => img };
      const opts = { batchSize: 4, workers: 2, views: { randSize: 16, focalSize: 8, focalViews: 1 } };
      for await (const b of msnBatches(src, opts)) { tf.dispose([b.target, b.anchors, b.focal]); break; }
      const it = msnBatches(src, opts)[Symbol.asyncIterator]();
      const first = await it.next();
      tf.dispose([first.value.target, first.value.anchors, first.value.focal]);
      console.log("done");
    `;
    // A hang detector, not a speed check: the child must exit by itself (workers unref'd when idle).
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.signal, null, `child did not exit by itself: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done/);
  });
});
