/**
 * Minimal RFC-4180 CSV writing (LF line endings by default, quotes only where needed) and gzip, as the
 * real MIMIC tables are stored. Node's gzip header carries no timestamp, so output is reproducible.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

/** A CSV cell: strings are written as is (quoted if needed), numbers with `String()`, null as empty. */
export type Cell = string | number | null;

/** Quote one cell if it contains a comma, quote, CR or LF. */
export function csvCell(v: Cell): string {
  if (v === null) return "";
  const s = typeof v === "number" ? String(v) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Render a CSV document. The header is written verbatim (cells are not quoted), because some real
 * headers, e.g. NIH's `OriginalImage[Width,Height]`, are deliberately split by their commas.
 *
 * @param header raw header line, without line ending
 * @param rows data rows
 * @param eol line ending (default LF)
 */
export function renderCsv(header: string, rows: readonly (readonly Cell[])[], eol = "\n"): string {
  const lines = [header];
  for (const r of rows) lines.push(r.map(csvCell).join(","));
  return lines.join(eol) + eol;
}

/** Write a text file, creating parent folders; gzip it when the name ends in `.gz`. */
export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  if (file.endsWith(".gz")) await writeFile(file, new Uint8Array(gzipSync(text, { level: 9 })));
  else await writeFile(file, text, "utf8");
}

/** {@link writeText}, synchronously. */
export function writeTextSync(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, file.endsWith(".gz") ? new Uint8Array(gzipSync(text, { level: 9 })) : text);
}

/** Format a float with up to 17 significant digits and no trailing zeros (as MIMIC-IV prints `los`). */
export function formatFloat17(x: number): string {
  let s = x.toPrecision(17);
  if (s.includes("e")) return String(x);
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}
