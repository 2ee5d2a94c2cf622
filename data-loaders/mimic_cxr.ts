/**
 * MIMIC-CXR-JPG loader: `mimic-cxr-2.0.0-metadata.csv[.gz]` (one row per image), the study-level label
 * files (`-chexpert` or `-negbio`, alphabetical labels, joined to images by `study_id`: an inner join, as
 * in the paper), the official `-split.csv[.gz]` (`train`/`validate`/`test`), the paper's (MedFuse)
 * patient-level split, and the `files/pXX/pSUBJECT/sSTUDY/DICOM.jpg` layout or a flat resized folder
 * (`resized/<dicom_id>.jpg`, MedFuse's `resize.py`).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { optionalColumn, readCsv, requireColumn } from "./csv.js";
import { emptyColumns, finishDataset, viewAllowed, type CxrDataset, type ViewFilter } from "./dataset.js";
import { applyPolicy, CHEXPERT_LABELS, checkLabelPolicy, PAPER_LABEL_POLICY, parseLabelCell, type LabelPolicy } from "./labels.js";
import { checkOptionKeys } from "../src/utils/validate.js";
import { imageFileChecker, resolveInside } from "./paths.js";
import { readSubjectList } from "./medfuse.js";
import { LoadReport } from "./report.js";
import { DEFAULT_SPLIT_FRACTIONS, seededPatientSplit, type SplitFractions, type SplitName } from "./split.js";
import { parseStudyDate, parseStudyTime, showCell } from "./values.js";

/** How to split MIMIC-CXR. */
export type MimicSplit =
  /** A split CSV with `dicom_id` and `split` columns: the official file (default name) or MedFuse's `mimic-cxr-ehr-split.csv`. */
  | { readonly kind: "official"; readonly file?: string }
  /**
   * The paper's split (MedFuse `create_split.py`): every image is `train`, except images of subjects
   * listed in `valSubjects` (→ `validate`) and `testSubjects` (→ `test`; a subject in both lists goes to
   * test). The lists are MedFuse listfiles (a `subject_id` column, or a `stay` column
   * `SUBJECT_episodeN_timeseries.csv` whose part before the first `_` is the subject), or plain files
   * with one id per line; see {@link readSubjectList}. {@link medfuseSplit} finds them in a folder.
   */
  | { readonly kind: "paper"; readonly valSubjects: string; readonly testSubjects: string }
  /** A seeded patient-level split. */
  | { readonly kind: "seeded"; readonly seed?: number; readonly fractions?: SplitFractions };

/** Options of {@link loadMimicCxr}. Unknown keys throw. */
export interface MimicCxrOptions {
  /** MIMIC-CXR-JPG root (holds `files/` and, by default, the CSVs). */
  readonly root: string;
  /** Metadata CSV (absolute or relative to root). Default `mimic-cxr-2.0.0-metadata.csv[.gz]`. */
  readonly metadata?: string;
  /** Label CSV. Default `mimic-cxr-2.0.0-chexpert.csv[.gz]` (pass the negbio file to use NegBio labels). */
  readonly labels?: string;
  /** Split. Default: the official split file when it exists in root, else seeded (seed 24). */
  readonly split?: MimicSplit;
  /** `files` (pXX/pSUBJECT/sSTUDY/DICOM.jpg, default) or `resized` (flat `<dicom_id>.jpg`). */
  readonly layout?: "files" | "resized";
  /** Image folder relative to root. Default `files` or `resized` by layout. */
  readonly imageDir?: string;
  /** Uncertainty/blank policy. Default {@link PAPER_LABEL_POLICY}. */
  readonly policy?: LabelPolicy;
  /** Views to keep, or `"*"` (default: the paper uses all views). Blank ViewPosition is `UNKNOWN`. */
  readonly views?: ViewFilter;
  /**
   * Check each image file while loading: skip (and count) rows whose image is missing ("image file not
   * found") or, unless `allowSymlinks`, resolves through a symlink outside the root ("path outside dataset
   * root"). Default false (files are read lazily, and those checks then happen at read time).
   */
  readonly checkImages?: boolean;
  /**
   * Follow symlinks that lead outside the dataset root (e.g. `files/` linked to another disk). Default false:
   * image paths are confined to the root's real path, and an image that resolves outside it is not read.
   */
  readonly allowSymlinks?: boolean;
}

export { MEDFUSE_FILES, medfuseSplit, readSubjectList, type MedfuseSplitOptions, type MedfuseTask } from "./medfuse.js";

const MIMIC_KEYS = ["root", "metadata", "labels", "split", "layout", "imageDir", "policy", "views", "checkImages", "allowSymlinks"];

