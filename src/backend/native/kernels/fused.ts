/**
 * Kernels that replace a composite of several tfjs ops: Softmax (last axis), and the package's own fused
 * LayerNorm, GELU, AdamW and attention kernels (names in ../../fused_ops.ts, which is how src/nn and src/optim call them).
 */
import * as tf from "@tensorflow/tfjs-core";
import { attentionCall, fusedInputs } from "../../kernel_shapes.js";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

/** float32 values of a fused kernel's input that `fusedInputs` checked. */
const values = (be: Backend, t: tf.TensorInfo): Float32Array => f32(be, t)!;

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
  const { x, gamma, beta } = fusedInputs("MmsnLayerNorm", inputs);
  const [n, d] = x.shape as [number, number];
  const [xv, gv, bv] = [x, gamma, beta].map((t) => values(be, t));
  const y = output(be, [n, d]);
  const xhat = output(be, [n, d]);
  const rstd = output(be, [n, 1]);
  be.addon.layerNormFwd(n, d, (attrs as { eps: number }).eps, xv!, gv!, bv!, y.values, xhat.values, rstd.values);
  return [y.info, xhat.info, rstd.info];
}

/** inputs dy, xhat [N, D], rstd [N, 1], gamma [D] → [dx [N,D], dgamma [D], dbeta [D]]. */
export function layerNormGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { dy, xhat, rstd, gamma } = fusedInputs("MmsnLayerNormGrad", inputs);
  const [n, d] = dy.shape as [number, number];
  const vals = [values(be, dy), values(be, xhat), values(be, rstd), values(be, gamma)] as const;
  const dx = output(be, [n, d]);
  const dg = output(be, [d]);
  const db = output(be, [d]);
  be.addon.layerNormBwd(n, d, ...vals, dx.values, dg.values, db.values);
  return [dx.info, dg.info, db.info];
}

/** x → x·Φ(x), any shape. */
export function gelu({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { x } = fusedInputs("MmsnGelu", inputs);
  const xv = values(be, x);
  const y = output(be, x.shape.slice());
  be.addon.geluFwd(xv.length, xv, y.values);
  return y.info;
}

/** (dy, x) → dy·(Φ(x) + x·φ(x)). */
export function geluGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { dy, x } = fusedInputs("MmsnGeluGrad", inputs);
  const [xv, dyv] = [values(be, x), values(be, dy)];
  const dx = output(be, x.shape.slice());
  be.addon.geluBwd(xv.length, dyv, xv, dx.values);
  return dx.info;
}

/** inputs p, m, v, g (same shape); attrs decay, b1, b2, gscale, invBc2Sqrt, eps, lrBc1 → [p', m', v']. */
export function adamw({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { p, m, v, g } = fusedInputs("MmsnAdamW", inputs);
  const a = attrs as Record<string, number>;
  const [po, mo, vo] = [0, 1, 2].map(() => output(be, p.shape.slice())) as [ReturnType<typeof output>, ReturnType<typeof output>, ReturnType<typeof output>];
  be.addon.adamw(po.values.length, a.decay!, a.b1!, a.b2!, a.gscale!, a.invBc2Sqrt!, a.eps!, a.lrBc1!,
    values(be, p), values(be, m), values(be, v), values(be, g), po.values, mo.values, vo.values);
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
