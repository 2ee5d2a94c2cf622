/**
 * The cuda backend (the GPU when the addon's probe finds one, else its host reference device): the shared
 * kernel parity cases against tfjs-backend-cpu (test/helpers/kernel_parity.ts), plus storage semantics:
 * readSync copies, Reshape shares the device buffer, int32/bool round-trips and casts, reference counts
 * (no tensor or device buffer left behind by forward + gradients), tensors moved in from and out to another backend,
 * and counted cpu fallbacks. Skipped (loudly; a failure under CI=true) when the addon is not built.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { loadCudaAddon } from "../../src/backend/cuda/addon.js";
import { cudaBackendReport, cudaFallbackCounts } from "../../src/backend/cuda/backend.js";
import { gelu, layerNorm, linear, multiHeadAttention } from "../../src/nn/ops.js";
import { useCudaBackend } from "../helpers/cuda.js";
import { kernelParityCases } from "../helpers/kernel_parity.js";
import { skipLoudly } from "../helpers/skip.js";

let skip = "";
type T = { skip: (msg?: string) => void };
/** True when the test must stop (skipped loudly). */
const skipped = (t: T) => {
  if (!skip) return false;
  skipLoudly(t, skip);
  return true;
};

describe("cuda backend kernels vs tfjs-backend-cpu", () => {
  before(async () => {
    const r = await useCudaBackend();
    if ("skip" in r) skip = r.skip;
    else console.error(`[test] ${r.details}`);
  });

  for (const c of kernelParityCases("cuda")) {
    it(c.name, (t) => {
      if (skipped(t)) return;
      c.run();
    });
  }

  it("dataSync returns a new array each time, never the device buffer", (t) => {
    if (skipped(t)) return;
    tf.setBackend("cuda");
    const x = tf.tensor([1, 2, 3]);
    const a = x.dataSync();
    a[0] = 99;
    const b = x.dataSync();
    assert.notEqual(a, b);
    assert.deepEqual([...b], [1, 2, 3]);
    x.dispose();
  });

  it("Reshape shares storage (no copy, no new buffer); disposing either tensor keeps the other valid", (t) => {
    if (skipped(t)) return;
    tf.setBackend("cuda");
    const addon = loadCudaAddon();
    const buffers0 = addon.memory().buffers;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const buffers1 = addon.memory().buffers;
    const r = tf.reshape(x, [3, 2]);
    assert.equal(r.dataId, x.dataId, "same storage");
    assert.equal(addon.memory().buffers, buffers1, "no new device buffer");
    assert.equal(tf.engine().backend.refCount(x.dataId), 2);
    x.dispose();
    assert.deepEqual(r.arraySync(), [[1, 2], [3, 4], [5, 6]]);
    const y = tf.reshape(r, [6]);
    r.dispose();
    assert.deepEqual([...y.dataSync()], [1, 2, 3, 4, 5, 6]);
    y.dispose();
    assert.equal(addon.memory().buffers, buffers0, "the buffer is freed with its last tensor");
  });

  it("int32 and bool round-trip, and Cast between every pair of float32/int32/bool matches cpu", (t) => {
    if (skipped(t)) return;
    const values = [-2.7, -1, -0.4, 0, 0.5, 1, 3.9, 1e6];
    const dtypes = ["float32", "int32", "bool"] as const;
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const out: Record<string, number[]> = {};
        for (const from of dtypes) {
          const x = tf.cast(tf.tensor(values), from);
          out[`${from}`] = [...x.dataSync()];
          for (const to of dtypes) {
            const y = tf.cast(x, to);
            assert.equal(y.dtype, to);
            out[`${from}→${to}`] = [...y.dataSync()];
          }
        }
        return out;
      });
    };
    const cpu = run("cpu");
    const cuda = run("cuda");
    assert.deepEqual(cuda, cpu);
    tf.setBackend("cuda");
    const i = tf.tensor([5, -7, 2 ** 30], [3], "int32");
    const iv = i.dataSync();
    assert.ok(iv instanceof Int32Array);
    assert.deepEqual([...iv], [5, -7, 2 ** 30]);
    const b = tf.tensor([true, false, true], [3], "bool");
    const bv = b.dataSync();
    assert.ok(bv instanceof Uint8Array);
    assert.deepEqual([...bv], [1, 0, 1]);
    tf.dispose([i, b]);
  });

  it("forward + gradients leave tf.memory().numTensors and the addon's buffers unchanged across repeated calls", (t) => {
    if (skipped(t)) return;
    tf.setBackend("cuda");
    const addon = loadCudaAddon();
    const x = tf.randomUniform([6, 16], -1, 1, "float32", 1) as tf.Tensor2D; // [B·T, D] with B=2, T=3
    const w = tf.randomUniform([16, 16], -1, 1, "float32", 2) as tf.Tensor2D;
    const g = tf.ones([16]) as tf.Tensor1D;
    const bb = tf.zeros([16]) as tf.Tensor1D;
    const step = () =>
      tf.tidy(() => {
        const f = (xx: tf.Tensor, ww: tf.Tensor) => {
          const h = layerNorm(xx as tf.Tensor2D, g, bb, 1e-6); // [6, 16]
          const q = linear(h, ww as tf.Tensor2D, bb); // [6, 16]
          const a = multiHeadAttention(q, q, q, 2, 4); // [6, 16]
          return tf.sum(tf.mul(gelu(a), tf.softmax(a))); // []
        };
        const { value, grads } = tf.valueAndGrads(f)([x, w]);
        return [value.dataSync()[0]!, ...grads.map((d) => tf.sum(tf.abs(d)).dataSync()[0]!)];
      });
    const first = step();
    const n0 = tf.memory().numTensors;
    const m0 = addon.memory();
    for (let i = 0; i < 3; i++) assert.deepEqual(step(), first);
    assert.equal(tf.memory().numTensors, n0);
    const m1 = addon.memory();
    assert.equal(m1.buffers, m0.buffers, "device buffers");
    assert.equal(m1.inUseBytes, m0.inUseBytes, "device bytes in use");
    tf.dispose([x, w, g, bb]);
  });

  it("tensors move in from another backend and out to it (freeing their device buffer)", (t) => {
    if (skipped(t)) return;
    const addon = loadCudaAddon();
    tf.setBackend("cpu");
    const a = tf.tensor([1, 2, 3]);
    tf.setBackend("cuda");
    const buffers0 = addon.memory().buffers;
    const b = tf.add(a, 1); // moves a here: two new device buffers
    assert.deepEqual([...b.dataSync()], [2, 3, 4]);
    assert.equal(addon.memory().buffers, buffers0 + 2);
    tf.setBackend("cpu");
    const c = tf.mul(b, 2); // moves b to the cpu
    assert.deepEqual([...c.dataSync()], [4, 6, 8]);
    assert.equal(addon.memory().buffers, buffers0 + 1, "b's device buffer is freed when it moves out");
    tf.dispose([a, b, c]);
    assert.equal(addon.memory().buffers, buffers0);
    tf.setBackend("cuda");
  });

  it("counts cpu fallbacks and reports them", (t) => {
    if (skipped(t)) return;
    tf.setBackend("cuda");
    const before = cudaFallbackCounts().get("Cumsum") ?? 0;
    const r = tf.tidy(() => [...tf.cumsum(tf.tensor([1, 2, 3, 4])).dataSync()]);
    assert.deepEqual(r, [1, 3, 6, 10]);
    assert.equal(cudaFallbackCounts().get("Cumsum"), before + 1);
    assert.match(cudaBackendReport(), /cuda backend \((cuda|host): .*\): \d+ device kernels; cpu \(JavaScript\) fallbacks used: .*Cumsum×\d+/);
  });
});
