/**
 * Train-step throughput of MultimodalMSN against PyTorch on the same machine, in the same run, on the same
 * MSN step (EMA, target branch, masked anchor + focal views with EHR fusion, loss, backward, AdamW), with
 * the FLOP/s each side reaches against the machine's measured FMA peak and its peak RSS per image.
 * PyTorch runs at its best here: OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE unset (the machine exports
 * Haswell, which halves sgemm), torch.set_num_threads(2).
 * A last row runs the paper's batch (ViT-Tiny, 64 images × 1+1+10 views, no encoder chunking) for one
 * step in a child process (its own peak RSS), on the native backend only: tfjs-wasm's 4 GB heap cannot.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs-core";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { currentBackend, initBackend } from "../../src/backend/index.js";
import { type MsnConfig, type MsnOverrides, msnConfig } from "../../src/config/msn.js";
import { disposeBatch } from "../../src/types/batch.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { syntheticBatch } from "../helpers/batches.js";
import { msnStepFlops } from "./flops.js";
import { median, runTorchBench, torchConfig } from "./torch_bench.js";
import type { BenchRow } from "./types.js";

const ROOT = join(import.meta.dirname, "../..");
const PY = "/usr/bin/python3";
/** Measured 2-core AVX-512 FMA peak of the project machine (docs/performance.md#peak). */
const PEAK_GFLOPS = 454;

interface Case {
  readonly name: string;
  readonly preset: string;
  readonly overrides: MsnOverrides;
  readonly batch: number;
  readonly steps: number;
  /** MultimodalMSN.encoderChunk on the wasm backend (0 = whole batch at once); other backends use 0. */
  readonly wasmEncoderChunk?: number;
  readonly note?: string;
}

const TINY: MsnOverrides = { vit: { numHeads: 3, inChans: 1 }, ehr: { ehrIn: 4 } };

const CASES: Case[] = [
  { name: "test preset (32 px, 2×16-px focal)", preset: "test", overrides: { ehr: { ehrIn: 4 } }, batch: 4, steps: 10 },
  { name: "cpu_fast (64 px ViT 6×192, 4×32-px focal)", preset: "cpu_fast", overrides: { ehr: { ehrIn: 4 } }, batch: 16, steps: 4 },
  {
    name: "ViT-Tiny/16 224 px, 1+1+10 views (96-px focal)",
    preset: "cxr_ehr_msn_tiny",
    overrides: TINY,
    batch: 8,
    steps: 3,
    wasmEncoderChunk: 24,
    note: "on wasm: encoderChunk 24 (exact chunked encoder backprop), since the 12-view step at batch 8 exceeds tfjs-wasm's 4 GB heap",
  },
];

