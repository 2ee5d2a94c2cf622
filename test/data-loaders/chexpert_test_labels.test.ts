/**
 * The CheXpert test set's `test_labels.csv` (the file the paper scores CheXpert on): `Path` + 14 labels,
 * `Path` relative to the folder holding `test/` (`test/patient64741/study1/view1_frontal.jpg`), 0/1 values.
 * Real labels: the authors' groundtruth.csv (500 studies), rewritten here into that layout in a temporary folder
 * (labels only; the images are tiny gray JPEGs made by the test). Nothing real is committed: the release has no
 * licence, so it is read from ../shared/data/real-samples/chexpert beside the repository (CI), and the tests that
 * need it skip loudly when that folder is missing.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { CHEXPERT_LABELS, CHEXPERT_TEST_LABELS, DataFormatError, labelRow, loadChexpert, type CxrDataset } from "../../data-loaders/index.js";
import { tempDir, UNLICENSED_SAMPLES, unlicensedSample } from "./helpers.js";

const GROUNDTRUTH_REL = "chexpert/cheXpert-test-set-labels/groundtruth.csv";
const GROUNDTRUTH = path.join(UNLICENSED_SAMPLES, GROUNDTRUTH_REL);
/** Whether groundtruth.csv is there; a test that needs it skips loudly otherwise (a failure under CI=true). */
const needLabels = (t: { skip: (msg?: string) => void }): boolean => unlicensedSample(t, GROUNDTRUTH_REL) !== undefined;
const tmp = tempDir("mmsn-chexpert-test-");
after(() => tmp.cleanup());

/** groundtruth.csv's rows as [study folder without the release prefix, cells by label name]. */
function groundtruth(): { header: string[]; rows: { study: string; cells: Record<string, string> }[] } {
  const lines = readFileSync(GROUNDTRUTH, "utf8").split(/\r?\n/).filter((l) => l !== "");
  const header = lines[0]!.split(",");
  const rows = lines.slice(1).map((l) => {
    const c = l.split(",");
    return { study: c[0]!.replace(/^CheXpert-v1\.0\//, ""), cells: Object.fromEntries(header.map((h, i) => [h, c[i]!])) };
  });
  return { header, rows };
}

/** Write test_labels.csv in the test release's layout: Path + groundtruth's label columns, one frontal image per study (+ a lateral for every 4th). */
function writeTestLabels(dir: string, opts: { format?: (v: string) => string; prefix?: string } = {}): { paths: string[]; labels: Record<string, string>[] } {
  const gt = groundtruth();
  const labelCols = gt.header.slice(1);
  const paths: string[] = [], labels: Record<string, string>[] = [];
  gt.rows.forEach((r, i) => {
    for (const v of i % 4 === 0 ? ["view1_frontal.jpg", "view2_lateral.jpg"] : ["view1_frontal.jpg"]) {
      paths.push(`${r.study}/${v}`);
      labels.push(r.cells);
    }
  });
  const fmt = opts.format ?? ((v) => v);
  const body = paths.map((p, k) => [`${opts.prefix ?? ""}${p}`, ...labelCols.map((l) => fmt(labels[k]![l]!))].join(","));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, CHEXPERT_TEST_LABELS), ["Path", ...labelCols].join(",") + "\n" + body.join("\n") + "\n");
  return { paths, labels };
}

const row = (ds: CxrDataset, i: number): Record<string, number> => Object.fromEntries(CHEXPERT_LABELS.map((l, j) => [l, labelRow(ds, i)[j]!]));

