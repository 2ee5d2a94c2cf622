/**
 * Date-shifted timestamps as MIMIC writes them. Times are kept as milliseconds since the epoch (UTC,
 * which has no daylight-saving gaps), in MIMIC's shifted years (2110–2210).
 */

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** Milliseconds in one hour and one day. */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Epoch milliseconds of 00:00 on 1 January of a year. */
export function yearStart(year: number): number {
  return Date.UTC(year, 0, 1);
}

/** `YYYY-MM-DD HH:MM:SS` (MIMIC-IV timestamp). */
export function formatTimestamp(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `YYYY-MM-DD` (MIMIC-IV date, e.g. `dod`). */
export function formatDate(t: number): string {
  return formatTimestamp(t).slice(0, 10);
}

/** `YYYYMMDD` (MIMIC-CXR StudyDate). */
export function formatStudyDate(t: number): string {
  return formatDate(t).replace(/-/g, "");
}

/**
 * MIMIC-CXR StudyTime: HHMMSS as a number, so leading zeros are dropped, with pandas' float
 * rendering (`84512.0`, `213014.531`).
 */
export function formatStudyTime(t: number): string {
  const d = new Date(t);
  const whole = d.getUTCHours() * 10000 + d.getUTCMinutes() * 100 + d.getUTCSeconds();
  const ms = d.getUTCMilliseconds();
  if (ms === 0) return `${whole}.0`;
  return `${whole}.${pad(ms, 3).replace(/0+$/, "")}`;
}

/** Floor a time to the minute (admissions are minute-resolution in MIMIC-IV). */
export function floorMinute(t: number): number {
  return Math.floor(t / 60_000) * 60_000;
}

/** Floor a time to the second. */
export function floorSecond(t: number): number {
  return Math.floor(t / 1000) * 1000;
}
