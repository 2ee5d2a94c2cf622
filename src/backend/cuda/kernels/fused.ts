/**
 * Softmax (last axis) and the package's fused LayerNorm, GELU and AdamW kernels (names in
 * ../../fused_ops.ts, which is how src/nn and src/optim call them) on device tensors.
 */
import * as tf from "@tensorflow/tfjs-core";
import { fusedInputs } from "../../kernel_shapes.js";
import { type Backend, type KernelArgs, size } from "./util.js";

/** Softmax over the last axis (float32) → a new tensor (engine-owned). */
export function softmax({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { logits } = inputs as { logits: tf.TensorInfo };
  const { dim } = attrs as unknown as { dim: number };
  const r = logits.shape.length;
  if (logits.dtype !== "float32" || r === 0 || (dim !== -1 && dim !== r - 1)) return undefined;
  const cols = logits.shape[r - 1]!;
  const out = be.makeOutput(logits.shape.slice(), "float32"); // logits' shape
  const n = size(logits.shape);
  if (n > 0) be.addon.softmax(n / cols, cols, false, be.buf(logits), out.buf);
  return out.info;
}

/** inputs x [N, D], gamma [D], beta [D]; attrs eps → [y [N,D], xhat [N,D], rstd [N,1]]. */
export function layerNorm({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { x, gamma, beta } = fusedInputs("MmsnLayerNorm", inputs);
  const [n, d] = x.shape as [number, number];
  const [xb, gb, bb] = [be.buf(x), be.buf(gamma), be.buf(beta)];
  const y = be.makeOutput([n, d], "float32"); // [N, D]
  const xhat = be.makeOutput([n, d], "float32"); // [N, D]
  const rstd = be.makeOutput([n, 1], "float32"); // [N, 1]
  if (n * d > 0) be.addon.layerNormFwd(n, d, (attrs as { eps: number }).eps, xb, gb, bb, y.buf, xhat.buf, rstd.buf);
  return [y.info, xhat.info, rstd.info];
}

/** inputs dy, xhat [N, D], rstd [N, 1], gamma [D] → [dx [N,D], dgamma [D], dbeta [D]]. */
export function layerNormGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { dy, xhat, rstd, gamma } = fusedInputs("MmsnLayerNormGrad", inputs);
  const [n, d] = dy.shape as [number, number];
  const bufs = [be.buf(dy), be.buf(xhat), be.buf(rstd), be.buf(gamma)] as const;
  const dx = be.makeOutput([n, d], "float32"); // [N, D]
  const dg = be.makeOutput([d], "float32"); // [D]
  const db = be.makeOutput([d], "float32"); // [D]
  if (n * d > 0) be.addon.layerNormBwd(n, d, ...bufs, dx.buf, dg.buf, db.buf);
  else if (d > 0) for (const o of [dg, db]) be.addon.fill(0, o.buf, d);
  return [dx.info, dg.info, db.info];
}

/** x → x·Φ(x), any shape. */
export function gelu({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { x } = fusedInputs("MmsnGelu", inputs);
  const xb = be.buf(x);
  const y = be.makeOutput(x.shape.slice(), "float32"); // x's shape
  if (size(x.shape) > 0) be.addon.geluFwd(size(x.shape), xb, y.buf);
  return y.info;
}

/** (dy, x) → dy·(Φ(x) + x·φ(x)). */
export function geluGrad({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { dy, x } = fusedInputs("MmsnGeluGrad", inputs);
  const dx = be.makeOutput(x.shape.slice(), "float32"); // x's shape
  if (size(x.shape) > 0) be.addon.geluBwd(size(x.shape), be.buf(dy), be.buf(x), dx.buf);
  return dx.info;
}

/** inputs p, m, v, g (same shape); attrs decay, b1, b2, gscale, invBc2Sqrt, eps, lrBc1 → [p', m', v']. */
export function adamw({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { p, m, v, g } = fusedInputs("MmsnAdamW", inputs);
  const a = attrs as Record<string, number>;
  const [pb, mb, vb, gb] = [p, m, v, g].map((t) => be.buf(t));
  const [po, mo, vo] = [0, 1, 2].map(() => be.makeOutput(p.shape.slice(), "float32")); // p's shape each
  const n = size(p.shape);
  if (n > 0) be.addon.adamw(n, a.decay!, a.b1!, a.b2!, a.gscale!, a.invBc2Sqrt!, a.eps!, a.lrBc1!, pb!, mb!, vb!, gb!, po!.buf, mo!.buf, vo!.buf);
  return [po!.info, mo!.info, vo!.info];
}
