/**
 * The paper's MIMIC-CXR split, which is MedFuse's (nyuad-cai/MedFuse `ehr_utils/create_split.py`): every
 * image of `mimic-cxr-2.0.0-split.csv` becomes `train`, then the images of subjects listed in MedFuse's EHR
 * **phenotyping** `val_listfile.csv` become `validate` and those in its `test_listfile.csv` become `test`
 * (test is assigned last, so a subject in both lists ends in test). The subject id is the part of the
 * listfile's `stay` cell before the first `_` (`10000032_episode1_timeseries.csv` → `10000032`); the
 * listfile's `stay_id` column is the ICU stay, not the subject, and is not used. create_split.py writes the
 * result to `mimic-cxr-ehr-split.csv` in the MIMIC-CXR-JPG root (columns of the official split file).
 *
 * Ids are compared as integers written in decimal, as MedFuse's pinned pandas 0.23.4 did (its `isin`
 * casts the string ids to the integer `subject_id` column). A newer pandas (3.0.6 checked) matches none
 * of them, so a `mimic-cxr-ehr-split.csv` rebuilt with it is all `train`; the loader notes that case.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { optionalColumn, readCsv } from "./csv.js";
import type { MimicSplit } from "./mimic_cxr.js";
import { DataFormatError, LoadReport } from "./report.js";

/** MedFuse EHR task folders (mimic4extract output) that hold listfiles. */
export type MedfuseTask = "phenotyping" | "in-hospital-mortality";

/** File names MedFuse writes: the task listfiles (`mimic3models.split_train_val`) and create_split.py's output. */
export const MEDFUSE_FILES = {
  valListfile: "val_listfile.csv",
  testListfile: "test_listfile.csv",
  /** create_split.py's output, in the MIMIC-CXR-JPG root. */
  splitCsv: "mimic-cxr-ehr-split.csv",
} as const;

/** Options of {@link medfuseSplit}. Unknown keys throw. */
export interface MedfuseSplitOptions {
  /**
   * Task folder whose listfiles to use. Default `phenotyping`, the one create_split.py reads. Its listfiles
   * hold more subjects than `in-hospital-mortality`'s (which keeps only stays of at least 48 h), so the two
   * give different splits; `in-hospital-mortality` is used only when asked for.
   */
  readonly task?: MedfuseTask;
}

/** How MedFuse's preprocessing makes the files, for error messages. */
const HOW_TO_MAKE =
  "they come from MedFuse's preprocessing of MIMIC-IV (github.com/nyuad-cai/MedFuse, mimic4extract/README.md): in mimic4extract run " +
  "`python -m mimic3benchmark.scripts.extract_subjects_iv <MIMIC-IV CSVs> data/root/`, `python -m mimic3benchmark.scripts.validate_events data/root/`, " +
  "`python -m mimic3benchmark.scripts.extract_episodes_from_subjects data/root/`, `python -m mimic3benchmark.scripts.split_train_and_test data/root/`, " +
  "`python -m mimic3benchmark.scripts.create_phenotyping data/root/ data/phenotyping/`, then `python -m mimic3models.split_train_val data/phenotyping` " +
  "(writes data/phenotyping/val_listfile.csv and test_listfile.csv); MedFuse's `python ehr_utils/create_split.py` then writes mimic-cxr-ehr-split.csv " +
  "into the MIMIC-CXR-JPG root. Pass the folder that holds the listfiles (data/phenotyping or data/), or the MIMIC-CXR-JPG root holding " +
  "mimic-cxr-ehr-split.csv, or give the files directly with split: { kind: \"paper\", valSubjects, testSubjects }";

/** `dir/name` or `dir/name.gz`, whichever exists, else null. */
function existing(dir: string, name: string): string | null {
  for (const n of [name, `${name}.gz`]) if (existsSync(path.join(dir, n))) return path.join(dir, n);
  return null;
}

/**
 * Find the paper's (MedFuse) split in `dir` and return it as a {@link MimicSplit} for `loadMimicCxr`.
 * Looks, in order, for:
 * 1. `dir/val_listfile.csv` + `dir/test_listfile.csv` (dir is a MedFuse task folder);
 * 2. `dir/<task>/val_listfile.csv` + `dir/<task>/test_listfile.csv` (dir is MedFuse's EHR data folder;
 *    task `phenotyping` by default);
 * 3. `dir/mimic-cxr-ehr-split.csv` (dir is the MIMIC-CXR-JPG root where create_split.py wrote it).
 *
 * Listfiles give `{ kind: "paper", valSubjects, testSubjects }`, the split CSV `{ kind: "official", file }`
 * (`.gz` variants are accepted). Paths in the result are absolute.
 * @throws DataFormatError naming the missing file, where it comes from (MedFuse's commands) and how to point at it;
 *   also when only one listfile of a pair exists, or only `in-hospital-mortality` listfiles exist and no task was given
 * @example loadMimicCxr({ root, split: medfuseSplit("/data/mimic-iv-extracted") })
 */
