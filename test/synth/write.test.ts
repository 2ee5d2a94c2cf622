/**
 * The written cohort: determinism (hashes), real headers and encodings, paths, date windows, rare and
 * missing metadata. One tiny cohort is written twice (determinism) and one mid-size cohort at a small
 * image size is read back for the format checks.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { CHEXPERT_LABELS, SYNTH_PATHS, writeSyntheticCohort, type SynthReport } from "../../data-loaders/synth/index.js";
import { hashTree, headerOf, parseStudyTime, parseTimestamp, readCsv, readText, realSamples, repoRoot } from "./helpers.js";

const tmp = mkdtempSync(path.join(tmpdir(), "synth-test-"));
const tiny = { images: 40, nihImages: 12, chexpertImages: 12, imageSize: 64 };
const dirA = path.join(tmp, "a"), dirB = path.join(tmp, "b"), dirMid = path.join(tmp, "mid");
let report: SynthReport;

before(async () => {
  await writeSyntheticCohort(dirA, tiny);
  await writeSyntheticCohort(dirB, tiny);
  report = await writeSyntheticCohort(dirMid, { seed: 5, images: 400, nihImages: 40, chexpertImages: 40, imageSize: 32 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const p = (...parts: string[]): string => path.join(dirMid, ...parts);

test("same seed gives byte-identical files; another seed differs", async () => {
  assert.equal(hashTree(dirA), hashTree(dirB));
  const dirC = path.join(tmp, "c");
  await writeSyntheticCohort(dirC, { ...tiny, seed: 25, datasets: ["nih"] });
  await writeSyntheticCohort(path.join(tmp, "a-nih"), { ...tiny, datasets: ["nih"] });
  assert.notEqual(hashTree(dirC), hashTree(path.join(tmp, "a-nih")));
});

test("tiny cohort counts are exact and the manifest is written", () => {
  const m = JSON.parse(readFileSync(path.join(dirA, "synth.json"), "utf8"));
  assert.equal(m.seed, 24);
  assert.equal(m.counts.mimic.images, 40);
  assert.equal(m.counts.nih.images, 12);
  assert.equal(m.counts.chexpert.trainImages + m.counts.chexpert.validImages, 12);
  assert.ok(readFileSync(path.join(dirA, "SYNTHETIC.md"), "utf8").includes("| Pleural Effusion |"));
  for (const rel of Object.values(SYNTH_PATHS)) assert.ok(existsSync(path.join(dirA, rel)), rel);
});

test("headers equal the real files' headers", () => {
  const nihReal = headerOf(path.join(realSamples, "nih-chestxray14", "Data_Entry_2017_v2020.csv.gz"));
  assert.equal(headerOf(p(SYNTH_PATHS.nihDataEntry)), nihReal);
  assert.equal(headerOf(p(SYNTH_PATHS.nihBbox)), headerOf(path.join(realSamples, "nih-chestxray14", "BBox_List_2017.csv")));
  // CheXpert's train.csv may not be redistributed, so its real header line is committed only as the header of the
  // synthetic fixture (byte-identical; test/data-loaders/chexpert.test.ts compares the two when ../shared is present).
  const chexReal = headerOf(path.join(repoRoot, "test/fixtures/data-loaders/chexpert/train.csv"));
  assert.equal(headerOf(p(SYNTH_PATHS.chexpertTrain)), chexReal);
  assert.equal(headerOf(p(SYNTH_PATHS.chexpertValid)), chexReal);
  for (const [mine, real] of [[SYNTH_PATHS.mimicIvPatients, "hosp/patients.csv.gz"], [SYNTH_PATHS.mimicIvAdmissions, "hosp/admissions.csv.gz"], [SYNTH_PATHS.mimicIvIcustays, "icu/icustays.csv.gz"]] as const) {
    assert.equal(headerOf(p(mine)), headerOf(path.join(realSamples, "mimic-iv-demo", real)), mine);
  }
  // MIMIC-CXR has no real sample (credentialed); compare with the documented headers.
  assert.equal(headerOf(p(SYNTH_PATHS.mimicMetadata)), "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning");
  assert.equal(headerOf(p(SYNTH_PATHS.mimicChexpert)), ["subject_id", "study_id", ...[...CHEXPERT_LABELS].sort()].join(","));
  assert.equal(headerOf(p(SYNTH_PATHS.mimicNegbio)), headerOf(p(SYNTH_PATHS.mimicChexpert)));
  assert.equal(headerOf(p(SYNTH_PATHS.mimicSplit)), "dicom_id,study_id,subject_id,split");
});

test("MIMIC-CXR ids, paths, encodings and label joins", () => {
  const meta = readCsv(p(SYNTH_PATHS.mimicMetadata));
  assert.equal(meta.length, 400);
  for (const r of meta) {
    assert.match(r.dicom_id!, /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/);
    assert.match(r.subject_id!, /^1\d{7}$/);
    assert.match(r.study_id!, /^5\d{7}$/);
    assert.match(r.StudyDate!, /^2[12]\d{6}$/);
    assert.match(r.StudyTime!, /^[1-9]?\d{0,5}\.\d{1,3}$/);
    assert.ok(["", "Erect", "Recumbent"].includes(r.PatientOrientationCodeSequence_CodeMeaning!));
    const img = p(SYNTH_PATHS.mimicCxrRoot, "files", `p${r.subject_id!.slice(0, 2)}`, `p${r.subject_id}`, `s${r.study_id}`, `${r.dicom_id}.jpg`);
    assert.ok(existsSync(img), img);
  }
  const split = readCsv(p(SYNTH_PATHS.mimicSplit));
  assert.deepEqual(new Set(split.map((r) => r.split)), new Set(["train", "validate", "test"]));
  const bySubject = new Map<string, Set<string>>();
  for (const r of split) bySubject.set(r.subject_id!, (bySubject.get(r.subject_id!) ?? new Set()).add(r.split!));
  for (const s of bySubject.values()) assert.equal(s.size, 1, "split is patient-level");
  const labels = readCsv(p(SYNTH_PATHS.mimicChexpert));
  const studies = new Set(meta.map((r) => r.study_id));
  assert.ok(labels.length <= studies.size && labels.length > 0.9 * studies.size);
  for (const r of labels) {
    assert.ok(studies.has(r.study_id));
    for (const l of CHEXPERT_LABELS) assert.ok(["1.0", "0.0", "-1.0", ""].includes(r[l]!), `${l}=${r[l]}`);
    assert.ok(["1.0", ""].includes(r["No Finding"]!));
  }
  const all = labels.flatMap((r) => CHEXPERT_LABELS.map((l) => r[l]));
  for (const v of ["1.0", "0.0", "-1.0", ""]) assert.ok(all.includes(v), `value ${v} present`);
});

test("missing, rare and lateral views are present; ICU films are mostly AP and recumbent", () => {
  const meta = readCsv(p(SYNTH_PATHS.mimicMetadata));
  const vp = meta.map((r) => r.ViewPosition!);
  assert.ok(vp.includes(""), "blank ViewPosition");
  assert.ok(vp.some((v) => !["", "AP", "PA", "LATERAL", "LL"].includes(v)), "rare view");
  for (const v of ["AP", "PA", "LATERAL", "LL"]) assert.ok(vp.includes(v), v);
  assert.ok(meta.some((r) => r.PatientOrientationCodeSequence_CodeMeaning === ""), "blank orientation");
  const patients = readCsv(p(SYNTH_PATHS.mimicIvPatients));
  const known = new Set(patients.map((r) => r.subject_id));
  assert.ok(meta.some((r) => !known.has(r.subject_id)), "a CXR subject without a patients row");
  assert.ok(patients.every((r) => ["M", "F"].includes(r.gender!) && /^\d{4} - \d{4}$/.test(r.anchor_year_group!)));
  assert.ok(patients.every((r) => Number(r.anchor_age) <= 91 && Number(r.anchor_age) !== 90));
});

test("date windows: images fall inside admissions and ICU stays at sensible rates", () => {
  const meta = readCsv(p(SYNTH_PATHS.mimicMetadata));
  const adm = readCsv(p(SYNTH_PATHS.mimicIvAdmissions));
  const icu = readCsv(p(SYNTH_PATHS.mimicIvIcustays));
  const ts = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
  for (const a of adm) {
    assert.match(a.admittime!, ts);
    assert.ok(parseTimestamp(a.dischtime!) > parseTimestamp(a.admittime!));
    assert.ok(a.deathtime === "" || a.hospital_expire_flag === "1");
    assert.match(a.hadm_id!, /^2\d{7}$/);
  }
  const hadm = new Set(adm.map((a) => a.hadm_id));
  for (const s of icu) {
    assert.ok(hadm.has(s.hadm_id), "ICU stay inside a known admission");
    assert.match(s.stay_id!, /^3\d{7}$/);
    const los = (parseTimestamp(s.outtime!) - parseTimestamp(s.intime!)) / 86_400_000;
    assert.ok(Math.abs(los - Number(s.los)) < 1e-6);
  }
  let inAdm = 0, inIcu = 0, apInIcu = 0, recInIcu = 0, nIcu = 0;
  for (const r of meta) {
    const t = parseStudyTime(r.StudyDate!, r.StudyTime!);
    const a = adm.some((x) => x.subject_id === r.subject_id && parseTimestamp(x.admittime!) <= t && t <= parseTimestamp(x.dischtime!));
    const i = icu.some((x) => x.subject_id === r.subject_id && parseTimestamp(x.intime!) <= t && t <= parseTimestamp(x.outtime!));
    inAdm += a ? 1 : 0;
    if (i) {
      inIcu++;
      nIcu++;
      apInIcu += r.ViewPosition === "AP" ? 1 : 0;
      recInIcu += r.PatientOrientationCodeSequence_CodeMeaning === "Recumbent" ? 1 : 0;
    }
  }
  const n = meta.length;
  assert.ok(inAdm / n > 0.3 && inAdm / n < 0.8, `in admission ${inAdm / n}`);
  assert.ok(inIcu / n > 0.05 && inIcu / n < 0.5, `in ICU ${inIcu / n}`);
  assert.ok(apInIcu / nIcu > 0.6, `AP among ICU films ${apInIcu / nIcu}`);
  assert.ok(recInIcu / nIcu > 0.4, `recumbent among ICU films ${recInIcu / nIcu}`);
  assert.equal(inAdm / n, report.counts.mimic!.imagesInAdmission);
});

test("NIH: v2020 encodings, patient-disjoint lists, bbox in 1024 space, RGBA quirk", async () => {
  const rows = readCsv(p(SYNTH_PATHS.nihDataEntry));
  assert.equal(rows.length, 40);
  const names = new Set(["No Finding", "Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Effusion", "Emphysema", "Fibrosis", "Hernia", "Infiltration", "Mass", "Nodule", "Pleural_Thickening", "Pneumonia", "Pneumothorax"]);
  for (const r of rows) {
    assert.match(r["Image Index"]!, /^\d{8}_\d{3}\.png$/);
    assert.equal(Number(r["Patient ID"]), Number(r["Image Index"]!.slice(0, 8)));
    assert.match(r["Patient ID"]!, /^[1-9]\d*$/);
    assert.ok(["M", "F"].includes(r["Patient Gender"]!) && ["PA", "AP"].includes(r["View Position"]!));
    const labels = r["Finding Labels"]!.split("|");
    for (const l of labels) assert.ok(names.has(l), l);
    assert.ok(!(labels.length > 1 && labels.includes("No Finding")));
    assert.ok(existsSync(p(SYNTH_PATHS.nihImages, r["Image Index"]!)));
  }
  const tv = readText(p(SYNTH_PATHS.nihTrainVal)).split("\n").filter(Boolean);
  const te = readText(p(SYNTH_PATHS.nihTest)).split("\n").filter(Boolean);
  assert.equal(tv.length + te.length, rows.length);
  const pid = (x: string): string => x.slice(0, 8);
  const tvp = new Set(tv.map(pid));
  assert.ok(te.every((x) => !tvp.has(pid(x))), "lists are patient-disjoint");
  const bboxLines = readText(p(SYNTH_PATHS.nihBbox)).split("\n").slice(1).filter(Boolean);
  assert.ok(bboxLines.length > 0, "some boxes");
  for (const b of bboxLines.map((l) => l.split(","))) {
    assert.equal(b.length, 6);
    const [, label, x, y, w, h] = b;
    assert.ok(["Atelectasis", "Effusion", "Cardiomegaly", "Infiltrate", "Pneumonia", "Pneumothorax", "Mass", "Nodule"].includes(label!));
    for (const v of [x, y, w, h]) assert.ok(Number(v) >= 0 && Number(v) <= 1024);
  }
  const channels = await Promise.all(rows.map(async (r) => (await sharp(p(SYNTH_PATHS.nihImages, r["Image Index"]!)).metadata()).channels));
  assert.equal(channels.filter((c) => c === 4).length, 1);
  assert.ok(channels.filter((c) => c === 1).length === rows.length - 1);
});

test("CheXpert: paths, vocabularies, quirks, valid is 0/1", async () => {
  const train = readCsv(p(SYNTH_PATHS.chexpertTrain));
  const valid = readCsv(p(SYNTH_PATHS.chexpertValid));
  assert.equal(train.length + valid.length, 40);
  for (const r of [...train, ...valid]) {
    assert.match(r.Path!, /^CheXpert-v1\.0-small\/(train|valid)\/patient\d{5}\/study\d+\/view\d+_(frontal|lateral)\.jpg$/);
    assert.ok(existsSync(p(SYNTH_PATHS.chexpertRoot, r.Path!)), r.Path);
    assert.equal(r["Frontal/Lateral"] === "Lateral", r["AP/PA"] === "");
    assert.ok(Number(r.Age) >= 0 && Number(r.Age) <= 90);
  }
  assert.ok(train.some((r) => r.Sex === "Unknown") && train.some((r) => r.Age === "0"));
  assert.ok(train.some((r) => r["AP/PA"] === "LL") && train.some((r) => r["AP/PA"] === "RL"));
  assert.ok(train.every((r) => ["1.0", ""].includes(r["No Finding"]!)));
  assert.ok(train.some((r) => CHEXPERT_LABELS.some((l) => r[l] === "-1.0")));
  assert.ok(valid.every((r) => CHEXPERT_LABELS.every((l) => ["1.0", "0.0"].includes(r[l]!))));
  assert.ok(valid.every((r) => Number(r.Path!.split("/")[2]!.slice(7)) >= 64541));
  const m = await sharp(p(SYNTH_PATHS.chexpertRoot, train[0]!.Path!)).metadata();
  assert.equal(m.format, "jpeg");
  assert.equal(m.channels, 1);
  assert.equal(m.width, 32);
});
