/**
 * EHR feature groups and encodings of the paper (docs/data-formats.md#ehr-groups; CXR-EHR-MSN
 * `notebooks/EHR-data-prep.ipynb`). Column names and orders match the paper's CSVs exactly.
 */
import { checkOptionKeys } from "../src/utils/validate.js";

/** The paper's EHR feature groups, in their canonical (CSV) order (repo names: socio-demographic, image_meta, clinical). */
export const EHR_GROUPS = ["demographic", "scan", "inpatient"] as const;
/** One of {@link EHR_GROUPS}. */
export type EhrGroup = (typeof EHR_GROUPS)[number];
/** Single variables. */
export type EhrVariable = "sex" | "age" | "view" | "orientation" | "mortality" | "icu";
/** Age encodings: (age − 16)/84, 5-year bins (16 one-hot), 10-year bins (9 one-hot). */
export type AgeEncoding = "norm" | "bins5" | "bins10";

/** A typed selection: whole groups, or single variables; `age` picks the age encoding (default `norm`). */
export type EhrSelection =
  | { readonly groups: readonly EhrGroup[]; readonly age?: AgeEncoding }
  | { readonly variables: readonly EhrVariable[]; readonly age?: AgeEncoding };

/** Variables of each group, in CSV order. */
export const EHR_GROUP_VARIABLES: Readonly<Record<EhrGroup, readonly EhrVariable[]>> = {
  demographic: ["sex", "age"],
  scan: ["view", "orientation"],
  inpatient: ["mortality", "icu"],
};

const VARIABLE_ORDER: readonly EhrVariable[] = ["sex", "age", "view", "orientation", "mortality", "icu"];

/** 5-year bin labels: `pd.cut(age, [0,20,25,…,90,inf])`, right-closed. */
export const AGE_BINS5 = ["<20", "20-25", "25-30", "30-35", "35-40", "40-45", "45-50", "50-55", "55-60", "60-65", "65-70", "70-75", "75-80", "80-85", "85-90", "90+"] as const;
/** 10-year bin labels (the paper's CSV marks the outer bins with `*` to keep names unique). */
export const AGE_BINS10 = ["<20*", "20-30", "30-40", "40-50", "50-60", "60-70", "70-80", "80-90", "90+*"] as const;
/** View one-hot columns, in the paper's order; other views are dropped before encoding. */
export const EHR_VIEWS = ["PA", "LATERAL", "AP", "LL"] as const;
/** Orientation one-hot columns. */
export const EHR_ORIENTATIONS = ["Erect", "Recumbent"] as const;

/** Column names of one variable under an age encoding. */
export function variableColumns(v: EhrVariable, age: AgeEncoding): readonly string[] {
  switch (v) {
    case "sex":
      return ["male", "female"];
    case "age":
      return age === "norm" ? ["age_norm"] : age === "bins5" ? AGE_BINS5 : AGE_BINS10;
    case "view":
      return EHR_VIEWS;
    case "orientation":
      return EHR_ORIENTATIONS;
    case "mortality":
      return ["alive", "died"];
    case "icu":
      return ["icu", "not_icu"];
  }
}

/**
 * Resolve a selection to its variables (canonical order: sex, age, view, orientation, mortality, icu) and
 * column names. Unknown keys, groups, variables or encodings throw.
 * @example selectionColumns({ groups: ["demographic", "inpatient"] }).columns // ["male","female","age_norm","alive","died","icu","not_icu"]
 */
export function selectionColumns(sel: EhrSelection): { variables: EhrVariable[]; age: AgeEncoding; columns: string[] } {
  const age = sel.age ?? "norm";
  if (!["norm", "bins5", "bins10"].includes(age)) throw new Error(`EHR selection: age must be norm, bins5 or bins10, got "${String(age)}"`);
  let vars: EhrVariable[];
  if ("groups" in sel) {
    checkOptionKeys(sel, ["groups", "age"], "EHR selection");
    for (const g of sel.groups) if (!EHR_GROUPS.includes(g)) throw new Error(`EHR selection: unknown group "${String(g)}". Valid groups: ${EHR_GROUPS.join(", ")}`);
    vars = EHR_GROUPS.filter((g) => sel.groups.includes(g)).flatMap((g) => [...EHR_GROUP_VARIABLES[g]]);
  } else {
    checkOptionKeys(sel, ["variables", "age"], "EHR selection");
    for (const v of sel.variables) if (!VARIABLE_ORDER.includes(v)) throw new Error(`EHR selection: unknown variable "${String(v)}". Valid: ${VARIABLE_ORDER.join(", ")}`);
    vars = VARIABLE_ORDER.filter((v) => sel.variables.includes(v));
  }
  if (vars.length === 0) throw new Error("EHR selection: select at least one group or variable");
  return { variables: vars, age, columns: vars.flatMap((v) => [...variableColumns(v, age)]) };
}