/** One row of the MIMIC-CXR metadata file. */
export interface MimicImageMeta {
  readonly dicomId: string;
  readonly subjectId: string;
  readonly studyId: string;
  /** ViewPosition, upper-case; `""` when blank. */
  readonly view: string;
  /** PatientOrientationCodeSequence_CodeMeaning (`Erect`, `Recumbent`, or `""`). */
  readonly orientation: string;
  /** StudyDate as `YYYYMMDD` (date-shifted), a valid calendar date. */
  readonly studyDate: string;
  /** StudyTime zero-padded to `HHMMSS[.ffffff]`; `""` when blank or invalid (counted as `invalid StudyTime`). */
  readonly studyTime: string;
  readonly line: number;
}

/**
 * The relative image path of a MIMIC-CXR-JPG image: `p{sid[:2]}/p{sid}/s{study}/{dicom}.jpg`.
 * @example mimicImagePath("10000032", "50414267", "02aa804e-…") // "p10/p10000032/s50414267/02aa804e-….jpg"
 */
export function mimicImagePath(subjectId: string, studyId: string, dicomId: string): string {
  return `p${subjectId.slice(0, 2)}/p${subjectId}/s${studyId}/${dicomId}.jpg`;
}

/**
 * Zero-pad a StudyTime (stored as a number, so `84512.0` means 08:45:12) to `HHMMSS[.ffffff]`.
 * @example padStudyTime("84512.0") // "084512.0"
 */
export function padStudyTime(cell: string): string {
  const s = cell.trim();
  if (s === "") return "";
  const [int, frac] = s.split(".");
  return int!.padStart(6, "0") + (frac !== undefined ? `.${frac}` : "");
}

/**
 * Read the metadata file. Rows with non-numeric ids ("malformed row"), a StudyDate that is not a calendar
 * date `YYYYMMDD` ("invalid StudyDate": images are linked to the EHR by date) or a duplicate dicom_id
 * ("duplicate image id") are skipped and counted. An invalid StudyTime (`abc`, `250000`) is read as missing
 * (`""`) and counted as "invalid StudyTime" ({@link LoadReport.missing}); the row is kept.
 * @throws DataFormatError when a required column is missing
 * @example const { rows } = readMimicMetadata("mimic-cxr-2.0.0-metadata.csv.gz");
 */
export function readMimicMetadata(file: string, report: LoadReport = new LoadReport(file)): { rows: MimicImageMeta[]; report: LoadReport } {
  const t = readCsv(file, report);
  const c = {
    dicom: requireColumn(t, ["dicom_id"]),
    subject: requireColumn(t, ["subject_id"]),
    study: requireColumn(t, ["study_id"]),
    view: requireColumn(t, ["ViewPosition"]),
    date: requireColumn(t, ["StudyDate"]),
    time: optionalColumn(t, ["StudyTime"]),
    orient: optionalColumn(t, ["PatientOrientationCodeSequence_CodeMeaning"]),
  };
  const rows: MimicImageMeta[] = [];
  const seen = new Set<string>();
  report.read += t.recordCount;
  t.rows.forEach((r, k) => {
    const line = t.lines[k]!;
    const dicomId = r[c.dicom]!.trim();
    const subjectId = intId(r[c.subject]!);
    const studyId = intId(r[c.study]!);
    const studyDate = parseStudyDate(r[c.date]!);
    if (dicomId === "" || !/^[0-9a-fA-F-]+$/.test(dicomId) || subjectId === null || studyId === null) {
      return report.skip("malformed row", { file, line, detail: "bad dicom_id, subject_id or study_id" });
    }
    if (studyDate === null) return report.skip("invalid StudyDate", { file, line, detail: `StudyDate ${showCell(r[c.date]!)} is not a date YYYYMMDD` });
    if (seen.has(dicomId)) return report.skip("duplicate image id", { file, line, detail: `duplicate dicom_id ${dicomId}` });
    seen.add(dicomId);
    let studyTime = c.time >= 0 ? parseStudyTime(r[c.time]!) : "";
    if (studyTime === null) {
      report.missing("invalid StudyTime", { file, line, detail: `StudyTime ${showCell(r[c.time]!)} is not a time HHMMSS[.ffffff]; read as missing` });
      studyTime = "";
    }
    rows.push({
      dicomId,
      subjectId,
      studyId,
      view: r[c.view]!.trim().toUpperCase(),
      orientation: c.orient >= 0 ? r[c.orient]!.trim() : "",
      studyDate,
      studyTime,
      line,
    });
  });
  return { rows, report };
}

/** Integer id cell (`10000032` or pandas' `10000032.0`) as a string, or null. */
function intId(cell: string): string | null {
  const s = cell.trim().replace(/\.0+$/, "");
  return /^\d+$/.test(s) ? s : null;
}

