/**
 * Fused multi-head attention on the device, composed from device ops (the addon has no single attention
 * call): head transposes, batched GEMMs with the scale folded into alpha, row softmax and its backward.
 * q, k, v are [B·T, H·dh] with heads in column blocks, as the linear layers produce them. Every temporary
 * is a device buffer freed before the kernel returns; only the outputs go to the engine.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Buf } from "../addon.js";
import { attentionCall } from "../../kernel_shapes.js";
import { type Backend, type KernelArgs, withTemps } from "./util.js";

/** Dimensions and the two head-layout transposes of one attention call. */
function layout(be: Backend, b: number, t: number, h: number, dh: number) {
  const toHeads = (x: Buf, out: Buf) => be.addon.transpose([b, t, h, dh], [0, 2, 1, 3], x, out); // [B·T, H·dh] → [B·H, T, dh]
  const fromHeads = (x: Buf, out: Buf) => be.addon.transpose([b, h, t, dh], [0, 2, 1, 3], x, out); // [B·H, T, dh] → [B·T, H·dh]
  const bh = b * h;
  /** c = alpha·op(x)·op(y) per head: [T, ·]·[·, ·] with square T×T or T×dh blocks. */
  const gemm = (ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, x: Buf, y: Buf, c: Buf) =>
    be.addon.batchMatmul(ta, tb, m, n, k, bh, m * k, k * n, alpha, x, y, c);
  return { toHeads, fromHeads, gemm, bh };
}

/** inputs q, k, v [B·T, D]; attrs batch, heads, scale → [o [B·T, D], probabilities [B, H, T, T]]. */
export function attention({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { batch, heads, scale, rows, d, t, dh, inputs: x } = attentionCall("MmsnAttention", inputs, attrs);
  const [qb, kb, vb] = [be.buf(x.q), be.buf(x.k), be.buf(x.v)];
  const o = be.makeOutput([rows, d], "float32"); // [B·T, D]
  const p = be.makeOutput([batch, heads, t, t], "float32"); // [B, H, T, T]
  if (rows * d === 0) return [o.info, p.info];
  const { toHeads, fromHeads, gemm, bh } = layout(be, batch, t, heads, dh);
  const nh = rows * d;
  withTemps(be, [nh, nh, nh, bh * t * t, nh], ([qh, kh, vh, s, oh]) => {
    toHeads(qb, qh!); // [B·H, T, dh]
    toHeads(kb, kh!); // [B·H, T, dh]
    toHeads(vb, vh!); // [B·H, T, dh]
    gemm(false, true, t, t, dh, scale, qh!, kh!, s!); // s = scale·q·kᵀ  [B·H, T, T]
    be.addon.softmax(bh * t, t, false, s!, p.buf); // p = softmax rows  [B·H, T, T]
    gemm(false, false, t, dh, t, 1, p.buf, vh!, oh!); // o = p·v  [B·H, T, dh]
    fromHeads(oh!, o.buf); // [B·T, D]
  });
  return [o.info, p.info];
}

/** inputs dy, q, k, v [B·T, D], probs [B, H, T, T]; same attrs → [dq, dk, dv] [B·T, D]. */
export function attentionGrad({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { batch, heads, scale, rows, d, t, dh, inputs: x } = attentionCall("MmsnAttentionGrad", inputs, attrs);
  const [dyb, qb, kb, vb, pb] = [be.buf(x.dy), be.buf(x.q), be.buf(x.k), be.buf(x.v), be.buf(x.probs)];
  const [dq, dk, dv] = [0, 1, 2].map(() => be.makeOutput([rows, d], "float32")); // [B·T, D] each
  if (rows * d === 0) return [dq!.info, dk!.info, dv!.info];
  const { toHeads, fromHeads, gemm, bh } = layout(be, batch, t, heads, dh);
  const nh = rows * d;
  const tt = bh * t * t;
  withTemps(be, [nh, nh, nh, nh, tt, tt, nh], ([doh, qh, kh, vh, dp, ds, gh]) => {
    toHeads(dyb, doh!); // dO  [B·H, T, dh]
    toHeads(qb, qh!); // [B·H, T, dh]
    toHeads(kb, kh!); // [B·H, T, dh]
    toHeads(vb, vh!); // [B·H, T, dh]
    gemm(false, true, t, t, dh, 1, doh!, vh!, dp!); // dp = dO·vᵀ  [B·H, T, T]
    gemm(true, false, t, dh, t, 1, pb!, doh!, gh!); // dv = pᵀ·dO  [B·H, T, dh]
    fromHeads(gh!, dv!.buf); // [B·T, D]
    be.addon.softmaxGrad(bh * t, t, scale, pb!, dp!, ds!); // ds = scale·p·(dp − Σ p·dp)  [B·H, T, T]
    gemm(false, false, t, dh, t, 1, ds!, kh!, gh!); // dq = ds·k  [B·H, T, dh]
    fromHeads(gh!, dq!.buf); // [B·T, D]
    gemm(true, false, t, dh, t, 1, ds!, qh!, gh!); // dk = dsᵀ·q  [B·H, T, dh]
    fromHeads(gh!, dk!.buf); // [B·T, D]
  });
  return [dq!.info, dk!.info, dv!.info];
}
