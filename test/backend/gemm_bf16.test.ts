/**
 * The native backend's bf16 GEMM (native/backend/gemm.cc, GemmPrecision::kBf16) against a float64 reference
 * computed on bf16-rounded inputs: with the inputs rounded (nearest even), every product is exact in fp32, so
 * the only error left is fp32 accumulation, bounded here by 4·k·2⁻²⁴ of Σ|aᵢ·bᵢ| (a loose form of the
 * classic k·u bound). Every path: the vdpbf16ps kernel (where the CPU has AVX512-BF16), its emulation on the
 * avx512/avx2/scalar fp32 kernels, the small-product path, both transposes, alpha/beta, odd K, K blocks.
 * Also: the process-wide switch (setPrecision) reaches batchMatmul and is restored, and fp32 stays exact fp32.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type GemmCallPrecision, type GemmIsa, loadNativeAddon, type NativeAddon } from "../../src/backend/native/addon.js";
import { skipLoudly } from "../helpers/skip.js";
import { mulberry32 } from "../helpers/mulberry32.js";

let addon: NativeAddon | undefined;
let why = "";
try {
  addon = loadNativeAddon();
} catch (e) {
  why = (e as Error).message;
}

/** x rounded to bf16 (nearest even) and widened, computed here independently of the addon. */
function bf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const v = u[0]!;
  if ((v & 0x7fffffff) > 0x7f800000) u[0] = (v | 0x400000) & 0xffff0000;
  else u[0] = ((v + 0x7fff + ((v >>> 16) & 1)) & 0xffff0000) >>> 0;
  return f[0]!;
}

function values(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * r() - 1));
}

interface Case { ta: boolean; tb: boolean; m: number; n: number; k: number; alpha: number; beta: number }
const CASES: readonly Case[] = [
  { ta: false, tb: false, m: 100, n: 70, k: 33, alpha: 1, beta: 0 },   // small path on avx512, odd K
  { ta: true, tb: false, m: 37, n: 45, k: 200, alpha: 0.5, beta: 1 }, // small path, accumulate
  { ta: false, tb: true, m: 130, n: 100, k: 1031, alpha: 1, beta: 0 }, // blocked, 3 K blocks, odd K, edge tiles
  { ta: true, tb: true, m: 61, n: 97, k: 77, alpha: -2, beta: 0.5 },  // blocked, both transposed, beta scaling
  { ta: false, tb: false, m: 197, n: 192, k: 192, alpha: 1, beta: 0 }, // ViT-Tiny-like linear
  { ta: true, tb: false, m: 192, n: 576, k: 394, alpha: 1, beta: 0 },  // weight gradient shape
];

const roundAll = (x: Float32Array) => Float64Array.from(x, bf16);
const refCache = new Map<Case, { s: Float64Array; sa: Float64Array }>();

/** max |C − ref| / bound over C, with the fp32 accumulation bound 4·k·2⁻²⁴·(|alpha|·Σ|a·b| + |beta·c0|) + 2⁻²⁴|ref|. */
function check(c: Case, out: Float32Array, a32: Float32Array, b32: Float32Array, c0: Float32Array): number {
  const { ta, tb, m, n, k, alpha, beta } = c;
  if (!refCache.has(c)) {
    const a = roundAll(a32), b = roundAll(b32);
    const lda = ta ? m : k, ldb = tb ? k : n;
    const S = new Float64Array(m * n), SA = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0, sa = 0;
        for (let p = 0; p < k; p++) {
          const x = (ta ? a[p * lda + i]! : a[i * lda + p]!) * (tb ? b[j * ldb + p]! : b[p * ldb + j]!);
          s += x;
          sa += Math.abs(x);
        }
        S[i * n + j] = s;
        SA[i * n + j] = sa;
      }
    }
    refCache.set(c, { s: S, sa: SA });
  }
  const { s: S, sa: SA } = refCache.get(c)!;
  const u = 2 ** -24;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const s = S[i * n + j]!, sa = SA[i * n + j]!;
      const ref = alpha * s + beta * c0[i * n + j]!;
      const bound = 4 * (k + 2) * u * (Math.abs(alpha) * sa + Math.abs(beta * c0[i * n + j]!)) + u * Math.abs(ref) + 1e-30;
      worst = Math.max(worst, Math.abs(out[i * n + j]! - ref) / bound);
    }
  }
  return worst;
}

