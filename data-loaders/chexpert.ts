/**
 * CheXpert loader: `train.csv` / `valid.csv` (keyed by image `Path`), the test set's `test_labels.csv` (keyed
 * by image `Path`, see {@link CHEXPERT_TEST_LABELS}) and the public test-set label files (`groundtruth.csv`,
 * the labeler output, the radiologists' `bc*.csv`, keyed by `Study`). Columns are
 * mapped by header name (the `bc*` files order `Lung Lesion` before `Lung Opacity`). Values `1.0/0.0/-1.0/blank`
 * go through a {@link LabelPolicy}: U-Zeros with blank → 0 by default (the paper), U-Ones, or ignore (NaN).
 * Labels come out in {@link CHEXPERT_LABELS} order (the paper code's order).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { optionalColumn, readCsv, requireColumn } from "./csv.js";
import { emptyColumns, finishDataset, viewAllowed, type CxrDataset, type Sex, type ViewFilter } from "./dataset.js";
import { applyPolicy, CHEXPERT_LABELS, checkLabelPolicy, PAPER_LABEL_POLICY, parseLabelCell, type LabelPolicy } from "./labels.js";
import { checkOptionKeys } from "../src/utils/validate.js";
import { imageFileChecker, resolveInside } from "./paths.js";
import { DataFormatError, LoadReport } from "./report.js";
import type { SplitName } from "./split.js";
import { AGE_RANGE, showCell } from "./values.js";

/** Options of {@link loadChexpert}. Unknown keys throw. */
export interface ChexpertOptions {
  /** Dataset root: the release folder holding `train/`, `valid/`, `test/` (e.g. `.../CheXpert-v1.0-small`). */
  readonly root: string;
  /**
   * Label file, absolute or relative to root: `train.csv`, `valid.csv`, `test_labels.csv` (the test set the
   * paper scores; root is then the folder holding it and `test/`), `groundtruth.csv`, `bc1.csv`, ...
   */
  readonly csv: string;
  /** Uncertainty/blank policy. Default {@link PAPER_LABEL_POLICY} (blank → 0, -1 → 0). */
  readonly policy?: LabelPolicy;
  /** Views to keep (`PA`, `AP`, `LL`, `RL`, `LATERAL`, `FRONTAL`, `UNKNOWN`), or `"*"` (default). */
  readonly views?: ViewFilter;
  /** Split given to every row. Default: `validate` for valid*.csv, `test` for test*.csv and Study files, else `train`. */
  readonly split?: SplitName;
  /**
   * For `Study`-keyed files: `expand` (default) lists the study folder's images (one row per image; a
   * missing folder is skipped and counted); `study` keeps one row per study whose path is the folder.
   */
  readonly studyImages?: "expand" | "study";
  /**
   * Check each image file of a `Path` file while loading: skip (and count) rows whose image is missing
   * ("image file not found") or, unless `allowSymlinks`, resolves through a symlink outside the root ("path
   * outside dataset root"). Default false (files are read lazily, and those checks then happen at read time).
   * With `studyImages: "study"` it checks that the study folder exists ("study directory not found"); expanded
   * study folders (the default for `Study` files) are always listed, so always checked.
   */
  readonly checkImages?: boolean;
  /**
   * Follow symlinks that lead outside the dataset root. Default false: image paths are confined to the
   * root's real path, and an image that resolves outside it is not read.
   */
  readonly allowSymlinks?: boolean;
}

const CHEXPERT_KEYS = ["root", "csv", "policy", "views", "split", "studyImages", "checkImages", "allowSymlinks"];

/**
 * The CheXpert test set's label file, the one the paper scores CheXpert on: 668 images of 500 patients
 * (patient64741–patient65240) with radiologist labels (study-level, as `groundtruth.csv`; not checked on
 * the real file). It ships with the test images (Stanford AIMI, the CheXlocalize release), whose
 * `CheXpert/` folder holds `test/patientNNNNN/studyN/viewN_{frontal,lateral}.jpg` and this file. Header
 * `Path` + the 14 observations (mapped by name; no Sex, Age, Frontal/Lateral or AP/PA); `Path` is relative
 * to that folder (`test/patient64741/study1/view1_frontal.jpg`; a `CheXpert-v1.0…/` prefix is stripped);
 * values 0/1 (`0.0`/`1.0`, -1 and blank are read too, through the policy). Load it with
 * `loadChexpert({ root: <that folder>, csv: CHEXPERT_TEST_LABELS })`: every row is `test`, the view
 * (`FRONTAL`/`LATERAL`) comes from the file name, age and sex are unknown.
 */
