#!/usr/bin/env node
/**
 * Builds `.device/`: everything needed to run the CUDA backend's tests and GPU benchmark on a machine that
 * has a GPU, nvcc and PyTorch but no Node.js, no node_modules and no network (the device tool's machine).
 *
 * Usage, here (after `npm install`, which builds native/cuda/build/Release/mmsn_cuda.node and, with nvcc,
 * native/cuda/build/mmsn_kernels.fatbin):
 *
 *     node environment/device_bundle.mjs            # writes .device/ (git-ignored); ~30 MiB
 *
 * then, with the device tool: carry [".device"], command `bash .device/run.sh` (logs and
 * bench_results.json land in $OUT). `bash .device/run.sh tests` or `… bench` runs one half. Without a GPU,
 * `bash .device/run.sh` runs the same tests on the addon's host reference device (the bench rows then say
 * "not run: …").
 *
 * What `.device/` holds:
 * - `node.xz`: this machine's Node binary (process.execPath, official build: glibc ≥ 2.28), xz -9;
 *   run.sh unpacks it to /tmp/mmsn-node/node (xz, or python3's lzma where xz is missing).
 * - `bundle/*.mjs`: esbuild bundles (platform node, esm, node20, code splitting: shared chunks beside them)
 *   of test/backend/cuda_device.test.ts, cuda_kernels.test.ts, cuda_step.test.ts and
 *   environment/device_bench.ts (test/bench/cuda_step.ts's rows printed as test/bench/run.ts prints them),
 *   plus tfjs-backend-wasm's .wasm files (the wasm backend looks for them in its script's __dirname,
 *   which the banner sets to bundle/).
 * - `native/mmsn_cuda.node`, `native/mmsn_kernels.fatbin` (run.sh points MMSN_CUDA_ADDON and
 *   MMSN_CUDA_KERNELS at them) and `lib/libgomp.so.1` (the addon links it; run.sh puts lib/ on
 *   LD_LIBRARY_PATH).
 * - `run.sh`, `MANIFEST.json` (source commit, dirty files, versions, sizes).
 *
 * How the bundles stay correct without editing src/ or test/ (done by an esbuild plugin, bundles only):
 * - src/backend/select.ts loads the tfjs union package with `createRequire(import.meta.url)("@tensorflow/tfjs")`,
 *   which esbuild cannot follow: that one statement becomes `import "@tensorflow/tfjs";` (same place, so
 *   the same evaluation order). The build fails if the statement is no longer there.
 * - `import.meta.url` / `.dirname` / `.filename` in the project's own .ts files are rewritten to the
 *   *original* file's location, computed at run time from the bundle's folder (`.device/bundle` → `../..`
 *   is the repo root, wherever the checkout lies). So `findAddon` walks, `createRequire` of .node files,
 *   and paths like test/bench/cuda_step.ts's `join(import.meta.dirname, "../..")` (→ test/reference/*.py)
 *   resolve exactly as they do unbundled.
 * - Runtime `require(pkg)` calls stay runtime: select.ts's tfjs-node probes (they fail to resolve where no
 *   node_modules exists and are skipped, as without tfjs-node) and the addon loaders' absolute paths.
 * - The build checks the metafile: every import the bundles leave external must be a Node builtin.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { dirname, join, relative, sep } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, ".device");
const BUNDLE = join(OUT, "bundle");
const require = createRequire(join(ROOT, "package.json"));
const esbuild = require("esbuild");

const TESTS = ["test/backend/cuda_device.test.ts", "test/backend/cuda_kernels.test.ts", "test/backend/cuda_step.test.ts"];
const BENCH = "environment/device_bench.ts";
const ADDON = "native/cuda/build/Release/mmsn_cuda.node";
const KERNELS = "native/cuda/build/mmsn_kernels.fatbin";

const log = (msg) => console.error(`[device_bundle] ${msg}`);
const fail = (msg) => {
  console.error(`[device_bundle] ERROR: ${msg}`);
  process.exit(1);
};
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const duBytes = (p) => {
  const s = statSync(p);
  return s.isDirectory() ? readdirSync(p).reduce((a, n) => a + duBytes(join(p, n)), 0) : s.size;
};

// ---- inputs ---------------------------------------------------------------------------------------------
for (const f of [ADDON, KERNELS]) {
  if (!existsSync(join(ROOT, f))) fail(`${f} is missing: build it first (node native/build.mjs; the fatbin needs nvcc)`);
}
// Stale builds are easy to carry by mistake: warn when a native source is newer than what was built from it.
const nativeSources = readdirSync(join(ROOT, "native/cuda"), { recursive: true }).filter((f) => /\.(cc|h|cu|cuh)$/.test(f) && !f.startsWith("build"));
for (const built of [ADDON, KERNELS]) {
  const t = statSync(join(ROOT, built)).mtimeMs;
  const newer = nativeSources.filter((f) => (built === KERNELS ? /\.(cu|cuh|h)$/.test(f) : true) && statSync(join(ROOT, "native/cuda", f)).mtimeMs > t);
  if (newer.length) log(`WARNING: newer than ${built} (rebuild with node native/build.mjs?): ${newer.join(", ")}`);
}

rmSync(BUNDLE, { recursive: true, force: true });
for (const d of [OUT, BUNDLE, join(OUT, "native"), join(OUT, "lib")]) mkdirSync(d, { recursive: true });

// ---- bundles --------------------------------------------------------------------------------------------
const SELECT_TS = join(ROOT, "src/backend/select.ts");
const TFJS_REQUIRE = /^require\("@tensorflow\/tfjs"\);[ \t]*$/m;
const ownTs = (p) => p.startsWith(ROOT + sep) && !p.includes(`${sep}node_modules${sep}`) && /\.[cm]?tsx?$/.test(p);
const createRequireUsers = new Set();

/** Rewrites described in the header; applies to the project's own TypeScript files only. */
const devicePlugin = {
  name: "mmsn-device",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?tsx?$/ }, (args) => {
      if (!ownTs(args.path)) return undefined;
      let src = readFileSync(args.path, "utf8");
      if (args.path === SELECT_TS) {
        const hits = src.match(new RegExp(TFJS_REQUIRE.source, "gm")) ?? [];
        if (hits.length !== 1) {
          throw new Error(`src/backend/select.ts: expected exactly one line 'require("@tensorflow/tfjs");' to turn into a static import, found ${hits.length}; update environment/device_bundle.mjs`);
        }
        src = src.replace(TFJS_REQUIRE, 'import "@tensorflow/tfjs"; // device_bundle: was require("@tensorflow/tfjs")');
      }
      if (/\bcreateRequire\s*\(/.test(src)) createRequireUsers.add(relative(ROOT, args.path));
      const file = JSON.stringify(relative(BUNDLE, args.path).split(sep).join("/"));
      const dir = JSON.stringify(relative(BUNDLE, dirname(args.path)).split(sep).join("/") || ".");
      src = src
        .replace(/\bimport\.meta\.url\b/g, `__mmsnDevUrl(${file})`)
        .replace(/\bimport\.meta\.filename\b/g, `__mmsnDevPath(${file})`)
        .replace(/\bimport\.meta\.dirname\b/g, `__mmsnDevPath(${dir})`);
      return { contents: src, loader: args.path.endsWith("x") ? "tsx" : "ts", resolveDir: dirname(args.path) };
    });
  },
};

