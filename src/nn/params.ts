/**
 * A named set of tf.Variables, the state of one network (names follow timm/PyTorch state_dict keys; Linear
 * weights are stored [in, out], i.e. PyTorch's weight transposed). Buffers (BatchNorm running statistics)
 * live here too, marked non-trainable.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../utils/rng.js";

export interface ParamMeta {
  /** Receives gradients and optimizer updates. */
  readonly trainable: boolean;
  /** Excluded from weight decay when the optimizer is told to exclude biases, norms and prototypes. */
  readonly noDecay: boolean;
  /** A buffer (running statistic), not a parameter. */
  readonly buffer: boolean;
}

/** How to initialise a new variable. */
export type Init =
  | { readonly kind: "zeros" }
  | { readonly kind: "ones" }
  /** Normal(0, std) redrawn outside ±2 std (the project's original scheme; timm's and torch's trunc_normal_ cut at ±2 absolute). */
  | { readonly kind: "truncNormal"; readonly std: number }
  /** Normal(0, std); with `bound`, redrawn while |x| > bound (an absolute cut-off, like torch's trunc_normal_ a/b). */
  | { readonly kind: "normal"; readonly std: number; readonly bound?: number }
  | { readonly kind: "uniform"; readonly bound: number }
  | { readonly kind: "values"; readonly values: Float32Array };

export class ParamStore {
  readonly vars = new Map<string, tf.Variable>();
  readonly meta = new Map<string, ParamMeta>();

  /**
   * @param rng generator used for random inits (consumed in creation order, so inits are reproducible).
   * @param frozen every parameter of this store is non-trainable (an EMA target network).
   */
  constructor(
    readonly rng: Rng,
    readonly frozen = false,
  ) {}

  /** Create a variable. The store owns it; `dispose()` frees everything. */
  add(name: string, shape: number[], init: Init, meta: Partial<ParamMeta> = {}): tf.Variable {
    if (this.vars.has(name)) throw new Error(`parameter "${name}" defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    // A frozen (EMA target) store is filled from the online network right after construction, so random
    // draws would be thrown away; zeros cost nothing and leave the generator untouched.
    const eff: Init = this.frozen && (init.kind === "truncNormal" || init.kind === "normal" || init.kind === "uniform") ? { kind: "zeros" } : init;
    switch (eff.kind) {
      case "zeros":
        values = new Float32Array(size);
        break;
      case "ones":
        values = new Float32Array(size).fill(1);
        break;
      case "truncNormal":
        values = this.rng.truncNormalArray(size, eff.std);
        break;
      case "normal":
        values = normalArray(this.rng, size, eff.std, eff.bound);
        break;
      case "uniform":
        values = this.rng.uniformArray(size, -eff.bound, eff.bound);
        break;
      case "values":
        if (eff.values.length !== size) throw new Error(`parameter "${name}": ${eff.values.length} values for shape [${shape}]`);
        values = eff.values;
        break;
    }
    const full: ParamMeta = { trainable: true, noDecay: false, buffer: false, ...meta, ...(this.frozen ? { trainable: false } : {}) };
    // tidy: the initial-value tensor must not outlive the variable's own copy
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32"), full.trainable && !full.buffer, name.replace(/[^A-Za-z0-9_.\-/]/g, "_") + "_" + uid()));
    this.vars.set(name, v);
    this.meta.set(name, full);
    return v;
  }

  /** The variable called `name` (throws with the known names if absent). */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter "${name}"; known: ${[...this.vars.keys()].slice(0, 20).join(", ")}…`);
    return v;
  }

  /** Names of trainable parameters, in creation order. */
  trainableNames(): string[] {
    return [...this.meta.entries()].filter(([, m]) => m.trainable && !m.buffer).map(([n]) => n);
  }

  /** Total number of scalar parameters (excluding buffers). */
  numParams(): number {
    let n = 0;
    for (const [name, v] of this.vars) if (!this.meta.get(name)!.buffer) n += v.size;
    return n;
  }

  /** Overwrite values from a name → array map; every name must exist with the same size. */
  assignAll(values: Map<string, Float32Array> | Record<string, Float32Array>, opts: { partial?: boolean } = {}): void {
    const entries = values instanceof Map ? [...values.entries()] : Object.entries(values);
    const seen = new Set<string>();
    for (const [name, arr] of entries) {
      const v = this.vars.get(name);
      if (!v) throw new Error(`cannot load "${name}": the model has no such parameter`);
      if (arr.length !== v.size) throw new Error(`cannot load "${name}": ${arr.length} values, expected ${v.size} (shape [${v.shape}])`);
      tf.tidy(() => v.assign(tf.tensor(arr, v.shape, "float32")));
      seen.add(name);
    }
    if (!opts.partial) {
      const missing = [...this.vars.keys()].filter((n) => !seen.has(n));
      if (missing.length) throw new Error(`weights are missing ${missing.length} parameters, e.g. ${missing.slice(0, 5).join(", ")}`);
    }
  }

  /** Copies of every value (parameters and buffers) as Float32Arrays. */
  snapshot(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.vars) out.set(name, v.dataSync() as Float32Array);
    return out;
  }

  /** Free every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.meta.clear();
  }
}

/** `n` draws of normal(0, std) from `rng` (Box–Muller, one draw per pair of uniforms); with `bound`, each is redrawn while |x| > bound. */
function normalArray(rng: Rng, n: number, std: number, bound?: number): Float32Array {
  if (!(std > 0)) throw new Error(`normal init needs std > 0, got ${std}`);
  if (bound !== undefined && !(bound > 0)) throw new Error(`normal init needs bound > 0, got ${bound}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x = std * rng.normal();
    if (bound !== undefined) while (x < -bound || x > bound) x = std * rng.normal();
    out[i] = x;
  }
  return out;
}

let counter = 0;
function uid(): number {
  return ++counter;
}
