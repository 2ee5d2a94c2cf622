/**
 * A run's metrics.csv: a header, then one row per optimizer step (the 0-based step first, numbers only; the
 * monitor columns are empty on steps without a monitor reading, and a reading in the row of step s was made
 * after that step, i.e. after s + 1 steps). Rows are
 * appended as steps finish; on resume the rows of steps after the checkpoint are dropped (that work is
 * redone). The file is read strictly: a garbage line stops the run with the file and line named instead of
 * deleting rows it cannot read.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../utils/atomic.js";

/** The monitor columns of metrics.csv (a `MonitorRow` of src/train/monitor.ts), empty on steps without a reading. */
export const MONITOR_COLUMNS = ["knn_auroc", "effective_rank", "feature_std", "proto_entropy", "proto_mean_entropy", "protos_in_use"] as const;

/** The columns of metrics.csv, in order. */
export const METRICS_COLUMNS = ["step", "loss", "ce", "me_max", "entropy", "lr", "weight_decay", "momentum", "grad_norm", ...MONITOR_COLUMNS, "images_per_second"] as const;

/** The columns of a metrics.csv written before the monitors existed: read, and upgraded when a run resumes. */
const LEGACY_COLUMNS = ["step", "loss", "ce", "me_max", "entropy", "lr", "weight_decay", "momentum", "grad_norm", "images_per_second"] as const;

/** Indices of the columns that may be empty (the monitor columns). */
const OPTIONAL = new Set(MONITOR_COLUMNS.map((c) => METRICS_COLUMNS.indexOf(c)));

/** The header line of metrics.csv (with its newline). */
export const METRICS_HEADER = METRICS_COLUMNS.join(",") + "\n";

/** A field a metrics row may hold: a number literal, or NaN/Infinity as JavaScript writes them. */
const isNumberField = (v: string): boolean => v.length > 0 && (v === "NaN" || !Number.isNaN(Number(v)));

/**
 * The data rows of `path` and their steps, checked: the header must be {@link METRICS_HEADER} (or the
 * header before the monitor columns, whose rows are returned with empty monitor fields), every row must have
 * one number per column (monitor columns may be empty) with an integer step ≥ 0, steps strictly increasing.
 * A last line without its newline (a write cut short by a kill) is dropped and reported as `torn`.
 * @throws Error "PATH line K: … is not a metrics row …; repair or delete the file, or start over with --overwrite".
 */
export function readMetricsRows(path: string): { rows: string[]; steps: number[]; torn: string | undefined } {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const torn = lines.pop() || undefined; // "" when the file ends with a newline
  const fix = "the file is corrupt; repair or delete it (the checkpoint does not depend on it), or start over with --overwrite";
  if (lines.length === 0 && torn === undefined) return { rows: [], steps: [], torn };
  const legacy = lines[0] === LEGACY_COLUMNS.join(",");
  if (lines[0] !== METRICS_COLUMNS.join(",") && !legacy) throw new Error(`${path} line 1: header ${JSON.stringify((lines[0] ?? torn ?? "").slice(0, 80))} is not ${JSON.stringify(METRICS_COLUMNS.join(","))}; ${fix}`);
  const width = legacy ? LEGACY_COLUMNS.length : METRICS_COLUMNS.length;
  const steps: number[] = [];
  const rows = lines.slice(1).map((row, i) => {
    const f = row.split(",");
    const step = Number(f[0]);
    const fieldsOk = f.every((v, j) => isNumberField(v) || (!legacy && v === "" && OPTIONAL.has(j)));
    if (f.length !== width || !fieldsOk || !Number.isInteger(step) || step < 0 || step <= (steps.at(-1) ?? -1)) {
      throw new Error(`${path} line ${i + 2}: ${JSON.stringify(row.slice(0, 80))} is not a metrics row (${width} numbers, the step first, steps increasing); ${fix}`);
    }
    steps.push(step);
    return legacy ? [...f.slice(0, 9), ...[...OPTIONAL].map(() => ""), f[9]].join(",") : row;
  });
  return { rows, steps, torn };
}

/** Data rows in `path` (0 when the file is missing; tolerant: for messages only). */
export function countMetricRows(path: string): number {
  if (!existsSync(path)) return 0;
  return readFileSync(path, "utf8").split("\n").slice(1).filter((l) => l.length > 0).length;
}

/**
 * Keep only the rows of steps < `step` (a checkpoint at `step` has taken steps 0..step-1; later work is redone), checked by
 * {@link readMetricsRows} first, so nothing is deleted on garbage. Prints a note when rows are missing for
 * steps the checkpoint covers (the file was edited or lost) or a torn last line is dropped; a missing file
 * is recreated with its header.
 * @throws Error naming the file and line when it holds garbage (the file is left as it was).
 */
export function truncateMetrics(path: string, step: number): void {
  if (!existsSync(path)) {
    if (step > 0) console.error(`[mmsn] ${path} is missing: a new one is started; the metrics of steps 0..${step - 1} are not recorded`);
    writeFileAtomic(path, METRICS_HEADER);
    return;
  }
  const { rows, steps, torn } = readMetricsRows(path);
  if (torn !== undefined) console.error(`[mmsn] ${path}: dropped a partial last line ${JSON.stringify(torn.slice(0, 40))} (a write cut short by a kill)`);
  const kept = rows.filter((_, i) => steps[i]! < step);
  const keptSteps = steps.filter((s) => s < step);
  if (keptSteps.length !== step) {
    console.error(`[mmsn] ${path}: has rows for ${keptSteps.length} of the checkpoint's ${step} steps (edited or partly lost); the missing steps are not recorded again`);
  }
  writeFileAtomic(path, METRICS_HEADER + kept.map((r) => r + "\n").join(""));
}
