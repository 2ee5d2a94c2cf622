/**
 * Parameter initialisation schemes: which distribution each new parameter is drawn from (the draws come
 * from the model's seeded {@link Rng} through {@link ParamStore.add}).
 *
 * - `"trunc_normal"`: the project's original scheme: every weight matrix (patch embedding, q/k/v, attention
 *   output, MLP, projection-head Linears) normal(0, 0.02) cut at ±2 std, biases zero, CLS token normal(0, 1e-6)
 *   cut at ±2 std, positional embedding as the weights, norms one/zero; prototypes and the EHR branch as
 *   PyTorch's nn.Linear defaults.
 * - `"torch"`: the distributions of the official CXR-EHR-MSN code (nyuad-cai/CXR-EHR-MSN), which builds a
 *   torchvision `VisionTransformer` (wrapped, without re-initialisation, by lightly 1.4.21's
 *   `MAEBackbone.from_vit`), lightly's `MSNProjectionHead` and plain `nn.Linear` layers:
 *     - conv_proj (patch embedding): weight `trunc_normal_(std = √(1/fan_in))`, fan_in = C·p·p, cut at
 *       ±2 absolute (torch's a = −2, b = 2); bias zero.
 *     - class_token zero; pos_embedding normal(0, 0.02), not truncated.
 *     - nn.MultiheadAttention: in_proj_weight [3D, D] xavier_uniform (bound √(6/(D + 3D)), the same for
 *       q, k and v because the three are one tensor), in_proj_bias zero; out_proj weight as an nn.Linear
 *       (U(±1/√D)), out_proj bias zero.
 *     - MLPBlock Linears: weight xavier_uniform (bound √(6/(fan_in + fan_out))), bias normal(0, 1e-6).
 *     - LayerNorm and BatchNorm: weight one, bias zero (running mean 0, running variance 1).
 *     - every other nn.Linear (projection head, prototypes, f_ehr, g): PyTorch's default
 *       kaiming_uniform(a = √5), i.e. weight U(±1/√fan_in), bias U(±1/√fan_in).
 */
import type { Init } from "./params.js";

export type { InitScheme } from "../config/msn.js";

/** The project's weight init under `"trunc_normal"`: normal(0, 0.02) cut at ±2 std. */
export const TRUNC_NORMAL_02: Init = { kind: "truncNormal", std: 0.02 };

/** nn.Linear's default weight init, kaiming_uniform(a = √5): U(±1/√fanIn). */
export function torchLinearWeight(fanIn: number): Init {
  return { kind: "uniform", bound: 1 / Math.sqrt(fanIn) };
}

/** nn.Linear's default bias init: U(±1/√fanIn). */
export function torchLinearBias(fanIn: number): Init {
  return { kind: "uniform", bound: 1 / Math.sqrt(fanIn) };
}

/** nn.init.xavier_uniform_ (gain 1) of a weight with these fans: U(±√(6/(fanIn + fanOut))). */
export function xavierUniform(fanIn: number, fanOut: number): Init {
  return { kind: "uniform", bound: Math.sqrt(6 / (fanIn + fanOut)) };
}

/** nn.init.trunc_normal_(std) with its default cut-offs a = −2, b = 2 (absolute values, not multiples of std). */
export function torchTruncNormal(std: number): Init {
  return { kind: "normal", std, bound: 2 };
}

/** nn.init.normal_(std): normal(0, std), not truncated. */
export function normalInit(std: number): Init {
  return { kind: "normal", std };
}
