/**
 * The native backend's GEMM (native/backend/gemm.cc) against OpenBLAS on the shapes of a ViT step, and the
 * MSN train step with each: `npm run bench -- gemm` (or `node --import tsx test/bench/gemm.ts`).
 * GEMM rows: one call on one thread (how matmul.cc / attention.cc call it), GFLOP/s and % of the one-core
 * AVX-512 FMA peak (232 GFLOP/s, ../shared perf notes); "ours" is the own GEMM on the best path of this CPU,
 * "reference" OpenBLAS (OPENBLAS_CORETYPE Haswell upgraded to SkylakeX, as the addon does).
 * Step rows: cpu_fast batch 16 and ViT-Tiny batch 8 steps, own GEMM vs OpenBLAS switched in the same process
 * (addon.setGemm), interleaved step by step and best of N, because other jobs may share the 2 cores.
 * Without OpenBLAS compiled in, the reference columns are n/a. BENCH_GEMM_STEP=0 skips the step rows,
 * BENCH_GEMM_ISAS=1 adds the AVX2 and scalar paths to the notes.
 */
import { fileURLToPath } from "node:url";
import { initBackend } from "../../src/backend/index.js";
import { loadNativeAddon } from "../../src/backend/native/addon.js";
import { msnConfig, type MsnOverrides } from "../../src/config/msn.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { disposeBatch } from "../../src/types/batch.js";
import { syntheticBatch } from "../helpers/batches.js";
import { msnStepFlops } from "./flops.js";
import { printBenchRows } from "./report.js";
import type { BenchRow } from "./types.js";

/** One-core AVX-512 FMA peak, and the 2-core one (docs/performance.md#peak). */
const PEAK_1 = 232;
const PEAK_2 = 454;

/** [name, ta, tb, m, n, k]: ViT-Tiny (D 192, MLP 768, t 197, dh 64) and ViT-S/B widths at batch×tokens rows. */
export const GEMM_SHAPES: ReadonlyArray<readonly [string, boolean, boolean, number, number, number]> = [
  ["qkv fwd 3152×192·192×576", false, false, 3152, 576, 192],
  ["mlp fc1 fwd 3152×192·192×768", false, false, 3152, 768, 192],
  ["mlp fc2 fwd 3152×768·768×192", false, false, 3152, 192, 768],
  ["fc1 dX 3152×768·(192×768)ᵀ", false, true, 3152, 192, 768],
  ["fc1 dW (3152×192)ᵀ·3152×768", true, false, 192, 768, 3152],
  ["ViT-S fc1 1576×384·384×1536", false, false, 1576, 1536, 384],
  ["ViT-B qkv 1576×768·768×2304", false, false, 1576, 2304, 768],
  ["attn QKᵀ t197 dh64", false, true, 197, 197, 64],
  ["attn PV t197 dh64", false, false, 197, 64, 197],
  ["attn dV=PᵀdO t197", true, false, 197, 64, 197],
  ["attn QKᵀ t17 dh64", false, true, 17, 17, 64],
  ["attn PV t65 dh64", false, false, 65, 64, 65],
  ["square 1024³", false, false, 1024, 1024, 1024],
];

const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

/** Best seconds per call of each variant, run interleaved in `rounds` rounds of ≥ `ms` ms each. */
function interleaved(variants: Array<() => void>, rounds: number, ms: number): number[] {
  const best = variants.map(() => Infinity);
  for (const f of variants) f(); // warm-up (packing buffers, page faults)
  for (let r = 0; r < rounds; r++) {
    variants.forEach((f, i) => {
      let it = 0;
      const t0 = performance.now();
      do {
        f();
        it++;
      } while (performance.now() - t0 < ms);
      best[i] = Math.min(best[i]!, (performance.now() - t0) / 1000 / it);
    });
  }
  return best;
}

