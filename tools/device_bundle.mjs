#!/usr/bin/env node
/**
 * Builds `.device/`: everything needed to run the CUDA backend's tests and GPU benchmark on a machine that
 * has a GPU, nvcc and PyTorch but no Node.js, no node_modules and no network (the device tool's machine).
 *
 * Usage, here (after `npm install`, which builds native/cuda/build/Release/mmsn_cuda.node and, with nvcc,
 * native/cuda/build/mmsn_kernels.fatbin):
 *
 *     node tools/device_bundle.mjs            # writes .device/ (git-ignored); ~34 MiB
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
 *   tools/device_bench.ts (test/bench/cuda_step.ts's rows, printed by test/bench/report.ts as `npm run bench` prints them),
 *   plus tfjs-backend-wasm's .wasm files (the wasm backend looks for them in its script's __dirname,
 *   which the banner sets to bundle/).
 * - `native/mmsn_cuda.node`, `native/mmsn_kernels.fatbin` (run.sh points MMSN_CUDA_ADDON and
 *   MMSN_CUDA_KERNELS at them) and `lib/libgomp.so.1` (the addon links it; run.sh puts lib/ on
 *   LD_LIBRARY_PATH).
 * - The optional webgpu backend (test/webgpu/step.test.ts and the bench's WebGPU row): the `webgpu`
 *   package stays external, so `node_modules/webgpu/{index.js,package.json}` is copied and its Linux
 *   `dawn.node` travels as `dawn.node.xz` (21 MiB → 5), unpacked by run.sh beside them; and `gl/*.deb`,
 *   Debian's Vulkan loader and GL dispatch libraries (`apt-get download`, as the device tool's README
 *   recommends), which run.sh unpacks into / only for the libraries the machine lacks. run.sh also points
 *   Vulkan and EGL at NVIDIA's ICD files under /usr/local/nvidia when they are there. Without them the
 *   webgpu test skips loudly and the bench row says why.
 * - `run.sh`, `MANIFEST.json` (source commit, dirty files, versions, sizes).
 *
 * How the bundles stay correct without editing src/ or test/ (done by an esbuild plugin, bundles only):
 * - src/backend/select.ts loads the tfjs union package with `createRequire(import.meta.url)("@tensorflow/tfjs")`,
 *   which esbuild cannot follow: that one statement becomes `import "@tensorflow/tfjs";` (same place, so
 *   the same evaluation order). The build fails if the statement is no longer there.
 * - `import.meta.url` / `.dirname` / `.filename` in the project's own .ts files are rewritten to the
 *   *original* file's location, computed at run time from the bundle's folder (`.device/bundle` → `../..`
 *   is the repo root, wherever the checkout lies). So `findAddon` walks, `createRequire` of .node files,
 *   and paths like test/bench/torch_bench.ts's `join(import.meta.dirname, "../reference/torch_bench.py")`
 *   resolve exactly as they do unbundled.
 * - Runtime `require(pkg)` calls stay runtime: select.ts's tfjs-node probes (they fail to resolve where no
 *   node_modules exists and are skipped, as without tfjs-node) and the addon loaders' absolute paths.
 * - The build checks the metafile: every import the bundles leave external must be a Node builtin or `webgpu`.
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

const TESTS = ["test/backend/cuda_device.test.ts", "test/backend/cuda_kernels.test.ts", "test/backend/cuda_step.test.ts", "test/webgpu/step.test.ts"];
const BENCH = "tools/device_bench.ts";
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
          throw new Error(`src/backend/select.ts: expected exactly one line 'require("@tensorflow/tfjs");' to turn into a static import, found ${hits.length}; update tools/device_bundle.mjs`);
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

/** A test's bundle name: its folder and file, e.g. test/webgpu/step.test.ts → webgpu_step.test (.mjs). */
const bundleName = (t) => t.split("/").slice(-2).join("_").replace(/\.ts$/, "");
const entryPoints = Object.fromEntries([...TESTS.map((t) => [bundleName(t), join(ROOT, t)]), ["cuda_bench", join(ROOT, BENCH)]]);
if (Object.keys(entryPoints).length !== TESTS.length + 1) fail("two entry points have the same bundle name");
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
    external: ["webgpu"], // loads dawn.node beside its index.js: copied below
    metafile: true,
    ignoreAnnotations: true, // keep side-effect imports ("sideEffects" lists) as Node runs them: select.ts's import "@tensorflow/tfjs-backend-cpu"
    legalComments: "none",
    minifyWhitespace: true, // keeps names (readable stack traces), about halves the size
    logLevel: "warning",
  });
} catch (e) {
  fail(`esbuild failed: ${e.message}`);
}