// Gives every output file (entries and chunks) what CommonJS code and the rewrites above expect in ESM:
// require (for Node builtins required by tfjs' CommonJS builds), __filename/__dirname (the wasm backend
// finds its .wasm files in __dirname), and the helpers that map a source path relative to bundle/.
const banner = [
  'import { createRequire as __mmsnCreateRequire } from "node:module";',
  'import { dirname as __mmsnDirname, join as __mmsnJoin } from "node:path";',
  'import { fileURLToPath as __mmsnToPath, pathToFileURL as __mmsnToUrl } from "node:url";',
  "const require = __mmsnCreateRequire(import.meta.url);",
  "const __filename = __mmsnToPath(import.meta.url);",
  "const __dirname = __mmsnDirname(__filename);",
  "const __mmsnDevPath = (rel) => __mmsnJoin(__dirname, rel);",
  "const __mmsnDevUrl = (rel) => __mmsnToUrl(__mmsnDevPath(rel)).href;",
].join("\n");

const entryPoints = Object.fromEntries([
  ...TESTS.map((t) => [t.split("/").pop().replace(/\.ts$/, ""), join(ROOT, t)]),
  ["cuda_bench", join(ROOT, BENCH)],
]);
let result;
try {
  result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints,
    outdir: BUNDLE,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunk-[hash]",
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["main", "module"], // as Node resolves these packages (no "exports"): tfjs' CommonJS node builds
    banner: { js: banner },
    plugins: [devicePlugin],
    metafile: true,
    ignoreAnnotations: true, // keep side-effect imports ("sideEffects" lists) as Node runs them: select.ts's import "@tensorflow/tfjs-backend-cpu"
    legalComments: "none",
    minifyWhitespace: true, // keeps names (readable stack traces), about halves the size
    logLevel: "warning",
  });
} catch (e) {
  fail(`esbuild failed: ${e.message}`);
}

