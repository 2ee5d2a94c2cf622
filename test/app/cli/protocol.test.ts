/**
 * Protocols (issue 19): `paper` makes the official choices, `fast` names each place it does not, and every
 * report header lists every known difference from the official code. End to end: `mmsn study --protocol
 * paper` on a synthetic cohort large enough for the official drop_last of validation and test batches.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ALWAYS_DIFFERENT, PROTOCOLS, protocolDifferences, protocolHeader } from "../../../app/study/protocol.js";
import { mmsn } from "../../helpers/cli.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-protocol-"));
const COHORT = join(TMP, "cohort");

describe("protocols", () => {
  before(async () => {
    await mmsn("synth", COHORT, "--images", "1200", "--image-size", "64", "--datasets", "mimic,chexpert", "--chexpert-images", "40");
  });

  it("paper differs from the official code only where no option reproduces it; fast names each of its choices", () => {
    assert.deepEqual(protocolDifferences(PROTOCOLS.paper), ALWAYS_DIFFERENT);
    const fast = protocolDifferences(PROTOCOLS.fast).map((d) => d.setting);
    assert.deepEqual(fast, ["preset", "imputation", "split", "pretrainImages", "chexpertSet", "probe", "init", "always", "always", "always"]);
    const header = protocolHeader({ name: "fast", settings: PROTOCOLS.fast }, { steps: 200, batchSize: 16, trainImages: 467, probeEpochs: 100, bootstrap: 1000 });
    assert.match(header[0]!, /^protocol: fast, 11 known differences from the official code/);
    assert.ok(header.some((l) => /^differs \(scale\): here 200 pretraining steps of batch 16 \(6\.85 epochs\); official: pretraining for 100 epochs of batch 64$/.test(l)));
  });

  it("mmsn study --protocol paper runs end to end; its report lists every difference and nothing else differs", async () => {
    const out = join(TMP, "study");
    const table = await mmsn("study", "--data", COHORT, "--out", out, "--protocol", "paper", "--preset", "test", "--steps", "1", "--seeds", "1", "--batch-size", "8", "--ehr", "demographic,scan", "--probe-epochs", "2", "--bootstrap", "20", "--no-progress");
    assert.match(table, /MSN\+EHR\(demographic\+scan\)/);
    const notes = readFileSync(join(out, "report.md"), "utf8").split("\n").filter((l) => l.startsWith("- protocol:") || l.startsWith("- differs"));
    assert.deepEqual(
      notes.map((l) => /^- (?:protocol: (\w+)|differs \((\w+)\))/.exec(l)!.slice(1).find(Boolean)),
      ["paper", "preset", "scale", "scale", "scale", "always", "always", "always"],
      notes.join("\n"),
    );
    const run = JSON.parse(readFileSync(join(out, "seed-24", "msn-ehr-demographic-scan", "run.json"), "utf8"));
    assert.equal(run.protocol, "paper");
    assert.deepEqual({ ...run.protocolSettings, preset: "cxr_ehr_msn_tiny" }, PROTOCOLS.paper);
    assert.ok(run.trainImages > 1000, `pretrained on every image (${run.trainImages})`);
    assert.equal(JSON.parse(readFileSync(join(out, "seed-24", "msn", "config.json"), "utf8")).init, "torch");
    const ev = JSON.parse(readFileSync(join(out, "seed-24", "msn", "probe-mimic", "evaluation.json"), "utf8"));
    assert.equal(ev.evaluation.n % 64, 0, "the official test loader drops its last incomplete batch");
    assert.match(readFileSync(join(out, "seed-24", "msn", "probe-mimic", "summary.md"), "utf8"), /protocol: paper/);
  });

  it("probe --protocol paper scores CheXpert on its test set; a cohort without MedFuse's listfiles stops with where they come from", async () => {
    const p = join(TMP, "chexpert");
    await mmsn("probe", "--data", COHORT, "--dataset", "chexpert", "--random-init", "--protocol", "paper", "--preset", "test", "--probe-epochs", "1", "--bootstrap", "10", "--out", p, "--no-progress");
    assert.ok(existsSync(join(p, "evaluation.json")));
    assert.match(readFileSync(join(p, "summary.md"), "utf8"), /protocol: paper/);
    const bare = join(TMP, "no-medfuse");
    cpSync(COHORT, bare, { recursive: true });
    rmSync(join(bare, "medfuse"), { recursive: true });
    await assert.rejects(mmsn("probe", "--data", bare, "--random-init", "--protocol", "paper", "--preset", "test", "--out", join(TMP, "p2"), "--no-progress"), /no MedFuse split found.*MedFuse's preprocessing of MIMIC-IV/s);
    await mmsn("probe", "--data", bare, "--random-init", "--protocol", "paper", "--split", "official-file", "--preset", "test", "--probe-epochs", "1", "--bootstrap", "10", "--out", join(TMP, "p3"), "--no-progress");
    assert.match(readFileSync(join(TMP, "p3", "summary.md"), "utf8"), /differs \(split\): here mimic-cxr-2\.0\.0-split\.csv; official: MedFuse patient split/);
  });
});