export function medfuseSplit(dir: string, opts: MedfuseSplitOptions = {}): MimicSplit {
  for (const k of Object.keys(opts)) if (k !== "task") throw new Error(`medfuseSplit: unknown option "${k}"; valid options: task`);
  if (opts.task !== undefined && opts.task !== "phenotyping" && opts.task !== "in-hospital-mortality") {
    throw new Error(`medfuseSplit: task must be "phenotyping" or "in-hospital-mortality", got "${String(opts.task)}"`);
  }
  const root = path.resolve(dir);
  const task = opts.task ?? "phenotyping";
  const pair = (d: string): MimicSplit | null => {
    const val = existing(d, MEDFUSE_FILES.valListfile);
    const test = existing(d, MEDFUSE_FILES.testListfile);
    if (val !== null && test !== null) return { kind: "paper", valSubjects: val, testSubjects: test };
    if (val === null && test === null) return null;
    const missing = path.join(d, val === null ? MEDFUSE_FILES.valListfile : MEDFUSE_FILES.testListfile);
    throw new DataFormatError(missing, `file not found, but ${val ?? test} is there (the MedFuse split needs both listfiles)`, HOW_TO_MAKE);
  };
  const found = pair(root) ?? pair(path.join(root, task));
  if (found !== null) return found;
  const csv = existing(root, MEDFUSE_FILES.splitCsv);
  if (csv !== null) return { kind: "official", file: csv };
  const expected = path.join(root, task, MEDFUSE_FILES.valListfile);
  if (opts.task === undefined && existing(path.join(root, "in-hospital-mortality"), MEDFUSE_FILES.valListfile) !== null) {
    throw new DataFormatError(
      expected,
      `file not found; ${path.join(root, "in-hospital-mortality")} has listfiles, but MedFuse's create_split.py uses the phenotyping ones (more subjects: in-hospital-mortality keeps only stays of at least 48 h)`,
      `add the phenotyping listfiles, or pass { task: "in-hospital-mortality" } to use those (a different split). ${HOW_TO_MAKE}`,
    );
  }
  throw new DataFormatError(
    expected,
    `no MedFuse split found: looked for ${MEDFUSE_FILES.valListfile} and ${MEDFUSE_FILES.testListfile} in ${root} and ${path.join(root, task)}, and for ${MEDFUSE_FILES.splitCsv} in ${root}`,
    HOW_TO_MAKE,
  );
}

/**
 * Subject ids of a MedFuse listfile: the `subject_id` column when present, else the part of each `stay`
 * cell before the first `_` (as create_split.py does); or of a plain list with one subject_id per line.
 * Ids are normalised to decimal integers (`10000032.0` → `10000032`, `010` → `10`).
 * @param report receives the file's malformed rows (created when omitted)
 * @throws DataFormatError when the file has neither column nor is a plain list, or a `stay`/`subject_id`
 *   cell is not of that form (names file, line and column)
 * @example readSubjectList("data/phenotyping/val_listfile.csv").has("10000032")
 */
export function readSubjectList(file: string, report: LoadReport = new LoadReport(file)): Set<string> {
  const t = readCsv(file, report);
  const cSub = optionalColumn(t, ["subject_id"]);
  const cStay = optionalColumn(t, ["stay"]);
  const out = new Set<string>();
  if (cSub < 0 && cStay < 0) {
    const ids = [t.header, ...t.rows].map((r) => (r.length === 1 ? normaliseId(r[0]!) : null));
    if (ids.some((v) => v === null)) {
      throw new DataFormatError(file, `no subject_id or stay column (header is [${t.header.join(", ")}]), and not a plain list of ids`, "give a MedFuse listfile (val_listfile.csv / test_listfile.csv) or one subject_id per line", "subject_id");
    }
    for (const v of ids) out.add(v!);
    return out;
  }
  t.rows.forEach((r, k) => {
    const cell = r[cSub >= 0 ? cSub : cStay]!.trim();
    const id = normaliseId(cSub >= 0 ? cell : cell.split("_")[0]!);
    if (id === null) {
      const want = cSub >= 0 ? "an integer subject_id" : "SUBJECT_episodeN_timeseries.csv";
      throw new DataFormatError(file, `line ${t.lines[k]}: "${cell}" is not ${want}`, "give MedFuse's listfile unchanged", cSub >= 0 ? "subject_id" : "stay");
    }
    out.add(id);
  });
  return out;
}

/** A decimal integer id (`10000032`, `10000032.0`, ` 010 `) as its canonical string, or null. */
function normaliseId(cell: string): string | null {
  const s = cell.trim().replace(/\.0*$/, "");
  return /^\d+$/.test(s) ? String(BigInt(s)) : null;
}
