/**
 * Export the trained target encoder for the browser: `model.json` (tfjs weightsManifest + ViT config +
 * input normalisation), `weights.bin` (float32, tfjs weights format), `mmsn_encoder.js` (a plain-tfjs
 * forward pass, no other dependency) with `mmsn_preprocess.js` (the package's evaluation transform in plain
 * JS), `index.html` (the example page, page.ts), `tf.min.js` and `THIRD_PARTY_LICENSES.txt` (the installed
 * TensorFlow.js browser bundle, see tfjs_bundle.ts) and `README.md`.
 *
 * Where it writes is out_dir.ts ({@link prepareExportDir}): never over a checkpoint or a run directory, and
 * atomically through a temporary sibling that is created before the model is loaded.
 *
 * `mmsn_encoder.js` and `mmsn_preprocess.js` are the real files next to this one (plain browser ESM,
 * type-checked through their JSDoc by `npm run typecheck`); they are copied as is. `test/app/cli/export.test.ts`
 * imports the written copy with plain tfjs and checks it against `model.encode`; test/app/export/browser.test.ts
 * runs index.html in headless Chromium, offline, against the package's preprocessing + `model.encode`.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeWeights } from "../../src/io/weights.js";
import type { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import type { EncoderManifest } from "./mmsn_encoder.js";
import { ENCODER_FORMAT, EXPORT_FILES, prepareExportDir, type ExportDirOptions, type ExportReplaces, type ExportTarget } from "./out_dir.js";
import { browserExampleHtml } from "./page.js";
import { shipTfjsBundle, type ShippedScript } from "./tfjs_bundle.js";

export { browserExampleHtml } from "./page.js";

/** Per-channel mean/std of the evaluation transform (RGB order). */
export interface ExportNormalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** The result of {@link exportEncoder}. */
export interface ExportResult {
  /** The folder written (symlinks resolved). */
  readonly dir: string;
  /** The files written, as paths in `dir`. */
  readonly files: string[];
  /** What was in `dir` before. */
  readonly replaced: ExportReplaces;
  /** Things the user should know (e.g. no tfjs browser bundle to ship), empty when all went as described. */
  readonly warnings: string[];
}

/** The browser modules copied into an export: the forward pass and its preprocessing (its one import). */
export const BROWSER_MODULES = ["mmsn_encoder.js", "mmsn_preprocess.js"] as const;

/**
 * A browser module beside this module (from source under tsx, or in dist/ where tsc copies it, allowJs),
 * default the forward pass `mmsn_encoder.js`. A source-map comment added by the compiler is dropped (the .map
 * is not exported).
 */
export function browserEncoderSource(file: (typeof BROWSER_MODULES)[number] = "mmsn_encoder.js"): string {
  const text = readFileSync(new URL(`./${file}`, import.meta.url), "utf8");
  return text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, "\n");
}

/**
 * Write the target encoder of `model` to `out`: a folder path (checked with {@link prepareExportDir}) or a
 * target prepared before loading the model (the CLI does, so that a bad folder fails before the load). The
 * files are written to the target's temporary sibling, which then replaces the folder; on error the folder is
 * left as it was. Reads the weights with `await data()` (every backend, webgpu included); creates no tensors.
 * @throws Error naming the folder and the fix where it may not be written (see {@link prepareExportDir}).
 * @example await exportEncoder(MultimodalMSN.load("runs/msn/checkpoint"), "runs/msn/web", EVAL_NORMALIZATION)
 */
export async function exportEncoder(model: MultimodalMSN, out: string | ExportTarget, normalization: ExportNormalization, options: ExportDirOptions = {}): Promise<ExportResult> {
  const target = typeof out === "string" ? prepareExportDir(out, options) : out;
  try {
    const warnings = writeExport(model, target.staging, normalization, await encoderWeights(model));
    const names = readdirSync(target.staging).sort((a, b) => EXPORT_FILES.indexOf(a as never) - EXPORT_FILES.indexOf(b as never));
    target.commit();
    return { dir: target.dir, files: names.map((f) => join(target.dir, f)), replaced: target.replaces, warnings };
  } catch (e) {
    target.abort();
    throw e;
  }
}

/** The target encoder's weights (`encoder.*`), read with `await data()`, as [name, values, shape]. */
async function encoderWeights(model: MultimodalMSN): Promise<[string, Float32Array, number[]][]> {
  const encoder = [...model.targetParams.vars].filter(([name]) => name.startsWith("encoder."));
  const values = await Promise.all(encoder.map(([, v]) => v.data()));
  return encoder.map(([name, v], i) => [name, values[i] as Float32Array, v.shape]);
}

/** Write every file of the export into `dir`; returns the warnings. */
function writeExport(model: MultimodalMSN, dir: string, normalization: ExportNormalization, tensors: [string, Float32Array, number[]][]): string[] {
  const { group, data } = encodeWeights(tensors, "weights.bin");
  const manifest: EncoderManifest = {
    format: ENCODER_FORMAT,
    config: model.config.vit,
    normalization: { mean: [...normalization.mean], std: [...normalization.std] },
    step: model.step,
    output: "CLS token after the final LayerNorm of the EMA target encoder, [B, embedDim]",
    weightsManifest: [group],
  };
  const warnings: string[] = [];
  writeFileSync(join(dir, "model.json"), JSON.stringify(manifest));
  writeFileSync(join(dir, "weights.bin"), data);
  for (const file of BROWSER_MODULES) writeFileSync(join(dir, file), browserEncoderSource(file));
  const scripts = shipTfjsBundle(dir);
  if (scripts === undefined) {
    warnings.push("no TensorFlow.js browser bundle is installed (@tensorflow/tfjs/dist/tf.min.js): index.html has no tfjs <script>; add one yourself (see README.md)");
  }
  writeFileSync(join(dir, "index.html"), browserExampleHtml(scripts ?? []));
  writeFileSync(join(dir, "README.md"), exportReadme(model, data.byteLength, scripts));
  return warnings;
}

