/**
 * Vision Transformer encoder (Dosovitskiy et al. 2020, arXiv:2010.11929), the backbone of MSN.
 * Pre-norm blocks, exact GELU, learned positional embedding with a CLS token, positional embeddings
 * resized bicubically for views smaller than the training size (96-px focal views), optional token
 * dropping by kept-index gather after the positional embedding (lightly MAEBackbone, msn deit.py).
 * Output: the CLS token after the final LayerNorm, shape [B, D].
 *
 * Images are NHWC. Patch embedding = a stride-p convolution written as reshape/transpose + one matMul,
 * with the weight stored [p·p·C, D] in (row, col, channel) order.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ViTConfig } from "../config/vit.js";
import type { KeepIndices } from "./masking.js";
import { validateKeepIndices } from "./masking.js";
import { bicubicGridMatrix } from "../nn/interpolate.js";
import { gatherRows, gelu, inverseIndex, layerNorm, linear, mm2d, multiHeadAttention, transformerBlock } from "../nn/ops.js";
import { hasFusedKernels } from "../backend/fused_ops.js";
import { type InitScheme, TRUNC_NORMAL_02, normalInit, torchLinearWeight, torchTruncNormal, xavierUniform } from "../nn/init.js";
import type { Init, ParamStore } from "../nn/params.js";

/** The random inits of one encoder (norms, and the biases not listed, are one/zero in both schemes). */
interface ViTInits {
  readonly patchEmbed: Init;
  readonly clsToken: Init;
  readonly posEmbed: Init;
  /** Each of q, k, v. */
  readonly qkv: Init;
  readonly attnProj: Init;
  /** fc1 and fc2 weights (their bounds agree: xavier's is symmetric in the fans). */
  readonly mlpWeight: Init;
  readonly mlpBias: Init;
}

/** The project's original scheme: trunc-normal(0.02) weights and positions, a near-zero CLS token, zero biases. */
function truncNormalViTInits(): ViTInits {
  const w = TRUNC_NORMAL_02;
  return { patchEmbed: w, clsToken: { kind: "truncNormal", std: 1e-6 }, posEmbed: w, qkv: w, attnProj: w, mlpWeight: w, mlpBias: { kind: "zeros" } };
}

/**
 * torchvision's VisionTransformer init (unchanged by lightly's MAEBackbone.from_vit), for a patch fan-in of
 * C·p·p, width D and MLP width H.
 */
function torchViTInits(patchFanIn: number, d: number, hidden: number): ViTInits {
  return {
    patchEmbed: torchTruncNormal(Math.sqrt(1 / patchFanIn)), // conv_proj: trunc_normal_(std=√(1/fan_in)), bias zero
    clsToken: { kind: "zeros" }, // class_token = zeros
    posEmbed: normalInit(0.02), // pos_embedding.normal_(std=0.02)
    qkv: xavierUniform(d, 3 * d), // MultiheadAttention: xavier_uniform_ of the [3D, D] in_proj_weight; in_proj_bias zero
    attnProj: torchLinearWeight(d), // out_proj keeps nn.Linear's weight init; its bias is zeroed
    mlpWeight: xavierUniform(d, hidden), // MLPBlock: xavier_uniform_ weights
    mlpBias: normalInit(1e-6), // MLPBlock: normal_(bias, std=1e-6)
  };
}

/** A ViT encoder (pre-norm blocks, CLS token, learned positions) whose forward takes MSN's patch-keep masks. */
export class VisionTransformer {
  private readonly interp = new Map<number, Float32Array>();

