/**
 * Write the MIMIC side of the synthetic cohort in the real on-disk layouts:
 *
 * - `mimic-cxr-jpg/2.0.0/mimic-cxr-2.0.0-{metadata,chexpert,negbio,split}.csv.gz` and
 *   `files/pXX/pSUBJECT/sSTUDY/DICOM_ID.jpg`;
 * - `mimiciv/2.2/hosp/{patients,admissions}.csv.gz` and `mimiciv/2.2/icu/icustays.csv.gz`.
 *
 * Column names, orders, value encodings and date formats follow docs/data-formats.md#mimic-cxr-jpg and #mimic-iv.
 */
import { COHORT_LAYOUT } from "../paths.js";
import { MEDFUSE_FILES } from "../medfuse.js";
import path from "node:path";
import { formatFloat17, renderCsv, writeText, type Cell } from "./csv.js";
import { DAY, formatDate, formatStudyDate, formatStudyTime, formatTimestamp } from "./dates.js";
import { drawRadiograph } from "./draw.js";
import type { ImageWriter } from "./images.js";
import { CHEXPERT_LABELS } from "./labels.js";
import type { MimicCohort, MimicStudy } from "./mimic_cohort.js";
import type { ResolvedSynthOptions } from "./options.js";
import type { Rng } from "../../src/utils/rng.js";

/** Header of mimic-cxr-2.0.0-metadata.csv. */
export const MIMIC_METADATA_HEADER = "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning";
/** Header of mimic-cxr-2.0.0-chexpert.csv and -negbio.csv (labels alphabetical). */
export const MIMIC_LABEL_HEADER = ["subject_id", "study_id", ...CHEXPERT_LABELS].join(",");
/** Header written for MedFuse's listfiles (`stay`, `period_length`; its phenotype label columns are left out). */
export const MEDFUSE_LISTFILE_HEADER = "stay,period_length";

/** Header of mimic-cxr-2.0.0-split.csv. */
export const MIMIC_SPLIT_HEADER = "dicom_id,study_id,subject_id,split";
/** Headers of the MIMIC-IV v2.2 tables. */
export const MIMIC_IV_HEADERS = {
  patients: "subject_id,gender,anchor_age,anchor_year,anchor_year_group,dod",
  admissions: "subject_id,hadm_id,admittime,dischtime,deathtime,admission_type,admit_provider_id,admission_location,discharge_location,insurance,language,marital_status,race,edregtime,edouttime,hospital_expire_flag",
  icustays: "subject_id,hadm_id,stay_id,first_careunit,last_careunit,intime,outtime,los",
} as const;

/** Path of one MIMIC-CXR-JPG image relative to `mimic-cxr-jpg/2.0.0/`. */
export function mimicImagePath(subjectId: number, studyId: number, dicomId: string): string {
  const sid = String(subjectId);
  return `files/p${sid.slice(0, 2)}/p${sid}/s${studyId}/${dicomId}.jpg`;
}

const ts = (t: number | null): string => (t === null ? "" : formatTimestamp(t));

/**
 * Write the MIMIC-CXR-JPG and MIMIC-IV files and images.
 *
 * @param outDir cohort root
 * @param c MIMIC records
 * @param o options
 * @param drawRng the stream images are drawn from (one fork per dicom_id)
 * @param writer shared image writer
 */
