/** Bad input to the `mmsn` CLI fails with messages that say what is wrong and what is valid. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { main } from "../../../app/cli/main.js";
import { writeSyntheticCohort } from "../../../data-loaders/index.js";
import { checkpointShards } from "../../../src/io/checkpoint.js";

const ROOT = join(import.meta.dirname, "../../..");
const TMP = mkdtempSync(join(tmpdir(), "mmsn-cli-bad-"));
const COHORT = join(TMP, "cohort");
const HOW_TO = /run `mmsn synth DIR` to generate the synthetic cohort, or point --data at your MIMIC-CXR-JPG \/ MIMIC-IV copies/;

async function quiet(argv: string[]): Promise<void> {
  const log = console.log;
  console.log = () => {};
  try {
    await main(argv);
  } finally {
    console.log = log;
  }
}

describe("mmsn bad input", () => {
  before(async () => {
    await writeSyntheticCohort(COHORT, { images: 40, imageSize: 64, datasets: ["mimic"] });
  });

  it("a missing dataset path says how to get the data or use mmsn synth", async () => {
    const missing = join(TMP, "nowhere");
    await assert.rejects(quiet(["pretrain", "--data", missing, "--ehr", "demographic", "--out", join(TMP, "r0")]), HOW_TO);
    await assert.rejects(quiet(["probe", "--data", missing, "--random-init", "--out", join(TMP, "p0")]), HOW_TO);
    await assert.rejects(quiet(["ehr", "--data", missing, "--out", join(TMP, "e.csv")]), HOW_TO);
    await assert.rejects(quiet(["probe", "--data", COHORT, "--dataset", "nih14", "--random-init", "--out", join(TMP, "p1")]), /NIH ChestX-ray14 not found at .*run `mmsn synth DIR`/);
  });

  it("the process exits 1 with the message on stderr", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "app/cli/main.ts", "pretrain", "--data", join(TMP, "nowhere"), "--out", join(TMP, "r1")], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mmsn: dataset directory --data not found at /m);
    assert.match(r.stderr, HOW_TO);
  });

  it("an unknown EHR group lists the valid groups", async () => {
    await assert.rejects(quiet(["pretrain", "--data", COHORT, "--ehr", "demographic,labs", "--out", join(TMP, "r2")]), /unknown EHR group "labs"; valid EHR groups: demographic, scan, inpatient/);
    await assert.rejects(quiet(["study", "--data", COHORT, "--ehr", "vitals"]), /unknown EHR group "vitals"/);
  });

  it("unknown flags, bad values and unknown config keys fail with the valid choices", async () => {
    await assert.rejects(quiet(["pretrain", "--stepz", "3"]), /unknown option '--stepz'.*valid options: --data, --dataset, --ehr/i);
    await assert.rejects(quiet(["pretrain", "--steps", "three"]), /--steps must be an integer, got "three"/);
    await assert.rejects(quiet(["probe", "--dataset", "padchest"]), /--dataset must be one of mimic, nih14, chexpert/);
    await assert.rejects(quiet(["pretrain", "--preset", "huge"]), /--preset must be one of cxr_ehr_msn_tiny, .*cpu_fast, test/);
    await assert.rejects(quiet(["frobnicate"]), /unknown command "frobnicate"; valid commands: synth, prepare, ehr, pretrain, probe/);
    const cfg = join(TMP, "cfg.json");
    writeFileSync(cfg, JSON.stringify({ steps: 3, learningRate: 1 }));
    await assert.rejects(quiet(["pretrain", "--config", cfg]), /unknown key "learningRate"; valid keys: data, dataset, ehr, ehrIn, cache, out, preset, steps/);
    await assert.rejects(quiet(["probe", "--data", COHORT, "--out", join(TMP, "p2")]), /--checkpoint RUN\/checkpoint, or --random-init/);
  });

  it("--help works for every command", async () => {
    for (const cmd of ["synth", "prepare", "ehr", "pretrain", "probe", "evaluate", "study", "ablate", "report", "demo", "backend"]) {
      const lines: string[] = [];
      const log = console.log;
      console.log = (s: string) => void lines.push(s);
      try {
        await main([cmd, "--help"]);
      } finally {
        console.log = log;
      }
      assert.match(lines.join("\n"), new RegExp(`^mmsn ${cmd}`), cmd);
    }
  });

  it("a config file supplies options, flags override it", async () => {
    const cfg = join(TMP, "pretrain.json");
    const run = join(TMP, "cfgrun");
    writeFileSync(cfg, JSON.stringify({ data: COHORT, ehr: "demographic", preset: "test", steps: 2, checkpointEvery: 1, progress: false, out: join(TMP, "ignored") }));
    await quiet(["pretrain", "--config", cfg, "--out", run]);
    const m = readFileSync(join(run, "metrics.csv"), "utf8").trim().split("\n");
    assert.equal(m.length, 3);
    assert.equal(JSON.parse(readFileSync(join(run, "config.json"), "utf8")).ehr.ehrIn, 3);
  });

  it("a corrupt checkpoint fails with the file named and the checkpoint left in place", async () => {
    const run = join(TMP, "corrupt");
    await quiet(["pretrain", "--data", COHORT, "--ehr", "none", "--preset", "test", "--steps", "2", "--checkpoint-every", "1", "--out", run, "--no-progress"]);
    const bin = checkpointShards(join(run, "checkpoint"))[0]!;
    writeFileSync(bin, readFileSync(bin).subarray(0, 64));
    const corrupted = readFileSync(bin);
    await assert.rejects(
      quiet(["pretrain", "--data", COHORT, "--ehr", "none", "--preset", "test", "--steps", "4", "--out", run, "--resume", "--no-progress"]),
      /weights-\d+-[0-9a-f]{12}\.bin: 64 bytes but the manifest describes \d+; the checkpoint is truncated or corrupt/,
    );
    assert.deepEqual(readFileSync(bin), corrupted, "the checkpoint on disk is not overwritten");
    await assert.rejects(quiet(["probe", "--data", COHORT, "--checkpoint", join(run, "checkpoint"), "--out", join(TMP, "p3"), "--no-progress"]), /weights-\d+-[0-9a-f]{12}\.bin: 64 bytes/);
    await assert.rejects(quiet(["probe", "--data", COHORT, "--checkpoint", join(TMP, "no-run"), "--out", join(TMP, "p4")]), /no checkpoint at .*no-run.*mmsn pretrain --out RUN/);
  });
});
