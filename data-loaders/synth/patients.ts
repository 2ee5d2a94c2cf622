/**
 * Patient-level latent variables shared by the three synthetic datasets: sex, age, a chronic
 * severity and a cardiac propensity. Study-level severity adds an acute term to the chronic one
 * (see {@link studySeverity}), so repeated studies of one patient are correlated, as in real data.
 */
import { Rng } from "../../src/utils/rng.js";

/** The latent description of one synthetic patient. */
export interface SynthPatient {
  /** Sex as MIMIC-IV writes it. */
  sex: "M" | "F";
  /** Age in years at the first study (18..95, real-valued). */
  age: number;
  /** Chronic severity, N(shift, 1). */
  severity: number;
  /** Cardiac propensity, N(0, 1) plus an age trend. */
  heart: number;
  /** Body habitus in [-1, 1] (thin … broad), used only by the drawing. */
  habitus: number;
}

/**
 * Draw one patient.
 *
 * @param rng stream for this patient
 * @param severityShift added to the chronic severity (NIH is an outpatient-heavier cohort: -0.4)
 * @returns the patient
 */
export function samplePatient(rng: Rng, severityShift = 0): SynthPatient {
  const sex = rng.bernoulli(0.53) ? "M" : "F";
  const age = Math.min(95, Math.max(18, rng.normal(61, 17)));
  const severity = rng.normal(severityShift + 0.15 * ((age - 60) / 15), 1);
  const heart = rng.normal(0.45 * ((age - 60) / 15), 1);
  const habitus = Math.max(-1, Math.min(1, rng.normal(0, 0.45)));
  return { sex, age, severity, heart, habitus };
}

/**
 * Severity of one episode/study: 0.8 × chronic + acute N(0, 0.6).
 *
 * @param rng stream for this episode
 * @param p the patient
 */
export function studySeverity(rng: Rng, p: SynthPatient): number {
  return 0.8 * p.severity + rng.normal(0, 0.6);
}