export async function writeMimic(outDir: string, c: MimicCohort, o: ResolvedSynthOptions, drawRng: Rng, writer: ImageWriter): Promise<void> {
  const cxr = path.join(outDir, "mimic-cxr-jpg", "2.0.0");
  const iv = path.join(outDir, "mimiciv", "2.2");
  const subjects = new Map(c.subjects.map((s) => [s.subjectId, s]));
  const studies = [...c.studies].sort((a, b) => a.subjectId - b.subjectId || a.studyId - b.studyId);

  const meta: Cell[][] = [];
  const split: Cell[][] = [];
  for (const st of studies) {
    const proc = st.portable ? "CHEST (PORTABLE AP)" : "CHEST (PA AND LAT)";
    for (const im of st.images) {
      meta.push([im.dicomId, im.subjectId, im.studyId, proc, im.viewPosition, o.imageSize, o.imageSize, formatStudyDate(st.time), formatStudyTime(st.time), proc, im.viewCode, im.orientation]);
      split.push([im.dicomId, im.studyId, im.subjectId, subjects.get(im.subjectId)!.split]);
    }
  }
  const labelRows = (key: "chexpert" | "negbio"): Cell[][] =>
    studies.filter((st) => st[key] !== null).map((st: MimicStudy) => [st.subjectId, st.studyId, ...CHEXPERT_LABELS.map((l) => st[key]![l])]);
  await writeText(path.join(cxr, "mimic-cxr-2.0.0-metadata.csv.gz"), renderCsv(MIMIC_METADATA_HEADER, meta));
  await writeText(path.join(cxr, "mimic-cxr-2.0.0-chexpert.csv.gz"), renderCsv(MIMIC_LABEL_HEADER, labelRows("chexpert")));
  await writeText(path.join(cxr, "mimic-cxr-2.0.0-negbio.csv.gz"), renderCsv(MIMIC_LABEL_HEADER, labelRows("negbio")));
  await writeText(path.join(cxr, "mimic-cxr-2.0.0-split.csv.gz"), renderCsv(MIMIC_SPLIT_HEADER, split));
  // MedFuse's phenotyping listfiles (the paper's split): the validation and test subjects of the split above,
  // one stay per subject in MedFuse's `SUBJECT_episodeN_timeseries.csv` form (labels omitted). New files only.
  const listfile = (which: "validate" | "test"): Cell[][] =>
    c.subjects.filter((s) => s.split === which).sort((a, b) => a.subjectId - b.subjectId).map((s): Cell[] => [`${s.subjectId}_episode1_timeseries.csv`, 48]);
  const medfuse = path.join(outDir, COHORT_LAYOUT.medfuse, "phenotyping");
  await writeText(path.join(medfuse, MEDFUSE_FILES.valListfile), renderCsv(MEDFUSE_LISTFILE_HEADER, listfile("validate")));
  await writeText(path.join(medfuse, MEDFUSE_FILES.testListfile), renderCsv(MEDFUSE_LISTFILE_HEADER, listfile("test")));

  const patients = c.subjects.filter((s) => s.inPatientsTable).sort((a, b) => a.subjectId - b.subjectId)
    .map((s): Cell[] => [s.subjectId, s.patient.sex, s.anchorAge, s.anchorYear, s.anchorYearGroup, s.dod === null ? "" : formatDate(s.dod)]);
  const admissions = c.admissions.map((a): Cell[] => [a.subjectId, a.hadmId, ts(a.admit), ts(a.disch), ts(a.death), a.admissionType, a.providerId,
    a.admissionLocation, a.dischargeLocation, a.insurance, a.language, a.maritalStatus, a.race, ts(a.edreg), ts(a.edout), a.expire]);
  const icu = [...c.icustays].sort((a, b) => a.subjectId - b.subjectId || a.intime - b.intime)
    .map((s): Cell[] => [s.subjectId, s.hadmId, s.stayId, s.firstCareunit, s.lastCareunit, ts(s.intime), ts(s.outtime), formatFloat17((s.outtime - s.intime) / DAY)]);
  await writeText(path.join(iv, "hosp", "patients.csv.gz"), renderCsv(MIMIC_IV_HEADERS.patients, patients));
  await writeText(path.join(iv, "hosp", "admissions.csv.gz"), renderCsv(MIMIC_IV_HEADERS.admissions, admissions));
  await writeText(path.join(iv, "icu", "icustays.csv.gz"), renderCsv(MIMIC_IV_HEADERS.icustays, icu));

  for (const st of studies) {
    const p = subjects.get(st.subjectId)!.patient;
    for (const im of st.images) {
      const { pixels } = drawRadiograph({ view: im.drawView, findings: st.findings, sex: p.sex, habitus: p.habitus, recumbent: im.recumbent, icu: st.icu, extraRotation: im.extraRotation, size: o.imageSize }, drawRng.fork(im.dicomId));
      await writer.add(path.join(cxr, mimicImagePath(im.subjectId, im.studyId, im.dicomId)), pixels, o.imageSize, { format: "jpeg", quality: o.jpegQuality });
    }
  }
}
