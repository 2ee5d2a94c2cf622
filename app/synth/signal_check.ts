/**
 * Is the synthetic signal real? Fit simple supervised probes on a MIMIC-side synthetic cohort and
 * report per-label and macro AUROC on held-out *patients*:
 *
 * - image probe: L2 logistic regression on simple image statistics (mean and standard deviation of an
 *   8 × 8 grid of cells, 128 features) of the drawn radiographs;
 * - EHR probe: the paper's EHR features only (sex, normalised age, view and orientation one-hots,
 *   in-hospital death and ICU flags, matched by date as in the paper's notebooks).
 *
 * Labels are the study-level mimic-cxr-2.0.0-chexpert.csv cells read with U-Zeros (1.0 → 1, else 0),
 * as the paper's linear probe does. Images are drawn in memory (no JPEG round trip), at 128 px by default.
 */
import { auroc } from "../../src/eval/metrics.js";
import { formatStudyDate, formatDate } from "../../data-loaders/synth/dates.js";
import { drawRadiograph } from "../../data-loaders/synth/draw.js";
import { buildSyntheticCohort } from "../../data-loaders/synth/index.js";
import { CHEXPERT_LABELS, uZeros, type ChexpertLabel } from "../../data-loaders/synth/labels.js";
import { fitLogistic, predictLogistic } from "./logistic.js";
import { Rng } from "../../src/utils/rng.js";

/** Labels the EHR should predict: those tied to severity/ICU (devices, fluid, collapse) or to age/sex. */
export const EHR_PREDICTABLE_LABELS: readonly ChexpertLabel[] = ["Support Devices", "Pleural Effusion", "Edema", "Atelectasis", "Cardiomegaly", "No Finding"];

/** Options of {@link runSignalCheck}. */
export interface SignalCheckOptions {
  /** Cohort seed. Default 24. */
  seed?: number;
  /** MIMIC images in the cohort. Default 2000. */
  images?: number;
  /** Drawing size in pixels. Default 128. */
  imageSize?: number;
  /** Fraction of subjects held out. Default 0.3. */
  testFraction?: number;
}

/** Per-label AUROCs (null when the test split holds one class only) and their macro mean. */
export interface ProbeResult {
  perLabel: Record<string, number | null>;
  macro: number;
  /** Positives per label among the held-out images (small counts make the AUROC noisy). */
  testPositives: Record<string, number>;
}

/** Result of {@link runSignalCheck}. */
export interface SignalCheckResult {
  seed: number; images: number; imageSize: number;
  trainImages: number; testImages: number; trainSubjects: number; testSubjects: number;
  image: ProbeResult;
  ehr: ProbeResult & { macroPredictable: number };
  elapsedMs: number;
}

/** 8 × 8 grid cell means and standard deviations of an 8-bit image, scaled to [0, 1]. */
export function imageStatistics(pixels: Uint8Array, size: number, grid = 8): Float64Array {
  const out = new Float64Array(2 * grid * grid);
  const cell = size / grid;
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      let s = 0, s2 = 0, n = 0;
      for (let y = Math.floor(gy * cell); y < Math.floor((gy + 1) * cell); y++) {
        for (let x = Math.floor(gx * cell); x < Math.floor((gx + 1) * cell); x++) {
          const v = pixels[y * size + x]! / 255;
          s += v; s2 += v * v; n++;
        }
      }
      const m = s / n;
      out[gy * grid + gx] = m;
      out[grid * grid + gy * grid + gx] = Math.sqrt(Math.max(0, s2 / n - m * m));
    }
  }
  return out;
}

function probe(Xtr: Float64Array[], Ytr: number[][], Xte: Float64Array[], Yte: number[][], labels: readonly ChexpertLabel[]): ProbeResult {
  const perLabel: Record<string, number | null> = {};
  const testPositives: Record<string, number> = {};
  const vals: number[] = [];
  labels.forEach((l, k) => {
    const ytr = Ytr.map((r) => r[k]!), yte = Yte.map((r) => r[k]!);
    const pos = (a: number[]): number => a.reduce((s, v) => s + v, 0);
    testPositives[l] = pos(yte);
    if (pos(ytr) === 0 || pos(ytr) === ytr.length || pos(yte) === 0 || pos(yte) === yte.length) {
      perLabel[l] = null;
      return;
    }
    const m = fitLogistic(Xtr, ytr, { l2: 0.02, iterations: 250 });
    const a = auroc(yte, predictLogistic(m, Xte));
    perLabel[l] = a;
    vals.push(a);
  });
  return { perLabel, macro: vals.reduce((s, v) => s + v, 0) / Math.max(1, vals.length), testPositives };
}

