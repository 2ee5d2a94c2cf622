/**
 * MIMIC-CXR image-level view metadata: ViewPosition, ViewCodeSequence_CodeMeaning and
 * PatientOrientationCodeSequence_CodeMeaning, including blanks and rare views at realistic rates.
 */
import type { DrawView } from "./draw_types.js";
import { Rng } from "../../src/utils/rng.js";
import { sigmoid } from "./sigmoid.js";

/** Rare ViewPosition values of the real metadata (each a handful of images in 377k). */
export const RARE_VIEWS: readonly string[] = ["PA LLD", "RAO", "LAO", "AP AXIAL", "AP LLD", "AP RLD", "XTABLE LATERAL", "PA RLD", "LPO", "SWIMMERS"];

/** Per-image view metadata plus how to draw it. */
export interface MimicView {
  /** ViewPosition ('' = blank). */
  viewPosition: string;
  /** ViewCodeSequence_CodeMeaning ('' = blank). */
  viewCode: string;
  /** PatientOrientationCodeSequence_CodeMeaning: Erect, Recumbent or ''. */
  orientation: string;
  /** Projection actually drawn (a blank ViewPosition still has a real image). */
  drawView: DrawView;
  /** Patient lying down in the drawing. */
  recumbent: boolean;
  /** Extra rotation for oblique views. */
  extraRotation: number;
}

const CODE: Record<string, string> = { PA: "postero-anterior", AP: "antero-posterior", LATERAL: "lateral", LL: "left lateral" };

/** Rates of missing metadata (MIMIC-CXR-JPG v2.0.0: ~4.2% blank ViewPosition, ~11% blank orientation). */
export const VIEW_MISSING_RATE = 0.042;
export const ORIENTATION_MISSING_RATE = 0.11;
export const RARE_VIEW_RATE = 0.004;

/**
 * Views of one study.
 *
 * @param rng stream for this study
 * @param ctx ICU/inpatient context and severity
 * @param imagesPerStudy mean images per study option
 * @returns one entry per image, and whether it is a portable (AP) study
 */
export function sampleStudyViews(rng: Rng, ctx: { icu: boolean; inpatient: boolean; severity: number }, imagesPerStudy: number): { portable: boolean; views: MimicView[] } {
  const portable = rng.bernoulli(sigmoid(-1.0 + 2.8 * (ctx.icu ? 1 : 0) + 1.2 * (ctx.inpatient && !ctx.icu ? 1 : 0) + 0.5 * ctx.severity));
  const extra = imagesPerStudy - 1;
  const kinds: string[] = [];
  if (portable) {
    kinds.push("AP");
    if (rng.bernoulli(Math.min(1, extra * 0.4))) kinds.push("AP");
  } else {
    kinds.push("PA");
    if (rng.bernoulli(Math.min(1, extra * 1.5))) kinds.push(rng.bernoulli(0.7) ? "LATERAL" : "LL");
    if (rng.bernoulli(Math.max(0, extra * 1.5 - 1))) kinds.push("PA");
  }
  const recumbentP = sigmoid(-0.5 + 2.0 * (ctx.icu ? 1 : 0) + 0.8 * ctx.severity);
  const views = kinds.map((k): MimicView => {
    const recumbent = k === "AP" && rng.bernoulli(recumbentP);
    const v: MimicView = {
      viewPosition: k,
      viewCode: CODE[k] ?? "",
      orientation: recumbent ? "Recumbent" : "Erect",
      drawView: k === "AP" || k === "PA" ? k : "LATERAL",
      recumbent,
      extraRotation: 0,
    };
    if (rng.bernoulli(RARE_VIEW_RATE)) makeRare(rng, v);
    if (rng.bernoulli(VIEW_MISSING_RATE)) {
      v.viewPosition = "";
      if (rng.bernoulli(0.7)) v.viewCode = "";
    }
    if (rng.bernoulli(0.02)) v.viewCode = "";
    if (rng.bernoulli(ORIENTATION_MISSING_RATE)) v.orientation = "";
    return v;
  });
  return { portable, views };
}

/** Turn a view into one of the rare ViewPosition values (the drawing follows it). */
export function makeRare(rng: Rng, v: MimicView): void {
  const rare = rng.pick(RARE_VIEWS);
  v.viewPosition = rare;
  if (rare === "XTABLE LATERAL") {
    v.drawView = "LATERAL";
    v.viewCode = "lateral";
    v.recumbent = true;
  } else if (rare.startsWith("AP")) {
    v.drawView = "AP";
    v.viewCode = "antero-posterior";
    v.recumbent = rare !== "AP AXIAL";
  } else {
    v.drawView = "PA";
    v.viewCode = rare.startsWith("PA") ? "postero-anterior" : "";
    v.extraRotation = rare === "SWIMMERS" ? 0.05 : rng.pick([-0.22, 0.22]);
  }
  v.orientation = v.recumbent ? "Recumbent" : "Erect";
}
