/**
 * Browser export: `mmsn export` writes model.json (tfjs weightsManifest) + weights.bin + mmsn_encoder.js;
 * the written module, given plain tfjs and a file-reading fetch, reproduces `model.encode`.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { main } from "../../../app/cli/main.js";
import { MultimodalMSN } from "../../../src/msn/multimodal_msn.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-cli-export-"));

/** fetch over local files (the browser uses the real fetch). */
const fileFetch = async (url: string) => {
  const buf = readFileSync(url);
  return { json: async () => JSON.parse(buf.toString("utf8")), arrayBuffer: async () => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) };
};

describe("mmsn export", () => {
  it("the exported encoder loads with plain tfjs and matches model.encode", async () => {
    const model = new MultimodalMSN("test", { ehr: { ehrIn: 3 } });
    model.step = 5;
    const ckpt = join(TMP, "run", "checkpoint");
    model.save(ckpt);
    const log = console.log;
    console.log = () => {};
    try {
      await main(["export", "--checkpoint", join(TMP, "run")]);
    } finally {
      console.log = log;
    }
    const web = join(TMP, "run", "web");
    for (const f of ["model.json", "weights.bin", "mmsn_encoder.js", "index.html", "README.md"]) assert.ok(existsSync(join(web, f)), f);
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
});
