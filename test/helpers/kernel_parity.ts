/**
 * Backend-independent kernel parity cases: a backend's kernels agree with tfjs-backend-cpu on random inputs
 * (broadcasting, transposed and batched matMuls, odd shapes, int32 where relevant, sizes large enough to run
 * multithreaded); the fused LayerNorm / GELU / attention kernels agree with the composite ops including
 * gradients; review regressions (matMul batch ranks, concat of mixed storage, clear errors from fused
 * kernels, no tensor left behind by a failed kernel). Used by test/backend/native_kernels.test.ts and
 * cuda_kernels.test.ts; the backend must be registered before a case runs.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { gelu, layerNorm, linear, multiHeadAttention } from "../../src/nn/ops.js";
import { Rng } from "../../src/utils/rng.js";
import { assertClose } from "./golden.js";

/** One parity case: `run` throws (an assertion) on a mismatch. */
export interface KernelParityCase {
  readonly name: string;
  readonly run: () => void;
}

type Inputs = { shape: number[]; values: Float32Array | Int32Array; dtype?: "float32" | "int32" }[];

/**
 * The parity cases for `backend` (a registered tfjs backend name). Each case switches to the cpu backend
 * and back, and leaves `backend` active; every tensor it makes is disposed.
 */
export function kernelParityCases(backend: string): KernelParityCase[] {
  const rng = new Rng(7);
  const rand = (shape: number[], lo = -2, hi = 2) => rng.uniformArray(shape.reduce((a, b) => a * b, 1), lo, hi);

  /** Run `f` on the cpu and on `backend` from the same input arrays; returns both results' data. */
  function both(inputs: Inputs, f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]) {
    const run = (name: string) => {
      tf.setBackend(name);
      return tf.tidy(() => {
        const xs = inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype ?? "float32"));
        const r = f(...xs);
        return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, dtype: t.dtype, data: t.dataSync() }));
      });
    };
    const cpu = run("cpu");
    const nat = run(backend);
    tf.setBackend(backend);
    return { cpu, nat };
  }

  function check(what: string, inputs: Inputs, f: Parameters<typeof both>[1], tol = 1e-5) {
    const { cpu, nat } = both(inputs, f);
    assert.equal(nat.length, cpu.length);
    cpu.forEach((c, i) => {
      assert.deepEqual(nat[i]!.shape, c.shape, `${what}: shape`);
      assert.equal(nat[i]!.dtype, c.dtype, `${what}: dtype`);
      assertClose(nat[i]!.data as Float32Array, c.data as Float32Array, tol, `${backend} ${what}`);
    });
  }

  const f32 = (shape: number[], lo?: number, hi?: number) => ({ shape, values: rand(shape, lo, hi) });

  return [
    {
      name: "binary ops with broadcasting",
      run: () => {
        const pairs: [number[], number[]][] = [[[3, 4], [4]], [[2, 3, 4], [2, 1, 4]], [[5, 1], [1, 6]], [[], [7]], [[2, 3, 1, 5], [3, 4, 1]], [[300, 200], [300, 200]], [[300, 200], [300, 1]], [[1], [2, 1, 3]]];
        const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
          ["add", tf.add], ["sub", tf.sub], ["mul", tf.mul], ["div", tf.div], ["maximum", tf.maximum], ["minimum", tf.minimum], ["squaredDifference", tf.squaredDifference],
        ];
        for (const [sa, sb] of pairs) for (const [name, op] of ops) check(`${name} [${sa}]∘[${sb}]`, [f32(sa), f32(sb, 0.5, 2)], op);
        check("pow", [f32([40, 50], 0.1, 3), f32([50], -2, 2)], tf.pow);
        // int32 falls back to the cpu kernel and stays exact
        check("add int32", [{ shape: [3, 4], values: Int32Array.from({ length: 12 }, (_, i) => i - 5), dtype: "int32" }, { shape: [4], values: Int32Array.of(1, 2, 3, 4), dtype: "int32" }], tf.add, 0);
      },
    },
    {
      name: "unary ops, including multithreaded sizes",
      run: () => {
        const ops: [string, (x: tf.Tensor) => tf.Tensor, number, number][] = [
          ["exp", tf.exp, -3, 3], ["log", tf.log, 0.01, 5], ["sqrt", tf.sqrt, 0, 5], ["rsqrt", tf.rsqrt, 0.1, 5], ["tanh", tf.tanh, -4, 4], ["erf", tf.erf, -3, 3],
          ["neg", tf.neg, -3, 3], ["square", tf.square, -3, 3], ["abs", tf.abs, -3, 3], ["relu", tf.relu, -3, 3], ["sigmoid", tf.sigmoid, -6, 6],
          ["reciprocal", tf.reciprocal, 0.5, 3], ["log1p", tf.log1p, -0.5, 3], ["expm1", tf.expm1, -2, 2], ["sign", tf.sign, -2, 2], ["step", (x) => tf.step(x, 0.3), -2, 2],
        ];
        for (const shape of [[7], [3, 5], [256, 300]]) for (const [name, op, lo, hi] of ops) check(`${name} [${shape}]`, [f32(shape, lo, hi)], op, 2e-6);
      },
    },
    {
      name: "reductions over any axes, with keepDims",
      run: () => {
        const cases: [number[], number | number[] | undefined][] = [[[4, 5, 6], 0], [[4, 5, 6], 1], [[4, 5, 6], 2], [[4, 5, 6], [0, 2]], [[4, 5, 6], undefined], [[4, 5, 6], -1], [[200, 300], 0], [[200, 300], 1], [[9], 0]];
        for (const [shape, axis] of cases)
          for (const keep of [false, true]) {
            check(`sum ${shape} ${axis} ${keep}`, [f32(shape)], (x) => tf.sum(x, axis, keep), 1e-5);
            check(`mean ${shape} ${axis} ${keep}`, [f32(shape)], (x) => tf.mean(x, axis, keep), 1e-5);
            check(`max ${shape} ${axis} ${keep}`, [f32(shape)], (x) => tf.max(x, axis, keep), 0);
            check(`min ${shape} ${axis} ${keep}`, [f32(shape)], (x) => tf.min(x, axis, keep), 0);
          }
        check("prod", [f32([3, 4, 5], 0.5, 1.5)], (x) => tf.prod(x, 1), 1e-5);
      },
    },
    {
      name: "softmax, logSoftmax and transposes (float32 and int32)",
      run: () => {
        for (const shape of [[3, 7], [2, 5, 130], [64, 197]]) {
          check(`softmax ${shape}`, [f32(shape, -8, 8)], (x) => tf.softmax(x), 1e-6);
          check(`logSoftmax ${shape}`, [f32(shape, -8, 8)], (x) => tf.logSoftmax(x), 1e-5);
        }
        const perms: [number[], number[]][] = [[[5, 7], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[2, 3, 4, 5], [0, 2, 1, 3]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[8, 197, 3, 64], [0, 2, 1, 3]], [[2, 1, 3, 2, 2], [4, 3, 2, 1, 0]]];
        for (const [shape, perm] of perms) {
          check(`transpose ${shape} ${perm}`, [f32(shape)], (x) => tf.transpose(x, perm), 0);
          const n = shape.reduce((a, b) => a * b, 1);
          check(`transpose int32 ${shape}`, [{ shape, values: Int32Array.from({ length: n }, (_, i) => i), dtype: "int32" }], (x) => tf.transpose(x, perm), 0);
        }
      },
    },
    {
      name: "matMul: transposes, batches, broadcasting, odd and large shapes; fused matMul",
      run: () => {
        const cases: [number[], number[], boolean, boolean][] = [
          [[3, 4], [4, 5], false, false], [[4, 3], [4, 5], true, false], [[3, 4], [5, 4], false, true], [[4, 3], [5, 4], true, true],
          [[2, 3, 4], [2, 4, 5], false, false], [[6, 7, 5], [6, 9, 5], false, true], [[2, 3, 4, 5], [5, 6], false, false], [[5, 6], [3, 6, 2], false, false],
          [[1, 3, 4], [7, 4, 2], false, false], [[301, 157], [157, 263], false, false], [[157, 301], [157, 263], true, false], [[301, 157], [263, 157], false, true],
          [[3, 300, 40], [3, 40, 300], false, false], [[1, 1], [1, 1], false, false], [[2, 0], [0, 3], false, false],
        ];
        for (const [sa, sb, ta, tb] of cases) check(`matMul [${sa}]${ta ? "ᵀ" : ""}·[${sb}]${tb ? "ᵀ" : ""}`, [f32(sa), f32(sb)], (a, b) => tf.matMul(a, b, ta, tb), 1e-4);
        check("fused matMul + bias + relu", [f32([33, 20]), f32([20, 17]), f32([17])], (a, b, c) => tf.fused.matMul({ a, b, bias: c, activation: "relu" }), 1e-4);
        check("fused matMul transposed + bias", [f32([20, 33]), f32([17, 20]), f32([17])], (a, b, c) => tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias: c }), 1e-4);
      },
    },
    {
      name: "gather, addN, concat/slice/tile fallbacks, and gradients through them",
      run: () => {
        const idx = { shape: [2, 3], values: Int32Array.of(4, 0, 2, 2, 1, 3), dtype: "int32" as const };
        check("gather rows", [f32([5, 6, 3]), idx], (x, i) => tf.gather(x, i), 0);
        check("gather axis 1 (fallback)", [f32([5, 6]), { shape: [2], values: Int32Array.of(5, 1), dtype: "int32" }], (x, i) => tf.gather(x, i, 1), 0);
        check("gather int32", [{ shape: [4, 2], values: Int32Array.from({ length: 8 }, (_, i) => i * 3), dtype: "int32" }, { shape: [3], values: Int32Array.of(3, 3, 0), dtype: "int32" }], (x, i) => tf.gather(x, i), 0);
        check("addN", [f32([40, 50]), f32([40, 50]), f32([40, 50])], (a, b, c) => tf.addN([a, b, c]), 1e-6);
        check("slice/concat/tile", [f32([6, 7])], (x) => tf.concat([tf.slice(x, [1, 2], [3, 4]), tf.tile(tf.slice(x, [0, 0], [1, 4]), [2, 1])], 0), 0);
        check("slice 3-D middle axis, int32", [{ shape: [3, 4, 5], values: Int32Array.from({ length: 60 }, (_, i) => i), dtype: "int32" }], (x) => tf.slice(x, [1, 1, 0], [2, 2, -1]), 0);
        check("split / concat / pad on axis 1 of [4, 9, 6]", [f32([4, 9, 6])], (x) => {
          const [a, b, c] = tf.split(x, [1, 5, 3], 1);
          return [a!, b!, c!, tf.concat([c!, a!, b!], 1), tf.pad(x, [[0, 1], [2, 0], [1, 1]], 0.5)];
    }, 0);
        check("stack on axes 0, 1 and -1, and of scalars", [f32([3, 4]), f32([3, 4]), f32([])], (a, b, c) =>
          [tf.stack([a!, b!]), tf.stack([a!, b!, a!], 1), tf.stack([b!, a!], -1), tf.stack([c!, c!, c!])], 0);
        check("concat + slice gradients (ViT CLS path)", [f32([3, 1, 4]), f32([3, 5, 4])], (c, t) =>
          tf.grads((cc: tf.Tensor, tt: tf.Tensor) => tf.sum(tf.square(tf.slice(tf.concat([cc, tt], 1), [0, 0, 0], [3, 2, 4]))))([c, t]), 1e-6);
        check("grad of a small MLP", [f32([8, 5]), f32([5, 6]), f32([6])], (x, w, b) => tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.tanh(tf.add(tf.matMul(xx, ww), bb))))([x, w, b]), 1e-5);
      },
    },
    {
      name: "fused LayerNorm and GELU (forward and gradients) agree with the composite ops",
      run: () => {
        const ln = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-6), tf.range(0, xx.shape[1]!)));
          return [layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-6), ...tf.grads(f)([x, g, b])];
        };
        check("layerNorm [37, 24] + grads", [f32([37, 24]), f32([24], 0.5, 1.5), f32([24])], ln, 1e-4);
        // Long column sums (dγ over 400 rows) cancel: tfjs-backend-cpu's plain float32 sum is itself off by more
        // than 1e-4 of a small result, so this size is checked against float64, each output scaled by the size
        // of the terms it sums (the float32 error bound of any summation order: GPU trees, Kahan, serial).
        for (const [n, d] of [[400, 192], [1000, 64]] as const) {
          const [x, g, b] = [rand([n, d]), rand([d], 0.5, 1.5), rand([d])];
          const got = tf.tidy(() => ln(tf.tensor2d(x, [n, d]), tf.tensor1d(g), tf.tensor1d(b)).map((t) => t.dataSync() as Float32Array));
          const want = layerNormF64(x, g, b, n, d, 1e-6);
          (["y", "dx", "dgamma", "dbeta"] as const).forEach((k, i) => {
            const { value, scale } = want[k];
            let worst = 0;
            for (let j = 0; j < value.length; j++) worst = Math.max(worst, Math.abs(got[i]![j]! - value[j]!) / Math.max(1, scale[j]!));
            assert.ok(worst <= 1e-5, `${backend} layerNorm [${n}, ${d}] ${k}: error ${worst.toExponential(2)} of the summed terms' size > 1e-5`);
          });
        }
        const ge = (x: tf.Tensor) => [gelu(x), tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(gelu(xx), xx)))(x)];
        check("gelu [33, 17] + grad", [f32([33, 17], -5, 5)], ge, 1e-5);
        check("gelu [300, 200] + grad", [f32([300, 200], -5, 5)], ge, 1e-5);
      },
    },
    {
      name: "fused multi-head attention and fused linear (forward, probabilities, gradients) agree with the composite ops",
      run: () => {
        for (const [b, tk, h, dh] of [[2, 5, 3, 4], [3, 37, 3, 64], [1, 197, 2, 8]] as const) {
          const d = h * dh;
          const qkv = [0, 1, 2].map(() => f32([b * tk, d], -1, 1));
          check(`attention B=${b} T=${tk} H=${h} dh=${dh}`, [...qkv, f32([b * tk, d])], (q, k, v, w) => {
            const probs: tf.Tensor4D[] = [];
            const f = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => tf.sum(tf.mul(multiHeadAttention(qq as tf.Tensor2D, kk as tf.Tensor2D, vv as tf.Tensor2D, b, h, probs), w!));
            const grads = tf.grads(f)([q!, k!, v!]);
            return [multiHeadAttention(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, b, h), probs[0]!, ...grads];
      }, 1e-5);
        }
        check("linear with bias + grads", [f32([29, 13]), f32([13, 7]), f32([7])], (x, w, bb) => [
          linear(x as tf.Tensor2D, w as tf.Tensor2D, bb as tf.Tensor1D),
          ...tf.grads((xx: tf.Tensor, ww: tf.Tensor, bbb: tf.Tensor) => tf.sum(tf.square(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, bbb as tf.Tensor1D))))([x!, w!, bb!]),
        ], 1e-5);
      },
    },
    {
      name: "review regressions: broadcast batch ranks in matMul, concat of mixed storage, clear errors from fused kernels",
      run: () => {
        for (const [sa, sb] of [[[3, 4], [1, 4, 5]], [[1, 1, 3, 4], [2, 4, 5]], [[2, 3, 4], [1, 1, 4, 5]]] as const) {
          check(`matMul output rank [${sa}]·[${sb}]`, [f32([...sa]), f32([...sb])], (a, b) => tf.matMul(a, b), 1e-4);
        }
        // tfjs-backend-cpu's Cast int32 → float32 keeps an Int32Array: concat must not copy its bits into floats
        const ints = { shape: [3], values: new Int32Array([1, 2, -3]), dtype: "int32" as const };
        check("concat(cast int32, float32)", [ints, f32([2])], (i, x) => tf.concat([tf.cast(i!, "float32"), x!]), 0);
        check("concat(float32, cast int32)", [f32([2]), ints], (x, i) => tf.concat([x!, tf.cast(i!, "float32")]), 0);
        tf.setBackend(backend);
        const n = tf.memory().numTensors;
        assert.throws(() => tf.tidy(() => layerNorm(tf.ones([2, 3, 4]) as unknown as tf.Tensor2D, tf.ones([4]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, 1e-6)), /rank 2/);
        assert.throws(() => tf.tidy(() => multiHeadAttention(tf.ones([4, 6]) as tf.Tensor2D, tf.ones([4, 6]) as tf.Tensor2D, tf.ones([4, 6]) as tf.Tensor2D, 2, 4)), /does not split into 4 heads/);
        assert.throws(() => tf.tidy(() => gelu(tf.ones([3], "int32"))), /must be float32/);
        const attn = { batch: 2, heads: 2, scale: 0.5 };
        const qkv = () => ({ q: tf.ones([4, 6]), k: tf.ones([4, 6]), v: tf.ones([4, 6]) });
        assert.throws(() => tf.tidy(() => tf.engine().runKernel("MmsnAttention", { ...qkv(), k: tf.ones([4, 5]) }, attn)), /MmsnAttention: input "k" has shape \[4,5\], expected \[4,6\]/);
        assert.throws(() => tf.tidy(() => tf.engine().runKernel("MmsnAttentionGrad", { ...qkv(), dy: tf.ones([4, 6]), probs: tf.ones([2, 2, 2, 3]) }, attn)), /MmsnAttentionGrad: input "probs" has shape \[2,2,2,3\], expected \[2,2,2,2\]/);
        assert.throws(() => tf.tidy(() => tf.engine().runKernel("MmsnAttentionGrad", { ...qkv(), probs: tf.ones([2, 2, 2, 2]) }, attn)), /input "dy" is missing/);
        // tf.fused.matMul checks the bias itself; the kernel must too (and before it allocates the product)
        const fusedAttrs = { transposeA: false, transposeB: false, activation: "linear" };
        assert.throws(() => tf.tidy(() => tf.engine().runKernel("_FusedMatMul", { a: tf.ones([2, 3]), b: tf.ones([3, 4]), bias: tf.ones([5]) }, fusedAttrs)), /does not broadcast/);
        assert.equal(tf.memory().numTensors, n, "no tensor left behind by a failed kernel");
      },
    },
    // last, so that adding it left the random inputs of the cases above unchanged
    {
      name: "tile over any axes (float32 and int32)",
      run: () => {
        const cases: [number[], number[]][] = [[[3, 4], [2, 3]], [[2, 1, 3], [1, 4, 2]], [[5], [3]], [[2, 3, 1, 2], [2, 1, 3, 1]], [[1, 1, 8], [7, 1, 1]], [[4, 6], [1, 1]]];
        for (const [shape, reps] of cases) check(`tile [${shape}] × [${reps}]`, [f32(shape)], (x) => tf.tile(x, reps), 0);
        check("tile int32 (fallback)", [{ shape: [2, 3], values: Int32Array.of(1, 2, 3, 4, 5, 6), dtype: "int32" }], (x) => tf.tile(x, [2, 2]), 0);
        check("tile gradient", [f32([3, 4])], (x) => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.tile(xx, [2, 3]), tf.range(0, 12))))(x), 1e-6);
      },
    },
    {
      name: "comparisons with broadcasting and ties (bool outputs)",
      run: () => {
        // values on a coarse grid, so that equal pairs occur
        const grid = (shape: number[]) => ({ shape, values: rand(shape, -3, 3).map(Math.round) });
        const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
          ["greater", tf.greater], ["greaterEqual", tf.greaterEqual], ["less", tf.less], ["lessEqual", tf.lessEqual], ["equal", tf.equal], ["notEqual", tf.notEqual],
        ];
        for (const [sa, sb] of [[[40, 30], [40, 30]], [[5, 1, 7], [6, 1]], [[], [9]]] as [number[], number[]][]) {
          for (const [name, op] of ops) check(`${name} [${sa}]∘[${sb}]`, [grid(sa), grid(sb)], op, 0);
        }
        check("where(greaterEqual) mask, as the MSN masks use it", [f32([8, 16]), f32([8, 16])], (x, y) => tf.where(tf.greaterEqual(x!, 0.2), x!, y!), 0);
      },
    },
  ];
}

