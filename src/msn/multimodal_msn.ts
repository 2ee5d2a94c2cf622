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
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type MsnConfig, type MsnOverrides, type MsnPresetName, msnConfig, validateMsnConfig } from "../config/msn.js";
import { writeDirAtomic, writeFileAtomic } from "../utils/atomic.js";
import { type WeightsManifestGroup, decodeWeights, encodeWeights, readJson } from "../io/weights.js";
import { EhrFusion, type EhrProjector, LinearEhrProjector } from "../models/ehr_projector.js";
import { ProjectionHead } from "../models/heads.js";
import { VisionTransformer } from "../models/vit.js";
import { ParamStore } from "../nn/params.js";
import { AdamW } from "../optim/adamw.js";
import { scheduleValue } from "../optim/schedules.js";
import { Rng } from "../utils/rng.js";
import type { MsnBatch } from "../types/batch.js";
import { copyParams, emaUpdate } from "./ema.js";
import { msnLoss, msnTargets } from "./loss.js";
import { type KeepIndices, randomKeepIndices } from "../models/masking.js";

/** What one training step reports (plain numbers; no tensors escape). */
export interface StepResult {
  /** Global step index of this update (0-based). */
  readonly step: number;
  readonly loss: number;
  readonly ce: number;
  readonly meMax: number;
  readonly entropy: number;
  readonly lr: number;
  readonly weightDecay: number;
  /** EMA momentum applied at the start of this step. */
  readonly momentum: number;
  /** Global L2 norm of the gradients before clipping. */
  readonly gradNorm: number;
}

/** Loss parts and gradients by parameter name (the caller disposes `grads`). */
export interface GradientResult {
  readonly loss: number;
  readonly ce: number;
  readonly meMax: number;
  readonly entropy: number;
  readonly grads: Map<string, tf.Tensor>;
}

/** A step between its forward/backward pass and its one device read (see `trainStep`). */
interface PendingStep {
  readonly step: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly momentum: number;
  /** BatchNorm buffers and their values before the step, restored when the loss is not finite. */
  readonly buffers: tf.Variable[];
  readonly saved: tf.Tensor[];
  readonly grads: Map<string, tf.Tensor>;
  /** [loss, ce, meMax, entropy, ‖g‖²]. */
  readonly values: tf.Tensor1D;
}

/** What a checkpoint holds besides the config: its variables (read at save time) and the training state. */
interface CheckpointState {
  readonly vars: [string, tf.Variable][];
  readonly state: { step: number; adamStep: number; stepsPerEpoch: number; rngState: number };
}

/** Gradients as `gradients` computes them, before any device read: the caller disposes both. */
interface PendingGradients {
  /** [loss, ce, meMax, entropy]. */
  readonly losses: tf.Tensor1D;
  readonly grads: Map<string, tf.Tensor>;
}

/** Options of one step; tests use them to inject masks. */
export interface StepOptions {
  /** Kept tokens for the random anchor views (default: drawn from the model's seeded generator). */
  readonly keepAnchors?: KeepIndices;
  /** Kept tokens for the focal views (default: drawn when `maskFocal`). */
  readonly keepFocal?: KeepIndices;
}