/**
 * Read a study-level label file (`-chexpert` / `-negbio`), keyed by study_id, with labels mapped by name.
 * Rows with an unknown value (`2`, `x`: "unknown label value") or a repeated study_id ("duplicate study id";
 * the first row is kept) are skipped and counted, with file and line.
 * @example const { byStudy } = readMimicLabels("mimic-cxr-2.0.0-chexpert.csv.gz", PAPER_LABEL_POLICY);
 */
export function readMimicLabels(file: string, policy: LabelPolicy, report: LoadReport = new LoadReport(file)): { byStudy: Map<string, { subjectId: string; labels: number[] }>; report: LoadReport } {
  checkLabelPolicy(policy, CHEXPERT_LABELS);
  const t = readCsv(file, report);
  const cStudy = requireColumn(t, ["study_id"]);
  const cSubject = optionalColumn(t, ["subject_id"]);
  const cLabels = CHEXPERT_LABELS.map((l) => requireColumn(t, [l]));
  const byStudy = new Map<string, { subjectId: string; labels: number[] }>();
  t.rows.forEach((r, k) => {
    const line = t.lines[k]!;
    const study = intId(r[cStudy]!);
    if (study === null) return report.skip("malformed label row", { file, line, detail: `bad study_id "${r[cStudy]}"` });
    const labels: number[] = [];
    for (let j = 0; j < CHEXPERT_LABELS.length; j++) {
      const raw = parseLabelCell(r[cLabels[j]!]!);
      if (raw === undefined) return report.skip("unknown label value", { file, line, detail: `unknown label value "${r[cLabels[j]!]}" in column "${CHEXPERT_LABELS[j]}"` });
      labels.push(applyPolicy(raw, CHEXPERT_LABELS[j]!, policy));
    }
    if (byStudy.has(study)) return report.skip("duplicate study id", { file, line, detail: `duplicate study_id ${study}` });
    byStudy.set(study, { subjectId: cSubject >= 0 ? (intId(r[cSubject]!) ?? "") : "", labels });
  });
  return { byStudy, report };
}

/**
 * Load MIMIC-CXR-JPG as a {@link CxrDataset} with the 14 {@link CHEXPERT_LABELS}, joined to images by study_id.
 * Every skipped row is counted in `report` by reason with file and line (see {@link readMimicMetadata},
 * {@link readMimicLabels}; "no label row for study", "view filtered out", "path outside dataset root",
 * with `checkImages` "image file not found"; in the split file "unknown split value" and "duplicate dicom_id
 * in split file").
 * @throws DataFormatError when a file or a required column is missing
 * @example const ds = loadMimicCxr({ root: "/data/mimic-cxr-jpg/2.0.0", layout: "resized" });
 */
export function loadMimicCxr(opts: MimicCxrOptions): CxrDataset {
  checkOptionKeys(opts, MIMIC_KEYS, "loadMimicCxr");
  const root = path.resolve(opts.root);
  const metaFile = findFile(root, opts.metadata, "mimic-cxr-2.0.0-metadata.csv");
  const labelFile = findFile(root, opts.labels, "mimic-cxr-2.0.0-chexpert.csv");
  const report = new LoadReport(`mimic-cxr (${metaFile})`);
  const { rows } = readMimicMetadata(metaFile, report);
  const { byStudy } = readMimicLabels(labelFile, opts.policy ?? PAPER_LABEL_POLICY, report);
  const layout = opts.layout ?? "files";
  if (layout !== "files" && layout !== "resized") throw new Error(`loadMimicCxr: layout must be "files" or "resized", got "${String(layout)}"`);
  const imageDir = opts.imageDir ?? layout;
  const views = opts.views ?? "*";
  const cols = emptyColumns();
  const checkImage = opts.checkImages ? imageFileChecker(root, { allowSymlinks: opts.allowSymlinks ?? false }) : null;
  for (const m of rows) {
    const lab = byStudy.get(m.studyId);
    if (lab === undefined) {
      report.skip("no label row for study", { file: metaFile, line: m.line, detail: `study_id ${m.studyId}` });
      continue;
    }
    if (lab.subjectId !== "" && lab.subjectId !== m.subjectId) {
      report.skip("subject_id differs between metadata and labels", { file: labelFile, detail: `study ${m.studyId}: ${m.subjectId} vs ${lab.subjectId}` });
      continue;
    }
    const view = m.view || "UNKNOWN";
    if (!viewAllowed(view, views)) {
      report.skip("view filtered out", { file: metaFile, line: m.line, detail: `${m.dicomId}: ${view}` });
      continue;
    }
    const rel = layout === "files" ? mimicImagePath(m.subjectId, m.studyId, m.dicomId) : `${m.dicomId}.jpg`;
    const abs = resolveInside(root, path.join(imageDir, rel));
    if (abs === null) {
      report.skip("path outside dataset root", { file: metaFile, line: m.line, detail: path.join(imageDir, rel) });
      continue;
    }
    if (checkImage !== null) {
      const problem = checkImage(abs);
      if (problem !== null) {
        report.skip(problem.reason, { file: metaFile, line: m.line, detail: problem.detail });
        continue;
      }
    }
    cols.ids.push(m.dicomId);
    cols.paths.push(abs);
    cols.labels.push(...lab.labels);
    cols.views.push(view);
    cols.patientIds.push(m.subjectId);
    cols.studyIds.push(m.studyId);
    cols.ages.push(NaN);
    cols.sexes.push("");
  }
  cols.split = mimicSplit(root, cols.ids, cols.patientIds, opts.split, report);
  return finishDataset("mimic-cxr", root, CHEXPERT_LABELS, cols, report, { allowSymlinks: opts.allowSymlinks ?? false });
}

