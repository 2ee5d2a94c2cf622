/**
 * Kernels that replace a composite of several tfjs ops: Softmax (last axis), and the package's own fused
 * LayerNorm, GELU and AdamW kernels (names in ../fused_ops.ts, which is how src/nn and src/train call them).
 */
import * as tf from "@tensorflow/tfjs-core";
import { attentionCall, checkFusedInput, rows2d } from "../../kernel_shapes.js";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

/** float32 values of a fused kernel's input, after the shared checks (present, float32, exactly `shape`). */
function input(be: Backend, kernel: string, name: string, t: tf.TensorInfo | undefined, shape: readonly number[]): Float32Array {
  return f32(be, checkFusedInput(kernel, name, t, shape))!;
}

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
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo | undefined>;
  const K = "MmsnLayerNorm";
  const [n, d] = rows2d(K, "x", x);
  const [xv, gv, bv] = [input(be, K, "x", x, [n, d]), input(be, K, "gamma", gamma, [d]), input(be, K, "beta", beta, [d])];
  const y = output(be, [n, d]);
  const xhat = output(be, [n, d]);
  const rstd = output(be, [n, 1]);
  be.addon.layerNormFwd(n, d, (attrs as { eps: number }).eps, xv, gv, bv, y.values, xhat.values, rstd.values);
  return [y.info, xhat.info, rstd.info];
}

/** inputs dy, xhat [N, D], rstd [N, 1], gamma [D] → [dx [N,D], dgamma [D], dbeta [D]]. */
export function layerNormGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { dy, xhat, rstd, gamma } = inputs as Record<string, tf.TensorInfo | undefined>;
  const K = "MmsnLayerNormGrad";
  const [n, d] = rows2d(K, "dy", dy);
  const vals = [input(be, K, "dy", dy, [n, d]), input(be, K, "xhat", xhat, [n, d]), input(be, K, "rstd", rstd, [n, 1]), input(be, K, "gamma", gamma, [d])] as const;
  const dx = output(be, [n, d]);
  const dg = output(be, [d]);
  const db = output(be, [d]);
  be.addon.layerNormBwd(n, d, ...vals, dx.values, dg.values, db.values);
  return [dx.info, dg.info, db.info];
}

/** x → x·Φ(x), any shape. */
export function gelu({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = input(be, "MmsnGelu", "x", x, x.shape);
  const y = output(be, x.shape.slice());
  be.addon.geluFwd(xv.length, xv, y.values);
  return y.info;
}

/** (dy, x) → dy·(Φ(x) + x·φ(x)). */
export function geluGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { dy, x } = inputs as Record<string, tf.TensorInfo>;
  const xv = input(be, "MmsnGeluGrad", "x", x, x!.shape);
  const dyv = input(be, "MmsnGeluGrad", "dy", dy, x!.shape);
  const dx = output(be, x!.shape.slice());
  be.addon.geluBwd(xv.length, dyv, xv, dx.values);
  return dx.info;
}

/** inputs p, m, v, g (same shape); attrs decay, b1, b2, gscale, invBc2Sqrt, eps, lrBc1 → [p', m', v']. */
export function adamw({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { p } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as Record<string, number>;
  const K = "MmsnAdamW";
  const vals = (["p", "m", "v", "g"] as const).map((name) => input(be, K, name, inputs[name] as tf.TensorInfo | undefined, p!.shape));
  const po = output(be, p!.shape.slice());
  const mo = output(be, p!.shape.slice());
  const vo = output(be, p!.shape.slice());
  be.addon.adamw(po.values.length, a.decay!, a.b1!, a.b2!, a.gscale!, a.invBc2Sqrt!, a.eps!, a.lrBc1!,
    vals[0]!, vals[1]!, vals[2]!, vals[3]!, po.values, mo.values, vo.values);
  return [po.info, mo.info, vo.info];
}

/** inputs q, k, v [B·T, D]; attrs batch, heads, scale → [o [B·T, D], probabilities [B, H, T, T]]. */
export function attention({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { batch, heads, scale, rows, d, t, dh, inputs: x } = attentionCall("MmsnAttention", inputs, attrs);
  const o = output(be, [rows, d]);
  const p = output(be, [batch, heads, t, t]);
  be.addon.attentionFwd(batch, t, heads, dh, scale, f32(be, x.q)!, f32(be, x.k)!, f32(be, x.v)!, o.values, p.values);
  return [o.info, p.info];
}

/** inputs dy, q, k, v [B·T, D], probs [B, H, T, T]; same attrs → [dq, dk, dv]. */
export function attentionGrad({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { batch, heads, scale, rows, d, t, dh, inputs: x } = attentionCall("MmsnAttentionGrad", inputs, attrs);
  const [dq, dk, dv] = [0, 1, 2].map(() => output(be, [rows, d]));
  be.addon.attentionBwd(batch, t, heads, dh, scale, f32(be, x.dy)!, f32(be, x.q)!, f32(be, x.k)!, f32(be, x.v)!, f32(be, x.probs)!,
    dq!.values, dk!.values, dv!.values);
  return [dq!.info, dk!.info, dv!.info];
}
