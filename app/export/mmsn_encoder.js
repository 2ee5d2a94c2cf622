// @ts-check
// mmsn_encoder.js: the frozen MSN target encoder (ViT, CLS after the final LayerNorm) in plain tfjs.
// Usage (browser, served over HTTP): <script src="tf.min.js" integrity="sha384-…"></script>  (mmsn export ships tf.min.js)
//   const { loadEncoder } = await import("./mmsn_encoder.js");
//   const enc = await loadEncoder(tf, "./");                  // folder holding model.json + weights.bin
//   const x = enc.preprocessPixels(imageData);                 // [1, S, S, C]: the package's evaluation transform
//   const features = enc.encode(x);                            // [1, D]; dispose x and features when done
// Tensors returned by preprocess/preprocessPixels/encode belong to the caller; enc.dispose() frees the weights.
//
// (Source: app/export/mmsn_encoder.js in multimodal-msn, type-checked by `npm run typecheck` through the JSDoc
// types below; `mmsn export` copies it verbatim next to model.json with mmsn_preprocess.js, its one import. It
// needs nothing but the tfjs it is given.)

import { evalTransform } from "./mmsn_preprocess.js";

/** @typedef {typeof import("@tensorflow/tfjs-core")} Tfjs */
/** @typedef {import("@tensorflow/tfjs-core").Tensor} Tensor */
/** @typedef {import("@tensorflow/tfjs-core").Tensor2D} Tensor2D */
/** @typedef {import("@tensorflow/tfjs-core").Tensor3D} Tensor3D */
/** @typedef {import("@tensorflow/tfjs-core").Tensor4D} Tensor4D */
/** @typedef {import("@tensorflow/tfjs-core").NamedTensorMap} NamedTensorMap */
/** @typedef {import("@tensorflow/tfjs-core").io.WeightsManifestConfig} WeightsManifest */
/** @typedef {WeightsManifest[number]} WeightsGroup */

/**
 * The ViT config in model.json (the fields the forward pass reads).
 * @typedef {object} EncoderConfig
 * @property {number} imgSize image side S in pixels
 * @property {number} patchSize patch side in pixels
 * @property {number} inChans input channels C (1 or 3)
 * @property {number} embedDim token width D (the number of features)
 * @property {number} depth transformer blocks
 * @property {number} numHeads attention heads
 * @property {number} layerNormEps LayerNorm epsilon
 */

/**
 * Per-channel mean/std of the evaluation transform (RGB order, images scaled to [0, 1]).
 * @typedef {object} EncoderNormalization
 * @property {[number, number, number]} mean
 * @property {[number, number, number]} std
 */

/**
 * model.json of an exported encoder.
 * @typedef {object} EncoderManifest
 * @property {"multimodal-msn/vit-encoder@1"} format
 * @property {EncoderConfig} config
 * @property {EncoderNormalization} normalization
 * @property {number} step pretraining steps
 * @property {string} output what encode returns
 * @property {WeightsManifest} weightsManifest one group, `encoder.*` float32 weights
 */

/**
 * What loadEncoder needs of fetch: a response with json() and arrayBuffer(); `ok`/`status` where it has them.
 * @typedef {{ ok?: boolean; status?: number; json(): Promise<any>; arrayBuffer(): Promise<ArrayBuffer> }} FetchResponse
 * @typedef {(url: string) => Promise<FetchResponse>} FetchLike
 */

/** @typedef {import("./mmsn_preprocess.js").Pixels} Pixels */

/**
 * fetchFn(url), refusing an HTTP error status (a 404 page is not model.json).
 * @param {FetchLike} fetchFn
 * @param {string} url
 * @returns {Promise<FetchResponse>}
 */
async function fetchOk(fetchFn, url) {
  const res = await fetchFn(url);
  if (res.ok === false) throw new Error(url + ": HTTP " + res.status + " (is the file in the exported folder?)");
  return res;
}

/**
 * Load the encoder from a folder URL; fetchFn defaults to the global fetch (pass another one in Node).
 * @param {Tfjs} tf the tfjs namespace (in a browser page, the global `tf`)
 * @param {string} baseUrl folder holding model.json + weights.bin
 * @param {FetchLike} [fetchFn]
 * @returns {Promise<Encoder>}
 */
export async function loadEncoder(tf, baseUrl, fetchFn = globalThis.fetch) {
  const base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
  /** @type {EncoderManifest} */
  const manifest = await (await fetchOk(fetchFn, base + "model.json")).json();
  if (manifest.format !== "multimodal-msn/vit-encoder@1") throw new Error("model.json: not an exported multimodal-msn encoder");
  const group = /** @type {WeightsGroup} */ (manifest.weightsManifest[0]);
  const parts = await Promise.all(group.paths.map(async (p) => (await fetchOk(fetchFn, base + p)).arrayBuffer()));
  const weights = tf.io.decodeWeights(parts.length === 1 ? /** @type {ArrayBuffer} */ (parts[0]) : parts, group.weights);
  return new Encoder(tf, manifest, weights);
}

