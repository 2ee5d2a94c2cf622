/**
 * Value vocabularies of the MIMIC-IV v2.2 hosp/icu tables, with weights taken from the value counts of
 * the open MIMIC-IV demo (only category names and their frequencies are used, never rows).
 */
import type { Rng } from "../../src/utils/rng.js";

/** A categorical distribution: values and relative weights. */
export interface Vocab {
  values: readonly string[];
  weights: readonly number[];
}

const v = (pairs: readonly (readonly [string, number])[]): Vocab => ({ values: pairs.map((p) => p[0]), weights: pairs.map((p) => p[1]) });

/** Draw one value. */
export function drawVocab(rng: Rng, vocab: Vocab): string {
  return rng.weighted(vocab.values, vocab.weights);
}

export const ADMISSION_TYPE = v([["EW EMER.", 85], ["OBSERVATION ADMIT", 35], ["EU OBSERVATION", 30], ["URGENT", 28],
  ["SURGICAL SAME DAY ADMISSION", 15], ["DIRECT EMER.", 12], ["ELECTIVE", 10], ["DIRECT OBSERVATION", 7], ["AMBULATORY OBSERVATION", 4]]);

/** Admission types that arrive through the emergency room. */
export const ED_ADMISSION_TYPES: readonly string[] = ["EW EMER.", "EU OBSERVATION", "OBSERVATION ADMIT"];

export const NON_ED_LOCATION = v([["PHYSICIAN REFERRAL", 54], ["TRANSFER FROM HOSPITAL", 30], ["CLINIC REFERRAL", 9],
  ["WALK-IN/SELF REFERRAL", 7], ["PROCEDURE SITE", 5], ["PACU", 4], ["TRANSFER FROM SKILLED NURSING FACILITY", 3],
  ["INTERNAL TRANSFER TO OR FROM PSYCH", 2], ["INFORMATION NOT AVAILABLE", 1]]);

/** Discharge locations of survivors (blank = NULL occurs in the real table). */
export const DISCHARGE_LOCATION = v([["HOME HEALTH CARE", 62], ["HOME", 58], ["", 41], ["SKILLED NURSING FACILITY", 27],
  ["REHAB", 10], ["CHRONIC/LONG TERM ACUTE CARE", 7], ["AGAINST ADVICE", 4], ["HOSPICE", 3], ["PSYCH FACILITY", 2], ["ACUTE HOSPITAL", 1]]);

export const MARITAL_STATUS = v([["SINGLE", 107], ["MARRIED", 53], ["WIDOWED", 41], ["DIVORCED", 14], ["", 11]]);

export const RACE = v([["WHITE", 130], ["BLACK/AFRICAN AMERICAN", 48], ["UNKNOWN", 13], ["HISPANIC/LATINO - CUBAN", 9],
  ["PORTUGUESE", 7], ["BLACK/CAPE VERDEAN", 3], ["HISPANIC/LATINO - SALVADORAN", 3], ["UNABLE TO OBTAIN", 3], ["OTHER", 3],
  ["WHITE - OTHER EUROPEAN", 2], ["PATIENT DECLINED TO ANSWER", 2], ["HISPANIC OR LATINO", 2], ["HISPANIC/LATINO - PUERTO RICAN", 1],
  ["ASIAN - CHINESE", 4]]);

export const CAREUNIT = v([["Medical Intensive Care Unit (MICU)", 25], ["Surgical Intensive Care Unit (SICU)", 22],
  ["Cardiac Vascular Intensive Care Unit (CVICU)", 21], ["Medical/Surgical Intensive Care Unit (MICU/SICU)", 18],
  ["Trauma SICU (TSICU)", 12], ["Coronary Care Unit (CCU)", 10], ["Neuro Surgical Intensive Care Unit (Neuro SICU)", 2],
  ["Neuro Stepdown", 1], ["Neuro Intermediate", 1]]);

/** The real 3-year windows of `anchor_year_group` (note the spaces around the hyphen). */
export const ANCHOR_YEAR_GROUP = v([["2008 - 2010", 15], ["2011 - 2013", 35], ["2014 - 2016", 35], ["2017 - 2019", 15]]);

/** A provider id like the demo's `P03YMR`. */
export function providerId(rng: Rng): string {
  const a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let s = "P";
  for (let i = 0; i < 5; i++) s += a[rng.int(a.length)];
  return s;
}
