/**
 * Pretraining monitors as the training loop sees them: a reading every N steps, written to metrics.csv and
 * shown on the progress line. What a reading measures (k-NN macro AUROC on a fixed validation subset,
 * effective rank, feature std, prototype usage) is `modelMonitor` of src/eval/model_monitor.ts, one layer up:
 * the loop takes any {@link TrainMonitor}.
 */
import type { MultimodalMSN } from "../msn/multimodal_msn.js";
import { MONITOR_COLUMNS } from "../io/metrics_csv.js";

/** One monitor reading (plain numbers). */
export interface MonitorRow {
  /** Optimizer steps taken when the reading was made. */
  readonly step: number;
  /** Macro AUROC of the weighted k-NN classifier (cosine, k neighbours from `bank`) on `query`. */
  readonly knnAuroc: number;
  /** RankMe effective rank of the query features (1 = collapsed, at most min(n, D)). */
  readonly effectiveRank: number;
  /** Mean per-dimension std of the L2-normalised query features; 1/√D when they spread evenly, 0 when collapsed. */
  readonly featureStd: number;
  /** 1/√D, the reference of `featureStd`. */
  readonly featureStdRef: number;
  /** Entropy (nats) of the mean prototype assignment: log K when every prototype is used equally. */
  readonly protoEntropy: number;
  /** Mean per-image entropy (nats) of the prototype assignment: low = confident assignments. */
  readonly protoMeanEntropy: number;
  /** Prototypes that are the argmax of at least one query image. */
  readonly protosInUse: number;
  /** Wall-clock seconds the reading took. */
  readonly seconds: number;
}

/** The values of the metrics.csv monitor columns (`MONITOR_COLUMNS`, src/io/metrics_csv.ts) for `m`; empty fields without a reading. */
export function monitorFields(m: MonitorRow | undefined): string[] {
  if (!m) return MONITOR_COLUMNS.map(() => "");
  return [m.knnAuroc, m.effectiveRank, m.featureStd, m.protoEntropy, m.protoMeanEntropy, m.protosInUse].map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(6)));
}

/** The progress-line text of a reading, e.g. "kNN 0.612  rank 11.0  std 0.36/√D  protos 40/256". */
export function monitorText(m: MonitorRow, numPrototypes: number): string {
  return `kNN ${m.knnAuroc.toFixed(3)}  rank ${m.effectiveRank.toFixed(1)}  std ${(m.featureStd / m.featureStdRef).toFixed(2)}/√D  protos ${m.protosInUse}/${numPrototypes}`;
}

/** A monitor the training loop reads every `every` steps (and at the run's last step). */
export interface TrainMonitor {
  readonly every: number;
  /** Read the model now; must not change it, and must leave no tensors behind. */
  readonly read: (model: MultimodalMSN) => Promise<MonitorRow>;
}

/** Whether a run monitors at `step` (steps taken): every `every` steps and at the run's last step. */
export function monitorDue(step: number, every: number, lastStep: number): boolean {
  return every > 0 && (step % every === 0 || step === lastStep);
}

