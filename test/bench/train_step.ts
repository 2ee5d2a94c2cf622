/**
 * Train-step throughput of MultimodalMSN against PyTorch on the same machine, in the same run, on the same
 * MSN step (EMA, target branch, masked anchor + focal views with EHR fusion, loss, backward, AdamW).
 * PyTorch runs at its best here: OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE unset (the machine exports
 * Haswell, which halves sgemm), torch.set_num_threads(2).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { currentBackend, initBackend } from "../../src/backend/index.js";
import { type MsnConfig, type MsnOverrides, msnConfig } from "../../src/config/msn.js";
import { disposeBatch } from "../../src/msn/batch.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { syntheticBatch } from "../helpers/batches.js";
import type { BenchRow } from "./types.js";

const ROOT = join(import.meta.dirname, "../..");
const PY = "/usr/bin/python3";

interface Case {
  readonly name: string;
  readonly preset: string;
  readonly overrides: MsnOverrides;
  readonly batch: number;
  readonly steps: number;
  /** MultimodalMSN.encoderChunk (0 = whole batch at once). */
  readonly encoderChunk?: number;
  readonly note?: string;
}

const CASES: Case[] = [
  { name: "test preset (32 px, 2×16-px focal)", preset: "test", overrides: { ehr: { ehrIn: 4 } }, batch: 4, steps: 10 },
  { name: "cpu_fast (64 px ViT 6×192, 4×32-px focal)", preset: "cpu_fast", overrides: { ehr: { ehrIn: 4 } }, batch: 16, steps: 4 },
  {
    name: "ViT-Tiny/16 224 px, 1+1+10 views (96-px focal)",
    preset: "cxr_ehr_msn_tiny",
    overrides: { vit: { numHeads: 3, inChans: 1 }, ehr: { ehrIn: 4 } },
    batch: 8,
    steps: 3,
    encoderChunk: 24,
    note: "encoderChunk 24 (exact chunked encoder backprop): without it the 12-view step at batch 8 exceeds tfjs-wasm's 4 GB heap",
  },
];

function torchConfig(c: MsnConfig, batch: number) {
  return {
    img: c.randSize, patch: c.vit.patchSize, chans: c.vit.inChans, dim: c.vit.embedDim, depth: c.vit.depth,
    heads: c.vit.numHeads, mlp: c.vit.embedDim * c.vit.mlpRatio, focal: c.focalSize, rand_views: c.randViews,
    focal_views: c.focalViews, batch, head_hidden: c.head.hiddenDim, head_out: c.head.outputDim,
    protos: c.numPrototypes, ehr_in: c.ehr.ehrIn, ehr_out: c.ehr.ehrOut, drop: c.patchDropRatio,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Run every case for this package and for PyTorch; returns one row per case. */
export async function benchTrainStep(): Promise<BenchRow[]> {
  await initBackend({ quiet: true });
  const rows: BenchRow[] = [];
  const haveTorch = existsSync(PY) && (() => {
    try {
      execFileSync(PY, ["-c", "import torch"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  for (const k of CASES) {
    const cfg = msnConfig(k.preset, k.overrides);
    const model = new MultimodalMSN(cfg);
    model.encoderChunk = k.encoderChunk ?? 0;
    const batch = syntheticBatch(cfg, k.batch);
    model.trainStep(batch); // warm-up
    const secs: number[] = [];
    for (let i = 0; i < k.steps; i++) {
      const t0 = performance.now();
      model.trainStep(batch);
      secs.push((performance.now() - t0) / 1000);
    }
    disposeBatch(batch);
    model.dispose();
    const ours = k.batch / median(secs);
    let reference = NaN;
    let refName = "PyTorch (not installed: apt-get install python3-torch)";
    if (haveTorch) {
      const env = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "2" };
      delete env.OPENBLAS_CORETYPE;
      const out = execFileSync(PY, [join(ROOT, "test/reference/torch_bench.py"), JSON.stringify({ ...torchConfig(cfg, k.batch), steps: Math.max(3, k.steps), warmup: 1, threads: 2 })], { env, encoding: "utf8" });
      const r = JSON.parse(out.trim().split("\n").pop()!) as { sec_per_step: number[]; torch: string; threads: number };
      reference = k.batch / median(r.sec_per_step);
      refName = `PyTorch ${r.torch} CPU (${r.threads} threads, OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE unset)`;
    }
    rows.push({
      name: `MSN train step, ${k.name}, batch ${k.batch}`,
      unit: "img/s",
      ours,
      reference,
      referenceName: refName,
      notes: `ours: tfjs ${currentBackend()?.name} (${currentBackend()?.details}); median of ${k.steps} steps after 1 warm-up${k.note ? "; " + k.note : ""}`,
    });
  }
  return rows;
}
