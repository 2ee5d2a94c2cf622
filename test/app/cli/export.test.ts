/**
 * Browser export: `mmsn export` writes model.json (tfjs weightsManifest) + weights.bin + mmsn_encoder.js;
 * the written module, given plain tfjs and a file-reading fetch, reproduces `model.encode`. Where it writes:
 * never over a checkpoint or a run, never over the user's files, and an impossible --out fails at once.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { exportCommand } from "../../../app/cli/export.js";
import { main } from "../../../app/cli/main.js";
import { MultimodalMSN } from "../../../src/msn/multimodal_msn.js";

const ROOT = join(import.meta.dirname, "../../..");
const TMP = mkdtempSync(join(tmpdir(), "mmsn-cli-export-"));

/** fetch over local files (the browser uses the real fetch). */
const fileFetch = async (url: string) => {
  const buf = readFileSync(url);
  return { json: async () => JSON.parse(buf.toString("utf8")), arrayBuffer: async () => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) };
};

/** A run directory `TMP/name` holding a saved test-preset checkpoint, run.json and metrics.csv. */
function makeRun(name: string): string {
  const run = join(TMP, name);
  const model = new MultimodalMSN("test", { ehr: { ehrIn: 3 } });
  model.step = 5;
  model.save(join(run, "checkpoint"));
  model.dispose();
  writeFileSync(join(run, "run.json"), "{}");
  writeFileSync(join(run, "metrics.csv"), "step,loss\n");
  return run;
}

/** Every file under `dir` with the sha1 of its bytes (to show that nothing changed). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[p.slice(dir.length)] = createHash("sha1").update(readFileSync(p)).digest("hex");
  }
  return out;
}

/** Run `mmsn export ARGS` quietly in this process. */
async function exportQuiet(args: string[]): Promise<void> {
  const log = console.log;
  console.log = () => {};
  try {
    await main(["export", ...args]);
  } finally {
    console.log = log;
  }
}

