/**
 * The training loop shared by the linear probe (both modes) and fine-tuning: Adam, the learning-rate schedule
 * of the official `EvaluationModel.configure_optimizers` (src/models/evaluationmodels.py of the paper's code),
 * early stopping and checkpointing as its Lightning callbacks do (evaluate.py).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EpochLog, ResolvedProbeOptions } from "./probe_options.js";

/** What one training epoch reports: mean loss, optimizer steps and rows stepped on. */
export interface EpochStats {
  /** Mean training loss over the epoch's steps. */
  readonly loss: number;
  /** Optimizer steps (batches) taken. */
  readonly steps: number;
  /** Training rows in those batches (rows of a dropped last batch excluded). */
  readonly rows: number;
}

/** Hooks the shared loop needs from a concrete trainer (features or images). */
export interface FitHooks {
  /** Trainable variables (head, and encoder when fine-tuning). */
  readonly variables: tf.Variable[];
  /**
   * One pass over the training data (`epoch` is 1-based); returns the mean loss, or {@link EpochStats}.
   * Must dispose everything it allocates.
   */
  runEpoch(optimizer: tf.Optimizer, epoch: number): Promise<number | EpochStats>;
  /** Validation macro AUROC with the current weights. */
  validate(): Promise<number>;
}

/** Outcome of {@link fitWithEarlyStopping}: the best variable values, copied out. */
export interface FitOutcome {
  readonly best: Float32Array[];
  readonly history: EpochLog[];
  readonly bestEpoch: number;
  readonly bestValMacroAuroc: number;
  readonly stoppedEarly: boolean;
}

/**
 * torch `CosineAnnealingLR(optimizer, T_max, eta_min)` in closed form: the learning rate of scheduler step
 * `t` (0-based; Lightning steps it once per epoch, so t = epoch − 1):
 * eta_min + (base − eta_min)·(1 + cos(π·t/T_max))/2. No warm-up.
 * @example cosineAnnealingLr(1e-4, 0, 100) // 1e-4, the first epoch's rate
 */
export function cosineAnnealingLr(baseLr: number, t: number, tMax: number, etaMin = 0): number {
  return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2;
}

/**
 * numpy's `np.round(x, decimals)`: x·10^d rounded half to even, divided by 10^d (the official probe logs
 * `np.round(roc_auc_score(y, pred), 4)` and its callbacks compare that value).
 */
export function roundDecimals(x: number, decimals: number): number {
  const k = 10 ** decimals;
  const y = x * k;
  let r = Math.round(y);
  if (Math.abs(y - Math.trunc(y)) === 0.5) r = 2 * Math.round(y / 2);
  return r / k;
}

/**
 * The training loop shared by probe and fine-tuning: Adam (torch defaults, no weight decay), the learning-rate
 * schedule (`scheduler`), early stopping on validation macro AUROC (Lightning `EarlyStopping(mode="max",
 * patience, min_delta)`: an epoch counts as an improvement when it beats the best by more than minDelta), and
 * the checkpoint of Lightning's `ModelCheckpoint` (any strictly higher value becomes the checkpoint). With
 * `valAurocDecimals` the validation value is rounded first, as the official probe does. The variables are
 * restored to the checkpoint before returning.
 * Memory: the optimizer and its slots are disposed here; variables stay owned by the caller.
 */
export async function fitWithEarlyStopping(hooks: FitHooks, o: ResolvedProbeOptions): Promise<FitOutcome> {
  const optimizer = tf.train.adam(o.learningRate, 0.9, 0.999, 1e-8); // torch Adam defaults (eps 1e-8)
  const history: EpochLog[] = [];
  const copy = () => Promise.all(hooks.variables.map(async (v) => ((await v.data()) as Float32Array).slice()));
  let best: Float32Array[] = await copy();
  let bestValue = -Infinity;
  let bestEpoch = 0;
  let esBest = -Infinity;
  let wait = 0;
  let stoppedEarly = false;
  // learning-rate schedule state (torch CosineAnnealingLR / ReduceLROnPlateau semantics)
  let lr = o.learningRate;
  let plateauBest = -Infinity;
  let plateauBad = 0;
  const setLr = (x: number) => ((optimizer as unknown as { learningRate: number }).learningRate = x);
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      if (o.scheduler === "cosine") lr = cosineAnnealingLr(o.learningRate, epoch - 1, o.maxEpochs);
      setLr(lr);
      const t0 = performance.now();
      const ran = await hooks.runEpoch(optimizer, epoch);
      const stats = typeof ran === "number" ? { loss: ran } : ran;
      const raw = await hooks.validate();
      if (Number.isNaN(raw)) throw new Error("validation macro AUROC is NaN: no validation label has both classes");
      const val = o.valAurocDecimals === undefined ? raw : roundDecimals(raw, o.valAurocDecimals);
      const isBest = val > bestValue;
      if (isBest) {
        bestValue = val;
        bestEpoch = epoch;
        best = await copy();
      }
      const log: EpochLog = {
        epoch,
        lr,
        trainLoss: stats.loss,
        valMacroAuroc: val,
        best: isBest,
        seconds: (performance.now() - t0) / 1000,
        ...("steps" in stats ? { steps: stats.steps, trainRows: stats.rows } : {}),
      };
      if (o.scheduler === "reduce") {
        if (val > plateauBest * (1 + 1e-4)) {
          plateauBest = val;
          plateauBad = 0;
        } else if (++plateauBad > 3) {
          lr *= 0.5;
          plateauBad = 0;
        }
      }
      history.push(log);
      o.onEpoch?.(log);
      if (val > esBest + o.minDelta) {
        esBest = val;
        wait = 0;
      } else if (++wait >= o.patience) {
        stoppedEarly = epoch < o.maxEpochs;
        break;
      }
    }
  } finally {
    optimizer.dispose();
  }
  hooks.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(best[i]!, v.shape, "float32"))));
  return { best, history, bestEpoch, bestValMacroAuroc: bestValue, stoppedEarly };
}
