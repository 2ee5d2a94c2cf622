/**
 * The synthetic NIH ChestX-ray14 cohort in the v2020 layout (docs/data-formats.md#nih-14):
 * `Data_Entry_2017_v2020.csv` (LF, unpadded Patient ID, integer ages, pandas float noise in the pixel
 * spacing, re-sequenced `Follow-up #` for some patients), `BBox_List_2017.csv` (boxes of the drawn
 * findings in 1024-pixel space, label `Infiltrate`), patient-disjoint `train_val_list.txt` /
 * `test_list.txt`, and `images/PPPPPPPP_FFF.png` (grayscale; one RGBA copy as in the real release).
 *
 * NIH is frontal-only (PA/AP) and outpatient-heavier: its patients' severity is shifted by −0.4.
 */
import path from "node:path";
import { renderCsv, writeText, type Cell } from "./csv.js";
import { drawRadiograph } from "./draw.js";
import type { ImageWriter } from "./images.js";
import { NIH_LABELS, nihTruth, sampleFindings, type Finding, type Findings, type NihLabel } from "./labels.js";
import type { ResolvedSynthOptions } from "./options.js";
import { samplePatient, studySeverity, type SynthPatient } from "./patients.js";
import { Rng } from "../../src/utils/rng.js";
import { sigmoid } from "./sigmoid.js";

/** Header of Data_Entry_2017_v2020.csv (the bracketed names are split by their commas, as in the real file). */
export const NIH_DATA_ENTRY_HEADER = "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]";
/** Header of BBox_List_2017.csv (three empty trailing cells). */
export const NIH_BBOX_HEADER = "Image Index,Finding Label,Bbox [x,y,w,h],,,";

const ORIGINALS: readonly [number, number, string][] = [
  [2500, 2048, "0.168"], [2500, 2048, "0.171"], [2048, 2500, "0.171"], [2682, 2749, "0.14300000000000002"],
  [2992, 2991, "0.14300000000000002"], [3056, 2544, "0.139"], [2021, 2021, "0.19431099999999998"], [3000, 2500, "0.115"],
];

const BOX_LABEL: Partial<Record<Finding, string>> = {
  atelectasis: "Atelectasis", pleuralEffusion: "Effusion", cardiomegaly: "Cardiomegaly", infiltration: "Infiltrate",
  pneumonia: "Pneumonia", pneumothorax: "Pneumothorax", mass: "Mass", nodule: "Nodule",
};

/** One NIH image record. */
export interface NihImage {
  imageIndex: string; patientId: number; followUp: number; age: number; sex: "M" | "F"; view: "PA" | "AP";
  labels: NihLabel[]; findings: Findings; icu: boolean; recumbent: boolean; patient: SynthPatient;
  original: readonly [number, number, string]; test: boolean; rgba: boolean;
}

/**
 * Build the NIH records.
 *
 * @param root cohort root stream (forks "nih")
 * @param o options (`nihImages` images exactly)
 */
export function buildNihCohort(root: Rng, o: ResolvedSynthOptions): NihImage[] {
  const r0 = root.fork("nih");
  const out: NihImage[] = [];
  for (let pid = 1; out.length < o.nihImages; pid++) {
    const r = r0.fork(pid);
    const p = samplePatient(r, -0.4);
    const n = Math.min(o.nihImages - out.length, 1 + r.poisson(1.5));
    const resequenced = r.bernoulli(0.2) ? r.int(1, 6) : 0;
    const test = r.bernoulli(0.23);
    for (let j = 0; j < n; j++) {
      const z = studySeverity(r, p);
      const icu = r.bernoulli(sigmoid(-2.4 + 1.4 * z));
      const inpatient = icu || r.bernoulli(sigmoid(-0.5 + 0.6 * z));
      const age = Math.floor(p.age + j * r.uniform(0, 0.6));
      const findings = sampleFindings(r.fork(`truth-${j}`), { severity: z, age, sex: p.sex, heart: p.heart, icu, inpatient });
      // NLP-mined labels: some findings are missed, a few are invented.
      const labels = NIH_LABELS.filter((l) => (nihTruth(findings, l) ? r.bernoulli(0.9) : r.bernoulli(0.004)));
      const ap = r.bernoulli(sigmoid(-0.6 + 1.5 * (icu ? 1 : 0) + 0.8 * (inpatient ? 1 : 0) + 0.4 * z));
      out.push({
        imageIndex: `${String(pid).padStart(8, "0")}_${String(j).padStart(3, "0")}.png`, patientId: pid, followUp: j + resequenced,
        age: Math.min(95, age), sex: p.sex, view: ap ? "AP" : "PA", labels, findings, icu, recumbent: ap && r.bernoulli(0.6), patient: p,
        original: r.pick(ORIGINALS), test, rgba: false,
      });
    }
  }
  if (out.length >= 10) out[root.fork("nih-quirks").int(out.length)]!.rgba = true;
  if (out.length >= 5 && out.every((x) => x.test) ) out[0]!.test = false;
  if (out.length >= 5 && !out.some((x) => x.test)) out[out.length - 1]!.test = true;
  return out;
}

/** Render the `Finding Labels` cell (alphabetical, except for the rare unsorted rows of v2020). */
function findingLabels(r: Rng, labels: readonly NihLabel[]): string {
  if (labels.length === 0) return "No Finding";
  return (labels.length > 1 && r.bernoulli(0.02) ? [...labels].reverse() : labels).join("|");
}

/**
 * Write the NIH files and images under `outDir/nih-chestxray14/`.
 *
 * @returns number of bounding boxes written
 */
export async function writeNih(outDir: string, images: readonly NihImage[], o: ResolvedSynthOptions, drawRng: Rng, writer: ImageWriter): Promise<number> {
  const dir = path.join(outDir, "nih-chestxray14");
  const fmt = drawRng.fork("nih-format");
  const entries: Cell[][] = [];
  const boxes: Cell[][] = [];
  const boxRng = drawRng.fork("nih-bbox");
  const scale = 1024 / o.imageSize;
  for (const im of images) {
    entries.push([im.imageIndex, findingLabels(fmt, im.labels), im.followUp, im.patientId, im.age, im.sex, im.view, im.original[0], im.original[1], im.original[2], im.original[2]]);
    const res = drawRadiograph({ view: im.view, findings: im.findings, sex: im.sex, habitus: im.patient.habitus, recumbent: im.recumbent, icu: im.icu, size: o.imageSize }, drawRng.fork(im.imageIndex));
    if (boxRng.bernoulli(0.35)) {
      for (const b of res.boxes) {
        const label = BOX_LABEL[b.finding];
        const listed = label !== undefined && im.labels.includes((label === "Infiltrate" ? "Infiltration" : label) as NihLabel);
        if (listed) boxes.push([im.imageIndex, label, b.x * scale, b.y * scale, b.w * scale, b.h * scale]);
      }
    }
    await writer.add(path.join(dir, "images", im.imageIndex), res.pixels, o.imageSize, { format: "png", quality: 0, rgba: im.rgba });
  }
  await writeText(path.join(dir, "Data_Entry_2017_v2020.csv"), renderCsv(NIH_DATA_ENTRY_HEADER, entries));
  await writeText(path.join(dir, "BBox_List_2017.csv"), renderCsv(NIH_BBOX_HEADER, boxes));
  const list = (test: boolean): string => images.filter((x) => x.test === test).map((x) => x.imageIndex + "\n").join("");
  await writeText(path.join(dir, "train_val_list.txt"), list(false));
  await writeText(path.join(dir, "test_list.txt"), list(true));
  return boxes.length;
}
