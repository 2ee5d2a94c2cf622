/**
 * Kernels that replace a composite of several tfjs ops: Softmax (last axis), and the package's own fused
 * LayerNorm, GELU and AdamW kernels (names in ../fused_ops.ts, which is how src/nn and src/train call them).
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

export function softmax({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { logits } = inputs as { logits: tf.TensorInfo };
  const { dim } = attrs as unknown as { dim: number };
  const xv = f32(be, logits);
  const r = logits.shape.length;
  if (!xv || r === 0 || (dim !== -1 && dim !== r - 1)) return undefined;
  const cols = logits.shape[r - 1]!;
  const out = output(be, logits.shape.slice());
  if (xv.length > 0) be.addon.softmax(xv.length / cols, cols, xv, out.values);
  return out.info;
}

/** inputs x [N, D], gamma [D], beta [D]; attrs eps → [y [N,D], xhat [N,D], rstd [N,1]]. */
export function layerNorm({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const [n, d] = x!.shape as [number, number];
  const y = output(be, [n, d]);
  const xhat = output(be, [n, d]);
  const rstd = output(be, [n, 1]);
  be.addon.layerNormFwd(n, d, (attrs as { eps: number }).eps, f32(be, x!)!, f32(be, gamma!)!, f32(be, beta!)!, y.values, xhat.values, rstd.values);
  return [y.info, xhat.info, rstd.info];
}

/** inputs dy, xhat [N, D], rstd [N, 1], gamma [D] → [dx [N,D], dgamma [D], dbeta [D]]. */
export function layerNormGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { dy, xhat, rstd, gamma } = inputs as Record<string, tf.TensorInfo>;
  const [n, d] = dy!.shape as [number, number];
  const dx = output(be, [n, d]);
  const dg = output(be, [d]);
  const db = output(be, [d]);
  be.addon.layerNormBwd(n, d, f32(be, dy!)!, f32(be, xhat!)!, f32(be, rstd!)!, f32(be, gamma!)!, dx.values, dg.values, db.values);
  return [dx.info, dg.info, db.info];
}

/** x → x·Φ(x), any shape. */
export function gelu({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = f32(be, x)!;
  const y = output(be, x.shape.slice());
  be.addon.geluFwd(xv.length, xv, y.values);
  return y.info;
}

/** (dy, x) → dy·(Φ(x) + x·φ(x)). */
export function geluGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { dy, x } = inputs as Record<string, tf.TensorInfo>;
  const xv = f32(be, x!)!;
  const dx = output(be, x!.shape.slice());
  be.addon.geluBwd(xv.length, f32(be, dy!)!, xv, dx.values);
  return dx.info;
}

/** inputs p, m, v, g (same shape); attrs decay, b1, b2, gscale, invBc2Sqrt, eps, lrBc1 → [p', m', v']. */
export function adamw({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { p, m, v, g } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as Record<string, number>;
  const po = output(be, p!.shape.slice());
  const mo = output(be, p!.shape.slice());
  const vo = output(be, p!.shape.slice());
  be.addon.adamw(po.values.length, a.decay!, a.b1!, a.b2!, a.gscale!, a.invBc2Sqrt!, a.eps!, a.lrBc1!,
    f32(be, p!)!, f32(be, m!)!, f32(be, v!)!, f32(be, g!)!, po.values, mo.values, vo.values);
  return [po.info, mo.info, vo.info];
}

interface AttentionAttrs {
  batch: number;
  heads: number;
  scale: number;
}

/** inputs q, k, v [B·T, D]; attrs batch, heads, scale → [o [B·T, D], probabilities [B, H, T, T]]. */
export function attention({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { q, k, v } = inputs as Record<string, tf.TensorInfo>;
  const { batch, heads, scale } = attrs as unknown as AttentionAttrs;
  const [rows, d] = q!.shape as [number, number];
  const t = rows / batch;
  const o = output(be, [rows, d]);
  const p = output(be, [batch, heads, t, t]);
  be.addon.attentionFwd(batch, t, heads, d / heads, scale, f32(be, q!)!, f32(be, k!)!, f32(be, v!)!, o.values, p.values);
  return [o.info, p.info];
}

/** inputs dy, q, k, v [B·T, D], probs [B, H, T, T]; same attrs → [dq, dk, dv]. */
export function attentionGrad({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { dy, q, k, v, probs } = inputs as Record<string, tf.TensorInfo>;
  const { batch, heads, scale } = attrs as unknown as AttentionAttrs;
  const [rows, d] = q!.shape as [number, number];
  const [dq, dk, dv] = [0, 1, 2].map(() => output(be, [rows, d]));
  be.addon.attentionBwd(batch, rows / batch, heads, d / heads, scale, f32(be, dy!)!, f32(be, q!)!, f32(be, k!)!, f32(be, v!)!, f32(be, probs!)!, dq!.values, dk!.values, dv!.values);
  return [dq!.info, dk!.info, dv!.info];
}
