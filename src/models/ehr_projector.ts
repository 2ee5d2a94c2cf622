/**
 * The EHR branch of multimodal MSN (nyuad-cai/CXR-EHR-MSN, src/models/cxrehrmsn.py): f_ehr embeds the EHR
 * vector, the embedding is concatenated with the anchor CLS features, and g = Linear(D + ehrOut → D) fuses
 * them before the anchor projection head. The same EHR embedding is repeated for every anchor view.
 * Only the anchor branch sees EHR; the target branch and evaluation are image-only.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EhrConfig } from "../config/msn.js";
import { gelu, linear } from "../nn/ops.js";
import { torchLinearBias, torchLinearWeight } from "../nn/init.js";
import type { ParamStore } from "../nn/params.js";

/** Anything that maps an EHR batch [B, ehrIn] to embeddings [B, ehrOut]. */
export interface EhrProjector {
  readonly outDim: number;
  /** [B, ehrIn] → [B, ehrOut]; caller owns the result. */
  forward(ehr: tf.Tensor2D): tf.Tensor2D;
}

/** A Linear with PyTorch nn.Linear's default init (U(±1/√fanIn) weight and bias), under every init scheme: the official code's nn.Linear layers. */
function addTorchLinear(store: ParamStore, name: string, fanIn: number, fanOut: number): void {
  store.add(`${name}.weight`, [fanIn, fanOut], torchLinearWeight(fanIn));
  store.add(`${name}.bias`, [fanOut], torchLinearBias(fanIn), { noDecay: true });
}

/**
 * f_ehr as `config.projector` says: Linear(ehrIn → ehrOut) ("linear", the official projector) or
 * Linear→GELU→Linear ("mlp"). Creates its variables `ehr.*` in `store`, which owns them.
 */
export class EhrProjectorNet implements EhrProjector {
  readonly outDim: number;

  constructor(readonly config: EhrConfig, readonly store: ParamStore) {
    this.outDim = config.ehrOut;
    if (config.projector === "linear") addTorchLinear(store, "ehr.fc", config.ehrIn, config.ehrOut);
    else {
      addTorchLinear(store, "ehr.fc1", config.ehrIn, config.ehrOut);
      addTorchLinear(store, "ehr.fc2", config.ehrOut, config.ehrOut);
    }
  }

  forward(ehr: tf.Tensor2D): tf.Tensor2D {
    const p = (n: string) => this.store.get(n) as unknown as tf.Tensor2D;
    const b = (n: string) => this.store.get(n) as unknown as tf.Tensor1D;
    if (ehr.shape[1] !== this.config.ehrIn) {
      throw new Error(`EHR batch has ${ehr.shape[1]} features but the model was built with ehr.ehrIn = ${this.config.ehrIn}`);
    }
    if (this.config.projector === "linear") return linear(ehr, p("ehr.fc.weight"), b("ehr.fc.bias")); // [B, ehrOut]
    return linear(gelu(linear(ehr, p("ehr.fc1.weight"), b("ehr.fc1.bias"))), p("ehr.fc2.weight"), b("ehr.fc2.bias"));
  }
}

/** g: concatenate anchor features [V·B, D] with the EHR embedding repeated V times, then Linear(D+ehrOut → D). */
export class EhrFusion {
  /** Create the variables `fusion.*` in `store`, which owns them. */
  constructor(readonly embedDim: number, readonly ehrOut: number, readonly store: ParamStore) {
    addTorchLinear(store, "fusion", embedDim + ehrOut, embedDim);
  }

  /**
   * @param anchors [V·B, D] anchor CLS features, view-major.
   * @param ehrEmbed [B, ehrOut], repeated for each of the V views (torch `.repeat((V, 1))`).
   * @returns [V·B, D]; caller owns it.
   */
  forward(anchors: tf.Tensor2D, ehrEmbed: tf.Tensor2D): tf.Tensor2D {
    const views = anchors.shape[0] / ehrEmbed.shape[0];
    const e = tf.tile(ehrEmbed, [views, 1]); // [V·B, ehrOut]
    const x = tf.concat([anchors, e], 1) as tf.Tensor2D; // [V·B, D+ehrOut]
    return linear(x, this.store.get("fusion.weight") as unknown as tf.Tensor2D, this.store.get("fusion.bias") as unknown as tf.Tensor1D);
  }
}
