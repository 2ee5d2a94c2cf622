/**
 * CheXpert loader. Real files: the authors' public test-label release (groundtruth.csv, the labeler output with
 * -1/blank, and bc4.csv whose column order differs). It has no licence, so it is not in the repository: it is read
 * from ../shared/data/real-samples/chexpert when that folder sits beside the repository (CI), and each test that
 * needs it skips loudly otherwise. Independent check: test/reference/loaders_chexpert_counts.py counts each raw
 * value per label name with Python's csv module.
 * Synthetic: test/fixtures/data-loaders/chexpert/train.csv (invented rows, real header).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import sharp from "sharp";
import { CHEXPERT_LABELS, labelRow, loadChexpert, stripChexpertPrefix, type CxrDataset, type LabelPolicy } from "../../data-loaders/index.js";
import { requirePython } from "../helpers/python.js";
import { FIXTURES, pythonJson, tempDir, unlicensedSample } from "./helpers.js";

/** The test-label release, relative to the unlicensed samples folder (read only when present). */
const TESTSET = "chexpert/cheXpert-test-set-labels";
const GROUNDTRUTH = `${TESTSET}/groundtruth.csv`;
const LABELER = `${TESTSET}/labeler/chexpert_labels.csv`;
const BC4 = `${TESTSET}/radiologists/benchmark_radiologists/bc4.csv`;
const FIX = path.join(FIXTURES, "chexpert");

interface PyCounts {
  rows: number;
  counts: Record<string, Record<string, number>>;
  raw: Record<string, Record<string, string>>;
}

const tmp = tempDir();
after(() => tmp.cleanup());

const studyOnly = (csv: string, policy: LabelPolicy) => loadChexpert({ root: tmp.dir, csv, policy, studyImages: "study" });
const col = (ds: CxrDataset, label: string) => {
  const j = ds.labelNames.indexOf(label);
  return Array.from({ length: ds.length }, (_, i) => ds.labels[i * ds.labelNames.length + j]!);
};

