/**
 * `npm run bench -- cuda`: the MSN train step of ViT-S/16 (224 px, 1 target + 1 masked anchor + 10 focal
 * 96-px views, EHR fusion, AdamW) on the package's CUDA backend against PyTorch eager on the same GPU, in
 * the same run, with the same fp32-matmul precision (MMSN_CUDA_MATH, default tf32 = PyTorch's "high"), and
 * the FLOP/s each side reaches against the GPU's dense peak, and where our step's time goes (one more step,
 * synchronised after every kernel: test/bench/kernel_profile.ts). PyTorch is the `python3` on the PATH (on the
 * device machine, the one holding PyTorch) or MMSN_TORCH_PYTHON. Another row compares the host cost of one
 * eager op (tfjs dispatch + kernel call vs PyTorch's), which with the kernel calls per step bounds the step
 * time from below whatever the GPU does. The last row runs the step on the webgpu backend (Dawn) when its
 * adapter is a real GPU. Without a CUDA GPU the rows say why and carry no numbers.
 */
import * as tf from "@tensorflow/tfjs-core";
import { CudaBackend, cudaBackendReport } from "../../src/backend/cuda/backend.js";
import { currentBackend, initBackend } from "../../src/backend/index.js";
import { msnConfig } from "../../src/config/msn.js";
import { disposeBatch } from "../../src/types/batch.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { syntheticBatch } from "../helpers/batches.js";
import { msnStepFlops } from "./flops.js";
import { formatKernelProfile, kernelProfile } from "./kernel_profile.js";
import { median, runTorchBench, torchConfig } from "./torch_bench.js";
import type { BenchRow } from "./types.js";

/** The device machine's python3 holds PyTorch (or MMSN_TORCH_PYTHON). */
const TORCH_PYTHON = process.env.MMSN_TORCH_PYTHON ?? "python3";
const PRESET = "cxr_ehr_msn_small";
const OVERRIDES = { ehr: { ehrIn: 4 } } as const;
const BATCHES = (process.env.BENCH_CUDA_BATCHES ?? "16,64").split(",").map(Number);
const STEPS = 5;
const WARMUP = 2;

/** Dense peaks (FLOP/s) from NVIDIA's data sheets, by device name; undefined for other GPUs. */
function peaks(name: string): { fp32: number; tf32: number; bf16: number } | undefined {
  if (/H100.*PCIe/i.test(name)) return { fp32: 51e12, tf32: 378e12, bf16: 756e12 };
  if (/H100|H200/i.test(name)) return { fp32: 67e12, tf32: 495e12, bf16: 989e12 };
  if (/A100/i.test(name)) return { fp32: 19.5e12, tf32: 156e12, bf16: 312e12 };
  return undefined;
}

/**
 * Median seconds per step, the engine kernel calls of one step, and (on the cuda backend, which can
 * synchronise) that step's kernel profile; the profiled step is the one that counts the calls.
 */
async function timeOurs(batchSize: number): Promise<{ sec: number; calls: number; profile?: string }> {
  const cfg = msnConfig(PRESET, OVERRIDES);
  const model = new MultimodalMSN(cfg);
  const batch = syntheticBatch(cfg, batchSize);
  for (let i = 0; i < WARMUP; i++) await model.trainStepAsync(batch);
  const backend = tf.backend();
  const cuda = backend instanceof CudaBackend;
  const p = await kernelProfile(() => model.trainStepAsync(batch), cuda ? () => backend.sync() : undefined);
  const secs: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    await model.trainStepAsync(batch); // resolves to the loss as a number: the step has finished on the GPU
    secs.push((performance.now() - t0) / 1000);
  }
  disposeBatch(batch);
  model.dispose();
  return { sec: median(secs), calls: p.calls, profile: cuda ? formatKernelProfile(p) : undefined };
}

function timeTorch(batch: number, math: string): { sec: number; name: string } {
  const args = { ...torchConfig(msnConfig(PRESET, OVERRIDES), batch), steps: STEPS, warmup: WARMUP, threads: 1, device: "cuda", math };
  const r = runTorchBench<{ sec_per_step: number[]; torch: string; gpu: string }>(TORCH_PYTHON, args);
  return { sec: median(r.sec_per_step), name: `PyTorch ${r.torch} eager on ${r.gpu} (float32 matmul precision: ${math})` };
}

const DISPATCH_OPS = 5000;

/** Host µs per eager op: DISPATCH_OPS dependent adds of 1024 floats ended by one read, after a warm-up. */
function dispatchOurs(): number {
  let x = tf.ones([1024]);
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const y = tf.add(x, x);
      x.dispose();
      x = y;
    }
    x.dataSync();
  };
  run(500);
  const t0 = performance.now();
  run(DISPATCH_OPS);
  x.dispose();
  return ((performance.now() - t0) / DISPATCH_OPS) * 1000;
}