// Every import left external must be a Node builtin: no bare package specifier may reach node_modules.
// Allowed non-builtin: node-fetch's optional `require("encoding")`, inside a try/catch (tfjs' node build
// uses node-fetch only where globalThis.fetch is missing, never in Node 20).
const OPTIONAL = new Set(["encoding"]);
const externals = new Set();
for (const o of Object.values(result.metafile.outputs)) for (const i of o.imports) if (i.external) externals.add(i.path);
const bad = [...externals].filter((p) => !isBuiltin(p) && !OPTIONAL.has(p));
if (bad.length) fail(`the bundles still import packages at run time: ${bad.join(", ")}`);
const inputs = Object.keys(result.metafile.inputs);
const own = inputs.filter((p) => !p.includes("node_modules/")).length;
log(`bundled ${inputs.length} modules (${own} of this package); createRequire kept at run time in: ${[...createRequireUsers].sort().join(", ")}`);

const wasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
for (const f of readdirSync(wasmDir).filter((f) => /^tfjs-backend-wasm.*\.wasm$/.test(f))) copyFileSync(join(wasmDir, f), join(BUNDLE, f));

// ---- native files ---------------------------------------------------------------------------------------
copyFileSync(join(ROOT, ADDON), join(OUT, "native/mmsn_cuda.node"));
copyFileSync(join(ROOT, KERNELS), join(OUT, "native/mmsn_kernels.fatbin"));
const ldd = execFileSync("ldd", [join(ROOT, ADDON)], { encoding: "utf8" });
const gomp = ldd.match(/libgomp\.so\.1 => (\S+)/)?.[1];
if (!gomp || !existsSync(gomp)) fail(`libgomp.so.1 not found in ldd ${ADDON}:\n${ldd}`);
copyFileSync(realpathSync(gomp), join(OUT, "lib/libgomp.so.1"));

