/**
 * The native backend's per-op-overhead paths: the multi-parameter kernels (EMA, Σ‖g‖², AdamW over a parameter
 * list in one dispatch) give bitwise the per-parameter ops' results, and the block-level custom gradient of a
 * ViT block (src/nn/ops.ts transformerBlock) matches the op-by-op block, value and every gradient, within 1e-5.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../src/backend/index.js";
import { registerNativeBackend } from "../../src/backend/native/backend.js";
import { MULTI, multiAdamW, multiEma, multiSumOfSquares } from "../../src/backend/multi_ops.js";
import { type BlockParams, gelu, layerNorm, linear, multiHeadAttention, transformerBlock } from "../../src/nn/ops.js";
import { Rng } from "../../src/utils/rng.js";

let skip = "";
const rng = new Rng(7);
const rand = (shape: number[], s = 1) => tf.tensor(rng.uniformArray(shape.reduce((a, b) => a * b, 1), -s, s), shape, "float32");
const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe("native backend: multi-parameter kernels and the fused block gradient", () => {
  before(async () => {
    try {
      registerNativeBackend();
      await initBackend({ force: "native", quiet: true });
    } catch (e) {
      skip = `SKIPPED LOUDLY: native backend not available: ${(e as Error).message}`;
      if (process.env.CI === "true") assert.fail(skip);
      console.error(skip);
    }
  });

  it("EMA, Σ‖g‖² and AdamW over a list: bitwise the per-parameter ops, one dispatch each", (t) => {
    if (skip) return t.skip(skip);
    const shapes = [[3, 5], [7], [], [40000], [2, 3, 4]];
    tf.tidy(() => {
      const a = shapes.map((s) => rand(s));
      const b = shapes.map((s) => rand(s));
      const ema = multiEma(a, b, 0.996);
      a.forEach((x, i) => assert.deepEqual(bits(ema[i]!), bits(tf.add(tf.mul(x, 0.996), tf.mul(b[i]!, 1 - 0.996))), `EMA ${i}`));
      const ss = multiSumOfSquares(b);
      assert.deepEqual(ss.shape, []);
      assert.deepEqual(bits(ss), bits(tf.addN(b.map((g) => tf.sum(tf.square(g))))));
      const m = shapes.map((s) => rand(s, 0.1));
      const v = shapes.map((s) => tf.abs(rand(s, 0.01)));
      const decays = shapes.map((_, i) => (i % 2 ? 1 : 0.99));
      const attrs = { b1: 0.9, b2: 0.999, gscale: 0.5, invBc2Sqrt: 3.1, eps: 1e-8, lrBc1: 0.01 };
      const out = multiAdamW(a, m, v, b, decays, attrs);
      a.forEach((p, i) => {
        const one = tf.engine().runKernel("MmsnAdamW", { p, m: m[i]!, v: v[i]!, g: b[i]! }, { ...attrs, decay: decays[i]! }) as tf.Tensor[];
        for (let j = 0; j < 3; j++) assert.deepEqual(bits(out[3 * i + j]!), bits(one[j]!), `AdamW ${i}.${j}`);
      });
    });
    assert.ok(tf.getKernel(MULTI.Ema, "native"));
  });

  for (const qkvBias of [true, false]) {
    it(`transformerBlock (qkvBias ${qkvBias}): value and gradients match the op-by-op block within 1e-5`, (t) => {
      if (skip) return t.skip(skip);
      const before = tf.memory().numTensors;
      const [batch, tokens, d, heads, hidden] = [3, 5, 8, 2, 16];
      tf.tidy(() => {
        const x = rand([batch * tokens, d]) as tf.Tensor2D;
        const p: BlockParams = {
          ln1g: rand([d]) as tf.Tensor1D, ln1b: rand([d]) as tf.Tensor1D,
          wq: rand([d, d], 0.5) as tf.Tensor2D, wk: rand([d, d], 0.5) as tf.Tensor2D, wv: rand([d, d], 0.5) as tf.Tensor2D,
          ...(qkvBias ? { bq: rand([d]) as tf.Tensor1D, bk: rand([d]) as tf.Tensor1D, bv: rand([d]) as tf.Tensor1D } : {}),
          wp: rand([d, d], 0.5) as tf.Tensor2D, bp: rand([d]) as tf.Tensor1D,
          ln2g: rand([d]) as tf.Tensor1D, ln2b: rand([d]) as tf.Tensor1D,
          w1: rand([d, hidden], 0.5) as tf.Tensor2D, b1: rand([hidden]) as tf.Tensor1D, w2: rand([hidden, d], 0.5) as tf.Tensor2D, b2: rand([d]) as tf.Tensor1D,
        };
        const eps = 1e-6;
        const reference = (xx: tf.Tensor2D, q: BlockParams) => {
          const h = layerNorm(xx, q.ln1g, q.ln1b, eps);
          const o = multiHeadAttention(linear(h, q.wq, q.bq), linear(h, q.wk, q.bk), linear(h, q.wv, q.bv), batch, heads);
          const x1 = tf.add(xx, linear(o, q.wp, q.bp)) as tf.Tensor2D;
          const h2 = layerNorm(x1, q.ln2g, q.ln2b, eps);
          return tf.add(x1, linear(gelu(linear(h2, q.w1, q.b1)), q.w2, q.b2)) as tf.Tensor2D;
        };
        const keys = Object.keys(p) as (keyof BlockParams)[];
        const dy = rand([batch * tokens, d]);
        const loss = (block: typeof reference) => (...xs: tf.Tensor[]) => {
          const q = Object.fromEntries(keys.map((k, i) => [k, xs[i + 1]])) as unknown as BlockParams;
          return tf.sum(tf.mul(block(xs[0] as tf.Tensor2D, q), dy));
        };
        const inputs = [x, ...keys.map((k) => p[k]!)];
        const fused = tf.grads(loss((xx, q) => transformerBlock(xx, q, batch, heads, eps)))(inputs);
        const ref = tf.grads(loss(reference))(inputs);
        assert.equal(fused.length, ref.length);
        const close = (a: tf.Tensor, b: tf.Tensor, what: string) => {
          const av = a.dataSync();
          const bv = b.dataSync();
          assert.deepEqual(a.shape, b.shape, what);
          for (let i = 0; i < av.length; i++) assert.ok(Math.abs(av[i]! - bv[i]!) <= 1e-5 * (1 + Math.abs(bv[i]!)), `${what}[${i}]: ${av[i]} vs ${bv[i]}`);
        };
        close(transformerBlock(x, p, batch, heads, eps), reference(x, p), "value");
        fused.forEach((g, i) => close(g, ref[i]!, i === 0 ? "dx" : `d${keys[i - 1]}`));
      });
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    });
  }
});
