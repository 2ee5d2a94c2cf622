/**
 * The MIMIC side of the synthetic cohort as records (no files): MIMIC-IV subjects, admissions and ICU
 * stays, and MIMIC-CXR studies and images placed on each subject's timeline.
 *
 * Per subject: a latent patient (patients.ts); a number of CXR studies (1 + Poisson(studiesPerPatient − 1));
 * episodes until they are used up. Each episode draws a severity, then a setting: ICU with probability
 * σ(−1.9 + 1.4 z), else ward admission with σ(−0.1 + 0.6 z), else outpatient/ED (no admission). Studies
 * of an admission lie inside it (a few ED films precede `admittime` on the same day); ICU films lie in the
 * stay. In-hospital death has probability σ(−4.0 + 1.3 z + 0.35 a + 1.0 icu) and ends the timeline.
 */
import { ADMISSION_TYPE, ANCHOR_YEAR_GROUP, CAREUNIT, DISCHARGE_LOCATION, ED_ADMISSION_TYPES, MARITAL_STATUS, NON_ED_LOCATION, RACE, drawVocab, providerId } from "./ehr_vocab.js";
import { DAY, HOUR, floorMinute, floorSecond, yearStart } from "./dates.js";
import { reportLabels, sampleFindings, type ChexpertLabel, type Findings, type ReportValue } from "./labels.js";
import { makeRare, sampleStudyViews, type MimicView } from "./mimic_views.js";
import type { ResolvedSynthOptions } from "./options.js";
import { samplePatient, studySeverity, type SynthPatient } from "./patients.js";
import { Rng } from "../../src/utils/rng.js";
import { sigmoid } from "./sigmoid.js";

/** A MIMIC-IV subject (hosp/patients row, unless `inPatientsTable` is false). */
export interface MimicSubject {
  subjectId: number;
  patient: SynthPatient;
  anchorAge: number;
  anchorYear: number;
  anchorYearGroup: string;
  dod: number | null;
  /** About 1% of CXR subjects have no patients row (the paper drops them: "missing gender"). */
  inPatientsTable: boolean;
  /** MIMIC-CXR split (patient-level). */
  split: "train" | "validate" | "test";
  /** Has at least one CXR. */
  hasCxr: boolean;
}

/** A hosp/admissions row. */
export interface MimicAdmission {
  subjectId: number; hadmId: number; admit: number; disch: number; death: number | null;
  admissionType: string; providerId: string; admissionLocation: string; dischargeLocation: string;
  insurance: string; language: string; maritalStatus: string; race: string;
  edreg: number | null; edout: number | null; expire: 0 | 1;
}

/** An icu/icustays row. */
export interface MimicIcuStay {
  subjectId: number; hadmId: number; stayId: number; firstCareunit: string; lastCareunit: string; intime: number; outtime: number;
}

/** One MIMIC-CXR image. */
export interface MimicImage extends MimicView {
  dicomId: string; subjectId: number; studyId: number;
}

/** One MIMIC-CXR study (a report; label rows are per study). */
export interface MimicStudy {
  subjectId: number; studyId: number; time: number; severity: number; age: number;
  icu: boolean; inpatient: boolean; portable: boolean; findings: Findings;
  /** Row of mimic-cxr-2.0.0-chexpert.csv, or null when the study has no label row. */
  chexpert: Record<ChexpertLabel, ReportValue> | null;
  /** Row of mimic-cxr-2.0.0-negbio.csv, or null. */
  negbio: Record<ChexpertLabel, ReportValue> | null;
  images: MimicImage[];
}

/** The whole MIMIC side. */
export interface MimicCohort {
  subjects: MimicSubject[]; admissions: MimicAdmission[]; icustays: MimicIcuStay[]; studies: MimicStudy[]; images: MimicImage[];
}

