/**
 * Export the trained target encoder for the browser: `model.json` (tfjs weightsManifest + ViT config +
 * input normalisation), `weights.bin` (float32, tfjs weights format), `mmsn_encoder.js` (a plain-tfjs
 * forward pass, no other dependency), `index.html` (a small inference example) and `README.md`.
 *
 * `mmsn_encoder.js` is the real file next to this one (plain browser ESM, type-checked through its JSDoc by
 * `npm run typecheck`); it is copied as is. `test/app/cli/export.test.ts` imports the written copy with plain
 * tfjs and checks it against `model.encode`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeWeights } from "../../src/io/weights.js";
import type { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import type { EncoderManifest } from "./mmsn_encoder.js";

/** Per-channel mean/std of the evaluation transform (RGB order). */
export interface ExportNormalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** Format tag of an exported encoder's model.json. */
export const ENCODER_FORMAT = "multimodal-msn/vit-encoder@1";

/**
 * The browser forward pass: `mmsn_encoder.js` beside this module (from source under tsx, or in dist/ where
 * tsc copies it, allowJs). A source-map comment added by the compiler is dropped (the .map is not exported).
 */
export function browserEncoderSource(): string {
  const text = readFileSync(new URL("./mmsn_encoder.js", import.meta.url), "utf8");
  return text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, "\n");
}

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
  const manifest: EncoderManifest = {
    format: ENCODER_FORMAT,
    config: model.config.vit,
    normalization: { mean: [...normalization.mean], std: [...normalization.std] },
    step: model.step,
    output: "CLS token after the final LayerNorm of the EMA target encoder, [B, embedDim]",
    weightsManifest: [group],
  };
  const files = ["model.json", "weights.bin", "mmsn_encoder.js", "index.html", "README.md"].map((f) => join(dir, f));
  writeFileSync(files[0]!, JSON.stringify(manifest));
  writeFileSync(files[1]!, data);
  writeFileSync(files[2]!, browserEncoderSource());
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

/** The example page written next to an exported encoder. */
export const BROWSER_EXAMPLE_HTML = `<!doctype html>
<!-- Serve this folder over HTTP (e.g. \`npx http-server .\` or \`python3 -m http.server\`) and open index.html. -->
<meta charset="utf-8">
<title>multimodal-msn encoder in the browser</title>
<script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4.22.0/dist/tf.min.js"></script>
<input type="file" id="file" accept="image/*"> <pre id="out">choose a chest X-ray image</pre>
<script type="module">
  import { loadEncoder } from "./mmsn_encoder.js";
  const enc = await loadEncoder(tf, "./");
  document.getElementById("file").onchange = async (ev) => {
    const img = await createImageBitmap(ev.target.files[0]);
    const x = enc.preprocess(tf.browser.fromPixels(img, 1));
    const f = enc.encode(x);
    const v = await f.data();
    tf.dispose([x, f]);
    document.getElementById("out").textContent = \`\${v.length} features: [\${Array.from(v.slice(0, 8), (a) => a.toFixed(3)).join(", ")}, …]\`;
  };
</script>
`;
