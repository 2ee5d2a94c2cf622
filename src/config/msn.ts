/**
 * Masked Siamese Network (+ EHR) configuration and presets.
 * Assran et al., "Masked Siamese Networks for Label-Efficient Learning", ECCV 2022 (arXiv:2204.07141);
 * Shurrab, Guerra-Manzanares, Shamout, Sci. Rep. 14:22516 (2024), code nyuad-cai/CXR-EHR-MSN @ b3755c0.
 * Each field says where its value comes from (msn yaml key or the CXR-EHR-MSN code).
 */
import { type Schedule, validateSchedule } from "./schedule.js";
import { checkBool, checkChoice, checkInt, checkNumber, rejectUnknownKeys } from "../utils/validate.js";
import { type ViTConfig, validateViTConfig, vitConfig } from "./vit.js";

/** The parameter initialisation schemes of {@link MsnConfig.init} (the distributions: src/nn/init.ts). */
export const INIT_SCHEMES = ["trunc_normal", "torch"] as const;
/**
 * One of {@link INIT_SCHEMES}: "trunc_normal", the project's trunc-normal(0.02) scheme, or "torch", PyTorch's
 * as the official CXR-EHR-MSN code gets it (torchvision's VisionTransformer init, nn.Linear defaults).
 */
export type InitScheme = (typeof INIT_SCHEMES)[number];

/** Projection head h: Linear→BN→GELU→Linear→BN→GELU→Linear (lightly MSNProjectionHead / msn `encoder.fc`). */
export interface HeadConfig {
  /** Hidden width (msn yaml meta.hidden_dim 2048; CXR-EHR-MSN: 4·D). */
  readonly hiddenDim: number;
  /** Output width (msn yaml meta.output_dim 256; CXR-EHR-MSN: D). */
  readonly outputDim: number;
  /** Bias on the two hidden Linears (msn: true; lightly: false, since BatchNorm follows). */
  readonly hiddenBias: boolean;
}

/** The EHR branch: f_ehr on the EHR vector, concatenated with the anchor CLS, then g: Linear(D+ehrOut→D). */
export interface EhrConfig {
  /** Width of the EHR vector; 0 = vanilla MSN (CXR-EHR-MSN --ehr-in). */
  readonly ehrIn: number;
  /** Width of the EHR embedding (CXR-EHR-MSN --ehr-out, 128). */
  readonly ehrOut: number;
  /** f_ehr: "linear" is the official single Linear (no activation); "mlp" adds Linear→GELU→Linear. */
  readonly projector: "linear" | "mlp";
}

/** AdamW with decoupled weight decay (torch.optim.AdamW semantics). */
export interface OptimizerConfig {
  /** Learning-rate schedule (CXR-EHR-MSN README: 1e-4, cosine per epoch to 0; msn: warmup 2e-4→1e-3, cosine to 1e-6). */
  readonly lr: Schedule;
  /** Weight-decay schedule (CXR-EHR-MSN README: 1e-3 constant; msn: cosine 0.04→0.4). */
  readonly weightDecay: Schedule;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** No decay on biases, norm parameters and prototypes (msn param groups); the official CXR code decays all. */
  readonly excludeBiasNormPrototypes: boolean;
  /** Clip the global gradient norm of the trainable parameters to this value; 0 = off (msn clip_grad 3.0). */
  readonly clipGrad: number;
}

