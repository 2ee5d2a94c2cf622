/**
 * A pretraining run in a directory: resolved config, a metrics CSV with one row per step, and a checkpoint
 * written atomically every N steps and at the end. A run killed at any moment (even SIGKILL) resumes from
 * its last checkpoint and ends with the same weights and metrics as an uninterrupted run, because the model,
 * optimizer, mask generator and the batch stream all restart from the checkpointed step. SIGINT (Ctrl-C) and
 * SIGTERM finish the current step, save and return; a NaN/Inf loss stops with the last good checkpoint kept.
 * Nothing is replaced silently: a directory that already holds a run needs `resume` or `overwrite`, and
 * `dir/.lock` keeps a second process out while the run lasts.
 *
 *   run/config.json        resolved MsnConfig
 *   run/metrics.csv        step,loss,ce,me_max,entropy,lr,weight_decay,momentum,grad_norm, the monitor columns
 *                          (knn_auroc,effective_rank,feature_std,proto_entropy,proto_mean_entropy,protos_in_use;
 *                          empty on steps without a reading), images_per_second
 *   run/checkpoint/        model.json (tfjs weightsManifest + state + digests), weights-STEP-HASH.bin, config.json
 *   run/checkpoints/step-N/ checkpoints kept at the steps of `keepSteps` (e.g. for a learning curve)
 *   run/.lock              while a run is in progress (src/utils/run_lock.ts)
 */
import { makeDirs } from "../utils/make_dirs.js";
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { MsnConfig } from "../config/msn.js";
import { assertPrecisionSupported } from "../backend/precision.js";
import { assertResumable } from "../io/checkpoint.js";
import { tidyCheckpoint } from "../io/checkpoint_files.js";
import { METRICS_HEADER, truncateMetrics } from "../io/metrics_csv.js";
import { clearRun, describeRun, existingRun } from "../io/run_dir.js";
import { diskWriteError, writeFileAtomic } from "../utils/atomic.js";
import { acquireRunLock } from "../utils/run_lock.js";
import type { MsnBatch } from "../types/batch.js";
import { MultimodalMSN, type StepResult } from "../msn/multimodal_msn.js";
import { stepLoop, type StepReport } from "./pretrain.js";
import { monitorFields, type TrainMonitor } from "./monitor.js";

export { METRICS_COLUMNS } from "../io/metrics_csv.js";

/** The signals that stop a run after its current step, with a checkpoint. */
export type StopSignal = "SIGINT" | "SIGTERM";

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
  /** Also keep the checkpoints of these steps, in `dir/checkpoints/step-N` (never overwritten by later steps). */
  readonly keepSteps?: readonly number[];
  /**
   * The batch stream starting at global step `startStep`; batch k must depend only on k (and a seed) for a
   * resumed run to be bit-identical. Every batch taken is disposed by the run.
   */
  readonly batches: (startStep: number) => AsyncIterable<MsnBatch>;
  /** Continue from `dir/checkpoint` (without one, start at 0 and say so). */
  readonly resume?: boolean;
  /** Replace a run already in `dir` (its metrics.csv, config.json and checkpoint/). Not with `resume`. */
  readonly overwrite?: boolean;
  /** Names the run in `dir/.lock` and in "in use" messages (default "trainRun"), e.g. "mmsn pretrain". */
  readonly command?: string;
  readonly progress?: boolean;
  /** Read the monitors (e.g. `modelMonitor` of src/eval/model_monitor.ts) every `monitor.every` steps and at the last step, into metrics.csv. */
  readonly monitor?: TrainMonitor;
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
  /** True when SIGINT or SIGTERM stopped the run early (a checkpoint was written). */
  readonly interrupted: boolean;
  /** The signal that stopped the run, when `interrupted` (a CLI exits 130 for SIGINT, 143 for SIGTERM). */
  readonly signal?: StopSignal;
}

/** Where `trainRun` keeps the checkpoint of step `step` of the run in `dir` (option `keepSteps`). */
export function keptCheckpoint(dir: string, step: number): string {
  return join(dir, "checkpoints", `step-${step}`);
}

/** Top-level config keys whose values differ between `a` and `b`. */
const differingKeys = (a: object, b: object): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify((a as Record<string, unknown>)[k]) !== JSON.stringify((b as Record<string, unknown>)[k]));

/**
 * Train `config` in `opts.dir`, resuming or replacing a run there only when asked.
 * @throws Error "DIR already holds a run (checkpoint at step N, …); continue it with --resume, replace it
 *   with --overwrite, or choose another --out" before touching it; "DIR is in use by process PID …" while
 *   another run holds it; when the loss becomes NaN/Inf (the last good checkpoint stays in place); when a
 *   checkpoint or metrics.csv to resume from is corrupt (the message names the file); DiskWriteError when
 *   the disk is full (the previous checkpoint is intact).
 */
