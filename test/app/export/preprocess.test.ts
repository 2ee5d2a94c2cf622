/**
 * The exported page's preprocessing (app/export/mmsn_preprocess.js, plain JS shipped beside the encoder) is the
 * package's evaluation transform (data-loaders/views.ts `evalTransform`): the same float32 values, bit for bit,
 * for grey and colour pixels, 1 and 3 output channels, down- and upsampling, wide and tall images.
 */
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { EVAL_NORMALIZATION, evalTransform, makeRng, type Channels } from "../../../data-loaders/index.js";
import { evalTransform as pageTransform } from "../../../app/export/mmsn_preprocess.js";
import { loadEncoder } from "../../../app/export/mmsn_encoder.js";

/** Random 8-bit pixels, `channels` per pixel, with some structure (a gradient) so that resampling matters. */
function pixels(width: number, height: number, channels: number, seed: number): Uint8Array {
  const rng = makeRng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.floor(((i / channels) % width) * 0.5 + rng() * 128));
  return data;
}

/** Channel 0 of interleaved pixels: what data-loaders/image.ts decodes a colour file to. */
function channel0(data: Uint8Array, channels: number): Uint8Array {
  return data.filter((_, i) => i % channels === 0);
}

/** The first index where two arrays differ, with the values, or undefined. */
function firstDifference(a: Float32Array, b: Float32Array): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} vs ${b.length}`;
  const i = a.findIndex((v, j) => !Object.is(v, b[j]));
  return i < 0 ? undefined : `index ${i}: ${a[i]} vs ${b[i]}`;
}

describe("mmsn_preprocess.js (the exported page's preprocessing)", () => {
  const cases: [w: number, h: number, k: number, size: number, channels: Channels][] = [
    [60, 50, 1, 32, 1], // short side below 2×size: the probe decodes it as is
    [300, 200, 4, 32, 1], // RGBA, wide, 5.7× down
    [200, 333, 3, 64, 3], // RGB, tall, 3 output channels
    [1024, 1024, 1, 224, 3], // an NIH-sized image at the paper's size
    [20, 30, 2, 32, 1], // grey + alpha, upsampled
    [224, 224, 1, 224, 1], // 224 → 256 → crop: upsampling by 8/7
  ];
  for (const [w, h, k, size, channels] of cases) {
    it(`${w}×${h}×${k} → ${size}×${size}×${channels}: bit-identical to data-loaders evalTransform`, () => {
      const data = pixels(w, h, k, w * h + k);
      const ours = pageTransform({ data, width: w, height: h, channels: k }, { size, channels, normalization: EVAL_NORMALIZATION });
      const resize = Math.round((size * 256) / 224);
      const pkg = evalTransform({ width: w, height: h, data: channel0(data, k), bitDepth: 8 }, { resize, crop: size, channels, norm: EVAL_NORMALIZATION });
      assert.equal(firstDifference(ours, pkg), undefined);
    });
  }

  it("16-bit values with maxValue 65535 match the package's 16-bit path", () => {
    const rng = makeRng(3);
    const data = Uint16Array.from({ length: 90 * 70 }, () => Math.floor(rng() * 65536));
    const ours = pageTransform({ data, width: 90, height: 70, maxValue: 65535 }, { size: 32, channels: 1, normalization: EVAL_NORMALIZATION });
    const pkg = evalTransform({ width: 90, height: 70, data, bitDepth: 16 }, { resize: 37, crop: 32, channels: 1 });
    assert.equal(firstDifference(ours, pkg), undefined);
  });

  it("refuses pixel data that does not fit width × height × channels", () => {
    assert.throws(() => pageTransform({ data: new Uint8Array(10), width: 3, height: 3 }, { size: 32, channels: 1, normalization: EVAL_NORMALIZATION }), /width·height·channels/);
  });

  it("the encoder's preprocess(tensor) and preprocessPixels give the transform's values, leaking no tensor", async () => {
    const manifest = { format: "multimodal-msn/vit-encoder@1", config: { imgSize: 32, patchSize: 8, inChans: 3, embedDim: 8, depth: 0, numHeads: 1, layerNormEps: 1e-6 }, normalization: EVAL_NORMALIZATION, weightsManifest: [{ paths: [], weights: [] }] };
    const enc = await loadEncoder(tf, "mem/", async () => ({ json: async () => manifest, arrayBuffer: async () => new ArrayBuffer(0) }));
    const data = pixels(70, 40, 3, 9);
    const before = tf.memory().numTensors;
    const image = tf.tensor3d(data, [40, 70, 3], "int32");
    const a = enc.preprocess(image);
    const b = enc.preprocessPixels({ data, width: 70, height: 40 });
    assert.deepEqual(a.shape, [1, 32, 32, 3]);
    const want = evalTransform({ width: 70, height: 40, data: channel0(data, 3), bitDepth: 8 }, { resize: 37, crop: 32, channels: 3 });
    assert.equal(firstDifference(a.dataSync() as Float32Array, want), undefined);
    assert.equal(firstDifference(b.dataSync() as Float32Array, want), undefined);
    tf.dispose([image, a, b]);
    assert.equal(tf.memory().numTensors, before);
  });

  it("loadEncoder names the file and the HTTP status of a failed fetch", async () => {
    const notFound = async () => ({ ok: false, status: 404, json: async () => ({}), arrayBuffer: async () => new ArrayBuffer(0) });
    await assert.rejects(loadEncoder(tf, "http://127.0.0.1:1/web", notFound), /web\/model\.json: HTTP 404/);
  });
});
