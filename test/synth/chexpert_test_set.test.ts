/**
 * The synthetic cohort's CheXpert test set: `test_labels.csv` and `test/…` images in the CheXpert root, in
 * the real test release's format, read by the real loader; and kept apart from everything else (train.csv,
 * valid.csv, synth.json and the in-memory records do not depend on it).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { CHEXPERT_LABELS, CHEXPERT_TEST_LABELS, loadChexpert, readDatasetImage } from "../../data-loaders/index.js";
import {
  buildChexpertTestSet,
  buildSyntheticCohort,
  CHEXPERT_CSV_LABEL_ORDER,
  CHEXPERT_TEST_HEADER,
  chexpertTestCount,
  resolveSynthOptions,
  SYNTH_CHEXPERT_TEST,
  SYNTH_PATHS,
  writeSyntheticCohort,
} from "../../data-loaders/synth/index.js";
import { Rng } from "../../src/utils/rng.js";
import { headerOf, listFiles, readCsv, unlicensedSample } from "./helpers.js";

const tmp = mkdtempSync(path.join(tmpdir(), "synth-chexpert-test-"));
const opts = { seed: 7, images: 20, nihImages: 12, chexpertImages: 40, imageSize: 32 };
const dir = path.join(tmp, "a");
before(async () => {
  await writeSyntheticCohort(dir, opts);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test("test_labels.csv: real header (groundtruth's with Path for Study)", (t) => {
  // The authors' groundtruth.csv has no licence: read from ../shared when present, else this test skips loudly.
  const groundtruth = unlicensedSample(t, "chexpert/cheXpert-test-set-labels/groundtruth.csv");
  if (!groundtruth) return;
  const file = path.join(dir, SYNTH_CHEXPERT_TEST.labels);
  assert.equal(headerOf(file), headerOf(groundtruth).replace(/^Study,/, "Path,"));
});

test("test_labels.csv: the exported header, relative test/ paths, 0/1 cells, images exist", () => {
  const file = path.join(dir, SYNTH_CHEXPERT_TEST.labels);
  assert.equal(CHEXPERT_TEST_HEADER, headerOf(file));
  const rows = readCsv(file);
  assert.equal(rows.length, chexpertTestCount(resolveSynthOptions(opts)));
  assert.equal(rows.length, 10);
  assert.equal(rows[0]!.Path, "test/patient64741/study1/view1_frontal.jpg");
  for (const r of rows) {
    assert.match(r.Path!, /^test\/patient6\d{4}\/study1\/view[12]_(frontal|lateral)\.jpg$/);
    assert.ok(existsSync(path.join(dir, SYNTH_PATHS.chexpertRoot, "CheXpert-v1.0-small", r.Path!)), r.Path);
    for (const l of CHEXPERT_CSV_LABEL_ORDER) assert.ok(r[l] === "0" || r[l] === "1", `${l}=${r[l]}`);
  }
  const images = listFiles(path.join(dir, SYNTH_CHEXPERT_TEST.images));
  assert.equal(images.length, rows.length);
});

test("the CheXpert loader reads it as the test split", async () => {
  const ds = loadChexpert({ root: path.join(dir, "chexpert/CheXpert-v1.0-small"), csv: CHEXPERT_TEST_LABELS, checkImages: true });
  assert.equal(ds.length, 10);
  assert.equal(ds.report.total(), 0);
  assert.ok(ds.split.every((s) => s === "test"));
  assert.ok(ds.patientIds.every((p) => /^patient6\d{4}$/.test(p)));
  assert.ok(ds.views.every((v) => v === "FRONTAL" || v === "LATERAL"));
  assert.ok(Array.from(ds.labels).every((v) => v === 0 || v === 1));
  assert.deepEqual(ds.labelNames, CHEXPERT_LABELS);
  assert.equal((await readDatasetImage(ds, 0)).width, 32);
});

test("kept apart: records, counts and synth.json do not mention it; its own stream; none below 10 images or without chexpert", async () => {
  const cohort = buildSyntheticCohort(opts);
  assert.ok(cohort.chexpert!.every((x) => x.split === "train" || x.split === "valid"));
  const manifest = readFileSync(path.join(dir, "synth.json"), "utf8");
  assert.ok(!manifest.includes("test_labels") && !manifest.includes("patient6474"), "synth.json unchanged by the test set");
  const train = readCsv(path.join(dir, SYNTH_PATHS.chexpertTrain)).concat(readCsv(path.join(dir, SYNTH_PATHS.chexpertValid)));
  assert.equal(train.length, 40);
  assert.ok(train.every((r) => !r.Path!.includes("/test/")));
  // Same records from the same seed; another seed differs.
  const o = resolveSynthOptions(opts);
  assert.deepEqual(buildChexpertTestSet(new Rng(7), o).map((x) => x.labels), buildChexpertTestSet(new Rng(7), o).map((x) => x.labels));
  assert.notDeepEqual(buildChexpertTestSet(new Rng(8), o).map((x) => [x.path, x.labels]), buildChexpertTestSet(new Rng(7), o).map((x) => [x.path, x.labels]));
  assert.equal(chexpertTestCount(resolveSynthOptions({ chexpertImages: 9 })), 0);
  assert.equal(chexpertTestCount(resolveSynthOptions({})), 50);
  const noChex = path.join(tmp, "nochex");
  await writeSyntheticCohort(noChex, { ...opts, datasets: ["nih"] });
  assert.ok(!existsSync(path.join(noChex, SYNTH_CHEXPERT_TEST.labels)));
  const few = path.join(tmp, "few");
  await writeSyntheticCohort(few, { ...opts, datasets: ["chexpert"], chexpertImages: 9 });
  assert.ok(!existsSync(path.join(few, SYNTH_CHEXPERT_TEST.labels)) && existsSync(path.join(few, SYNTH_PATHS.chexpertTrain)));
});
