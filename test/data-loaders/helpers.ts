/** Shared paths and helpers of the data-loader tests (not a test file itself). */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadNih14, subsetDataset, type CxrDataset } from "../../data-loaders/index.js";
import { skipLoudly } from "../helpers/skip.js";

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/**
 * The openly licensed real sample files, committed in the repository (NIH ChestX-ray14, the DICOMs, the MIMIC-IV
 * demo tables): licences, attributions and provenance in test/fixtures/real-samples/README.md.
 */
export const SAMPLES = path.join(REPO_ROOT, "test/fixtures/real-samples");
/**
 * Real sample files that may not be committed (CheXpert: the test-set labels have no licence; the train.csv header
 * comes under Stanford's Research Use Agreement): read from the shared folder beside the repository when it is there
 * (it is in CI), else the tests that need them skip loudly ({@link unlicensedSample}).
 */
export const UNLICENSED_SAMPLES = path.resolve(REPO_ROOT, "../shared/data/real-samples");
/** NIH sample folder. */
export const NIH = path.join(SAMPLES, "nih-chestxray14");
/** Synthetic fixtures of these tests. */
export const FIXTURES = path.join(REPO_ROOT, "test/fixtures/data-loaders");
/** Python reference scripts. */
export const REFERENCE = path.join(REPO_ROOT, "test/reference");

/** A fresh temporary directory; call the returned cleanup in `after`. */
export function tempDir(prefix = "mmsn-loaders-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run a reference script with `python` and parse its stdout as JSON. */
export function pythonJson<T>(python: string, script: string, args: readonly string[]): T {
  const out = execFileSync(python, [path.join(REFERENCE, script), ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as T;
}

/**
 * Path of a file under {@link UNLICENSED_SAMPLES}, or `undefined` after skipping the test loudly when it is
 * missing (a plain clone); under CI=true the skip throws, so CI, which has the folder, always runs the test.
 * @example const gt = unlicensedSample(t, "chexpert/cheXpert-test-set-labels/groundtruth.csv"); if (!gt) return;
 */
export function unlicensedSample(t: { skip: (msg?: string) => void }, rel: string): string | undefined {
  const file = path.join(UNLICENSED_SAMPLES, rel);
  if (existsSync(file)) return file;
  skipLoudly(t, `${file} not found: this real sample has no open licence, so it is not in the repository; put the shared folder beside the repository (../shared/data/real-samples) to run this test`);
  return undefined;
}

/** File bytes as a plain Uint8Array (Buffer's type does not match Uint8Array APIs under TS 5.9 + @types/node 20.9). */
export function bytes(file: string): Uint8Array {
  const b = readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The 9 NIH-14 sample images in SAMPLES (ids of Data_Entry_2017_v2020.csv.gz). */
export const NIH_SAMPLE_IDS = ["00000001_000.png", "00000284_000.png", "00000404_000.png", "00001369_000.png", "00001524_000.png", "00004296_000.png", "00005618_000.png", "00008752_000.png", "00026911_000.png"];

/** The NIH-14 dataset restricted to the sample images that exist on disk. */
export function nihSamples(): CxrDataset {
  const all = loadNih14({ root: NIH, csv: "Data_Entry_2017_v2020.csv.gz" });
  return subsetDataset(all, NIH_SAMPLE_IDS.map((id) => all.ids.indexOf(id)));
}
