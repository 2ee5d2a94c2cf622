/**
 * Issue 18 at the CLI: bad data, overwrites and mistakes never change a result without saying so. Each test
 * is a row of the table, on copies of a tiny synthetic cohort (40 MIMIC images at 64 px, `test`
 * preset, a few steps).
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { before, describe, it } from "node:test";
import { mmsn } from "../../helpers/cli.js";
import { COHORT_LAYOUT, loadMimicCxr, selectSplit, writeSyntheticCohort, type CxrDataset } from "../../../data-loaders/index.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-cli-silent-"));
const COHORT = join(TMP, "cohort");

/** A fresh copy of the cohort (the loaders' in-process cache is keyed by path, so each copy is read anew). */
function copyCohort(name: string): { dir: string; mimic: CxrDataset } {
  const dir = join(TMP, name);
  cpSync(COHORT, dir, { recursive: true });
  return { dir, mimic: loadMimicCxr({ root: join(dir, COHORT_LAYOUT.mimicCxr) }) };
}

const pretrain = (data: string, out: string, ...more: string[]) => ["pretrain", "--data", data, "--preset", "test", "--steps", "2", "--checkpoint-every", "1", "--out", out, "--no-progress", ...more];
const probe = (data: string, out: string, ...more: string[]) => ["probe", "--data", data, "--random-init", "--preset", "test", "--probe-epochs", "2", "--bootstrap", "10", "--out", out, "--no-progress", ...more];
const metricRows = (run: string) => readFileSync(join(run, "metrics.csv"), "utf8").trim().split("\n").length - 1;