/**
 * The paper's 23 EHR CSVs by file name (single variables, single groups, pairs, all three), as selections.
 * @example extractEhrFeatures({ ..., selection: PAPER_EHR_SELECTIONS["all-age-norm"] })
 */
export const PAPER_EHR_SELECTIONS: Readonly<Record<string, EhrSelection>> = {
  gender: { variables: ["sex"] },
  "age-norm": { variables: ["age"], age: "norm" },
  age5: { variables: ["age"], age: "bins5" },
  age10: { variables: ["age"], age: "bins10" },
  view: { variables: ["view"] },
  orientation: { variables: ["orientation"] },
  mortality: { variables: ["mortality"] },
  icu: { variables: ["icu"] },
  "socio-norm": { groups: ["demographic"], age: "norm" },
  "socio-age5": { groups: ["demographic"], age: "bins5" },
  "socio-age10": { groups: ["demographic"], age: "bins10" },
  image_meta: { groups: ["scan"] },
  clinical: { groups: ["inpatient"] },
  "socio-age-norm-image-meta": { groups: ["demographic", "scan"], age: "norm" },
  "socio-age-norm-clinical": { groups: ["demographic", "inpatient"], age: "norm" },
  "socio-age-5-image-meta": { groups: ["demographic", "scan"], age: "bins5" },
  "socio-age-5-clinical": { groups: ["demographic", "inpatient"], age: "bins5" },
  "socio-age-10-image-meta": { groups: ["demographic", "scan"], age: "bins10" },
  "socio-age-10-clinical": { groups: ["demographic", "inpatient"], age: "bins10" },
  "image-meta-clinical": { groups: ["scan", "inpatient"] },
  "all-age-norm": { groups: ["demographic", "scan", "inpatient"], age: "norm" },
  "all-age-5": { groups: ["demographic", "scan", "inpatient"], age: "bins5" },
  "all-age-10": { groups: ["demographic", "scan", "inpatient"], age: "bins10" },
};

/** Index of the right-closed bin of `age` for edges `[0, e1, …, inf]` (ages ≤ first edge go to bin 0). */
function binIndex(age: number, inner: readonly number[]): number {
  let k = 0;
  while (k < inner.length && age > inner[k]!) k++;
  return k;
}
const EDGES5 = [20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90];
const EDGES10 = [20, 30, 40, 50, 60, 70, 80, 90];

/** One linked, imputed image record, ready for encoding. */
export interface EhrRecord {
  readonly sex: "M" | "F";
  readonly age: number;
  readonly view: (typeof EHR_VIEWS)[number];
  readonly orientation: (typeof EHR_ORIENTATIONS)[number];
  readonly died: 0 | 1;
  readonly icu: 0 | 1;
}

/**
 * Encode one record into `out` (length = number of selected columns), following the selection's variables.
 * @example encodeRecord(rec, ["sex", "age"], "norm", new Float32Array(3))
 */
export function encodeRecord(rec: EhrRecord, variables: readonly EhrVariable[], age: AgeEncoding, out: Float32Array | Float64Array, offset = 0): void {
  let o = offset;
  const oneHot = (k: number, n: number) => {
    for (let i = 0; i < n; i++) out[o + i] = i === k ? 1 : 0;
    o += n;
  };
  for (const v of variables) {
    if (v === "sex") oneHot(rec.sex === "M" ? 0 : 1, 2);
    else if (v === "age") {
      if (age === "norm") out[o++] = (rec.age - 16) / (100 - 16);
      else if (age === "bins5") oneHot(binIndex(rec.age, EDGES5), AGE_BINS5.length);
      else oneHot(binIndex(rec.age, EDGES10), AGE_BINS10.length);
    } else if (v === "view") oneHot(EHR_VIEWS.indexOf(rec.view), EHR_VIEWS.length);
    else if (v === "orientation") oneHot(EHR_ORIENTATIONS.indexOf(rec.orientation), 2);
    else if (v === "mortality") oneHot(rec.died, 2);
    else oneHot(rec.icu === 1 ? 0 : 1, 2);
  }
}