describe("mmsn export", () => {
  it("the exported encoder loads with plain tfjs and matches model.encode", async () => {
    const model = new MultimodalMSN("test", { ehr: { ehrIn: 3 } });
    model.step = 5;
    const ckpt = join(TMP, "run", "checkpoint");
    model.save(ckpt);
    await exportQuiet(["--checkpoint", join(TMP, "run")]);
    const web = join(TMP, "run", "web");
    for (const f of ["model.json", "weights.bin", "mmsn_encoder.js", "index.html", "README.md", "tf.min.js", "THIRD_PARTY_LICENSES.txt"]) assert.ok(existsSync(join(web, f)), f);
    const manifest = JSON.parse(readFileSync(join(web, "model.json"), "utf8"));
    assert.equal(manifest.format, "multimodal-msn/vit-encoder@1");
    assert.equal(manifest.weightsManifest[0].paths[0], "weights.bin");
    assert.ok(manifest.weightsManifest[0].weights.every((w: { name: string }) => w.name.startsWith("encoder.")), "only the encoder is exported");

    const mod = (await import(pathToFileURL(join(web, "mmsn_encoder.js")).href)) as {
      loadEncoder(t: typeof tf, base: string, f: typeof fileFetch): Promise<{ dim: number; encode(x: tf.Tensor4D): tf.Tensor2D; preprocess(x: tf.Tensor3D): tf.Tensor4D; dispose(): void }>;
    };
    const enc = await mod.loadEncoder(tf, web + "/", fileFetch);
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([3, 32, 32, 1], 0, 1, "float32", 7) as tf.Tensor4D;
    const ours = model.encode(x);
    const theirs = enc.encode(x);
    assert.equal(enc.dim, 32);
    assert.deepEqual(theirs.shape, [3, 32]);
    const a = ours.dataSync();
    const b = theirs.dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4, `feature ${i}: ${a[i]} vs ${b[i]}`);
    const img = tf.fill([48, 40, 1], 128) as tf.Tensor3D;
    const pre = enc.preprocess(img);
    assert.deepEqual(pre.shape, [1, 32, 32, 1]);
    tf.dispose([x, ours, theirs, img, pre]);
    assert.equal(tf.memory().numTensors, before, "encode and preprocess leak no tensors");
    enc.dispose();
    model.dispose();
  });

  it("index.html loads tfjs from the folder, pinned by a sha384 integrity that matches the file; no remote script", async () => {
    const run = makeRun("html");
    await exportQuiet(["--checkpoint", run]);
    const web = join(run, "web");
    const html = readFileSync(join(web, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    const external = scripts.filter((s) => /\bsrc=/.test(s));
    assert.ok(external.length >= 1, "tfjs is loaded by a <script src>");
    for (const attrs of external) {
      const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1];
      assert.ok(src, attrs);
      assert.doesNotMatch(src, /^(https?:)?\/\//, `no remote script: ${src}`);
      const integrity = /\bintegrity="(sha384-[A-Za-z0-9+/=]+)"/.exec(attrs)?.[1];
      assert.ok(integrity, `${src} carries a sha384 integrity`);
      assert.equal(integrity, "sha384-" + createHash("sha384").update(readFileSync(join(web, src))).digest("base64"), `integrity of ${src}`);
    }
    assert.doesNotMatch(html, /https?:\/\//, "index.html names no remote URL");
    const tfjs = readFileSync(join(ROOT, "node_modules/@tensorflow/tfjs/dist/tf.min.js"));
    assert.ok(readFileSync(join(web, "tf.min.js")).equals(tfjs), "tf.min.js is the installed bundle, unmodified");
    const licenses = readFileSync(join(web, "THIRD_PARTY_LICENSES.txt"), "utf8");
    assert.match(licenses, /@tensorflow\/tfjs 4\.22\.0/);
    assert.match(licenses, /Apache License\s+Version 2\.0/);
  });

  it("README.md lists every file of the folder and says how to serve it", async () => {
    const run = makeRun("readme");
    await exportQuiet(["--checkpoint", run]);
    const web = join(run, "web");
    const readme = readFileSync(join(web, "README.md"), "utf8");
    for (const f of readdirSync(web)) assert.ok(readme.includes("`" + f + "`"), `README names ${f}`);
    assert.match(readme, /python3 -m http\.server/);
    assert.match(readme, /file:\/\//, "says why opening index.html from disk does not work");
    assert.match(readme, /sha384-/);
  });

  it("refuses --out the checkpoint, a folder inside it, or the run directory, and changes nothing", async () => {
    const run = makeRun("guard");
    const ckpt = join(run, "checkpoint");
    const before = snapshot(run);
    await assert.rejects(exportQuiet(["--checkpoint", run, "--out", ckpt]), (e: Error) => {
      assert.match(e.message, /--out .*guard\/checkpoint is a checkpoint/);
      assert.match(e.message, /choose another folder, e\.g\. --out .*guard\/web/);
      return true;
    });
    await assert.rejects(exportQuiet(["--checkpoint", ckpt, "--out", join(ckpt, "web")]), /lies inside the checkpoint .*guard\/checkpoint/);
    await assert.rejects(exportQuiet(["--checkpoint", ckpt, "--out", run]), (e: Error) => {
      assert.match(e.message, /--out .*guard is a run directory \(it holds .*run\.json/);
      return true;
    });
    // another run's checkpoint, recognised by its model.json format
    const other = makeRun("guard-other");
    await assert.rejects(exportQuiet(["--checkpoint", ckpt, "--out", join(other, "checkpoint")]), /is a checkpoint/);
    await assert.rejects(exportCommand(ckpt, ckpt, { overwrite: true }), /is a checkpoint/, "--overwrite does not override");
    await assert.rejects(exportCommand(ckpt, run, { overwrite: true }), /is a run directory/, "--overwrite does not override");
    await assert.rejects(exportCommand(ckpt, TMP, { overwrite: true }), /holds the checkpoint being exported/);
    assert.deepEqual(snapshot(run), before, "the run is untouched");
    assert.equal(readdirSync(dirname(run)).filter((f) => f.startsWith(".")).length, 0, "no temporary folders left");
    MultimodalMSN.load(ckpt).dispose();
  });

  it("refuses a non-empty folder that is not a previous export; --overwrite replaces it", async () => {
    const run = makeRun("mine");
    const out = join(TMP, "mine-out");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine");
    await assert.rejects(exportQuiet(["--checkpoint", run, "--out", out]), (e: Error) => {
      assert.match(e.message, /--out .*mine-out is not empty and is not a previous export \(it holds notes\.txt\)/);
      assert.match(e.message, /--overwrite/);
      return true;
    });
    assert.equal(readFileSync(join(out, "notes.txt"), "utf8"), "mine");
    assert.deepEqual(readdirSync(out), ["notes.txt"]);

    mkdirSync(join(out, "photos"));
    await assert.rejects(exportCommand(run, out, { overwrite: true }), /holds subfolders \(photos\/\)/, "--overwrite never deletes folders");
    assert.ok(existsSync(join(out, "notes.txt")));

    const quiet = console.log;
    console.log = () => {};
    try {
      await exportCommand(run, join(TMP, "mine-out2"), {});
      writeFileSync(join(TMP, "mine-out2", "extra.txt"), "x");
      await assert.rejects(exportCommand(run, join(TMP, "mine-out2"), {}), /also holds files export does not write \(extra\.txt\)/);
      await exportCommand(run, join(TMP, "mine-out2"), { overwrite: true });
    } finally {
      console.log = quiet;
    }
    assert.ok(!existsSync(join(TMP, "mine-out2", "extra.txt")), "--overwrite replaced the folder");
    assert.ok(existsSync(join(TMP, "mine-out2", "model.json")));
  });

  it("replaces a previous export in place, leaving no temporary folders", async () => {
    const run = makeRun("again");
    const web = join(run, "web");
    await exportQuiet(["--checkpoint", run]);
    const first = readFileSync(join(web, "model.json"), "utf8");
    const model = MultimodalMSN.load(join(run, "checkpoint"));
    model.step = 9;
    model.save(join(run, "checkpoint"));
    model.dispose();
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => void lines.push(s);
    try {
      await main(["export", "--checkpoint", run]);
    } finally {
      console.log = log;
    }
    assert.match(lines.join("\n"), /replaced the previous export/);
    assert.notEqual(readFileSync(join(web, "model.json"), "utf8"), first);
    assert.equal(JSON.parse(readFileSync(join(web, "model.json"), "utf8")).step, 9);
    assert.deepEqual(readdirSync(run).filter((f) => f.startsWith(".")), [], "no .web.* siblings left");
  });

  it("an impossible --out fails before the checkpoint is read: a file in the way, --out a file", async () => {
    const ckpt = join(TMP, "broken", "checkpoint");
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(join(ckpt, "model.json"), "not json"); // loading it would fail with a checkpoint error
    const file = join(TMP, "a-file");
    writeFileSync(file, "x");
    await assert.rejects(exportQuiet(["--checkpoint", ckpt, "--out", join(file, "web")]), /cannot create --out .*a-file\/web: .*a-file is a file, not a folder/);
    await assert.rejects(exportQuiet(["--checkpoint", ckpt, "--out", file]), /--out .*a-file is a file, not a folder/);
  });

  it("--out /proc/… fails at once with a message naming the path (mkdir -p used to spin forever there)", { skip: !existsSync("/proc/self") && "no /proc" }, () => {
    const run = makeRun("proc");
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", "app/cli/main.ts", "export", "--checkpoint", run, "--out", "/proc/nope/web"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    assert.notEqual(r.signal, "SIGTERM", `still running after ${Date.now() - t0} ms`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^mmsn: export: cannot create --out \/proc\/nope\/web: /m);
    assert.match(r.stderr, /\/proc\/nope/);
  });
});
