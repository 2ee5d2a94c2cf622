/**
 * MIMIC-CXR-JPG loader on schema-only synthetic tables (test/fixtures/data-loaders/mimic-cxr; no real
 * MIMIC-CXR rows exist in the repo). Expected values are read by hand from those fixture files.
 */
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CHEXPERT_LABELS, labelRow, loadMimicCxr, mimicImagePath, padStudyTime, readMimicMetadata, type CxrDataset } from "../../data-loaders/index.js";
import { FIXTURES, tempDir } from "./helpers.js";

const ROOT = path.join(FIXTURES, "mimic-cxr");
const tmp = tempDir();
after(() => tmp.cleanup());
const j = (l: string) => CHEXPERT_LABELS.indexOf(l as never);
const lab = (ds: CxrDataset, id: string, l: string) => labelRow(ds, ds.ids.findIndex((x) => x.startsWith(id)))[j(l)]!;

describe("MIMIC-CXR-JPG (synthetic schema-only tables)", () => {
  it("joins study-level labels to images by study_id (inner join) and builds the files/ layout", () => {
    const ds = loadMimicCxr({ root: ROOT });
    assert.equal(ds.report.read, 18);
    assert.equal(ds.length, 15);
    assert.deepEqual(ds.report.skipped, { "unknown label value": 1, "duplicate study id": 1, "no label row for study": 3 });
    assert.equal(ds.paths[0], path.join(ROOT, "files/p10/p10014729/s50000001/0a000001-11111111-22222222-33333333-44444441.jpg"));
    assert.deepEqual(ds.studyIds.slice(0, 3), ["50000001", "50000001", "50000002"]);
    assert.equal(ds.views[5], "UNKNOWN"); // blank ViewPosition
    assert.ok(ds.views.includes("AP AXIAL") && ds.views.includes("LL"));
    // Both images of study 50000003 get the study's labels; paper policy (U-Zeros, blank → 0).
    for (const id of ["0a000004", "0a000006"]) {
      assert.deepEqual([lab(ds, id, "Atelectasis"), lab(ds, id, "Cardiomegaly"), lab(ds, id, "Edema"), lab(ds, id, "Pneumothorax"), lab(ds, id, "Fracture")], [0, 1, 1, 0, 0]);
    }
  });

  it("label policies and the official split (train/validate/test)", () => {
    const ds = loadMimicCxr({ root: ROOT, policy: { uncertain: "ignore", blank: "ignore" } });
    assert.ok(Number.isNaN(lab(ds, "0a000004", "Atelectasis")) && Number.isNaN(lab(ds, "0a000004", "Fracture")));
    assert.equal(lab(ds, "0a000003", "Lung Opacity"), 1);
    const ones = loadMimicCxr({ root: ROOT, policy: { uncertain: "ones", blank: "zeros" } });
    assert.deepEqual([lab(ones, "0a000003", "Cardiomegaly"), lab(ones, "0a000003", "Pneumonia"), lab(ones, "0a000009", "Edema")], [1, 1, 1]);
    const split = Object.fromEntries(ds.ids.map((id, i) => [id.slice(0, 8), ds.split[i]]));
    assert.deepEqual([split["0a000001"], split["0a000004"], split["0a000007"]], ["train", "validate", "test"]);
  });

  it("the paper's (MedFuse) patient-level split from listfiles", () => {
    const ds = loadMimicCxr({ root: ROOT, split: { kind: "paper", valSubjects: "medfuse_val_listfile.csv", testSubjects: "medfuse_test_listfile.csv" } });
    ds.patientIds.forEach((p, i) => {
      const want = p === "10002428" || p === "10032725" ? "test" : p === "10003400" ? "validate" : "train";
      assert.equal(ds.split[i], want, p);
    });
  });

  it("the resized-image folder layout and view filtering", () => {
    const ds = loadMimicCxr({ root: ROOT, layout: "resized", views: ["PA", "AP"] });
    assert.equal(ds.paths[0], path.join(ROOT, "resized/0a000001-11111111-22222222-33333333-44444441.jpg"));
    assert.ok(ds.views.every((v) => v === "PA" || v === "AP"));
    assert.equal(ds.length, 10); // dicom ids 0a…01,03,04,05,07,09,0a,0e,10,11 of the fixture
  });

  it("metadata details: zero-padded StudyTime, orientation, path builder", () => {
    const { rows } = readMimicMetadata(path.join(ROOT, "mimic-cxr-2.0.0-metadata.csv"));
    assert.equal(rows[0]!.studyTime, "084512.0");
    assert.equal(rows[8]!.studyTime, "005959.0");
    assert.equal(rows[2]!.orientation, "");
    assert.equal(padStudyTime("84512"), "084512");
    assert.equal(mimicImagePath("10000032", "50414267", "abc"), "p10/p10000032/s50414267/abc.jpg");
  });

  it("bad input: missing label file, missing column, malformed and duplicate metadata rows", () => {
    assert.throws(() => loadMimicCxr({ root: ROOT, labels: "mimic-cxr-2.0.0-negbio.csv.gz" }), /mimic-cxr-2\.0\.0-negbio\.csv\.gz: file not found/);
    const meta = readFileSync(path.join(ROOT, "mimic-cxr-2.0.0-metadata.csv"), "utf8");
    const noDate = path.join(tmp.dir, "nodate.csv");
    writeFileSync(noDate, meta.replace("StudyDate", "Date"));
    assert.throws(() => loadMimicCxr({ root: ROOT, metadata: noDate }), /nodate\.csv: required column missing.*\(column "StudyDate"\)/);
    const lines = meta.trimEnd().split("\n");
    const bad = [...lines, lines[1]!, lines[2]!.replace("10014729", "../../x"), "0a0000ff,100,5000"].join("\n");
    const badFile = path.join(tmp.dir, "bad_meta.csv");
    writeFileSync(badFile, bad);
    const ds = loadMimicCxr({ root: ROOT, metadata: badFile });
    assert.equal(ds.report.total("duplicate image id"), 1);
    assert.equal(ds.report.total("malformed row"), 2);
    assert.equal(ds.length, 15);
  });
});
