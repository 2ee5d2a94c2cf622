/**
 * NIH ChestX-ray14 loader: `Data_Entry_2017*.csv` in every real variant (v2020 file; legacy CRLF file
 * with `058Y` ages, zero-padded ids and a trailing header comma; Kaggle copy with an extra empty column;
 * `Patient Gender` or `Patient Sex`), the official `train_val_list.txt` / `test_list.txt` when present
 * (else a seeded patient-level split), the 14 binary labels, view filtering and the paper's
 * "drop No-Finding-only images" option.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { optionalColumn, readCsv, readListFile, requireColumn } from "./csv.js";
import { emptyColumns, finishDataset, viewAllowed, type CxrDataset, type Sex, type ViewFilter } from "./dataset.js";
import { NIH14_LABELS } from "./labels.js";
import { checkOptionKeys } from "../src/utils/validate.js";
import { imageFileChecker, resolveInside } from "./paths.js";
import { DataFormatError, LoadReport } from "./report.js";
import { DEFAULT_SPLIT_FRACTIONS, seededPatientSplit, type SplitFractions, type SplitName } from "./split.js";
import { AGE_RANGE, showCell } from "./values.js";

/** Options of {@link loadNih14}. Unknown keys throw. */
export interface Nih14Options {
  /** Dataset root (holds the CSV, the list files and the image folder). */
  readonly root: string;
  /** Data_Entry CSV (absolute or relative to root). Default: the first of `Data_Entry_2017_v2020.csv[.gz]`, `Data_Entry_2017.csv[.gz]` in root. */
  readonly csv?: string;
  /**
   * Image folder relative to root. Default: `images` if it exists, else the Kaggle layout
   * `images_0NN/images/` (indexed once), else root itself.
   */
  readonly imageDir?: string;
  /** Official split lists relative to root. Default `train_val_list.txt` / `test_list.txt`, used when both exist. */
  readonly splitLists?: { readonly trainVal: string; readonly test: string };
  /** Seed of the patient-level split (of train_val into train/validate, or of everything without lists). Default 24. */
  readonly seed?: number;
  /** Fraction of train_val patients put in `validate` when the official lists are used. Default 0.1. */
  readonly valFraction?: number;
  /** Split fractions when there are no lists. Default 0.7 / 0.1 / 0.2. */
  readonly fractions?: SplitFractions;
  /** Views to keep (`PA`, `AP`), or `"*"` (default, as the paper). */
  readonly views?: ViewFilter;
  /** Drop images whose only finding is `No Finding` (the paper does: 112,120 → 51,759). Default false. */
  readonly dropNoFindingOnly?: boolean;
  /**
   * Check each image file while loading: skip (and count) rows whose image is missing ("image file not
   * found") or, unless `allowSymlinks`, resolves through a symlink outside the root ("path outside dataset
   * root"). Default false (files are read lazily, and those checks then happen at read time).
   */
  readonly checkImages?: boolean;
  /**
   * Follow symlinks that lead outside the dataset root (e.g. `images/` linked to another disk). Default false:
   * image paths are confined to the root's real path, and an image that resolves outside it is not read.
   */
  readonly allowSymlinks?: boolean;
}

const NIH_KEYS = ["root", "csv", "imageDir", "splitLists", "seed", "valFraction", "fractions", "views", "dropNoFindingOnly", "checkImages", "allowSymlinks"];

/** One parsed row of a Data_Entry file. */
export interface NihEntry {
  readonly imageIndex: string;
  readonly findings: readonly string[];
  readonly followUp: number;
  readonly patientId: string;
  readonly age: number;
  readonly sex: Sex;
  readonly view: string;
  readonly line: number;
}

/**
 * Parse an NIH age cell: integer years, or a DICOM AS string (`058Y`, `011M` = months/12, `…D` = days/365,
 * `…W` = weeks/52). Returns NaN when unparseable.
 * @example parseNihAge("011M") // 0.9166…
 */