class Encoder {
  /**
   * @param {Tfjs} tf
   * @param {EncoderManifest} manifest
   * @param {NamedTensorMap} weights
   */
  constructor(tf, manifest, weights) {
    this.tf = tf;
    this.config = manifest.config;
    this.normalization = manifest.normalization;
    this.w = weights;
  }

  /** Number of features per image. */
  get dim() {
    return this.config.embedDim;
  }

  /**
   * The package's evaluation transform (mmsn_preprocess.js: resize the shorter side to round(S·256/224) with an
   * antialiased triangle filter, centre-crop S×S, scale to [0, 1], normalise) of decoded pixels, e.g. a canvas
   * ImageData (RGBA: channel 0 is used, as the package does). Returns [1, S, S, C].
   * @param {Pixels} pixels
   * @returns {Tensor4D}
   */
  preprocessPixels(pixels) {
    const { imgSize: S, inChans: C } = this.config;
    const x = evalTransform(pixels, { size: S, channels: C === 1 ? 1 : 3, normalization: this.normalization });
    return this.tf.tensor4d(x, [1, S, S, C === 1 ? 1 : 3]);
  }

  /**
   * {@link preprocessPixels} of an image tensor [H, W, K] with values 0..255 (e.g. tf.browser.fromPixels(img)):
   * channel 0 is used. Reads the tensor synchronously (dataSync). Returns [1, S, S, C].
   * @param {Tensor3D} image
   * @returns {Tensor4D}
   */
  preprocess(image) {
    const [height, width, channels] = image.shape;
    return this.preprocessPixels({ data: image.dataSync(), width, height, channels });
  }

  /**
   * CLS features of the frozen target encoder: images [B, S, S, C] (preprocessed) → [B, D].
   * @param {Tensor4D} images
   * @returns {Tensor2D}
   */
  encode(images) {
    const tf = this.tf;
    const { patchSize: p, inChans: c, embedDim: d, depth, numHeads: nh, layerNormEps: eps, imgSize } = this.config;
    const [b, h, w, ch] = images.shape;
    if (h !== imgSize || w !== imgSize || ch !== c) throw new Error("encode expects [B, " + imgSize + ", " + imgSize + ", " + c + "] images, got [" + images.shape + "]");
    /** @type {(n: string) => Tensor} */
    const W = (n) => /** @type {Tensor} */ (this.w["encoder." + n]);
    /** @type {(x: Tensor, g: Tensor, bb: Tensor) => Tensor} */
    const ln = (x, g, bb) => {
      const mean = tf.mean(x, 1, true);
      const xc = tf.sub(x, mean);
      return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps))), g), bb);
    };
    /** @type {(x: Tensor, n: string, bias?: boolean) => Tensor} */
    const lin = (x, n, bias = true) => (bias ? tf.add(tf.matMul(x, W(n + ".weight")), W(n + ".bias")) : tf.matMul(x, W(n + ".weight")));
    return tf.tidy(() => {
      const g = h / p;
      const t = g * g + 1;
      const patches = tf.reshape(tf.transpose(tf.reshape(images, [b * g, p, g, p * c]), [0, 2, 1, 3]), [b * g * g, p * p * c]);
      const tok = tf.reshape(lin(patches, "patch_embed"), [b, g * g, d]);
      const cls = tf.tile(tf.reshape(W("cls_token"), [1, 1, d]), [b, 1, 1]);
      let x = tf.reshape(tf.add(tf.concat([cls, tok], 1), W("pos_embed")), [b * t, d]);
      const dh = d / nh;
      /** @type {(y: Tensor) => Tensor} */
      const heads = (y) => tf.reshape(tf.transpose(tf.reshape(y, [b, t, nh, dh]), [0, 2, 1, 3]), [b * nh, t, dh]);
      for (let i = 0; i < depth; i++) {
        const k = "blocks." + i + ".";
        const hN = ln(x, W(k + "norm1.weight"), W(k + "norm1.bias"));
        const qkvBias = W(k + "attn.q.bias") !== undefined;
        const q = tf.mul(heads(lin(hN, k + "attn.q", qkvBias)), 1 / Math.sqrt(dh));
        const att = tf.softmax(tf.matMul(q, heads(lin(hN, k + "attn.k", qkvBias)), false, true));
        const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, heads(lin(hN, k + "attn.v", qkvBias))), [b, nh, t, dh]), [0, 2, 1, 3]), [b * t, d]);
        const x1 = tf.add(x, lin(o, k + "attn.proj"));
        const h2 = ln(x1, W(k + "norm2.weight"), W(k + "norm2.bias"));
        const z = lin(h2, k + "mlp.fc1");
        const gelu = tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2))));
        x = tf.add(x1, lin(gelu, k + "mlp.fc2"));
      }
      const clsOut = tf.reshape(tf.slice(tf.reshape(x, [b, t, d]), [0, 0, 0], [b, 1, d]), [b, d]);
      return /** @type {Tensor2D} */ (ln(clsOut, W("norm.weight"), W("norm.bias")));
    });
  }

  /** Free the weights. */
  dispose() {
    this.tf.dispose(Object.values(this.w));
  }
}
