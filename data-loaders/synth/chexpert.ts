/**
 * The synthetic CheXpert cohort in the CheXpert-v1.0-small layout (docs/data-formats.md#chexpert):
 * `chexpert/CheXpert-v1.0-small/{train,valid}.csv` with the real 19-column header, `Path` values that
 * start with the release folder, and images at those paths under `chexpert/`. train.csv carries labeler
 * output (1.0 / 0.0 / -1.0 / blank; No Finding only 1.0 or blank); valid.csv is radiologist-style 0/1.
 * Train patients are `patient00001…`, valid patients start at `patient64541` as in the real release.
 * The test set is apart ({@link buildChexpertTestSet}): `test_labels.csv` (`Path` + 14 labels, 0/1) and
 * `test/patientNNNNN/study1/…` in the same folder, as the real test release lays them out.
 */
import path from "node:path";
import { renderCsv, writeText, type Cell } from "./csv.js";
import { drawRadiograph } from "./draw.js";
import type { ImageWriter } from "./images.js";
import { CHEXPERT_CSV_LABEL_ORDER, chexpertTruth, reportLabels, sampleFindings, type ChexpertLabel, type Findings, type ReportValue } from "./labels.js";
import type { ResolvedSynthOptions } from "./options.js";
import { samplePatient, studySeverity, type SynthPatient } from "./patients.js";
import { Rng } from "../../src/utils/rng.js";
import { sigmoid } from "./sigmoid.js";

/** Header of CheXpert train.csv / valid.csv. */
export const CHEXPERT_HEADER = ["Path", "Sex", "Age", "Frontal/Lateral", "AP/PA", ...CHEXPERT_CSV_LABEL_ORDER].join(",");

/** One CheXpert image row. */
export interface ChexpertImage {
  path: string; split: "train" | "valid"; sex: "Male" | "Female" | "Unknown"; age: number;
  frontal: boolean; apPa: "AP" | "PA" | "LL" | "RL" | ""; labels: Record<ChexpertLabel, ReportValue>;
  findings: Findings; patient: SynthPatient; icu: boolean; recumbent: boolean;
}

/**
 * Build the CheXpert records: about 10% of the images (at least one patient) in valid.
 *
 * @param root cohort root stream (forks "chexpert")
 * @param o options (`chexpertImages` rows exactly)
 */
export function buildChexpertCohort(root: Rng, o: ResolvedSynthOptions): ChexpertImage[] {
  const r0 = root.fork("chexpert");
  const nValid = o.chexpertImages >= 10 ? Math.max(1, Math.round(o.chexpertImages * 0.1)) : 0;
  const out: ChexpertImage[] = [];
  const add = (split: "train" | "valid", n: number, firstId: number): void => {
    const start = out.length;
    for (let pid = firstId; out.length - start < n; pid++) {
      const r = r0.fork(`${split}-${pid}`);
      const p = samplePatient(r, 0.1);
      const nStudies = split === "valid" ? 1 : 1 + r.poisson(1.2);
      for (let s = 1; s <= nStudies && out.length - start < n; s++) {
        const z = studySeverity(r, p);
        const icu = r.bernoulli(sigmoid(-1.6 + 1.4 * z));
        const inpatient = icu || r.bernoulli(sigmoid(0.3 + 0.6 * z));
        const age = Math.min(90, Math.floor(p.age + (s - 1) * r.uniform(0, 0.4)));
        const findings = sampleFindings(r.fork(`truth-${s}`), { severity: z, age, sex: p.sex, heart: p.heart, icu, inpatient });
        const labels = split === "train" ? reportLabels(r.fork(`labels-${s}`), findings, "chexpert") : binaryLabels(findings);
        const ap = r.bernoulli(sigmoid(0.9 + 1.2 * (icu ? 1 : 0) + 0.5 * z));
        const views = ["frontal", ...(r.bernoulli(0.2) ? ["lateral"] : []), ...(r.bernoulli(0.04) ? ["frontal"] : [])];
        views.forEach((v, k) => {
          if (out.length - start >= n) return;
          const frontal = v === "frontal";
          out.push({
            path: `CheXpert-v1.0-small/${split}/patient${String(pid).padStart(5, "0")}/study${s}/view${k + 1}_${v}.jpg`,
            split, sex: p.sex === "M" ? "Male" : "Female", age, frontal, apPa: frontal ? (ap ? "AP" : "PA") : "", labels, findings, patient: p, icu, recumbent: ap && icu,
          });
        });
      }
    }
  };
  add("train", o.chexpertImages - nValid, 1);
  add("valid", nValid, 64541);
  applyQuirks(root.fork("chexpert-quirks"), out);
  return out;
}

function binaryLabels(f: Findings): Record<ChexpertLabel, ReportValue> {
  const out = {} as Record<ChexpertLabel, ReportValue>;
  for (const l of CHEXPERT_CSV_LABEL_ORDER) out[l] = chexpertTruth(f, l) ? "1.0" : "0.0";
  return out;
}

/** In train sets of at least 30 rows: one `Unknown` sex, one age 0, one `LL` and one `RL` frontal. */
function applyQuirks(r: Rng, rows: ChexpertImage[]): void {
  const train = rows.filter((x) => x.split === "train");
  if (train.length < 30) return;
  const frontal = r.shuffle(train.filter((x) => x.frontal));
  const any = r.shuffle(train);
  any[0]!.sex = "Unknown";
  any[1]!.age = 0;
  if (frontal.length >= 2) {
    frontal[0]!.apPa = "LL";
    frontal[1]!.apPa = "RL";
  }
}

/**
 * Write train.csv, valid.csv and the images under `outDir/chexpert/`.
 */
