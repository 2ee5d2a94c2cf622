/**
 * Issue 18, "nothing silent": bad table data never changes a result without saying so. On a synthetic cohort
 * (`writeSyntheticCohort`, real formats) with single cells corrupted by hand: CSV quoting errors stop the load
 * naming file, line and column, or skip the row with its line; invalid EHR values (ages, dates, flags) are
 * read as missing and counted under `invalid <column>`; bad label values, duplicate ids and missing image
 * files are skipped and counted with examples.
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  DataFormatError,
  extractEhrMatrix,
  loadChexpert,
  loadMimicCxr,
  loadNih14,
  parseCsvText,
  readCsv,
  readTextFile,
  writeSyntheticCohort,
  type EhrMatrix,
} from "../../data-loaders/index.js";
import { imputeAges } from "../../data-loaders/ehr_impute.js";
import { parseAgeCell, parseDateTimeCell, parseStudyDate, parseStudyTime } from "../../data-loaders/values.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir("mmsn-strict-");
after(() => tmp.cleanup());
const COHORT = path.join(tmp.dir, "cohort");
const MIMIC = path.join(COHORT, "mimic-cxr-jpg/2.0.0");
const MIMIC_IV = path.join(COHORT, "mimiciv/2.2");
const NIH = path.join(COHORT, "nih-chestxray14");
const CHEX = path.join(COHORT, "chexpert/CheXpert-v1.0-small");
const META = path.join(MIMIC, "mimic-cxr-2.0.0-metadata.csv.gz");

before(async () => {
  await writeSyntheticCohort(COHORT, { images: 40, imageSize: 64, datasets: ["mimic", "nih", "chexpert"] });
});

/** The lines of a (possibly gzipped) table, without the final empty one. */
const linesOf = (file: string): string[] => readTextFile(file).trimEnd().split("\n");
/** Write `lines` to `tmp/name` (plain CSV) and return the path. */
function writeLines(name: string, lines: readonly string[]): string {
  const f = path.join(tmp.dir, name);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, lines.join("\n") + "\n");
  return f;
}
/** `lines` with cell `col` of 1-based line `line` replaced by `f(cell)`. */
function editCell(lines: readonly string[], line: number, col: number, f: (cell: string) => string): string[] {
  return lines.map((l, i) => {
    if (i !== line - 1) return l;
    const cells = l.split(",");
    cells[col] = f(cells[col]!);
    return cells.join(",");
  });
}
const isFormatError = (re: RegExp) => (e: unknown) => e instanceof DataFormatError && re.test(e.message);

