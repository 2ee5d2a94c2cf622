import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "./tf_setup.js";
import { extractFeatures, readFeatureCache } from "../../src/eval/features.js";
import { ProgressReporter, formatDuration } from "../../src/utils/progress.js";
import type { Encoder, LabeledBatch } from "../../src/eval/types.js";

const H = 4;
const C = 1;
const D = 3;
const L = 2;

/** Deterministic batches: image i is filled with value i; labels [i % 2, NaN when i % 3 == 0]. */
function* batches(n: number, bs: number): Generator<LabeledBatch> {
  for (let s = 0; s < n; s += bs) {
    const B = Math.min(bs, n - s);
    const img = new Float32Array(B * H * H * C);
    const labels = new Float32Array(B * L);
    for (let i = 0; i < B; i++) {
      img.fill(s + i, i * H * H * C, (i + 1) * H * H * C);
      labels[i * L] = (s + i) % 2;
      labels[i * L + 1] = (s + i) % 3 === 0 ? NaN : 1;
    }
    yield { images: tf.tensor4d(img, [B, H, H, C]), labels };
  }
}

/** Features of image i: [mean, 2·mean, mean + 1] = [i, 2i, i + 1]; allocates intermediates on purpose. */
const encoder: Encoder = (images) => {
  const m = tf.mean(images, [1, 2, 3]); // [B]
  return tf.stack([m, tf.mul(m, 2), tf.add(m, 1)], 1) as tf.Tensor2D; // [B, 3]
};

const quiet = { write: () => true, isTTY: false };

test("extractFeatures: features and labels in order, batches disposed, no tensor leak", async () => {
  const before = tf.memory().numTensors;
  const f = await extractFeatures(encoder, batches(10, 4), { progress: quiet });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(f.n, 10);
  assert.equal(f.dim, D);
  assert.equal(f.numLabels, L);
  assert.equal(f.fromCache, false);
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(Array.from(f.features.subarray(i * D, (i + 1) * D)), [i, 2 * i, i + 1]);
    assert.equal(f.labels[i * L], i % 2);
    assert.ok(i % 3 === 0 ? Number.isNaN(f.labels[i * L + 1]!) : f.labels[i * L + 1] === 1);
  }
});

test("extractFeatures: disk cache round trip; a hit does not touch the batches", async () => {
  const dir = mkdtempSync(join(tmpdir(), "feat-cache-"));
  try {
    const opts = { cacheDir: dir, cacheKey: "toy.enc.split-test", progress: quiet };
    const a = await extractFeatures(encoder, batches(7, 3), opts);
    assert.ok(existsSync(join(dir, "toy.enc.split-test.f32")));
    const header = JSON.parse(readFileSync(join(dir, "toy.enc.split-test.json"), "utf8"));
    assert.equal(header.n, 7);
    assert.equal(header.dim, D);
    assert.equal(header.numLabels, L);
    assert.equal(header.bytes, 4 * 7 * (D + L));
    let touched = false;
    const never: Iterable<LabeledBatch> = {
      [Symbol.iterator]() {
        touched = true;
        return batches(1, 1);
      },
    };
    const b = await extractFeatures(encoder, never, opts);
    assert.equal(touched, false);
    assert.equal(b.fromCache, true);
    assert.deepEqual(b.features, a.features);
    assert.deepEqual(b.labels, a.labels); // NaN labels survive (deepEqual treats NaN as equal)
    // A truncated binary is detected, never used.
    writeFileSync(join(dir, "toy.enc.split-test.f32"), new Float32Array(3));
    assert.throws(() => readFeatureCache(dir, "toy.enc.split-test"), /12 bytes, header expects 140/);
    assert.equal(readFeatureCache(dir, "missing"), undefined);
    await assert.rejects(extractFeatures(encoder, batches(1, 1), { cacheDir: dir, cacheKey: "../x" }), /cacheKey "..\/x" must match/);
    await assert.rejects(extractFeatures(encoder, batches(1, 1), { cacheDir: dir }), /give both cacheDir and cacheKey/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("extractFeatures: bad encoder output and options are reported; the batch is still disposed", async () => {
  const before = tf.memory().numTensors;
  const bad: Encoder = (images) => tf.reshape(images, [-1, 2]) as tf.Tensor2D;
  await assert.rejects(extractFeatures(bad, batches(2, 2), { progress: quiet }), /encoder returned shape \[16,2\] for 2 images/);
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(extractFeatures(encoder, batches(2, 2), { cache: "x" } as never), /unknown option "cache"; valid options/);
});

test("progress: line-based when not a TTY, in-place redraw on a TTY, throughput and ETA", () => {
  let t = 0;
  const lines: string[] = [];
  const sink = { write: (s: string) => lines.push(s), isTTY: false };
  const p = new ProgressReporter({ label: "feat", total: 100, unit: "img", sink, intervalMs: 1000, now: () => t });
  t = 500;
  p.update(10); // first update prints
  t = 900;
  p.update(10); // within interval: silent
  t = 2000;
  p.update(30);
  p.done();
  assert.equal(lines.length, 3);
  assert.equal(lines[0], "feat: 10/100 img (10.0%) 20.0 img/s ETA 5s\n");
  assert.equal(lines[1], "feat: 50/100 img (50.0%) 25.0 img/s ETA 2s\n");
  assert.match(lines[2]!, /done\n$/);
  const tty: string[] = [];
  const q = new ProgressReporter({ sink: { write: (s: string) => tty.push(s), isTTY: true }, now: () => 1000 });
  q.update(5);
  q.done();
  assert.ok(tty[0]!.startsWith("\r"));
  assert.match(tty[1]!, /^\r5 items .* elapsed \d+s\x1b\[K\n$/);
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(3720), "1h02m");
});
