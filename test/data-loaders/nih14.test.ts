/**
 * NIH ChestX-ray14 loader on the real files in test/fixtures/real-samples/nih-chestxray14. Independent check:
 * test/reference/loaders_nih_counts.py re-reads each CSV with Python's csv module and counts rows, patients,
 * labels, views and sexes; the per-image rows are also stated by hand from nih-chestxray14/PROVENANCE.md
 * (verbatim v2020 rows).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { after, describe, it } from "node:test";
import { labelRow, loadNih14, loadNihBBoxes, NIH14_LABELS, parseNihAge, parseNihDataEntry, DataFormatError } from "../../data-loaders/index.js";
import { requirePython } from "../helpers/python.js";
import { bytes, NIH, NIH_SAMPLE_IDS, pythonJson, tempDir } from "./helpers.js";

const V2020 = path.join(NIH, "Data_Entry_2017_v2020.csv.gz");
const LEGACY = path.join(NIH, "legacy-2017-format/Data_Entry_2017.csv.gz");

interface PyCounts {
  rows: number;
  patients: number;
  labelCounts: Record<string, number>;
  views: Record<string, number>;
  sexes: Record<string, number>;
  noFindingOnly: number;
  agesOver100: number;
  samples: Record<string, { labels: string[]; age: number; sex: string; view: string; patient: string }>;
}

const tmp = tempDir();
after(() => tmp.cleanup());

function checkAgainstPython(file: string, py: PyCounts): void {
  const ds = loadNih14({ root: NIH, csv: file });
  assert.equal(ds.length, py.rows);
  assert.equal(ds.report.total(), 0, ds.report.toString());
  assert.equal(new Set(ds.patientIds).size, py.patients);
  NIH14_LABELS.forEach((l, j) => {
    let n = 0;
    for (let i = 0; i < ds.length; i++) n += ds.labels[i * 14 + j]!;
    assert.equal(n, py.labelCounts[l], `count of ${l}`);
  });
  const views: Record<string, number> = {};
  ds.views.forEach((v) => (views[v] = (views[v] ?? 0) + 1));
  assert.deepEqual(views, py.views);
  const sexes: Record<string, number> = {};
  ds.sexes.forEach((v) => (sexes[v] = (sexes[v] ?? 0) + 1));
  assert.deepEqual(sexes, py.sexes);
  for (const [id, s] of Object.entries(py.samples)) {
    const i = ds.ids.indexOf(id);
    assert.ok(i >= 0, id);
    const got = NIH14_LABELS.filter((_, j) => labelRow(ds, i)[j] === 1);
    assert.deepEqual(got, s.labels.filter((l) => l !== "No Finding").sort(), id);
    assert.ok(Math.abs(ds.ages[i]! - s.age) < 1e-4, `${id} age ${ds.ages[i]} vs ${s.age}`);
    assert.equal(ds.sexes[i], s.sex);
    assert.equal(ds.views[i], s.view);
    assert.equal(ds.patientIds[i], s.patient);
    assert.equal(ds.paths[i], path.join(NIH, "images", id));
  }
}

describe("NIH-14 Data_Entry (real files)", () => {
  it("v2020 file: counts, labels, ages, views match Python's csv module", (t) => {
    const py = requirePython(t, ["csv"], ["python3"]);
    if (!py) return;
    const ref = pythonJson<PyCounts>(py, "loaders_nih_counts.py", [V2020, ...NIH_SAMPLE_IDS]);
    assert.equal(ref.rows, 112120); // docs/data-formats.md#nih-14-csv
    checkAgainstPython(V2020, ref);
  });

  it("legacy 2017 file (CRLF, 058Y ages, padded ids, trailing header comma) matches Python", (t) => {
    const py = requirePython(t, ["csv"], ["python3"]);
    if (!py) return;
    const ref = pythonJson<PyCounts>(py, "loaders_nih_counts.py", [LEGACY, ...NIH_SAMPLE_IDS]);
    checkAgainstPython(LEGACY, ref);
    const { report } = parseNihDataEntry(LEGACY);
    assert.equal(ref.agesOver100, 16);
    assert.match(report.notes.join("\n"), /16 rows with age > 100/);
  });

  it("hand-checked rows from PROVENANCE.md (v2020 verbatim rows)", () => {
    const { entries } = parseNihDataEntry(V2020);
    const by = new Map(entries.map((e) => [e.imageIndex, e]));
    const e284 = by.get("00000284_000.png")!;
    assert.deepEqual([e284.findings, e284.followUp, e284.patientId, e284.age, e284.sex, e284.view], [["Hernia"], 5, "284", 86, "F", "PA"]);
    const e404 = by.get("00000404_000.png")!;
    assert.deepEqual(e404.findings, ["Atelectasis", "Consolidation", "Effusion", "Mass", "Pleural_Thickening"]);
    assert.deepEqual([by.get("00005618_000.png")!.age, by.get("00005618_000.png")!.view], [3, "AP"]);
    assert.deepEqual(by.get("00008752_000.png")!.findings, []); // No Finding → all zero
  });

  it("parses DICOM AS ages", () => {
    assert.equal(parseNihAge("058Y"), 58);
    assert.equal(parseNihAge("011M"), 11 / 12);
    assert.equal(parseNihAge("030D"), 30 / 365);
    assert.equal(parseNihAge("57"), 57);
    assert.ok(Number.isNaN(parseNihAge("abc")));
  });

  it("drops No-Finding-only images as the paper does (112,120 → 51,759)", () => {
    const ds = loadNih14({ root: NIH, csv: V2020, dropNoFindingOnly: true });
    assert.equal(ds.length, 51759); // docs/protocol.md#nih-14; 112,120 − 60,361 No Finding (docs/data-formats.md#nih-14-csv)
    assert.equal(ds.report.total("No Finding only (dropNoFindingOnly)"), 60361);
  });

  it("filters views", () => {
    const ds = loadNih14({ root: NIH, csv: V2020, views: ["PA"] });
    assert.equal(ds.length, 67310); // docs/data-formats.md#nih-14-csv
    assert.ok(ds.views.every((v) => v === "PA"));
  });

  it("reads the Kaggle variant: Patient Sex header, trailing empty column, CRLF", () => {
    const lines = new TextDecoder().decode(gunzipSync(bytes(V2020))).split("\n").slice(0, 301);
    const kaggle = lines.map((l, i) => (i === 0 ? l.replace("Patient Gender", "Patient Sex") : l) + ",").join("\r\n") + "\r\n";
    const file = path.join(tmp.dir, "kaggle.csv");
    writeFileSync(file, kaggle);
    const a = loadNih14({ root: NIH, csv: file });
    assert.equal(a.length, 300);
    assert.equal(a.report.total(), 0);
    const b = loadNih14({ root: NIH, csv: V2020 });
    assert.deepEqual(a.ids, b.ids.slice(0, 300));
    assert.deepEqual(a.sexes, b.sexes.slice(0, 300));
    assert.deepEqual(Array.from(a.labels), Array.from(b.labels.subarray(0, 300 * 14)));
  });

  it("uses train_val_list.txt / test_list.txt when present, with a patient-level validate split", () => {
    const root = path.join(tmp.dir, "nih-lists");
    mkdirSync(root, { recursive: true });
    const all = parseNihDataEntry(V2020).entries.slice(0, 2000);
    const testIds = all.filter((e) => Number(e.patientId) % 4 === 0).map((e) => e.imageIndex);
    const tvIds = all.filter((e) => Number(e.patientId) % 4 !== 0).map((e) => e.imageIndex);
    writeFileSync(path.join(root, "test_list.txt"), testIds.join("\r\n") + "\r\n");
    writeFileSync(path.join(root, "train_val_list.txt"), tvIds.join("\n"));
    const ds = loadNih14({ root, csv: V2020, valFraction: 0.2 });
    const split = new Map(ds.ids.map((id, i) => [id, ds.split[i]]));
    for (const id of testIds) assert.equal(split.get(id), "test");
    for (const id of tvIds) assert.ok(split.get(id) === "train" || split.get(id) === "validate");
    const trainP = new Set(ds.patientIds.filter((_, i) => ds.split[i] === "train"));
    const valP = new Set(ds.patientIds.filter((_, i) => ds.split[i] === "validate"));
    assert.ok(valP.size > 0);
    for (const p of valP) assert.ok(!trainP.has(p), `patient ${p} in train and validate`);
  });

  it("builds a seeded, deterministic, patient-disjoint split without lists", () => {
    const a = loadNih14({ root: NIH, csv: V2020, seed: 7 });
    const b = loadNih14({ root: NIH, csv: V2020, seed: 7 });
    assert.deepEqual(a.split, b.split);
    const of = new Map<string, string>();
    a.patientIds.forEach((p, i) => {
      const s = of.get(p);
      assert.ok(s === undefined || s === a.split[i], `patient ${p} in two splits`);
      of.set(p, a.split[i]!);
    });
    const nTest = [...of.values()].filter((s) => s === "test").length;
    assert.ok(Math.abs(nTest / of.size - 0.2) < 0.01);
  });

  it("reads BBox_List_2017.csv (984 boxes on 880 images; Infiltrate → Infiltration)", () => {
    const { boxes, report } = loadNihBBoxes(path.join(NIH, "BBox_List_2017.csv"));
    assert.equal(report.total(), 0);
    assert.equal(boxes.length, 984);
    assert.equal(new Set(boxes.map((b) => b.imageIndex)).size, 880);
    const count = (l: string) => boxes.filter((b) => b.label === l).length;
    // Hand counts: docs/data-formats.md#nih-14-boxes.
    assert.deepEqual(
      ["Atelectasis", "Effusion", "Cardiomegaly", "Infiltration", "Pneumonia", "Pneumothorax", "Mass", "Nodule"].map(count),
      [180, 153, 146, 123, 120, 98, 85, 79],
    );
    const first = boxes[0]!;
    assert.deepEqual([first.imageIndex, first.label], ["00013118_008.png", "Atelectasis"]);
    assert.ok(Math.abs(first.x - 225.084745762712) < 1e-9 && Math.abs(first.h - 79.1864406779661) < 1e-9);
  });
});

describe("NIH-14 bad input", () => {
  const header = "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]";
  const row = (id: string, labels = "Cardiomegaly") => `${id},${labels},0,1,57,M,PA,2682,2749,0.143,0.143`;
  const write = (name: string, text: string) => {
    const f = path.join(tmp.dir, name);
    writeFileSync(f, text);
    return f;
  };

  it("missing CSV: the error names the file", () => {
    assert.throws(() => loadNih14({ root: tmp.dir, csv: "nope.csv" }), (e: Error) => e instanceof DataFormatError && /nope\.csv: file not found/.test(e.message));
  });

  it("a CSV without a required column names file and column", () => {
    const f = write("nocol.csv", header.replace("View Position", "Projection") + "\n" + row("00000001_000.png") + "\n");
    assert.throws(() => loadNih14({ root: tmp.dir, csv: f }), /nocol\.csv: required column missing.*\(column "View Position"\)\. Fix:/);
  });

  it("malformed rows, unknown labels and duplicate ids are skipped, counted and reported", () => {
    const f = write(
      "bad.csv",
      [header, row("00000001_000.png"), "00000002_000.png,Edema,0,2", row("00000003_000.png", "Edema|Flu"), row("00000001_000.png"), row("00000004_000.png", "No Finding")].join("\n"),
    );
    const ds = loadNih14({ root: tmp.dir, csv: f });
    assert.deepEqual(ds.ids, ["00000001_000.png", "00000004_000.png"]);
    assert.deepEqual(ds.report.skipped, { "malformed row": 1, "unknown label value": 1, "duplicate image id": 1 });
    assert.equal(ds.report.examplesOf("malformed row")[0]!.line, 3);
    assert.match(ds.report.examplesOf("unknown label value")[0]!.detail, /"Flu"/);
    assert.match(ds.report.toString(), /read 5, kept 2; skipped 3/);
  });

  it("image ids that resolve outside the dataset root are rejected", () => {
    const f = write("escape.csv", [header, row("../../../etc/passwd"), row("/etc/passwd"), row("00000001_000.png")].join("\n"));
    const ds = loadNih14({ root: tmp.dir, csv: f, imageDir: "images" });
    assert.deepEqual(ds.ids, ["00000001_000.png"]);
    assert.equal(ds.report.total("path outside dataset root"), 2);
  });

  it("unknown option keys throw", () => {
    assert.throws(() => loadNih14({ root: NIH, csv: V2020, dropNoFinding: true } as never), /unknown option "dropNoFinding"/);
  });
});