/**
 * LayerNorm over rows of x [n, d] and its gradients for the loss Σ y·(0, 1, …, d−1), in float64: each output
 * with `scale`, the sum of the absolute values of the terms that make it (so an error can be judged against
 * what float32 summation in any order may lose).
 */
function layerNormF64(x: Float32Array, g: Float32Array, b: Float32Array, n: number, d: number, eps: number) {
  const out = (len: number) => ({ value: new Float64Array(len), scale: new Float64Array(len) });
  const [y, dx, dgamma, dbeta] = [out(n * d), out(n * d), out(d), out(d)];
  for (let i = 0; i < n; i++) {
    const row = Array.from(x.subarray(i * d, (i + 1) * d));
    const mean = row.reduce((a, v) => a + v, 0) / d;
    const rstd = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / d + eps);
    const xhat = row.map((v) => (v - mean) * rstd);
    const gy = xhat.map((_, j) => j * g[j]!); // dL/dxhat = dy·γ with dy_j = j
    const mg = gy.reduce((a, v) => a + v, 0) / d;
    const mgx = gy.reduce((a, v, j) => a + v * xhat[j]!, 0) / d;
    const mgAbs = gy.reduce((a, v) => a + Math.abs(v), 0) / d;
    const mgxAbs = gy.reduce((a, v, j) => a + Math.abs(v * xhat[j]!), 0) / d;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      y.value[k] = xhat[j]! * g[j]! + b[j]!;
      y.scale[k] = Math.abs(xhat[j]! * g[j]!) + Math.abs(b[j]!);
      dx.value[k] = rstd * (gy[j]! - mg - xhat[j]! * mgx);
      dx.scale[k] = rstd * (Math.abs(gy[j]!) + mgAbs + Math.abs(xhat[j]!) * mgxAbs);
      dgamma.value[j]! += j * xhat[j]!;
      dgamma.scale[j]! += Math.abs(j * xhat[j]!);
      dbeta.value[j]! += j;
      dbeta.scale[j]! += j;
    }
  }
  return { y, dx, dgamma, dbeta };
}
