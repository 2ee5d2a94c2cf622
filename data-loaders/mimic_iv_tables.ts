/**
 * The three MIMIC-IV tables the EHR features use (`patients`, `admissions`, `icustays`), read with every
 * value validated. Nothing is read as 0 or as a shifted date by accident: an invalid value is read as
 * missing and counted in the {@link LoadReport} under `invalid <column>` with file and line, and what that
 * means for the row is stated per table below.
 */
import type { CsvTable } from "./csv.js";
import { requireColumn } from "./csv.js";
import type { LoadReport } from "./report.js";
import { AGE_RANGE, parseAgeCell, parseDateTimeCell, parseFlagCell, parseYearCell, showCell } from "./values.js";

/** One patient: sex (`""` when not M/F) and birth year (NaN when anchor_age or anchor_year is invalid). */
export interface MimicPatient {
  /** `M`, `F`, or `""` when the gender cell is not M/F. */
  readonly sex: "M" | "F" | "";
  /** anchor_year − anchor_age; NaN when either is invalid. */
  readonly birthYear: number;
}

/** A date interval `[from, to]` as integers YYYYMMDD (both valid). */
export interface DateInterval {
  /** First day, YYYYMMDD. */
  readonly from: number;
  /** Last day, YYYYMMDD. */
  readonly to: number;
}

/**
 * Patients by subject_id. Policy: `gender` other than M/F → sex `""` ("invalid gender"; the images of that
 * subject are then dropped as missing sex, as the paper drops subjects without a sex record); `anchor_age`
 * blank, non-numeric, negative or outside [0, 120] → "invalid anchor_age", and `anchor_year` that is not a
 * 4-digit year → "invalid anchor_year": the birth year is then missing (NaN), the patient is kept, and the
 * age of the images is imputed by the caller. A repeated subject_id is skipped ("duplicate subject_id"; the
 * first row is kept).
 * @example const patients = readPatients(readCsv(file, report), report);
 */
export function readPatients(t: CsvTable, report: LoadReport): Map<string, MimicPatient> {
  const c = { sid: requireColumn(t, ["subject_id"]), g: requireColumn(t, ["gender"]), aa: requireColumn(t, ["anchor_age"]), ay: requireColumn(t, ["anchor_year"]) };
  const out = new Map<string, MimicPatient>();
  t.rows.forEach((r, k) => {
    const file = t.file;
    const line = t.lines[k]!;
    const sid = r[c.sid]!.trim();
    if (out.has(sid)) return report.skip("duplicate subject_id", { file, line, detail: `subject_id ${sid} again (the first row is used)` });
    const g = r[c.g]!.trim().toUpperCase();
    const sex = g === "M" || g === "F" ? g : "";
    if (sex === "") report.missing("invalid gender", { file, line, detail: `gender ${showCell(r[c.g]!)} is not M or F; read as missing` });
    const age = parseAgeCell(r[c.aa]!);
    if (Number.isNaN(age)) report.missing("invalid anchor_age", { file, line, detail: `anchor_age ${showCell(r[c.aa]!)} is not an age in [${AGE_RANGE.join(", ")}]; read as missing` });
    const year = parseYearCell(r[c.ay]!);
    if (Number.isNaN(year)) report.missing("invalid anchor_year", { file, line, detail: `anchor_year ${showCell(r[c.ay]!)} is not a year; read as missing` });
    out.set(sid, { sex, birthYear: year - age });
  });
  return out;
}

/** Count an invalid date of `column` and return null, or return the parsed date. */
function dateOf(t: CsvTable, r: readonly string[], col: number, line: number, report: LoadReport, consequence: string): number | null {
  const d = parseDateTimeCell(r[col]!);
  if (!Number.isNaN(d)) return d;
  const column = t.header[col]!;
  report.skip(`invalid ${column}`, { file: t.file, line, detail: `${column} ${showCell(r[col]!)} is not a date YYYY-MM-DD[ HH:MM:SS]; ${consequence}` });
  return null;
}

/**
 * Admissions by subject_id, in table order, with `hospital_expire_flag`. Policy: an admission whose
 * `admittime` or `dischtime` is not a valid date-time ("invalid admittime" / "invalid dischtime") or whose
 * `hospital_expire_flag` is not 0/1 ("invalid hospital_expire_flag") cannot be placed or read, so it is
 * skipped (not linked to any image) and counted with its line: no image's mortality is then decided by a
 * garbage value.
 */
export function readAdmissions(t: CsvTable, report: LoadReport): Map<string, (DateInterval & { died: 0 | 1 })[]> {
  const c = { sid: requireColumn(t, ["subject_id"]), at: requireColumn(t, ["admittime"]), dt: requireColumn(t, ["dischtime"]), f: requireColumn(t, ["hospital_expire_flag"]) };
  const out = new Map<string, (DateInterval & { died: 0 | 1 })[]>();
  const skipped = "the admission is not linked";
  t.rows.forEach((r, k) => {
    const line = t.lines[k]!;
    const from = dateOf(t, r, c.at, line, report, skipped);
    if (from === null) return;
    const to = dateOf(t, r, c.dt, line, report, skipped);
    if (to === null) return;
    const died = parseFlagCell(r[c.f]!);
    if (died === null) return report.skip("invalid hospital_expire_flag", { file: t.file, line, detail: `hospital_expire_flag ${showCell(r[c.f]!)} is not 0 or 1; ${skipped}` });
    const sid = r[c.sid]!.trim();
    const list = out.get(sid) ?? [];
    list.push({ from, to, died });
    out.set(sid, list);
  });
  return out;
}

/**
 * ICU stays by subject_id. Policy: a stay whose `intime` or `outtime` is not a valid date-time is skipped
 * ("invalid intime" / "invalid outtime", with its line) and not linked to any image.
 */
export function readIcuStays(t: CsvTable, report: LoadReport): Map<string, DateInterval[]> {
  const c = { sid: requireColumn(t, ["subject_id"]), it: requireColumn(t, ["intime"]), ot: requireColumn(t, ["outtime"]) };
  const out = new Map<string, DateInterval[]>();
  const skipped = "the ICU stay is not linked";
  t.rows.forEach((r, k) => {
    const line = t.lines[k]!;
    const from = dateOf(t, r, c.it, line, report, skipped);
    if (from === null) return;
    const to = dateOf(t, r, c.ot, line, report, skipped);
    if (to === null) return;
    const sid = r[c.sid]!.trim();
    const list = out.get(sid) ?? [];
    list.push({ from, to });
    out.set(sid, list);
  });
  return out;
}
