/** Backend selection: automatic choice, forcing through MMSN_BACKEND, and bad names. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { skipLoudly } from "../helpers/skip.js";

const ROOT = join(import.meta.dirname, "../..");
const probe = `import { initBackend } from "./src/backend/index.js";
const i = await initBackend({ quiet: true }); console.log(JSON.stringify(i));`;

function run(env: Record<string, string>) {
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

describe("initBackend", () => {
  it("picks the fastest backend that loads and says why others were skipped", () => {
    const r = run({ MMSN_BACKEND: "" });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.ok(["tensorflow", "cuda", "native", "wasm"].includes(info.name), `chose ${info.name}`);
    if (info.name !== "tensorflow") assert.match(info.skipped.tensorflow, /tfjs-node/);
    // Here tfjs-node-gpu is not installed and tfjs-node is danfojs-node's override, an alias of pure-JS tfjs:
    // the reason says so, and how to get the native binding.
    if (info.name !== "tensorflow") {
      assert.match(info.skipped.tensorflow, /@tensorflow\/tfjs-node-gpu not installed/);
      assert.match(info.skipped.tensorflow, /@tensorflow\/tfjs-node here is an npm alias of the pure-JS @tensorflow\/tfjs@4\.22\.0/);
      assert.match(info.skipped.tensorflow, /npm install @tensorflow\/tfjs-node-gpu@4\.22\.0.*needs network access/);
    }
    // wasm only when the native addon could not load, and then the reason is given
    if (info.name === "wasm") assert.match(info.skipped.native, /native backend addon|mmsn_native/);
    assert.equal(info.skipped.webgpu, undefined, "webgpu is used only when named");
  });

  it("MMSN_BACKEND forces a backend", () => {
    const r = run({ MMSN_BACKEND: "cpu" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split("\n").pop()!).name, "cpu");
    const w = run({ MMSN_BACKEND: "wasm" });
    assert.equal(w.status, 0, w.stderr);
    assert.equal(JSON.parse(w.stdout.trim().split("\n").pop()!).name, "wasm");
  });

  it("an unknown or unloadable forced backend is an error naming the valid values", (t) => {
    const r = run({ MMSN_BACKEND: "cuda9" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /MMSN_BACKEND="cuda9" is not a backend; valid values: tensorflow, cuda, webgpu, native, wasm, cpu/);
    const tf = run({ MMSN_BACKEND: "tensorflow" });
    if (tf.status !== 0) assert.match(tf.stderr, /backend "tensorflow" was forced \(MMSN_BACKEND\) but cannot load/);
    const g = run({ MMSN_BACKEND: "webgpu", MMSN_WEBGPU_DAWN: "backend=nonsense" });
    assert.notEqual(g.status, 0);
    // the optional package may be missing (its prebuilt binary covers linux/darwin/win32 on x64/arm64 only)
    if (/the optional package "webgpu"/.test(g.stderr)) return skipLoudly(t, `Dawn's bad-options error not checked: ${g.stderr.trim().split("\n").pop()}`);
    assert.match(g.stderr, /backend "webgpu" was forced \(MMSN_BACKEND\) but cannot load: no WebGPU adapter: Dawn \[backend=nonsense\]: .*MMSN_WEBGPU_DAWN sets Dawn's options/);
  });
});
