/**
 * A pretraining run in a directory: resolved config, a metrics CSV with one row per step, and a checkpoint
 * written atomically every N steps and at the end. A run killed at any moment (even SIGKILL) resumes from
 * its last checkpoint and ends with the same weights and metrics as an uninterrupted run, because the model,
 * optimizer, mask generator and the batch stream all restart from the checkpointed step. SIGINT (Ctrl-C)
 * finishes the current step, saves and returns; a NaN/Inf loss stops with the last good checkpoint kept.
 *
 *   run/config.json        resolved MsnConfig
 *   run/metrics.csv        step,loss,ce,me_max,entropy,lr,weight_decay,momentum,grad_norm,images_per_second
 *   run/checkpoint/        model.json (tfjs weightsManifest + state), weights.bin, config.json
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MsnConfig } from "../config/msn.js";
import { assertResumable } from "../io/checkpoint.js";
import { writeFileAtomic } from "../utils/atomic.js";
import type { MsnBatch } from "../types/batch.js";
import { MultimodalMSN, type StepResult } from "../msn/multimodal_msn.js";
import { stepLoop, type StepReport } from "./pretrain.js";

export const METRICS_COLUMNS = ["step", "loss", "ce", "me_max", "entropy", "lr", "weight_decay", "momentum", "grad_norm", "images_per_second"] as const;

/** Options of {@link trainRun}. */
export interface TrainRunOptions {
  /** Run directory (created if needed). */
  readonly dir: string;
  /** Total optimizer steps of the run. */
  readonly steps: number;
  /** Steps per epoch, the unit of the schedules. */
  readonly stepsPerEpoch: number;
  /** Write a checkpoint every this many steps (and always at the end). */
  readonly checkpointEvery: number;
  /**
   * The batch stream starting at global step `startStep`; batch k must depend only on k (and a seed) for a
   * resumed run to be bit-identical. Every batch taken is disposed by the run.
   */
  readonly batches: (startStep: number) => AsyncIterable<MsnBatch>;
  /** Continue from `dir/checkpoint` when it exists (otherwise start fresh). */
  readonly resume?: boolean;
  readonly progress?: boolean;
  readonly onStep?: (r: StepReport) => void | Promise<void>;
}

/** Result of {@link trainRun}: the model (owned by the caller), per-step results and where the run started. */
export interface TrainRunResult {
  /** The trained model (the caller disposes it). */
  readonly model: MultimodalMSN;
  /** Steps taken in this call. */
  readonly results: StepResult[];
  /** Step the run started from (0, or the checkpoint's step when resumed). */
  readonly startStep: number;
  /** True when SIGINT stopped the run early (a checkpoint was written). */
  readonly interrupted: boolean;
}

/** Keep only metric rows of steps < `step` (work after the last checkpoint is redone). */
function truncateMetrics(path: string, step: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0);
  const kept = [lines[0]!, ...lines.slice(1).filter((l) => Number(l.split(",")[0]) < step)];
  writeFileAtomic(path, kept.join("\n") + "\n");
}

/**
 * Train `config` in `opts.dir`, resuming when asked and possible.
 * @throws Error when the loss becomes NaN/Inf (the last good checkpoint stays in place), or when a
 *   checkpoint to resume from is corrupt (the message names the file).
 */
export async function trainRun(config: MsnConfig, opts: TrainRunOptions): Promise<TrainRunResult> {
  mkdirSync(opts.dir, { recursive: true });
  const ckpt = join(opts.dir, "checkpoint");
  const metrics = join(opts.dir, "metrics.csv");
  const resuming = opts.resume === true && existsSync(join(ckpt, "model.json"));
  if (resuming) assertResumable(ckpt);
  const model = resuming ? MultimodalMSN.load(ckpt) : new MultimodalMSN(config);
  const startStep = model.step;
  writeFileAtomic(join(opts.dir, "config.json"), JSON.stringify(model.config, null, 2));
  if (resuming) truncateMetrics(metrics, startStep);
  else writeFileSync(metrics, METRICS_COLUMNS.join(",") + "\n");

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.on("SIGINT", onSigint);
  let results: StepResult[] = [];
  try {
    results = await stepLoop(model, opts.batches(startStep), {
      total: opts.steps - startStep,
      stepsPerEpoch: opts.stepsPerEpoch,
      more: () => model.step < opts.steps && !interrupted,
      progress: opts.progress,
      onError: (e) => {
        const last = existsSync(join(ckpt, "model.json")) ? `the last good checkpoint (${ckpt}) is kept` : "no checkpoint was written yet";
        return new Error(`${e.message}; ${last}`);
      },
      onStep: async (r) => {
        appendFileSync(metrics, [r.step, r.loss, r.ce, r.meMax, r.entropy, r.lr, r.weightDecay, r.momentum, r.gradNorm, r.imagesPerSecond.toFixed(3)].join(",") + "\n");
        await opts.onStep?.(r);
        if (model.step % opts.checkpointEvery === 0 || model.step === opts.steps) await model.saveAsync(ckpt);
      },
    });
    if (interrupted) {
      await model.saveAsync(ckpt);
      console.error(`[mmsn] interrupted at step ${model.step}: checkpoint saved to ${ckpt}; continue with --resume`);
    }
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
  return { model, results, startStep, interrupted };
}