describe("strict CSV", () => {
  it("an unterminated quote stops the load, naming the file, the line where the quote opened, the column and the fix", () => {
    const lines = linesOf(META);
    const view = lines[0]!.split(",").indexOf("ViewPosition");
    const f = writeLines("meta_unterminated.csv", editCell(lines, 5, view, (c) => `"${c}`));
    // Before: the rest of the file became one cell, and the load kept 4 of 40 images without a word.
    assert.throws(() => loadMimicCxr({ root: MIMIC, metadata: f }), isFormatError(/meta_unterminated\.csv: unterminated quote: the quoted cell opened on line 5 is never closed.*\(column "ViewPosition"\)\. Fix: close the quote or remove it \(line 5\)/));
  });

  it("a quote not closed on its own line (which would swallow the following rows) stops the load too", () => {
    const lines = linesOf(META);
    const view = lines[0]!.split(",").indexOf("ViewPosition");
    const edited = editCell(editCell(lines, 5, view, (c) => `"${c}`), 9, view, (c) => `"${c}"`);
    const f = writeLines("meta_swallow.csv", edited);
    assert.throws(() => loadMimicCxr({ root: MIMIC, metadata: f }), isFormatError(/meta_swallow\.csv: unbalanced quote: the quoted cell opened on line 5 is not closed on that line \(the next quote is on line 9, so lines 6-9 would be swallowed\).*\(column "ViewPosition"\)/));
    // A genuinely multi-line table can opt in.
    const t = parseCsvText('a,b\n1,"x\ny"\n2,3\n', "m.csv", { multiline: true });
    assert.deepEqual(t.records, [["a", "b"], ["1", "x\ny"], ["2", "3"]]);
    assert.deepEqual(t.lines, [1, 2, 4]);
    assert.throws(() => parseCsvText('a,b\n1,"x\ny\n2,3\n', "m.csv", { multiline: true }), isFormatError(/m\.csv: unterminated quote: the quoted cell opened on line 2 is never closed.*\(column "b"\)/));
  });

  it('"abc"x and ab"c are malformed rows: skipped and counted with their line, never merged into a value', () => {
    const lines = linesOf(META);
    const view = lines[0]!.split(",").indexOf("ViewPosition");
    const id6 = lines[5]!.split(",")[0]!;
    let edited = editCell(lines, 6, 0, (c) => `"${c}"a`); // before: read as a different (valid hex) dicom_id
    edited = editCell(edited, 7, view, () => 'P"A'); // before: opened a quote that ran to the end of the file
    const f = writeLines("meta_malformed.csv", edited);
    const ds = loadMimicCxr({ root: MIMIC, metadata: f });
    assert.equal(ds.report.read, 40);
    assert.equal(ds.length, 38);
    assert.ok(!ds.ids.some((id) => id.startsWith(id6)));
    const ex = ds.report.examplesOf("malformed row");
    assert.deepEqual(ex.map((e) => [e.file, e.line]), [[f, 6], [f, 7]]);
    assert.match(ex[0]!.detail, /characters after a closing quote in cell 1/);
    assert.match(ex[1]!.detail, /a quote inside unquoted cell 5/);
  });

  it("every non-blank physical line is one record or one malformed row; quoted cells and CRLF still parse", () => {
    const text = 'h1,h2,h3\r\n"a,1",b,c\r\n\r\nx,"y""z",\r\n"p"q,r,s\r\nu,v"w,x\r\n1,2,3\r\n"",,"e"';
    const { records, lines, malformed } = parseCsvText(text, "t.csv");
    const nonBlank = text.split("\n").filter((l) => l.replace(/\r$/, "") !== "").length;
    assert.equal(records.length + malformed.length, nonBlank);
    assert.deepEqual(records, [["h1", "h2", "h3"], ["a,1", "b", "c"], ["x", 'y"z', ""], ["1", "2", "3"], ["", "", "e"]]);
    assert.deepEqual(lines, [1, 2, 4, 7, 8]);
    assert.deepEqual(malformed.map((m) => m.line), [5, 6]);
    // readCsv counts the malformed ones as records (so report.read covers every line) and skips them.
    const f = writeLines("mixed.csv", [text]);
    const t = readCsv(f);
    assert.equal(t.recordCount, 6);
    assert.deepEqual(t.lines, [2, 4, 7, 8]);
    assert.throws(() => readCsv(writeLines("badhead.csv", ['"a"b,c', "1,2"])), isFormatError(/badhead\.csv: malformed header on line 1/));
  });

  it("strict dates, times and ages", () => {
    assert.equal(parseDateTimeCell("2180-05-06 22:23:00"), 21800506);
    assert.equal(parseDateTimeCell("2180-05-06"), 21800506);
    for (const bad of ["garbage", "", "2150-13-01 00:00:00", "2150-02-30", "2150-01-01 25:00:00", "2150-01-01x"]) assert.ok(Number.isNaN(parseDateTimeCell(bad)), bad);
    assert.equal(parseStudyDate("21000229"), null); // 2100 is not a leap year
    assert.equal(parseStudyDate("21040229"), "21040229");
    assert.equal(parseStudyDate("21501399"), null);
    assert.equal(parseStudyTime("84512.0"), "084512.0");
    assert.equal(parseStudyTime("abc"), null);
    assert.equal(parseStudyTime("250000"), null);
    for (const bad of ["", "-5", "1e9", "abc", "121", "NaN"]) assert.ok(Number.isNaN(parseAgeCell(bad)), bad);
    assert.equal(parseAgeCell("91"), 91);
    const a = [60, NaN, 70, 80];
    assert.deepEqual(imputeAges(a), { imputed: 1, value: 70 });
    assert.deepEqual(a, [60, 70, 70, 80]);
  });
});

