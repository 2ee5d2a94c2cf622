/**
 * Imputation of missing view / orientation, two ways (option `scanImputation` of `extractEhrMatrix` /
 * `extractEhrFeatures`, {@link SCAN_IMPUTATIONS}):
 * - `"iterative"`, the official one ({@link imputeViewOrientationIterative}): CXR-EHR-MSN `EHR-data-prep.ipynb`
 *   label-encodes the two columns (view AP 0, LATERAL 1, LL 2, PA 3; orientation Erect 0, Recumbent 1), runs
 *   scikit-learn's `IterativeImputer(estimator=RandomForestRegressor(), max_iter=10, random_state=24)` on them
 *   together, rounds the regressed codes and decodes them. A forest with one predictor learns the mean *code*
 *   given the other column, and a rounded mean code is not the likeliest category: a missing view of an erect
 *   film, mostly PA (3) or LATERAL (1), becomes whatever the mean rounds to (LL, 2, on the test's tables).
 * - `"mode"` ({@link imputeViewOrientation}, the default for now): **conditional mode**. A missing view becomes
 *   the most frequent view among complete rows with the same orientation; a missing orientation the most
 *   frequent orientation for that view; when both are missing, each becomes its own most frequent value
 *   (each column's best guess given nothing). Ties go to the earlier category in {@link EHR_VIEWS} /
 *   {@link EHR_ORIENTATIONS} order. `test/data-loaders/mimic_iv_ehr.test.ts` shows it is no less accurate than
 *   the official imputer (run live with Debian's scikit-learn) on masked values.
 * The two are not the same imputation: on the tables of test/data-loaders/iterative_imputer.test.ts conditional
 * mode gives the official imputer's category for 45 of 161 imputed views (orientations mostly agree).
 * Missing ages (invalid anchor_age/anchor_year; never missing in real MIMIC-IV) get the median age
 * ({@link imputeAges}).
 */
import { EHR_ORIENTATIONS, EHR_VIEWS } from "./ehr_features.js";
import { iterativeImpute } from "./iterative_imputer.js";
import { checkInt, checkOptionKeys } from "../src/utils/validate.js";

// The imputer and its forest are public through this module (data-loaders/index.ts re-exports it).
export { iterativeImpute, type IterativeImputeOptions, type IterativeImputeResult, type Regressor } from "./iterative_imputer.js";
export { RandomForestRegressor, type RandomForestOptions } from "./random_forest.js";

/** A view or orientation that may be missing (`""`). */
export interface ScanMeta {
  view: string;
  orientation: string;
}

function argmax(counts: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[best]!) best = i;
  return best;
}

/**
 * Fill missing views and orientations in place by conditional mode (see the file header; the paper's code
 * uses {@link imputeViewOrientationIterative} instead).
 * @returns how many views and orientations were imputed
 * @example imputeViewOrientation([{ view: "", orientation: "Erect" }, { view: "PA", orientation: "Erect" }])
 */
export function imputeViewOrientation(rows: ScanMeta[]): { views: number; orientations: number } {
  const V = EHR_VIEWS as readonly string[];
  const O = EHR_ORIENTATIONS as readonly string[];
  const joint = V.map(() => O.map(() => 0));
  const viewCount = V.map(() => 0);
  for (const r of rows) {
    const v = V.indexOf(r.view);
    const o = O.indexOf(r.orientation);
    if (v >= 0) viewCount[v]!++;
    if (v >= 0 && o >= 0) joint[v]![o]!++;
  }
  // Fallbacks when a conditional has no complete rows: marginal counts.
  const orientCount = O.map(() => 0);
  for (const r of rows) {
    const o = O.indexOf(r.orientation);
    if (o >= 0) orientCount[o]!++;
  }
  const viewGivenO = O.map((_, o) => {
    const col = joint.map((row) => row[o]!);
    return col.some((c) => c > 0) ? argmax(col) : argmax(viewCount);
  });
  const oGivenView = V.map((_, v) => (joint[v]!.some((c) => c > 0) ? argmax(joint[v]!) : argmax(orientCount)));
  let views = 0;
  let orientations = 0;
  for (const r of rows) {
    // Both predictions use only *observed* values, so a row missing both gets the two marginal modes.
    const v = V.indexOf(r.view);
    const o = O.indexOf(r.orientation);
    if (v < 0) {
      r.view = V[o >= 0 ? viewGivenO[o]! : argmax(viewCount)]!;
      views++;
    }
    if (o < 0) {
      r.orientation = O[v >= 0 ? oGivenView[v]! : argmax(orientCount)]!;
      orientations++;
    }
  }
  return { views, orientations };
}

