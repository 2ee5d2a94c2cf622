/**
 * End to end on a tiny synthetic cohort (40 MIMIC images at 64 px, the `test` preset, a few steps):
 * synth → prepare → ehr → pretrain (multimodal, checkpointed, resumed) → probe (pretrained and random
 * init) → report, and a miniature `mmsn study`; checks the files and the numbers that come out.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { mmsn } from "../../helpers/cli.js";
import { checkpointShards } from "../../../src/io/checkpoint.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-cli-e2e-"));
const COHORT = join(TMP, "cohort");
const RUN = join(TMP, "run");
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

const csvRows = (p: string) => readFileSync(p, "utf8").trim().split("\n").map((l) => l.split(","));
const isPng = (p: string) => readFileSync(p).subarray(0, 4).equals(PNG);
const isSvg = (p: string) => readFileSync(p, "utf8").includes("<svg");
const withoutTiming = (dir: string) => readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(",").slice(0, -1).join(","));

const PRETRAIN = ["pretrain", "--data", COHORT, "--ehr", "demographic,scan,inpatient", "--preset", "test", "--checkpoint-every", "2", "--no-progress"];

describe("mmsn end to end on a tiny cohort", () => {
  before(async () => {
    await mmsn("synth", COHORT, "--images", "40", "--image-size", "64", "--nih-images", "150", "--chexpert-images", "20");
  });

  it("synth writes the cohort layout the other commands read", () => {
    for (const p of ["mimic-cxr-jpg/2.0.0/mimic-cxr-2.0.0-metadata.csv.gz", "mimiciv/2.2/hosp/patients.csv.gz", "nih-chestxray14", "chexpert/CheXpert-v1.0-small/valid.csv"]) {
      assert.ok(existsSync(join(COHORT, p)), p);
    }
  });

  it("prepare builds the image cache", async () => {
    const out = await mmsn("prepare", "--data", COHORT, "--dataset", "mimic", "--short-side", "32", "--no-progress");
    const manifest = JSON.parse(readFileSync(join(COHORT, ".cache/mimic-32/manifest.json"), "utf8"));
    assert.equal(manifest.shortSide, 32);
    assert.ok(manifest.entries.length >= 35, `${manifest.entries.length} cached images`);
    assert.match(out, /cache .*mimic-32: \d+ images at short side 32/);
    const run = join(TMP, "cached-run");
    await mmsn("pretrain", "--data", COHORT, "--cache", join(COHORT, ".cache/mimic-32"), "--ehr", "none", "--preset", "test", "--steps", "2", "--out", run, "--no-progress");
    assert.equal(readFileSync(join(run, "metrics.csv"), "utf8").trim().split("\n").length, 3);
    assert.equal(JSON.parse(readFileSync(join(run, "run.json"), "utf8")).cache, join(COHORT, ".cache/mimic-32"));
  });

  it("ehr writes the paper's EHR feature columns for the chosen groups", async () => {
    const csv = join(TMP, "ehr-demo.csv");
    await mmsn("ehr", "--data", COHORT, "--ehr", "demographic", "--out", csv);
    const rows = csvRows(csv);
    assert.deepEqual(rows[0], ["path", "male", "female", "age_norm"]);
    assert.ok(rows.length > 30);
    for (const r of rows.slice(1)) {
      assert.equal(Number(r[1]) + Number(r[2]), 1, "sex is one-hot");
      assert.ok(Number(r[3]) >= 0 && Number(r[3]) <= 1.2, `age_norm ${r[3]}`);
    }
  });

  it("pretrain (multimodal) writes the run directory; --resume continues bit-for-bit", async () => {
    await mmsn(...PRETRAIN, "--steps", "4", "--out", RUN);
    const config = JSON.parse(readFileSync(join(RUN, "config.json"), "utf8"));
    assert.equal(config.ehr.ehrIn, 13, "all three groups: 3 + 6 + 4 EHR columns");
    const run = JSON.parse(readFileSync(join(RUN, "run.json"), "utf8"));
    assert.deepEqual(run.ehr, ["demographic", "scan", "inpatient"]);
    const m = csvRows(join(RUN, "metrics.csv"));
    assert.deepEqual(m[0], ["step", "loss", "ce", "me_max", "entropy", "lr", "weight_decay", "momentum", "grad_norm", "knn_auroc", "effective_rank", "feature_std", "proto_entropy", "proto_mean_entropy", "protos_in_use", "images_per_second"]);
    assert.equal(m.length, 5);
    for (const r of m.slice(1)) for (const v of r) assert.ok(v === "" || Number.isFinite(Number(v)), `metric ${v}`);
    // --monitor-every 50 (default) on a 4-step run: one reading, after the last step.
    assert.deepEqual(m.slice(1).map((r) => r[9] !== ""), [false, false, false, true]);
    assert.equal(JSON.parse(readFileSync(join(RUN, "checkpoint/model.json"), "utf8")).state.step, 4);
    for (const f of ["loss", "schedules"]) {
      assert.ok(isSvg(join(RUN, `${f}.svg`)) && isPng(join(RUN, `${f}.png`)), f);
    }
    assert.match(readFileSync(join(RUN, "summary.md"), "utf8"), /EHR groups: demographic, scan, inpatient → 13 features/);

    // Resume to 7 steps (mid-epoch: 25 train images, 6 batches of 4 per epoch) = a straight 7-step run.
    await mmsn(...PRETRAIN, "--steps", "7", "--out", RUN, "--resume");
    const whole = join(TMP, "whole");
    await mmsn(...PRETRAIN, "--steps", "7", "--out", whole);
    // Bit-for-bit but for one monitor reading: the first run (--steps 4) also read its monitors after its last step.
    const resumed = withoutTiming(RUN);
    const straight = withoutTiming(whole);
    assert.equal(resumed.length, 8);
    assert.deepEqual(resumed.filter((_, i) => i !== 4), straight.filter((_, i) => i !== 4));
    assert.deepEqual(resumed[4]!.split(",").slice(0, 9), straight[4]!.split(",").slice(0, 9));
    assert.ok(resumed[4]!.split(",")[9] !== "" && straight[4]!.split(",")[9] === "");
    assert.deepEqual(checkpointShards(join(RUN, "checkpoint")).map((f) => readFileSync(f)), checkpointShards(join(whole, "checkpoint")).map((f) => readFileSync(f)));
  });

  it("probe of the pretrained and of a random-init encoder, then report, give tables with CIs and charts", async () => {
    const probe = join(TMP, "probe-mmsn");
    const out = await mmsn("probe", "--data", COHORT, "--dataset", "mimic", "--checkpoint", join(RUN, "checkpoint"), "--out", probe, "--probe-epochs", "3", "--bootstrap", "50", "--no-progress");
    assert.match(out, /MSN\+EHR\(demographic\+scan\+inpatient\)\s+mimic\s+\d\.\d{3} \(-?\d\.\d{3}, \d\.\d{3}\)/);
    const rows = csvRows(join(probe, "results.csv"));
    assert.equal(rows.length, 1 + 14 + 1, "header, 14 labels, macro");
    const ev = JSON.parse(readFileSync(join(probe, "evaluation.json"), "utf8"));
    assert.equal(ev.evaluation.labelNames.length, 14);
    assert.ok(ev.evaluation.n >= 3, `test images ${ev.evaluation.n}`);
    assert.ok(ev.evaluation.macroAuroc >= 0 && ev.evaluation.macroAuroc <= 1);
    assert.equal(ev.evaluation.perLabel.length + ev.evaluation.excluded.length, 14);
    assert.ok(ev.evaluation.macroAurocCi.percentile.lo <= ev.evaluation.macroAurocCi.percentile.hi);
    assert.ok(isSvg(join(probe, "per_label_auroc.svg")) && isPng(join(probe, "per_label_auroc.png")));
    assert.ok(isPng(join(probe, "probe_curve.png")));
    assert.match(readFileSync(join(probe, "summary.md"), "utf8"), /Macro AUROC \*\*\d\.\d{3} \(/);

    const random = join(TMP, "probe-random");
    await mmsn("probe", "--data", COHORT, "--random-init", "--preset", "test", "--out", random, "--probe-epochs", "3", "--bootstrap", "50", "--no-progress");
    assert.equal(JSON.parse(readFileSync(join(random, "evaluation.json"), "utf8")).method, "random init");

    const rep = join(TMP, "report");
    const table = await mmsn("report", "--out", rep, probe, random);
    assert.match(table, /random init/);
    const md = readFileSync(join(rep, "report.md"), "utf8");
    assert.match(md, /\| MSN\+EHR\(demographic\+scan\+inpatient\) \| mimic \| \d\.\d{3} \(/);
    assert.match(md, /\| random init \| mimic \| \d\.\d{3} \(/);
    assert.equal(csvRows(join(rep, "comparison.csv")).length, 1 + 2 * 15);
    assert.ok(isSvg(join(rep, "comparison.svg")) && isPng(join(rep, "comparison.png")));
  });

  it("probe on NIH-14 and CheXpert", async () => {
    for (const ds of ["nih14", "chexpert"]) {
      const dir = join(TMP, `probe-${ds}`);
      await mmsn("probe", "--data", COHORT, "--dataset", ds, "--checkpoint", RUN, "--out", dir, "--probe-epochs", "2", "--bootstrap", "20", "--no-progress");
      const ev = JSON.parse(readFileSync(join(dir, "evaluation.json"), "utf8"));
      assert.equal(ev.dataset, ds);
      assert.ok(ev.evaluation.n > 0);
    }
  });

  it("study: random init, MSN and multimodal MSN over two seeds, paired tests, learning curve and monitors", async () => {
    const out = join(TMP, "study");
    const args = ["study", "--data", COHORT, "--out", out, "--preset", "test", "--steps", "3", "--seeds", "2", "--monitor-every", "2", "--ehr", "demographic", "--probe-epochs", "2", "--bootstrap", "20", "--no-progress"];
    const table = await mmsn(...args);
    for (const m of ["random init", "MSN ", "MSN+EHR(demographic)", "MSN − random init", "MSN+EHR(demographic) − MSN", "learning curve"]) assert.ok(table.includes(m), m);
    const md = readFileSync(join(out, "report.md"), "utf8");
    // One comparison table per seed, the seeded summary (mean ± sd, per-seed values) and the paired tests.
    assert.equal(md.split("\n").filter((l) => /^\| (random init|MSN|MSN\+EHR\(demographic\)) \| mimic \|/.test(l)).length, 6);
    assert.match(md, /\| MSN \| \d\.\d{3} ± \d\.\d{3} \| \d\.\d{3} \(\d\.\d{3}, \d\.\d{3}\) \| \d\.\d{3}, \d\.\d{3} \|/);
    assert.match(md, /\| MSN − random init \| [+−±]\d\.\d{3} \([+−±]\d\.\d{3}, [+−±]\d\.\d{3}\) \| (< 0\.001|\d\.\d+) \| [+−±]\d\.\d{3}, [+−±]\d\.\d{3} \|/);
    assert.match(md, /paired bootstrap over the \d+ test images/);
    for (const seed of [24, 25]) {
      const dir = join(out, `seed-${seed}`);
      assert.ok(existsSync(join(dir, "msn/checkpoint/model.json")) && existsSync(join(dir, "msn-ehr-demographic/probe-mimic/results.csv")), `seed ${seed}`);
      assert.equal(JSON.parse(readFileSync(join(dir, "msn/config.json"), "utf8")).seed, seed);
      // --curve auto with --steps 3: the checkpoint of step 2 (½ of the run) is kept and probed; step 1's is not.
      assert.ok(!existsSync(join(dir, "msn/checkpoints/step-1")));
      for (const k of [2]) assert.ok(existsSync(join(dir, `msn/checkpoints/step-${k}/model.json`)) && existsSync(join(dir, `msn/probe-mimic-step-${k}/results.csv`)), `seed ${seed} step ${k}`);
      // Monitor readings after steps 2 and 3 (the last), in metrics.csv and its chart.
      const rows = readFileSync(join(dir, "msn/metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
      const knn = rows[0]!.indexOf("knn_auroc");
      assert.deepEqual(rows.slice(1).map((r) => r[knn] !== ""), [false, true, true]);
      assert.ok(isPng(join(dir, "msn/monitors.png")));
    }
    // Seed 24's random init is not seed 25's: the seeds change the initial weights.
    const macro = (seed: number) => JSON.parse(readFileSync(join(out, `seed-${seed}`, "random-init/probe-mimic/evaluation.json"), "utf8")).evaluation.macroAuroc;
    assert.notEqual(macro(24), macro(25));
    assert.ok(isPng(join(out, "comparison.png")) && isPng(join(out, "learning_curve.png")) && isPng(join(out, "monitors.png")));
    // The monitors of every pretraining run, one computed sentence each.
    for (const run of ["MSN (seed 24)", "MSN (seed 25)", "MSN+EHR(demographic) (seed 24)", "MSN+EHR(demographic) (seed 25)"]) {
      assert.match(md, new RegExp(`^- ${run.replace(/[()+]/g, "\\$&")}: from step 2 to 3, k-NN macro AUROC \\d\\.\\d{3} → \\d\\.\\d{3}`, "m"), run);
    }
    assert.ok(existsSync(join(out, "seed-24/msn-ehr-demographic/web/model.json")) && existsSync(join(out, "seed-24/msn-ehr-demographic/web/mmsn_encoder.js")), "browser export");
    // Run again on the same --out: refused before any work, naming the runs and the ways on; --resume finishes.
    await assert.rejects(mmsn(...args), /already holds runs of a study \(seed-24\/msn: checkpoint at step 3, 3 metric rows; seed-24\/msn-ehr-demographic: .*\); continue them with --resume, replace them with --overwrite/);
    const resumed = await mmsn(...args, "--resume");
    assert.ok(resumed.includes("MSN+EHR(demographic)"));
  });

  it("ablate: vanilla MSN and every EHR group combination in one table", async () => {
    const out = join(TMP, "ablate");
    await mmsn("ablate", "--data", COHORT, "--out", out, "--preset", "test", "--steps", "2", "--probe-epochs", "1", "--bootstrap", "10", "--no-progress");
    const md = readFileSync(join(out, "report.md"), "utf8");
    const methods = md.split("\n").filter((l) => /^\| MSN/.test(l)).map((l) => l.split(" | ")[0]!.slice(2));
    assert.deepEqual(methods, [
      "MSN",
      "MSN+EHR(demographic)",
      "MSN+EHR(scan)",
      "MSN+EHR(inpatient)",
      "MSN+EHR(demographic+scan)",
      "MSN+EHR(demographic+inpatient)",
      "MSN+EHR(scan+inpatient)",
      "MSN+EHR(demographic+scan+inpatient)",
    ]);
    const ehrIn = (d: string) => JSON.parse(readFileSync(join(out, d, "config.json"), "utf8")).ehr.ehrIn;
    assert.deepEqual([ehrIn("msn"), ehrIn("msn-ehr-demographic"), ehrIn("msn-ehr-scan"), ehrIn("msn-ehr-inpatient"), ehrIn("msn-ehr-demographic-scan-inpatient")], [0, 3, 6, 4, 13]);
  });
});