/** Draws unique integer ids from a range [lo, hi). */
class IdPool {
  private used = new Set<number | string>();
  constructor(private rng: Rng) {}
  int(lo: number, hi: number): number {
    for (;;) {
      const x = this.rng.int(lo, hi);
      if (!this.used.has(x)) { this.used.add(x); return x; }
    }
  }
  dicom(): string {
    for (;;) {
      const x = [0, 1, 2, 3, 4].map(() => this.rng.hex(8)).join("-");
      if (!this.used.has(x)) { this.used.add(x); return x; }
    }
  }
}

interface SubjectContext { language: string; marital: string; race: string; medicaid: boolean }

function makeAdmission(r: Rng, ids: IdPool, s: MimicSubject, sc: SubjectContext, admit: number, disch: number, ageNow: number): MimicAdmission {
  const admissionType = drawVocab(r, ADMISSION_TYPE);
  const viaEd = ED_ADMISSION_TYPES.includes(admissionType) && r.bernoulli(0.9);
  const edreg = viaEd ? floorMinute(admit - r.uniform(1, 8) * HOUR) : null;
  return {
    subjectId: s.subjectId, hadmId: ids.int(20_000_000, 30_000_000), admit: floorMinute(admit), disch: floorMinute(disch), death: null,
    admissionType, providerId: providerId(r), admissionLocation: viaEd ? "EMERGENCY ROOM" : drawVocab(r, NON_ED_LOCATION),
    dischargeLocation: drawVocab(r, DISCHARGE_LOCATION),
    insurance: ageNow >= 65 ? (r.bernoulli(0.85) ? "Medicare" : "Other") : sc.medicaid ? "Medicaid" : "Other",
    language: sc.language, maritalStatus: sc.marital, race: sc.race,
    edreg, edout: edreg === null ? null : floorMinute(admit + r.uniform(0, 1) * HOUR), expire: 0,
  };
}

/**
 * Build the MIMIC records.
 *
 * @param root the cohort's root stream (the MIMIC part forks "mimic")
 * @param o resolved options
 */
export function buildMimicCohort(root: Rng, o: ResolvedSynthOptions): MimicCohort {
  const mr = root.fork("mimic");
  const ids = new IdPool(mr.fork("ids"));
  const out: MimicCohort = { subjects: [], admissions: [], icustays: [], studies: [], images: [] };
  for (let i = 0; ; i++) {
    if (o.patients !== null && i >= o.patients) break;
    if (o.images !== null && out.images.length >= o.images) break;
    addSubject(mr.fork(i), ids, o, out, true);
  }
  if (o.images !== null) trimImages(out, o.images);
  const nExtra = Math.round(out.subjects.length * 0.1);
  for (let i = 0; i < nExtra; i++) addSubject(mr.fork(`ehr-only-${i}`), ids, o, out, false);
  applyQuirks(mr.fork("quirks"), out);
  out.admissions.sort((a, b) => a.subjectId - b.subjectId || a.admit - b.admit);
  return out;
}