/** A complete, validated MSN configuration: encoder, views, masking, prototypes, loss, optimiser, schedules, EHR. */
export interface MsnConfig {
  readonly vit: ViTConfig;
  readonly head: HeadConfig;
  readonly ehr: EhrConfig;
  readonly optimizer: OptimizerConfig;
  /** Number of prototypes K (msn criterion.num_proto, 1024). */
  readonly numPrototypes: number;
  /** Keep prototypes at their random init, as the official CXR-EHR-MSN code does (`prototypes.data`). */
  readonly freezePrototypes: boolean;
  /** Softmax temperature τ of anchor and target probabilities (criterion.temperature 0.1). */
  readonly temperature: number;
  /** Target sharpening temperature T (criterion.start_sharpen = final_sharpen = 0.25). */
  readonly sharpen: number;
  /** Sinkhorn iterations on the sharpened targets; 0 = off (lightly default 3). */
  readonly sinkhornIters: number;
  /** Weight of the mean-entropy-maximisation regulariser (criterion.memax_weight 1.0). */
  readonly meMaxWeight: number;
  /** Weight of the anchor entropy term (criterion.ent_weight 0.0). */
  readonly entropyWeight: number;
  /** Random (global) anchor views per image (data.rand_views 1). */
  readonly randViews: number;
  /** Focal anchor views per image (data.focal_views 10). */
  readonly focalViews: number;
  /** Size of target and random anchor views (data.rand_size 224); usually vit.imgSize. */
  readonly randSize: number;
  /** Size of focal views (data.focal_size 96). */
  readonly focalSize: number;
  /** Fraction of patches dropped from anchor views (data.patch_drop 0.15). */
  readonly patchDropRatio: number;
  /** Also drop patches of focal views (CXR-EHR-MSN: yes; msn: no, focal crops are the mask). */
  readonly maskFocal: boolean;
  /**
   * Reproduce lightly's `random_token_mask(size=(B, numPatches))` call of the official code: the token
   * sequence has numPatches+1 entries but only indices < numPatches are drawn, so CLS + ⌊numPatches·(1−r)⌋−1
   * patches are kept and the last patch is never kept. false = keep CLS + ⌊numPatches·(1−r)⌋ random patches (msn).
   */
  readonly maskQuirk: boolean;
  /** EMA momentum of the target encoder and head (CXR-EHR-MSN: constant 0.996; msn: 0.996→1 over 1.25·epochs). */
  readonly ema: Schedule;
  /** Images per optimizer step (msn data.batch_size 64). */
  readonly batchSize: number;
  /** Training epochs, used by schedules and `fit` (CXR-EHR-MSN README 100; msn 800). */
  readonly epochs: number;
  /** Seed for initialisation and masks (CXR-EHR-MSN pl.seed_everything(24)). */
  readonly seed: number;
  /**
   * How parameters are initialised (src/nn/init.ts), drawn from `seed` either way. "trunc_normal": the
   * project's scheme, trunc-normal(0.02) weight matrices and zero biases in the encoder and projection head
   * (every preset; also what a config or checkpoint without this key gets). "torch": the distributions of the
   * official CXR-EHR-MSN code, per parameter: torchvision's VisionTransformer init for the encoder and
   * PyTorch's nn.Linear defaults for the projection head. Prototypes and the EHR projector and fusion are
   * nn.Linear defaults under both.
   */
  readonly init: InitScheme;
  /**
   * GEMM precision of training steps. "fp32" (every preset; also what a config or checkpoint without this key
   * gets): float32 throughout. "bf16": mixed precision as PyTorch's CPU autocast, whose 16-bit training the paper
   * used: every GEMM of the step's forward and backward passes (linear layers, attention products) takes its
   * inputs rounded to bf16 (nearest even) and accumulates and returns fp32; weights, optimizer state, loss,
   * softmax, LayerNorm, GELU and AdamW stay float32. Only training steps use it (evaluation and feature
   * extraction are fp32). Backends: native (AVX512-BF16, emulated on CPUs without it) and cuda; others throw.
   * docs/performance.md#bf16-mixed-precision.
   */
  readonly precision: Precision;
}

/** The GEMM precisions of {@link MsnConfig.precision} (the same list as src/backend/precision.ts, which applies them). */
export const PRECISIONS = ["fp32", "bf16"] as const;
/** One of {@link PRECISIONS}: "fp32", or "bf16" mixed precision (bf16 GEMM inputs, fp32 accumulation and outputs). */
export type Precision = (typeof PRECISIONS)[number];

type Preset = Omit<MsnConfig, "vit"> & { readonly vit: ViTConfig };

const lightlyHead = (d: number): HeadConfig => ({ hiddenDim: 4 * d, outputDim: d, hiddenBias: false });

const cxrEhrMsnCommon = {
  ehr: { ehrIn: 0, ehrOut: 128, projector: "linear" },
  numPrototypes: 1024,
  freezePrototypes: true,
  temperature: 0.1,
  sharpen: 0.25,
  sinkhornIters: 3,
  meMaxWeight: 1,
  entropyWeight: 0,
  randViews: 1,
  focalViews: 10,
  randSize: 224,
  focalSize: 96,
  patchDropRatio: 0.15,
  maskFocal: true,
  maskQuirk: true,
  ema: { kind: "constant", value: 0.996 },
  batchSize: 64,
  epochs: 100,
  seed: 24,
  init: "trunc_normal",
  precision: "fp32",
  optimizer: {
    lr: { kind: "epochCosine", start: 1e-4, end: 0, epochs: 100 },
    weightDecay: { kind: "constant", value: 1e-3 },
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    excludeBiasNormPrototypes: false,
    clipGrad: 0,
  },
} as const satisfies Omit<Preset, "vit" | "head">;

