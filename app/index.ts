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
  msnViews,
  pretrainBatches,
  resolveDataRoots,
  splitFeatures,
} from "./data.js";
export type { AlignedEhr, DataRootName, DataRoots, DatasetFeatureOptions, DatasetName, EhrColumnShare, PretrainBatchOptions } from "./data.js";
export { ehrCombinations, methodName, parseEhrGroups } from "./study/ehr_groups.js";
export { runMethod } from "./study/method_run.js";
export type { MethodRun, MethodRunOptions } from "./study/method_run.js";
export { GROUP_ABLATION_DEFAULTS, ablationFindings, ehrCrossTab, ehrPreview, ehrShareChart, groupAblationData, labelPrevalence, runGroupAblation, type GroupAblationData, type GroupAblationDataOptions, type GroupAblationOptions, type GroupAblationResult } from "./study/ablation.js";
export { comparisonMarkdown, comparisonPoints, comparisonText, perLabelComparison, readProbeResult, shortLabel, writeProbeOutputs, writeStudyReport } from "./study/report.js";
export type { MethodResult, ProbeOutputs, StudyReportFiles } from "./study/report.js";
export { toyBatches } from "./demo/toy_views.js";
