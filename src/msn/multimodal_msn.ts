/**
 * MultimodalMSN: Masked Siamese Network pretraining of a ViT on chest X-rays, with EHR fused into the
 * anchor branch (Shurrab et al., Sci. Rep. 2024; nyuad-cai/CXR-EHR-MSN). With `ehr.ehrIn = 0` it is
 * vanilla MSN (Assran et al., ECCV 2022).
 *
 * One training step (`trainStep`), after MSN's numbered recipe:
 * Step 1. EMA: target ← m·target + (1 − m)·anchor (encoder and head; lightly's update_momentum at step start).
 * Step 2. Targets: the unmasked target view through the target encoder and head → sharpened, Sinkhorn-
 *         balanced prototype probabilities (outside the gradient tape: stop-grad).
 * Step 3. Anchors: the random and focal anchor views with dropped patches through the anchor encoder; with
 *         EHR, concatenated with f_ehr(ehr) repeated per view and fused by g; then the anchor head.
 * Step 4. Loss: cross-entropy to the targets + ME-MAX (+ entropy), gradients of every trainable tensor.
 * Step 5. AdamW update with scheduled learning rate and weight decay (optionally clipped).
 */
import * as tf from "@tensorflow/tfjs-core";
import { withGemmPrecision } from "../backend/precision.js";
import { type MsnConfig, type MsnOverrides, type MsnPresetName, msnConfig, validateMsnConfig } from "../config/msn.js";
import { type NamedValues, readCheckpoint, weightsUnder, writeCheckpoint } from "../io/checkpoint.js";
import { EhrFusion, type EhrProjector, EhrProjectorNet } from "../models/ehr_projector.js";
import { ProjectionHead } from "../models/heads.js";
import type { KeepIndices } from "../models/masking.js";
import { VisionTransformer } from "../models/vit.js";
import { torchLinearWeight } from "../nn/init.js";
import { ParamStore } from "../nn/params.js";
import { AdamW } from "../optim/adamw.js";
import { scheduleValue } from "../optim/schedules.js";
import type { MsnBatch } from "../types/batch.js";
import { Rng } from "../utils/rng.js";
import { type DeviceRead, readAsync, readSync } from "./device_read.js";
import { copyParams, emaUpdate } from "./ema.js";
import { type PendingGradients, chunkedGradients, pendingGradients } from "./gradients.js";
import { msnLoss, msnTargets, prototypeLogProbabilities } from "./loss.js";
import type { GradientResult, StepOptions, StepResult } from "./types.js";
import { drawMsnMasks, validateMsnBatch } from "./views.js";

export type { GradientResult, StepOptions, StepResult } from "./types.js";

/** Anchor-side (trained) networks and the EMA target networks. */
export class MultimodalMSN {
  readonly config: MsnConfig;
  /** Anchor (online) parameters: encoder.*, head.*, ehr.*, fusion.*, prototypes. */
  readonly anchorParams: ParamStore;
  /** Target (EMA) parameters: encoder.*, head.*. */
  readonly targetParams: ParamStore;
  readonly anchorEncoder: VisionTransformer;
  readonly anchorHead: ProjectionHead;
  /** The EMA target encoder: the representation used for evaluation (CLS after the final norm). */
  readonly targetEncoder: VisionTransformer;
  readonly targetHead: ProjectionHead;
  readonly ehrProjector?: EhrProjector;
  readonly fusion?: EhrFusion;
  readonly optimizer: AdamW;
  /** Generator for patch-drop masks; its state is checkpointed. */
  readonly rng: Rng;
  /** Completed optimizer steps. */
  step = 0;
  /**
   * Encode at most this many anchor views at a time in the backward pass (0 = all at once). Gradients are
   * exact either way; smaller chunks bound memory (tfjs-wasm's heap is 4 GB) for one extra encoder forward.
   */
  encoderChunk = 0;
  private spe = 1;
  private disposed = false;