/** Named configurations. */
export const MSN_PRESETS = {
  /** CXR-EHR-MSN as run in its code with ViT-Tiny (6 heads, RGB input); set `ehr.ehrIn` for the multimodal model. */
  cxr_ehr_msn_tiny: {
    ...cxrEhrMsnCommon,
    vit: vitConfig("vit_tiny_patch16_224_cxrehrmsn", { inChans: 3 }),
    head: lightlyHead(192),
  },
  /** CXR-EHR-MSN as run in its code with ViT-Small. */
  cxr_ehr_msn_small: {
    ...cxrEhrMsnCommon,
    vit: vitConfig("vit_small_patch16_224", { inChans: 3 }),
    head: lightlyHead(384),
  },
  /** facebookresearch/msn configs/pretrain/msn_vits16.yaml, value for value (single process, batch 64). */
  msn_vits16: {
    // criterion and data values (K 1024, τ 0.1, T 0.25, Sinkhorn 3, ME-MAX 1, 1+10 views at 224/96, drop 0.15)
    // are the yaml's and the same as CXR-EHR-MSN's; the rest is set here
    ...cxrEhrMsnCommon,
    vit: vitConfig("vit_small_patch16_224", { inChans: 3 }),
    head: { hiddenDim: 2048, outputDim: 256, hiddenBias: true },
    freezePrototypes: false,
    maskFocal: false,
    maskQuirk: false,
    ema: { kind: "linear", start: 0.996, end: 1, epochs: 1000 },
    batchSize: 64,
    epochs: 800,
    seed: 0,
    optimizer: {
      lr: { kind: "warmupCosine", start: 2e-4, peak: 1e-3, end: 1e-6, warmupEpochs: 15, epochs: 1000 },
      weightDecay: { kind: "cosine", start: 0.04, end: 0.4, epochs: 1000 },
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      excludeBiasNormPrototypes: true,
      clipGrad: 3,
    },
  },
  /**
   * What a 2-core CPU can afford: 64-px grayscale views, patch 8, 6 blocks, 4 focal views of 32 px, 256
   * prototypes. Deviations from the paper: size, views, K, trainable prototypes, short warmup.
   */
  cpu_fast: {
    ...cxrEhrMsnCommon,
    vit: vitConfig("vit_cpu_patch8_64"),
    head: lightlyHead(192),
    numPrototypes: 256,
    freezePrototypes: false,
    focalViews: 4,
    randSize: 64,
    focalSize: 32,
    batchSize: 16,
    epochs: 10,
    optimizer: {
      ...cxrEhrMsnCommon.optimizer,
      lr: { kind: "warmupCosine", start: 1e-4, peak: 5e-4, end: 1e-5, warmupEpochs: 1, epochs: 10 },
      weightDecay: { kind: "constant", value: 0.04 },
    },
  },
  /** Unit-test size: 32-px views, 2 focal views of 16 px, 16 prototypes. */
  test: {
    ...cxrEhrMsnCommon,
    vit: vitConfig("vit_test"),
    head: lightlyHead(32),
    numPrototypes: 16,
    freezePrototypes: false,
    focalViews: 2,
    randSize: 32,
    focalSize: 16,
    batchSize: 4,
    epochs: 1,
    optimizer: { ...cxrEhrMsnCommon.optimizer, lr: { kind: "constant", value: 1e-3 } },
  },
} as const satisfies Record<string, Preset>;

/** One of {@link MSN_PRESET_NAMES}. */
export type MsnPresetName = keyof typeof MSN_PRESETS;
/** Names of the MSN presets (the paper's `cxr_ehr_msn_tiny`/`_small`, `cpu_fast`, `test`, …). */
export const MSN_PRESET_NAMES = Object.keys(MSN_PRESETS) as MsnPresetName[];

/** Overrides: top-level fields, and nested objects merged one level deep. */
export type MsnOverrides = Partial<Omit<MsnConfig, "vit" | "head" | "ehr" | "optimizer">> & {
  readonly vit?: Partial<ViTConfig>;
  readonly head?: Partial<HeadConfig>;
  readonly ehr?: Partial<EhrConfig>;
  readonly optimizer?: Partial<OptimizerConfig>;
};

const TOP_KEYS = [
  "vit", "head", "ehr", "optimizer", "numPrototypes", "freezePrototypes", "temperature", "sharpen", "sinkhornIters",
  "meMaxWeight", "entropyWeight", "randViews", "focalViews", "randSize", "focalSize", "patchDropRatio", "maskFocal",
  "maskQuirk", "ema", "batchSize", "epochs", "seed", "init", "precision",
] as const;

/** The init scheme of configs written before `init` existed (checkpoints, JSON files): the one they were built with. */
const LEGACY_INIT: InitScheme = "trunc_normal";

/**
 * Resolve a preset plus overrides into a validated, frozen config.
 * @throws Error naming the field and valid values.
 * @example msnConfig("cxr_ehr_msn_tiny", { ehr: { ehrIn: 3 } })
 */
