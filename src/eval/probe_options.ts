/**
 * Options of the linear probe and of fine-tuning (`trainLinearProbe`, `fineTuneEncoder`): the paper's
 * defaults, their validation, and the per-epoch log both report.
 */
import { checkNumber, checkInt, checkOptionKeys } from "../utils/validate.js";

/**
 * Options shared by `trainLinearProbe` (fast mode), `trainLinearProbeAugmented` (official mode, whose defaults
 * are {@link OFFICIAL_PROBE_OPTIONS}) and `fineTuneEncoder`.
 */
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
   * factor 0.5, patience 3, relative threshold 1e-4); "none" = constant (the default, except in the official
   * mode, whose default is the official "cosine").
   */
  readonly scheduler?: "none" | "cosine" | "reduce";
  /**
   * Round the validation macro AUROC to this many decimals before early stopping, checkpointing and the
   * plateau scheduler compare it (the official `np.round(roc_auc_score(y, pred), 4)`); default: unrounded.
   */
  readonly valAurocDecimals?: number;
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
  "valAurocDecimals",
] as const;

/**
 * The official linear evaluation's settings (evaluate.py + src/models/evaluationmodels.py of
 * nyuad-cai/CXR-EHR-MSN): Adam lr 1e-4 with weight decay 0, batch 64 with drop_last, CosineAnnealingLR
 * (T_max = max epochs, eta_min 0, stepped per epoch, no warm-up), EarlyStopping on `val_auroc` (patience 5,
 * min_delta 1e-5) over the value rounded to 4 decimals, 100 epochs (the README's command; the argparse
 * default is 50), seed 24 (`pl.seed_everything(24)`). `trainLinearProbeAugmented` defaults to these.
 */
export const OFFICIAL_PROBE_OPTIONS = {
  learningRate: 1e-4,
  batchSize: 64,
  dropLast: true,
  maxEpochs: 100,
  patience: 5,
  minDelta: 1e-5,
  seed: 24,
  scheduler: "cosine",
  valAurocDecimals: 4,
} as const satisfies ProbeOptions;

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
  readonly valAurocDecimals?: number;
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
    ...(opts.valAurocDecimals !== undefined ? { valAurocDecimals: checkInt(opts.valAurocDecimals, `${where}: valAurocDecimals`, 0, 15) } : {}),
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
  /** Validation macro AUROC (labels with both classes in the validation set; rounded with `valAurocDecimals`). */
  readonly valMacroAuroc: number;
  /** true when this epoch became the best checkpoint. */
  readonly best: boolean;
  readonly seconds: number;
  /** Optimizer steps of the epoch (absent when the trainer does not count them, as fine-tuning). */
  readonly steps?: number;
  /** Training rows stepped on in the epoch (a dropped last batch excluded). */
  readonly trainRows?: number;
}