/** README.md of an export: what is in the folder, how to serve it, how to use the encoder. */
function exportReadme(model: MultimodalMSN, weightBytes: number, scripts: readonly ShippedScript[] | undefined): string {
  const c = model.config.vit;
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 1)} MiB`;
  const rows: [string, string][] = [
    ["model.json", `the tfjs \`weightsManifest\` (read by \`tf.io.decodeWeights\`), the ViT config and the input normalisation; format \`${ENCODER_FORMAT}\``],
    ["weights.bin", `the encoder weights, float32 little-endian (${mb(weightBytes)})`],
    ["mmsn_encoder.js", "the encoder forward pass in plain tfjs ops, an ES module: `loadEncoder(tf, folderUrl)`"],
    ["mmsn_preprocess.js", "the package's evaluation transform in plain JavaScript (imported by `mmsn_encoder.js`)"],
    ["index.html", "the example page: choose an image, get its features; shows its state, errors, the tfjs backend and the time taken"],
    ...(scripts ?? []).map((s): [string, string] => [s.name, `${s.pkg} ${s.version} browser bundle, copied unmodified from node_modules; index.html loads it with \`integrity="${s.integrity}"\``]),
    ...(scripts ? [["THIRD_PARTY_LICENSES.txt", `the licences of ${scripts.map((s) => s.name).join(", ")} and of the code bundled in it`] as [string, string]] : []),
    ["README.md", "this file"],
  ];
  const tfjs = scripts
    ? `Nothing is loaded from the network: TensorFlow.js ships in this folder (${scripts.map((s) => `\`${s.name}\``).join(", ")}), checked by the browser against its sha384 integrity.`
    : "No TensorFlow.js browser bundle was installed when this folder was exported, so `index.html` loads none: add `<script src=\"tf.min.js\" integrity=\"sha384-…\"></script>` with a copy of `@tensorflow/tfjs/dist/tf.min.js` (4.x) before the page's inline script.";
  return [
    "# Exported multimodal-msn target encoder",
    "",
    `ViT ${c.depth}×${c.embedDim} (${c.numHeads} heads, patch ${c.patchSize}), input [B, ${c.imgSize}, ${c.imgSize}, ${c.inChans}], output [B, ${c.embedDim}] features; pretrained ${model.step} steps. Written by \`mmsn export\`.`,
    "",
    "## Files",
    "",
    "| file | what it is |",
    "| --- | --- |",
    ...rows.map(([f, what]) => `| \`${f}\` | ${what} |`),
    "",
    "## Serve it",
    "",
    "Serve the folder over HTTP and open the page; nothing else is needed (no network: everything is in this folder):",
    "",
    "```sh",
    "cd this-folder && python3 -m http.server 8000   # then open http://localhost:8000/index.html",
    "```",
    "",
    `Any static file server works (e.g. \`npx http-server .\` where http-server is installed). ${tfjs}`,
    "",
    "Opened from disk (`file://`) the page does not work, and says so: the browser blocks `tf.min.js` (an `integrity` check needs CORS, which `file://` lacks), the module `mmsn_encoder.js` and the `fetch` of the weights.",
    "",
    "The page shows its state (loading the weights, ready, running, done), any error with its fix (the page opened from `file://`, TensorFlow.js missing, weights that cannot be fetched, a file the browser cannot decode), the TensorFlow.js backend in use (WebGL where the browser has it, else the CPU) and the time taken; the file picker is disabled until the weights have loaded.",
    "",
    "## Use the encoder",
    "",
    "`mmsn_encoder.js` runs the image-only target branch (EHR is used only in pretraining):",
    "",
    "```js",
    'const { loadEncoder } = await import("./mmsn_encoder.js");      // with tfjs loaded as the global `tf`',
    'const enc = await loadEncoder(tf, "./");',
    "const x = enc.preprocessPixels(ctx.getImageData(0, 0, w, h));  // [1, S, S, C]: the evaluation transform",
    "const features = enc.encode(x);                                // [1, D]",
    "tf.dispose([x, features]);",
    "```",
    "",
    `\`preprocessPixels\` is the package's own evaluation transform (\`mmsn_preprocess.js\`): the shorter side resized to ${Math.round((c.imgSize * 256) / 224)} px with an antialiased triangle filter, the centre ${c.imgSize}×${c.imgSize} crop, scaled to [0, 1] and normalised with model.json's mean/std; colour images use channel 0 (red), as the package's decoder does. On the same decoded pixels it gives the package's input values exactly. Decode as the page does (\`createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none", imageOrientation: "none" })\`, then a canvas) to get the pixels the package decodes from an 8-bit PNG; 16-bit PNGs and JPEGs decode slightly differently in a browser (8 bits; another JPEG decoder). The package's probe also shrinks large images on decode (libvips, to twice the input size) before this transform, which moves its features slightly from the page's.`,
    "",
    "`enc.preprocess(tensor)` takes an image tensor [H, W, K] (0..255) instead. In Node, pass `loadEncoder` a third argument, a `fetchFn` that reads files.",
    "",
  ].join("\n");
}