/** How missing views / orientations are filled: `"iterative"` (the paper's code) or `"mode"` (conditional mode). */
export type ScanImputation = "mode" | "iterative";
/** The values of {@link ScanImputation}; the first is the default. */
export const SCAN_IMPUTATIONS: readonly ScanImputation[] = ["mode", "iterative"];
/** The official label codes of the views (scikit-learn's LabelEncoder: alphabetical), code = index. */
export const VIEW_CODES = ["AP", "LATERAL", "LL", "PA"] as const;
/** The official label codes of the orientations, code = index. */
export const ORIENTATION_CODES = ["Erect", "Recumbent"] as const;

/** Options of {@link imputeViewOrientationIterative}. Unknown keys throw. */
export interface IterativeScanOptions {
  /** Rounds of the imputer (`max_iter`). Default 10, as the paper. */
  readonly maxIter?: number;
  /** Seed of the forests (the paper's `random_state`). Default 24. */
  readonly seed?: number;
}

/** NumPy's `round` (half to even), which the official `DataFrame.round()` uses. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Fill missing views and orientations in place as the paper's code does: label-encode ({@link VIEW_CODES},
 * {@link ORIENTATION_CODES}), impute the two code columns together with {@link iterativeImpute} (random forests,
 * 10 rounds, seed 24), round half to even, clip to the valid codes and decode. A column with no observed value
 * at all falls back to the first category of {@link EHR_VIEWS} / {@link EHR_ORIENTATIONS}, as
 * {@link imputeViewOrientation} does. Nothing is computed when no value is missing.
 * @returns how many views and orientations were imputed, and the imputer's rounds
 * @example
 * const rows = meta.map((m) => ({ view: m.view, orientation: m.orientation })); // "" = missing
 * const { views, orientations, rounds } = imputeViewOrientationIterative(rows); // rows now complete
 */
export function imputeViewOrientationIterative(rows: ScanMeta[], opts: IterativeScanOptions = {}): { views: number; orientations: number; rounds: number } {
  checkOptionKeys(opts, ["maxIter", "seed"], "imputeViewOrientationIterative");
  const maxIter = checkInt(opts.maxIter ?? 10, "imputeViewOrientationIterative maxIter", 0);
  const V = VIEW_CODES as readonly string[];
  const O = ORIENTATION_CODES as readonly string[];
  const codes = rows.map((r) => {
    const v = V.indexOf(r.view);
    const o = O.indexOf(r.orientation);
    return [v < 0 ? NaN : v, o < 0 ? NaN : o];
  });
  const views = codes.filter((c) => Number.isNaN(c[0])).length;
  const orientations = codes.filter((c) => Number.isNaN(c[1])).length;
  if (views === 0 && orientations === 0) return { views, orientations, rounds: 0 };
  const { imputed, rounds } = iterativeImpute(codes, { maxIter, seed: opts.seed ?? 24 });
  const decode = (x: number, names: readonly string[], fallback: string) =>
    Number.isNaN(x) ? fallback : names[Math.min(names.length - 1, Math.max(0, roundHalfEven(x)))]!;
  rows.forEach((r, i) => {
    if (Number.isNaN(codes[i]![0]!)) r.view = decode(imputed[i]![0]!, V, EHR_VIEWS[0]);
    if (Number.isNaN(codes[i]![1]!)) r.orientation = decode(imputed[i]![1]!, O, EHR_ORIENTATIONS[0]);
  });
  return { views, orientations, rounds };
}

/**
 * Fill missing ages (NaN) in place with the median of the observed ones (the mean of the two middle values
 * for an even count). Ages are missing when the patient's anchor_age or anchor_year is invalid, or when the
 * age at the study falls outside [0, 120] (see `extractEhrMatrix` in mimic_iv_ehr.ts).
 * @returns how many ages were imputed, and the value used (NaN when no age was observed: nothing is filled)
 * @example const a = [60, NaN, 70, 80]; imputeAges(a); a // [60, 70, 70, 80]
 */
export function imputeAges(ages: number[]): { imputed: number; value: number } {
  const seen = ages.filter((a) => !Number.isNaN(a)).sort((x, y) => x - y);
  const h = seen.length >> 1;
  const value = seen.length === 0 ? NaN : seen.length % 2 === 1 ? seen[h]! : (seen[h - 1]! + seen[h]!) / 2;
  let imputed = 0;
  if (Number.isNaN(value)) return { imputed, value };
  for (let i = 0; i < ages.length; i++) {
    if (Number.isNaN(ages[i]!)) {
      ages[i] = value;
      imputed++;
    }
  }
  return { imputed, value };
}
