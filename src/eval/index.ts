/**
 * Public API of the evaluation module (paper §5–6): frozen-encoder features, the linear probe and
 * fine-tuning, metrics with bootstrap CIs, the MIMIC / CheXpert / NIH-14 protocols, and result tables.
 */
export { auroc, averagePrecision, evaluateMultilabel, macroAuroc } from "./metrics.js";
export type {
  BootstrapCi,
  EvaluateOptions,
  ExcludedLabel,
  Interval,
  LabelMetrics,
  MultilabelEvaluation,
} from "./metrics.js";
export { bootstrapInterval, quantileSorted } from "./bootstrap.js";
export { Rng as EvalRng } from "../utils/rng.js";
export { checkFeatureSet } from "./types.js";
export type { Encoder, FeatureSet, LabeledBatch, LabeledFeatures, TrainableEncoder } from "./types.js";
export { extractFeatures, readFeatureCache, writeFeatureCache } from "./features.js";
export type { ExtractedFeatures, ExtractOptions, FeatureCacheHeader } from "./features.js";
export { ProgressReporter, formatDuration } from "../utils/progress.js";
export type { ProgressOptions, ProgressSink } from "../utils/progress.js";
export {
  LinearProbe,
  assertSameLabels,
  labelFractionIndices,
  maskedBceWithLogits,
  trainLinearProbe,
} from "./linear_probe.js";
export type { EpochLog, ProbeOptions, ProbeTrainResult } from "./linear_probe.js";
export { fineTuneEncoder } from "./fine_tune.js";
export type { FineTuneData } from "./fine_tune.js";
export {
  LABEL_FRACTIONS,
  NO_FINDING,
  PROTOCOLS,
  chexpertProtocol,
  dropNoFindingOnly,
  labelFractionSweep,
  mimicProtocol,
  nih14Protocol,
  testProbe,
} from "./protocols.js";
export type { FeatureSplits, ProtocolName, ProtocolOptions, ProtocolResult } from "./protocols.js";
export { RESULT_COLUMNS, evaluationRows, formatWithCi, resultsDataFrame, toCsv, writeResultsCsv } from "./results.js";
export type { ResultRow } from "./results.js";