  /**
   * Create the encoder's variables in `store` under `prefix`. The store owns the variables.
   * @param init the initialisation scheme (src/nn/init.ts): the project's trunc-normal(0.02), or torchvision's
   *   VisionTransformer init as the official CXR-EHR-MSN code gets it.
   */
  constructor(
    readonly config: ViTConfig,
    readonly store: ParamStore,
    readonly prefix = "",
    readonly init: InitScheme = "trunc_normal",
  ) {
    const { patchSize: p, inChans: c, embedDim: d, depth, imgSize } = config;
    const n = (imgSize / p) ** 2;
    const hidden = config.mlpRatio * d;
    const nd = { noDecay: true };
    const w = init === "torch" ? torchViTInits(p * p * c, d, hidden) : truncNormalViTInits();
    store.add(this.n("patch_embed.weight"), [p * p * c, d], w.patchEmbed);
    store.add(this.n("patch_embed.bias"), [d], { kind: "zeros" }, nd);
    // cls_token and pos_embed are not 1-D, so MSN's param-group rule decays them
    store.add(this.n("cls_token"), [1, d], w.clsToken);
    store.add(this.n("pos_embed"), [n + 1, d], w.posEmbed);
    for (let i = 0; i < depth; i++) {
      const b = `blocks.${i}.`;
      store.add(this.n(b + "norm1.weight"), [d], { kind: "ones" }, nd);
      store.add(this.n(b + "norm1.bias"), [d], { kind: "zeros" }, nd);
      for (const qkv of ["q", "k", "v"]) {
        store.add(this.n(`${b}attn.${qkv}.weight`), [d, d], w.qkv);
        if (config.qkvBias) store.add(this.n(`${b}attn.${qkv}.bias`), [d], { kind: "zeros" }, nd);
      }
      store.add(this.n(b + "attn.proj.weight"), [d, d], w.attnProj);
      store.add(this.n(b + "attn.proj.bias"), [d], { kind: "zeros" }, nd);
      store.add(this.n(b + "norm2.weight"), [d], { kind: "ones" }, nd);
      store.add(this.n(b + "norm2.bias"), [d], { kind: "zeros" }, nd);
      store.add(this.n(b + "mlp.fc1.weight"), [d, hidden], w.mlpWeight);
      store.add(this.n(b + "mlp.fc1.bias"), [hidden], w.mlpBias, nd);
      store.add(this.n(b + "mlp.fc2.weight"), [hidden, d], w.mlpWeight);
      store.add(this.n(b + "mlp.fc2.bias"), [d], w.mlpBias, nd);
    }
    store.add(this.n("norm.weight"), [d], { kind: "ones" }, nd);
    store.add(this.n("norm.bias"), [d], { kind: "zeros" }, nd);
  }

  private n(s: string): string {
    return this.prefix + s;
  }

  private v<R extends tf.Rank>(s: string): tf.Tensor<R> {
    return this.store.get(this.prefix + s) as unknown as tf.Tensor<R>;
  }

  /**
   * Patch tokens with CLS and positional embedding: [B, S, S, C] → [B, 1+N, D]. Caller owns the result.
   */
  embed(images: tf.Tensor4D): tf.Tensor3D {
    const { patchSize: p, inChans: c, embedDim: d } = this.config;
    const [bsz, h, w, ch] = images.shape;
    if (ch !== c) throw new Error(`ViT expects ${c} input channel(s), got images of shape [${images.shape}]`);
    if (h !== w || h % p !== 0) throw new Error(`ViT expects square images with a side divisible by ${p}, got [${images.shape}]`);
    const g = h / p;
    // [B, H, W, C] → [B·g, p, g, p·C] → [B·g, g, p, p·C] → [B·N, p·p·C]   (rank-4 transposes only)
    const patches = tf.reshape(tf.transpose(tf.reshape(images, [bsz * g, p, g, p * c]), [0, 2, 1, 3]), [bsz * g * g, p * p * c]);
    const tok = tf.reshape(linear(patches as tf.Tensor2D, this.v("patch_embed.weight"), this.v("patch_embed.bias")), [bsz, g * g, d]); // [B, N, D]
    const cls = tf.tile(tf.reshape(this.v("cls_token"), [1, 1, d]), [bsz, 1, 1]); // [B, 1, D]
    return tf.add(tf.concat([cls, tok], 1), this.posEmbed(g)) as tf.Tensor3D; // [B, 1+N, D]
  }

  /** Positional embeddings for a g×g grid, bicubically resized when g differs from the training grid. [1+g², D]. */
  posEmbed(g: number): tf.Tensor2D {
    const g0 = this.config.imgSize / this.config.patchSize;
    const pos = this.v<tf.Rank.R2>("pos_embed"); // [1+g0², D]
    if (g === g0) return pos;
    let m = this.interp.get(g);
    if (!m) this.interp.set(g, (m = bicubicGridMatrix(g0, g)));
    const d = this.config.embedDim;
    const clsPos = tf.slice(pos, [0, 0], [1, d]); // [1, D]
    const grid = tf.slice(pos, [1, 0], [g0 * g0, d]); // [g0², D]
    return tf.concat([clsPos, mm2d(tf.tensor2d(m, [g * g, g0 * g0]), grid)], 0); // [1+g², D]
  }

