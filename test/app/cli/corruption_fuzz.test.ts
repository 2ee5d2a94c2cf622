/**
 * Corruption fuzz (issue 18): seeded random corruptions of a tiny synthetic cohort (image bytes, truncated,
 * emptied or replaced images, CSV cells, stray quotes, EHR values) → `mmsn pretrain --ehr all` and `mmsn probe`
 * never crash: either they finish and every image that cannot be decoded is counted in run.json, skips.csv
 * and the printed summary, or they stop with a DataFormatError / a skip-threshold error that names a file.
 * Each case prints its seed and corruptions, so a failure is reproducible.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { before, describe, it } from "node:test";
import { mmsn } from "../../helpers/cli.js";
import { COHORT_LAYOUT, DataFormatError, loadMimicCxr, selectSplit, writeSyntheticCohort } from "../../../data-loaders/index.js";
import { Rng } from "../../../src/utils/rng.js";

const ROOT = join(import.meta.dirname, "../../..");
const TMP = mkdtempSync(join(tmpdir(), "mmsn-fuzz-"));
const COHORT = join(TMP, "cohort");
const CASES = 16;
const PER_CASE = 4;

const MIMIC = COHORT_LAYOUT.mimicCxr;
const TABLES = [
  `${MIMIC}/mimic-cxr-2.0.0-metadata.csv.gz`,
  `${MIMIC}/mimic-cxr-2.0.0-chexpert.csv.gz`,
  `${MIMIC}/mimic-cxr-2.0.0-split.csv.gz`,
  `${COHORT_LAYOUT.mimicIv}/hosp/patients.csv.gz`,
  `${COHORT_LAYOUT.mimicIv}/hosp/admissions.csv.gz`,
  `${COHORT_LAYOUT.mimicIv}/icu/icustays.csv.gz`,
];
const GARBAGE = ["", "abc", "-5", "1e9", "2", "x", "garbage", "NaN", "\"", "a\"b", "\"unterminated"];

const editTable = (file: string, edit: (lines: string[]) => void) => {
  const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
  edit(lines);
  writeFileSync(file, gzipSync(lines.join("\n")));
};

/** Apply `PER_CASE` seeded corruptions to the cohort copy `dir`; returns their descriptions and the images that can no longer be decoded. */
function corrupt(dir: string, seed: number): { what: string[]; broken: Set<string> } {
  const rng = new Rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rng.next() * a.length)]!;
  const images = loadMimicCxr({ root: join(dir, MIMIC) }).paths;
  const what: string[] = [];
  const broken = new Set<string>();
  for (let k = 0; k < PER_CASE; k++) {
    const kind = pick(["image-bytes", "image-truncate", "image-empty", "image-text", "cell", "quote", "ehr"] as const);
    if (kind.startsWith("image")) {
      const p = pick(images);
      const b = readFileSync(p);
      if (kind === "image-bytes") {
        for (let i = 0; i < 16; i++) b[Math.floor(20 + rng.next() * (b.length - 22))] = Math.floor(rng.next() * 256);
        writeFileSync(p, b);
      } else {
        writeFileSync(p, kind === "image-truncate" ? b.subarray(0, Math.floor(b.length * rng.next())) : kind === "image-empty" ? "" : "not an image\n");
        broken.add(p);
      }
      what.push(`${kind} ${p}`);
    } else {
      const table = kind === "ehr" ? pick(TABLES.slice(3)) : pick(TABLES);
      editTable(join(dir, table), (lines) => {
        const row = 1 + Math.floor(rng.next() * (lines.length - 2));
        const cells = lines[row]!.split(",");
        const col = Math.floor(rng.next() * cells.length);
        cells[col] = kind === "quote" ? `"${cells[col]}` : pick(GARBAGE);
        lines[row] = cells.join(",");
        what.push(`${kind} ${table} line ${row + 1} column ${col + 1} → ${cells[col]}`);
      });
    }
  }
  return { what, broken };
}

/** A clean stop: a data error or the skip threshold, naming a file of the cohort (never a TypeError, never a bare crash). */
function assertCleanStop(e: unknown, dir: string, what: string[]): void {
  assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
  assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError), `crash ${e.name}: ${e.message}\n${what.join("\n")}`);
  assert.ok(!/unknown command|unknown option|must be one of/.test(e.message), `the command line itself was refused, not the data: ${e.message}`);
  assert.ok(e instanceof DataFormatError || /items were skipped|more than the allowed/.test(e.message) || e.message.includes(dir), `no file named in "${e.message}"\n${what.join("\n")}`);
}

describe(`corruption fuzz: ${CASES} seeded cases of ${PER_CASE} corruptions`, () => {
  before(async () => {
    await writeSyntheticCohort(COHORT, { images: 40, imageSize: 64, datasets: ["mimic"] });
  });

  for (let seed = 1; seed <= CASES; seed++) {
    it(`seed ${seed}: no crash; a finished run counts every broken image`, async (t) => {
      const dir = join(TMP, `case-${seed}`);
      cpSync(COHORT, dir, { recursive: true });
      const { what, broken } = corrupt(dir, seed);
      const run = join(TMP, `run-${seed}`);
      let out = "";
      try {
        out = await mmsn(...["pretrain", "--data", dir, "--ehr", "all", "--preset", "test", "--steps", "2", "--out", run, "--no-progress", "--max-skip-fraction", "0.5"]);
      } catch (e) {
        assertCleanStop(e, dir, what);
        t.diagnostic(`pretrain stopped cleanly: ${(e as Error).message.split("\n")[0]}\n  ${what.join("\n  ")}`);
        return;
      }
      t.diagnostic(`pretrain finished\n  ${what.join("\n  ")}`);
      const skips = readFileSync(join(run, "skips.csv"), "utf8");
      const counted = Object.values(JSON.parse(readFileSync(join(run, "run.json"), "utf8")).skipped as Record<string, Record<string, number>>)
        .flatMap((r) => Object.values(r))
        .reduce((s, n) => s + n, 0);
      // Every broken image the run would have read (in the train split of the corrupted tables) is named.
      const trainImages = new Set(selectSplit(loadMimicCxr({ root: join(dir, MIMIC) }), "train").paths);
      for (const p of broken) if (trainImages.has(p)) assert.ok(skips.includes(p), `broken image ${p} is not in skips.csv\n${what.join("\n")}`);
      if (counted > 0) assert.match(out, /skipped \d+ of \d+ in /, "the summary is printed");
      try {
        await mmsn(...["probe", "--data", dir, "--random-init", "--preset", "test", "--probe-epochs", "2", "--bootstrap", "10", "--out", join(TMP, `probe-${seed}`), "--no-progress", "--max-skip-fraction", "0.5"]);
      } catch (e) {
        assertCleanStop(e, dir, what);
      }
    });
  }

  it("the exit status is as documented: 1 and one `mmsn: …` line naming the file, no stack trace", () => {
    const dir = join(TMP, "exit-status");
    cpSync(COHORT, dir, { recursive: true });
    editTable(join(dir, TABLES[0]!), (lines) => (lines[3] = lines[3]!.replace(",", ',"')));
    const r = spawnSync(process.execPath, ["--import", "tsx", "app/cli/main.ts", "pretrain", "--data", dir, "--preset", "test", "--steps", "1", "--out", join(TMP, "exit-run")], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^mmsn: .*mimic-cxr-2\.0\.0-metadata\.csv\.gz: unterminated quote: the quoted cell opened on line 4/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});