describe("CheXpert test-set label files (real)", () => {
  for (const [name, rel] of [["groundtruth.csv", GROUNDTRUTH], ["labeler/chexpert_labels.csv", LABELER], ["bc4.csv", BC4]] as const) {
    it(`${name}: values per label match Python under every policy`, (t) => {
      const file = unlicensedSample(t, rel);
      if (!file) return;
      const py = requirePython(t, ["csv"], ["python3"]);
      if (!py) return;
      const ref = pythonJson<PyCounts>(py, "loaders_chexpert_counts.py", [file]);
      assert.equal(ref.rows, 500);
      const ignore = studyOnly(file, { uncertain: "ignore", blank: "ignore" });
      const ones = studyOnly(file, { uncertain: "ones", blank: "zeros" });
      const paper = studyOnly(file, { uncertain: "zeros", blank: "zeros" });
      for (const ds of [ignore, ones, paper]) {
        assert.equal(ds.length, 500);
        assert.equal(ds.report.total(), 0);
        assert.deepEqual(ds.labelNames, CHEXPERT_LABELS);
      }
      for (const l of CHEXPERT_LABELS) {
        const c = ref.counts[l]!;
        assert.equal(c.other ?? 0, 0);
        const n = (v: string) => c[v] ?? 0;
        const count = (xs: number[], f: (x: number) => boolean) => xs.filter(f).length;
        assert.equal(count(col(ignore, l), (x) => x === 1), n("1"), l);
        assert.equal(count(col(ignore, l), (x) => x === 0), n("0"), l);
        assert.equal(count(col(ignore, l), Number.isNaN), n("-1") + n("blank"), l);
        assert.equal(count(col(ones, l), (x) => x === 1), n("1") + n("-1"), l);
        assert.equal(count(col(paper, l), (x) => x === 0), n("0") + n("-1") + n("blank"), l);
      }
      // Row-by-row: each study's labels match its raw cells, whatever the file's column order.
      ignore.ids.forEach((id, i) => {
        const raw = ref.raw[`CheXpert-v1.0/${id}`]!;
        CHEXPERT_LABELS.forEach((l, j) => {
          const v = labelRow(ignore, i)[j]!;
          assert.equal(Number.isNaN(v) ? "nan" : String(v), raw[l] === "1" ? "1" : raw[l] === "0" ? "0" : "nan", `${id} ${l}`);
        });
      });
    });
  }

  it("groundtruth is binary and keyed by study; bc4's different column order is mapped by name", (t) => {
    const groundtruth = unlicensedSample(t, GROUNDTRUTH);
    const bc4File = groundtruth && unlicensedSample(t, BC4);
    if (!groundtruth || !bc4File) return;
    const gt = studyOnly(groundtruth, { uncertain: "ignore", blank: "ignore" });
    assert.ok(Array.from(gt.labels).every((v) => v === 0 || v === 1));
    assert.equal(gt.ids[0], "test/patient64741/study1");
    assert.equal(gt.patientIds[0], "patient64741");
    assert.equal(gt.split[0], "test");
    // Hand-read first data rows (groundtruth: Lung Opacity 1, Lung Lesion 0; bc4: Lung Lesion 0, Lung Opacity 0).
    const bc4 = studyOnly(bc4File, { uncertain: "ignore", blank: "ignore" });
    const j = (l: string) => CHEXPERT_LABELS.indexOf(l as never);
    assert.deepEqual([labelRow(gt, 0)[j("Lung Opacity")], labelRow(gt, 0)[j("Lung Lesion")]], [1, 0]);
    assert.deepEqual([labelRow(bc4, 1)[j("Lung Lesion")], labelRow(bc4, 1)[j("Lung Opacity")]], [0, 1]);
  });

  it("expands a study folder into its images and skips studies without a folder", async (t) => {
    const groundtruth = unlicensedSample(t, GROUNDTRUTH);
    if (!groundtruth) return;
    const root = path.join(tmp.dir, "CheXpert-v1.0");
    const study = path.join(root, "test/patient64741/study1");
    mkdirSync(study, { recursive: true });
    const px = Buffer.alloc(16 * 16, 128);
    for (const f of ["view1_frontal.jpg", "view2_lateral.jpg"]) await sharp(px, { raw: { width: 16, height: 16, channels: 1 } }).jpeg().toFile(path.join(study, f));
    const ds = loadChexpert({ root, csv: groundtruth });
    assert.deepEqual(ds.ids, ["test/patient64741/study1/view1_frontal.jpg", "test/patient64741/study1/view2_lateral.jpg"]);
    assert.deepEqual(ds.views, ["FRONTAL", "LATERAL"]);
    assert.equal(ds.report.total("study directory not found"), 499);
  });
});

/** The header line of the synthetic train.csv fixture, with its LF: a copy of the real train.csv header. */
const realHeader = () => readFileSync(path.join(FIX, "train.csv"), "utf8").split("\n")[0]! + "\n";

