/**
 * Export the trained target encoder for the browser: `model.json` (tfjs weightsManifest + ViT config +
 * input normalisation), `weights.bin` (float32, tfjs weights format), `mmsn_encoder.js` (a plain-tfjs
 * forward pass, no other dependency), `index.html` (a small inference example), `tf.min.js` (the installed
 * TensorFlow.js browser bundle, loaded by index.html with a sha384 integrity: nothing comes from the network),
 * `THIRD_PARTY_LICENSES.txt` and `README.md`.
 *
 * Where it writes ({@link prepareExportDir}): never over a checkpoint or a run directory, never over files it
 * did not write unless told to (`overwrite`), and atomically: the files go to a temporary sibling that then
 * replaces the folder. The folder is checked and the sibling created before the model is loaded, so an
 * impossible path fails at once.
 *
 * `mmsn_encoder.js` is the real file next to this one (plain browser ESM, type-checked through its JSDoc by
 * `npm run typecheck`); it is copied as is. `test/app/cli/export.test.ts` imports the written copy with plain
 * tfjs and checks it against `model.encode`.
 */
import { createHash } from "node:crypto";
import { makeDirs, removeEmptyDirs } from "../../src/utils/make_dirs.js";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve, sep } from "node:path";
import { CHECKPOINT_FORMAT } from "../../src/io/checkpoint.js";
import { encodeWeights } from "../../src/io/weights.js";
import type { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import type { EncoderManifest } from "./mmsn_encoder.js";

/** Per-channel mean/std of the evaluation transform (RGB order). */
export interface ExportNormalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** Format tag of an exported encoder's model.json (also the marker of a previous export). */
export const ENCODER_FORMAT = "multimodal-msn/vit-encoder@1";

/** Every file an export may write; a folder holding only these, with an exported model.json, is a previous export. */
export const EXPORT_FILES = ["model.json", "weights.bin", "mmsn_encoder.js", "index.html", "README.md", "tf.min.js", "THIRD_PARTY_LICENSES.txt"] as const;

/** Where the export goes and what `overwrite` allows. */
export interface ExportDirOptions {
  /** Replace a non-empty folder that is not a previous export (never a checkpoint, a run, or a folder with subfolders). */
  readonly overwrite?: boolean;
  /** The checkpoint being exported: `out` may neither be in it nor hold it. */
  readonly source?: string;
}

/** What the export replaces in its folder. */
export type ExportReplaces = "nothing" | "previous export" | "overwritten files";

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

/**
 * The browser forward pass: `mmsn_encoder.js` beside this module (from source under tsx, or in dist/ where
 * tsc copies it, allowJs). A source-map comment added by the compiler is dropped (the .map is not exported).
 */
export function browserEncoderSource(): string {
  const text = readFileSync(new URL("./mmsn_encoder.js", import.meta.url), "utf8");
  return text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, "\n");
}

// -- where the export goes

const CHECKPOINT_FORMAT_PREFIX = CHECKPOINT_FORMAT.slice(0, CHECKPOINT_FORMAT.indexOf("@") + 1);
const ENCODER_FORMAT_PREFIX = ENCODER_FORMAT.slice(0, ENCODER_FORMAT.indexOf("@") + 1);
/** Entries that make a folder a run directory (written by `mmsn pretrain`/`toy`). */
const RUN_MARKERS = ["run.json", "metrics.csv", "checkpoint"];

/** The `format` of `dir/model.json`, if it has one (a marker only: checkpoints are read by MultimodalMSN.load). */
function modelJsonFormat(dir: string): string | undefined {
  try {
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as { format?: unknown };
    return typeof j.format === "string" ? j.format : undefined;
  } catch {
    return undefined;
  }
}

const isCheckpoint = (dir: string): boolean => modelJsonFormat(dir)?.startsWith(CHECKPOINT_FORMAT_PREFIX) === true;
const runMarkers = (dir: string): string[] => RUN_MARKERS.filter((m) => existsSync(join(dir, m)));
const isInside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (e) {
    if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return undefined;
    throw e;
  }
}

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** `p` absolute, with the symlinks of its longest existing prefix resolved. */
function resolveExisting(p: string): string {
  const tail: string[] = [];
  for (let head = resolve(p); ; head = dirname(head)) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      if (dirname(head) === head) return resolve(p);
      tail.unshift(basename(head));
    }
  }
}