const haveTorch = () => {
  if (!existsSync(PY)) return false;
  try {
    execFileSync(PY, ["-c", "import torch"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

interface TorchResult {
  sec: number;
  rssMb: number;
  name: string;
}

function runTorch(cfg: MsnConfig, batch: number, steps: number, warmup = 1): TorchResult {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "2" };
  delete env.OPENBLAS_CORETYPE;
  const autocast = cfg.precision === "bf16" ? "bf16" : "off";
  const r = runTorchBench<{ sec_per_step: number[]; torch: string; threads: number; max_rss_mb: number }>(PY, { ...torchConfig(cfg, batch), steps, warmup, threads: 2, autocast }, env);
  return {
    sec: median(r.sec_per_step),
    rssMb: r.max_rss_mb,
    name: `PyTorch ${r.torch} CPU${autocast === "bf16" ? ', torch.autocast("cpu", bfloat16)' : ""} (${r.threads} threads, OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE unset)`,
  };
}

/** Time `steps` train steps after one warm-up; returns the median seconds and this process's peak RSS. */
function timeSteps(cfg: MsnConfig, batchSize: number, steps: number, encoderChunk: number): { sec: number; rssMb: number } {
  const model = new MultimodalMSN(cfg);
  model.encoderChunk = encoderChunk;
  const batch = syntheticBatch(cfg, batchSize);
  model.trainStep(batch); // warm-up
  const secs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    model.trainStep(batch);
    secs.push((performance.now() - t0) / 1000);
  }
  disposeBatch(batch);
  model.dispose();
  return { sec: median(secs), rssMb: process.resourceUsage().maxRSS / 1024 };
}

const gflops = (flops: number, sec: number) => flops / sec / 1e9;
const perf = (flops: number, sec: number, rssMb: number, b: number) =>
  `${gflops(flops, sec).toFixed(0)} GFLOP/s (${((100 * gflops(flops, sec)) / PEAK_GFLOPS).toFixed(1)}% of ${PEAK_GFLOPS}), peak RSS ${(rssMb / 1024).toFixed(2)} GB (${(rssMb / b).toFixed(0)} MB/img)`;

/** tfjs kernel dispatches (registered kernels and custom-gradient ops) in one train step after a warm-up. */
function kernelCallsPerStep(cfg: MsnConfig, batchSize: number): number {
  const model = new MultimodalMSN(cfg);
  const batch = syntheticBatch(cfg, batchSize);
  model.trainStep(batch);
  const engine = tf.engine() as unknown as { runKernelFunc: (p: unknown) => unknown };
  const orig = engine.runKernelFunc;
  let calls = 0;
  engine.runKernelFunc = (p) => (calls++, orig.call(engine, p));
  try {
    model.trainStep(batch);
  } finally {
    engine.runKernelFunc = orig;
    disposeBatch(batch);
    model.dispose();
  }
  return calls;
}

/** Run every case for this package and for PyTorch; returns one row per case (plus the paper-batch row). */
export async function benchTrainStep(): Promise<BenchRow[]> {
  await initBackend({ quiet: true });
  const backend = currentBackend()!;
  const rows: BenchRow[] = [];
  const torch = haveTorch();
  // Cases run smallest first, so this process's peak RSS after each is that case's peak.
  // BENCH_TRAIN_CASES=test,cpu_fast: only the rows of these presets
  const only = process.env.BENCH_TRAIN_CASES?.split(",");
  for (const k of CASES.filter((c) => !only || only.includes(c.preset))) {
    const cfg = msnConfig(k.preset, k.overrides);
    const flops = msnStepFlops(cfg, k.batch);
    const chunk = backend.name === "wasm" ? (k.wasmEncoderChunk ?? 0) : 0;
    const ours = timeSteps(cfg, k.batch, k.steps, chunk);
    const ref = torch ? runTorch(cfg, k.batch, Math.max(3, k.steps)) : undefined;
    rows.push({
      name: `MSN train step, ${k.name}, batch ${k.batch}`,
      unit: "img/s",
      ours: k.batch / ours.sec,
      reference: ref ? k.batch / ref.sec : NaN,
      referenceName: ref?.name ?? "PyTorch (not installed: apt-get install python3-torch)",
      notes: `ours: tfjs ${backend.name} (${backend.details}); median of ${k.steps} steps after 1 warm-up, ${ours.sec.toFixed(3)} s/step, ` +
        `${(flops / 1e9).toFixed(1)} GFLOP/step, ${perf(flops, ours.sec, ours.rssMb, k.batch)}` +
        (ref ? `; PyTorch ${ref.sec.toFixed(3)} s/step, ${perf(flops, ref.sec, ref.rssMb, k.batch)}` : "") +
        (chunk && k.note ? `; ${k.note}` : "") +
        (k.preset === "test" || k.preset === "cpu_fast" ? `; ${kernelCallsPerStep(cfg, k.batch)} tfjs kernel calls/step (registered kernels + custom-gradient ops)` : ""),
    });
  }
  if (backend.name === "native" && process.env.BENCH_BF16 !== "0") rows.push(...bf16Rows(torch, only));
  if (backend.name === "native") {
    const { nativeBackendReport } = await import("../../src/backend/native/backend.js");
    const last = rows.pop()!;
    rows.push({ ...last, notes: `${last.notes}; ${nativeBackendReport().replace("[mmsn] ", "")}` });
    if (process.env.BENCH_PAPER_BATCH !== "0") rows.push(paperBatchRow(torch));
  }
  return rows;
}

/**
 * bf16 mixed precision (`precision: "bf16"`: bf16 GEMM inputs, fp32 accumulation) against PyTorch's CPU autocast
 * bf16 on the same step, and against our own fp32 step, timed alternately in this run (BENCH_BF16=0 skips them).
 */
function bf16Rows(torch: boolean, only: readonly string[] | undefined): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const k of CASES.filter((c) => c.preset !== "test" && (!only || only.includes(c.preset)))) {
    const fp32 = msnConfig(k.preset, k.overrides);
    const bf16 = msnConfig(k.preset, { ...k.overrides, precision: "bf16" });
    const flops = msnStepFlops(fp32, k.batch);
    // Alternate fp32 and bf16 measurements and keep each side's best median: the machine may be shared.
    let best32 = Infinity, best16 = Infinity, rss = 0;
    for (let round = 0; round < 2; round++) {
      const a = timeSteps(fp32, k.batch, k.steps, 0);
      const b = timeSteps(bf16, k.batch, k.steps, 0);
      best32 = Math.min(best32, a.sec);
      best16 = Math.min(best16, b.sec);
      rss = Math.max(rss, b.rssMb);
    }
    const ref = torch ? runTorch(bf16, k.batch, Math.max(3, k.steps)) : undefined;
    rows.push({
      name: `MSN train step bf16, ${k.name}, batch ${k.batch}`,
      unit: "img/s",
      ours: k.batch / best16,
      reference: ref ? k.batch / ref.sec : NaN,
      referenceName: ref?.name ?? "PyTorch (not installed: apt-get install python3-torch)",
      notes: `ours: precision bf16 (bf16 GEMM inputs, fp32 accumulation and outputs), ${best16.toFixed(3)} s/step, ${perf(flops, best16, rss, k.batch)}; ` +
        `ours bf16 / ours fp32 = ${(best32 / best16).toFixed(2)}× (fp32 ${best32.toFixed(3)} s/step; best median of 2 alternating rounds of ${k.steps} steps)` +
        (ref ? `; PyTorch autocast bf16 ${ref.sec.toFixed(3)} s/step` : ""),
    });
  }
  return rows;
}