  /**
   * Build a model from a preset name (plus overrides) or a full config. Parameters are initialised from
   * `config.seed` with the scheme `config.init`. The instance owns all its variables: call `dispose()` when done.
   * @example const m = new MultimodalMSN("cxr_ehr_msn_tiny", { ehr: { ehrIn: 3 } });
   */
  constructor(config: MsnConfig | MsnPresetName, overrides: MsnOverrides = {}) {
    this.config = typeof config === "string" ? msnConfig(config, overrides) : validateMsnConfig(config);
    const c = this.config;
    const initRng = new Rng(c.seed);
    this.rng = new Rng((c.seed ^ 0x9e3779b9) >>> 0);
    this.anchorParams = new ParamStore(initRng);
    this.targetParams = new ParamStore(initRng, true);
    const d = c.vit.embedDim;
    this.anchorEncoder = new VisionTransformer(c.vit, this.anchorParams, "encoder.", c.init);
    if (c.ehr.ehrIn > 0) {
      this.ehrProjector = new EhrProjectorNet(c.ehr, this.anchorParams);
      this.fusion = new EhrFusion(d, c.ehr.ehrOut, this.anchorParams);
    }
    this.anchorHead = new ProjectionHead(d, c.head, this.anchorParams, "head.", c.init);
    // nn.Linear(O, K).weight's default init under every scheme, as both codes (CXR-EHR-MSN and msn) build it
    this.anchorParams.add("prototypes", [c.numPrototypes, c.head.outputDim], torchLinearWeight(c.head.outputDim), {
      trainable: !c.freezePrototypes,
      noDecay: true,
    });
    // the target networks start as copies of the anchor ones (the official code's deepcopy)
    this.targetEncoder = new VisionTransformer(c.vit, this.targetParams, "encoder.", c.init);
    this.targetHead = new ProjectionHead(d, c.head, this.targetParams, "head.", c.init);
    copyParams(this.targetParams, this.anchorParams);
    const decayAll = !c.optimizer.excludeBiasNormPrototypes;
    this.optimizer = new AdamW(
      this.anchorParams.trainableNames().map((name) => ({
        name,
        variable: this.anchorParams.get(name),
        decay: decayAll || !this.anchorParams.meta.get(name)!.noDecay,
      })),
      c.optimizer,
    );
  }

  /** The prototypes [K, O] (owned by the model). */
  get prototypes(): tf.Variable {
    return this.anchorParams.get("prototypes");
  }

  /** The prototypes as the [K, O] matrix the loss takes. */
  private get prototypeMatrix(): tf.Tensor2D {
    return this.prototypes as unknown as tf.Tensor2D;
  }

  /**
   * Optimizer steps per epoch of the latest step (the `stepsPerEpoch` step option), the unit of the schedule
   * horizons; checkpointed. 1 for a new model.
   */
  get stepsPerEpoch(): number {
    return this.spe;
  }

  /** Learning rate, weight decay and EMA momentum at global step `step`, epochs of `stepsPerEpoch` steps. */
  schedulesAt(step: number, stepsPerEpoch = this.spe): { lr: number; weightDecay: number; momentum: number } {
    const o = this.config.optimizer;
    return {
      lr: scheduleValue(o.lr, step, stepsPerEpoch),
      weightDecay: scheduleValue(o.weightDecay, step, stepsPerEpoch),
      momentum: scheduleValue(this.config.ema, step, stepsPerEpoch),
    };
  }

  /** Check a batch against the config before any work, with messages that name the field; returns the batch size. */
  validateBatch(batch: MsnBatch): number {
    return validateMsnBatch(this.config, batch);
  }

