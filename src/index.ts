/**
 * multimodal-msn: Masked Siamese Networks with EHR fusion for chest X-ray representation learning.
 * @example
 * import { initBackend, MultimodalMSN } from "multimodal-msn";
 * await initBackend();
 * const model = new MultimodalMSN("cxr_ehr_msn_tiny", { ehr: { ehrIn: 3 } });
 */
export const VERSION = "0.1.0";
export { initBackend, currentBackend, BACKEND_NAMES } from "./backend/index.js";
export type { BackendInfo, BackendName } from "./backend/index.js";
export { VIT_PRESETS, VIT_NAMES, vitConfig, validateViTConfig } from "./config/vit.js";
export type { ViTConfig, ViTName } from "./config/vit.js";
export { MSN_PRESETS, MSN_PRESET_NAMES, msnConfig, validateMsnConfig } from "./config/msn.js";
export type { MsnConfig, MsnOverrides, MsnPresetName, HeadConfig, EhrConfig, OptimizerConfig } from "./config/msn.js";
export { MultimodalMSN } from "./msn/multimodal_msn.js";
export type { StepResult, StepOptions, GradientResult } from "./msn/multimodal_msn.js";
export type { MsnBatch } from "./types/batch.js";
export { disposeBatch } from "./types/batch.js";
export { msnLoss, msnTargets, sinkhorn, sharpen, prototypeLogProbabilities, l2Normalize } from "./msn/loss.js";
export type { MsnLossParts, LossOptions, TargetOptions } from "./msn/loss.js";
export { randomKeepIndices } from "./models/masking.js";
export type { KeepIndices } from "./models/masking.js";
export { emaUpdate } from "./msn/ema.js";
export { VisionTransformer } from "./models/vit.js";
export { ProjectionHead } from "./models/heads.js";
export { LinearEhrProjector, EhrFusion } from "./models/ehr_projector.js";
export type { EhrProjector } from "./models/ehr_projector.js";
export { AdamW } from "./optim/adamw.js";
export { scheduleValue } from "./optim/schedules.js";
export type { Schedule } from "./config/schedule.js";
export { pretrain } from "./train/pretrain.js";
export type { PretrainOptions, StepReport } from "./train/pretrain.js";
export { trainRun, METRICS_COLUMNS } from "./train/run.js";
export type { TrainRunOptions, TrainRunResult } from "./train/run.js";
export { toyBatches } from "../app/demo/toy_views.js";
export { ProgressReporter, formatDuration } from "./utils/progress.js";
export * from "./eval/index.js";
export * from "./viz/index.js";
export { Rng } from "./utils/rng.js";
export { EHR_GROUP_NAMES, parseEhrGroups, methodName, ehrCombinations } from "../app/study/ehr_groups.js";
export type { EhrGroupName } from "../app/study/ehr_groups.js";
export { comparisonMarkdown, comparisonPoints, comparisonText, perLabelComparison, shortLabel, writeProbeOutputs, writeStudyReport, readProbeResult } from "../app/study/report.js";
export { runMethod } from "../app/study/method_run.js";
export type { MethodRun, MethodRunOptions } from "../app/study/method_run.js";
export type { MethodResult, ProbeOutputs, StudyReportFiles } from "../app/study/report.js";
