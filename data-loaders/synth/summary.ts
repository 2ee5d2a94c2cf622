/**
 * Counts and label prevalences of a synthetic cohort, computed from its records, and their Markdown
 * rendering (SYNTHETIC.md and the README tables are produced from this, never written by hand).
 */
import type { ChexpertImage } from "./chexpert.js";
import { CHEXPERT_LABELS, NIH_LABELS, chexpertTruth, type ReportValue } from "./labels.js";
import type { MimicCohort } from "./mimic_cohort.js";
import { RARE_VIEWS } from "./mimic_views.js";
import type { NihImage } from "./nih.js";

/** Counts of the four CheXpert-encoded cell values. */
export interface ValueCounts { pos: number; neg: number; uncertain: number; blank: number }

/** Per-label summary of a CheXpert-vocabulary dataset. */
export interface ChexpertLabelSummary extends ValueCounts {
  /** Fraction of rows (MIMIC: studies) whose ground truth is positive. */
  truth: number;
}

/** The cohort summary written to synth.json. */
export interface CohortSummary {
  mimic?: {
    subjects: number; subjectsWithCxr: number; subjectsWithoutPatientsRow: number; studies: number; images: number;
    studiesWithChexpertRow: number; admissions: number; icustays: number;
    split: Record<string, number>;
    viewPosition: Record<string, number>; orientation: Record<string, number>;
    /** Fractions of images taken during an admission / an ICU stay / that admission ending in death. */
    imagesInAdmission: number; imagesInIcu: number; imagesInFatalAdmission: number;
    labels: Record<string, ChexpertLabelSummary>;
  };
  nih?: { images: number; patients: number; testImages: number; rgbaImages: number; noFinding: number; labels: Record<string, number> };
  chexpert?: { trainImages: number; validImages: number; patients: number; labels: Record<string, ChexpertLabelSummary> };
}

const count = (into: Record<string, number>, key: string): void => {
  into[key] = (into[key] ?? 0) + 1;
};

function tally(cells: readonly ReportValue[]): ValueCounts {
  const c: ValueCounts = { pos: 0, neg: 0, uncertain: 0, blank: 0 };
  for (const v of cells) {
    if (v === "1.0") c.pos++;
    else if (v === "0.0") c.neg++;
    else if (v === "-1.0") c.uncertain++;
    else c.blank++;
  }
  return c;
}

/** Summarise the MIMIC records. */
export function summariseMimic(c: MimicCohort): NonNullable<CohortSummary["mimic"]> {
  const split: Record<string, number> = {}, viewPosition: Record<string, number> = {}, orientation: Record<string, number> = {};
  const subj = new Map(c.subjects.map((s) => [s.subjectId, s]));
  for (const im of c.images) {
    count(split, subj.get(im.subjectId)!.split);
    count(viewPosition, im.viewPosition === "" ? "<blank>" : RARE_VIEWS.includes(im.viewPosition) ? "<rare>" : im.viewPosition);
    count(orientation, im.orientation === "" ? "<blank>" : im.orientation);
  }
  let inAdm = 0, inIcu = 0, fatal = 0;
  const admBySubj = new Map<number, typeof c.admissions>();
  for (const a of c.admissions) admBySubj.set(a.subjectId, [...(admBySubj.get(a.subjectId) ?? []), a]);
  for (const st of c.studies) {
    const adm = (admBySubj.get(st.subjectId) ?? []).find((a) => a.admit <= st.time && st.time <= a.disch);
    const icu = c.icustays.some((s) => s.subjectId === st.subjectId && s.intime <= st.time && st.time <= s.outtime);
    inAdm += adm ? st.images.length : 0;
    inIcu += icu ? st.images.length : 0;
    fatal += adm?.expire === 1 ? st.images.length : 0;
  }
  const n = Math.max(1, c.images.length);
  const labelled = c.studies.filter((s) => s.chexpert !== null);
  const labels: Record<string, ChexpertLabelSummary> = {};
  for (const l of CHEXPERT_LABELS) {
    labels[l] = {
      truth: c.studies.filter((s) => chexpertTruth(s.findings, l)).length / Math.max(1, c.studies.length),
      ...tally(labelled.map((s) => s.chexpert![l])),
    };
  }
  return {
    subjects: c.subjects.length, subjectsWithCxr: c.subjects.filter((s) => s.hasCxr).length,
    subjectsWithoutPatientsRow: c.subjects.filter((s) => !s.inPatientsTable).length,
    studies: c.studies.length, images: c.images.length, studiesWithChexpertRow: labelled.length,
    admissions: c.admissions.length, icustays: c.icustays.length, split, viewPosition, orientation,
    imagesInAdmission: inAdm / n, imagesInIcu: inIcu / n, imagesInFatalAdmission: fatal / n, labels,
  };
}