describe("EHR values validated", () => {
  /** A copy of the cohort's MIMIC-IV root with plain-CSV tables edited by `edit`. */
  function ehrWith(name: string, edit: { patients?: (l: string[]) => string[]; admissions?: (l: string[]) => string[]; icustays?: (l: string[]) => string[] }): { ehr: EhrMatrix; files: Record<string, string> } {
    const root = path.join(tmp.dir, name);
    const files: Record<string, string> = {};
    for (const [table, dir] of [["patients", "hosp"], ["admissions", "hosp"], ["icustays", "icu"]] as const) {
      const lines = linesOf(path.join(MIMIC_IV, dir, `${table}.csv.gz`));
      files[table] = path.join(root, dir, `${table}.csv`);
      mkdirSync(path.dirname(files[table]!), { recursive: true });
      writeFileSync(files[table]!, (edit[table]?.(lines) ?? lines).join("\n") + "\n");
    }
    return { ehr: extractEhrMatrix({ mimicIvRoot: root, metadata: META, selection: { groups: ["demographic", "scan", "inpatient"], age: "norm" } }), files };
  }
  const col = (header: string, name: string) => header.split(",").indexOf(name);

  it("a blank, negative, absurd or non-numeric anchor_age is read as missing, counted, imputed, and never a missing sex", () => {
    const bad = ["", "-5", "1e9", "abc"];
    const plines = linesOf(path.join(MIMIC_IV, "hosp/patients.csv.gz"));
    const aa = col(plines[0]!, "anchor_age");
    const badSubjects = plines.slice(1, 5).map((l) => l.split(",")[0]!);
    const { ehr, files } = ehrWith("ehr_ages", { patients: (l) => bad.reduce((acc, v, k) => editCell(acc, k + 2, aa, () => v), l) });
    const r = ehr.report;
    assert.equal(r.totalMissing("invalid anchor_age"), 4, r.toString());
    assert.deepEqual(r.examplesOf("invalid anchor_age").map((e) => [e.file, e.line]), [2, 3, 4, 5].map((n) => [files.patients, n]));
    assert.match(r.examplesOf("invalid anchor_age")[2]!.detail, /anchor_age "1e9" is not an age in \[0, 120\]/);
    assert.equal(r.total("missing sex (subject not in patients)"), 0);
    assert.equal(r.total("missing sex (gender not M/F)"), 0);
    assert.equal(ehr.records.length, 38); // as without the edits (2 rare views dropped)
    const median = Number(/imputed (\d+) missing ages with the median age ([\d.]+)/.exec(r.notes.join("\n"))?.[2]);
    assert.ok(Number.isFinite(median), r.notes.join("\n"));
    const ageCol = ehr.columns.indexOf("age_norm");
    ehr.records.forEach((rec, i) => {
      assert.ok(rec.age >= 0 && rec.age <= 120, `age ${rec.age}`);
      const norm = ehr.matrix[i * ehr.columns.length + ageCol]!;
      assert.ok(norm >= -16 / 84 && norm <= 104 / 84, `age_norm ${norm}`);
      if (badSubjects.includes(ehr.subjectIds[i]!)) assert.equal(rec.age, median);
    });
    assert.ok(ehr.matrix.every(Number.isFinite));
  });

  it("a gender other than M/F drops that subject's images as missing sex, saying why", () => {
    const plines = linesOf(path.join(MIMIC_IV, "hosp/patients.csv.gz"));
    const sid = plines[1]!.split(",")[0]!;
    const nImages = linesOf(META).filter((l) => l.split(",")[1] === sid).length;
    const { ehr } = ehrWith("ehr_gender", { patients: (l) => editCell(l, 2, col(l[0]!, "gender"), () => "X") });
    assert.equal(ehr.report.totalMissing("invalid gender"), 1);
    assert.ok(nImages > 0);
    assert.equal(ehr.report.total("missing sex (gender not M/F)"), nImages);
    assert.equal(ehr.report.total("missing sex (subject not in patients)"), 0);
    assert.ok(!ehr.subjectIds.includes(sid));
  });

  it("garbage dates and flags in admissions / ICU stays are counted with file and line, and link nothing", () => {
    const { ehr, files } = ehrWith("ehr_dates", {
      admissions: (l) => editCell(editCell(editCell(l, 2, col(l[0]!, "admittime"), () => "garbage"), 3, col(l[0]!, "dischtime"), () => "2150-13-45 00:00:00"), 4, col(l[0]!, "hospital_expire_flag"), () => "x"),
      icustays: (l) => editCell(editCell(l, 2, col(l[0]!, "intime"), () => "garbage"), 3, col(l[0]!, "outtime"), () => ""),
    });
    const r = ehr.report;
    const at = (reason: string) => r.examplesOf(reason).map((e) => [path.basename(e.file), e.line, r.total(reason)]);
    assert.deepEqual(at("invalid admittime"), [["admissions.csv", 2, 1]]);
    assert.deepEqual(at("invalid dischtime"), [["admissions.csv", 3, 1]]);
    assert.deepEqual(at("invalid hospital_expire_flag"), [["admissions.csv", 4, 1]]);
    assert.deepEqual(at("invalid intime"), [["icustays.csv", 2, 1]]);
    assert.deepEqual(at("invalid outtime"), [["icustays.csv", 3, 1]]);
    assert.match(r.examplesOf("invalid admittime")[0]!.detail, /admittime "garbage" is not a date.*the admission is not linked/);
    assert.equal(r.examplesOf("invalid admittime")[0]!.file, files.admissions);
  });

  it("an invalid StudyDate skips the image; an invalid StudyTime is read as missing; both counted with their line", () => {
    const lines = linesOf(META);
    const h = lines[0]!.split(",");
    const f = writeLines("meta_dates.csv", editCell(editCell(lines, 10, h.indexOf("StudyDate"), () => "21501399"), 11, h.indexOf("StudyTime"), () => "abc"));
    const ds = loadMimicCxr({ root: MIMIC, metadata: f });
    assert.deepEqual(ds.report.examplesOf("invalid StudyDate").map((e) => e.line), [10]);
    assert.equal(ds.report.total("invalid StudyDate"), 1);
    assert.equal(ds.report.totalMissing("invalid StudyTime"), 1);
    assert.deepEqual(ds.report.examplesOf("invalid StudyTime").map((e) => e.line), [11]);
    assert.equal(ds.length, 39);
    assert.match(ds.report.toString(), /read as missing 1 \(invalid StudyTime: 1\)/);
  });
});

