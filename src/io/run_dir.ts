/**
 * What a run directory already holds, and clearing it for `--overwrite`: the files `trainRun` owns are
 * metrics.csv, config.json and checkpoint/ (plus leftovers of the @2 checkpoint writer beside it). Files
 * that other layers write into the run (run.json, summaries, charts) are theirs to clear.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { countMetricRows } from "./metrics_csv.js";

/** A run found in a directory: its checkpoint step (undefined: none, or unreadable) and metric rows. */
export interface ExistingRun {
  /** The checkpoint's step; undefined when there is no checkpoint/model.json. */
  readonly step?: number;
  /** True when checkpoint/model.json exists (its step may still be unreadable). */
  readonly checkpoint: boolean;
  /** Data rows in metrics.csv. */
  readonly rows: number;
}

/** The run in `dir`, or undefined when it holds none (no checkpoint/model.json, no metric rows). */
export function existingRun(dir: string): ExistingRun | undefined {
  const model = join(dir, "checkpoint", "model.json");
  const checkpoint = existsSync(model);
  const rows = countMetricRows(join(dir, "metrics.csv"));
  if (!checkpoint && rows === 0) return undefined;
  let step: number | undefined;
  try {
    const s = (JSON.parse(readFileSync(model, "utf8")) as { state?: { step?: unknown } }).state?.step;
    if (typeof s === "number" && Number.isInteger(s)) step = s;
  } catch {
    step = undefined;
  }
  return { checkpoint, rows, ...(step !== undefined ? { step } : {}) };
}

/** "checkpoint at step 12, 14 metric rows" / "5 metric rows, no checkpoint". */
export function describeRun(r: ExistingRun): string {
  const ck = r.checkpoint ? (r.step !== undefined ? `checkpoint at step ${r.step}` : "an unreadable checkpoint") : "no checkpoint";
  return r.checkpoint ? `${ck}, ${r.rows} metric rows` : `${r.rows} metric rows, ${ck}`;
}

/** Delete the files of the run in `dir` that `trainRun` owns: metrics.csv, config.json, checkpoint/ (and its @2 leftovers), checkpoints/. */
export function clearRun(dir: string): void {
  for (const f of ["metrics.csv", "config.json", "checkpoint", "checkpoints"]) rmSync(join(dir, f), { recursive: true, force: true });
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (/^\.checkpoint\.(tmp|old)-\d+$/.test(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}