/** Summarise the NIH records. */
export function summariseNih(images: readonly NihImage[]): NonNullable<CohortSummary["nih"]> {
  const labels: Record<string, number> = {};
  for (const l of NIH_LABELS) labels[l] = images.filter((x) => x.labels.includes(l)).length;
  return {
    images: images.length, patients: new Set(images.map((x) => x.patientId)).size, testImages: images.filter((x) => x.test).length,
    rgbaImages: images.filter((x) => x.rgba).length, noFinding: images.filter((x) => x.labels.length === 0).length, labels,
  };
}

/** Summarise the CheXpert records (value counts over train.csv rows). */
export function summariseChexpert(rows: readonly ChexpertImage[]): NonNullable<CohortSummary["chexpert"]> {
  const train = rows.filter((x) => x.split === "train");
  const labels: Record<string, ChexpertLabelSummary> = {};
  for (const l of CHEXPERT_LABELS) {
    labels[l] = { truth: rows.filter((x) => chexpertTruth(x.findings, l)).length / Math.max(1, rows.length), ...tally(train.map((x) => x.labels[l])) };
  }
  return {
    trainImages: train.length, validImages: rows.length - train.length,
    patients: new Set(rows.map((x) => x.path.split("/")[2])).size, labels,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Render a summary as Markdown tables. */
export function summaryMarkdown(s: CohortSummary): string {
  const out: string[] = [];
  if (s.mimic) {
    const m = s.mimic;
    out.push(`**MIMIC-CXR-JPG + MIMIC-IV**: ${m.subjectsWithCxr} CXR subjects (+${m.subjects - m.subjectsWithCxr} EHR-only; ${m.subjectsWithoutPatientsRow} without a patients row), ${m.studies} studies, ${m.images} images, ${m.admissions} admissions, ${m.icustays} ICU stays.`);
    out.push(`Images taken during an admission: ${pct(m.imagesInAdmission)}; during an ICU stay: ${pct(m.imagesInIcu)}; in an admission ending in death: ${pct(m.imagesInFatalAdmission)}.`);
    out.push(`ViewPosition: ${Object.entries(m.viewPosition).map(([k, v]) => `${k} ${v}`).join(", ")}. Orientation: ${Object.entries(m.orientation).map(([k, v]) => `${k} ${v}`).join(", ")}. Split (images): ${Object.entries(m.split).map(([k, v]) => `${k} ${v}`).join(", ")}.`, "");
    out.push("| label | truth (studies) | 1.0 | 0.0 | -1.0 | blank |", "|---|---|---|---|---|---|");
    for (const [l, v] of Object.entries(m.labels)) out.push(`| ${l} | ${pct(v.truth)} | ${v.pos} | ${v.neg} | ${v.uncertain} | ${v.blank} |`);
    out.push("");
  }
  if (s.nih) {
    const n = s.nih;
    out.push(`**NIH ChestX-ray14**: ${n.images} images of ${n.patients} patients (${n.testImages} in test_list.txt, ${n.rgbaImages} RGBA PNG); No Finding ${n.noFinding} (${pct(n.noFinding / Math.max(1, n.images))}).`, "");
    out.push("| label | images | prevalence |", "|---|---|---|");
    for (const [l, v] of Object.entries(n.labels)) out.push(`| ${l} | ${v} | ${pct(v / Math.max(1, n.images))} |`);
    out.push("");
  }
  if (s.chexpert) {
    const c = s.chexpert;
    out.push(`**CheXpert-v1.0-small**: ${c.trainImages} train + ${c.validImages} valid images of ${c.patients} patients. Value counts over train.csv:`, "");
    out.push("| label | truth (images) | 1.0 | 0.0 | -1.0 | blank |", "|---|---|---|---|---|---|");
    for (const [l, v] of Object.entries(c.labels)) out.push(`| ${l} | ${pct(v.truth)} | ${v.pos} | ${v.neg} | ${v.uncertain} | ${v.blank} |`);
    out.push("");
  }
  return out.join("\n");
}