function addSubject(r: Rng, ids: IdPool, o: ResolvedSynthOptions, out: MimicCohort, withCxr: boolean): void {
  const p = samplePatient(r);
  const firstT = yearStart(r.int(2110, 2196)) + r.uniform(0, 365) * DAY;
  const firstYear = new Date(firstT).getUTCFullYear();
  const anchorYear = firstYear - r.int(3);
  const ageAtAnchor = Math.floor(p.age) - (firstYear - anchorYear);
  const u = r.next();
  const s: MimicSubject = {
    subjectId: ids.int(10_000_000, 20_000_000), patient: p, anchorAge: ageAtAnchor > 89 ? 91 : ageAtAnchor, anchorYear,
    anchorYearGroup: drawVocab(r, ANCHOR_YEAR_GROUP), dod: null, inPatientsTable: !withCxr || r.bernoulli(0.99),
    split: u < 0.8 ? "train" : u < 0.9 ? "validate" : "test", hasCxr: withCxr,
  };
  const sc: SubjectContext = { language: r.bernoulli(0.91) ? "ENGLISH" : "?", marital: drawVocab(r, MARITAL_STATUS), race: drawVocab(r, RACE), medicaid: r.bernoulli(0.3) };
  out.subjects.push(s);
  const ageAt = (t: number): number => p.age + (t - firstT) / (365.25 * DAY);
  // Earlier admissions without a CXR.
  const nPrior = r.poisson(withCxr ? 0.5 : 1.3);
  for (let k = 0; k < nPrior; k++) {
    const admit = firstT - r.uniform(30, 900) * DAY;
    out.admissions.push(makeAdmission(r, ids, s, sc, admit, admit + r.uniform(0.5, 6) * DAY, ageAt(admit)));
  }
  if (!withCxr) return;
  let left = 1 + r.poisson(o.studiesPerPatient - 1);
  let t = firstT;
  let died = false;
  while (left > 0 && !died) {
    const z = studySeverity(r, p);
    const a = (ageAt(t) - 60) / 15;
    const setting = r.bernoulli(sigmoid(-1.9 + 1.4 * z)) ? "icu" : r.bernoulli(sigmoid(-0.1 + 0.6 * z)) ? "ward" : "out";
    const times: { t: number; icu: boolean; inpatient: boolean }[] = [];
    let end = t + HOUR;
    if (setting === "out") {
      const day = Math.floor(t / DAY) * DAY;
      times.push({ t: day + r.uniform(7.5, 19) * HOUR, icu: false, inpatient: false });
      end = day + DAY;
    } else {
      const admit = t;
      let disch: number;
      let stay: MimicIcuStay | null = null;
      const k = Math.min(left, setting === "icu" ? 1 + r.poisson(0.9) : 1 + (r.bernoulli(0.35) ? 1 : 0));
      if (setting === "icu") {
        const intime = floorSecond(admit + r.uniform(1, 20) * HOUR);
        const outtime = floorSecond(intime + Math.exp(r.normal(Math.log(2.5) + 0.3 * z, 0.6)) * DAY);
        disch = outtime + Math.exp(r.normal(Math.log(3), 0.5)) * DAY;
        const first = drawVocab(r, CAREUNIT);
        stay = { subjectId: s.subjectId, hadmId: 0, stayId: ids.int(30_000_000, 40_000_000), firstCareunit: first, lastCareunit: r.bernoulli(0.85) ? first : drawVocab(r, CAREUNIT), intime, outtime };
        for (let j = 0; j < k; j++) {
          const inIcu = r.bernoulli(0.85);
          const tt = inIcu ? r.uniform(intime + 0.5 * HOUR, outtime - 0.5 * HOUR) : r.uniform(outtime + HOUR, disch - HOUR);
          times.push({ t: tt, icu: inIcu, inpatient: true });
        }
      } else {
        disch = admit + Math.exp(r.normal(Math.log(3.5) + 0.25 * z, 0.5)) * DAY;
        for (let j = 0; j < k; j++) times.push({ t: r.uniform(admit + HOUR, disch - HOUR), icu: false, inpatient: true });
      }
      times.sort((x, y) => x.t - y.t);
      const adm = makeAdmission(r, ids, s, sc, admit, disch, ageAt(admit));
      if (adm.edreg !== null && r.bernoulli(0.12) && times[0]) {
        // A film taken in the ED before admission: same date, but before admittime.
        times[0] = { t: Math.max(adm.edreg + 10 * 60_000, admit - r.uniform(0.3, 1) * HOUR), icu: false, inpatient: false };
      }
      if (r.bernoulli(sigmoid(-4.0 + 1.3 * z + 0.35 * a + (setting === "icu" ? 1 : 0)))) {
        died = true;
        const last = times[times.length - 1]!.t;
        adm.disch = floorMinute(Math.max(adm.disch, last + r.uniform(2, 48) * HOUR));
        adm.death = adm.disch;
        adm.dischargeLocation = "DIED";
        adm.expire = 1;
        s.dod = adm.death;
        if (stay && stay.outtime > adm.disch) stay.outtime = adm.disch;
      }
      if (stay) {
        stay.hadmId = adm.hadmId;
        out.icustays.push(stay);
      }
      out.admissions.push(adm);
      end = adm.disch;
    }
    for (const st of times) {
      if (left <= 0) break;
      left--;
      addStudy(r.fork(out.studies.length), ids, o, out, s, { ...st, severity: z + r.normal(0, 0.2), age: ageAt(st.t) });
    }
    t = end + (1 + r.exponential(150)) * DAY;
  }
  if (!died && r.bernoulli(sigmoid(-2.5 + 0.8 * p.severity + 0.5 * ((p.age - 60) / 15)))) s.dod = Math.floor(t / DAY) * DAY + r.uniform(30, 900) * DAY;
}

