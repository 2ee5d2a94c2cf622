/**
 * The paper's (MedFuse) MIMIC-CXR split: `medfuseSplit` finding MedFuse's files, and the split built from
 * them (nyuad-cai/MedFuse `ehr_utils/create_split.py`: every image train, then the subjects of the
 * phenotyping val/test listfiles → validate/test). Listfiles are written here in MedFuse's layout
 * (`stay,period_length,stay_id,<labels>`, `stay` = `SUBJECT_episodeN_timeseries.csv`) with invented rows;
 * the images are the schema-only fixture tables of test/fixtures/data-loaders/mimic-cxr.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { DataFormatError, loadMimicCxr, MEDFUSE_FILES, medfuseSplit, readSubjectList, type MimicSplit } from "../../data-loaders/index.js";
import { FIXTURES, tempDir } from "./helpers.js";

const ROOT = path.join(FIXTURES, "mimic-cxr");
const tmp = tempDir("mmsn-medfuse-");
after(() => tmp.cleanup());
let n = 0;
/** A fresh folder under the temp dir. */
const fresh = (): string => {
  const d = path.join(tmp.dir, `case${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** A phenotyping listfile (MedFuse header, first phenotype columns) with one row per `subject_episode`. */
function phenoListfile(file: string, stays: readonly string[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const rows = stays.map((s, i) => `${s}_timeseries.csv,${(30 + i).toFixed(6)},${30000001 + i},0,1,0`);
  writeFileSync(file, ["stay,period_length,stay_id,Acute and unspecified renal failure,Acute cerebrovascular disease,Acute myocardial infarction", ...rows].join("\n") + "\n");
}

/** An in-hospital-mortality listfile (MedFuse header). */
function ihmListfile(file: string, stays: readonly string[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, ["stay,period_length,stay_id,y_true", ...stays.map((s, i) => `${s}_timeseries.csv,0,${31000001 + i},${i % 2}`)].join("\n") + "\n");
}

/** MedFuse's EHR data folder with phenotyping listfiles: val = 10003400, test = 10002428 and 10032725. */
function medfuseEhrDir(): string {
  const d = fresh();
  phenoListfile(path.join(d, "phenotyping", MEDFUSE_FILES.valListfile), ["10003400_episode1", "10003400_episode2"]);
  phenoListfile(path.join(d, "phenotyping", MEDFUSE_FILES.testListfile), ["10002428_episode1", "10032725_episode3"]);
  phenoListfile(path.join(d, "phenotyping", "train_listfile.csv"), ["10014729_episode1"]);
  return d;
}

/** The split of each fixture image as create_split.py would assign it, by subject. */
function expected(val: ReadonlySet<string>, test: ReadonlySet<string>): (subject: string) => string {
  return (s) => (test.has(s) ? "test" : val.has(s) ? "validate" : "train");
}

const splitsOf = (split: MimicSplit) => {
  const ds = loadMimicCxr({ root: ROOT, split });
  return { ds, bySubject: (s: string) => [...new Set(ds.split.filter((_, i) => ds.patientIds[i] === s))] };
};

describe("MedFuse split construction (create_split.py)", () => {
  it("every image train, then val listfile subjects → validate, test listfile subjects → test (patient-level)", () => {
    const dir = medfuseEhrDir();
    const split = medfuseSplit(dir);
    assert.deepEqual(split, { kind: "paper", valSubjects: path.join(dir, "phenotyping/val_listfile.csv"), testSubjects: path.join(dir, "phenotyping/test_listfile.csv") });
    const { ds } = splitsOf(split);
    const want = expected(new Set(["10003400"]), new Set(["10002428", "10032725"]));
    assert.ok(ds.length > 10);
    ds.patientIds.forEach((p, i) => assert.equal(ds.split[i], want(p), `${ds.ids[i]} of ${p}`));
    assert.deepEqual(new Set(ds.split), new Set(["train", "validate", "test"]));
    assert.deepEqual(ds.report.notes, []);
    // The official split file beside the images is not consulted: 10035631 is test there, train here.
    assert.equal(ds.split[ds.patientIds.indexOf("10035631")], "train");
  });

  it("the subject is the part of `stay` before the first `_`; stay_id (the ICU stay) is not used", () => {
    const dir = fresh();
    const f = path.join(dir, "l.csv");
    phenoListfile(f, ["10003400_episode1", "10002428_episode12"]);
    const ids = readSubjectList(f);
    assert.deepEqual([...ids].sort(), ["10002428", "10003400"]);
    assert.ok(!ids.has("30000001"));
    // A subject_id column wins over stay; pandas-style floats and leading zeros are normalised.
    writeFileSync(f, "subject_id,stay\n10003400.0,99999999_episode1_timeseries.csv\n010002428,x\n");
    assert.deepEqual([...readSubjectList(f)].sort(), ["10002428", "10003400"]);
    // A plain list, one id per line (no header).
    writeFileSync(f, "10003400\n10002428\n\n");
    assert.deepEqual([...readSubjectList(f)].sort(), ["10002428", "10003400"]);
  });

  it("subject overlap: a subject in both listfiles goes to test (test is assigned last) and is noted", () => {
    const dir = fresh();
    phenoListfile(path.join(dir, MEDFUSE_FILES.valListfile), ["10003400_episode1", "10002428_episode1"]);
    phenoListfile(path.join(dir, MEDFUSE_FILES.testListfile), ["10002428_episode2"]);
    const { ds, bySubject } = splitsOf(medfuseSplit(dir));
    assert.deepEqual(bySubject("10002428"), ["test"]);
    assert.deepEqual(bySubject("10003400"), ["validate"]);
    assert.deepEqual(bySubject("10014729"), ["train"]);
    assert.equal(ds.report.notes.length, 1);
    assert.match(ds.report.notes[0]!, /1 subjects are in both .*val_listfile\.csv and .*test_listfile\.csv; they go to test/);
  });

  it("listfiles that match no image leave everything train, with a note", () => {
    const dir = fresh();
    phenoListfile(path.join(dir, MEDFUSE_FILES.valListfile), ["19999998_episode1"]);
    phenoListfile(path.join(dir, MEDFUSE_FILES.testListfile), ["19999999_episode1"]);
    const { ds } = splitsOf(medfuseSplit(dir));
    assert.ok(ds.split.every((s) => s === "train"));
    assert.match(ds.report.notes.join("\n"), /no image's subject_id is listed in .*val_listfile\.csv or .*test_listfile\.csv; every image is train/);
  });

  it("mimic-cxr-ehr-split.csv (create_split.py's output) gives the same split as the listfiles", () => {
    const ehr = medfuseEhrDir();
    const fromListfiles = splitsOf(medfuseSplit(ehr)).ds;
    // create_split.py: read the official split file, set every row train, then validate / test by subject.
    const cxr = fresh();
    const official = readFileSync(path.join(ROOT, "mimic-cxr-2.0.0-split.csv"), "utf8").trimEnd().split("\n");
    const want = expected(new Set(["10003400"]), new Set(["10002428", "10032725"]));
    const rows = official.slice(1).map((l) => {
      const [dicom, study, subject] = l.split(",");
      return [dicom, study, subject, want(subject!)].join(",");
    });
    writeFileSync(path.join(cxr, MEDFUSE_FILES.splitCsv), [official[0], ...rows].join("\n") + "\n");
    const split = medfuseSplit(cxr);
    assert.deepEqual(split, { kind: "official", file: path.join(cxr, MEDFUSE_FILES.splitCsv) });
    const fromCsv = splitsOf(split).ds;
    assert.deepEqual(fromCsv.ids, fromListfiles.ids);
    assert.deepEqual(fromCsv.split, fromListfiles.split);
    assert.deepEqual(fromCsv.report.notes, []);
  });

  it("an all-train mimic-cxr-ehr-split.csv (create_split.py under a new pandas) is noted", () => {
    const cxr = fresh();
    const official = readFileSync(path.join(ROOT, "mimic-cxr-2.0.0-split.csv"), "utf8").trimEnd().split("\n");
    writeFileSync(path.join(cxr, MEDFUSE_FILES.splitCsv), [official[0], ...official.slice(1).map((l) => l.replace(/,[a-z]+$/, ",train"))].join("\n") + "\n");
    const { ds } = splitsOf(medfuseSplit(cxr));
    assert.ok(ds.split.every((s) => s === "train"));
    assert.match(ds.report.notes.join("\n"), /mimic-cxr-ehr-split\.csv: every row is train .*pandas newer than its pinned 0\.23\.4.*medfuseSplit/);
  });
});

describe("medfuseSplit: where it looks", () => {
  it("order: dir's own listfiles, then dir/phenotyping, then dir/mimic-cxr-ehr-split.csv; .gz accepted", () => {
    const d = fresh();
    writeFileSync(path.join(d, MEDFUSE_FILES.splitCsv), "dicom_id,study_id,subject_id,split\n");
    assert.equal(medfuseSplit(d).kind, "official");
    phenoListfile(path.join(d, "phenotyping", MEDFUSE_FILES.valListfile), ["10003400_episode1"]);
    phenoListfile(path.join(d, "phenotyping", MEDFUSE_FILES.testListfile), ["10002428_episode1"]);
    assert.deepEqual(medfuseSplit(d), { kind: "paper", valSubjects: path.join(d, "phenotyping/val_listfile.csv"), testSubjects: path.join(d, "phenotyping/test_listfile.csv") });
    phenoListfile(path.join(d, MEDFUSE_FILES.valListfile), ["10003400_episode1"]);
    writeFileSync(path.join(d, "test_listfile.csv.gz"), "");
    assert.deepEqual(medfuseSplit(d), { kind: "paper", valSubjects: path.join(d, "val_listfile.csv"), testSubjects: path.join(d, "test_listfile.csv.gz") });
    // Relative paths resolve against the working directory.
    assert.equal((medfuseSplit(path.relative(process.cwd(), d)) as { valSubjects: string }).valSubjects, path.join(d, "val_listfile.csv"));
  });

  it("in-hospital-mortality only when asked for; alone it is refused with the reason", () => {
    const d = fresh();
    ihmListfile(path.join(d, "in-hospital-mortality", MEDFUSE_FILES.valListfile), ["10003400_episode1"]);
    ihmListfile(path.join(d, "in-hospital-mortality", MEDFUSE_FILES.testListfile), ["10002428_episode1"]);
    assert.throws(
      () => medfuseSplit(d),
      (e: unknown) =>
        e instanceof DataFormatError &&
        e.file === path.join(d, "phenotyping/val_listfile.csv") &&
        /in-hospital-mortality has listfiles, but MedFuse's create_split\.py uses the phenotyping ones/.test(e.message) &&
        /pass \{ task: "in-hospital-mortality" \}/.test(e.message),
    );
    const split = medfuseSplit(d, { task: "in-hospital-mortality" });
    assert.deepEqual(split, { kind: "paper", valSubjects: path.join(d, "in-hospital-mortality/val_listfile.csv"), testSubjects: path.join(d, "in-hospital-mortality/test_listfile.csv") });
    const { bySubject } = splitsOf(split);
    assert.deepEqual([bySubject("10003400"), bySubject("10002428")], [["validate"], ["test"]]);
  });

  it("nothing there: names the missing file, where it comes from (MedFuse's commands) and how to point at it", () => {
    const d = fresh();
    assert.throws(() => medfuseSplit(d), (e: unknown) => {
      assert.ok(e instanceof DataFormatError);
      assert.equal(e.file, path.join(d, "phenotyping/val_listfile.csv"));
      const m = e.message;
      assert.ok(m.startsWith(`${path.join(d, "phenotyping/val_listfile.csv")}: no MedFuse split found: looked for val_listfile.csv and test_listfile.csv in ${d} and ${path.join(d, "phenotyping")}, and for mimic-cxr-ehr-split.csv in ${d}. Fix: `), m);
      for (const want of [
        "MedFuse's preprocessing of MIMIC-IV",
        "github.com/nyuad-cai/MedFuse",
        "python -m mimic3benchmark.scripts.create_phenotyping data/root/ data/phenotyping/",
        "python -m mimic3models.split_train_val data/phenotyping",
        "python ehr_utils/create_split.py",
        "Pass the folder that holds the listfiles",
        'split: { kind: "paper", valSubjects, testSubjects }',
      ]) assert.ok(m.includes(want), want);
      return true;
    });
  });

  it("half a pair: names the missing listfile and the one found", () => {
    const d = fresh();
    phenoListfile(path.join(d, "phenotyping", MEDFUSE_FILES.valListfile), ["10003400_episode1"]);
    assert.throws(() => medfuseSplit(d), (e: unknown) => e instanceof DataFormatError && e.file === path.join(d, "phenotyping/test_listfile.csv") && e.message.includes(`but ${path.join(d, "phenotyping/val_listfile.csv")} is there`));
  });

  it("bad options and bad listfiles", () => {
    const d = medfuseEhrDir();
    assert.throws(() => medfuseSplit(d, { tsk: "phenotyping" } as never), /medfuseSplit: unknown option "tsk"; valid options: task/);
    assert.throws(() => medfuseSplit(d, { task: "decompensation" as never }), /task must be "phenotyping" or "in-hospital-mortality", got "decompensation"/);
    const f = path.join(fresh(), "bad.csv");
    writeFileSync(f, "stay,period_length,stay_id,y_true\n10003400_episode1_timeseries.csv,0,1,0\nepisode1_timeseries.csv,0,2,1\n");
    assert.throws(() => readSubjectList(f), /bad\.csv: line 3: "episode1_timeseries\.csv" is not SUBJECT_episodeN_timeseries\.csv \(column "stay"\)\. Fix: give MedFuse's listfile unchanged/);
    writeFileSync(f, "patient,episode\n1,2\n");
    assert.throws(() => readSubjectList(f), /bad\.csv: no subject_id or stay column \(header is \[patient, episode\]\), and not a plain list of ids \(column "subject_id"\)/);
    assert.throws(() => loadMimicCxr({ root: ROOT, split: { kind: "paper", valSubjects: "nope.csv", testSubjects: "nope.csv" } }), /nope\.csv: file not found/);
  });
});