// Every import left external must be a Node builtin or `webgpu` (copied below): no other bare package
// specifier may reach node_modules. Allowed besides: node-fetch's optional `require("encoding")`, inside a
// try/catch (tfjs' node build uses node-fetch only where globalThis.fetch is missing, never in Node 20).
const OPTIONAL = new Set(["encoding", "webgpu"]);
const externals = new Set();
for (const o of Object.values(result.metafile.outputs)) for (const i of o.imports) if (i.external) externals.add(i.path);
const bad = [...externals].filter((p) => !isBuiltin(p) && !OPTIONAL.has(p));
if (bad.length) fail(`the bundles still import packages at run time: ${bad.join(", ")}`);
const inputs = Object.keys(result.metafile.inputs); // relative to ROOT
const own = inputs.filter((p) => !p.includes("node_modules/"));
/** The top-level folders the bundled files of this package come from (src, test, tools, …): MANIFEST.json's dirty list. */
const ownDirs = [...new Set(own.map((p) => p.split("/")[0]).filter((d) => !d.startsWith(".")))].sort();
log(`bundled ${inputs.length} modules (${own.length} of this package, from ${ownDirs.join(", ")}); createRequire kept at run time in: ${[...createRequireUsers].sort().join(", ")}`);

const wasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
for (const f of readdirSync(wasmDir).filter((f) => /^tfjs-backend-wasm.*\.wasm$/.test(f))) copyFileSync(join(wasmDir, f), join(BUNDLE, f));

// ---- native files ---------------------------------------------------------------------------------------
copyFileSync(join(ROOT, ADDON), join(OUT, "native/mmsn_cuda.node"));
copyFileSync(join(ROOT, KERNELS), join(OUT, "native/mmsn_kernels.fatbin"));
const ldd = execFileSync("ldd", [join(ROOT, ADDON)], { encoding: "utf8" });
const gomp = ldd.match(/libgomp\.so\.1 => (\S+)/)?.[1];
if (!gomp || !existsSync(gomp)) fail(`libgomp.so.1 not found in ldd ${ADDON}:\n${ldd}`);
copyFileSync(realpathSync(gomp), join(OUT, "lib/libgomp.so.1"));