  /**
   * Encode images to CLS features after the final norm. [B, S, S, C] → [B, D]; caller owns the result.
   * @param keep tokens to keep per image (patch dropping); all tokens when omitted.
   */
  forward(images: tf.Tensor4D, keep?: KeepIndices): tf.Tensor2D {
    return tf.tidy(() => {
      const x = this.tokens(images, keep); // [B, T, D]
      const [bsz, , d] = x.shape;
      const cls = tf.reshape(tf.slice(x, [0, 0, 0], [bsz, 1, d]), [bsz, d]) as tf.Tensor2D; // [B, D]
      return layerNorm(cls, this.v("norm.weight"), this.v("norm.bias"), this.config.layerNormEps);
    });
  }

  /**
   * All tokens after the last block (before the final norm). [B, S, S, C] → [B, T, D]; caller owns the result.
   * @param attention when given, receives each block's attention probabilities [B, H, T, T] (caller disposes them).
   */
  tokens(images: tf.Tensor4D, keep?: KeepIndices, attention?: tf.Tensor4D[]): tf.Tensor3D {
    let x = this.embed(images); // [B, 1+N, D]
    const [bsz, tokens, d] = x.shape;
    let t = tokens;
    if (keep) {
      validateKeepIndices(keep, bsz, tokens);
      const flat = new Int32Array(keep.idx.length);
      for (let b = 0; b < bsz; b++)
        for (let j = 0; j < keep.keep; j++) flat[b * keep.keep + j] = b * tokens + keep.idx[b * keep.keep + j]!;
      t = keep.keep;
      x = tf.reshape(gatherRows(tf.reshape(x, [bsz * tokens, d]) as tf.Tensor2D, flat, inverseIndex(flat, bsz * tokens)), [bsz, t, d]); // [B, K, D]
    }
    let h = tf.reshape(x, [bsz * t, d]) as tf.Tensor2D; // [B·T, D]
    for (let i = 0; i < this.config.depth; i++) h = this.block(i, h, bsz, t, attention);
    return tf.reshape(h, [bsz, t, d]);
  }

  private block(i: number, x: tf.Tensor2D, bsz: number, t: number, attention?: tf.Tensor4D[]): tf.Tensor2D {
    const b = `blocks.${i}.`;
    const { numHeads: nh, layerNormEps: eps, qkvBias } = this.config;
    if (!attention && hasFusedKernels()) {
      // one tape op per block on the fused backends (the same kernels and numerics as below)
      const w = <R extends tf.Rank>(s: string) => this.v<R>(b + s);
      const bias = (s: string) => (qkvBias ? w<tf.Rank.R1>(`attn.${s}.bias`) : undefined);
      const params = {
        ln1g: w<tf.Rank.R1>("norm1.weight"), ln1b: w<tf.Rank.R1>("norm1.bias"),
        wq: w<tf.Rank.R2>("attn.q.weight"), wk: w<tf.Rank.R2>("attn.k.weight"), wv: w<tf.Rank.R2>("attn.v.weight"),
        bq: bias("q"), bk: bias("k"), bv: bias("v"),
        wp: w<tf.Rank.R2>("attn.proj.weight"), bp: w<tf.Rank.R1>("attn.proj.bias"),
        ln2g: w<tf.Rank.R1>("norm2.weight"), ln2b: w<tf.Rank.R1>("norm2.bias"),
        w1: w<tf.Rank.R2>("mlp.fc1.weight"), b1: w<tf.Rank.R1>("mlp.fc1.bias"), w2: w<tf.Rank.R2>("mlp.fc2.weight"), b2: w<tf.Rank.R1>("mlp.fc2.bias"),
      };
      return transformerBlock(x, params, bsz, nh, eps);
    }
    const h = layerNorm(x, this.v(b + "norm1.weight"), this.v(b + "norm1.bias"), eps); // [B·T, D]
    const proj = (name: string) => linear(h, this.v(`${b}attn.${name}.weight`), qkvBias ? this.v(`${b}attn.${name}.bias`) : undefined); // [B·T, D]
    const o = multiHeadAttention(proj("q"), proj("k"), proj("v"), bsz, nh, attention); // [B·T, D]
    const x1 = tf.add(x, linear(o as tf.Tensor2D, this.v(b + "attn.proj.weight"), this.v(b + "attn.proj.bias"))); // [B·T, D]
    const h2 = layerNorm(x1 as tf.Tensor2D, this.v(b + "norm2.weight"), this.v(b + "norm2.bias"), eps);
    const m = linear(gelu(linear(h2, this.v(b + "mlp.fc1.weight"), this.v(b + "mlp.fc1.bias"))), this.v(b + "mlp.fc2.weight"), this.v(b + "mlp.fc2.bias"));
    return tf.add(x1, m) as tf.Tensor2D; // [B·T, D]
  }
}