const CHECKPOINT_FORMAT = "multimodal-msn/checkpoint@1";

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
  /** Optimizer steps per epoch, the unit of schedule horizons (set by the trainer from the dataset size). */
  stepsPerEpoch = 1;
  /**
   * Encode at most this many anchor views at a time in the backward pass (0 = all at once). Gradients are
   * exact either way; smaller chunks bound memory (tfjs-wasm's heap is 4 GB) for one extra encoder forward.
   */
  encoderChunk = 0;
  private disposed = false;

  /**
   * Build a model from a preset name (plus overrides) or a full config. Parameters are initialised from
   * `config.seed`. The instance owns all its variables: call `dispose()` when done.
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
    this.anchorEncoder = new VisionTransformer(c.vit, this.anchorParams, "encoder.");
    if (c.ehr.ehrIn > 0) {
      this.ehrProjector = new LinearEhrProjector(c.ehr, this.anchorParams);
      this.fusion = new EhrFusion(d, c.ehr.ehrOut, this.anchorParams);
    }
    this.anchorHead = new ProjectionHead(d, c.head, this.anchorParams, "head.");
    const bound = 1 / Math.sqrt(c.head.outputDim); // nn.Linear(D, K).weight default init, as both codes
    this.anchorParams.add("prototypes", [c.numPrototypes, c.head.outputDim], { kind: "uniform", bound }, {
      trainable: !c.freezePrototypes,
      noDecay: true,
    });
    this.targetEncoder = new VisionTransformer(c.vit, this.targetParams, "encoder.");
    this.targetHead = new ProjectionHead(d, c.head, this.targetParams, "head.");
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

  /** Learning rate, weight decay and EMA momentum at global step `step`. */
  schedulesAt(step: number): { lr: number; weightDecay: number; momentum: number } {
    const o = this.config.optimizer;
    return {
      lr: scheduleValue(o.lr, step, this.stepsPerEpoch),
      weightDecay: scheduleValue(o.weightDecay, step, this.stepsPerEpoch),
      momentum: scheduleValue(this.config.ema, step, this.stepsPerEpoch),
    };
  }

  /** Check a batch against the config before any work, with messages that name the field. */
  validateBatch(batch: MsnBatch): number {
    const c = this.config;
    const [b, s, s2, ch] = batch.target.shape;
    const want = `[B, ${c.randSize}, ${c.randSize}, ${c.vit.inChans}]`;
    if (s !== c.randSize || s2 !== c.randSize || ch !== c.vit.inChans) throw new Error(`batch.target has shape [${batch.target.shape}], expected ${want} (config.randSize, config.vit.inChans)`);
    const a = batch.anchors.shape;
    if (a[0] !== c.randViews * b || a[1] !== c.randSize || a[2] !== c.randSize || a[3] !== ch) {
      throw new Error(`batch.anchors has shape [${a}], expected [${c.randViews}·${b}, ${c.randSize}, ${c.randSize}, ${ch}] (config.randViews × batch)`);
    }
    const f = batch.focal.shape;
    if (f[0] !== c.focalViews * b || (c.focalViews > 0 && (f[1] !== c.focalSize || f[2] !== c.focalSize || f[3] !== ch))) {
      throw new Error(`batch.focal has shape [${f}], expected [${c.focalViews}·${b}, ${c.focalSize}, ${c.focalSize}, ${ch}] (config.focalViews × batch, config.focalSize)`);
    }
    if (c.ehr.ehrIn > 0) {
      if (!batch.ehr) throw new Error(`config.ehr.ehrIn is ${c.ehr.ehrIn} but the batch has no ehr tensor; pass EHR features or set ehr.ehrIn = 0 for vanilla MSN`);
      if (batch.ehr.shape[0] !== b || batch.ehr.shape[1] !== c.ehr.ehrIn) {
        throw new Error(`batch.ehr has shape [${batch.ehr.shape}], expected [${b}, ${c.ehr.ehrIn}] (config.ehr.ehrIn must equal the number of EHR feature columns)`);
      }
    } else if (batch.ehr) {
      throw new Error(`the batch has EHR features [${batch.ehr.shape}] but config.ehr.ehrIn is 0 (vanilla MSN); set ehr.ehrIn = ${batch.ehr.shape[1]}`);
    }
    return b;
  }

  /** Anchor outputs [(R+V)·B, O] for the anchor views (Step 3). Caller owns the result. */
  anchorForward(batch: MsnBatch, keepAnchors?: KeepIndices, keepFocal?: KeepIndices): tf.Tensor2D {
    const parts: tf.Tensor2D[] = [this.anchorEncoder.forward(batch.anchors, keepAnchors)]; // [R·B, D]
    if (this.config.focalViews > 0) parts.push(this.anchorEncoder.forward(batch.focal, keepFocal)); // [V·B, D]
    let h = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D); // [(R+V)·B, D]
    if (this.ehrProjector && this.fusion && batch.ehr) h = this.fusion.forward(h, this.ehrProjector.forward(batch.ehr));
    return this.anchorHead.forward(h); // [(R+V)·B, O]
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
      return msnTargets(this.targetHead.forward(cls), this.prototypes as unknown as tf.Tensor2D, this.config);
    });
    tf.dispose(parts); // created outside the tidy above
    return probs;
  }

  /** Draw patch-drop masks for a batch of `b` images (random anchors, and focal views when `maskFocal`). */
  drawMasks(b: number): { keepAnchors?: KeepIndices; keepFocal?: KeepIndices } {
    const c = this.config;
    if (c.patchDropRatio <= 0) return {};
    const n = (s: number) => (s / c.vit.patchSize) ** 2;
    return {
      keepAnchors: randomKeepIndices(c.randViews * b, n(c.randSize), c.patchDropRatio, this.rng, c.maskQuirk),
      keepFocal: c.maskFocal && c.focalViews > 0 ? randomKeepIndices(c.focalViews * b, n(c.focalSize), c.patchDropRatio, this.rng, c.maskQuirk) : undefined,
    };
  }

  /**
   * Steps 2–4 without updating anything: the loss parts and the gradient of the loss for every trainable
   * tensor, by parameter name. The caller owns (and must dispose) the returned gradients.
   */
  gradients(batch: MsnBatch, masks: StepOptions = {}): GradientResult {
    const { losses, grads } = this.pendingGradients(batch, masks);
    try {
      return withLosses(losses.dataSync(), grads); // the one device read
    } catch (e) {
      tf.dispose([...grads.values()]);
      throw e;
    } finally {
      losses.dispose();
    }
  }

  /** {@link gradients} with its one device read awaited (`data()`). */
  async gradientsAsync(batch: MsnBatch, masks: StepOptions = {}): Promise<GradientResult> {
    const { losses, grads } = this.pendingGradients(batch, masks);
    try {
      return withLosses(await losses.data(), grads);
    } catch (e) {
      tf.dispose([...grads.values()]);
      throw e;
    } finally {
      losses.dispose();
    }
  }

  /** `gradients` with the loss values left on the device. */
  private pendingGradients(batch: MsnBatch, masks: StepOptions): PendingGradients {
    const rows = batch.anchors.shape[0] + batch.focal.shape[0];
    if (this.encoderChunk > 0 && rows > this.encoderChunk) return this.chunkedGradients(batch, masks);
    const targetProbs = this.targetProbabilities(batch.target); // Step 2: [B, K]
    let parts: tf.Tensor1D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const z = this.anchorForward(batch, masks.keepAnchors, masks.keepFocal); // Step 3: [(R+V)·B, O]
      const l = msnLoss(z, targetProbs, this.prototypes as unknown as tf.Tensor2D, this.config); // Step 4
      parts = tf.keep(tf.stack([l.ce, l.meMax, l.entropy]) as tf.Tensor1D); // [3], read with the loss later
      return l.total;
    }, this.optimizer.params.map((p) => p.variable));
    targetProbs.dispose();
    return this.collect(value, grads, parts!);
  }

  /** [loss, ...parts] plus gradients keyed by parameter name; disposes what is not returned (value and parts too). */
  private collect(value: tf.Scalar, grads: tf.NamedTensorMap, parts: tf.Tensor1D, extra = new Map<string, tf.Tensor>()): PendingGradients {
    const losses = tf.tidy(() => tf.concat([tf.reshape(value, [1]), parts]) as tf.Tensor1D); // [4]
    tf.dispose([value, parts]);
    const byName = new Map<string, tf.Tensor>(extra);
    const used = new Set<tf.Tensor>();
    for (const p of this.optimizer.params) {
      const g = grads[p.variable.name];
      if (g && !byName.has(p.name)) {
        byName.set(p.name, g);
        used.add(g);
      }
    }
    for (const g of Object.values(grads)) if (!used.has(g)) g.dispose();
    return { losses, grads: byName };
  }

  /**
   * Exact gradients with bounded memory. The ViT treats every image independently, so: (a) encode the
   * anchor views in chunks without a tape; (b) differentiate EHR fusion, head and loss over the whole batch
   * (BatchNorm, ME-MAX and Sinkhorn see every view) with respect to their parameters *and* the CLS features;
   * (c) re-encode each chunk on a tape and pull the CLS gradient back into the encoder, summing over chunks.
   * Costs one extra encoder forward; peak memory is one chunk's activations.
   */
  private chunkedGradients(batch: MsnBatch, masks: StepOptions): PendingGradients {
    const chunk = this.encoderChunk;
    const groups: [tf.Tensor4D, KeepIndices | undefined][] = [[batch.anchors, masks.keepAnchors]];
    if (this.config.focalViews > 0) groups.push([batch.focal, masks.keepFocal]);
    const pieces = (images: tf.Tensor4D, keep: KeepIndices | undefined) => {
      const n = images.shape[0];
      const out: { images: () => tf.Tensor4D; keep?: KeepIndices; rows: number }[] = [];
      for (let i = 0; i < n; i += chunk) {
        const j = Math.min(n, i + chunk);
        out.push({
          images: () => tf.slice(images, [i, 0, 0, 0], [j - i, -1, -1, -1]) as tf.Tensor4D,
          keep: keep && { batch: j - i, keep: keep.keep, tokens: keep.tokens, idx: keep.idx.subarray(i * keep.keep, j * keep.keep) },
          rows: j - i,
        });
      }
      return out;
    };
    const all = groups.flatMap(([im, k]) => pieces(im, k));
    // (a) CLS features of every anchor view, no tape: [(R+V)·B, D]
    const feats = tf.tidy(() => tf.concat(all.map((p) => tf.tidy(() => this.anchorEncoder.forward(p.images(), p.keep))), 0));
    const cls = tf.variable(feats, true, `cls_${Date.now()}_${Math.random()}`);
    feats.dispose();
    const targetProbs = this.targetProbabilities(batch.target); // Step 2: [B, K]
    const encoderNames = new Set(this.optimizer.params.filter((p) => p.name.startsWith("encoder.")).map((p) => p.name));
    const headVars = this.optimizer.params.filter((p) => !encoderNames.has(p.name)).map((p) => p.variable);
    let parts: tf.Tensor1D | undefined;
    // (b) fusion + head + loss over the whole batch
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor2D = cls as unknown as tf.Tensor2D;
      if (this.ehrProjector && this.fusion && batch.ehr) h = this.fusion.forward(h, this.ehrProjector.forward(batch.ehr));
      const l = msnLoss(this.anchorHead.forward(h), targetProbs, this.prototypes as unknown as tf.Tensor2D, this.config);
      parts = tf.keep(tf.stack([l.ce, l.meMax, l.entropy]) as tf.Tensor1D); // [3], read with the loss later
      return l.total;
    }, [...headVars, cls]);
    targetProbs.dispose();
    const dCls = grads[cls.name]!; // [(R+V)·B, D]
    delete grads[cls.name];
    cls.dispose();
    // (c) encoder gradients, chunk by chunk
    const encVars = this.optimizer.params.filter((p) => encoderNames.has(p.name));
    const acc = new Map<string, tf.Tensor>();
    let row = 0;
    for (const p of all) {
      const dy = tf.slice(dCls, [row, 0], [p.rows, -1]);
      row += p.rows;
      const g = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.mul(this.anchorEncoder.forward(p.images(), p.keep), dy))) as tf.Scalar, encVars.map((e) => e.variable));
      g.value.dispose();
      dy.dispose();
      for (const e of encVars) {
        const gi = g.grads[e.variable.name];
        if (!gi) continue;
        const prev = acc.get(e.name);
        acc.set(e.name, prev ? tf.tidy(() => tf.add(prev, gi)) : gi);
        if (prev) (prev.dispose(), gi.dispose());
      }
    }
    dCls.dispose();
    return this.collect(value, grads, parts!, acc);
  }

  /**
   * One MSN optimisation step on `batch` (Steps 1–5). The batch stays owned by the caller.
   * Tensor-neutral: `tf.memory().numTensors` is the same before and after.
   * Reads the device synchronously; on the webgpu backend use {@link trainStepAsync}.
   * @throws Error when the loss is NaN or infinite, or the read fails (the update is not applied).
   */
  trainStep(batch: MsnBatch, opts: StepOptions = {}): StepResult {
    const p = this.beginStep(batch, opts);
    try {
      return this.finishStep(p, p.values.dataSync());
    } catch (e) {
      undoStep(p);
      throw e;
    } finally {
      disposeStep(p);
    }
  }

  /** {@link trainStep} with its one device read awaited (`data()`): the same numbers, on every backend. */
  async trainStepAsync(batch: MsnBatch, opts: StepOptions = {}): Promise<StepResult> {
    const p = this.beginStep(batch, opts);
    try {
      return this.finishStep(p, await p.values.data());
    } catch (e) {
      undoStep(p);
      throw e;
    } finally {
      disposeStep(p);
    }
  }

  /** Steps 1–4 and the values to read: [loss, ce, meMax, entropy, ‖g‖²] still on the device. */
  private beginStep(batch: MsnBatch, opts: StepOptions): PendingStep {
    if (this.disposed) throw new Error("trainStep on a disposed MultimodalMSN");
    const b = this.validateBatch(batch);
    const masks = opts.keepAnchors || opts.keepFocal ? opts : this.drawMasks(b);
    const step = this.step;
    const schedules = this.schedulesAt(step);
    emaUpdate(this.targetParams, this.anchorParams, schedules.momentum); // Step 1
    // BatchNorm running statistics change during the forward pass: keep a copy to undo a non-finite step.
    const buffers = [...this.anchorParams.vars].filter(([n]) => this.anchorParams.meta.get(n)!.buffer).map(([, v]) => v);
    const saved = buffers.map((v) => tf.clone(v));
    let g: PendingGradients | undefined;
    try {
      g = this.pendingGradients(batch, masks); // Steps 2–4
      const { losses, grads } = g;
      const values = tf.tidy(() => tf.concat([losses, tf.reshape(this.optimizer.sumOfSquares(grads), [1])])) as tf.Tensor1D; // [5]
      losses.dispose();
      return { step, ...schedules, buffers, saved, grads, values };
    } catch (e) {
      tf.dispose([...saved, ...(g ? [g.losses, ...g.grads.values()] : [])]);
      throw e;
    }
  }

  /** Step 5 from the read values; the caller disposes the step (`disposeStep`). */
  private finishStep(p: PendingStep, read: ArrayLike<number>): StepResult {
    const { step, lr, weightDecay, momentum } = p;
    const [loss, ce, meMax, entropy, sq] = Array.from(read);
    if (!Number.isFinite(loss)) {
      throw new Error(`loss is ${loss} at step ${step} (lr ${lr}); the optimizer update was not applied. Lower the learning rate or check the inputs for NaN/Inf`);
    }
    const gradNorm = this.optimizer.step(p.grads, lr, weightDecay, this.config.optimizer.clipGrad, Math.sqrt(sq!)); // Step 5
    this.step += 1;
    return { step, loss: loss!, ce: ce!, meMax: meMax!, entropy: entropy!, lr, weightDecay, momentum, gradNorm };
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
   * the training state to `dir`, atomically: a crash leaves the previous checkpoint intact.
   * Reads the device synchronously; on the webgpu backend use {@link saveAsync}.
   */
  save(dir: string): void {
    const state = this.checkpointState();
    this.writeCheckpoint(dir, state, state.vars.map(([, v]) => v.dataSync() as Float32Array));
  }

  /** {@link save} with the weights read by `await data()`: the state saved is the one at the call. */
  async saveAsync(dir: string): Promise<void> {
    const state = this.checkpointState();
    const snapshot = state.vars.map(([, v]) => tf.clone(v)); // holds the values while later steps assign new ones
    try {
      this.writeCheckpoint(dir, state, (await Promise.all(snapshot.map((t) => t.data()))) as Float32Array[]);
    } finally {
      tf.dispose(snapshot);
    }
  }

  /** Every saved variable by checkpoint name, and the training state, as of now. */
  private checkpointState(): CheckpointState {
    const vars: [string, tf.Variable][] = [];
    for (const [prefix, store] of [["anchor/", this.anchorParams], ["target/", this.targetParams]] as const) {
      for (const [name, v] of store.vars) vars.push([prefix + name, v]);
    }
    for (const [kind, map] of [["adam_m/", this.optimizer.m], ["adam_v/", this.optimizer.v]] as const) {
      for (const [name, v] of map) vars.push([kind + name, v]);
    }
    return { vars, state: { step: this.step, adamStep: this.optimizer.t, stepsPerEpoch: this.stepsPerEpoch, rngState: this.rng.state } };
  }

  private writeCheckpoint(dir: string, c: CheckpointState, values: Float32Array[]): void {
    const { group, data } = encodeWeights(c.vars.map(([name, v], i) => [name, values[i]!, v.shape]), "weights.bin");
    const manifest = { format: CHECKPOINT_FORMAT, config: this.config, state: c.state, weightsManifest: [group] };
    writeDirAtomic(dir, (tmp) => {
      writeFileAtomic(join(tmp, "weights.bin"), data);
      writeFileAtomic(join(tmp, "config.json"), JSON.stringify(this.config, null, 2));
      writeFileAtomic(join(tmp, "model.json"), JSON.stringify(manifest));
    });
  }

  /**
   * Load a checkpoint written by `save`. The caller owns the returned model.
   * @throws Error naming the file when it is missing, truncated or does not match its config.
   */
  static load(dir: string): MultimodalMSN {
    const path = join(dir, "model.json");
    if (!existsSync(path)) throw new Error(`no checkpoint at ${dir}: ${path} is missing`);
    const manifest = readJson<{
      format: string;
      config: MsnConfig;
      state: { step: number; adamStep: number; stepsPerEpoch: number; rngState: number };
      weightsManifest: WeightsManifestGroup[];
    }>(path);
    if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`${path}: format "${manifest.format}" is not ${CHECKPOINT_FORMAT}`);
    const weights = decodeWeights(dir, manifest.weightsManifest);
    const model = new MultimodalMSN(manifest.config);
    try {
      const pick = (prefix: string) => {
        const out = new Map<string, Float32Array>();
        for (const [k, v] of weights) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
        return out;
      };
      model.anchorParams.assignAll(pick("anchor/"));
      model.targetParams.assignAll(pick("target/"));
      for (const [kind, map] of [["adam_m/", model.optimizer.m], ["adam_v/", model.optimizer.v]] as const) {
        for (const [name, arr] of pick(kind)) {
          const v = map.get(name);
          if (!v || v.size !== arr.length) throw new Error(`${path}: optimizer state "${kind}${name}" does not match the model`);
          tf.tidy(() => v.assign(tf.tensor(arr, v.shape)));
        }
      }
    } catch (e) {
      model.dispose();
      throw new Error(`${path}: ${(e as Error).message}`);
    }
    model.step = manifest.state.step;
    model.optimizer.t = manifest.state.adamStep;
    model.stepsPerEpoch = manifest.state.stepsPerEpoch;
    model.rng.state = manifest.state.rngState;
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

/** Free what `beginStep` made: the gradients, the BatchNorm copies and the values read. */
/** A step that failed (non-finite loss, failed read): put back the BatchNorm statistics its forward pass changed. */
function undoStep(p: PendingStep): void {
  p.buffers.forEach((v, i) => v.assign(p.saved[i]!));
}

function disposeStep(p: PendingStep): void {
  for (const t of p.grads.values()) t.dispose();
  tf.dispose([p.saved, p.values]);
}

function withLosses(values: ArrayLike<number>, grads: Map<string, tf.Tensor>): GradientResult {
  const [loss, ce, meMax, entropy] = Array.from(values);
  return { loss: loss!, ce: ce!, meMax: meMax!, entropy: entropy!, grads };
}
