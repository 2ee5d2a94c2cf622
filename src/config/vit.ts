/**
 * Vision Transformer hyperparameters. Field names follow timm (camelCased); preset keys copy timm exactly.
 * Dosovitskiy et al., "An Image is Worth 16x16 Words", arXiv:2010.11929; DeiT sizes from arXiv:2012.12877.
 */
import { checkBool, checkInt, checkNumber, rejectUnknownKeys } from "../utils/validate.js";

/** Architecture of a Vision Transformer (timm's names: patch size, width, depth, heads, …). */
export interface ViTConfig {
  /** Training image size; positional embeddings are learned for (imgSize/patchSize)² patches. */
  readonly imgSize: number;
  /** Patch side in pixels (a stride-`patchSize` convolution). */
  readonly patchSize: number;
  /** Input channels: 1 for grayscale X-rays, 3 for the paper's PIL convert('RGB') input. */
  readonly inChans: number;
  /** Token width D. */
  readonly embedDim: number;
  /** Number of transformer blocks. */
  readonly depth: number;
  /** Attention heads; must divide embedDim. */
  readonly numHeads: number;
  /** MLP hidden width = mlpRatio × embedDim. */
  readonly mlpRatio: number;
  /** Bias on the q, k, v projections. */
  readonly qkvBias: boolean;
  /** LayerNorm epsilon (1e-6 in timm/torchvision ViTs). */
  readonly layerNormEps: number;
}

const VIT_KEYS = ["imgSize", "patchSize", "inChans", "embedDim", "depth", "numHeads", "mlpRatio", "qkvBias", "layerNormEps"] as const;

const base = { imgSize: 224, patchSize: 16, inChans: 1, mlpRatio: 4, qkvBias: true, layerNormEps: 1e-6 } as const;

/** Named ViT sizes. */
export const VIT_PRESETS = {
  /** Tiny test model: 32 px, patch 8, 2 blocks. Runs in milliseconds on the CPU. */
  vit_test: { ...base, imgSize: 32, patchSize: 8, embedDim: 32, depth: 2, numHeads: 2 },
  /** A 64-px teaching/CPU model: patch 8 (64 tokens), ViT-Tiny width, 6 blocks. */
  vit_cpu_patch8_64: { ...base, imgSize: 64, patchSize: 8, embedDim: 192, depth: 6, numHeads: 3 },
  /** ViT-Ti/16 (DeiT-Tiny): 192 wide, 12 deep, 3 heads, ~5.7 M parameters. */
  vit_tiny_patch16_224: { ...base, embedDim: 192, depth: 12, numHeads: 3 },
  /** ViT-Tiny as built in the official CXR-EHR-MSN code: torchvision ViT with 6 heads hard-coded (head dim 32). */
  vit_tiny_patch16_224_cxrehrmsn: { ...base, embedDim: 192, depth: 12, numHeads: 6 },
  /** ViT-S/16 (DeiT-Small): 384 wide, 12 deep, 6 heads, ~22 M parameters. */
  vit_small_patch16_224: { ...base, embedDim: 384, depth: 12, numHeads: 6 },
} as const satisfies Record<string, ViTConfig>;

/** One of {@link VIT_NAMES}. */
export type ViTName = keyof typeof VIT_PRESETS;
/** Names of the ViT presets (`vit_tiny_patch16_224`, …). */
export const VIT_NAMES = Object.keys(VIT_PRESETS) as ViTName[];

/**
 * Resolve a preset with overrides and validate it.
 * @throws Error naming the field and valid values (unknown preset, unknown key, indivisible sizes...).
 * @example vitConfig("vit_tiny_patch16_224", { inChans: 3 })
 */
export function vitConfig(name: ViTName | string, overrides: Partial<ViTConfig> = {}): ViTConfig {
  const preset = (VIT_PRESETS as Record<string, ViTConfig>)[name];
  if (!preset) throw new Error(`unknown ViT preset "${name}"; valid presets: ${VIT_NAMES.join(", ")}`);
  return validateViTConfig({ ...preset, ...overrides });
}

/** Validate a full ViT config (also used for configs read from JSON). Returns a frozen copy. */
export function validateViTConfig(c: ViTConfig, where = "vit"): ViTConfig {
  rejectUnknownKeys(c, VIT_KEYS, where);
  checkInt(c.imgSize, `${where}.imgSize`, 1);
  checkInt(c.patchSize, `${where}.patchSize`, 1);
  checkInt(c.inChans, `${where}.inChans`, 1, 4);
  if (c.inChans !== 1 && c.inChans !== 3) throw new Error(`${where}.inChans must be 1 (grayscale) or 3 (RGB), got ${c.inChans}`);
  checkInt(c.embedDim, `${where}.embedDim`, 1);
  checkInt(c.depth, `${where}.depth`, 1);
  checkInt(c.numHeads, `${where}.numHeads`, 1);
  checkNumber(c.mlpRatio, `${where}.mlpRatio`, 0.0001);
  checkBool(c.qkvBias, `${where}.qkvBias`);
  checkNumber(c.layerNormEps, `${where}.layerNormEps`, 0, 1);
  if (c.imgSize % c.patchSize !== 0) {
    throw new Error(`${where}.imgSize (${c.imgSize}) must be divisible by ${where}.patchSize (${c.patchSize})`);
  }
  if (c.embedDim % c.numHeads !== 0) {
    const ok = divisors(c.embedDim).join(", ");
    throw new Error(`${where}.embedDim (${c.embedDim}) must be divisible by ${where}.numHeads (${c.numHeads}); valid numHeads: ${ok}`);
  }
  if (!Number.isInteger(c.mlpRatio * c.embedDim)) {
    throw new Error(`${where}.mlpRatio × embedDim must be an integer, got ${c.mlpRatio * c.embedDim}`);
  }
  return Object.freeze({ ...c });
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (n % i === 0) out.push(i);
  return out;
}
