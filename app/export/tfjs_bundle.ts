/**
 * The TensorFlow.js browser bundle shipped beside an export's index.html: found in node_modules (the full
 * `@tensorflow/tfjs` UMD bundle, else tfjs-core with its backends), copied unmodified, loaded by index.html
 * with a sha384 Subresource Integrity so that nothing comes from the network, and accompanied by
 * `THIRD_PARTY_LICENSES.txt` (its licences and those of the packages bundled inside it).
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";

/** A browser script copied into the export. */
export interface ShippedScript {
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

/** The package.json fields read here, of the package installed at `root`. */
const packageJson = (root: string) => JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; license?: string };

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
      scripts.push({ pkg, version: packageJson(root).version, from, name: basename(file), integrity: sha384(readFileSync(from)) });
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
      const pj = packageJson(root);
      bundled.push(section(`${dep} ${pj.version} (bundled in ${s.name}), licence ${pj.license ?? "unknown"}`, licenseText(root) ?? `(no licence text in the installed package; licence ${pj.license ?? "unknown"})`));
    }
  }
  const apacheBelow = bundled.some((b) => /Apache License\s+Version 2\.0/.test(b));
  const own = scripts.map((s) => {
    const root = packageRoot(s.pkg)!;
    const license = packageJson(root).license ?? "unknown";
    const banner = /^\/\*\*?([\s\S]*?)\*\//.exec(readFileSync(s.from, "utf8"))?.[1]?.replace(/^\s*\* ?/gm, "").trim() ?? "";
    const fullText = license === "Apache-2.0" ? (apacheBelow ? " The full text of the Apache License 2.0 is reproduced below (the licence of the bundled package long)." : " Full text: http://www.apache.org/licenses/LICENSE-2.0") : "";
    return section(`${s.name}: ${s.pkg} ${s.version}, licence ${license}`, licenseText(root) ?? `${banner}\n\n(The package ships no LICENSE file; the notice above is the one at the top of ${s.name}.${fullText})`);
  });
  const head = `Third-party code in this folder: ${scripts.map((s) => s.name).join(", ")} (copied unmodified from node_modules) and the packages bundled inside.`;
  return [head, ...own, ...bundled].join("\n\n") + "\n";
}

/**
 * Copy the installed tfjs browser bundle into `dir` with its THIRD_PARTY_LICENSES.txt.
 * @returns the scripts copied, for index.html ({@link tfjsScriptTags}) and the README; undefined (nothing
 * written) when no browser bundle is installed.
 */
export function shipTfjsBundle(dir: string): ShippedScript[] | undefined {
  const scripts = tfjsBrowserScripts();
  if (scripts === undefined) return undefined;
  for (const s of scripts) copyFileSync(s.from, join(dir, s.name));
  writeFileSync(join(dir, "THIRD_PARTY_LICENSES.txt"), thirdPartyLicenses(scripts));
  return scripts;
}

/** The `<script>` tags of index.html loading `scripts` (relative, with integrity), or a comment saying to add one. */
export function tfjsScriptTags(scripts: readonly Pick<ShippedScript, "name" | "integrity">[]): string {
  return scripts.length > 0 ? scripts.map((s) => `<script src="${s.name}" integrity="${s.integrity}"></script>`).join("\n") : "<!-- no TensorFlow.js browser bundle was installed at export time: add a <script> loading tf.min.js here (see README.md) -->";
}