export async function benchCudaStep(): Promise<BenchRow[]> {
  const name = (b: number) => `MSN train step, ViT-S/16 224 px, 1+1+10 views, batch ${b}, CUDA`;
  try {
    await initBackend({ force: "cuda", quiet: true });
  } catch (e) {
    const why = (e as Error).message;
    const rows = BATCHES.map((b) => ({ name: name(b), unit: "img/s", ours: NaN, reference: NaN, referenceName: "PyTorch eager, same GPU", notes: `not run: ${why}` }));
    return [...rows, await webgpuRow(BATCHES[0]!, NaN)];
  }
  const backend = currentBackend()!;
  const math = process.env.MMSN_CUDA_MATH ?? "tf32";
  const peak = peaks(backend.details);
  const rows: BenchRow[] = [];
  let firstTorchSec = NaN; // the webgpu row's reference
  let kernels = 0;
  for (const b of BATCHES) {
    const flops = msnStepFlops(msnConfig(PRESET, OVERRIDES), b);
    const perf = (sec: number) => {
      const tf = flops / sec / 1e12;
      return `${sec.toFixed(3)} s/step, ${tf.toFixed(1)} TFLOP/s` + (peak ? ` (${((100 * tf * 1e12) / peak.tf32).toFixed(1)}% of the ${peak.tf32 / 1e12} TFLOP/s dense TF32 peak, ${((100 * tf * 1e12) / peak.fp32).toFixed(0)}% of fp32 SIMT)` : "");
    };
    let ours = NaN;
    let notes: string;
    try {
      const r = await timeOurs(b);
      ours = r.sec;
      kernels = r.calls;
      notes = `ours: ${backend.details}; median of ${STEPS} steps after ${WARMUP} warm-ups, ${(flops / 1e9).toFixed(0)} GFLOP/step, ${kernels} tfjs kernel calls/step, ${perf(ours)}; ${r.profile}`;
    } catch (e) {
      notes = `ours: FAILED: ${(e as Error).message.split("\n")[0]}`;
    }
    let ref: { sec: number; name: string } | undefined;
    try {
      ref = timeTorch(b, math);
      notes += `; PyTorch ${perf(ref.sec)}`;
    } catch (e) {
      notes += `; PyTorch failed: ${(e as Error).message.split("\n")[0]}`;
    }
    rows.push({ name: name(b), unit: "img/s", ours: b / ours, reference: ref ? b / ref.sec : NaN, referenceName: ref?.name ?? "PyTorch eager, same GPU", notes });
    if (b === BATCHES[0]) firstTorchSec = ref?.sec ?? NaN;
  }
  // the host-side floor of an eager step: kernel calls × per-op cost, whatever the GPU does
  let refUs = NaN;
  let refNote = "";
  try {
    refUs = runTorchBench<{ us_per_op: number }>(TORCH_PYTHON, { dispatch: DISPATCH_OPS, device: "cuda" }).us_per_op;
  } catch (e) {
    refNote = `; PyTorch failed: ${(e as Error).message.split("\n")[0]}`;
  }
  let us = NaN;
  let ourNote: string;
  try {
    us = dispatchOurs();
    ourNote = `ours ${us.toFixed(1)} µs/op (× ${kernels} kernel calls = ${((us * kernels) / 1000).toFixed(0)} ms of host time per step)`;
  } catch (e) {
    ourNote = `ours: FAILED: ${(e as Error).message.split("\n")[0]}`;
  }
  rows.push({
    name: `eager op dispatch, ${DISPATCH_OPS} dependent adds of 1024 floats, CUDA`, unit: "ops/s", ours: 1e6 / us, reference: 1e6 / refUs, referenceName: "PyTorch eager, same GPU",
    notes: `${ourNote}, PyTorch ${Number.isFinite(refUs) ? `${refUs.toFixed(1)} µs/op` : "not measured"}${refNote}; ${cudaBackendReport().replace("[mmsn] ", "")}`,
  });
  rows.push(await webgpuRow(BATCHES[0]!, firstTorchSec));
  return rows;
}

/**
 * The same step on the webgpu backend (Dawn: Vulkan on an NVIDIA driver that ships its Vulkan ICD), against
 * the PyTorch time measured above. Not run on a software adapter (llvmpipe and the like take minutes per step).
 */
async function webgpuRow(b: number, refSec: number): Promise<BenchRow> {
  const row = { name: `MSN train step, ViT-S/16 224 px, 1+1+10 views, batch ${b}, WebGPU (Dawn)`, unit: "img/s", reference: b / refSec, referenceName: "PyTorch eager, same GPU" };
  try {
    await initBackend({ force: "webgpu", quiet: true });
  } catch (e) {
    return { ...row, ours: NaN, notes: `not run: ${(e as Error).message.split("\n")[0]}` };
  }
  const details = currentBackend()!.details;
  if (/llvmpipe|lavapipe|softpipe|swiftshader/i.test(details)) return { ...row, ours: NaN, notes: `not run: a software adapter (${details})` };
  try {
    const { sec, calls } = await timeOurs(b);
    return { ...row, ours: b / sec, notes: `${details}; median of ${STEPS} steps after ${WARMUP} warm-ups, ${sec.toFixed(3)} s/step, ${calls} tfjs kernel calls/step` };
  } catch (e) {
    return { ...row, ours: NaN, notes: `FAILED on ${details}: ${(e as Error).message.split("\n")[0]}` };
  }
}