export function parseNihAge(cell: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([YMWD])?\s*$/i.exec(cell);
  if (!m) return NaN;
  const v = Number(m[1]);
  switch ((m[2] ?? "Y").toUpperCase()) {
    case "M":
      return v / 12;
    case "W":
      return v / 52;
    case "D":
      return v / 365;
    default:
      return v;
  }
}

/**
 * Parse a Data_Entry CSV into rows. Malformed rows, unknown labels (`x`: "unknown label value"), empty ids
 * and duplicate image ids ("duplicate image id"; the first row is kept) are skipped and counted in `report`.
 * Missing-value policy: an age that is not a number or lies outside [0, 120] years (the real file has 148 and
 * 412) is read as NaN and counted as "invalid Patient Age", a sex other than M/F as `""` ("invalid Patient
 * Gender"), a `Follow-up #` that is not a count as NaN ("invalid Follow-up #"), all with
 * {@link LoadReport.missing} (the row is kept); ages > 100 are also counted in `report.notes`.
 * @throws DataFormatError when a required column is missing (names file and column)
 * @example const { entries } = parseNihDataEntry("Data_Entry_2017_v2020.csv.gz");
 */
export function parseNihDataEntry(file: string, report: LoadReport = new LoadReport(file)): { entries: NihEntry[]; report: LoadReport } {
  const t = readCsv(file, report);
  const cImg = requireColumn(t, ["Image Index"]);
  const cLab = requireColumn(t, ["Finding Labels"]);
  const cView = requireColumn(t, ["View Position"]);
  const cAge = requireColumn(t, ["Patient Age"]);
  const cSex = requireColumn(t, ["Patient Gender", "Patient Sex"]);
  const cPid = optionalColumn(t, ["Patient ID"]);
  const cFup = optionalColumn(t, ["Follow-up #"]);
  const known = new Set<string>([...NIH14_LABELS, "No Finding"]);
  const seen = new Set<string>();
  const entries: NihEntry[] = [];
  let oldAges = 0;
  const ageCol = t.header[cAge]!;
  const sexCol = t.header[cSex]!;
  report.read += t.recordCount;
  t.rows.forEach((r, k) => {
    const line = t.lines[k]!;
    const imageIndex = r[cImg]!.trim();
    if (imageIndex === "") return report.skip("empty image id", { file, line, detail: "empty Image Index" });
    const findings = r[cLab]!.split("|").map((s) => s.trim()).filter((s) => s !== "");
    const bad = findings.find((f) => !known.has(f));
    if (bad !== undefined || findings.length === 0) {
      return report.skip("unknown label value", { file, line, detail: `unknown finding "${bad ?? ""}" in column "Finding Labels"` });
    }
    if (seen.has(imageIndex)) return report.skip("duplicate image id", { file, line, detail: `duplicate Image Index ${imageIndex}` });
    seen.add(imageIndex);
    let age = parseNihAge(r[cAge]!);
    if (age > 100) oldAges++;
    if (!(age >= AGE_RANGE[0] && age <= AGE_RANGE[1])) {
      report.missing(`invalid ${ageCol}`, { file, line, detail: `${ageCol} ${showCell(r[cAge]!)} is not an age in [${AGE_RANGE.join(", ")}] years; read as missing` });
      age = NaN;
    }
    const sexCell = r[cSex]!.trim().toUpperCase();
    if (sexCell !== "M" && sexCell !== "F") report.missing(`invalid ${sexCol}`, { file, line, detail: `${sexCol} ${showCell(r[cSex]!)} is not M or F; read as missing` });
    const pidCell = cPid >= 0 ? r[cPid]!.trim() : "";
    const pidSource = pidCell !== "" ? pidCell : imageIndex.slice(0, 8);
    const fupCell = cFup >= 0 ? r[cFup]!.trim() : "";
    const fup = /^\d+$/.test(fupCell) ? Number(fupCell) : NaN;
    if (cFup >= 0 && Number.isNaN(fup)) report.missing("invalid Follow-up #", { file, line, detail: `Follow-up # ${showCell(fupCell)} is not a count; read as missing` });
    entries.push({
      imageIndex,
      findings: findings.filter((f) => f !== "No Finding"),
      followUp: fup,
      patientId: String(Number(pidSource)) === "NaN" ? pidSource : String(Number(pidSource)),
      age,
      sex: sexCell === "M" || sexCell === "F" ? sexCell : "",
      view: r[cView]!.trim().toUpperCase() || "UNKNOWN",
      line,
    });
  });
  if (oldAges > 0) report.notes.push(`${file}: ${oldAges} rows with age > 100 years (flagged as implausible; those over ${AGE_RANGE[1]} read as missing)`);
  return { entries, report };
}