export async function trainRun(config: MsnConfig, opts: TrainRunOptions): Promise<TrainRunResult> {
  if (opts.resume && opts.overwrite) throw new Error(`${opts.dir}: --resume (continue the run) and --overwrite (replace it) contradict each other; give one of them`);
  assertPrecisionSupported(config.precision); // bf16 on a backend without it: an error before the run directory is touched
  const lock = acquireRunLock(opts.dir, opts.command ?? "trainRun");
  try {
    return await trainLocked(config, opts);
  } finally {
    lock.release();
  }
}

/** Open the run (fresh, resumed or replaced) and return the model to train. */
function openRun(config: MsnConfig, opts: TrainRunOptions, ckpt: string, metrics: string): MultimodalMSN {
  tidyCheckpoint(ckpt); // recovers a checkpoint an interrupted @2 save left aside; removes dead leftovers
  const found = existingRun(opts.dir);
  if (found && !opts.resume && !opts.overwrite) {
    throw new Error(`${opts.dir} already holds a run (${describeRun(found)}); continue it with --resume, replace it with --overwrite, or choose another --out`);
  }
  if (found && opts.overwrite) {
    clearRun(opts.dir);
    console.error(`[mmsn] --overwrite: removed the run in ${opts.dir} (${describeRun(found)})`);
  }
  const resuming = opts.resume === true && existsSync(join(ckpt, "model.json"));
  if (opts.resume && !resuming) {
    console.error(`[mmsn] --resume: no checkpoint in ${ckpt}; starting at step 0${found?.rows ? ` (the ${found.rows} metric rows there are replaced)` : ""}`);
  }
  if (!resuming) {
    writeFileAtomic(metrics, METRICS_HEADER);
    return new MultimodalMSN(config);
  }
  assertResumable(ckpt);
  const model = MultimodalMSN.load(ckpt);
  try {
    truncateMetrics(metrics, model.step);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const diff = differingKeys(model.config, config);
  if (diff.length > 0) console.error(`[mmsn] --resume: continuing with the checkpoint's config; the config given differs in ${diff.join(", ")}`);
  return model;
}

async function trainLocked(config: MsnConfig, opts: TrainRunOptions): Promise<TrainRunResult> {
  makeDirs(opts.dir);
  const ckpt = join(opts.dir, "checkpoint");
  const metrics = join(opts.dir, "metrics.csv");
  const model = openRun(config, opts, ckpt, metrics);
  const startStep = model.step;
  let signal: StopSignal | undefined;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const h = () => {
      if (signal) console.error(`[mmsn] ${sig} again: still finishing step ${model.step} and saving; SIGKILL stops at once (losing the steps since the last checkpoint)`);
      else console.error(`[mmsn] ${sig}: finishing step ${model.step} and saving a checkpoint`);
      signal ??= sig;
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  let saved = -1;
  const save = async () => {
    await model.saveAsync(ckpt);
    saved = model.step;
  };
  let results: StepResult[] = [];
  try {
    writeFileAtomic(join(opts.dir, "config.json"), JSON.stringify(model.config, null, 2));
    results = await stepLoop(model, opts.batches(startStep), {
      total: opts.steps - startStep,
      stepsPerEpoch: opts.stepsPerEpoch,
      more: () => model.step < opts.steps && signal === undefined,
      progress: opts.progress,
      ...(opts.monitor ? { monitor: { ...opts.monitor, lastStep: opts.steps } } : {}),
      onError: (e) => {
        const last = existsSync(join(ckpt, "model.json")) ? `the last good checkpoint (${ckpt}) is kept` : "no checkpoint was written yet";
        return new Error(`${e.message}; ${last}`);
      },
      onStep: async (r) => {
        const row = [r.step, r.loss, r.ce, r.meMax, r.entropy, r.lr, r.weightDecay, r.momentum, r.gradNorm, ...monitorFields(r.monitor), r.imagesPerSecond.toFixed(3)].join(",") + "\n";
        try {
          appendFileSync(metrics, row);
        } catch (e) {
          throw diskWriteError(e, metrics, row.length, "the last checkpoint is intact; resume from it with --resume") ?? e;
        }
        await opts.onStep?.(r);
        if (model.step % opts.checkpointEvery === 0 || model.step === opts.steps) await save();
        if (opts.keepSteps?.includes(model.step)) await model.saveAsync(keptCheckpoint(opts.dir, model.step));
        await new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop, where signal handlers run
      },
    });
    if (signal !== undefined && model.step < opts.steps) {
      if (saved !== model.step) await save();
      console.error(`[mmsn] interrupted at step ${model.step}: checkpoint saved to ${ckpt}; continue with --resume (received ${signal})`);
    } else if (signal !== undefined) {
      signal = undefined; // the run had just finished: nothing was cut short
    }
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
  return { model, results, startStep, interrupted: signal !== undefined, ...(signal ? { signal } : {}) };
}