export const CHEXPERT_TEST_LABELS = "test_labels.csv";

/** Where the test set comes from, for the missing-file error. */
const TEST_SET_SOURCE =
  "test_labels.csv comes with the CheXpert test images, which are not in CheXpert-v1.0(-small): download them from Stanford AIMI " +
  "(https://stanfordaimi.azurewebsites.net/datasets/23c56a0d-15de-405b-87c8-99c30138950c, the CheXlocalize release, as the authors' " +
  "rajpurkarlab/cheXpert-test-set-labels README says). Its CheXpert/ folder holds test/ and test_labels.csv: pass that folder as root, " +
  "or copy both into your CheXpert-v1.0-small folder";

/**
 * Strip the release prefix (`CheXpert-v1.0-small/`, `CheXpert-v1.0/`) from a `Path`/`Study` cell.
 * @example stripChexpertPrefix("CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg") // "train/patient00001/study1/view1_frontal.jpg"
 */
export function stripChexpertPrefix(p: string): string {
  return p.trim().replace(/^CheXpert-v1\.0[^/]*\//, "");
}

/**
 * Load a CheXpert label file as a {@link CxrDataset} with the 14 {@link CHEXPERT_LABELS}. Rows with an
 * unknown label value (`2`, `x`), an empty or repeated `Path`/`Study` (the first row is kept) or a path outside
 * the root are skipped and counted by reason with file and line. Missing-value policy: `Age` 0 (CheXpert's
 * code for unknown), a non-number or an age outside [0, 120] is read as NaN and counted as "invalid Age"; a
 * `Sex` other than Male/Female/Unknown/blank is read as unknown and counted as "invalid Sex"
 * ({@link LoadReport.missing}; the row is kept).
 * @throws DataFormatError when the file, `Path`/`Study` or a label column is missing (names file and column)
 * @example const ds = loadChexpert({ root: "/data/CheXpert-v1.0-small", csv: "valid.csv", policy: { uncertain: "ignore", blank: "ignore" } });
 */
export function loadChexpert(opts: ChexpertOptions): CxrDataset {
  checkOptionKeys(opts, CHEXPERT_KEYS, "loadChexpert");
  const policy = opts.policy ?? PAPER_LABEL_POLICY;
  checkLabelPolicy(policy, CHEXPERT_LABELS);
  const root = path.resolve(opts.root);
  const file = path.resolve(root, opts.csv);
  const report = new LoadReport(`chexpert (${file})`);
  if (/^test_labels\.csv(\.gz)?$/i.test(path.basename(file)) && !existsSync(file)) throw new DataFormatError(file, "file not found", TEST_SET_SOURCE);
  const t = readCsv(file, report);
  const isStudy = optionalColumn(t, ["Path"]) < 0 && optionalColumn(t, ["Study"]) >= 0;
  const cKey = requireColumn(t, isStudy ? ["Study"] : ["Path"]);
  const cLabels = CHEXPERT_LABELS.map((l) => requireColumn(t, [l]));
  const cSex = optionalColumn(t, ["Sex"]);
  const cAge = optionalColumn(t, ["Age"]);
  const cFL = optionalColumn(t, ["Frontal/Lateral"]);
  const cAPPA = optionalColumn(t, ["AP/PA"]);
  const base = path.basename(file).toLowerCase();
  const split: SplitName = opts.split ?? (isStudy ? "test" : base.startsWith("valid") ? "validate" : base.startsWith("test") ? "test" : "train");
  const views = opts.views ?? "*";
  const expand = isStudy && (opts.studyImages ?? "expand") === "expand";
  const cols = emptyColumns();
  const seen = new Set<string>();
  const checkImage = opts.checkImages ? imageFileChecker(root, { allowSymlinks: opts.allowSymlinks ?? false }) : null;
  report.read = t.recordCount;
  t.rows.forEach((r, k) => {
    const line = t.lines[k]!;
    const key = stripChexpertPrefix(r[cKey]!);
    // Step 1: labels (any unknown value rejects the row).
    const labels: number[] = [];
    for (let j = 0; j < CHEXPERT_LABELS.length; j++) {
      const raw = parseLabelCell(r[cLabels[j]!]!);
      if (raw === undefined) {
        return report.skip("unknown label value", { file, line, detail: `unknown label value "${r[cLabels[j]!]}" in column "${CHEXPERT_LABELS[j]}"` });
      }
      labels.push(applyPolicy(raw, CHEXPERT_LABELS[j]!, policy));
    }
    // Step 2: the id must be unique and resolve inside the root.
    if (key === "") return report.skip("empty image id", { file, line, detail: "empty Path/Study" });
    if (seen.has(key)) return report.skip("duplicate image id", { file, line, detail: `duplicate ${isStudy ? "Study" : "Path"} ${key}` });
    seen.add(key);
    const abs = resolveInside(root, key);
    if (abs === null) return report.skip("path outside dataset root", { file, line, detail: r[cKey]! });
    const patient = /patient(\d+)/.exec(key)?.[0] ?? key.split("/")[1] ?? key;
    const study = /^(.*?patient\d+\/study\d+)/.exec(key)?.[1] ?? path.dirname(key);
    const sexCell = cSex >= 0 ? r[cSex]! : "";
    const sex = sexOf(sexCell);
    if (sex === "" && !/^\s*(unknown)?\s*$/i.test(sexCell)) report.missing("invalid Sex", { file, line, detail: `Sex ${showCell(sexCell)} is not Male, Female or Unknown; read as unknown` });
    const ageCell = cAge >= 0 ? r[cAge]!.trim() : "";
    const ageNum = /^\d+(\.\d+)?$/.test(ageCell) ? Number(ageCell) : NaN;
    // Age 0 occurs 3 times in train.csv and means missing.
    const age = ageNum > AGE_RANGE[0] && ageNum <= AGE_RANGE[1] ? ageNum : NaN;
    if (ageCell !== "" && Number.isNaN(age)) {
      report.missing("invalid Age", { file, line, detail: `Age ${showCell(ageCell)} ${ageNum === 0 ? "(0 means unknown)" : `is not an age in (0, ${AGE_RANGE[1]}] years`}; read as missing` });
    }
    // Step 3: one row per image (expanding study folders when asked).
    const images: { id: string; path: string; view: string }[] = [];
    if (expand) {
      if (!existsSync(abs) || !statSync(abs).isDirectory()) return report.skip("study directory not found", { file, line, detail: abs });
      for (const f of readdirSync(abs).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort()) {
        images.push({ id: `${key}/${f}`, path: path.join(abs, f), view: /lateral/i.test(f) ? "LATERAL" : /frontal/i.test(f) ? "FRONTAL" : "UNKNOWN" });
      }
    } else {
      if (checkImage !== null) {
        const problem = !isStudy ? checkImage(abs) : existsSync(abs) && statSync(abs).isDirectory() ? null : { reason: "study directory not found", detail: abs };
        if (problem !== null) return report.skip(problem.reason, { file, line, detail: problem.detail });
      }
      images.push({ id: key, path: abs, view: isStudy ? "UNKNOWN" : viewOf(cFL >= 0 ? r[cFL]! : "", cAPPA >= 0 ? r[cAPPA]! : "", key) });
    }
    for (const im of images) {
      if (!viewAllowed(im.view, views)) {
        report.skip("view filtered out", { file, line, detail: `${im.id}: ${im.view}` });
        continue;
      }
      cols.ids.push(im.id);
      cols.paths.push(im.path);
      cols.labels.push(...labels);
      cols.views.push(im.view);
      cols.patientIds.push(patient);
      cols.studyIds.push(study);
      cols.split.push(split);
      cols.ages.push(age);
      cols.sexes.push(sex);
    }
  });
  return finishDataset("chexpert", root, CHEXPERT_LABELS, cols, report, { allowSymlinks: opts.allowSymlinks ?? false });
}

function sexOf(cell: string): Sex {
  const s = cell.trim().toLowerCase();
  return s === "male" || s === "m" ? "M" : s === "female" || s === "f" ? "F" : "";
}

/** View from `Frontal/Lateral` + `AP/PA` (AP, PA, LL, RL on frontal rows; blank on lateral rows). */
function viewOf(fl: string, appa: string, key: string): string {
  const f = fl.trim().toLowerCase();
  if (f === "lateral") return "LATERAL";
  if (f === "frontal") return appa.trim().toUpperCase() || "FRONTAL";
  return /lateral/i.test(key) ? "LATERAL" : /frontal/i.test(key) ? "FRONTAL" : "UNKNOWN";
}
