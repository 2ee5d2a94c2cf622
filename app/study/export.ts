/**
 * Export the trained target encoder for the browser: `model.json` (tfjs weightsManifest + ViT config +
 * input normalisation), `weights.bin` (float32, tfjs weights format), `mmsn_encoder.js` (a plain-tfjs
 * forward pass, no other dependency), `index.html` (a small inference example) and `README.md`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeWeights } from "../../src/io/weights.js";
import type { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { BROWSER_ENCODER_JS, BROWSER_EXAMPLE_HTML } from "./browser_encoder.js";

/** Per-channel mean/std of the evaluation transform (RGB order). */
export interface ExportNormalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** Format tag of an exported encoder's model.json. */
export const ENCODER_FORMAT = "multimodal-msn/vit-encoder@1";

/**
 * Write the target encoder of `model` to `dir` (created). Reads the weights with `await data()` (every
 * backend, webgpu included); creates no tensors.
 * @returns the files written.
 * @example await exportEncoder(MultimodalMSN.load("runs/msn/checkpoint"), "runs/msn/web", EVAL_NORMALIZATION)
 */
export async function exportEncoder(model: MultimodalMSN, dir: string, normalization: ExportNormalization): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const encoder = [...model.targetParams.vars].filter(([name]) => name.startsWith("encoder."));
  const values = await Promise.all(encoder.map(([, v]) => v.data()));
  const tensors = encoder.map(([name, v], i): [string, Float32Array, number[]] => [name, values[i] as Float32Array, v.shape]);
  const { group, data } = encodeWeights(tensors, "weights.bin");
  const manifest = {
    format: ENCODER_FORMAT,
    config: model.config.vit,
    normalization,
    step: model.step,
    output: "CLS token after the final LayerNorm of the EMA target encoder, [B, embedDim]",
    weightsManifest: [group],
  };
  const files = ["model.json", "weights.bin", "mmsn_encoder.js", "index.html", "README.md"].map((f) => join(dir, f));
  writeFileSync(files[0]!, JSON.stringify(manifest));
  writeFileSync(files[1]!, data);
  writeFileSync(files[2]!, BROWSER_ENCODER_JS);
  writeFileSync(files[3]!, BROWSER_EXAMPLE_HTML);
  const c = model.config.vit;
  writeFileSync(
    files[4]!,
    [
      "# Exported multimodal-msn target encoder",
      "",
      `ViT ${c.depth}×${c.embedDim} (${c.numHeads} heads, patch ${c.patchSize}), input [B, ${c.imgSize}, ${c.imgSize}, ${c.inChans}], output [B, ${c.embedDim}] features; pretrained ${model.step} steps.`,
      "",
      "`model.json` holds a tfjs `weightsManifest` (read by `tf.io.decodeWeights`), the ViT config and the input normalisation;",
      "`mmsn_encoder.js` runs the encoder with plain tfjs ops (the image-only target branch: EHR is used only in pretraining).",
      "",
      "```js",
      'import { loadEncoder } from "./mmsn_encoder.js";   // with tfjs loaded as the global `tf`',
      'const enc = await loadEncoder(tf, "./");',
      "const x = enc.preprocess(tf.browser.fromPixels(imageElement, 1));  // [1, S, S, C]",
      "const features = enc.encode(x);                                    // [1, D]",
      "tf.dispose([x, features]);",
      "```",
      "",
      "Serve the folder over HTTP and open `index.html` for a working page. In Node, pass a `fetchFn` that reads files.",
      "",
    ].join("\n"),
  );
  return files;
}