function findFile(root: string, given: string | undefined, base: string): string {
  if (given !== undefined) return path.resolve(root, given);
  for (const name of [base, `${base}.gz`]) if (existsSync(path.join(root, name))) return path.join(root, name);
  return path.join(root, `${base}.gz`); // readCsv reports it as missing, naming the file.
}

function mimicSplit(root: string, ids: string[], patients: string[], split: MimicSplit | undefined, report: LoadReport): SplitName[] {
  const officialDefault = ["mimic-cxr-2.0.0-split.csv", "mimic-cxr-2.0.0-split.csv.gz"].map((f) => path.join(root, f)).find((f) => existsSync(f));
  const s: MimicSplit = split ?? (officialDefault !== undefined ? { kind: "official", file: officialDefault } : { kind: "seeded" });
  if (s.kind === "seeded") {
    checkOptionKeys(s, ["kind", "seed", "fractions"], "loadMimicCxr split");
    return seededPatientSplit(patients, s.seed ?? 24, s.fractions ?? DEFAULT_SPLIT_FRACTIONS);
  }
  if (s.kind === "official") {
    checkOptionKeys(s, ["kind", "file"], "loadMimicCxr split");
    const file = findFile(root, s.file, "mimic-cxr-2.0.0-split.csv");
    const t = readCsv(file, report);
    const cD = requireColumn(t, ["dicom_id"]);
    const cS = requireColumn(t, ["split"]);
    const of = new Map<string, SplitName>();
    t.rows.forEach((r, k) => {
      const v = r[cS]!.trim();
      const id = r[cD]!.trim();
      const name: SplitName | undefined = v === "train" ? "train" : v === "validate" || v === "val" || v === "valid" ? "validate" : v === "test" ? "test" : undefined;
      if (name === undefined) report.skip("unknown split value", { file, line: t.lines[k]!, detail: `"${v}" in column "split"` });
      else if (of.has(id)) report.skip("duplicate dicom_id in split file", { file, line: t.lines[k]!, detail: `dicom_id ${id} again (as ${name}; the first row, ${of.get(id)}, is used)` });
      else of.set(id, name);
    });
    if (of.size > 0 && ![...of.values()].some((v) => v !== "train")) {
      const medfuse = path.basename(file).startsWith("mimic-cxr-ehr-split")
        ? ". MedFuse's create_split.py run with a pandas newer than its pinned 0.23.4 moves nobody (its string ids never equal the integer subject_ids): build the split from the listfiles with medfuseSplit(<their folder>) instead"
        : "";
      report.notes.push(`${file}: every row is train (no validate or test)${medfuse}`);
    }
    return ids.map((id) => {
      const v = of.get(id);
      if (v === undefined) {
        report.skip("image missing from split file (put in train)", { file, detail: id });
        return "train";
      }
      return v;
    });
  }
  if (s.kind === "paper") {
    checkOptionKeys(s, ["kind", "valSubjects", "testSubjects"], "loadMimicCxr split");
    const valFile = path.resolve(root, s.valSubjects);
    const testFile = path.resolve(root, s.testSubjects);
    const val = readSubjectList(valFile, report);
    const test = readSubjectList(testFile, report);
    const both = [...val].filter((p) => test.has(p)).length;
    if (both > 0) report.notes.push(`MedFuse split: ${both} subjects are in both ${valFile} and ${testFile}; they go to test (create_split.py assigns test last)`);
    // create_split.py: every image train, then val subjects → validate, then test subjects → test.
    const out = patients.map((p): SplitName => (test.has(p) ? "test" : val.has(p) ? "validate" : "train"));
    if (out.length > 0 && !out.some((v) => v !== "train")) report.notes.push(`MedFuse split: no image's subject_id is listed in ${valFile} or ${testFile}; every image is train (wrong listfiles?)`);
    return out;
  }
  throw new Error(`loadMimicCxr: unknown split kind "${(s as { kind: string }).kind}"; valid kinds: official, paper, seeded`);
}
