/**
 * Exponential moving average of the target network (MSN/BYOL "momentum encoder"):
 * target ← m·target + (1 − m)·online, for every parameter the two stores share (buffers excluded, like
 * lightly's `update_momentum`, which walks `parameters()` only).
 */
import * as tf from "@tensorflow/tfjs-core";
import { hasMultiKernels, multiEma } from "../backend/multi_ops.js";
import type { ParamStore } from "../nn/params.js";

/** Update `target` in place from `online`; names must match. Allocates nothing that outlives the call. */
export function emaUpdate(target: ParamStore, online: ParamStore, momentum: number): void {
  if (hasMultiKernels()) {
    // one kernel for every parameter (the same arithmetic as below, bitwise)
    const names = [...target.vars.keys()].filter((name) => !target.meta.get(name)!.buffer);
    const tvs = names.map((name) => target.vars.get(name)!);
    tf.tidy(() => multiEma(tvs, names.map((name) => online.get(name)), momentum).forEach((t, i) => tvs[i]!.assign(t)));
    return;
  }
  tf.tidy(() => {
    for (const [name, tv] of target.vars) {
      if (target.meta.get(name)!.buffer) continue;
      const ov = online.get(name);
      tv.assign(tf.add(tf.mul(tv, momentum), tf.mul(ov, 1 - momentum)));
    }
  });
}

/** Copy every value (parameters and buffers) of `online` into `target` (the target's initialisation). */
export function copyParams(target: ParamStore, online: ParamStore): void {
  tf.tidy(() => {
    for (const [name, tv] of target.vars) tv.assign(online.get(name));
  });
}
