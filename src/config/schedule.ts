/**
 * Hyperparameter schedules as data (a config type): `optim/schedules.ts` turns them into pure functions of the
 * global step. Horizons are in epochs; the trainer supplies steps per epoch.
 */
import { checkChoice, checkNumber, rejectUnknownKeys } from "../utils/validate.js";

/** A hyperparameter schedule as data, with horizons in epochs (evaluated by `scheduleValue`). */
export type Schedule =
  /** The same value at every step. */
  | { readonly kind: "constant"; readonly value: number }
  /** Linear from `start` to `end` over `epochs`, then `end` (MSN's EMA momentum 0.996 → 1). */
  | { readonly kind: "linear"; readonly start: number; readonly end: number; readonly epochs: number }
  /** Half-cosine from `start` to `end` over `epochs`, then `end`, evaluated every step (MSN's CosineWDSchedule). */
  | { readonly kind: "cosine"; readonly start: number; readonly end: number; readonly epochs: number }
  /**
   * Linear warmup from `start` to `peak` over `warmupEpochs`, then cosine to `end` at `epochs`
   * (MSN's WarmupCosineSchedule; MSN stretches `epochs` to 1.25× the run).
   */
  | {
      readonly kind: "warmupCosine";
      readonly start: number;
      readonly peak: number;
      readonly end: number;
      readonly warmupEpochs: number;
      readonly epochs: number;
    }
  /**
   * PyTorch's CosineAnnealingLR stepped once per epoch: value is constant within an epoch
   * (the CXR-EHR-MSN code: T_max = max_epochs, eta_min = 0).
   */
  | { readonly kind: "epochCosine"; readonly start: number; readonly end: number; readonly epochs: number };

const KEYS: Record<Schedule["kind"], readonly string[]> = {
  constant: ["kind", "value"],
  linear: ["kind", "start", "end", "epochs"],
  cosine: ["kind", "start", "end", "epochs"],
  warmupCosine: ["kind", "start", "peak", "end", "warmupEpochs", "epochs"],
  epochCosine: ["kind", "start", "end", "epochs"],
};

/** Validate a schedule read from JSON or a preset. */
export function validateSchedule(s: Schedule, where: string): Schedule {
  const kind = checkChoice(s.kind, `${where}.kind`, Object.keys(KEYS) as Schedule["kind"][]);
  rejectUnknownKeys(s, KEYS[kind], where);
  for (const k of KEYS[kind]) if (k !== "kind") checkNumber((s as unknown as Record<string, unknown>)[k], `${where}.${k}`);
  for (const k of ["epochs", "warmupEpochs"]) {
    const v = (s as unknown as Record<string, number>)[k];
    if (v !== undefined && v < 0) throw new Error(`${where}.${k} must be ≥ 0, got ${v}`);
  }
  return s;
}
