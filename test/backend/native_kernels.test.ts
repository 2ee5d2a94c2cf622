/**
 * The native backend's kernels agree with tfjs-backend-cpu (the shared cases of test/helpers/kernel_parity.ts:
 * elementwise, reductions, softmax, transposes, matMul, data movement, fused LayerNorm / GELU / attention,
 * gradients, review regressions); pooled buffers never leak to user code; fallbacks are counted. Skipped
 * (loudly) when the addon is not built.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../src/backend/index.js";
import { nativeBackendReport, nativeFallbackCounts, registerNativeBackend } from "../../src/backend/native/backend.js";
import { kernelParityCases } from "../helpers/kernel_parity.js";

let skip = "";

describe("native backend kernels vs tfjs-backend-cpu", () => {
  before(async () => {
    try {
      registerNativeBackend();
      await initBackend({ force: "native", quiet: true });
    } catch (e) {
      skip = `SKIPPED LOUDLY: native backend not available: ${(e as Error).message}`;
      if (process.env.CI === "true") assert.fail(`${skip} (CI installs g++ and make, so the addon must build)`);
      console.error(skip);
    }
  });

  for (const c of kernelParityCases("native")) {
    it(c.name, (t) => {
      if (skip) return t.skip(skip);
      c.run();
    });
  }

  it("pooled buffers never reach user code: dataSync copies, views are copied before the source is recycled", (t) => {
    if (skip) return t.skip(skip);
    tf.setBackend("native");
    const big = tf.add(tf.ones([256, 256]), 1); // pooled output
    const read = big.dataSync();
    const view = tf.slice(big, [10, 0], [5, 256]); // cpu Slice returns a view; storage copies it
    big.dispose();
    const reuse = tf.mul(tf.ones([256, 256]), 7); // takes the recycled buffer
    assert.equal(read[0], 2);
    assert.ok(view.dataSync().every((v) => v === 2));
    assert.ok(reuse.dataSync().every((v) => v === 7));
    tf.dispose([view, reuse]);
  });

  it("counts cpu fallbacks and reports them", (t) => {
    if (skip) return t.skip(skip);
    tf.setBackend("native");
    const before = nativeFallbackCounts().get("Cumsum") ?? 0;
    tf.tidy(() => tf.cumsum(tf.ones([4])));
    assert.equal(nativeFallbackCounts().get("Cumsum"), before + 1);
    assert.match(nativeBackendReport(), /native backend: \d+ native kernels; cpu \(JavaScript\) fallbacks used: .*Cumsum×\d+/);
  });
});