/**
 * What exporting to `dir` would replace; throws, naming `dir` and the fix, where it must not write.
 * Checkpoints and run directories are refused even with `overwrite`.
 */
function inspectExportDir(dir: string, o: ExportDirOptions): ExportReplaces {
  const source = o.source === undefined ? undefined : resolveExisting(o.source);
  for (let a = dir; ; a = dirname(a)) {
    const inRun = basename(a) === "checkpoint" && runMarkers(dirname(a)).length > 0;
    if (isCheckpoint(a) || inRun || (source !== undefined && a === source)) {
      const fix = `choose another folder, e.g. --out ${join(dirname(a), "web")}`;
      if (a === dir) throw new Error(`export: --out ${dir} is a checkpoint${isCheckpoint(a) ? ` (its model.json has format ${modelJsonFormat(a)})` : ""}; exporting there would replace it: ${fix}`);
      throw new Error(`export: --out ${dir} lies inside the checkpoint ${a}; the export must not change a checkpoint: ${fix}`);
    }
    if (dirname(a) === a) break;
  }
  const st = statOrUndefined(dir);
  if (st === undefined) return "nothing";
  if (!st.isDirectory()) throw new Error(`export: --out ${dir} is a file, not a folder; choose a folder path`);
  const markers = runMarkers(dir);
  if (markers.length > 0) {
    throw new Error(`export: --out ${dir} is a run directory (it holds ${markers.map((m) => (m === "checkpoint" ? "checkpoint/" : m)).join(", ")}); exporting there would replace the run: choose another folder, e.g. --out ${join(dir, "web")}`);
  }
  if (source !== undefined && isInside(source, dir)) {
    throw new Error(`export: --out ${dir} holds the checkpoint being exported (${source}); replacing it would delete the checkpoint: choose another folder, e.g. --out ${join(dirname(source), "web")}`);
  }
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.length === 0) return "nothing";
  const list = (names: string[]) => names.slice(0, 6).join(", ") + (names.length > 6 ? `, … (${names.length} in all)` : "");
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name + "/");
  const foreign = entries.filter((e) => !(EXPORT_FILES as readonly string[]).includes(e.name)).map((e) => (e.isDirectory() ? e.name + "/" : e.name));
  const previous = modelJsonFormat(dir)?.startsWith(ENCODER_FORMAT_PREFIX) === true;
  if (previous && foreign.length === 0) return "previous export";
  if (o.overwrite) {
    if (folders.length > 0) throw new Error(`export: --overwrite replaces a folder of files, but --out ${dir} holds subfolders (${list(folders)}), which export never writes; move them away or choose another --out`);
    return "overwritten files";
  }
  if (previous) throw new Error(`export: --out ${dir} is a previous export but also holds files export does not write (${list(foreign)}); move them away, or pass --overwrite to replace the folder`);
  throw new Error(`export: --out ${dir} is not empty and is not a previous export (it holds ${list(foreign)}); choose a new or empty folder, or pass --overwrite to replace its contents`);
}

/** Why a mkdir failed, in words; `inFolder`: name the folder it was made in rather than the (temporary) path. */
function mkdirReason(e: unknown, inFolder?: string): string {
  const code = errCode(e);
  const path = inFolder === undefined ? `mkdir ${(e as NodeJS.ErrnoException).path ?? ""}` : `cannot make a folder in ${inFolder}`;
  const why: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    EEXIST: "something that is not a folder is in the way (a broken link?)",
    ENOENT: "the file system refuses new entries there (as /proc and /sys do)",
  };
  return code !== undefined && why[code] ? `${path}: ${why[code]} (${code})` : (e as Error).message;
}


function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errCode(e) === "EPERM";
  }
}

let stagingCount = 0;

/** A checked export folder with its temporary sibling; {@link exportEncoder} fills, commits or aborts it. */
export class ExportTarget {
  private done = false;

