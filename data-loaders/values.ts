/**
 * Strict parsers for the values the loaders read from dataset tables: dates, times, ages, flags. Each
 * returns `null` (or NaN) for anything it does not fully recognise, so that a caller can count the value
 * as invalid instead of reading garbage as 0 or as a shifted date.
 */

/** Days in month `m` (1–12) of year `y` (proleptic Gregorian; MIMIC's shifted years run to ~2210). */
function daysIn(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** True when `y`-`m`-`d` is a calendar date. */
function validDate(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
}

/**
 * A MIMIC-IV timestamp (`YYYY-MM-DD`, optionally followed by ` HH:MM[:SS[.ffffff]]` or `T…`) as the integer
 * YYYYMMDD of its date, or NaN when the cell is blank or not a valid date and time (`garbage`, `2150-13-01`,
 * `2150-02-30`, `2150-01-01 25:00:00`).
 * @example parseDateTimeCell("2180-05-06 22:23:00") // 21800506
 */
export function parseDateTimeCell(cell: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(cell.trim());
  if (!m) return NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (!validDate(y, mo, d)) return NaN;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return NaN;
  return y * 10000 + mo * 100 + d;
}

/**
 * A DICOM-style date cell `YYYYMMDD` (pandas may write it as `YYYYMMDD.0`) as the 8-digit string, or null
 * when it is not a valid calendar date.
 * @example parseStudyDate("21800506") // "21800506"
 */
export function parseStudyDate(cell: string): string | null {
  const s = cell.trim().replace(/\.0+$/, "");
  if (!/^\d{8}$/.test(s)) return null;
  return validDate(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8))) ? s : null;
}

/**
 * A DICOM StudyTime stored as a number (`84512.0` means 08:45:12) zero-padded to `HHMMSS[.ffffff]`; `""`
 * for a blank cell; null when it is not a valid time of day (`abc`, `-5`, `250000`, `126000`).
 * @example parseStudyTime("84512.0") // "084512.0"
 */
export function parseStudyTime(cell: string): string | null {
  const s = cell.trim();
  if (s === "") return "";
  const m = /^(\d{1,6})(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const int = m[1]!.padStart(6, "0");
  if (Number(int.slice(0, 2)) > 23 || Number(int.slice(2, 4)) > 59 || Number(int.slice(4, 6)) > 59) return null;
  return int + (m[2] !== undefined ? `.${m[2]}` : "");
}

/** The plausible range of an age in years: [0, 120]. */
export const AGE_RANGE: readonly [number, number] = [0, 120];

/**
 * An age cell in years (a plain non-negative decimal such as `52` or `52.0`), or NaN when blank,
 * non-numeric (`abc`, `1e9`, `-3`) or outside {@link AGE_RANGE}.
 * @example parseAgeCell("91") // 91
 */
export function parseAgeCell(cell: string): number {
  const s = cell.trim();
  if (!/^\d+(?:\.\d+)?$/.test(s)) return NaN;
  const v = Number(s);
  return v >= AGE_RANGE[0] && v <= AGE_RANGE[1] ? v : NaN;
}

/**
 * A year cell (`2180`, or pandas' `2180.0`) as a number, or NaN when it is not a 4-digit year.
 * @example parseYearCell("2180.0") // 2180
 */
export function parseYearCell(cell: string): number {
  const s = cell.trim().replace(/\.0+$/, "");
  return /^\d{4}$/.test(s) ? Number(s) : NaN;
}

/**
 * A 0/1 flag cell (`0`, `1`, `0.0`, `1.0`), or null for anything else (blank included).
 * @example parseFlagCell("1.0") // 1
 */
export function parseFlagCell(cell: string): 0 | 1 | null {
  const s = cell.trim();
  return s === "1" || s === "1.0" ? 1 : s === "0" || s === "0.0" ? 0 : null;
}

/** How a cell is quoted in report details: `"abc"`, or `blank`. */
export function showCell(cell: string): string {
  return cell.trim() === "" ? "blank" : JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell);
}
