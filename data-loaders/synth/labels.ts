/**
 * Label vocabularies and the generative label model of the synthetic cohort.
 *
 * Each image's ground truth is a set of {@link Finding}s drawn from logistic models of the study's
 * latent severity, the patient's age, sex and cardiac propensity, and the care setting (ICU,
 * inpatient). The same truth drives the drawing (draw.ts) and, through a noisy "report labeler",
 * the label files: CheXpert-style 1.0 / 0.0 / -1.0 / blank, or NIH's binary `|`-joined names.
 */
import { Rng } from "../../src/utils/rng.js";
import { sigmoid } from "./sigmoid.js";

import { CHEXPERT_LABELS, NIH14_LABELS, type ChexpertLabel } from "../labels.js";

/** The 14 CheXpert/MIMIC labels in MIMIC's alphabetical column order (also the paper's order). */
export { CHEXPERT_LABELS, type ChexpertLabel };

/** The label columns of CheXpert's train.csv/valid.csv, in that file's (non-alphabetical) order. */
export const CHEXPERT_CSV_LABEL_ORDER: readonly ChexpertLabel[] = [
  "No Finding",
  "Enlarged Cardiomediastinum",
  "Cardiomegaly",
  "Lung Opacity",
  "Lung Lesion",
  "Edema",
  "Consolidation",
  "Pneumonia",
  "Atelectasis",
  "Pneumothorax",
  "Pleural Effusion",
  "Pleural Other",
  "Fracture",
  "Support Devices",
];

/** The 14 NIH ChestX-ray14 labels (alphabetical, exact spellings). */
export const NIH_LABELS = NIH14_LABELS;

/** One of the 14 NIH labels. */
export type NihLabel = (typeof NIH_LABELS)[number];

/** Every finding the generator can draw (a superset of both vocabularies, without "No Finding"). */
export const FINDINGS = [
  "atelectasis",
  "cardiomegaly",
  "consolidation",
  "edema",
  "enlargedCardiomediastinum",
  "fracture",
  "mass",
  "nodule",
  "lungOpacity",
  "pleuralEffusion",
  "pleuralThickening",
  "pneumonia",
  "pneumothorax",
  "supportDevices",
  "emphysema",
  "fibrosis",
  "hernia",
  "infiltration",
] as const;

/** A drawable finding. */
export type Finding = (typeof FINDINGS)[number];

/** Ground truth of one image: which findings are present. */
export type Findings = Record<Finding, boolean>;

/** What the label model conditions on (one study). */
export interface LabelContext {
  /** Latent severity of the study (standard-normal scale; higher = sicker). */
  severity: number;
  /** Age in years at the study. */
  age: number;
  /** Patient sex. */
  sex: "M" | "F";
  /** Patient-level cardiac propensity (standard-normal scale, rises with age). */
  heart: number;
  /** Study taken during an ICU stay. */
  icu: boolean;
  /** Study taken during a hospital admission (ICU or ward). */
  inpatient: boolean;
}

/**
 * Draw the ground-truth findings of one study from the logistic label model. Coefficients are
 * documented in the README; they were set once for plausibility and were not tuned on any result.
 *
 * @param rng stream for this study
 * @param c study context
 * @returns the findings
 */
export function sampleFindings(rng: Rng, c: LabelContext): Findings {
  const z = c.severity;
  const a = (c.age - 60) / 15;
  const m = c.sex === "M" ? 1 : 0;
  const icu = c.icu ? 1 : 0;
  const inp = c.inpatient ? 1 : 0;
  const b = (x: number): boolean => rng.bernoulli(sigmoid(x));
  const cardiomegaly = b(-1.9 + 1.1 * c.heart + 0.35 * z + 0.25 * m);
  const enlargedCardiomediastinum = b(-2.7 + 1.4 * (cardiomegaly ? 1 : 0) + 0.4 * z + 0.3 * a);
  const edema = b(-2.6 + 0.7 * c.heart + 0.9 * z + 0.6 * (cardiomegaly ? 1 : 0));
  const pleuralEffusion = b(-2.0 + 0.5 * c.heart + 0.8 * z + 0.5 * (edema ? 1 : 0) + 0.25 * a);
  const pneumonia = b(-2.6 + 0.8 * z + 0.2 * a);
  const consolidation = b(-2.9 + 0.8 * z + 2.2 * (pneumonia ? 1 : 0));
  const atelectasis = b(-2.1 + 0.6 * z + 0.9 * icu + 0.3 * a + 0.5 * (pleuralEffusion ? 1 : 0));
  const lesion = b(-3.2 + 0.5 * a + 0.35 * m);
  const mass = lesion && rng.bernoulli(0.4);
  const nodule = lesion && !mass;
  const pneumothorax = b(-3.4 + 0.5 * z + 0.6 * m - 0.35 * a + 0.7 * icu);
  const fracture = b(-3.4 + 0.45 * a + 0.35 * (1 - m) + 0.3 * z);
  const pleuralThickening = b(-3.9 + 0.35 * a);
  const supportDevices = b(-2.9 + 3.3 * icu + 0.9 * inp + 0.6 * z);
  const emphysema = b(-3.2 + 0.5 * a + 0.5 * m);
  const fibrosis = b(-3.7 + 0.55 * a);
  const hernia = b(-5.0 + 0.7 * a);
  const infiltration = b(-2.3 + 0.7 * z);
  const child = atelectasis || consolidation || pneumonia || edema || lesion || infiltration;
  const lungOpacity = child ? rng.bernoulli(0.9) : b(-3.0 + 0.5 * z);
  return {
    atelectasis, cardiomegaly, consolidation, edema, enlargedCardiomediastinum, fracture, mass, nodule,
    lungOpacity, pleuralEffusion, pleuralThickening, pneumonia, pneumothorax, supportDevices,
    emphysema, fibrosis, hernia, infiltration,
  };
}