// ---- node.xz (reused while the same binary) -------------------------------------------------------------
const nodeBin = realpathSync(process.execPath);
const nodeStamp = `${process.version} ${nodeBin} ${statSync(nodeBin).size} ${statSync(nodeBin).mtimeMs}`;
const stampFile = join(OUT, "node.xz.stamp");
if (existsSync(join(OUT, "node.xz")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === nodeStamp) {
  log(`node.xz is up to date (${process.version})`);
} else {
  log(`compressing ${nodeBin} (${process.version}, ${mib(statSync(nodeBin).size)}) with xz -9 (a minute or two) …`);
  rmSync(stampFile, { force: true });
  execFileSync("sh", ["-c", 'xz -9 -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"', "sh", nodeBin, join(OUT, "node.xz")], { stdio: "inherit" });
  writeFileSync(stampFile, nodeStamp);
}

// ---- run.sh -----------------------------------------------------------------------------------------------
const tests = TESTS.map((t) => `"$HERE/bundle/${t.split("/").pop().replace(/\.ts$/, ".mjs")}"`).join(" ");
const runSh = `#!/usr/bin/env bash
# Generated by environment/device_bundle.mjs: runs the CUDA backend tests and the GPU bench from the bundles
# in this folder, with a Node unpacked from node.xz (no Node.js or node_modules needed on this machine).
#   bash .device/run.sh [all|tests|bench]    (default all; logs also go to $OUT when it is set)
# Environment passed through: MMSN_CUDA_MATH, MMSN_CUDA_DEVICE, BENCH_CUDA_BATCHES, MMSN_TORCH_PYTHON, CI, …
# MMSN_NODE_DIR (default /tmp/mmsn-node) is where node is unpacked. Exit status: the tests' (bench failures
# show in its rows).
set -uo pipefail
HERE="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
WHAT="\${1:-all}"
NODE_DIR="\${MMSN_NODE_DIR:-/tmp/mmsn-node}"
NODE="$NODE_DIR/node"
LOGS="\${OUT:-}"
if [ ! -x "$NODE" ] || [ "$("$NODE" --version 2>/dev/null)" != "${process.version}" ]; then
  mkdir -p "$NODE_DIR" || exit 1
  if command -v xz >/dev/null; then xz -dc "$HERE/node.xz" > "$NODE.tmp"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$HERE/node.xz" "$NODE.tmp"
  fi || { echo "run.sh: cannot unpack node.xz" >&2; exit 1; }
  chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE"
fi
export PATH="$NODE_DIR:$PATH"
export MMSN_CUDA_ADDON="$HERE/native/mmsn_cuda.node"
export MMSN_CUDA_KERNELS="$HERE/native/mmsn_kernels.fatbin"
export LD_LIBRARY_PATH="$HERE/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cd "$ROOT"
tee_log() { if [ -n "$LOGS" ]; then mkdir -p "$LOGS" && tee "$LOGS/$1"; else cat; fi; }
{
  echo "node $("$NODE" --version) ($NODE); bundle built from $(sed -n 's/.*"commit": "\\(.*\\)".*/\\1/p' "$HERE/MANIFEST.json")"
  command -v nvidia-smi >/dev/null && nvidia-smi -L
  command -v nvcc >/dev/null && nvcc --version | tail -1
  command -v python3 >/dev/null && python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1
  echo "MMSN_CUBLAS=\${MMSN_CUBLAS:-(unset: the addon tries libcublas.so.13/.12 on the loader path, then the pip nvidia wheels)} MMSN_CUDA_MATH=\${MMSN_CUDA_MATH:-(unset)}"
} 2>&1 | tee_log env.log
rc=0
if [ "$WHAT" = all ] || [ "$WHAT" = tests ]; then
  "$NODE" --test --test-reporter=spec ${tests} 2>&1 | tee_log tests.log
  rc=\${PIPESTATUS[0]}
  echo "run.sh: tests exit status $rc"
fi
if [ "$WHAT" = all ] || [ "$WHAT" = bench ]; then
  "$NODE" "$HERE/bundle/cuda_bench.mjs" 2>&1 | tee_log bench.log
  brc=\${PIPESTATUS[0]}
  echo "run.sh: bench exit status $brc"
  [ "$WHAT" = bench ] && rc=$brc
fi
exit $rc
`;
writeFileSync(join(OUT, "run.sh"), runSh);
chmodSync(join(OUT, "run.sh"), 0o755);

// ---- manifest and sizes -----------------------------------------------------------------------------------
const git = (...a) => execFileSync("git", a, { cwd: ROOT, encoding: "utf8" });
const dirty = git("status", "--porcelain", "--", "src", "test", "native", "environment").split("\n").filter(Boolean);
const total = duBytes(OUT);
writeFileSync(
  join(OUT, "MANIFEST.json"),
  JSON.stringify({ commit: git("rev-parse", "HEAD").trim(), dirty, built: new Date().toISOString(), node: process.version, esbuild: esbuild.version, bytes: total }, null, 2) + "\n",
);
// what travels besides carried paths: tracked files and untracked ones git does not ignore
const tracked = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0").filter(Boolean).reduce((a, f) => a + (existsSync(join(ROOT, f)) ? statSync(join(ROOT, f)).size : 0), 0);
log(`.device: ${mib(total)} (bundle/ ${mib(duBytes(BUNDLE))}, node.xz ${mib(statSync(join(OUT, "node.xz")).size)}); tracked + untracked-not-ignored files ${mib(tracked)}; together ${mib(total + tracked)} of the device tool's 64 MiB`);
if (dirty.length) log(`note: built from uncommitted changes in: ${dirty.map((l) => l.slice(3)).join(", ")}`);
log('device tool: run({ carry: [".device"], command: "bash .device/run.sh" })');
