/** `mmsn export`: the trained target encoder as tfjs model.json + weights.bin + a browser forward pass. */
import { join } from "node:path";
import { EVAL_NORMALIZATION } from "../../data-loaders/index.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { exportEncoder } from "../export/export.js";
import { checkpointDir } from "./probe.js";

/** Export the checkpoint's target encoder to `out` (default `RUN/web`), with the evaluation normalisation. */
export async function exportCommand(checkpoint: string, out: string | undefined): Promise<void> {
  const ckpt = checkpointDir(checkpoint);
  const model = MultimodalMSN.load(ckpt);
  try {
    const dir = out ?? join(ckpt, "..", "web");
    const files = await exportEncoder(model, dir, EVAL_NORMALIZATION);
    console.log(`exported the target encoder (step ${model.step}) to ${dir}: ${files.map((f) => f.split("/").pop()).join(", ")}`);
  } finally {
    model.dispose();
  }
}
