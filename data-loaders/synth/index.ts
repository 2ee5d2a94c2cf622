/**
 * The embedded synthetic cohort: a small, seeded, realistic stand-in for MIMIC-CXR-JPG + MIMIC-IV,
 * NIH ChestX-ray14 and CheXpert, written in their real on-disk formats so that the real loaders read
 * it unchanged. See README.md in this folder for the generative model.
 *
 * @example
 * import { writeSyntheticCohort } from "./data-loaders/synth/index.js";
 * const report = await writeSyntheticCohort("runs/synth", { images: 40, imageSize: 64 });
 * console.log(report.counts.mimic?.images); // 40
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { COHORT_LAYOUT } from "../paths.js";
import { writeText } from "./csv.js";
import { buildChexpertCohort, buildChexpertTestSet, writeChexpert, writeChexpertTest, type ChexpertImage } from "./chexpert.js";
import { ImageWriter } from "./images.js";
import { writeMimic } from "./mimic.js";
import { buildMimicCohort, type MimicCohort } from "./mimic_cohort.js";
import { buildNihCohort, writeNih, type NihImage } from "./nih.js";
import { resolveSynthOptions, type ResolvedSynthOptions, type SynthOptions } from "./options.js";
import { Rng } from "../../src/utils/rng.js";
import { summariseChexpert, summariseMimic, summariseNih, summaryMarkdown, type CohortSummary } from "./summary.js";

export { resolveSynthOptions, SYNTH_DATASETS, SYNTH_OPTION_KEYS } from "./options.js";
export type { ResolvedSynthOptions, SynthDataset, SynthOptions } from "./options.js";
export { CHEXPERT_LABELS, CHEXPERT_CSV_LABEL_ORDER, NIH_LABELS, FINDINGS } from "./labels.js";
export type { ChexpertLabel, NihLabel, Finding, Findings } from "./labels.js";
export { drawRadiograph } from "./draw.js";
export type { DrawSpec, DrawView, DrawResult, FindingBox } from "./draw.js";
export type { CohortSummary } from "./summary.js";
export { buildChexpertTestSet, chexpertTestCount, CHEXPERT_TEST_HEADER, type ChexpertTestImage } from "./chexpert.js";

/** Version of the generative model; bump when the output for a given seed changes. */
export const SYNTH_VERSION = "1.0.0";

/** Paths (relative to the cohort root) of everything the generator writes, under the roots of `COHORT_LAYOUT`. */
export const SYNTH_PATHS = {
  mimicCxrRoot: COHORT_LAYOUT.mimicCxr,
  mimicMetadata: `${COHORT_LAYOUT.mimicCxr}/mimic-cxr-2.0.0-metadata.csv.gz`,
  mimicChexpert: `${COHORT_LAYOUT.mimicCxr}/mimic-cxr-2.0.0-chexpert.csv.gz`,
  mimicNegbio: `${COHORT_LAYOUT.mimicCxr}/mimic-cxr-2.0.0-negbio.csv.gz`,
  mimicSplit: `${COHORT_LAYOUT.mimicCxr}/mimic-cxr-2.0.0-split.csv.gz`,
  mimicImages: `${COHORT_LAYOUT.mimicCxr}/files`,
  mimicIvRoot: COHORT_LAYOUT.mimicIv,
  mimicIvPatients: `${COHORT_LAYOUT.mimicIv}/hosp/patients.csv.gz`,
  mimicIvAdmissions: `${COHORT_LAYOUT.mimicIv}/hosp/admissions.csv.gz`,
  mimicIvIcustays: `${COHORT_LAYOUT.mimicIv}/icu/icustays.csv.gz`,
  nihRoot: COHORT_LAYOUT.nih14,
  nihDataEntry: `${COHORT_LAYOUT.nih14}/Data_Entry_2017_v2020.csv`,
  nihBbox: `${COHORT_LAYOUT.nih14}/BBox_List_2017.csv`,
  nihTrainVal: `${COHORT_LAYOUT.nih14}/train_val_list.txt`,
  nihTest: `${COHORT_LAYOUT.nih14}/test_list.txt`,
  nihImages: `${COHORT_LAYOUT.nih14}/images`,
  chexpertRoot: COHORT_LAYOUT.chexpert.split("/")[0]!,
  chexpertTrain: `${COHORT_LAYOUT.chexpert}/train.csv`,
  chexpertValid: `${COHORT_LAYOUT.chexpert}/valid.csv`,
  manifestJson: "synth.json",
  manifestMd: "SYNTHETIC.md",
} as const;

/**
 * The CheXpert test set (the paper scores CheXpert on it), written beside train.csv in the real test
 * release's layout: `test_labels.csv` (`Path` + 14 labels, 0/1; `Path` relative to the CheXpert root)
 * and its images under `test/`. Read it with `loadChexpert({ root: <cohort>/chexpert/CheXpert-v1.0-small,
 * csv: "test_labels.csv" })`. Kept out of {@link SYNTH_PATHS} and the counts so that synth.json and
 * SYNTHETIC.md are the same as before it existed; none when `chexpertImages` < 10.
 */
