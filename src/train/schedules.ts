/**
 * Hyperparameter schedules as data, turned into pure functions of the global step, so a run resumes at any
 * step with the same values (this replaces MSN's Python generators). Horizons are in epochs; the trainer
 * supplies steps per epoch.
 */
import { checkChoice, checkNumber, rejectUnknownKeys } from "../config/validate.js";

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

/**
 * The value of schedule `s` at global step `step` (0-based).
 * @param stepsPerEpoch optimizer steps in one epoch (≥ 1).
 */
export function scheduleValue(s: Schedule, step: number, stepsPerEpoch: number): number {
  const total = (epochs: number) => Math.max(1, Math.round(epochs * stepsPerEpoch));
  switch (s.kind) {
    case "constant":
      return s.value;
    case "linear": {
      const p = Math.min(1, step / total(s.epochs));
      return s.start + (s.end - s.start) * p;
    }
    case "cosine": {
      const p = Math.min(1, step / total(s.epochs));
      return s.end + (s.start - s.end) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
    case "warmupCosine": {
      const warm = Math.round(s.warmupEpochs * stepsPerEpoch);
      if (step < warm) return s.start + (step / warm) * (s.peak - s.start);
      const p = Math.min(1, (step - warm) / Math.max(1, total(s.epochs) - warm));
      return Math.max(s.end, s.end + (s.peak - s.end) * 0.5 * (1 + Math.cos(Math.PI * p)));
    }
    case "epochCosine": {
      const epoch = Math.min(Math.floor(step / stepsPerEpoch), s.epochs);
      return s.end + (s.start - s.end) * 0.5 * (1 + Math.cos((Math.PI * epoch) / Math.max(1, s.epochs)));
    }
  }
}
