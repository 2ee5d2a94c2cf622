/**
 * The native backend's own SGEMM (native/backend/gemm.cc) against a float64 reference: every transpose
 * combination, edge sizes (1, 7, 17, 63, 64, 65, 197, odd and multi-block K), both the small-product and the
 * blocked code (A read in place, or packed), row strides larger than the matrix, alpha scaling and beta
 * 0 / 1 / other, on every dispatch path this CPU has (avx512, avx2, scalar: the lower ones forced per call,
 * and process-wide through MMSN_GEMM_ISA in a child process); OpenBLAS too where the addon was compiled with it. Then the batched GEMM of the backend (matmul.cc's batch and row /
 * column splits over the OpenMP threads) on each path. Skipped (loudly) only when the addon is not built.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { type GemmIsa, loadNativeAddon, type NativeAddon } from "../../src/backend/native/addon.js";
import { findAddon } from "../../src/utils/find_addon.js";
import { skipLoudly } from "../helpers/skip.js";

const ISAS: GemmIsa[] = ["avx512", "avx2", "scalar"];
const SIZES = [1, 7, 17, 63, 64, 65, 197];
const KS = [1, 7, 17, 63, 64, 65, 197, 259, 513];

let addon: NativeAddon | undefined;
let why = "";

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Case {
  ta: boolean;
  tb: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  /** extra columns of padding in each row stride */
  pad: number;
}

/** Runs `gemm` on the case and checks it against float64: |err| ≤ 1e-5·(Σ|a·b|·|alpha| + |beta·c0|) + 1e-30. */
function check(c: Case, gemm: (a: Float32Array, lda: number, b: Float32Array, ldb: number, out: Float32Array, ldc: number) => void, label: string): void {
  const { ta, tb, m, n, k, alpha, beta, pad } = c;
  const aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
  const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
  const a = values(aRows * lda, 1 + m * 7 + k), b = values(bRows * ldb, 2 + n * 13 + k);
  const c0 = values(m * ldc, 3 + m + n);
  const out = Float32Array.from(c0);
  if (beta === 0) for (let i = 0; i < m; i++) out.fill(NaN, i * ldc, i * ldc + n); // beta 0 must not read C
  gemm(a, lda, b, ldb, out, ldc);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, mag = 0;
      for (let p = 0; p < k; p++) {
        const x = (ta ? a[p * lda + i]! : a[i * lda + p]!) * (tb ? b[j * ldb + p]! : b[p * ldb + j]!);
        s += x;
        mag += Math.abs(x);
      }
      const ref = alpha * s + (beta === 0 ? 0 : beta * c0[i * ldc + j]!);
      const tol = 1e-5 * (mag * Math.abs(alpha) + Math.abs(beta * c0[i * ldc + j]!)) + 1e-30;
      const err = Math.abs(out[i * ldc + j]! - ref);
      if (!(err <= tol)) assert.fail(`${label} ${JSON.stringify(c)}: C[${i},${j}] = ${out[i * ldc + j]} vs ${ref} (tol ${tol})`);
      worst = Math.max(worst, err / (mag + 1e-30));
    }
    // the padding of C is never written
    for (let j = n; j < ldc; j++) assert.equal(out[i * ldc + j], c0[i * ldc + j], `${label} wrote C padding`);
  }
}

/** Edge sizes × all transposes, with alpha / beta / stride variations spread over the cases. */
function cases(): Case[] {
  const out: Case[] = [];
  let v = 0;
  for (const m of SIZES) {
    for (const n of SIZES) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        const k = KS[v % KS.length]!;
        const alpha = [1, 0.125, -1.5][v % 3]!;
        const beta = [0, 0, 1, 0.5][v % 4]!;
        out.push({ ta, tb, m, n, k, alpha, beta, pad: v % 5 === 0 ? 3 : 0 });
        v++;
      }
    }
  }
  // ViT shapes (rows cut down): linear layers at K 192/384/768 and wide N, attention with dh 64, multi-block K.
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    out.push({ ta, tb, m: 211, n: 576, k: 192, alpha: 1, beta: 0, pad: 0 });
    out.push({ ta, tb, m: 133, n: 192, k: 768, alpha: 1, beta: 0, pad: 0 });
    out.push({ ta, tb, m: 401, n: 97, k: 384, alpha: 0.5, beta: 1, pad: 1 });
    out.push({ ta, tb, m: 197, n: 64, k: 197, alpha: 0.125, beta: 0, pad: 0 });
    out.push({ ta, tb, m: 30, n: 40, k: 1024, alpha: 1, beta: 0, pad: 0 }); // 4 KB row stride: A packed, not read in place
  }
  return out;
}

