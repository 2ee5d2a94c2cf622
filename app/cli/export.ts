/** `mmsn export`: the trained target encoder as tfjs model.json + weights.bin + a browser forward pass. */
import { join } from "node:path";
import { EVAL_NORMALIZATION } from "../../data-loaders/index.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { exportEncoder } from "../export/export.js";
import { prepareExportDir } from "../export/out_dir.js";
import { checkpointDir } from "./probe.js";

/** Options of {@link exportCommand}. */
export interface ExportCommandOptions {
  /** Replace a non-empty `out` that is not a previous export (`--overwrite`); never a checkpoint or a run. */
  readonly overwrite?: boolean;
}

/**
 * Export the checkpoint's target encoder to `out` (default `RUN/web`), with the evaluation normalisation.
 * `out` is checked (and its temporary sibling created) before the checkpoint is loaded, so a bad folder fails
 * at once; a previous export there is replaced atomically.
 * @throws Error naming the folder and the fix: `out` is a checkpoint, inside one, a run directory, a file, not
 * empty (without `overwrite`), or cannot be created.
 */
export async function exportCommand(checkpoint: string, out: string | undefined, options: ExportCommandOptions = {}): Promise<void> {
  const ckpt = checkpointDir(checkpoint);
  const target = prepareExportDir(out ?? join(ckpt, "..", "web"), { source: ckpt, overwrite: options.overwrite });
  let model: MultimodalMSN;
  try {
    model = MultimodalMSN.load(ckpt);
  } catch (e) {
    target.abort();
    throw e;
  }
  try {
    const r = await exportEncoder(model, target, EVAL_NORMALIZATION);
    const how = r.replaced === "previous export" ? " (replaced the previous export)" : r.replaced === "overwritten files" ? " (replaced its previous contents: --overwrite)" : "";
    console.log(`exported the target encoder (step ${model.step}) to ${r.dir}${how}: ${r.files.map((f) => f.split("/").pop()).join(", ")}`);
    console.log(`open it over HTTP (not file://, which the browser blocks): cd ${r.dir} && python3 -m http.server 8000, then http://localhost:8000/index.html`);
    for (const w of r.warnings) console.warn(`mmsn export: warning: ${w}`);
  } finally {
    model.dispose();
  }
}