export async function writeChexpert(outDir: string, rows: readonly ChexpertImage[], o: ResolvedSynthOptions, drawRng: Rng, writer: ImageWriter): Promise<void> {
  const dir = path.join(outDir, "chexpert");
  const csv = (split: "train" | "valid"): string =>
    renderCsv(CHEXPERT_HEADER, rows.filter((x) => x.split === split).map((x): Cell[] => [
      x.path, x.sex, x.age, x.frontal ? "Frontal" : "Lateral", x.apPa, ...CHEXPERT_CSV_LABEL_ORDER.map((l) => x.labels[l]),
    ]));
  await writeText(path.join(dir, "CheXpert-v1.0-small", "train.csv"), csv("train"));
  await writeText(path.join(dir, "CheXpert-v1.0-small", "valid.csv"), csv("valid"));
  for (const x of rows) {
    const view = x.frontal ? (x.apPa === "PA" ? "PA" : "AP") : "LATERAL";
    const { pixels } = drawRadiograph({ view, findings: x.findings, sex: x.patient.sex, habitus: x.patient.habitus, recumbent: x.recumbent, icu: x.icu, extraRotation: x.apPa === "LL" || x.apPa === "RL" ? 0.2 : 0, size: o.imageSize }, drawRng.fork(x.path));
    await writer.add(path.join(dir, x.path), pixels, o.imageSize, { format: "jpeg", quality: o.jpegQuality });
  }
}

/** Header of the CheXpert test set's `test_labels.csv`: `Path` and the 14 observations in CheXpert's CSV order. */
export const CHEXPERT_TEST_HEADER = ["Path", ...CHEXPERT_CSV_LABEL_ORDER].join(",");

/** One image of the synthetic CheXpert test set (a row of `test_labels.csv`). */
export interface ChexpertTestImage {
  /** Relative to the CheXpert root, as in the real file: `test/patient64741/study1/view1_frontal.jpg`. */
  path: string; frontal: boolean; ap: boolean; labels: Record<ChexpertLabel, 0 | 1>;
  findings: Findings; patient: SynthPatient; icu: boolean; recumbent: boolean;
}

/** Test images for `chexpertImages` (a quarter of it, none below 10, like valid.csv). They are extra: train + valid stay `chexpertImages`. */
export function chexpertTestCount(o: ResolvedSynthOptions): number {
  return o.chexpertImages >= 10 ? Math.max(1, Math.round(o.chexpertImages * 0.25)) : 0;
}

/**
 * Build the CheXpert test set: one study per patient from `patient64741` (the real test range), a frontal
 * film and a lateral one in 30% of studies (real: 668 images, 500 studies), radiologist-style 0/1 labels
 * of the truth. Draws only from its own stream (`root.fork("chexpert-test")`), so train.csv, valid.csv and
 * every other file are the same with or without it.
 *
 * @param root cohort root stream
 * @param o options ({@link chexpertTestCount} images)
 */
export function buildChexpertTestSet(root: Rng, o: ResolvedSynthOptions): ChexpertTestImage[] {
  const r0 = root.fork("chexpert-test");
  const n = chexpertTestCount(o);
  const out: ChexpertTestImage[] = [];
  for (let pid = 64741; out.length < n; pid++) {
    const r = r0.fork(pid);
    const p = samplePatient(r, 0.1);
    const z = studySeverity(r, p);
    const icu = r.bernoulli(sigmoid(-1.6 + 1.4 * z));
    const inpatient = icu || r.bernoulli(sigmoid(0.3 + 0.6 * z));
    const findings = sampleFindings(r.fork("truth"), { severity: z, age: Math.min(90, Math.floor(p.age)), sex: p.sex, heart: p.heart, icu, inpatient });
    const labels = {} as Record<ChexpertLabel, 0 | 1>;
    for (const l of CHEXPERT_CSV_LABEL_ORDER) labels[l] = chexpertTruth(findings, l) ? 1 : 0;
    const ap = r.bernoulli(sigmoid(0.9 + 1.2 * (icu ? 1 : 0) + 0.5 * z));
    const views = ["frontal", ...(r.bernoulli(0.3) ? ["lateral"] : [])];
    views.forEach((v, k) => {
      if (out.length >= n) return;
      out.push({ path: `test/patient${pid}/study1/view${k + 1}_${v}.jpg`, frontal: v === "frontal", ap, labels, findings, patient: p, icu, recumbent: ap && icu });
    });
  }
  return out;
}

/**
 * Write `test_labels.csv` and the test images into the CheXpert root (`outDir/chexpert/CheXpert-v1.0-small/`).
 * Labels are written as the integers `0`/`1` (the authors' groundtruth.csv encoding).
 */
export async function writeChexpertTest(outDir: string, rows: readonly ChexpertTestImage[], o: ResolvedSynthOptions, drawRng: Rng, writer: ImageWriter): Promise<void> {
  if (rows.length === 0) return;
  const dir = path.join(outDir, "chexpert", "CheXpert-v1.0-small");
  await writeText(path.join(dir, "test_labels.csv"), renderCsv(CHEXPERT_TEST_HEADER, rows.map((x): Cell[] => [x.path, ...CHEXPERT_CSV_LABEL_ORDER.map((l) => x.labels[l])])));
  for (const x of rows) {
    const { pixels } = drawRadiograph({ view: x.frontal ? (x.ap ? "AP" : "PA") : "LATERAL", findings: x.findings, sex: x.patient.sex, habitus: x.patient.habitus, recumbent: x.recumbent, icu: x.icu, extraRotation: 0, size: o.imageSize }, drawRng.fork(x.path));
    await writer.add(path.join(dir, x.path), pixels, o.imageSize, { format: "jpeg", quality: o.jpegQuality });
  }
}
