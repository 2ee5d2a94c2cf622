/** Presets and bad configs: every error names the field and the valid values. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initBackend } from "../../src/backend/index.js";
import { MSN_PRESET_NAMES, msnConfig } from "../../src/config/msn.js";
import { VIT_NAMES, vitConfig } from "../../src/config/vit.js";
import { VisionTransformer } from "../../src/models/vit.js";
import { ParamStore } from "../../src/nn/params.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { Rng } from "../../src/utils/rng.js";

describe("configs", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("every preset validates", () => {
    for (const n of VIT_NAMES) assert.ok(vitConfig(n));
    for (const n of MSN_PRESET_NAMES) assert.ok(msnConfig(n));
  });

  it("ViT-Tiny and ViT-Small have the published parameter counts (timm: 5.72 M and 22.05 M with a 1000-class head)", () => {
    const count = (name: "vit_tiny_patch16_224" | "vit_small_patch16_224") => {
      const store = new ParamStore(new Rng(0));
      new VisionTransformer(vitConfig(name, { inChans: 3 }), store);
      const n = store.numParams();
      store.dispose();
      return n;
    };
    // timm counts include the classifier head: D·1000 + 1000. Our encoder has none.
    assert.equal(count("vit_tiny_patch16_224") + 192 * 1000 + 1000, 5_717_416);
    assert.equal(count("vit_small_patch16_224") + 384 * 1000 + 1000, 22_050_664);
  });

  it("rejects embedDim not divisible by numHeads, listing valid head counts", () => {
    assert.throws(() => vitConfig("vit_tiny_patch16_224", { numHeads: 5 }), /vit\.embedDim \(192\) must be divisible by vit\.numHeads \(5\); valid numHeads: 1, 2, 3, 4, 6, 8/);
    assert.throws(() => new MultimodalMSN("test", { vit: { numHeads: 3 } }), /config\.vit\.embedDim \(32\) must be divisible by config\.vit\.numHeads \(3\)/);
  });

  it("rejects an image size not divisible by the patch size", () => {
    assert.throws(() => vitConfig("vit_small_patch16_224", { imgSize: 200 }), /vit\.imgSize \(200\) must be divisible by vit\.patchSize \(16\)/);
    assert.throws(() => msnConfig("test", { focalSize: 20 }), /config\.focalSize \(20\) must be divisible by config\.vit\.patchSize \(8\)/);
  });

  it("rejects unknown keys and presets, listing the valid ones", () => {
    assert.throws(() => msnConfig("test", { numPrototype: 3 } as never), /config: unknown key "numPrototype"; valid keys: vit, head, .*numPrototypes/);
    assert.throws(() => msnConfig("test", { vit: { embed_dim: 3 } } as never), /config\.vit: unknown key "embed_dim"; valid keys: imgSize/);
    assert.throws(() => msnConfig("nope"), /unknown MSN preset "nope"; valid presets: cxr_ehr_msn_tiny, /);
    assert.throws(() => vitConfig("vit_huge"), /unknown ViT preset "vit_huge"; valid presets: vit_test, /);
    assert.throws(() => msnConfig("test", { ehr: { projector: "transformer" as never } }), /config\.ehr\.projector must be one of "linear", "mlp"/);
    assert.throws(() => msnConfig("test", { optimizer: { lr: { kind: "step", value: 1 } as never } }), /config\.optimizer\.lr\.kind must be one of "constant", "linear"/);
    assert.throws(() => msnConfig("test", { ehr: { ehrIn: -1 } }), /config\.ehr\.ehrIn must be an integer in \[0, /);
  });

  it("presets match the reference configurations", () => {
    const paper = msnConfig("cxr_ehr_msn_tiny");
    assert.equal(paper.vit.numHeads, 6, "the official code hard-codes 6 heads for ViT-Tiny");
    assert.deepEqual([paper.numPrototypes, paper.freezePrototypes, paper.temperature, paper.sharpen, paper.sinkhornIters, paper.meMaxWeight], [1024, true, 0.1, 0.25, 3, 1]);
    assert.deepEqual([paper.head.hiddenDim, paper.head.outputDim, paper.ehr.ehrOut], [768, 192, 128]);
    assert.deepEqual(paper.ema, { kind: "constant", value: 0.996 });
    const msn = msnConfig("msn_vits16");
    assert.deepEqual([msn.head.hiddenDim, msn.head.outputDim, msn.optimizer.clipGrad, msn.freezePrototypes], [2048, 256, 3, false]);
    assert.equal(vitConfig("vit_tiny_patch16_224").numHeads, 3);
  });
});
