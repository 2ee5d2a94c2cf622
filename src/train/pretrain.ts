/**
 * The pretraining loop: pull batches from any `AsyncIterable<MsnBatch>` (src/ never imports the data
 * loaders), take a step on each, dispose the batch, report progress with throughput and ETA.
 * `trainRun` (run.ts) adds a run directory, checkpoints and resume around the same loop.
 */
import type { MsnBatch } from "../types/batch.js";
import { disposeBatch } from "../types/batch.js";
import type { MultimodalMSN, StepResult } from "../msn/multimodal_msn.js";
import { ProgressReporter } from "../utils/progress.js";
import { monitorDue, monitorText, type MonitorRow, type TrainMonitor } from "./monitor.js";

/** A step's result with its throughput, and the monitor reading made after it (on monitored steps). */
export type StepReport = StepResult & { readonly imagesPerSecond: number; readonly monitor?: MonitorRow };

/** Options of {@link pretrain}. */
export interface PretrainOptions {
  /** Stop after this many optimizer steps (in this call). */
  readonly steps: number;
  /** Steps per epoch for the schedules (default: `steps`, i.e. the run is one epoch). */
  readonly stepsPerEpoch?: number;
  /** Called after every step with its result and the images/s of that step. */
  readonly onStep?: (r: StepReport) => void | Promise<void>;
  /** Show a progress bar / log lines on stderr (default true). */
  readonly progress?: boolean;
  /** Read the monitors (e.g. `modelMonitor`: k-NN AUROC, effective rank, feature std, prototype usage) every `monitor.every` steps. */
  readonly monitor?: TrainMonitor;
}

/**
 * Take steps on `model` while `more()` holds and batches last; every batch taken is disposed here,
 * including when a step throws (the error is rethrown after `onError` rewrites it).
 */
export async function stepLoop(
  model: MultimodalMSN,
  batches: AsyncIterable<MsnBatch>,
  o: {
    total: number;
    /** Steps per epoch for the schedules, passed to every step. */
    stepsPerEpoch: number;
    more: () => boolean;
    progress?: boolean;
    /** Monitors, read after the steps {@link monitorDue} names (`lastStep`: the run's final step count). */
    monitor?: TrainMonitor & { readonly lastStep: number };
    onStep?: (r: StepReport) => void | Promise<void>;
    onError?: (e: Error) => Error;
  },
): Promise<StepResult[]> {
  const bar = o.progress === false ? undefined : new ProgressReporter({ total: o.total, unit: "step", label: "pretrain", sink: process.stderr });
  const results: StepResult[] = [];
  let lastReading = ""; // the latest monitor reading stays on the progress line until the next one
  const it = batches[Symbol.asyncIterator]();
  try {
    while (o.more()) {
      const next = await it.next();
      if (next.done) break;
      const batch = next.value;
      const t0 = performance.now();
      let r: StepResult;
      try {
        r = await model.trainStepAsync(batch, { stepsPerEpoch: o.stepsPerEpoch });
      } catch (e) {
        throw o.onError ? o.onError(e as Error) : e;
      } finally {
        disposeBatch(batch);
      }
      const imagesPerSecond = batch.target.shape[0] / ((performance.now() - t0) / 1000);
      results.push(r);
      const m = o.monitor && monitorDue(model.step, o.monitor.every, o.monitor.lastStep) ? await o.monitor.read(model) : undefined;
      if (m) lastReading = `  [step ${m.step}] ${monitorText(m, model.config.numPrototypes)}`;
      await o.onStep?.({ ...r, imagesPerSecond, ...(m ? { monitor: m } : {}) });
      bar?.update(1, `${imagesPerSecond.toFixed(1)} img/s  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}${lastReading}`);
    }
    bar?.done();
  } finally {
    await it.return?.();
  }
  return results;
}

/** Train `model` on `batches` for `opts.steps` steps. Returns the per-step results. */
export async function pretrain(model: MultimodalMSN, batches: AsyncIterable<MsnBatch>, opts: PretrainOptions): Promise<StepResult[]> {
  let taken = 0;
  return stepLoop(model, batches, {
    total: opts.steps,
    stepsPerEpoch: opts.stepsPerEpoch ?? Math.max(1, opts.steps),
    more: () => taken < opts.steps,
    progress: opts.progress,
    ...(opts.monitor ? { monitor: { ...opts.monitor, lastStep: model.step + opts.steps } } : {}),
    onStep: async (r) => {
      taken += 1;
      await opts.onStep?.(r);
    },
  });
}
