/** The views of one MSN step: shape checks of a batch against the config, and the patch-drop masks. */
import type { MsnConfig } from "../config/msn.js";
import { type KeepIndices, randomKeepIndices } from "../models/masking.js";
import type { MsnBatch } from "../types/batch.js";
import type { Rng } from "../utils/rng.js";

/** Check a batch against the config before any work, with messages that name the field; returns the batch size B. */
export function validateMsnBatch(c: MsnConfig, batch: MsnBatch): number {
  const [b, s, s2, ch] = batch.target.shape;
  const want = `[B, ${c.randSize}, ${c.randSize}, ${c.vit.inChans}]`;
  if (s !== c.randSize || s2 !== c.randSize || ch !== c.vit.inChans) throw new Error(`batch.target has shape [${batch.target.shape}], expected ${want} (config.randSize, config.vit.inChans)`);
  const a = batch.anchors.shape;
  if (a[0] !== c.randViews * b || a[1] !== c.randSize || a[2] !== c.randSize || a[3] !== ch) {
    throw new Error(`batch.anchors has shape [${a}], expected [${c.randViews}·${b}, ${c.randSize}, ${c.randSize}, ${ch}] (config.randViews × batch)`);
  }
  const f = batch.focal.shape;
  if (f[0] !== c.focalViews * b || (c.focalViews > 0 && (f[1] !== c.focalSize || f[2] !== c.focalSize || f[3] !== ch))) {
    throw new Error(`batch.focal has shape [${f}], expected [${c.focalViews}·${b}, ${c.focalSize}, ${c.focalSize}, ${ch}] (config.focalViews × batch, config.focalSize)`);
  }
  if (c.ehr.ehrIn > 0) {
    if (!batch.ehr) throw new Error(`config.ehr.ehrIn is ${c.ehr.ehrIn} but the batch has no ehr tensor; pass EHR features or set ehr.ehrIn = 0 for vanilla MSN`);
    if (batch.ehr.shape[0] !== b || batch.ehr.shape[1] !== c.ehr.ehrIn) {
      throw new Error(`batch.ehr has shape [${batch.ehr.shape}], expected [${b}, ${c.ehr.ehrIn}] (config.ehr.ehrIn must equal the number of EHR feature columns)`);
    }
  } else if (batch.ehr) {
    throw new Error(`the batch has EHR features [${batch.ehr.shape}] but config.ehr.ehrIn is 0 (vanilla MSN); set ehr.ehrIn = ${batch.ehr.shape[1]}`);
  }
  return b;
}

/** Draw patch-drop masks from `rng` for a batch of `b` images (random anchors, and focal views when `maskFocal`). */
export function drawMsnMasks(c: MsnConfig, b: number, rng: Rng): { keepAnchors?: KeepIndices; keepFocal?: KeepIndices } {
  if (c.patchDropRatio <= 0) return {};
  const n = (s: number) => (s / c.vit.patchSize) ** 2;
  return {
    keepAnchors: randomKeepIndices(c.randViews * b, n(c.randSize), c.patchDropRatio, rng, c.maskQuirk),
    keepFocal: c.maskFocal && c.focalViews > 0 ? randomKeepIndices(c.focalViews * b, n(c.focalSize), c.patchDropRatio, rng, c.maskQuirk) : undefined,
  };
}