/**
 * Load NIH ChestX-ray14 as a {@link CxrDataset} with the 14 {@link NIH14_LABELS} (binary, never NaN).
 * Skipped rows are counted by reason with file and line (see {@link parseNihDataEntry}; "view filtered out",
 * "path outside dataset root", with `dropNoFindingOnly` "No Finding only (dropNoFindingOnly)", with
 * `checkImages` "image file not found").
 * @throws DataFormatError when the CSV or a required column is missing, or only one split list exists
 * @example const ds = loadNih14({ root: "/data/nih", dropNoFindingOnly: true });
 */
export function loadNih14(opts: Nih14Options): CxrDataset {
  checkOptionKeys(opts, NIH_KEYS, "loadNih14");
  const root = path.resolve(opts.root);
  const csv = opts.csv !== undefined ? path.resolve(root, opts.csv) : findCsv(root);
  const report = new LoadReport(`nih14 (${csv})`);
  const { entries } = parseNihDataEntry(csv, report);
  const views = opts.views ?? "*";
  const imageOf = imageLocator(root, opts.imageDir);
  const cols = emptyColumns();
  const checkImage = opts.checkImages ? imageFileChecker(root, { allowSymlinks: opts.allowSymlinks ?? false }) : null;
  for (const e of entries) {
    if (opts.dropNoFindingOnly && e.findings.length === 0) {
      report.skip("No Finding only (dropNoFindingOnly)", { file: csv, line: e.line, detail: e.imageIndex });
      continue;
    }
    if (!viewAllowed(e.view, views)) {
      report.skip("view filtered out", { file: csv, line: e.line, detail: `${e.imageIndex}: ${e.view}` });
      continue;
    }
    const p = path.isAbsolute(e.imageIndex) ? null : imageOf(e.imageIndex);
    if (p === null) {
      report.skip("path outside dataset root", { file: csv, line: e.line, detail: e.imageIndex });
      continue;
    }
    if (checkImage !== null) {
      const problem = checkImage(p);
      if (problem !== null) {
        report.skip(problem.reason, { file: csv, line: e.line, detail: problem.detail });
        continue;
      }
    }
    cols.ids.push(e.imageIndex);
    cols.paths.push(p);
    for (const l of NIH14_LABELS) cols.labels.push(e.findings.includes(l) ? 1 : 0);
    cols.views.push(e.view);
    cols.patientIds.push(e.patientId);
    cols.studyIds.push("");
    cols.ages.push(e.age);
    cols.sexes.push(e.sex);
  }
  cols.split = nihSplit(root, cols.ids, cols.patientIds, opts);
  return finishDataset("nih14", root, NIH14_LABELS, cols, report, { allowSymlinks: opts.allowSymlinks ?? false });
}

function findCsv(root: string): string {
  for (const name of ["Data_Entry_2017_v2020.csv", "Data_Entry_2017_v2020.csv.gz", "Data_Entry_2017.csv", "Data_Entry_2017.csv.gz"]) {
    const p = path.join(root, name);
    if (existsSync(p)) return p;
  }
  throw new DataFormatError(path.join(root, "Data_Entry_2017.csv"), "file not found (also tried Data_Entry_2017_v2020.csv[.gz])", "pass `csv` or put the NIH label file in the dataset root");
}