  constructor(
    /** The folder the export ends up in (symlinks resolved). */
    readonly dir: string,
    /** The temporary sibling the files are written to first. */
    readonly staging: string,
    /** What `dir` holds now and the export will replace. */
    readonly replaces: ExportReplaces,
    private readonly options: ExportDirOptions,
    /** Parent folders created for `dir`, outermost first (removed again on abort). */
    private readonly createdParents: readonly string[],
  ) {}

  /**
   * Swap the filled staging folder in: `dir` is moved aside, the staging folder renamed to `dir`, the old
   * folder deleted. `dir` is checked again first (it may have changed while the model loaded).
   */
  commit(): void {
    if (this.done) throw new Error(`export: ${this.dir} was already committed or aborted`);
    inspectExportDir(this.dir, this.options);
    if (statOrUndefined(this.dir) === undefined) {
      renameSync(this.staging, this.dir);
    } else {
      const old = join(dirname(this.dir), `.${basename(this.dir)}.replaced-${process.pid}-${stagingCount++}`);
      renameSync(this.dir, old);
      try {
        renameSync(this.staging, this.dir);
      } catch (e) {
        renameSync(old, this.dir);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    }
    this.done = true;
  }

  /** Delete the staging folder and the parents created for it; `dir` is left as it was. */
  abort(): void {
    if (this.done) return;
    rmSync(this.staging, { recursive: true, force: true });
    removeEmptyDirs(this.createdParents);
    this.done = true;
  }
}

/**
 * Check that `out` may take an export and create its temporary sibling (and any missing parents), before
 * anything expensive: refuses a checkpoint, a folder inside one, a run directory, a folder holding
 * `options.source`, a file, and a non-empty folder that is not a previous export (unless `overwrite`).
 * Leftover staging folders of dead processes beside `out` are removed.
 * @throws Error naming the folder and the fix; `cannot create --out …` (with the errno) for an impossible path.
 * @example const target = prepareExportDir("runs/msn/web", { source: "runs/msn/checkpoint" })
 */
export function prepareExportDir(out: string, options: ExportDirOptions = {}): ExportTarget {
  const dir = resolveExisting(out);
  const replaces = inspectExportDir(dir, options);
  const parent = dirname(dir);
  const fail = (e: unknown, inFolder?: string): never => {
    throw new Error(`export: cannot create --out ${out}: ${e instanceof Error && errCode(e) === undefined ? e.message : mkdirReason(e, inFolder)}; choose a writable folder`);
  };
  let created: string[] = [];
  try {
    created = makeDirs(parent);
  } catch (e) {
    fail(e);
  }
  const stale = new RegExp(`^\\.${basename(dir).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.export-(\\d+)-\\d+$`);
  for (const name of readdirSync(parent)) {
    const pid = Number(stale.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !pidAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
  const staging = join(parent, `.${basename(dir)}.export-${process.pid}-${stagingCount++}`);
  try {
    mkdirSync(staging);
  } catch (e) {
    removeEmptyDirs(created);
    fail(e, parent);
  }
  return new ExportTarget(dir, staging, replaces, options, created);
}

// -- the tfjs browser bundle shipped beside index.html

/** A browser script copied into the export. */
interface ShippedScript {
  /** npm package and version it comes from. */
  readonly pkg: string;
  readonly version: string;
  /** Absolute path of the installed file, and its name in the export. */
  readonly from: string;
  readonly name: string;
  /** `sha384-<base64>` of the file (Subresource Integrity). */
  readonly integrity: string;
}

/** Candidate bundles, best first: the full tfjs UMD bundle, else tfjs-core with its CPU (and WebGL) backends. */
const BUNDLES: readonly (readonly [pkg: string, file: string, required: boolean][])[] = [
  [["@tensorflow/tfjs", "dist/tf.min.js", true]],
  [
    ["@tensorflow/tfjs-core", "dist/tf-core.min.js", true],
    ["@tensorflow/tfjs-backend-cpu", "dist/tf-backend-cpu.min.js", true],
    ["@tensorflow/tfjs-backend-webgl", "dist/tf-backend-webgl.min.js", false],
  ],
];
/** Packages bundled inside the tfjs browser bundles (their licences ship too). */
const BUNDLED_DEPENDENCIES = ["long", "seedrandom", "core-js", "regenerator-runtime"];

/** The installed package root of `pkg`, resolved from `from` (a file or folder path), if any. */
function packageRoot(pkg: string, from: string = import.meta.url): string | undefined {
  try {
    return dirname(createRequire(from).resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

const sha384 = (bytes: Uint8Array): string => "sha384-" + createHash("sha384").update(bytes).digest("base64");

/** The tfjs browser scripts to ship, from node_modules; undefined when no browser bundle is installed. */
function tfjsBrowserScripts(): ShippedScript[] | undefined {
  bundles: for (const bundle of BUNDLES) {
    const scripts: ShippedScript[] = [];
    for (const [pkg, file, required] of bundle) {
      const root = packageRoot(pkg);
      const from = root === undefined ? undefined : join(root, file);
      if (root === undefined || from === undefined || !existsSync(from)) {
        if (required) continue bundles;
        continue;
      }
      const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
      scripts.push({ pkg, version, from, name: basename(file), integrity: sha384(readFileSync(from)) });
    }
    return scripts;
  }
  return undefined;
}

/** The licence text of an installed package: its LICENSE file, else the licence section of its README. */
function licenseText(root: string): string | undefined {
  const file = readdirSync(root).find((f) => /^licen[cs]e(\.(txt|md))?$/i.test(f));
  if (file !== undefined) return readFileSync(join(root, file), "utf8").trim();
  const readme = readdirSync(root).find((f) => /^readme(\.md)?$/i.test(f));
  if (readme === undefined) return undefined;
  const text = readFileSync(join(root, readme), "utf8");
  const at = text.search(/^#*\s*licen[cs]e\b.*$/im);
  return at >= 0 ? text.slice(at).trim() : undefined;
}

/** THIRD_PARTY_LICENSES.txt: the licences of the shipped scripts and of the packages bundled inside them. */
function thirdPartyLicenses(scripts: readonly ShippedScript[]): string {
  const section = (title: string, body: string) => `${"=".repeat(78)}\n${title}\n${"=".repeat(78)}\n\n${body}`;
  const bundled: string[] = [];
  const seen = new Set<string>();
  for (const s of scripts) {
    for (const dep of BUNDLED_DEPENDENCIES) {
      const root = packageRoot(dep, packageRoot(s.pkg)! + "/") ?? packageRoot(dep, packageRoot("@tensorflow/tfjs-core") + "/");
      if (root === undefined || seen.has(root)) continue;
      seen.add(root);
      const pj = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; license?: string };
      bundled.push(section(`${dep} ${pj.version} (bundled in ${s.name}), licence ${pj.license ?? "unknown"}`, licenseText(root) ?? `(no licence text in the installed package; licence ${pj.license ?? "unknown"})`));
    }
  }
  const apacheBelow = bundled.some((b) => /Apache License\s+Version 2\.0/.test(b));
  const own = scripts.map((s) => {
    const root = packageRoot(s.pkg)!;
    const license = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { license?: string }).license ?? "unknown";
    const banner = /^\/\*\*?([\s\S]*?)\*\//.exec(readFileSync(s.from, "utf8"))?.[1]?.replace(/^\s*\* ?/gm, "").trim() ?? "";
    const fullText = license === "Apache-2.0" ? (apacheBelow ? " The full text of the Apache License 2.0 is reproduced below (the licence of the bundled package long)." : " Full text: http://www.apache.org/licenses/LICENSE-2.0") : "";
    return section(`${s.name}: ${s.pkg} ${s.version}, licence ${license}`, licenseText(root) ?? `${banner}\n\n(The package ships no LICENSE file; the notice above is the one at the top of ${s.name}.${fullText})`);
  });
  const head = `Third-party code in this folder: ${scripts.map((s) => s.name).join(", ")} (copied unmodified from node_modules) and the packages bundled inside.`;
  return [head, ...own, ...bundled].join("\n\n") + "\n";
}

// -- the export

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
  const scripts = tfjsBrowserScripts();
  const warnings: string[] = [];
  writeFileSync(join(dir, "model.json"), JSON.stringify(manifest));
  writeFileSync(join(dir, "weights.bin"), data);
  writeFileSync(join(dir, "mmsn_encoder.js"), browserEncoderSource());
  if (scripts !== undefined) {
    for (const s of scripts) copyFileSync(s.from, join(dir, s.name));
    writeFileSync(join(dir, "THIRD_PARTY_LICENSES.txt"), thirdPartyLicenses(scripts));
  } else {
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
    ["index.html", "an example page: choose an image, print its features"],
    ...(scripts ?? []).map((s): [string, string] => [s.name, `${s.pkg} ${s.version} browser bundle, copied unmodified from node_modules; index.html loads it with \`integrity="${s.integrity}"\``]),
    ...(scripts ? [["THIRD_PARTY_LICENSES.txt", `the licences of ${scripts.map((s) => s.name).join(", ")} and of the code bundled in it`] as [string, string]] : []),
    ["README.md", "this file"],
  ];
  const tfjs = scripts
    ? `Nothing is loaded from the network: TensorFlow.js ships in this folder (${scripts.map((s) => `\`${s.name}\``).join(", ")}), checked by the browser against its sha384 integrity.`
    : "No TensorFlow.js browser bundle was installed when this folder was exported, so `index.html` loads none: add `<script src=\"tf.min.js\" integrity=\"sha384-…\"></script>` with a copy of `@tensorflow/tfjs/dist/tf.min.js` (4.x) before the module script.";
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
    "Browsers refuse `fetch` and ES modules in pages opened from disk (`file://`), so serve the folder over HTTP and open the page:",
    "",
    "```sh",
    "cd this-folder && python3 -m http.server 8000   # then open http://localhost:8000/index.html",
    "```",
    "",
    `Any static file server works (e.g. \`npx http-server .\` where http-server is installed). ${tfjs}`,
    "",
    "## Use the encoder",
    "",
    "`mmsn_encoder.js` runs the image-only target branch (EHR is used only in pretraining):",
    "",
    "```js",
    'import { loadEncoder } from "./mmsn_encoder.js";   // with tfjs loaded as the global `tf`',
    'const enc = await loadEncoder(tf, "./");',
    "const x = enc.preprocess(tf.browser.fromPixels(imageElement, 1));  // [1, S, S, C]",
    "const features = enc.encode(x);                                    // [1, D]",
    "tf.dispose([x, features]);",
    "```",
    "",
    "In Node, pass `loadEncoder` a third argument, a `fetchFn` that reads files.",
    "",
  ].join("\n");
}