describe("mmsn: nothing silent (issue 18)", () => {
  before(async () => {
    await writeSyntheticCohort(COHORT, { images: 40, imageSize: 64, datasets: ["mimic"] });
  });

  it("missing, zero-byte, truncated and non-image files are listed by pretrain and probe, counted in run.json/evaluation.json and written to skips.csv", async () => {
    const { dir, mimic } = copyCohort("bad-images");
    const train = selectSplit(mimic, "train").paths;
    const test = selectSplit(mimic, "test").paths;
    rmSync(train[0]!);
    writeFileSync(train[1]!, "");
    truncateSync(train[2]!, 200);
    writeFileSync(train[3]!, "this is not an image\n");
    rmSync(test[0]!);
    const run = join(TMP, "bad-images-run");
    const out = await mmsn(...pretrain(dir, run, "--max-skip-fraction", "0.5"));
    assert.match(out, /skipped 2 of 40 in mimic-cxr .*:\n\s+image file not found: 2\n\s+e\.g\. .*metadata\.csv\.gz:\d+: /); // one train, one test image
    assert.match(out, /skipped 3 of \d+ in image files \(mimic-cxr\):/);
    for (const why of ["empty file: 1", "truncated JPEG \\(no end-of-image marker\\): 1", "not an image \\(no JPEG, PNG or DICOM signature\\): 1"]) assert.match(out, new RegExp(why));
    const j = JSON.parse(readFileSync(join(run, "run.json"), "utf8"));
    assert.equal(Object.values(j.skipped as Record<string, Record<string, number>>).flatMap((r) => Object.values(r)).reduce((s, n) => s + n, 0), 5);
    const csv = readFileSync(join(run, "skips.csv"), "utf8");
    for (const p of [train[0]!, train[1]!, train[2]!, train[3]!]) assert.ok(csv.includes(p), `skips.csv names ${p}`);
    assert.match(readFileSync(join(run, "summary.md"), "utf8"), /skipped inputs: .*image file not found 2.*empty file 1/);

    const pdir = join(TMP, "bad-images-probe");
    const pout = await mmsn(...probe(dir, pdir, "--max-skip-fraction", "0.5"));
    // The table's skips were listed by pretrain in this process (listed once); the probe still counts them:
    assert.match(pout, /empty file: 1/);
    const ev = JSON.parse(readFileSync(join(pdir, "evaluation.json"), "utf8")) as { skipped: Record<string, Record<string, number>> };
    assert.deepEqual(Object.values(ev.skipped).find((r) => r["image file not found"] !== undefined), { "image file not found": 2 });
    assert.ok(readFileSync(join(pdir, "skips.csv"), "utf8").includes(test[0]!));
  });

  it("above --max-skip-fraction the run stops before it starts, naming the file, the line and the fix", async () => {
    const { dir, mimic } = copyCohort("many-missing");
    for (const p of selectSplit(mimic, "train").paths.slice(0, 4)) rmSync(p);
    const run = join(TMP, "many-missing-run");
    await assert.rejects(mmsn(...pretrain(dir, run)), (e: Error) => {
      assert.match(e.message, /4 of 40 items were skipped \(10\.0%\), more than the allowed 5\.0%; nothing was run/);
      assert.match(e.message, /image file not found: 4\n\s+e\.g\. .*mimic-cxr-2\.0\.0-metadata\.csv(\.gz)?:\d+: /);
      assert.match(e.message, /raise --max-skip-fraction/);
      return true;
    });
    assert.equal(existsSync(run), false, "nothing was written");
    await assert.rejects(mmsn(...probe(dir, join(TMP, "many-missing-probe"))), /more than the allowed 5\.0%/);
  });

  it("a study whose multimodal method's EHR tables skip too much stops before its first run, not after MSN", async () => {
    // Only the EHR side is bad: most patients rows gone, so most images have no sex/age (the table and images are fine).
    const { dir } = copyCohort("study-ehr");
    const patients = join(dir, COHORT_LAYOUT.mimicIv, "hosp", "patients.csv.gz");
    const lines = gunzipSync(readFileSync(patients)).toString("utf8").split("\n");
    writeFileSync(patients, gzipSync(lines.filter((_, i) => i === 0 || i % 3 === 0).join("\n")));
    const out = join(TMP, "study-ehr-out");
    const study = ["study", "--data", dir, "--out", out, "--preset", "test", "--steps", "1", "--seeds", "1", "--ehr", "demographic", "--probe-epochs", "1", "--bootstrap", "10", "--no-progress"];
    await assert.rejects(mmsn(...study), (e: Error) => {
      assert.match(e.message, /mimic-iv ehr .*more than the allowed 5\.0%; nothing was run/);
      assert.match(e.message, /missing sex \(subject not in patients\)/);
      return true;
    });
    assert.equal(existsSync(out), false, "no run directory, no probe: the study stopped before its first method");
  });

  it("re-probing into the same --out after the cohort changed recomputes the features (no stale cache, no stale labels)", async () => {
    const { dir, mimic } = copyCohort("changing");
    const pdir = join(TMP, "changing-probe");
    await mmsn(...probe(dir, pdir, "--max-skip-fraction", "0.5"));
    const before = JSON.parse(readFileSync(join(pdir, "evaluation.json"), "utf8")).evaluation.n;
    // Edit the cohort: one test image gone, the labels of another study changed.
    rmSync(selectSplit(mimic, "test").paths[1]!);
    const again = copyCohort("changing-fresh");
    rmSync(selectSplit(again.mimic, "test").paths[1]!);
    await mmsn(...probe(dir, pdir, "--max-skip-fraction", "0.5"));
    await mmsn(...probe(again.dir, join(TMP, "changing-fresh-probe"), "--max-skip-fraction", "0.5"));
    const reused = JSON.parse(readFileSync(join(pdir, "evaluation.json"), "utf8")).evaluation;
    const fresh = JSON.parse(readFileSync(join(TMP, "changing-fresh-probe", "evaluation.json"), "utf8")).evaluation;
    assert.equal(reused.n, before - 1);
    assert.equal(reused.n, fresh.n);
    assert.equal(reused.macroAuroc, fresh.macroAuroc);
  });

  it("pretrain --out onto an existing run refuses without --resume or --overwrite, and leaves it as it was", async () => {
    const run = join(TMP, "existing");
    await mmsn(...pretrain(COHORT, run));
    const metrics = readFileSync(join(run, "metrics.csv"));
    const model = readFileSync(join(run, "checkpoint", "model.json"));
    await assert.rejects(mmsn(...pretrain(COHORT, run, "--ehr", "demographic")), /already holds a run.*--resume.*--overwrite/s);
    assert.deepEqual(readFileSync(join(run, "metrics.csv")), metrics);
    assert.deepEqual(readFileSync(join(run, "checkpoint", "model.json")), model);
    await assert.rejects(mmsn(...pretrain(COHORT, run, "--resume", "--overwrite")), /give one of them/);
    await mmsn(...pretrain(COHORT, run, "--ehr", "demographic", "--overwrite"));
    assert.equal(metricRows(run), 2);
    assert.equal(JSON.parse(readFileSync(join(run, "run.json"), "utf8")).ehr[0], "demographic");
  });

  it("--resume refuses when the usable train images changed since the run started (the batch plan would differ)", async () => {
    const { dir, mimic } = copyCohort("plan-change");
    const run = join(TMP, "plan-change-run");
    await mmsn(...pretrain(dir, run));
    writeFileSync(selectSplit(mimic, "train").paths[3]!, "");
    const more = pretrain(dir, run, "--resume").map((a, i, all) => (all[i - 1] === "--steps" ? "4" : a));
    await assert.rejects(mmsn(...more), /the usable train images changed since this run started \(27 → 26: .*Restore the data, or start over with --overwrite/);
    assert.equal(metricRows(run), 2, "the run is untouched");
  });

  it("probe never writes into a pretraining run directory", async () => {
    const run = join(TMP, "probe-into-run");
    await mmsn(...pretrain(COHORT, run));
    const summary = readFileSync(join(run, "summary.md"));
    await assert.rejects(mmsn(...probe(COHORT, run)), /is a pretraining run directory .*--out .*probe-mimic/);
    assert.deepEqual(readFileSync(join(run, "summary.md")), summary);
  });

  it("--cache with images mmsn prepare could not decode: counted as unreadable, no advice to rebuild the cache", async () => {
    const { dir, mimic } = copyCohort("cache-bad");
    writeFileSync(selectSplit(mimic, "train").paths[0]!, "not a jpeg");
    const cache = join(dir, ".cache", "mimic-32");
    await mmsn("prepare", "--data", dir, "--dataset", "mimic", "--short-side", "32", "--no-progress");
    const run = join(TMP, "cache-bad-run");
    const out = await mmsn(...pretrain(dir, run, "--cache", cache).map((a, i, all) => (all[i - 1] === "--steps" ? "8" : a))); // > 1 epoch: every image is read
    assert.match(out, /unreadable image: 1\n\s+e\.g\. .*could not be decoded when the cache .* was built/);
    assert.doesNotMatch(out, /rebuild it with/);
  });

  it("a JPEG whose header claims 65500×65500 is refused before decoding, counted and named", async () => {
    const { dir, mimic } = copyCohort("bomb");
    const p = selectSplit(mimic, "train").paths[0]!;
    const b = readFileSync(p);
    for (let i = 2; i + 9 < b.length; i += 2 + b.readUInt16BE(i + 2)) {
      if (b[i + 1] === 0xc0 || b[i + 1] === 0xc2) {
        b.writeUInt16BE(65500, i + 5);
        b.writeUInt16BE(65500, i + 7);
        break;
      }
    }
    writeFileSync(p, b);
    const out = await mmsn(...pretrain(dir, join(TMP, "bomb-run")).map((a, i, all) => (all[i - 1] === "--steps" ? "8" : a)));
    assert.match(out, /unreadable image: 1\n\s+e\.g\. .*: .*decompression bomb/);
    assert.ok(readFileSync(join(TMP, "bomb-run", "skips.csv"), "utf8").includes(p));
  });

  it("a symlink inside the dataset root that points outside it is skipped and counted; --allow-symlinks follows it", async () => {
    const { dir, mimic } = copyCohort("symlink");
    const p = selectSplit(mimic, "train").paths[0]!;
    const outside = join(TMP, "outside.jpg");
    cpSync(p, outside);
    rmSync(p);
    symlinkSync(outside, p);
    const out = await mmsn(...pretrain(dir, join(TMP, "symlink-run")));
    assert.match(out, /path outside dataset root: 1/);
    const followed = await mmsn(...pretrain(dir, join(TMP, "symlink-run-allowed"), "--allow-symlinks"));
    assert.doesNotMatch(followed, /path outside dataset root/);
  });

  it("invalid EHR values (anchor_age blank/−5/1e9/abc, admittime garbage) are counted and shown, never read as 0 or as missing sex", async () => {
    const { dir } = copyCohort("ehr-values");
    const edit = (table: string, column: string, values: string[]) => {
      const f = join(dir, COHORT_LAYOUT.mimicIv, table);
      const lines = gunzipSync(readFileSync(f)).toString("utf8").split("\n");
      const col = lines[0]!.split(",").indexOf(column);
      values.forEach((v, k) => {
        const cells = lines[k + 1]!.split(",");
        cells[col] = v;
        lines[k + 1] = cells.join(",");
      });
      writeFileSync(f, gzipSync(lines.join("\n")));
    };
    edit("hosp/patients.csv.gz", "anchor_age", ["", "-5", "1e9", "abc"]);
    edit("hosp/admissions.csv.gz", "admittime", ["garbage"]);
    const run = join(TMP, "ehr-values-run");
    const out = await mmsn(...pretrain(dir, run, "--ehr", "all", "--max-skip-fraction", "0.5"));
    assert.match(out, /invalid anchor_age: 4/);
    assert.match(out, /invalid admittime: 1/);
    const baseline = await mmsn(...pretrain(COHORT, join(TMP, "ehr-baseline"), "--ehr", "all", "--max-skip-fraction", "0.5"));
    const missingSex = (text: string) => Number(/missing sex[^:]*: (\d+)/.exec(text)?.[1] ?? 0);
    assert.equal(missingSex(out), missingSex(baseline), "a bad age is never dropped as missing sex");
    const j = JSON.parse(readFileSync(join(run, "run.json"), "utf8")) as { missingValues: Record<string, Record<string, number>> };
    assert.equal(Object.values(j.missingValues).find((r) => r["invalid anchor_age"])?.["invalid anchor_age"], 4);
    assert.match(readFileSync(join(run, "skips.csv"), "utf8"), /missing,invalid anchor_age,4/);
  });

  it("duplicate ids and label values 2 / x are shown by the CLI with file and line", async () => {
    const { dir } = copyCohort("labels");
    const table = (name: string, edit: (lines: string[]) => void) => {
      const f = join(dir, COHORT_LAYOUT.mimicCxr, name);
      const lines = gunzipSync(readFileSync(f)).toString("utf8").split("\n");
      edit(lines);
      writeFileSync(f, gzipSync(lines.join("\n")));
    };
    table("mimic-cxr-2.0.0-metadata.csv.gz", (l) => l.splice(2, 0, l[1]!));
    table("mimic-cxr-2.0.0-chexpert.csv.gz", (l) => {
      for (const [row, v] of [[1, "2"], [2, "x"]] as const) {
        const cells = l[row]!.split(",");
        cells[2] = v;
        l[row] = cells.join(",");
      }
    });
    const out = await mmsn(...pretrain(dir, join(TMP, "labels-run"), "--max-skip-fraction", "0.5"));
    assert.match(out, /duplicate image id: 1\n\s+e\.g\. .*metadata\.csv\.gz:3: duplicate dicom_id/);
    assert.match(out, /unknown label value: 2\n\s+e\.g\. .*chexpert\.csv\.gz:2: unknown label value "2"/);
  });

  it("small mistakes say what is wrong: --steps -1, pretrain without --data", async () => {
    await assert.rejects(mmsn("pretrain", "--steps", "-1", "--data", COHORT, "--out", join(TMP, "neg")), /--steps must be ≥ 1, got "-1"/);
    await assert.rejects(mmsn("pretrain", "--out", join(TMP, "nodata")), /--data DIR is required .*--generated-views/);
    assert.equal(existsSync(join(TMP, "nodata")), false);
    await mmsn("pretrain", "--generated-views", "--preset", "test", "--steps", "1", "--out", join(TMP, "generated"));
    assert.equal(metricRows(join(TMP, "generated")), 1);
  });
});