export async function benchGemm(): Promise<BenchRow[]> {
  const addon = loadNativeAddon();
  const info = addon.info();
  const isa = info.gemmBestIsa;
  const rows: BenchRow[] = [];
  const extraIsas = process.env.BENCH_GEMM_ISAS === "1" ? (["avx2", "scalar"] as const).filter((x) => x !== isa) : [];
  for (const [name, ta, tb, m, n, k] of GEMM_SHAPES) {
    const a = rand(m * k), b = rand(k * n), c = new Float32Array(m * n);
    const lda = ta ? m : k, ldb = tb ? k : n;
    const own = () => addon.sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n, isa);
    const blas = () => {
      addon.setGemm("openblas");
      addon.sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
    };
    const others = extraIsas.map((x) => () => addon.sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n, x));
    const variants = [own, ...(info.openblas ? [blas] : []), ...others];
    const secs = interleaved(variants, 5, 60);
    addon.setGemm(info.gemm);
    const gf = (s: number) => (2 * m * n * k) / s / 1e9;
    const ownG = gf(secs[0]!);
    const blasG = info.openblas ? gf(secs[1]!) : NaN;
    const extra = extraIsas.map((x, i) => `${x} ${gf(secs[(info.openblas ? 2 : 1) + i]!).toFixed(0)}`).join(", ");
    rows.push({
      name: `GEMM ${name} (${ta ? "T" : "N"}${tb ? "T" : "N"}), 1 thread`,
      unit: "GFLOP/s",
      ours: ownG,
      reference: blasG,
      referenceName: info.openblas ? "OpenBLAS cblas_sgemm, 1 thread" : "OpenBLAS not compiled in",
      notes: `own GEMM ${isa} ${((100 * ownG) / PEAK_1).toFixed(0)}% of the ${PEAK_1} GFLOP/s one-core peak` +
        (info.openblas ? `, OpenBLAS ${((100 * blasG) / PEAK_1).toFixed(0)}%` : "") + (extra ? `; other paths: ${extra}` : "") +
        "; interleaved, best of 5",
    });
  }
  if (process.env.BENCH_GEMM_STEP !== "0") rows.push(...(await benchGemmStep()));
  return rows;
}

const TINY: MsnOverrides = { vit: { numHeads: 3, inChans: 1 }, ehr: { ehrIn: 4 } };
const STEP_CASES = [
  { name: "cpu_fast (64 px ViT 6×192, 4×32-px focal)", preset: "cpu_fast", overrides: { ehr: { ehrIn: 4 } } as MsnOverrides, batch: 16, rounds: 4 },
  { name: "ViT-Tiny/16 224 px, 1+1+10 views (96-px focal)", preset: "cxr_ehr_msn_tiny", overrides: TINY, batch: 8, rounds: 3 },
];

/** MSN train steps with the own GEMM and with OpenBLAS, alternating step by step; best of `rounds` each. */
export async function benchGemmStep(): Promise<BenchRow[]> {
  await initBackend({ force: "native", quiet: true });
  const addon = loadNativeAddon();
  const info = addon.info();
  const rows: BenchRow[] = [];
  const only = process.env.BENCH_GEMM_STEP_CASES?.split(",");
  for (const k of STEP_CASES) {
    if (only && !only.some((o) => k.preset === o)) continue;
    const cfg = msnConfig(k.preset, k.overrides);
    const flops = msnStepFlops(cfg, k.batch);
    const model = new MultimodalMSN(cfg);
    const batch = syntheticBatch(cfg, k.batch);
    const impls = info.openblas ? (["own", "openblas"] as const) : (["own"] as const);
    const best: Record<string, number> = { own: Infinity, openblas: NaN };
    for (const impl of impls) {
      addon.setGemm(impl);
      model.trainStep(batch); // warm-up on each
    }
    if (info.openblas) best.openblas = Infinity;
    for (let r = 0; r < k.rounds; r++) {
      for (const impl of impls) {
        addon.setGemm(impl);
        const t0 = performance.now();
        model.trainStep(batch);
        best[impl] = Math.min(best[impl]!, (performance.now() - t0) / 1000);
      }
    }
    addon.setGemm(info.gemm);
    disposeBatch(batch);
    model.dispose();
    const g = (s: number) => `${(flops / s / 1e9).toFixed(0)} GFLOP/s (${((100 * flops) / s / 1e9 / PEAK_2).toFixed(1)}% of ${PEAK_2})`;
    rows.push({
      name: `MSN train step (native), ${k.name}, batch ${k.batch}: own GEMM vs OpenBLAS`,
      unit: "img/s",
      ours: k.batch / best.own!,
      reference: k.batch / best.openblas!,
      referenceName: info.openblas ? "the same step with OpenBLAS cblas_sgemm (MMSN_GEMM=openblas)" : "OpenBLAS not compiled in",
      notes: `own GEMM ${info.gemmIsa} ${best.own!.toFixed(3)} s/step, ${g(best.own!)}` +
        (info.openblas ? `; OpenBLAS ${best.openblas!.toFixed(3)} s/step, ${g(best.openblas!)}` : "") +
        `; steps alternate between the two, best of ${k.rounds} each after a warm-up`,
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printBenchRows(await benchGemm());