/**
 * Run the signal check.
 *
 * @param options cohort size, seed, drawing size, held-out fraction
 * @returns AUROCs of the image and EHR probes on held-out subjects
 * @example const r = runSignalCheck({ images: 1000 }); r.image.macro > 0.6;
 */
export function runSignalCheck(options: SignalCheckOptions = {}): SignalCheckResult {
  const t0 = performance.now();
  const seed = options.seed ?? 24, images = options.images ?? 2000, size = options.imageSize ?? 128;
  const cohort = buildSyntheticCohort({ seed, images, datasets: ["mimic"], imageSize: size });
  const c = cohort.mimic!;
  const split = new Rng(seed).fork("signal-split");
  const testSubjects = new Set(c.subjects.filter(() => split.uniform() < (options.testFraction ?? 0.3)).map((s) => s.subjectId));
  const subjects = new Map(c.subjects.map((s) => [s.subjectId, s]));
  const drawRng = new Rng(seed).fork("draw").fork("mimic");
  const Xi: Float64Array[] = [], Xe: Float64Array[] = [], Y: number[][] = [], isTest: boolean[] = [];
  for (const st of c.studies) {
    if (st.chexpert === null) continue;
    const s = subjects.get(st.subjectId)!;
    const day = formatStudyDate(st.time);
    const d = (t: number): string => formatDate(t).replace(/-/g, "");
    let died = 0, icu = 0;
    for (const a of c.admissions) if (a.subjectId === s.subjectId && d(a.admit) <= day && day <= d(a.disch)) died = a.expire;
    for (const u of c.icustays) if (u.subjectId === s.subjectId && d(u.intime) <= day && day <= d(u.outtime)) icu = 1;
    const year = Number(day.slice(0, 4));
    const age = s.anchorAge + (year - s.anchorYear);
    const male = s.inPatientsTable && s.patient.sex === "M" ? 1 : 0, female = s.inPatientsTable && s.patient.sex === "F" ? 1 : 0;
    for (const im of st.images) {
      const { pixels } = drawRadiograph({ view: im.drawView, findings: st.findings, sex: s.patient.sex, habitus: s.patient.habitus, recumbent: im.recumbent, icu: st.icu, extraRotation: im.extraRotation, size }, drawRng.fork(im.dicomId));
      Xi.push(imageStatistics(pixels, size));
      const vp = im.viewPosition;
      Xe.push(Float64Array.from([male, female, (age - 16) / 84, vp === "PA" ? 1 : 0, vp === "LATERAL" ? 1 : 0, vp === "AP" ? 1 : 0, vp === "LL" ? 1 : 0,
        im.orientation === "Erect" ? 1 : 0, im.orientation === "Recumbent" ? 1 : 0, 1 - died, died, icu, 1 - icu]));
      Y.push(CHEXPERT_LABELS.map((l) => uZeros(st.chexpert![l])));
      isTest.push(testSubjects.has(s.subjectId));
    }
  }
  const pickRows = <T,>(a: T[], test: boolean): T[] => a.filter((_, i) => isTest[i] === test);
  const image = probe(pickRows(Xi, false), pickRows(Y, false), pickRows(Xi, true), pickRows(Y, true), CHEXPERT_LABELS);
  const ehr = probe(pickRows(Xe, false), pickRows(Y, false), pickRows(Xe, true), pickRows(Y, true), CHEXPERT_LABELS);
  const pred = EHR_PREDICTABLE_LABELS.map((l) => ehr.perLabel[l]).filter((v): v is number => typeof v === "number");
  return {
    seed, images: Xi.length, imageSize: size,
    trainImages: isTest.filter((t) => !t).length, testImages: isTest.filter((t) => t).length,
    trainSubjects: c.subjects.filter((s) => s.hasCxr && !testSubjects.has(s.subjectId)).length,
    testSubjects: c.subjects.filter((s) => s.hasCxr && testSubjects.has(s.subjectId)).length,
    image, ehr: { ...ehr, macroPredictable: pred.reduce((s, v) => s + v, 0) / Math.max(1, pred.length) },
    elapsedMs: performance.now() - t0,
  };
}