export const SYNTH_CHEXPERT_TEST = {
  labels: `${COHORT_LAYOUT.chexpert}/test_labels.csv`,
  images: `${COHORT_LAYOUT.chexpert}/test`,
} as const;

/** The in-memory records of a cohort (before anything is written). */
export interface SyntheticCohort {
  options: ResolvedSynthOptions;
  mimic: MimicCohort | null;
  nih: NihImage[] | null;
  chexpert: ChexpertImage[] | null;
}

/** What {@link writeSyntheticCohort} returns; synth.json holds the same minus `outDir` and `elapsedMs`. */
export interface SynthReport {
  version: string;
  outDir: string;
  seed: number;
  options: ResolvedSynthOptions;
  counts: CohortSummary;
  paths: typeof SYNTH_PATHS;
  /** Wall time of the write in milliseconds (not written to the manifest, which must be reproducible). */
  elapsedMs: number;
}

/**
 * Build the cohort records without writing files (fast: no images are drawn).
 *
 * @param options generator options (validated)
 */
export function buildSyntheticCohort(options: SynthOptions = {}): SyntheticCohort {
  const o = resolveSynthOptions(options);
  const root = new Rng(o.seed);
  return {
    options: o,
    mimic: o.datasets.includes("mimic") ? buildMimicCohort(root, o) : null,
    nih: o.datasets.includes("nih") ? buildNihCohort(root, o) : null,
    chexpert: o.datasets.includes("chexpert") ? buildChexpertCohort(root, o) : null,
  };
}

/** Summaries of a built cohort. */
export function summariseCohort(c: SyntheticCohort): CohortSummary {
  const s: CohortSummary = {};
  if (c.mimic) s.mimic = summariseMimic(c.mimic);
  if (c.nih) s.nih = summariseNih(c.nih);
  if (c.chexpert) s.chexpert = summariseChexpert(c.chexpert);
  return s;
}

/**
 * Write a seeded synthetic cohort in the real on-disk formats of MIMIC-CXR-JPG 2.0.0 + MIMIC-IV 2.2,
 * NIH ChestX-ray14 and CheXpert-v1.0-small, plus `synth.json` and `SYNTHETIC.md` manifests.
 * The same seed and options give byte-identical files.
 *
 * @param outDir folder to write into (created; existing files with the same names are overwritten)
 * @param options see {@link SynthOptions}; unknown keys throw
 * @returns counts, prevalences and paths
 */
export async function writeSyntheticCohort(outDir: string, options: SynthOptions = {}): Promise<SynthReport> {
  const t0 = performance.now();
  const cohort = buildSyntheticCohort(options);
  const o = cohort.options;
  await mkdir(outDir, { recursive: true });
  const drawRng = new Rng(o.seed).fork("draw");
  const writer = new ImageWriter(4);
  if (cohort.mimic) await writeMimic(outDir, cohort.mimic, o, drawRng.fork("mimic"), writer);
  if (cohort.nih) await writeNih(outDir, cohort.nih, o, drawRng.fork("nih"), writer);
  if (cohort.chexpert) {
    await writeChexpert(outDir, cohort.chexpert, o, drawRng.fork("chexpert"), writer);
    // Its own streams (build and draw), so that every other file is unchanged by it.
    await writeChexpertTest(outDir, buildChexpertTestSet(new Rng(o.seed), o), o, drawRng.fork("chexpert-test"), writer);
  }
  await writer.flush();
  const counts = summariseCohort(cohort);
  const manifest = { version: SYNTH_VERSION, seed: o.seed, options: o, counts, paths: SYNTH_PATHS };
  await writeText(path.join(outDir, SYNTH_PATHS.manifestJson), JSON.stringify(manifest, null, 2) + "\n");
  await writeText(path.join(outDir, SYNTH_PATHS.manifestMd), manifestMarkdown(o, counts));
  return { ...manifest, outDir, elapsedMs: performance.now() - t0 };
}

function manifestMarkdown(o: ResolvedSynthOptions, counts: CohortSummary): string {
  return [
    "# Synthetic cohort (not patient data)",
    "",
    `Every file here was generated by multimodal-msn's synthetic cohort generator v${SYNTH_VERSION} (\`writeSyntheticCohort\`, data-loaders/synth) with seed ${o.seed}.`,
    "The formats copy MIMIC-CXR-JPG 2.0.0, MIMIC-IV 2.2, NIH ChestX-ray14 and CheXpert-v1.0-small; all identifiers, dates, labels and images are synthetic.",
    "",
    `Options: \`${JSON.stringify(o)}\``,
    "",
    summaryMarkdown(counts),
  ].join("\n");
}