export function msnConfig(name: MsnPresetName | string, overrides: MsnOverrides = {}): MsnConfig {
  const preset = (MSN_PRESETS as Record<string, Preset>)[name];
  if (!preset) throw new Error(`unknown MSN preset "${name}"; valid presets: ${MSN_PRESET_NAMES.join(", ")}`);
  rejectUnknownKeys(overrides, TOP_KEYS, "config");
  const merged = {
    ...preset,
    ...overrides,
    vit: { ...preset.vit, ...overrides.vit },
    head: { ...preset.head, ...overrides.head },
    ehr: { ...preset.ehr, ...overrides.ehr },
    optimizer: { ...preset.optimizer, ...overrides.optimizer },
  };
  return validateMsnConfig(merged as MsnConfig);
}

/**
 * Validate a complete config (presets, JSON files beside checkpoints). Returns a deep-frozen copy. A config
 * without `init` (written before the key existed) gets "trunc_normal", the scheme it was built with; one
 * without `precision`, "fp32".
 */
export function validateMsnConfig(c: MsnConfig): MsnConfig {
  rejectUnknownKeys(c, TOP_KEYS, "config");
  if ((c as Partial<MsnConfig>).init === undefined) c = { ...c, init: LEGACY_INIT };
  if ((c as Partial<MsnConfig>).precision === undefined) c = { ...c, precision: "fp32" };
  const vit = validateViTConfig(c.vit, "config.vit");
  rejectUnknownKeys(c.head, ["hiddenDim", "outputDim", "hiddenBias"], "config.head");
  checkInt(c.head.hiddenDim, "config.head.hiddenDim");
  checkInt(c.head.outputDim, "config.head.outputDim");
  checkBool(c.head.hiddenBias, "config.head.hiddenBias");
  rejectUnknownKeys(c.ehr, ["ehrIn", "ehrOut", "projector"], "config.ehr");
  checkInt(c.ehr.ehrIn, "config.ehr.ehrIn", 0);
  checkInt(c.ehr.ehrOut, "config.ehr.ehrOut", 1);
  checkChoice(c.ehr.projector, "config.ehr.projector", ["linear", "mlp"]);
  const o = c.optimizer;
  rejectUnknownKeys(o, ["lr", "weightDecay", "beta1", "beta2", "eps", "excludeBiasNormPrototypes", "clipGrad"], "config.optimizer");
  validateSchedule(o.lr, "config.optimizer.lr");
  validateSchedule(o.weightDecay, "config.optimizer.weightDecay");
  checkNumber(o.beta1, "config.optimizer.beta1", 0, 0.999999);
  checkNumber(o.beta2, "config.optimizer.beta2", 0, 0.999999999);
  checkNumber(o.eps, "config.optimizer.eps", 0, 1);
  checkBool(o.excludeBiasNormPrototypes, "config.optimizer.excludeBiasNormPrototypes");
  checkNumber(o.clipGrad, "config.optimizer.clipGrad", 0);
  checkInt(c.numPrototypes, "config.numPrototypes", 1);
  checkBool(c.freezePrototypes, "config.freezePrototypes");
  checkNumber(c.temperature, "config.temperature", 1e-6);
  checkNumber(c.sharpen, "config.sharpen", 1e-6);
  checkInt(c.sinkhornIters, "config.sinkhornIters", 0, 1000);
  checkNumber(c.meMaxWeight, "config.meMaxWeight", 0);
  checkNumber(c.entropyWeight, "config.entropyWeight", 0);
  checkInt(c.randViews, "config.randViews", 1, 16);
  checkInt(c.focalViews, "config.focalViews", 0, 64);
  checkInt(c.randSize, "config.randSize", 1);
  checkInt(c.focalSize, "config.focalSize", 1);
  for (const [f, s] of [["randSize", c.randSize], ["focalSize", c.focalSize]] as const) {
    if (s % vit.patchSize !== 0) {
      throw new Error(`config.${f} (${s}) must be divisible by config.vit.patchSize (${vit.patchSize})`);
    }
  }
  checkNumber(c.patchDropRatio, "config.patchDropRatio", 0, 0.99);
  checkBool(c.maskFocal, "config.maskFocal");
  checkBool(c.maskQuirk, "config.maskQuirk");
  validateSchedule(c.ema, "config.ema");
  checkInt(c.batchSize, "config.batchSize", 1);
  checkNumber(c.epochs, "config.epochs", 0);
  checkInt(c.seed, "config.seed", 0, 2 ** 32 - 1);
  checkChoice(c.init, "config.init", INIT_SCHEMES);
  checkChoice(c.precision, "config.precision", PRECISIONS);
  return deepFreeze(JSON.parse(JSON.stringify({ ...c, vit })) as MsnConfig);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