  /** Anchor outputs [(R+V)·B, O] for the anchor views (Step 3). Caller owns the result. */
  anchorForward(batch: MsnBatch, keepAnchors?: KeepIndices, keepFocal?: KeepIndices): tf.Tensor2D {
    const parts: tf.Tensor2D[] = [this.anchorEncoder.forward(batch.anchors, keepAnchors)]; // [R·B, D]
    if (this.config.focalViews > 0) parts.push(this.anchorEncoder.forward(batch.focal, keepFocal)); // [V·B, D]
    return this.afterEncoder(parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D), batch.ehr); // [(R+V)·B, O]
  }

  /** Step 3 after the encoder: EHR fusion (when configured), then the anchor head. [(R+V)·B, D] → [(R+V)·B, O]. */
  private afterEncoder(cls: tf.Tensor2D, ehr?: tf.Tensor2D): tf.Tensor2D {
    const h = this.ehrProjector && this.fusion && ehr ? this.fusion.forward(cls, this.ehrProjector.forward(ehr)) : cls;
    return this.anchorHead.forward(h);
  }

  /** Target probabilities [B, K] for the target view (Step 2, no gradient). Caller owns the result. */
  targetProbabilities(target: tf.Tensor4D): tf.Tensor2D {
    const b = target.shape[0];
    const chunk = this.encoderChunk > 0 ? this.encoderChunk : b;
    const parts: tf.Tensor2D[] = [];
    for (let i = 0; i < b; i += chunk) {
      parts.push(tf.tidy(() => this.targetEncoder.forward(tf.slice(target, [i, 0, 0, 0], [Math.min(chunk, b - i), -1, -1, -1]) as tf.Tensor4D)));
    }
    const probs = tf.tidy(() => {
      const cls = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D); // [B, D]
      return msnTargets(this.targetHead.forward(cls), this.prototypeMatrix, this.config);
    });
    tf.dispose(parts); // created outside the tidy above
    return probs;
  }

  /** Draw patch-drop masks for a batch of `b` images (random anchors, and focal views when `maskFocal`). */
  drawMasks(b: number): { keepAnchors?: KeepIndices; keepFocal?: KeepIndices } {
    return drawMsnMasks(this.config, b, this.rng);
  }

  /**
   * Steps 2–4 without updating anything: the loss parts and the gradient of the loss for every trainable
   * tensor, by parameter name. The caller owns (and must dispose) the returned gradients.
   * Reads the device synchronously; on the webgpu backend use {@link gradientsAsync}.
   */
  gradients(batch: MsnBatch, masks: StepOptions = {}): GradientResult {
    return readSync(this.gradientsOp(batch, masks));
  }

  /** {@link gradients} with its one device read awaited (`data()`). */
  gradientsAsync(batch: MsnBatch, masks: StepOptions = {}): Promise<GradientResult> {
    return readAsync(this.gradientsOp(batch, masks));
  }

  private *gradientsOp(batch: MsnBatch, masks: StepOptions): DeviceRead<GradientResult> {
    const { losses, grads } = this.gradientsInPrecision(batch, masks);
    try {
      const [read] = yield [losses]; // the one device read
      const [loss, ce, meMax, entropy] = Array.from(read!);
      return { loss: loss!, ce: ce!, meMax: meMax!, entropy: entropy!, grads };
    } catch (e) {
      tf.dispose([...grads.values()]);
      throw e;
    } finally {
      losses.dispose();
    }
  }

  /**
   * Steps 2–4 with every GEMM in `config.precision` (bf16: bf16 inputs, fp32 accumulation; src/backend/precision.ts),
   * scoped to these forward and backward passes: the rest of the process (evaluation, features) stays fp32.
   */
  private gradientsInPrecision(batch: MsnBatch, masks: StepOptions): PendingGradients {
    return withGemmPrecision(this.config.precision, () => this.pendingGradients(batch, masks));
  }

  /** Steps 2–4 with the loss values left on the device. */
  private pendingGradients(batch: MsnBatch, masks: StepOptions): PendingGradients {
    const targetProbs = this.targetProbabilities(batch.target); // Step 2: [B, K]
    let parts: tf.Tensor1D | undefined; // [ce, meMax, entropy], read with the loss later
    const loss = (z: tf.Tensor2D) => {
      const l = msnLoss(z, targetProbs, this.prototypeMatrix, this.config); // Step 4
      parts = tf.keep(tf.stack([l.ce, l.meMax, l.entropy]) as tf.Tensor1D);
      return l.total;
    };
    try {
      const rows = batch.anchors.shape[0] + batch.focal.shape[0];
      if (this.encoderChunk > 0 && rows > this.encoderChunk) {
        const groups: [tf.Tensor4D, KeepIndices | undefined][] = [[batch.anchors, masks.keepAnchors]];
        if (this.config.focalViews > 0) groups.push([batch.focal, masks.keepFocal]);
        const encoder = this.optimizer.params.filter((p) => p.name.startsWith("encoder."));
        const others = this.optimizer.params.filter((p) => !p.name.startsWith("encoder.")).map((p) => p.variable);
        const c = chunkedGradients(this.anchorEncoder, encoder, others, groups, this.encoderChunk, (cls) => loss(this.afterEncoder(cls, batch.ehr)));
        return pendingGradients(this.optimizer.params, c.value, c.grads, parts!, c.encoderGrads);
      }
      const { value, grads } = tf.variableGrads(() => loss(this.anchorForward(batch, masks.keepAnchors, masks.keepFocal)), this.optimizer.params.map((p) => p.variable)); // Step 3
      return pendingGradients(this.optimizer.params, value, grads, parts!);
    } finally {
      targetProbs.dispose();
    }
  }

  /**
   * One MSN optimisation step on `batch` (Steps 1–5). The batch stays owned by the caller.
   * Tensor-neutral: `tf.memory().numTensors` is the same before and after.
   * Reads the device synchronously; on the webgpu backend use {@link trainStepAsync}.
   * @throws Error when the loss is NaN or infinite, or the read fails (the update is not applied).
   */
  trainStep(batch: MsnBatch, opts: StepOptions = {}): StepResult {
    return readSync(this.stepOp(batch, opts));
  }

  /** {@link trainStep} with its one device read awaited (`data()`): the same numbers, on every backend. */
  trainStepAsync(batch: MsnBatch, opts: StepOptions = {}): Promise<StepResult> {
    return readAsync(this.stepOp(batch, opts));
  }

  private *stepOp(batch: MsnBatch, opts: StepOptions): DeviceRead<StepResult> {
    if (this.disposed) throw new Error("trainStep on a disposed MultimodalMSN");
    const b = this.validateBatch(batch);
    const masks = opts.keepAnchors || opts.keepFocal ? opts : this.drawMasks(b);
    const step = this.step;
    const stepsPerEpoch = opts.stepsPerEpoch ?? this.spe;
    const { lr, weightDecay, momentum } = this.schedulesAt(step, stepsPerEpoch);
    emaUpdate(this.targetParams, this.anchorParams, momentum); // Step 1
    // BatchNorm running statistics change during the forward pass: keep a copy to undo a non-finite step.
    const buffers = [...this.anchorParams.vars].filter(([n]) => this.anchorParams.meta.get(n)!.buffer).map(([, v]) => v);
    const saved = buffers.map((v) => tf.clone(v));
    let g: PendingGradients | undefined;
    let values: tf.Tensor1D | undefined; // [loss, ce, meMax, entropy, ‖g‖²]
    try {
      const { losses, grads } = (g = this.gradientsInPrecision(batch, masks)); // Steps 2–4
      values = tf.tidy(() => tf.concat([losses, tf.reshape(this.optimizer.sumOfSquares(grads), [1])])) as tf.Tensor1D;
      losses.dispose();
      const [read] = yield [values]; // the one device read
      const [loss, ce, meMax, entropy, sq] = Array.from(read!);
      if (!Number.isFinite(loss)) {
        throw new Error(`loss is ${loss} at step ${step} (lr ${lr}); the optimizer update was not applied. Lower the learning rate or check the inputs for NaN/Inf`);
      }
      const gradNorm = this.optimizer.step(grads, lr, weightDecay, this.config.optimizer.clipGrad, Math.sqrt(sq!)); // Step 5
      this.step += 1;
      this.spe = stepsPerEpoch;
      return { step, loss: loss!, ce: ce!, meMax: meMax!, entropy: entropy!, lr, weightDecay, momentum, gradNorm };
    } catch (e) {
      if (values) buffers.forEach((v, i) => v.assign(saved[i]!)); // a failed step: put back the BatchNorm statistics
      throw e;
    } finally {
      tf.dispose([...saved, ...(g ? [g.losses, ...g.grads.values()] : []), ...(values ? [values] : [])]);
    }
  }

  /**
   * Prototype assignments of target-encoder CLS features, without sharpening or Sinkhorn (what the monitors
   * read): softmax(cos(targetHead(cls), prototypes) / temperature), the head's BatchNorm using the statistics of
   * these rows (as in training) and its running buffers left untouched: the model is not changed.
   * [B, D] → [B, K]; caller owns the result.
   */
  prototypeAssignments(cls: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.exp(prototypeLogProbabilities(this.targetHead.forward(cls, false), this.prototypeMatrix, this.config.temperature)) as tf.Tensor2D);
  }

  /**
   * CLS features of the frozen target encoder, the representation evaluated by linear probing.
   * [B, S, S, C] → [B, D]; caller owns the result.
   */
  encode(images: tf.Tensor4D): tf.Tensor2D {
    return this.targetEncoder.forward(images);
  }

  /**
   * Save the resolved config, all weights (anchor, target, optimizer moments) in the tfjs weights format and
   * the training state to `dir` (format @3, src/io/checkpoint.ts): a crash or a full disk leaves the previous checkpoint intact.
   * Reads the device synchronously; on the webgpu backend use {@link saveAsync}.
   */
  save(dir: string): void {
    readSync(this.saveOp(dir));
  }

  /** {@link save} with the weights read by `await data()`: the state saved is the one at the call. */
  saveAsync(dir: string): Promise<void> {
    return readAsync(this.saveOp(dir));
  }

  private *saveOp(dir: string): DeviceRead<void> {
    const vars: [string, tf.Variable][] = [];
    for (const [prefix, store] of [["anchor/", this.anchorParams], ["target/", this.targetParams]] as const) {
      for (const [name, v] of store.vars) vars.push([prefix + name, v]);
    }
    for (const [kind, map] of [["adam_m/", this.optimizer.m], ["adam_v/", this.optimizer.v]] as const) {
      for (const [name, v] of map) vars.push([kind + name, v]);
    }
    const state = { step: this.step, adamStep: this.optimizer.t, stepsPerEpoch: this.spe, rngState: this.rng.state };
    const snapshot = vars.map(([, v]) => tf.clone(v)); // holds the values while later steps assign new ones
    try {
      const values = yield snapshot;
      writeCheckpoint(dir, this.config, state, vars.map(([name, v], i): NamedValues => [name, values[i] as Float32Array, v.shape]));
    } finally {
      tf.dispose(snapshot);
    }
  }

  /**
   * Load a checkpoint written by `save` (its digests, state and config checked). The caller owns the model.
   * @throws Error naming the file when it is missing, truncated, corrupt or does not match its config.
   */
  static load(dir: string): MultimodalMSN {
    const { path, config, state, weights } = readCheckpoint<MsnConfig>(dir);
    let model: MultimodalMSN | undefined;
    try {
      model = new MultimodalMSN(config); // validates the config first (no tensor exists before)
      model.anchorParams.assignAll(weightsUnder(weights, "anchor/"));
      model.targetParams.assignAll(weightsUnder(weights, "target/"));
      for (const [kind, map] of [["adam_m/", model.optimizer.m], ["adam_v/", model.optimizer.v]] as const) {
        const saved = weightsUnder(weights, kind);
        for (const [name, v] of map) {
          const arr = saved.get(name);
          if (!arr || v.size !== arr.length || saved.size !== map.size) throw new Error(`optimizer state "${kind}${name}" is missing or does not match the model`);
          tf.tidy(() => v.assign(tf.tensor(arr, v.shape)));
        }
      }
    } catch (e) {
      model?.dispose();
      throw new Error(`${path}: ${(e as Error).message}`);
    }
    model.step = state.step;
    model.optimizer.t = state.adamStep;
    model.spe = state.stepsPerEpoch;
    model.rng.state = state.rngState;
    return model;
  }

  /** Free every variable of the model and its optimizer. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
    this.anchorParams.dispose();
    this.targetParams.dispose();
  }
}
