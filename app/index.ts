/**
 * multimodal-msn/app: the application layer over the library (`multimodal-msn`) and the loaders
 * (`multimodal-msn/data-loaders`): the data glue, the study's method runner and comparison reports, EHR group
 * selections, and the toy view generator. The `mmsn` CLI (`app/cli/`) and the notebooks use these.
 * @example
 * import { runMethod, splitFeatures, pretrainBatches } from "multimodal-msn/app";
 */
export {
  COHORT_LAYOUT,
  DATASETS,
  DATA_ROOT_ENV,
  alignEhr,
  cohortEhr,
  datasetFeatures,
  ehrColumnShares,
  evalImageBatches,
  labeledBatches,
  loadDataset,
  mimicEhr,
  monitorImages,
  msnViews,
  pretrainBatches,
  resolveDataRoots,
  splitFeatures,
  stratifiedSubset,
  subsetFromEnv,
  SUBSET_ENV,
  LARGE_DATASET_IMAGES,
} from "./data.js";
export type { AlignedEhr, DataRootName, DataRoots, DatasetFeatureOptions, DatasetName, EhrColumnShare, MonitorImageSet, PretrainBatchOptions, SubsetOptions } from "./data.js";
export { ehrCombinations, methodName, parseEhrGroups } from "./study/ehr_groups.js";
export { knnScores, runMethod } from "./study/method_run.js";
export { formatP, learningCurveChart, learningCurveText, pairedTestNote, seedFindings, seedSummary, seedSummaryMarkdown, seedSummaryText, READOUT_TITLE } from "./study/seeds.js";
export type { CurvePoint, CurveProbe, PairedRow, Readout, SeedMethodResult, SeedRun, SeedSummary, SeedSummaryRow } from "./study/seeds.js";
export { monitorChart, monitorReadings, monitorSentence, readMetrics, type MetricsRow } from "./study/run_summary.js";
export type { MethodRun, MethodRunOptions } from "./study/method_run.js";
export { GROUP_ABLATION_DEFAULTS, ablationFindings, ehrCrossTab, ehrPreview, ehrShareChart, groupAblationData, labelPrevalence, runGroupAblation, type GroupAblationData, type GroupAblationDataOptions, type GroupAblationOptions, type GroupAblationResult } from "./study/ablation.js";
export { comparisonMarkdown, comparisonPoints, comparisonText, perLabelComparison, readProbeResult, shortLabel, writeProbeOutputs, writeStudyReport } from "./study/report.js";
export type { MethodResult, ProbeOutputs, StudyReportFiles } from "./study/report.js";
export { toyBatches } from "./demo/toy_views.js";
// Paired comparisons and the monitors' types (library code the study reports use; `modelMonitor` is in the library's index).
export { pairedBootstrap, seedMeanMacroAuroc, type PairedComparison, type SeedMeanAuroc } from "../src/eval/paired.js";
export type { MonitorImages, MonitorOptions } from "../src/eval/model_monitor.js";
export type { MonitorRow, TrainMonitor } from "../src/train/monitor.js";