/** The paper's batch: ViT-Tiny, 64 × (1+1+10) views, one step after a warm-up, in a child process. */
function paperBatchRow(torch: boolean): BenchRow {
  const b = 64;
  const cfg = msnConfig("cxr_ehr_msn_tiny", TINY);
  const flops = msnStepFlops(cfg, b);
  const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--paper-batch"], { cwd: ROOT, encoding: "utf8", env: process.env });
  const name = `MSN train step, ViT-Tiny/16 224 px, paper batch 64 × (1+1+10) views, no encoder chunking`;
  let ours = NaN;
  let notes: string;
  if (child.status === 0) {
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!) as { sec: number; rssMb: number };
    ours = b / r.sec;
    notes = `ours: 1 step after 1 warm-up, ${r.sec.toFixed(2)} s/step, ${(flops / 1e9).toFixed(0)} GFLOP/step, ${perf(flops, r.sec, r.rssMb, b)}`;
  } else {
    notes = `ours: FAILED (exit ${child.status ?? child.signal}): ${(child.stderr || "").trim().split("\n").slice(-3).join(" | ")}`;
  }
  let ref: TorchResult | undefined;
  if (torch) {
    try {
      ref = runTorch(cfg, b, 1, 1);
      notes += `; PyTorch ${ref.sec.toFixed(2)} s/step, ${perf(flops, ref.sec, ref.rssMb, b)}`;
    } catch (e) {
      notes += `; PyTorch failed: ${(e as Error).message.split("\n")[0]}`;
    }
  }
  return { name, unit: "img/s", ours, reference: ref ? b / ref.sec : NaN, referenceName: ref?.name ?? "PyTorch", notes };
}

// Child process of paperBatchRow: one warm-up and one timed step, printing {sec, rssMb}.
if (process.argv.includes("--paper-batch") && process.argv[1] === fileURLToPath(import.meta.url)) {
  await initBackend({ quiet: true });
  const r = timeSteps(msnConfig("cxr_ehr_msn_tiny", TINY), 64, 1, 0);
  console.log(JSON.stringify(r));
}