/** The example page written next to an exported encoder, loading `scripts` (relative, with integrity) first. */
export function browserExampleHtml(scripts: readonly Pick<ShippedScript, "name" | "integrity">[]): string {
  const tags = scripts.length > 0 ? scripts.map((s) => `<script src="${s.name}" integrity="${s.integrity}"></script>`).join("\n") : "<!-- no TensorFlow.js browser bundle was installed at export time: add a <script> loading tf.min.js here (see README.md) -->";
  return `<!doctype html>
<!-- Serve this folder over HTTP (e.g. \`python3 -m http.server\`) and open index.html; see README.md. -->
<meta charset="utf-8">
<title>multimodal-msn encoder in the browser</title>
${tags}
<input type="file" id="file" accept="image/*"> <pre id="out">choose a chest X-ray image</pre>
<script type="module">
  import { loadEncoder } from "./mmsn_encoder.js";
  const out = document.getElementById("out");
  if (typeof tf === "undefined") throw (out.textContent = "TensorFlow.js did not load (see README.md)");
  const enc = await loadEncoder(tf, "./");
  document.getElementById("file").onchange = async (ev) => {
    const img = await createImageBitmap(ev.target.files[0]);
    const x = enc.preprocess(tf.browser.fromPixels(img, 1));
    const f = enc.encode(x);
    const v = await f.data();
    tf.dispose([x, f]);
    out.textContent = \`\${v.length} features: [\${Array.from(v.slice(0, 8), (a) => a.toFixed(3)).join(", ")}, …]\`;
  };
</script>
`;
}