describe("bad label values, duplicate ids and missing image files are counted with examples", () => {
  it("MIMIC-CXR: label values 2 and x, a repeated study, dicom_id and split row", () => {
    const lab = linesOf(path.join(MIMIC, "mimic-cxr-2.0.0-chexpert.csv.gz"));
    const edema = lab[0]!.split(",").indexOf("Edema");
    const labels = writeLines("lab.csv", [...editCell(editCell(lab, 3, edema, () => "2"), 4, edema, () => "x"), lab[1]!]);
    const meta = linesOf(META);
    const metaF = writeLines("meta_dup.csv", [...meta, meta[1]!]);
    const split = linesOf(path.join(MIMIC, "mimic-cxr-2.0.0-split.csv.gz"));
    const splitF = writeLines("split_dup.csv", [...split, split[1]!.replace(/,(train|validate|test)$/, ",validate")]);
    const ds = loadMimicCxr({ root: MIMIC, labels, metadata: metaF, split: { kind: "official", file: splitF } });
    const r = ds.report;
    assert.deepEqual(r.examplesOf("unknown label value").map((e) => [e.file, e.line]), [[labels, 3], [labels, 4]]);
    assert.match(r.examplesOf("unknown label value")[0]!.detail, /unknown label value "2" in column "Edema"/);
    assert.match(r.examplesOf("unknown label value")[1]!.detail, /"x" in column "Edema"/);
    assert.deepEqual(r.examplesOf("duplicate study id").map((e) => e.line), [lab.length + 1]);
    assert.deepEqual(r.examplesOf("duplicate image id").map((e) => e.line), [meta.length + 1]);
    assert.deepEqual(r.examplesOf("duplicate dicom_id in split file").map((e) => e.line), [split.length + 1]);
  });

  it("CheXpert and NIH-14: label values 2 / x and repeated ids", () => {
    const tr = linesOf(path.join(CHEX, "train.csv"));
    const edema = tr[0]!.split(",").indexOf("Edema");
    writeFileSync(path.join(tmp.dir, "chex_bad.csv"), [...editCell(editCell(tr, 2, edema, () => "2"), 3, edema, () => "x"), tr[4]!].join("\n") + "\n");
    const cx = loadChexpert({ root: CHEX, csv: path.join(tmp.dir, "chex_bad.csv") });
    assert.deepEqual(cx.report.examplesOf("unknown label value").map((e) => e.line), [2, 3]);
    assert.deepEqual(cx.report.examplesOf("duplicate image id").map((e) => e.line), [tr.length + 1]);
    const de = linesOf(path.join(NIH, "Data_Entry_2017_v2020.csv"));
    const f = writeLines("nih_bad.csv", [...editCell(de, 2, 1, () => "x"), de[3]!]);
    const nih = loadNih14({ root: NIH, csv: f });
    assert.deepEqual(nih.report.examplesOf("unknown label value").map((e) => e.line), [2]);
    assert.match(nih.report.examplesOf("unknown label value")[0]!.detail, /unknown finding "x"/);
    assert.deepEqual(nih.report.examplesOf("duplicate image id").map((e) => e.line), [de.length + 1]);
  });

  it("NIH-14 and CheXpert: an impossible age or sex is read as missing and counted", () => {
    const de = linesOf(path.join(NIH, "Data_Entry_2017_v2020.csv"));
    const h = de[0]!.split(",");
    const f = writeLines("nih_age.csv", editCell(editCell(de, 2, h.indexOf("Patient Age"), () => "412"), 3, h.indexOf("Patient Gender"), () => "Q"));
    const nih = loadNih14({ root: NIH, csv: f });
    assert.equal(nih.report.totalMissing("invalid Patient Age"), 1);
    assert.equal(nih.report.totalMissing("invalid Patient Gender"), 1);
    assert.ok(Number.isNaN(nih.ages[nih.ids.indexOf(de[1]!.split(",")[0]!)]!));
    const tr = linesOf(path.join(CHEX, "train.csv"));
    const ch = tr[0]!.split(",");
    writeFileSync(path.join(tmp.dir, "chex_age.csv"), editCell(editCell(tr, 2, ch.indexOf("Age"), () => "abc"), 3, ch.indexOf("Sex"), () => "Robot").join("\n") + "\n");
    const cx = loadChexpert({ root: CHEX, csv: path.join(tmp.dir, "chex_age.csv") });
    assert.deepEqual([cx.report.totalMissing("invalid Age"), cx.report.totalMissing("invalid Sex")], [1, 1]);
  });

  it("checkImages drops label rows whose image file is missing, in all three loaders", () => {
    const m = loadMimicCxr({ root: MIMIC });
    const c = loadChexpert({ root: CHEX, csv: "train.csv" });
    const n = loadNih14({ root: NIH });
    for (const [ds, load] of [
      [m, () => loadMimicCxr({ root: MIMIC, checkImages: true })],
      [c, () => loadChexpert({ root: CHEX, csv: "train.csv", checkImages: true })],
      [n, () => loadNih14({ root: NIH, checkImages: true })],
    ] as const) {
      const p = ds.paths[1]!;
      renameSync(p, `${p}.away`);
      try {
        const again = load();
        assert.equal(again.length, ds.length - 1, ds.name);
        assert.equal(again.report.total("image file not found"), 1, ds.name);
        assert.equal(again.report.examplesOf("image file not found")[0]!.detail, p);
        assert.equal(typeof again.report.examplesOf("image file not found")[0]!.line, "number");
      } finally {
        renameSync(`${p}.away`, p);
      }
    }
  });
});
