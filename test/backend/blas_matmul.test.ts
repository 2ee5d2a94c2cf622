/** The OpenBLAS BatchMatMul kernel for wasm agrees with a plain JavaScript matMul on every layout. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { currentBackend, initBackend } from "../../src/backend/index.js";
import { Rng } from "../../src/utils/rng.js";
import { skipLoudly } from "../helpers/skip.js";

/** Reference C[b] = op(A[b])·op(B[b]) in float64. */
function reference(a: Float32Array, b: Float32Array, batchA: number, batchB: number, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const batch = Math.max(batchA, batchB);
  const c = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    const oa = (batchA === 1 ? 0 : z) * m * k;
    const ob = (batchB === 1 ? 0 : z) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[oa + (ta ? p * m + i : i * k + p)]! * b[ob + (tb ? j * k + p : p * n + j)]!;
        c[z * m * n + i * n + j] = s;
      }
  }
  return c;
}

describe("OpenBLAS matMul kernel (wasm)", () => {
  before(async () => {
    // this kernel belongs to the wasm backend, whatever the automatic choice is (native where it builds)
    await initBackend({ force: "wasm", quiet: true });
  });

  it("is installed on the wasm backend when the addon is built", (t) => {
    const info = currentBackend()!;
    assert.equal(info.name, "wasm");
    if (!/\+ OpenBLAS matMul \(/.test(info.details)) skipLoudly(t, info.details);
  });

  it("matches a float64 reference for transposes, batches and broadcast batches", () => {
    const rng = new Rng(5);
    const cases: [number, number, number, number, number, boolean, boolean][] = [
      [1, 1, 7, 5, 3, false, false],
      [1, 1, 33, 17, 65, true, false],
      [1, 1, 20, 30, 10, false, true],
      [1, 1, 9, 11, 13, true, true],
      [6, 6, 12, 12, 4, false, true],
      [6, 1, 12, 8, 4, false, false],
      [1, 4, 5, 8, 6, true, false],
    ];
    for (const [bA, bB, m, n, k, ta, tb] of cases) {
      const a = rng.uniformArray(bA * m * k, -1, 1);
      const b = rng.uniformArray(bB * k * n, -1, 1);
      const shapeA = [...(bA > 1 ? [bA] : bB > 1 ? [1] : []), ta ? k : m, ta ? m : k];
      const shapeB = [...(bB > 1 ? [bB] : bA > 1 ? [1] : []), tb ? n : k, tb ? k : n];
      const got = tf.tidy(() => tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), ta, tb).dataSync());
      const want = reference(a, b, bA, bB, m, n, k, ta, tb);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      assert.equal(got.length, want.length);
      assert.ok(worst < 1e-4, `case ${[bA, bB, m, n, k, ta, tb]}: max error ${worst}`);
    }
  });
});
