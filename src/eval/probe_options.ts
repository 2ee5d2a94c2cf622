/**
 * Options of the linear probe and of fine-tuning (`trainLinearProbe`, `fineTuneEncoder`): the paper's
 * defaults, their validation, and the per-epoch log both report.
 */
import { checkNumber, checkInt, checkOptionKeys } from "../utils/validate.js";

/** Options shared by `trainLinearProbe` and `fineTuneEncoder`. */
export interface ProbeOptions {
  /** Adam learning rate; default 1e-4 (README of the paper's code). */
  readonly learningRate?: number;
  /** Training batch size; default 64. */
  readonly batchSize?: number;
  /** Epoch limit; default 100 (README). */
  readonly maxEpochs?: number;
  /** Early-stopping patience in epochs; default 5. */
  readonly patience?: number;
  /** Minimum improvement of validation macro AUROC that resets the patience; default 1e-5. */
  readonly minDelta?: number;
  /** Seed of initialisation, shuffling and label-fraction subsampling; default 24. */
  readonly seed?: number;
  /** Fraction of training rows used, in (0, 1]; default 1. The subset is a seeded sample. */
  readonly labelFraction?: number;
  /** Drop the last incomplete training batch (the paper's `drop_last=True`); default true. */
  readonly dropLast?: boolean;
  /** Called after every epoch (logging, loss curves). */
  readonly onEpoch?: (log: EpochLog) => void;
  /**
   * Learning-rate schedule of the paper's `evaluate.py --scheduler`: "cosine" = CosineAnnealingLR(T_max =
   * maxEpochs, eta_min = 0) stepped per epoch; "reduce" = ReduceLROnPlateau on validation macro AUROC (mode max,
   * factor 0.5, patience 3, relative threshold 1e-4); "none" (default) = constant.
   */
  readonly scheduler?: "none" | "cosine" | "reduce";
}
/** Valid keys of {@link ProbeOptions} (unknown keys throw, listing these). */
export const PROBE_KEYS = [
  "learningRate",
  "batchSize",
  "maxEpochs",
  "patience",
  "minDelta",
  "seed",
  "labelFraction",
  "dropLast",
  "onEpoch",
  "scheduler",
] as const;

/** Resolved {@link ProbeOptions}. */
export interface ResolvedProbeOptions {
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly seed: number;
  readonly labelFraction: number;
  readonly dropLast: boolean;
  readonly onEpoch?: (log: EpochLog) => void;
  readonly scheduler: "none" | "cosine" | "reduce";
}

/** Validate options (unknown keys throw, listing the valid ones) and fill defaults. */
export function resolveProbeOptions(opts: ProbeOptions, where: string, extraKeys: readonly string[] = []): ResolvedProbeOptions {
  checkOptionKeys(opts, [...PROBE_KEYS, ...extraKeys], where);
  const fraction = checkNumber(opts.labelFraction ?? 1, `${where}: labelFraction`, 0, 1);
  if (fraction <= 0) throw new Error(`${where}: labelFraction must be in (0, 1], got ${fraction}`);
  return {
    learningRate: checkNumber(opts.learningRate ?? 1e-4, `${where}: learningRate`, 0),
    batchSize: checkInt(opts.batchSize ?? 64, `${where}: batchSize`, 1),
    maxEpochs: checkInt(opts.maxEpochs ?? 100, `${where}: maxEpochs`, 1),
    patience: checkInt(opts.patience ?? 5, `${where}: patience`, 1),
    minDelta: checkNumber(opts.minDelta ?? 1e-5, `${where}: minDelta`, 0),
    seed: checkNumber(opts.seed ?? 24, `${where}: seed`),
    labelFraction: fraction,
    dropLast: opts.dropLast ?? true,
    scheduler: checkScheduler(opts.scheduler ?? "none", where),
    ...(opts.onEpoch ? { onEpoch: opts.onEpoch } : {}),
  };
}

function checkScheduler(v: unknown, where: string): "none" | "cosine" | "reduce" {
  if (v !== "none" && v !== "cosine" && v !== "reduce") throw new Error(`${where}: scheduler must be one of "none", "cosine", "reduce", got ${JSON.stringify(v)}`);
  return v;
}

/** One epoch of training. */
export interface EpochLog {
  /** 1-based. */
  readonly epoch: number;
  /** Learning rate used in this epoch. */
  readonly lr: number;
  /** Mean training BCE over the epoch's batches. */
  readonly trainLoss: number;
  /** Validation macro AUROC (labels with both classes in the validation set). */
  readonly valMacroAuroc: number;
  /** true when this epoch became the best checkpoint. */
  readonly best: boolean;
  readonly seconds: number;
}
