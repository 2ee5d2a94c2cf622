/**
 * MSN projection head h: Linear→BatchNorm1d→GELU→Linear→BatchNorm1d→GELU→Linear
 * (lightly MSNProjectionHead(D, 4D, D) in CXR-EHR-MSN; msn's `encoder.fc` 2048/2048/256 with biases).
 * BatchNorm runs in training mode (batch statistics) whenever the head is used for pretraining, for the
 * anchor and the EMA target branch alike, as in PyTorch where both modules are in train mode.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { HeadConfig } from "../config/msn.js";
import { batchNormTrain, gelu, linear } from "../nn/ops.js";
import { type InitScheme, TRUNC_NORMAL_02, torchLinearBias, torchLinearWeight } from "../nn/init.js";
import type { Init, ParamStore } from "../nn/params.js";

const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

export class ProjectionHead {
  /**
   * Create variables `${prefix}fc1.weight` … in `store`. The store owns the variables.
   * @param init "trunc_normal": Linear weights trunc-normal(0.02), biases zero; "torch": every Linear as
   *   PyTorch's nn.Linear default (weight and bias U(±1/√fan_in)), as lightly's MSNProjectionHead is built.
   *   BatchNorm is weight one, bias zero, running mean 0, running variance 1 in both.
   */
  constructor(
    readonly inDim: number,
    readonly config: HeadConfig,
    readonly store: ParamStore,
    readonly prefix = "head.",
    readonly init: InitScheme = "trunc_normal",
  ) {
    const { hiddenDim: h, outputDim: o, hiddenBias } = config;
    const nd = { noDecay: true };
    const torch = init === "torch";
    const weight = (fanIn: number): Init => (torch ? torchLinearWeight(fanIn) : TRUNC_NORMAL_02);
    const bias = (fanIn: number): Init => (torch ? torchLinearBias(fanIn) : { kind: "zeros" });
    const dims: [number, number][] = [[inDim, h], [h, h]];
    dims.forEach(([a, b], i) => {
      store.add(`${prefix}fc${i + 1}.weight`, [a, b], weight(a));
      if (hiddenBias) store.add(`${prefix}fc${i + 1}.bias`, [b], bias(a), nd);
      store.add(`${prefix}bn${i + 1}.weight`, [b], { kind: "ones" }, nd);
      store.add(`${prefix}bn${i + 1}.bias`, [b], { kind: "zeros" }, nd);
      store.add(`${prefix}bn${i + 1}.running_mean`, [b], { kind: "zeros" }, { buffer: true, trainable: false });
      store.add(`${prefix}bn${i + 1}.running_var`, [b], { kind: "ones" }, { buffer: true, trainable: false });
    });
    store.add(`${prefix}fc3.weight`, [h, o], weight(h));
    store.add(`${prefix}fc3.bias`, [o], bias(h), nd);
  }

  private v<R extends tf.Rank>(s: string): tf.Tensor<R> {
    return this.store.get(this.prefix + s) as unknown as tf.Tensor<R>;
  }

  /**
   * [N, inDim] → [N, outputDim], BatchNorm with batch statistics. Caller owns the result.
   * @param updateRunningStats also update the BatchNorm running buffers (PyTorch train-mode side effect).
   */
  forward(x: tf.Tensor2D, updateRunningStats = true): tf.Tensor2D {
    let h = x;
    for (const i of [1, 2]) {
      const bias = this.config.hiddenBias ? this.v<tf.Rank.R1>(`fc${i}.bias`) : undefined;
      const z = linear(h, this.v(`fc${i}.weight`), bias); // [N, hidden]
      const bn = batchNormTrain(z, this.v(`bn${i}.weight`), this.v(`bn${i}.bias`), BN_EPS);
      if (updateRunningStats) {
        const rm = this.store.get(`${this.prefix}bn${i}.running_mean`);
        const rv = this.store.get(`${this.prefix}bn${i}.running_var`);
        tf.tidy(() => {
          rm.assign(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(bn.mean, BN_MOMENTUM)));
          rv.assign(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(bn.varUnbiased, BN_MOMENTUM)));
        });
      }
      h = gelu(bn.y); // [N, hidden]
    }
    return linear(h, this.v("fc3.weight"), this.v("fc3.bias")); // [N, outputDim]
  }
}
