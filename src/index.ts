/**
 * multimodal-msn: Masked Siamese Networks with EHR fusion for chest X-ray representation learning.
 * The public API, listed with a line each in docs/api.md; everything else is internal.
 * @example
 * import { initBackend, MultimodalMSN } from "multimodal-msn";
 * await initBackend();
 * const model = new MultimodalMSN("cxr_ehr_msn_tiny", { ehr: { ehrIn: 3 } });
 */
/** The package version. */
export const VERSION = "0.1.0";

// Backends
export { initBackend, currentBackend, BACKEND_NAMES } from "./backend/index.js";
export type { BackendName } from "./backend/index.js";

// Configuration: ViT and MSN presets, schedules
export { VIT_PRESETS, VIT_NAMES, vitConfig } from "./config/vit.js";
export type { ViTConfig } from "./config/vit.js";
export { MSN_PRESETS, MSN_PRESET_NAMES, msnConfig } from "./config/msn.js";
export type { MsnConfig, MsnOverrides, MsnPresetName } from "./config/msn.js";
export type { Schedule } from "./config/schedule.js";
export { scheduleValue } from "./optim/schedules.js";

// The model and the paper's maths
export { MultimodalMSN } from "./msn/multimodal_msn.js";
export type { GradientResult, StepOptions, StepResult } from "./msn/multimodal_msn.js";
export type { MsnBatch } from "./types/batch.js";
export { disposeBatch } from "./types/batch.js";
export { msnLoss, msnTargets, sinkhorn, sharpen, prototypeLogProbabilities } from "./msn/loss.js";
export { randomKeepIndices } from "./models/masking.js";
export type { KeepIndices } from "./models/masking.js";
export { emaUpdate } from "./msn/ema.js";
export { VisionTransformer } from "./models/vit.js";
export { AdamW } from "./optim/adamw.js";
export { Rng } from "./utils/rng.js";

// Training
export { pretrain } from "./train/pretrain.js";
export type { PretrainOptions } from "./train/pretrain.js";
export { trainRun } from "./train/run.js";
export type { TrainRunOptions, TrainRunResult } from "./train/run.js";
export { ProgressReporter } from "./utils/progress.js";

// Evaluation: features, linear probe, fine-tuning, protocols, metrics, result tables
export type { Encoder, LabeledBatch, LabeledFeatures } from "./eval/types.js";
export { extractFeatures } from "./eval/features.js";
export { LinearProbe, trainLinearProbe } from "./eval/linear_probe.js";
export type { ProbeOptions } from "./eval/probe_options.js";
export { fineTuneEncoder } from "./eval/fine_tune.js";
export { mimicProtocol, nih14Protocol, chexpertProtocol, labelFractionSweep } from "./eval/protocols.js";
export type { FeatureSplits, ProtocolResult } from "./eval/protocols.js";
export { auroc, averagePrecision, macroAuroc, evaluateMultilabel } from "./eval/metrics.js";
export { modelMonitor } from "./eval/model_monitor.js";
export type { EvaluateOptions, MultilabelEvaluation } from "./eval/metrics.js";
export { evaluationRows, formatWithCi, resultsDataFrame, writeResultsCsv } from "./eval/results.js";
export type { ResultRow } from "./eval/results.js";

// Visualisation: Vega-Lite charts, rendering, notebook display, image grids, attention maps
export { lineChart, histogramChart, groupedComparisonChart, perLabelChart } from "./viz/charts.js";
export type { ComparisonPoint } from "./viz/charts.js";
export { renderSvg, renderPng, saveChart } from "./viz/render.js";
export { displayChart } from "./viz/notebook.js";
export { imageGridJpeg, batchTiles, upscaleTile } from "./viz/image_grid.js";
export { clsAttention, attentionOverlayRows } from "./viz/attention.js";
