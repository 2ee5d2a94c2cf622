/** What a MultimodalMSN step takes and reports (plain numbers; no tensors escape but the gradients). */
import type * as tf from "@tensorflow/tfjs-core";
import type { KeepIndices } from "../models/masking.js";

/** What one training step reports (plain numbers; no tensors escape). */
export interface StepResult {
  /** Global step index of this update (0-based). */
  readonly step: number;
  readonly loss: number;
  readonly ce: number;
  readonly meMax: number;
  readonly entropy: number;
  readonly lr: number;
  readonly weightDecay: number;
  /** EMA momentum applied at the start of this step. */
  readonly momentum: number;
  /** Global L2 norm of the gradients before clipping. */
  readonly gradNorm: number;
}

/** Loss parts and gradients by parameter name (the caller disposes `grads`). */
export interface GradientResult {
  readonly loss: number;
  readonly ce: number;
  readonly meMax: number;
  readonly entropy: number;
  readonly grads: Map<string, tf.Tensor>;
}

/** Options of one step: the schedule unit, and masks to use instead of drawn ones (tests inject them). */
export interface StepOptions {
  /** Kept tokens for the random anchor views (default: drawn from the model's seeded generator). */
  readonly keepAnchors?: KeepIndices;
  /** Kept tokens for the focal views (default: drawn when `maskFocal`). */
  readonly keepFocal?: KeepIndices;
  /**
   * Optimizer steps per epoch, the unit of the schedule horizons (default: the model's `stepsPerEpoch`, that
   * of its latest step). The trainers pass it on every step; the model keeps it for its checkpoints.
   */
  readonly stepsPerEpoch?: number;
}