describe("CheXpert train.csv format (synthetic rows)", () => {
  it("the fixture's header is byte-identical to the real train.csv header", (t) => {
    const real = unlicensedSample(t, "chexpert/train.csv.header-only.csv");
    if (!real) return;
    assert.equal(realHeader(), readFileSync(real, "utf8"));
  });

  const load = (policy?: LabelPolicy) => loadChexpert({ root: FIX, csv: "train.csv", ...(policy ? { policy } : {}) });

  it("resolves Path under the root, parses views, sex, age", () => {
    const ds = load();
    assert.equal(ds.length, 5);
    assert.equal(ds.paths[0], path.join(FIX, "train/patient00001/study1/view1_frontal.jpg"));
    assert.deepEqual(ds.views, ["AP", "LATERAL", "PA", "LL", "RL"]);
    assert.deepEqual(ds.sexes, ["F", "F", "M", "", "M"]);
    assert.deepEqual(Array.from(ds.ages).map((a) => (Number.isNaN(a) ? null : a)), [68, 68, null, 90, 45]); // Age 0 = missing
    assert.deepEqual(ds.patientIds, ["patient00001", "patient00001", "patient00002", "patient00003", "patient00004"]);
    assert.deepEqual(ds.split, Array(5).fill("train"));
    assert.equal(stripChexpertPrefix("CheXpert-v1.0/valid/patient64541/study1/view1_frontal.jpg"), "valid/patient64541/study1/view1_frontal.jpg");
  });

  it("applies U-Zeros (paper), U-Ones, ignore and per-label policies", () => {
    const j = (l: string) => CHEXPERT_LABELS.indexOf(l as never);
    const row = (ds: CxrDataset, i: number, l: string) => labelRow(ds, i)[j(l)]!;
    const paper = load();
    assert.deepEqual([row(paper, 1, "Edema"), row(paper, 1, "Atelectasis"), row(paper, 1, "Cardiomegaly"), row(paper, 1, "Fracture")], [0, 0, 1, 0]);
    const ones = load({ uncertain: "ones", blank: "zeros" });
    assert.deepEqual([row(ones, 1, "Edema"), row(ones, 1, "Atelectasis"), row(ones, 2, "Pneumonia")], [1, 1, 1]);
    const ign = load({ uncertain: "ignore", blank: "ignore" });
    assert.ok(Number.isNaN(row(ign, 1, "Edema")) && Number.isNaN(row(ign, 1, "Fracture")));
    assert.deepEqual([row(ign, 2, "Edema"), row(ign, 2, "Lung Opacity"), row(ign, 0, "No Finding"), row(ign, 0, "Support Devices")], [0, 1, 1, 1]);
    const libauc = load({ uncertain: { default: "zeros", Edema: "ones", Atelectasis: "ones" }, blank: "zeros" });
    assert.deepEqual([row(libauc, 1, "Edema"), row(libauc, 1, "Atelectasis"), row(libauc, 2, "Pneumonia")], [1, 1, 0]);
    assert.throws(() => load({ uncertain: { default: "zeros", Edemaa: "ones" }, blank: "zeros" }), /unknown label "Edemaa"/);
  });

  it("view filter", () => {
    const ds = loadChexpert({ root: FIX, csv: "train.csv", views: ["AP", "PA"] });
    assert.deepEqual(ds.views, ["AP", "PA"]);
    assert.equal(ds.report.total("view filtered out"), 3);
  });

  it("bad rows: unknown label value, duplicate Path, path outside root, malformed row — each skipped and counted", () => {
    const ds = load();
    assert.deepEqual(ds.report.skipped, { "malformed row": 1, "unknown label value": 1, "duplicate image id": 1, "path outside dataset root": 1 });
    assert.match(ds.report.examplesOf("unknown label value")[0]!.detail, /"2\.0" in column "Edema"/);
    assert.equal(ds.report.examplesOf("duplicate image id")[0]!.line, 8);
    assert.equal(ds.report.read, 9);
  });

  it("missing file and missing label column name the file and column", () => {
    assert.throws(() => loadChexpert({ root: FIX, csv: "valid.csv" }), /valid\.csv: file not found/);
    // The real header with no rows is a valid, empty dataset (the fixture's header line is the real one).
    const headerOnly = path.join(tmp.dir, "train.csv.header-only.csv");
    writeFileSync(headerOnly, realHeader());
    assert.equal(loadChexpert({ root: FIX, csv: headerOnly }).length, 0);
    const noEdema = path.join(tmp.dir, "no_edema.csv");
    writeFileSync(noEdema, readFileSync(path.join(FIX, "train.csv"), "utf8").replace(",Edema,", ",Oedema,"));
    assert.throws(() => loadChexpert({ root: FIX, csv: noEdema }), /no_edema\.csv: required column missing.*\(column "Edema"\)\. Fix:/);
  });
});