/** Returns a function mapping an image name to its absolute path (or null when it escapes the root). */
function imageLocator(root: string, imageDir: string | undefined): (name: string) => string | null {
  if (imageDir !== undefined || existsSync(path.join(root, "images"))) {
    const dir = imageDir ?? "images";
    return (name) => resolveInside(root, path.join(dir, name));
  }
  const kaggle = readdirSync(root).filter((d) => /^images_\d{3}$/.test(d) && existsSync(path.join(root, d, "images")));
  if (kaggle.length === 0) return (name) => resolveInside(root, name);
  const index = new Map<string, string>();
  for (const d of kaggle.sort()) {
    for (const f of readdirSync(path.join(root, d, "images"))) index.set(f, path.join(d, "images", f));
  }
  return (name) => resolveInside(root, index.get(name) ?? path.join(kaggle[0]!, "images", name));
}

function nihSplit(root: string, ids: string[], patients: string[], opts: Nih14Options): SplitName[] {
  const seed = opts.seed ?? 24;
  const tv = path.resolve(root, opts.splitLists?.trainVal ?? "train_val_list.txt");
  const te = path.resolve(root, opts.splitLists?.test ?? "test_list.txt");
  const haveTv = existsSync(tv) && statSync(tv).isFile();
  const haveTe = existsSync(te) && statSync(te).isFile();
  if (opts.splitLists !== undefined && !(haveTv && haveTe)) {
    throw new DataFormatError(haveTv ? te : tv, "split list not found", "pass both official lists or omit `splitLists` for a seeded patient split");
  }
  if (!haveTv || !haveTe) return seededPatientSplit(patients, seed, opts.fractions ?? DEFAULT_SPLIT_FRACTIONS);
  const testSet = new Set(readListFile(te));
  const tvSet = new Set(readListFile(tv));
  const valFraction = opts.valFraction ?? 0.1;
  const tvIdx = ids.map((id, i) => (tvSet.has(id) && !testSet.has(id) ? i : -1)).filter((i) => i >= 0);
  const inner = seededPatientSplit(tvIdx.map((i) => patients[i]!), seed, { train: 1 - valFraction, validate: valFraction, test: 0 });
  const out: SplitName[] = ids.map((id) => (testSet.has(id) ? "test" : "train"));
  tvIdx.forEach((i, k) => (out[i] = inner[k]!));
  return out;
}

/** One bounding box of BBox_List_2017.csv, in 1024×1024 pixel space (top-left origin). */
export interface NihBBox {
  readonly imageIndex: string;
  /** Label in the Data_Entry spelling (`Infiltrate` is renamed `Infiltration`). */
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/**
 * Read BBox_List_2017.csv (header `Image Index,Finding Label,Bbox [x,y,w,h],,,`, rows `name,label,x,y,w,h`).
 * Rows that do not have 6 cells with finite numbers are skipped and counted.
 * @example const { boxes } = loadNihBBoxes("BBox_List_2017.csv"); boxes.length // 984
 */
export function loadNihBBoxes(file: string): { boxes: NihBBox[]; report: LoadReport } {
  const report = new LoadReport(file);
  const t = readCsv(file, report);
  // The bracketed header cell is split by its commas, so map positionally after checking the first two.
  requireColumn(t, ["Image Index"]);
  requireColumn(t, ["Finding Label"]);
  const boxes: NihBBox[] = [];
  report.read = t.recordCount;
  t.rows.forEach((r, k) => {
    const nums = r.slice(2, 6).map(Number);
    if (r.length < 6 || nums.some((v) => !Number.isFinite(v))) {
      return report.skip("malformed row", { file, line: t.lines[k]!, detail: `expected name,label,x,y,w,h` });
    }
    const raw = r[1]!.trim();
    const label = raw === "Infiltrate" ? "Infiltration" : raw;
    if (!(NIH14_LABELS as readonly string[]).includes(label)) {
      return report.skip("unknown label value", { file, line: t.lines[k]!, detail: `unknown label "${raw}" in column "Finding Label"` });
    }
    boxes.push({ imageIndex: r[0]!.trim(), label, x: nums[0]!, y: nums[1]!, w: nums[2]!, h: nums[3]! });
  });
  report.kept = boxes.length;
  return { boxes, report };
}
