/** In-process `trainRun` helpers for the test/train tests: a small config, a batch stream, captured stderr. */
import { msnConfig } from "../../src/config/msn.js";
import type { MsnBatch } from "../../src/types/batch.js";
import { trainRun, type TrainRunOptions, type TrainRunResult } from "../../src/train/run.js";
import { syntheticBatch } from "../helpers/batches.js";

export const CONFIG = msnConfig("test");

/** Batch k of a deterministic stream, from `start`; `gate(k)` may hold a step back. */
export async function* batches(start: number, gate?: (k: number) => Promise<void>): AsyncGenerator<MsnBatch> {
  for (let k = start; ; k++) {
    await gate?.(k);
    yield syntheticBatch(CONFIG, 2, 100 + k);
  }
}

/** Run `steps` steps in `dir` (the model is disposed); `o` adds options. */
export async function run(dir: string, steps: number, o: Partial<TrainRunOptions> = {}): Promise<Omit<TrainRunResult, "model"> & { step: number }> {
  const r = await trainRun(CONFIG, { dir, steps, stepsPerEpoch: 4, checkpointEvery: 2, progress: false, batches: (s) => batches(s), ...o });
  const step = r.model.step;
  r.model.dispose();
  const { model: _, ...rest } = r;
  return { ...rest, step };
}

/** Run `f` with console.error captured; returns its result and the lines. */
export async function captureStderr<T>(f: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const lines: string[] = [];
  const log = console.error;
  console.error = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { value: await f(), stderr: lines.join("\n") };
  } finally {
    console.error = log;
  }
}