// ---- xz-compressed binaries (node, dawn.node), reused while the source file is the same ---------------------
function xzOnce(src, name) {
  const stamp = `${src} ${statSync(src).size} ${statSync(src).mtimeMs}`;
  const stampFile = join(OUT, `${name}.stamp`);
  if (existsSync(join(OUT, name)) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return log(`${name} is up to date`);
  log(`compressing ${src} (${mib(statSync(src).size)}) with xz -9 …`);
  rmSync(stampFile, { force: true });
  execFileSync("sh", ["-c", 'xz -9 -T2 -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"', "sh", src, join(OUT, name)], { stdio: "inherit" });
  writeFileSync(stampFile, stamp);
}
xzOnce(realpathSync(process.execPath), "node.xz");

// ---- the optional webgpu backend: the `webgpu` package (dawn.node as dawn.node.xz) and Vulkan/GL loaders ----
const WEBGPU_DIR = join(OUT, "node_modules/webgpu");
rmSync(WEBGPU_DIR, { recursive: true, force: true });
let webgpuDir;
try {
  webgpuDir = dirname(require.resolve("webgpu/package.json"));
} catch {
  for (const f of ["dawn.node.xz", "dawn.node.xz.stamp"]) rmSync(join(OUT, f), { force: true });
  log("WARNING: the optional package webgpu is not installed: the device run's webgpu test and bench row will say why they did not run");
}
if (webgpuDir) {
  mkdirSync(WEBGPU_DIR, { recursive: true });
  for (const f of ["index.js", "package.json"]) copyFileSync(join(webgpuDir, f), join(WEBGPU_DIR, f));
  xzOnce(join(webgpuDir, "dist/linux-x64/dawn.node"), "dawn.node.xz");
}
/** Debian packages run.sh unpacks into / where the machine lacks their library (deb name → soname). */
const GL_DEBS = { libvulkan1: "libvulkan.so.1", libglvnd0: "libGLdispatch.so.0", libegl1: "libEGL.so.1", libgles2: "libGLESv2.so.2" };
const GL = join(OUT, "gl");
if (!existsSync(GL) || readdirSync(GL).filter((f) => f.endsWith(".deb")).length !== Object.keys(GL_DEBS).length) {
  rmSync(GL, { recursive: true, force: true });
  mkdirSync(GL, { recursive: true });
  const lists = "/tmp/mmsn-apt-amd64";
  const o = ["-oAPT::Architecture=amd64", "-oAPT::Architectures=amd64", `-oDir::State::Lists=${lists}`];
  try {
    mkdirSync(join(lists, "partial"), { recursive: true });
    execFileSync("apt-get", [...o, "update", "-qq"], { stdio: "ignore" });
    execFileSync("apt-get", [...o, "download", ...Object.keys(GL_DEBS)], { cwd: GL, stdio: "ignore" });
    log(`gl/: ${readdirSync(GL).join(", ")}`);
  } catch (e) {
    rmSync(GL, { recursive: true, force: true });
    log(`WARNING: apt-get download of ${Object.keys(GL_DEBS).join(" ")} failed (${e.message.split("\n")[0]}): the device machine must have its own Vulkan loader for the webgpu row`);
  }
}

// ---- run.sh -----------------------------------------------------------------------------------------------
const tests = TESTS.map((t) => `"$HERE/bundle/${bundleName(t)}.mjs"`).join(" ");
const runSh = `#!/usr/bin/env bash
# Generated by tools/device_bundle.mjs: runs the CUDA backend tests and the GPU bench from the bundles
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
# unpack_xz FILE.xz DEST: xz, or python3's lzma where xz is missing; DEST appears whole or not at all
unpack_xz() {
  mkdir -p "$(dirname "$2")" || return 1
  if command -v xz >/dev/null; then xz -dc "$1" > "$2.tmp"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2.tmp"
  fi && chmod +x "$2.tmp" && mv "$2.tmp" "$2"
}
if [ ! -x "$NODE" ] || [ "$("$NODE" --version 2>/dev/null)" != "${process.version}" ]; then
  unpack_xz "$HERE/node.xz" "$NODE" || { echo "run.sh: cannot unpack node.xz" >&2; exit 1; }
fi
export PATH="$NODE_DIR:$PATH"
export MMSN_CUDA_ADDON="$HERE/native/mmsn_cuda.node"
export MMSN_CUDA_KERNELS="$HERE/native/mmsn_kernels.fatbin"
export LD_LIBRARY_PATH="$HERE/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MMSN_TEST_APT=0 # no network here: the tests must not try apt-get
# the optional webgpu backend: dawn.node beside its package, the Vulkan/GL loaders the machine lacks, NVIDIA's ICDs
# dawn.node is unpacked outside this folder (it must not travel back unpacked): node_modules/webgpu/dist links there
if [ -f "$HERE/dawn.node.xz" ]; then
  DIST="$NODE_DIR/webgpu-dist"
  if ! cmp -s "$HERE/dawn.node.xz.stamp" "$DIST/stamp"; then
    unpack_xz "$HERE/dawn.node.xz" "$DIST/linux-x64/dawn.node" && cp "$HERE/dawn.node.xz.stamp" "$DIST/stamp" || echo "run.sh: cannot unpack dawn.node.xz (webgpu will not run)" >&2
  fi
  ln -sfn "$DIST" "$HERE/node_modules/webgpu/dist"
fi
for deb in "$HERE"/gl/*.deb; do
  [ -f "$deb" ] || continue
  case "$(basename "$deb")" in ${Object.entries(GL_DEBS).map(([d, so]) => `${d}_*) so=${so} ;;`).join(" ")} *) continue ;; esac
  ldconfig -p | grep "$so" >/dev/null || { echo "run.sh: unpacking $(basename "$deb") (no $so here)"; dpkg -x "$deb" / && ldconfig || echo "run.sh: dpkg -x $(basename "$deb") failed" >&2; }
done
NV=/usr/local/nvidia/share
[ -z "\${VK_DRIVER_FILES:-}" ] && [ -f $NV/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=$NV/vulkan/icd.d/nvidia_icd.json
[ -z "\${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f $NV/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$NV/glvnd/egl_vendor.d/10_nvidia.json
cd "$ROOT"
tee_log() { if [ -n "$LOGS" ]; then mkdir -p "$LOGS" && tee "$LOGS/$1"; else cat; fi; }
{
  echo "node $("$NODE" --version) ($NODE); bundle built from $(sed -n 's/.*"commit": "\\(.*\\)".*/\\1/p' "$HERE/MANIFEST.json")"
  command -v nvidia-smi >/dev/null && nvidia-smi -L
  command -v nvcc >/dev/null && nvcc --version | tail -1
  command -v python3 >/dev/null && python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1
  echo "MMSN_CUBLAS=\${MMSN_CUBLAS:-(unset: the addon tries libcublas.so.13/.12 on the loader path, then the pip nvidia wheels)} MMSN_CUDA_MATH=\${MMSN_CUDA_MATH:-(unset)}"
  echo "Vulkan: $(ldconfig -p | grep -o 'libvulkan.so.1' | head -1) VK_DRIVER_FILES=\${VK_DRIVER_FILES:-(unset)}; ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\\n' ' ')"
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
const dirty = git("status", "--porcelain", "--", ...ownDirs, "native").split("\n").filter(Boolean);
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