describe("own SGEMM (native/backend/gemm.cc) vs float64", () => {
  before(() => {
    try {
      addon = loadNativeAddon();
    } catch (e) {
      why = (e as Error).message;
    }
  });

  it("reports which GEMM it uses and switches between them", (t) => {
    if (!addon) return skipLoudly(t, `native backend addon not available: ${why}`);
    const i0 = addon.info();
    assert.match(i0.blasCore, /^(own GEMM (avx512|avx2|scalar)|OpenBLAS \S+)$/);
    assert.equal(i0.gemm === "openblas", i0.blasCore.startsWith("OpenBLAS"));
    try {
      assert.equal(addon.setGemm("own", "scalar"), true);
      assert.equal(addon.info().blasCore, "own GEMM scalar");
      assert.equal(addon.setGemm("own", i0.gemmBestIsa), true);
      assert.equal(addon.info().blasCore, `own GEMM ${i0.gemmBestIsa}`);
      assert.equal(addon.setGemm("openblas"), i0.openblas, "openblas is selectable iff compiled in");
      if (i0.openblas) assert.match(addon.info().blasCore, /^OpenBLAS \S+$/);
      assert.equal(addon.setGemm("mkl" as "own"), false);
      assert.equal(addon.setGemm("", "sse9" as GemmIsa), false);
    } finally {
      addon.setGemm(i0.gemm, i0.gemmIsa);
    }
    assert.equal(addon.info().blasCore, i0.blasCore);
  });

  for (const isa of ISAS) {
    it(`${isa} path: ${cases().length} cases (all transposes, edge sizes, strides, alpha, beta)`, (t) => {
      if (!addon) return skipLoudly(t, `native backend addon not available: ${why}`);
      const best = addon.info().gemmBestIsa;
      if (ISAS.indexOf(isa) < ISAS.indexOf(best)) {
        const a = new Float32Array(1), c = new Float32Array(1);
        assert.throws(() => addon!.sgemm(false, false, 1, 1, 1, 1, a, 1, a, 1, 0, c, 1, isa), /does not support/);
        return t.skip(`this CPU has no ${isa} (best: ${best}); the call is refused`);
      }
      for (const c of cases()) check(c, (a, lda, b, ldb, out, ldc) => addon!.sgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, out, ldc, isa), isa);
    });
  }

  it("OpenBLAS path (where compiled in) and the process-wide default agree with float64 too", (t) => {
    if (!addon) return skipLoudly(t, `native backend addon not available: ${why}`);
    const i0 = addon.info();
    const impls = i0.openblas ? (["own", "openblas"] as const) : (["own"] as const);
    try {
      for (const impl of impls) {
        assert.ok(addon.setGemm(impl));
        for (const c of cases().filter((_, i) => i % 3 === 0)) check(c, (a, lda, b, ldb, out, ldc) => addon!.sgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, out, ldc), impl);
      }
    } finally {
      addon.setGemm(i0.gemm, i0.gemmIsa);
    }
  });

  it("k = 0 and empty outputs: C = beta·C, nothing read out of bounds", (t) => {
    if (!addon) return skipLoudly(t, `native backend addon not available: ${why}`);
    const a = new Float32Array(4), b = new Float32Array(4);
    const c = Float32Array.from([1, 2, 3, 4]);
    addon.sgemm(false, false, 2, 2, 0, 1, a, 1, b, 2, 0, c, 2, "scalar");
    assert.deepEqual([...c], [0, 0, 0, 0]);
    const d = Float32Array.from([1, 2, 3, 4]);
    addon.sgemm(true, true, 2, 2, 0, 1, a, 2, b, 1, 1, d, 2);
    assert.deepEqual([...d], [1, 2, 3, 4]);
    addon.sgemm(false, false, 0, 2, 3, 1, a, 3, b, 2, 0, d, 2); // m = 0: no-op
    assert.deepEqual([...d], [1, 2, 3, 4]);
  });

  for (const isa of ISAS) {
    it(`batched GEMM of the backend (batch, broadcast, row/column splits over threads) on ${isa}`, (t) => {
      if (!addon) return skipLoudly(t, `native backend addon not available: ${why}`);
      const i0 = addon.info();
      if (!addon.setGemm("own", isa)) return t.skip(`this CPU has no ${isa}`);
      try {
        // [ta, tb, m, n, k, batch, broadcast B]: the split by rows (m ≥ n), by columns, and over the batch
        for (const [ta, tb, m, n, k, batch, bcast] of [
          [false, false, 300, 40, 65, 1, false], [true, true, 40, 300, 65, 1, false], [false, true, 65, 17, 197, 3, true], [true, false, 17, 64, 197, 5, false],
        ] as const) {
          const a = values(batch * m * k, 11 + m), b = values((bcast ? 1 : batch) * k * n, 12 + n), c = new Float32Array(batch * m * n).fill(NaN);
          addon.batchMatmul(ta, tb, m, n, k, batch, m * k, bcast ? 0 : k * n, a, b, c);
          for (let bi = 0; bi < batch; bi++) {
            const ab = a.subarray(bi * m * k), bb = b.subarray(bcast ? 0 : bi * k * n);
            const want = new Float32Array(m * n);
            addon.sgemm(ta, tb, m, n, k, 1, ab, ta ? m : k, bb, tb ? k : n, 0, want, n, "scalar");
            const got = c.subarray(bi * m * n, (bi + 1) * m * n);
            for (let i = 0; i < m * n; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `${isa} batch ${bi} [${i}]: ${got[i]} vs ${want[i]}`);
          }
        }
      } finally {
        addon.setGemm(i0.gemm, i0.gemmIsa);
      }
    });
  }

  it("MMSN_GEMM_ISA / MMSN_GEMM choose the process-wide GEMM when the addon loads", (t) => {
    if (!addon) return skipLoudly(t, `native backend addon not available: ${why}`);
    const path = process.env.MMSN_NATIVE_ADDON || findAddon("native/build/Release/mmsn_native.node", import.meta.url)!;
    const probe = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ["-e", `console.log(JSON.stringify(require(${JSON.stringify(path)}).info()))`], { env: { ...process.env, ...env }, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as ReturnType<NativeAddon["info"]>;
    };
    assert.equal(probe({ MMSN_GEMM: "own", MMSN_GEMM_ISA: "scalar" }).blasCore, "own GEMM scalar");
    const best = addon.info().gemmBestIsa;
    if (best !== "scalar") assert.equal(probe({ MMSN_GEMM: "own", MMSN_GEMM_ISA: "avx2" }).blasCore, "own GEMM avx2");
    const ob = probe({ MMSN_GEMM: "openblas" });
    assert.equal(ob.gemm, addon.info().openblas ? "openblas" : "own");
  });
});
