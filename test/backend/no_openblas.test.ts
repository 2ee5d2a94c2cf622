/**
 * The native backend builds and runs with only a C++ compiler: a copy of native/ is built with OpenBLAS turned
 * off (MMSN_NO_OPENBLAS=1) and a poisoned include path (a `cblas.h` that is an #error, so any OpenBLAS include
 * fails the build), then loaded through MMSN_NATIVE_ADDON. It must link no libopenblas, report the own GEMM, and
 * give the same MSN training step as this checkout's addon on its default (own) GEMM. About a minute (the build).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { skipLoudly } from "../helpers/skip.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(tmpdir(), "mmsn-no-openblas-"));
const copy = path.join(dir, "native");
const addon = path.join(copy, "build/Release/mmsn_native.node");

/** node-gyp as npm ships it (what native/build.mjs uses outside `npm install`). */
function nodeGyp(): string {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npm = spawnSync("sh", ["-c", 'readlink -f "$(command -v npm)"'], { encoding: "utf8" }).stdout.trim();
  return npm ? path.join(path.dirname(npm), "../node_modules/node-gyp/bin/node-gyp.js") : "";
}

/** One MSN step on the test preset, on the native backend from `addonPath` (or this checkout's), as JSON. */
function step(addonPath?: string): { details: string; loss: number } {
  const script = `
    import { initBackend, MultimodalMSN } from ${JSON.stringify(path.join(ROOT, "src/index.ts"))};
    import { toyBatches } from ${JSON.stringify(path.join(ROOT, "app/index.ts"))};
    const info = await initBackend({ force: "native", quiet: true });
    const model = new MultimodalMSN("test", { ehr: { ehrIn: 2 } });
    const batch = (await toyBatches(model.config, 4).next()).value;
    const r = model.trainStep(batch);
    console.log(JSON.stringify({ details: info.details, loss: r.loss }));`;
  const env = { ...process.env, MMSN_GEMM: "own", ...(addonPath ? { MMSN_NATIVE_ADDON: addonPath } : {}) };
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { details: string; loss: number };
}

let built: { status: number | null; output: string } | undefined;

describe("the native backend without OpenBLAS", () => {
  before(() => {
    const gyp = nodeGyp();
    if (!existsSync(gyp) || spawnSync("g++", ["--version"]).status !== 0) return;
    cpSync(path.join(ROOT, "native"), copy, { recursive: true, filter: (src) => !/[\\/]build$|[\\/](cuda|jpeg|third_party)$/.test(src) });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules")); // binding.gyp requires node-addon-api
    const poison = path.join(dir, "poison");
    mkdirSync(poison);
    for (const h of ["cblas.h", "openblas_config.h"]) writeFileSync(path.join(poison, h), "#error OpenBLAS must not be included in a MMSN_NO_OPENBLAS build\n");
    const nodedir = existsSync("/usr/include/node/node_api.h") ? ["--nodedir=/usr"] : [];
    const r = spawnSync(process.execPath, [gyp, "rebuild", "--directory", copy, ...nodedir], {
      env: { ...process.env, MMSN_NO_OPENBLAS: "1", CXXFLAGS: `-I${poison} ${process.env.CXXFLAGS ?? ""}`, CFLAGS: `-I${poison} ${process.env.CFLAGS ?? ""}` },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    built = { status: r.status, output: `${r.stdout}\n${r.stderr}`.slice(-3000) };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("builds with OpenBLAS unreachable and links no libopenblas", (t) => {
    if (!built) return skipLoudly(t, "no g++ or node-gyp here: the native backend cannot be built (apt-get install g++ make)");
    assert.equal(built.status, 0, `the build without OpenBLAS failed:\n${built.output}`);
    assert.ok(existsSync(addon), "mmsn_native.node was built");
    assert.ok(!existsSync(path.join(copy, "build/Release/mmsn_blas.node")), "no wasm OpenBLAS addon without OpenBLAS");
    const ldd = spawnSync("ldd", [addon], { encoding: "utf8" });
    assert.equal(ldd.status, 0, ldd.stderr);
    assert.doesNotMatch(ldd.stdout, /openblas/i);
  });

  it("runs an MSN step on its own GEMM, equal to this checkout's addon", (t) => {
    if (!built || built.status !== 0) return skipLoudly(t, "the build without OpenBLAS did not run (see the test above)");
    if (!existsSync(path.join(ROOT, "native/build/Release/mmsn_native.node"))) return skipLoudly(t, "this checkout's native addon is not built (node native/build.mjs)");
    const without = step(addon);
    const withBuild = step();
    assert.match(without.details, /own GEMM (avx512|avx2|scalar)/);
    assert.ok(Number.isFinite(without.loss));
    // Same GEMM code and ISA in both builds: the same step to float32 rounding of the sums' order (none expected).
    assert.ok(Math.abs(without.loss - withBuild.loss) <= 1e-6, `loss ${without.loss} vs ${withBuild.loss}`);
  });
});