function addStudy(r: Rng, ids: IdPool, o: ResolvedSynthOptions, out: MimicCohort, s: MimicSubject, c: { t: number; icu: boolean; inpatient: boolean; severity: number; age: number }): void {
  const findings = sampleFindings(r.fork("truth"), { severity: c.severity, age: c.age, sex: s.patient.sex, heart: s.patient.heart, icu: c.icu, inpatient: c.inpatient });
  const studyId = ids.int(50_000_000, 60_000_000);
  const { portable, views } = sampleStudyViews(r.fork("views"), c, o.imagesPerStudy);
  const study: MimicStudy = {
    subjectId: s.subjectId, studyId, time: c.t, severity: c.severity, age: c.age, icu: c.icu, inpatient: c.inpatient, portable, findings,
    chexpert: r.bernoulli(0.985) ? reportLabels(r.fork("chexpert"), findings, "chexpert") : null,
    negbio: null,
    images: views.map((v) => ({ ...v, dicomId: ids.dicom(), subjectId: s.subjectId, studyId })),
  };
  study.negbio = study.chexpert !== null && r.bernoulli(0.99) ? reportLabels(r.fork("negbio"), findings, "negbio") : null;
  out.studies.push(study);
  out.images.push(...study.images);
}

/** Drop images from the end so that exactly `n` remain (empty studies are removed). */
function trimImages(out: MimicCohort, n: number): void {
  while (out.images.length > n) {
    const study = out.studies[out.studies.length - 1]!;
    study.images.pop();
    out.images.pop();
    if (study.images.length === 0) out.studies.pop();
  }
}

/**
 * Guarantee that the rare paths exist in every cohort of at least 30 images, whatever the seed:
 * two rare views, one blank ViewPosition, one blank orientation, one subject without a patients row,
 * and every split non-empty. (At the real rates a 40-image cohort would usually have none.)
 */
function applyQuirks(r: Rng, out: MimicCohort): void {
  const imgs = out.images;
  if (imgs.length >= 30) {
    const order = r.shuffle(imgs.map((_, i) => i));
    const rare = imgs.filter((x) => !["", "AP", "PA", "LATERAL", "LL"].includes(x.viewPosition)).length;
    for (let k = 0; k < 2 - rare; k++) makeRare(r, imgs[order[k]!]!);
    if (!imgs.some((x) => x.viewPosition === "")) { const x = imgs[order[2]!]!; x.viewPosition = ""; x.viewCode = ""; }
    if (!imgs.some((x) => x.orientation === "")) imgs[order[3]!]!.orientation = "";
  }
  const cxr = out.subjects.filter((s) => s.hasCxr);
  if (cxr.length >= 20 && cxr.every((s) => s.inPatientsTable)) cxr[r.int(cxr.length)]!.inPatientsTable = false;
  if (cxr.length >= 3) {
    for (const [k, split] of (["validate", "test"] as const).entries()) {
      if (!cxr.some((s) => s.split === split)) {
        const cand = cxr.filter((s) => s.split === "train");
        if (cand.length > 1) cand[(k * 7) % cand.length]!.split = split;
      }
    }
  }
}
