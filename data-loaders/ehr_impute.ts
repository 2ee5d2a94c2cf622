/**
 * Imputation of missing view / orientation. The paper used scikit-learn's
 * `IterativeImputer(RandomForestRegressor(), max_iter=10, random_state=24)` on the two label-encoded
 * columns (view AP 0, LATERAL 1, LL 2, PA 3; orientation Erect 0, Recumbent 1), rounding the regressed
 * codes. With only one predictor per column, that model learns a (rounded) mean code given the other
 * column. We use the categorical equivalent without the rounding artefact: **conditional mode**. A
 * missing view becomes the most frequent view among complete rows with the same orientation; a missing
 * orientation the most frequent orientation for that view; when both are missing, each becomes its own
 * most frequent value (each column's best guess given nothing). Ties go to the earlier category in
 * {@link EHR_VIEWS} / {@link EHR_ORIENTATIONS} order. `test/data-loaders/mimic_iv_ehr.test.ts` shows it is
 * no less accurate than the paper's imputer (run live with Debian's scikit-learn) on masked values.
 * Missing ages (invalid anchor_age/anchor_year; never missing in real MIMIC-IV) get the median age
 * ({@link imputeAges}).
 */
import { EHR_ORIENTATIONS, EHR_VIEWS } from "./ehr_features.js";

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
 * Fill missing views and orientations in place by conditional mode (see the file header).
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
