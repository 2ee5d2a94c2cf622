/**
 * Hyperparameter schedules as pure functions of the global step, so a run resumes at any step with the same
 * values (this replaces MSN's Python generators). The schedule data type lives in `config/schedule.ts`.
 */
import type { Schedule } from "../config/schedule.js";

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
