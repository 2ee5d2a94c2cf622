/**
 * MIMIC-IV EHR features per MIMIC-CXR image, as the paper builds them (docs/data-formats.md#ehr-linking;
 * CXR-EHR-MSN `EHR-data-extract.ipynb` / `EHR-data-prep.ipynb`):
 * 1. link each image to MIMIC-IV by `subject_id`, matching by **date** (StudyDate, time dropped);
 * 2. age = StudyYear − (anchor_year − anchor_age);
 * 3. in-hospital death = `hospital_expire_flag` of an admission with admit date ≤ StudyDate ≤ discharge
 *    date (last match in table order wins; default 0); in ICU = StudyDate within [intime date, outtime date]
 *    of any ICU stay (default 0);
 * 4. drop images of subjects without a sex record, and rare views (kept: AP, PA, LATERAL, LL, blank);
 * 5. impute blank view/orientation (option `scanImputation`: `"mode"`, {@link imputeViewOrientation}, the default, or
 *    `"iterative"`, the official IterativeImputer + random forests, {@link imputeViewOrientationIterative}) and
 *    missing ages ({@link imputeAges});
 * 6. encode the selected groups ({@link selectionColumns}) into a danfojs DataFrame and a CSV whose first
 *    column is `path`, like the paper's CSVs.
 * Reads MIMIC-IV v1.0 (`core/`, `icu/`) and v2.x (`hosp/`, `icu/`) layouts, `.csv` or `.csv.gz`. Every
 * value is validated (data-loaders/mimic_iv_tables.ts): invalid ones are read as missing and counted.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { readCsv } from "./csv.js";
import { encodeRecord, selectionColumns, type EhrRecord, type EhrSelection, EHR_VIEWS } from "./ehr_features.js";
import { imputeAges, imputeViewOrientation, imputeViewOrientationIterative, SCAN_IMPUTATIONS, type ScanImputation, type ScanMeta } from "./ehr_impute.js";
import { readAdmissions, readIcuStays, readPatients } from "./mimic_iv_tables.js";
import { AGE_RANGE } from "./values.js";
import { mimicImagePath, readMimicMetadata } from "./mimic_cxr.js";
import { checkChoice, checkOptionKeys } from "../src/utils/validate.js";
import { dataFrame, type DataFrameLike } from "../src/utils/dataframe.js";
import { renderCsv, writeTextSync } from "./synth/csv.js";
import { DataFormatError, LoadReport } from "./report.js";

/** Options of {@link extractEhrFeatures}. Unknown keys throw. */
export interface EhrOptions {
  /** MIMIC-IV root holding `hosp/` (v2.x) or `core/` (v1.0), and `icu/`. */
  readonly mimicIvRoot: string;
  /** MIMIC-CXR(-JPG) metadata CSV (`mimic-cxr-2.0.0-metadata.csv[.gz]`). */
  readonly metadata: string;
  /** Which features. */
  readonly selection: EhrSelection;
  /** Write the CSV here (directories are created). Omitted: no file. */
  readonly outCsv?: string;
  /** `path` column layout: `files` (pXX/pSUBJECT/sSTUDY/DICOM.jpg, default) or `resized` (DICOM.jpg, MedFuse). */
  readonly layout?: "files" | "resized";
  /** Prefix joined in front of every `path` (e.g. the image folder). Default `""` (relative paths). */
  readonly pathPrefix?: string;
  /**
   * How blank views / orientations are imputed: `"mode"` (conditional mode, {@link imputeViewOrientation};
   * default) or `"iterative"` (the paper's code: label codes → IterativeImputer with random forests, 10 rounds,
   * seed 24 → rounded codes; {@link imputeViewOrientationIterative}). They give different categories.
   */
  readonly scanImputation?: ScanImputation;
}

const EHR_KEYS = ["mimicIvRoot", "metadata", "selection", "outCsv", "layout", "pathPrefix", "scanImputation"];

/** Result of {@link extractEhrFeatures}. */
export interface EhrFeatures extends EhrMatrix {
  /** danfojs-node DataFrame (an optional peer dependency): `path` + the named feature columns. */
  readonly df: DataFrameLike;
}

/** The EHR features without the DataFrame (what training needs). */
export interface EhrMatrix {
  /** Feature column names, in order. */
  readonly columns: readonly string[];
  /** Features, row-major `rows × columns.length` (the EHR input of the model). */
  readonly matrix: Float32Array;
  /** `path` column. */
  readonly paths: readonly string[];
  /** dicom_id of each row. */
  readonly dicomIds: readonly string[];
  /** subject_id of each row. */
  readonly subjectIds: readonly string[];
  /** Linked raw values (after imputation) of each row. */
  readonly records: readonly EhrRecord[];
  /** Skips (missing sex, rare views, bad rows, invalid dates), values read as missing (invalid ages) and imputation counts. */
  readonly report: LoadReport;
}

