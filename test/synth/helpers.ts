/** Shared helpers of the synthetic-cohort tests. */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

/** Repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/**
 * The openly licensed real samples committed in the repository (test/fixtures/real-samples), and the optional
 * unlicensed ones beside it (CheXpert): one definition, in the data-loader tests' helpers.
 */
export { SAMPLES as realSamples, unlicensedSample } from "../data-loaders/helpers.js";

/** Text of a file, gunzipped when it ends in .gz. */
export function readText(file: string): string {
  const buf = readFileSync(file);
  return file.endsWith(".gz") ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
}

/** First line of a (possibly gzipped) file. */
export function headerOf(file: string): string {
  return readText(file).split(/\r?\n/)[0]!;
}

/** Rows of a simple CSV (the generator never needs quoting), as objects keyed by header cell. */
export function readCsv(file: string): Record<string, string>[] {
  const text = readText(file);
  if (text.includes('"')) throw new Error(`unexpected quote in ${file}`);
  const lines = text.split("\n").filter((l) => l.length > 0);
  const header = lines[0]!.split(",");
  return lines.slice(1).map((l) => {
    const cells = l.split(",");
    if (cells.length !== header.length) throw new Error(`${file}: ${cells.length} cells, header has ${header.length}: ${l}`);
    return Object.fromEntries(header.map((h, i) => [h, cells[i]!]));
  });
}

/** All files under a folder, relative paths, sorted. */
export function listFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = path.join(rel, name);
    if (statSync(path.join(dir, r)).isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

/** SHA-256 over every file's relative path and bytes. */
export function hashTree(dir: string): string {
  const h = createHash("sha256");
  for (const f of listFiles(dir)) {
    h.update(f + "\0");
    h.update(readFileSync(path.join(dir, f)));
  }
  return h.digest("hex");
}

/** Parse a MIMIC-IV timestamp `YYYY-MM-DD HH:MM:SS` to epoch ms (UTC). */
export function parseTimestamp(s: string): number {
  return Date.parse(s.replace(" ", "T") + "Z");
}

/** Parse StudyDate + StudyTime (zero-padding the integer part of the time to 6 digits). */
export function parseStudyTime(date: string, time: string): number {
  const [whole, frac = "0"] = time.split(".");
  const t = whole!.padStart(6, "0");
  return Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}.${frac.padEnd(3, "0").slice(0, 3)}Z`);
}
