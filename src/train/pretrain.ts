/**
 * The pretraining loop: pull batches from any `AsyncIterable<MsnBatch>` (src/ never imports the data
 * loaders), take a step on each, dispose the batch, report progress with throughput and ETA.
 */
import type { MsnBatch } from "../msn/batch.js";
import { disposeBatch } from "../msn/batch.js";
import type { MultimodalMSN, StepResult } from "../msn/multimodal_msn.js";
import { Progress } from "../utils/progress.js";

export interface PretrainOptions {
  /** Stop after this many optimizer steps (in this call). */
  readonly steps: number;
  /** Steps per epoch for the schedules (default: `steps`, i.e. the run is one epoch). */
  readonly stepsPerEpoch?: number;
  /** Called after every step with its result and the images/s of that step. */
  readonly onStep?: (r: StepResult & { imagesPerSecond: number }) => void | Promise<void>;
  /** Show a progress bar / log lines (default true). */
  readonly progress?: boolean;
}

/**
 * Train `model` on `batches` for `opts.steps` steps. Every batch taken from the iterable is disposed here,
 * including when a step throws. Returns the per-step results.
 */
export async function pretrain(model: MultimodalMSN, batches: AsyncIterable<MsnBatch>, opts: PretrainOptions): Promise<StepResult[]> {
  model.stepsPerEpoch = opts.stepsPerEpoch ?? Math.max(1, opts.steps);
  const bar = opts.progress === false ? undefined : new Progress({ total: opts.steps, unit: "step", label: "pretrain" });
  const results: StepResult[] = [];
  const it = batches[Symbol.asyncIterator]();
  try {
    while (results.length < opts.steps) {
      const next = await it.next();
      if (next.done) break;
      const batch = next.value;
      const t0 = performance.now();
      let r: StepResult;
      try {
        r = model.trainStep(batch);
      } finally {
        disposeBatch(batch);
      }
      const b = batch.target.shape[0];
      const imagesPerSecond = b / ((performance.now() - t0) / 1000);
      results.push(r);
      await opts.onStep?.({ ...r, imagesPerSecond });
      bar?.tick(1, `${imagesPerSecond.toFixed(1)} img/s  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}`);
    }
  } finally {
    await it.return?.();
  }
  return results;
}