/** Find `<root>/<dir>/<name>.csv[.gz]` for the first dir that has it. */
export function findMimicIvTable(root: string, dirs: readonly string[], name: string): string {
  for (const d of dirs) for (const ext of [".csv.gz", ".csv"]) {
    const p = path.join(root, d, name + ext);
    if (existsSync(p)) return p;
  }
  throw new DataFormatError(
    path.join(root, dirs[0]!, `${name}.csv.gz`),
    `MIMIC-IV table "${name}" not found (looked in ${dirs.join("/, ")}/ as .csv.gz and .csv)`,
    "point mimicIvRoot at the MIMIC-IV folder that contains hosp/ (v2.x) or core/ (v1.0) and icu/",
  );
}

/**
 * Link MIMIC-CXR images to MIMIC-IV and build the paper's EHR feature table.
 * @returns the DataFrame, the float matrix and a report; no tensors
 * @throws DataFormatError when a table or a required column is missing
 * @example
 * const ehr = await extractEhrFeatures({ mimicIvRoot: "/data/mimiciv/2.2", metadata: "/data/cxr/mimic-cxr-2.0.0-metadata.csv.gz",
 *   selection: { groups: ["demographic", "scan", "inpatient"], age: "norm" }, outCsv: "ehr/all-age-norm.csv" });
 */
export async function extractEhrFeatures(opts: EhrOptions): Promise<EhrFeatures> {
  const m = extractEhrMatrix(opts, "extractEhrFeatures");
  // Step 6: the DataFrame (danfojs-node, an optional peer dependency, is loaded lazily: ~1.5 s to import).
  const df = await dataFrame(ehrTable(m, opts.selection), ["path", ...m.columns], "extractEhrFeatures");
  return { ...m, df };
}

/**
 * Steps 1–5 of {@link extractEhrFeatures}: the linked, imputed and encoded features as a float matrix, without
 * loading danfojs or building a DataFrame (pretraining needs only the matrix); writes `outCsv` when given.
 *
 * Missing-value policy (every case is counted in `report` with file and line; nothing is read as 0):
 * - `anchor_age` blank, non-numeric, negative or outside [0, 120], or `anchor_year` not a year: read as missing
 *   ({@link LoadReport.missing}, "invalid anchor_age" / "invalid anchor_year"); the subject keeps its sex, and the
 *   age of its images is imputed. An age at the study (StudyYear − birth year) outside [0, 120] is missing too
 *   ("age at study out of range"). Missing ages get the median age of the kept images ({@link imputeAges}; a
 *   note gives the count and value); when no age at all is valid and age is selected, a {@link DataFormatError}.
 * - `gender` other than M/F ("invalid gender"): the subject's images are dropped as "missing sex (gender not M/F)";
 *   subjects absent from `patients`: "missing sex (subject not in patients)". A bad age is never a missing sex.
 * - `admittime`/`dischtime`/`intime`/`outtime` not a valid date-time, or `hospital_expire_flag` not 0/1: that
 *   admission or ICU stay is skipped ("invalid admittime", …) and links no image, so no flag is set from a
 *   garbage value; an image is in ICU / died only through valid rows.
 * - `StudyDate` not a calendar date: the image is skipped ("invalid StudyDate"); `StudyTime` is not used.
 * - Blank view/orientation, or an orientation other than Erect/Recumbent ("unknown orientation"): imputed as
 *   `scanImputation` says (conditional mode by default, or the official iterative imputer).
 * @throws DataFormatError when a table or a required column is missing, or no valid age exists to impute from
 */