/** Whether one CheXpert label is present in the truth (No Finding = no pathology; devices allowed). */
export function chexpertTruth(f: Findings, label: ChexpertLabel): boolean {
  switch (label) {
    case "Atelectasis": return f.atelectasis;
    case "Cardiomegaly": return f.cardiomegaly;
    case "Consolidation": return f.consolidation;
    case "Edema": return f.edema;
    case "Enlarged Cardiomediastinum": return f.enlargedCardiomediastinum;
    case "Fracture": return f.fracture;
    case "Lung Lesion": return f.mass || f.nodule;
    case "Lung Opacity": return f.lungOpacity;
    case "Pleural Effusion": return f.pleuralEffusion;
    case "Pleural Other": return f.pleuralThickening;
    case "Pneumonia": return f.pneumonia;
    case "Pneumothorax": return f.pneumothorax;
    case "Support Devices": return f.supportDevices;
    case "No Finding":
      return !CHEXPERT_LABELS.some((l) => l !== "No Finding" && l !== "Support Devices" && chexpertTruth(f, l));
  }
}

/** Whether one NIH label is present in the truth. */
export function nihTruth(f: Findings, label: NihLabel): boolean {
  switch (label) {
    case "Atelectasis": return f.atelectasis;
    case "Cardiomegaly": return f.cardiomegaly;
    case "Consolidation": return f.consolidation;
    case "Edema": return f.edema;
    case "Effusion": return f.pleuralEffusion;
    case "Emphysema": return f.emphysema;
    case "Fibrosis": return f.fibrosis;
    case "Hernia": return f.hernia;
    case "Infiltration": return f.infiltration;
    case "Mass": return f.mass;
    case "Nodule": return f.nodule;
    case "Pleural_Thickening": return f.pleuralThickening;
    case "Pneumonia": return f.pneumonia;
    case "Pneumothorax": return f.pneumothorax;
  }
}

/** A CheXpert-encoded label cell: positive, negative, uncertain, or not mentioned. */
export type ReportValue = "1.0" | "0.0" | "-1.0" | "";

/** Per-label rates of an automatic report labeler (CheXpert labeler or NegBio). */
interface LabelerRates {
  /** P(uncertain | present). */
  uncertainIfPresent: number;
  /** P(not mentioned | present). */
  missIfPresent: number;
  /** P(explicitly negated | absent), per label. */
  negate: Partial<Record<ChexpertLabel, number>>;
  /** P(uncertain | absent), per label (hedged mentions). */
  hedge: Partial<Record<ChexpertLabel, number>>;
}

const CHEXPERT_LABELER: LabelerRates = {
  uncertainIfPresent: 0.13,
  missIfPresent: 0.04,
  negate: { Pneumothorax: 0.45, "Pleural Effusion": 0.35, Edema: 0.2, Consolidation: 0.25, Cardiomegaly: 0.1,
    "Enlarged Cardiomediastinum": 0.12, Pneumonia: 0.08, "Support Devices": 0.04, "Lung Opacity": 0.05 },
  hedge: { Atelectasis: 0.05, Pneumonia: 0.08, Consolidation: 0.04, Edema: 0.03, "Enlarged Cardiomediastinum": 0.04,
    Cardiomegaly: 0.02, "Pleural Effusion": 0.02 },
};

const NEGBIO_LABELER: LabelerRates = {
  uncertainIfPresent: 0.1,
  missIfPresent: 0.07,
  negate: { Pneumothorax: 0.5, "Pleural Effusion": 0.4, Edema: 0.25, Consolidation: 0.3, Cardiomegaly: 0.15,
    "Enlarged Cardiomediastinum": 0.1, Pneumonia: 0.15, "Lung Opacity": 0.08 },
  hedge: { Atelectasis: 0.04, Pneumonia: 0.06, Consolidation: 0.05, Edema: 0.04 },
};

/**
 * Encode the truth of one study as a labeler would from its report.
 *
 * @param rng stream for this study's labeling (use a different fork per labeler)
 * @param f the truth
 * @param labeler which labeler's error rates to use
 * @returns one cell per label, keyed by label name. "No Finding" is only "1.0" or "".
 */
export function reportLabels(rng: Rng, f: Findings, labeler: "chexpert" | "negbio"): Record<ChexpertLabel, ReportValue> {
  const r = labeler === "chexpert" ? CHEXPERT_LABELER : NEGBIO_LABELER;
  const out = {} as Record<ChexpertLabel, ReportValue>;
  for (const label of CHEXPERT_LABELS) {
    const present = chexpertTruth(f, label);
    const u = rng.next();
    if (label === "No Finding") {
      out[label] = present && u < 0.95 ? "1.0" : "";
    } else if (present) {
      out[label] = u < r.missIfPresent ? "" : u < r.missIfPresent + r.uncertainIfPresent ? "-1.0" : "1.0";
    } else {
      const neg = r.negate[label] ?? 0.03;
      const hedge = r.hedge[label] ?? 0.01;
      out[label] = u < neg ? "0.0" : u < neg + hedge ? "-1.0" : "";
    }
  }
  return out;
}

/** The binary U-Zeros reading of a report cell (1.0 → 1; 0.0, -1.0, blank → 0), as the paper's probe. */
export function uZeros(v: ReportValue): number {
  return v === "1.0" ? 1 : 0;
}
