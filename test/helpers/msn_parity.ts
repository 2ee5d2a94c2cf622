/**
 * The PyTorch-parity MSN step shared by test/msn/parity.test.ts (fp32) and test/msn/bf16.test.ts: the golden
 * written by test/reference/torch_reference.py, and the same model, name-seeded weights, inputs and masks built
 * here (not a test file itself).
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { msnConfig, type Precision } from "../../src/config/msn.js";
import type { KeepIndices } from "../../src/models/masking.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import type { MsnBatch } from "../../src/types/batch.js";
import { readGolden, type GoldenIndex } from "./golden.js";
import { mulberry32 } from "./mulberry32.js";

/** The committed golden of the parity step. */
export const PARITY_GOLDEN = join(import.meta.dirname, "../golden/msn_parity");

/** torch_reference.py's meta.json. */
export interface ParityMeta extends GoldenIndex {
  config: Record<string, number>;
  params: { name: string; shape: number[]; scale: number; offset: number }[];
  targetParams: string[];
  keepAnchors: number[][];
  keepFocal: number[][];
  scalars: { loss: number; ce: number; meMax: number; entropy: number; gradNorm: number };
}

/** FNV-1a of a string, as in the reference script. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** The reference script's name-seeded values: offset + scale·U(−1, 1) from mulberry32(fnv1a(name)). */
export function namedValues(name: string, n: number, scale: number, offset = 0): Float32Array {
  const next = mulberry32(fnv1a(name));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = offset + scale * (2 * next() - 1);
  return out;
}

/** The parity model in `precision`, with the reference's anchor and target weights. Caller disposes. */
export function parityModel(meta: ParityMeta, precision: Precision = "fp32"): MultimodalMSN {
  const c = meta.config;
  const m = new MultimodalMSN(
    msnConfig("test", {
      vit: { imgSize: c.img!, patchSize: c.patch!, inChans: c.chans!, embedDim: c.dim!, depth: c.depth!, numHeads: c.heads!, mlpRatio: c.mlp! / c.dim! },
      randSize: c.img!,
      focalSize: c.focal!,
      randViews: c.rand_views!,
      focalViews: c.focal_views!,
      head: { hiddenDim: c.head_hidden!, outputDim: c.head_out!, hiddenBias: false },
      numPrototypes: c.protos!,
      freezePrototypes: false,
      ehr: { ehrIn: c.ehr_in!, ehrOut: c.ehr_out!, projector: "linear" },
      temperature: c.tau!,
      sharpen: c.sharpen!,
      sinkhornIters: c.sinkhorn!,
      meMaxWeight: c.memax_w!,
      entropyWeight: c.ent_w!,
      patchDropRatio: c.drop!,
      maskFocal: true,
      maskQuirk: true,
      ema: { kind: "constant", value: c.ema! },
      optimizer: {
        lr: { kind: "constant", value: c.lr! },
        weightDecay: { kind: "constant", value: c.wd! },
        beta1: 0.9,
        beta2: 0.999,
        eps: c.eps!,
        excludeBiasNormPrototypes: true,
        clipGrad: c.clip!,
      },
      precision,
    }),
  );
  const anchor = new Map<string, Float32Array>();
  const target = new Map<string, Float32Array>();
  for (const p of meta.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    anchor.set(p.name, namedValues(p.name, n, p.scale, p.offset));
    if (meta.targetParams.includes(p.name)) target.set(p.name, namedValues("target:" + p.name, n, p.scale, p.offset));
  }
  m.anchorParams.assignAll(anchor, { partial: true });
  m.targetParams.assignAll(target, { partial: true });
  return m;
}

/** The reference's inputs as tensors: target [B,S,S,C], anchors, focal, ehr [B,E]. Caller disposes. */
export function parityBatch(meta: ParityMeta): MsnBatch {
  const c = meta.config;
  const B = c.batch!, S = c.img!, s = c.focal!, ch = c.chans!;
  return {
    target: tf.tensor4d(namedValues("input/target", B * S * S * ch, 1), [B, S, S, ch]),
    anchors: tf.tensor4d(namedValues("input/anchors", c.rand_views! * B * S * S * ch, 1), [c.rand_views! * B, S, S, ch]),
    focal: tf.tensor4d(namedValues("input/focal", c.focal_views! * B * s * s * ch, 1), [c.focal_views! * B, s, s, ch]),
    ehr: tf.tensor2d(namedValues("input/ehr", B * c.ehr_in!, 1), [B, c.ehr_in!]),
  };
}

/** The reference's masks (kept token indices of anchor and focal views). */
export function parityMasks(meta: ParityMeta): { keepAnchors: KeepIndices; keepFocal: KeepIndices } {
  const c = meta.config;
  const keep = (rows: number[][], numPatches: number): KeepIndices => ({ batch: rows.length, keep: rows[0]!.length, tokens: numPatches + 1, idx: Int32Array.from(rows.flat()) });
  return { keepAnchors: keep(meta.keepAnchors, (c.img! / c.patch!) ** 2), keepFocal: keep(meta.keepFocal, (c.focal! / c.patch!) ** 2) };
}

/** Read the committed parity golden. */
export const readParityGolden = (dir = PARITY_GOLDEN) => readGolden<ParityMeta>(dir);