export function extractEhrMatrix(opts: EhrOptions, where = "extractEhrMatrix"): EhrMatrix {
  checkOptionKeys(opts, EHR_KEYS, where);
  const scanImputation = checkChoice(opts.scanImputation ?? "mode", `${where} scanImputation`, SCAN_IMPUTATIONS);
  const { variables, age, columns } = selectionColumns(opts.selection);
  const root = path.resolve(opts.mimicIvRoot);
  const report = new LoadReport(`mimic-iv ehr (${opts.metadata})`);

  // Step 1: MIMIC-IV tables (v2.x hosp/ or v1.0 core/).
  const patientsFile = findMimicIvTable(root, ["hosp", "core"], "patients");
  const patient = readPatients(readCsv(patientsFile, report), report);
  const adms = readAdmissions(readCsv(findMimicIvTable(root, ["hosp", "core"], "admissions"), report), report);
  const stays = readIcuStays(readCsv(findMimicIvTable(root, ["icu"], "icustays"), report), report);

  // Step 2: link each image (date-level matching, as the paper).
  const { rows: meta } = readMimicMetadata(opts.metadata, report);
  const kept: { dicomId: string; subjectId: string; rel: string; sex: "M" | "F"; age: number; died: 0 | 1; icu: 0 | 1; scan: ScanMeta }[] = [];
  const allowedViews = new Set<string>([...EHR_VIEWS, ""]);
  for (const m of meta) {
    const pt = patient.get(m.subjectId);
    if (pt === undefined) {
      report.skip("missing sex (subject not in patients)", { file: opts.metadata, line: m.line, detail: `subject_id ${m.subjectId}` });
      continue;
    }
    if (pt.sex === "") {
      report.skip("missing sex (gender not M/F)", { file: opts.metadata, line: m.line, detail: `subject_id ${m.subjectId} (see "invalid gender" in ${patientsFile})` });
      continue;
    }
    if (!allowedViews.has(m.view)) {
      report.skip("rare view dropped", { file: opts.metadata, line: m.line, detail: `${m.dicomId}: ${m.view}` });
      continue;
    }
    const d = Number(m.studyDate);
    let age = Number(m.studyDate.slice(0, 4)) - pt.birthYear;
    if (!Number.isNaN(age) && !(age >= AGE_RANGE[0] && age <= AGE_RANGE[1])) {
      report.missing("age at study out of range", { file: opts.metadata, line: m.line, detail: `${m.dicomId}: StudyDate ${m.studyDate} − birth year ${pt.birthYear} = ${age} years; read as missing` });
      age = NaN;
    }
    let died: 0 | 1 = 0;
    for (const adm of adms.get(m.subjectId) ?? []) if (adm.from <= d && d <= adm.to) died = adm.died;
    const icu: 0 | 1 = (stays.get(m.subjectId) ?? []).some((st) => st.from <= d && d <= st.to) ? 1 : 0;
    const orient = m.orientation === "Erect" || m.orientation === "Recumbent" ? m.orientation : "";
    if (m.orientation !== "" && orient === "") {
      report.missing("unknown orientation", { file: opts.metadata, line: m.line, detail: `${m.dicomId}: PatientOrientationCodeSequence_CodeMeaning "${m.orientation}" is not Erect or Recumbent; read as missing (imputed)` });
    }
    kept.push({
      dicomId: m.dicomId,
      subjectId: m.subjectId,
      rel: opts.layout === "resized" ? `${m.dicomId}.jpg` : mimicImagePath(m.subjectId, m.studyId, m.dicomId),
      sex: pt.sex,
      age,
      died,
      icu,
      scan: { view: m.view, orientation: orient },
    });
  }

  // Step 3: impute view / orientation jointly, and missing ages by the median.
  const scans = kept.map((k) => k.scan);
  if (scanImputation === "iterative") {
    const imputed = imputeViewOrientationIterative(scans);
    report.notes.push(`imputed ${imputed.views} views and ${imputed.orientations} orientations (iterative: random forests, ${imputed.rounds} rounds, as the paper's code)`);
  } else {
    const imputed = imputeViewOrientation(scans);
    report.notes.push(`imputed ${imputed.views} views and ${imputed.orientations} orientations (conditional mode)`);
  }
  const ages = kept.map((k) => k.age);
  const agesImputed = imputeAges(ages);
  if (agesImputed.imputed > 0) report.notes.push(`imputed ${agesImputed.imputed} missing ages with the median age ${agesImputed.value}`);
  if (Number.isNaN(agesImputed.value) && kept.length > 0 && variables.includes("age")) {
    throw new DataFormatError(patientsFile, "no image has a valid age (every anchor_age or anchor_year is invalid), so age cannot be imputed", "use the original patients table, or select the EHR features without age", "anchor_age");
  }
  kept.forEach((k, i) => (k.age = ages[i]!));

  // Step 4: encode.
  const records: EhrRecord[] = kept.map((k) => ({ sex: k.sex, age: k.age, view: k.scan.view as EhrRecord["view"], orientation: k.scan.orientation as EhrRecord["orientation"], died: k.died, icu: k.icu }));
  const C = columns.length;
  const matrix = new Float32Array(records.length * C);
  const row = new Float64Array(C);
  const prefix = opts.pathPrefix ?? "";
  const paths = kept.map((k) => (prefix ? path.join(prefix, k.rel) : k.rel));
  records.forEach((rec, i) => {
    encodeRecord(rec, variables, age, row);
    matrix.set(row, i * C);
  });
  report.read = meta.length;
  report.kept = records.length;
  const m: EhrMatrix = { columns, matrix, paths, dicomIds: kept.map((k) => k.dicomId), subjectIds: kept.map((k) => k.subjectId), records, report };
  // Step 5: the CSV (path + feature columns, the paper's format).
  if (opts.outCsv !== undefined) writeTextSync(path.resolve(opts.outCsv), renderCsv(["path", ...columns].join(","), ehrTable(m, opts.selection)));
  return m;
}

/** `path` + the features of each row as float64 (age_norm is not rounded to float32, as in the paper's CSV). */
function ehrTable(m: EhrMatrix, selection: EhrSelection): (string | number)[][] {
  const { variables, age } = selectionColumns(selection);
  const row = new Float64Array(m.columns.length);
  return m.records.map((rec, i) => {
    encodeRecord(rec, variables, age, row);
    return [m.paths[i]!, ...row];
  });
}
