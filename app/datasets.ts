/**
 * The datasets the CLI and the study read, by name. Its own module, free of imports, so the CLI's start-up
 * (every command's flag table) does not load the loaders.
 */
/** Datasets the CLI reads. */
export const DATASETS = ["mimic", "nih14", "chexpert"] as const;
/** One of {@link DATASETS}. */
export type DatasetName = (typeof DATASETS)[number];
