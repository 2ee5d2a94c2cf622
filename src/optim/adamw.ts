/**
 * AdamW (Loshchilov & Hutter, arXiv:1711.05101) with PyTorch's update order: decoupled decay
 * p ← p·(1 − lr·wd), then the bias-corrected Adam step. Learning rate and weight decay are passed every
 * step (schedules), parameters can be excluded from decay, and the global gradient norm can be clipped.
 */
import * as tf from "@tensorflow/tfjs-core";
import { fusedAdamW, hasFusedKernels } from "../backend/fused_ops.js";
import { hasMultiKernels, multiAdamW, multiSumOfSquares } from "../backend/multi_ops.js";

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

export interface AdamWParam {
  readonly name: string;
  readonly variable: tf.Variable;
  /** Apply weight decay to this parameter. */
  readonly decay: boolean;
}

/** AdamW (decoupled weight decay, PyTorch's update) over a set of named variables, with fused kernels where the backend has them. */
export class AdamW {
  /** Completed updates (torch's `state["step"]`). */
  t = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  /** The optimizer owns its moment variables; call `dispose()` when done. */
  constructor(readonly params: readonly AdamWParam[], readonly opts: AdamWOptions) {
    for (const p of params) {
      this.m.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
      this.v.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    }
  }

  /**
   * Apply one update. `grads` maps parameter names to gradients (missing = no gradient, skipped like
   * PyTorch's `p.grad is None`). The caller keeps ownership of `grads`.
   * @param clipGrad clip the global L2 norm of the gradients to this value first (0 = off).
   * @param gradNorm that norm, √`sumOfSquares(grads)`, when the caller has read it already (saves a device
   *   read); computed here otherwise.
   * @returns the global gradient norm before clipping.
   */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number, weightDecay: number, clipGrad = 0, gradNorm?: number): number {
    this.t += 1;
    const { beta1: b1, beta2: b2, eps } = this.opts;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    return tf.tidy(() => {
      const present = this.params.filter((p) => grads.has(p.name));
      const norm = gradNorm ?? Math.sqrt((this.sumOfSquares(grads).dataSync() as Float32Array)[0]!);
      const scale = clipGrad > 0 && norm > clipGrad ? clipGrad / (norm + 1e-6) : 1;
      const fused = hasFusedKernels();
      const invBc2Sqrt = 1 / Math.sqrt(bc2);
      if (fused && hasMultiKernels()) {
        // One kernel for every parameter: the same native pass per parameter as the fused branch below.
        const decays = present.map((p) => (p.decay && weightDecay !== 0 ? 1 - lr * weightDecay : 1));
        const ms = present.map((p) => this.m.get(p.name)!);
        const vs = present.map((p) => this.v.get(p.name)!);
        const out = multiAdamW(present.map((p) => p.variable), ms, vs, present.map((p) => grads.get(p.name)!), decays, { b1, b2, gscale: scale, invBc2Sqrt, eps, lrBc1: lr / bc1 });
        present.forEach((p, i) => {
          ms[i]!.assign(out[3 * i + 1]!);
          vs[i]!.assign(out[3 * i + 2]!);
          p.variable.assign(out[3 * i]!);
        });
        return norm;
      }
      for (const p of present) {
        if (fused) {
          // One native pass per parameter (same maths and order as below).
          const decay = p.decay && weightDecay !== 0 ? 1 - lr * weightDecay : 1;
          const attrs = { decay, b1, b2, gscale: scale, invBc2Sqrt, eps, lrBc1: lr / bc1 };
          const [np, nm, nv] = fusedAdamW(p.variable, this.m.get(p.name)!, this.v.get(p.name)!, grads.get(p.name)!, attrs);
          this.m.get(p.name)!.assign(nm);
          this.v.get(p.name)!.assign(nv);
          p.variable.assign(np);
          continue;
        }
        const g = scale === 1 ? grads.get(p.name)! : tf.mul(grads.get(p.name)!, scale);
        const m = this.m.get(p.name)!;
        const v = this.v.get(p.name)!;
        let x: tf.Tensor = p.variable;
        if (p.decay && weightDecay !== 0) x = tf.mul(x, 1 - lr * weightDecay);
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        p.variable.assign(tf.sub(x, tf.mul(tf.div(m, denom), lr / bc1)));
      }
      return norm;
    });
  }

  /**
   * Σ‖g‖² over the parameters that have a gradient in `grads` (0 when none), left on the device: a scalar
   * the caller owns.
   */
  sumOfSquares(grads: ReadonlyMap<string, tf.Tensor>): tf.Scalar {
    return tf.tidy(() => {
      const gs = this.params.filter((p) => grads.has(p.name)).map((p) => grads.get(p.name)!);
      if (gs.length && hasMultiKernels()) return multiSumOfSquares(gs); // one kernel, the same sums bitwise
      const sq = gs.map((g) => tf.sum(tf.square(g)));
      return sq.length ? (tf.addN(sq) as tf.Scalar) : tf.scalar(0);
    });
  }

  /** Free the moment estimates. */
  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}
