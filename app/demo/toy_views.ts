/**
 * Generated MSN batches for demos and benchmarks when no dataset is at hand: each "image" is a seeded sum of
 * Gaussian blobs, and its views are random resized crops (with flips) of the same image, so the views share
 * content and MSN has something to learn. An optional EHR vector is derived from the image (blob count and
 * brightness), so it carries signal too.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { MsnConfig } from "../../src/config/msn.js";
import type { MsnBatch } from "../../src/types/batch.js";
import { Rng } from "../../src/utils/rng.js";

/** One image [S, S] as a Float32Array in [−1, 1] plus its EHR-like features. */
function blobImage(rng: Rng, size: number, ehrIn: number): { pixels: Float32Array; ehr: Float32Array } {
  const pixels = new Float32Array(size * size);
  const blobs = 1 + rng.int(5);
  let bright = 0;
  for (let k = 0; k < blobs; k++) {
    const cx = rng.uniform(0.15, 0.85) * size;
    const cy = rng.uniform(0.15, 0.85) * size;
    const r = rng.uniform(0.05, 0.25) * size;
    const a = rng.uniform(0.3, 1);
    bright += a;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r);
        pixels[y * size + x] = pixels[y * size + x]! + a * Math.exp(-d2);
      }
  }
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.tanh(pixels[i]!) * 2 - 1 + 0.05 * rng.normal();
  const ehr = new Float32Array(ehrIn);
  for (let j = 0; j < ehrIn; j++) ehr[j] = j === 0 ? blobs / 5 : j === 1 ? bright / blobs : rng.next();
  return { pixels, ehr };
}

/** Crop boxes [y1, x1, y2, x2] (normalised) with area fraction in `scale`, aspect 3/4–4/3. */
function cropBox(rng: Rng, scale: [number, number]): [number, number, number, number] {
  const area = rng.uniform(scale[0], scale[1]);
  const ratio = Math.exp(rng.uniform(Math.log(3 / 4), Math.log(4 / 3)));
  const w = Math.min(1, Math.sqrt(area * ratio));
  const h = Math.min(1, Math.sqrt(area / ratio));
  const x = rng.uniform(0, 1 - w);
  const y = rng.uniform(0, 1 - h);
  return rng.next() < 0.5 ? [y, x, y + h, x + w] : [y, x + w, y + h, x]; // swapped x = horizontal flip
}

/**
 * An endless seeded stream of toy MSN batches shaped for `config` (target + random anchors at randSize with
 * crop scale 0.3–1, focal views at focalSize with scale 0.05–0.3). Each yielded batch is owned by the
 * consumer, who disposes it (`disposeBatch`). Batch k depends only on (seed, k): `startStep` resumes the
 * stream exactly where a checkpointed run stopped.
 */
export async function* toyBatches(config: MsnConfig, batchSize: number, seed = 0, opts: { pool?: number; startStep?: number } = {}): AsyncGenerator<MsnBatch> {
  const pool = opts.pool ?? 64;
  const poolRng = new Rng(seed);
  const src = config.randSize * 2;
  const ch = config.vit.inChans;
  const images = Array.from({ length: pool }, () => blobImage(poolRng, src, config.ehr.ehrIn));
  for (let step = opts.startStep ?? 0; ; step++) {
    // Each step's batch depends only on (seed, step), so a resumed run sees the same batches.
    const rng = new Rng((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);
    const pick = Array.from({ length: batchSize }, () => rng.int(pool));
    yield tf.tidy(() => {
      const base = tf.tensor4d(Float32Array.from(pick.flatMap((i) => Array.from(images[i]!.pixels))), [batchSize, src, src, 1]);
      const rgb = ch === 3 ? tf.tile(base, [1, 1, 1, 3]) : base; // [B, 2S, 2S, C]
      const views = (n: number, size: number, scale: [number, number]) => {
        if (n === 0) return tf.zeros([0, size, size, ch]) as tf.Tensor4D;
        const boxes: number[][] = [];
        const idx: number[] = [];
        for (let v = 0; v < n; v++) for (let b = 0; b < batchSize; b++) (boxes.push(cropBox(rng, scale)), idx.push(b));
        return tf.image.cropAndResize(rgb, tf.tensor2d(boxes), tf.tensor1d(idx, "int32"), [size, size]); // [n·B, s, s, C]
      };
      const ehr = config.ehr.ehrIn > 0 ? tf.tensor2d(Float32Array.from(pick.flatMap((i) => Array.from(images[i]!.ehr))), [batchSize, config.ehr.ehrIn]) : undefined;
      return {
        target: views(1, config.randSize, [0.3, 1]),
        anchors: views(config.randViews, config.randSize, [0.3, 1]),
        focal: views(config.focalViews, config.focalSize, [0.05, 0.3]),
        ...(ehr ? { ehr } : {}),
      };
    });
  }
}