describe("native bf16 GEMM", () => {
  it("reports its bf16 path and rounds like the reference (nearest even, NaN kept)", (t) => {
    if (!addon) return skipLoudly(t, `native addon not loadable: ${why}`);
    const info = addon.info();
    assert.equal(info.precision, "fp32", "fp32 is the default");
    assert.match(info.bf16Gemm, /^(avx512bf16 \(vdpbf16ps\)|emulated \(bf16 rounding while packing, fp32 (avx512|avx2|scalar) kernel\))$/);
    if (info.avx512bf16 && info.gemmIsa === "avx512" && process.env.MMSN_GEMM_BF16 !== "emulate") assert.match(info.bf16Gemm, /vdpbf16ps/);
    const x = Float32Array.from([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -9, -3.14159, 1e-3, 65504.7, 3.4e38, Infinity, -0, NaN, 1.00390625]);
    const out = new Float32Array(x.length);
    addon.bf16Round(x, out);
    for (let i = 0; i < x.length; i++) assert.ok(Object.is(out[i], bf16(x[i]!)) || (Number.isNaN(out[i]) && Number.isNaN(x[i])), `bf16(${x[i]}) = ${out[i]}, expected ${bf16(x[i]!)}`);
  });

  for (const isa of ["avx512", "avx2", "scalar"] as GemmIsa[]) {
    for (const prec of ["bf16", "bf16-emulated"] as GemmCallPrecision[]) {
      if (prec === "bf16-emulated" && isa !== "avx512") continue; // off avx512, "bf16" is the emulated path already
      it(`${isa} ${prec}: matches float64 on bf16-rounded inputs to fp32 accumulation error`, (t) => {
        if (!addon) return skipLoudly(t, `native addon not loadable: ${why}`);
        const best = addon.info().gemmBestIsa;
        const rank = { scalar: 0, avx2: 1, avx512: 2 } as const;
        if (rank[isa] > rank[best]) return t.skip(`this CPU has no ${isa}`);
        CASES.forEach((c, ci) => {
          const a = values(c.m * c.k, 11 + ci), b = values(c.k * c.n, 23 + ci, 3);
          const c0 = values(c.m * c.n, 37 + ci);
          const out = c0.slice();
          addon!.sgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, c.ta ? c.m : c.k, b, c.tb ? c.k : c.n, c.beta, out, c.n, isa, prec);
          const w = check(c, out, a, b, c0);
          assert.ok(w <= 1, `${JSON.stringify(c)}: error ${w.toFixed(3)}× the fp32 accumulation bound`);
        });
      });
    }
  }

  it("rounds: a bf16 GEMM differs from the fp32 one by bf16 input rounding, not by more", (t) => {
    if (!addon) return skipLoudly(t, `native addon not loadable: ${why}`);
    const m = 64, n = 64, k = 256;
    const a = values(m * k, 5), b = values(k * n, 6);
    const f = new Float32Array(m * n), h = new Float32Array(m * n);
    addon.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, f, n, undefined, "fp32");
    addon.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, h, n, undefined, "bf16");
    let d = 0, s = 0;
    for (let i = 0; i < m * n; i++) {
      d = Math.max(d, Math.abs(f[i]! - h[i]!));
      s = Math.max(s, Math.abs(f[i]!));
    }
    assert.ok(d > 0, "bf16 GEMM identical to fp32: the inputs were not rounded");
    assert.ok(d / s < 2 ** -6, `bf16 vs fp32 relative difference ${d / s}`);
  });

  it("setPrecision switches batchMatmul (threaded) and returns the previous precision", (t) => {
    if (!addon) return skipLoudly(t, `native addon not loadable: ${why}`);
    const m = 300, n = 200, k = 160;
    const a = values(m * k, 7), b = values(k * n, 8);
    const viaSgemm = (p: GemmCallPrecision) => {
      const c = new Float32Array(m * n);
      addon!.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n, undefined, p);
      return c;
    };
    const run = () => {
      const c = new Float32Array(m * n);
      addon!.batchMatmul(false, false, m, n, k, 1, 0, 0, a, b, c);
      return c;
    };
    assert.equal(addon.setPrecision("bf16"), "fp32");
    let bfc: Float32Array;
    try {
      assert.equal(addon.info().precision, "bf16");
      bfc = run();
    } finally {
      assert.equal(addon.setPrecision("fp32"), "bf16");
    }
    const fpc = run();
    assert.deepEqual(fpc, viaSgemm("fp32"), "fp32 batchMatmul is the fp32 GEMM (2 threads split rows: same per-row sums)");
    const ref = viaSgemm("bf16");
    let d = 0;
    for (let i = 0; i < m * n; i++) d = Math.max(d, Math.abs(bfc[i]! - ref[i]!));
    assert.ok(d < 1e-4, `bf16 batchMatmul vs the bf16 GEMM: ${d}`);
    assert.throws(() => addon!.setPrecision("fp16" as "bf16"), /fp32 \| bf16/);
  });
});