describe("CheXpert test_labels.csv (real groundtruth labels in the test release's layout)", () => {
  const root = path.join(tmp.dir, "CheXpert");
  let written: ReturnType<typeof writeTestLabels>;
  before(() => {
    if (existsSync(GROUNDTRUTH)) written = writeTestLabels(root);
  });

  it("reads every image row as the test split, labels mapped by name, paths under the root", (t) => {
    if (!needLabels(t)) return;
    const ds = loadChexpert({ root, csv: CHEXPERT_TEST_LABELS });
    assert.equal(ds.length, written.paths.length);
    assert.equal(ds.length, 625); // 500 studies, a lateral added to every 4th
    assert.equal(ds.report.total(), 0);
    assert.deepEqual(ds.labelNames, CHEXPERT_LABELS);
    assert.ok(ds.split.every((s) => s === "test"));
    assert.equal(ds.ids[0], "test/patient64741/study1/view1_frontal.jpg");
    assert.equal(ds.paths[0], path.join(root, "test/patient64741/study1/view1_frontal.jpg"));
    assert.equal(ds.patientIds[0], "patient64741");
    assert.equal(ds.studyIds[0], "test/patient64741/study1");
    assert.deepEqual(ds.views.slice(0, 3), ["FRONTAL", "LATERAL", "FRONTAL"]);
    assert.equal(new Set(ds.patientIds).size, 500);
    assert.ok(Array.from(ds.ages).every(Number.isNaN) && ds.sexes.every((s) => s === ""));
    ds.ids.forEach((_, i) => {
      for (const l of CHEXPERT_LABELS) assert.equal(row(ds, i)[l], Number(written.labels[i]![l]), `${ds.ids[i]} ${l}`);
    });
  });

  it("gives each image its study's labels, equal to groundtruth.csv read by Study", (t) => {
    if (!needLabels(t)) return;
    const byImage = loadChexpert({ root, csv: CHEXPERT_TEST_LABELS });
    const byStudy = loadChexpert({ root, csv: GROUNDTRUTH, studyImages: "study" });
    const studyRow = new Map(byStudy.ids.map((id, i) => [id, row(byStudy, i)]));
    byImage.ids.forEach((id, i) => assert.deepEqual(row(byImage, i), studyRow.get(byImage.studyIds[i]!), id));
    // Hand-read from groundtruth.csv's first data row (patient64741: Enlarged Cardiomediastinum, Cardiomegaly, Lung Opacity, Support Devices).
    const first = row(byImage, 0);
    assert.deepEqual(CHEXPERT_LABELS.filter((l) => first[l] === 1), ["Cardiomegaly", "Enlarged Cardiomediastinum", "Lung Opacity", "Support Devices"]);
  });

  it("0.0/1.0 cells and a CheXpert-v1.0/ prefix read the same; the default split can be overridden", (t) => {
    if (!needLabels(t)) return;
    const ref = loadChexpert({ root, csv: CHEXPERT_TEST_LABELS });
    const alt = path.join(tmp.dir, "alt");
    writeTestLabels(alt, { format: (v) => `${v}.0`, prefix: "CheXpert-v1.0/" });
    const ds = loadChexpert({ root: alt, csv: CHEXPERT_TEST_LABELS, split: "validate" });
    assert.deepEqual(ds.ids, ref.ids);
    assert.deepEqual(Array.from(ds.labels), Array.from(ref.labels));
    assert.ok(ds.split.every((s) => s === "validate"));
  });

  it("view filter and checkImages against the test/ image folder", async (t) => {
    if (!needLabels(t)) return;
    const px = Buffer.alloc(16 * 16, 100);
    for (const rel of written.paths.slice(0, 3)) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      await sharp(px, { raw: { width: 16, height: 16, channels: 1 } }).jpeg().toFile(path.join(root, rel));
    }
    const checked = loadChexpert({ root, csv: CHEXPERT_TEST_LABELS, checkImages: true });
    assert.deepEqual(checked.ids, written.paths.slice(0, 3));
    assert.equal(checked.report.total("image file not found"), written.paths.length - 3);
    const frontal = loadChexpert({ root, csv: CHEXPERT_TEST_LABELS, views: ["FRONTAL"] });
    assert.equal(frontal.length, 500);
  });

  it("a missing test_labels.csv says where the test set comes from and what root to pass", () => {
    const empty = path.join(tmp.dir, "CheXpert-v1.0-small");
    mkdirSync(empty, { recursive: true });
    assert.throws(() => loadChexpert({ root: empty, csv: CHEXPERT_TEST_LABELS }), (e: unknown) => {
      assert.ok(e instanceof DataFormatError);
      assert.equal(e.file, path.join(empty, "test_labels.csv"));
      assert.match(e.message, /test_labels\.csv: file not found\. Fix: test_labels\.csv comes with the CheXpert test images, which are not in CheXpert-v1\.0\(-small\)/);
      assert.match(e.message, /stanfordaimi\.azurewebsites\.net\/datasets\/23c56a0d-15de-405b-87c8-99c30138950c/);
      assert.match(e.message, /CheXlocalize/);
      assert.match(e.message, /holds test\/ and test_labels\.csv: pass that folder as root, or copy both into your CheXpert-v1\.0-small folder/);
      return true;
    });
  });

  it("a label column missing from test_labels.csv names the file and the column", (t) => {
    if (!needLabels(t)) return;
    const bad = path.join(tmp.dir, "bad");
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, CHEXPERT_TEST_LABELS), readFileSync(path.join(root, CHEXPERT_TEST_LABELS), "utf8").replace(",Edema,", ",Oedema,"));
    assert.throws(() => loadChexpert({ root: bad, csv: CHEXPERT_TEST_LABELS }), /test_labels\.csv: required column missing.*\(column "Edema"\)/);
  });
});
