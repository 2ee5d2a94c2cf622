/**
 * Data loaders for multimodal MSN: NIH ChestX-ray14, CheXpert, MIMIC-CXR-JPG, MIMIC-IV EHR features,
 * image decoding (sharp, DICOM), MSN views, batches and the preprocessing cache.
 */
export * from "./report.js";
export * from "./csv.js";
export * from "./paths.js";
export * from "./labels.js";
export { deriveSeed, makeRng, type RngFn } from "../src/utils/rng.js";
export * from "./split.js";
export * from "./image_types.js";
export * from "./image.js";
export * from "./dicom.js";
export * from "./dataset.js";
export * from "./image_check.js";
export * from "./nih14.js";
export * from "./chexpert.js";
export * from "./mimic_cxr.js";
export * from "./ehr_features.js";
export * from "./ehr_impute.js";
export * from "./mimic_iv_ehr.js";
export * from "./resample.js";
export * from "./views.js";
export * from "./batches.js";
export * from "./cache.js";
/** The synthetic cohort generator (also `mmsn synth`). */
export { writeSyntheticCohort } from "./synth/index.js";
/** The synthetic cohort generator's whole API. */
export * as synth from "./synth/index.js";
