/**
 * Initialisation schemes (config.init, src/nn/init.ts).
 *
 * "torch" against PyTorch: test/reference/torch_init_stats.py builds the official CXR-EHR-MSN modules
 * (torchvision's VisionTransformer, lightly's MSNProjectionHead as nn.Linear/BatchNorm1d, the nn.Linear
 * prototypes, f_ehr and g) at the `test` preset's sizes and at the paper's ViT-Tiny sizes, and prints per-tensor
 * statistics of their initial values. Every tensor of ours is mapped to its official counterpart (q, k and v
 * together are the attention's in_proj_weight) and compared: exact values where the init is a constant,
 * and otherwise mean, std, deciles and kurtosis within 5 standard errors of the difference of two samples,
 * plus the support of every uniform init (|x| ≤ bound, and the largest |x| close to it) for both samples.
 *
 * "trunc_normal" (the presets' scheme) must not change: its values are pinned by a digest, and configs
 * and checkpoints without the key get it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { initBackend } from "../../src/backend/index.js";
import { MSN_PRESET_NAMES, type MsnConfig, type MsnOverrides, msnConfig, validateMsnConfig } from "../../src/config/msn.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { requirePython } from "../helpers/python.js";

const ROOT = join(import.meta.dirname, "../..");
/** Standard errors allowed between two samples' statistics. */
const Z = 5;

interface Stats {
  shape?: number[];
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  kurtosis: number;
  deciles: number[];
}

/** The statistics torch_init_stats.py computes, in float64, the same way (population std, numpy linear quantiles). */
function stats(x: Float32Array): Stats {
  const n = x.length;
  let s = 0;
  for (const v of x) s += v;
  const mean = s / n;
  let m2 = 0;
  let m4 = 0;
  for (const v of x) {
    const c = v - mean;
    m2 += c * c;
    m4 += c * c * c * c;
  }
  m2 /= n;
  m4 /= n;
  const sorted = Float64Array.from(x).sort();
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return sorted[lo]! + (h - lo) * (sorted[Math.min(lo + 1, n - 1)]! - sorted[lo]!);
  };
  return {
    n,
    mean,
    std: Math.sqrt(m2),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    kurtosis: m2 > 0 ? m4 / (m2 * m2) : 0,
    deciles: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => q(i / 10)),
  };
}

/** What the official code draws for a tensor: a constant, uniform(±bound) or normal(0, std). */
type Official = { kind: "const"; value: number } | { kind: "uniform"; bound: number } | { kind: "normal"; std: number };

/** One official tensor and the tensors of ours whose concatenation it corresponds to. */
interface Pair {
  readonly torch: string;
  readonly ours: readonly string[];
  readonly official: Official;
}

/**
 * The mapping official → ours for a model built from `c`, with the official init of each tensor
 * (torchvision VisionTransformer + MultiheadAttention + MLPBlock, nn.Linear defaults, BatchNorm defaults).
 */
function pairs(c: MsnConfig): Pair[] {
  const { embedDim: d, patchSize: p, inChans: ch, depth, mlpRatio } = c.vit;
  const hid = mlpRatio * d;
  const { hiddenDim: h } = c.head;
  const zero: Official = { kind: "const", value: 0 };
  const one: Official = { kind: "const", value: 1 };
  const u = (bound: number): Official => ({ kind: "uniform", bound });
  const out: Pair[] = [
    { torch: "backbone.conv_proj.weight", ours: ["encoder.patch_embed.weight"], official: { kind: "normal", std: Math.sqrt(1 / (ch * p * p)) } },
    { torch: "backbone.conv_proj.bias", ours: ["encoder.patch_embed.bias"], official: zero },
    { torch: "backbone.class_token", ours: ["encoder.cls_token"], official: zero },
    { torch: "backbone.encoder.pos_embedding", ours: ["encoder.pos_embed"], official: { kind: "normal", std: 0.02 } },
  ];
  for (let i = 0; i < depth; i++) {
    const t = `backbone.encoder.layers.encoder_layer_${i}.`;
    const o = `encoder.blocks.${i}.`;
    out.push(
      { torch: t + "ln_1.weight", ours: [o + "norm1.weight"], official: one },
      { torch: t + "ln_1.bias", ours: [o + "norm1.bias"], official: zero },
      { torch: t + "self_attention.in_proj_weight", ours: ["q", "k", "v"].map((x) => `${o}attn.${x}.weight`), official: u(Math.sqrt(6 / (d + 3 * d))) },
      { torch: t + "self_attention.in_proj_bias", ours: ["q", "k", "v"].map((x) => `${o}attn.${x}.bias`), official: zero },
      { torch: t + "self_attention.out_proj.weight", ours: [o + "attn.proj.weight"], official: u(1 / Math.sqrt(d)) },
      { torch: t + "self_attention.out_proj.bias", ours: [o + "attn.proj.bias"], official: zero },
      { torch: t + "ln_2.weight", ours: [o + "norm2.weight"], official: one },
      { torch: t + "ln_2.bias", ours: [o + "norm2.bias"], official: zero },
      { torch: t + "mlp.0.weight", ours: [o + "mlp.fc1.weight"], official: u(Math.sqrt(6 / (d + hid))) },
      { torch: t + "mlp.0.bias", ours: [o + "mlp.fc1.bias"], official: { kind: "normal", std: 1e-6 } },
      { torch: t + "mlp.3.weight", ours: [o + "mlp.fc2.weight"], official: u(Math.sqrt(6 / (d + hid))) },
      { torch: t + "mlp.3.bias", ours: [o + "mlp.fc2.bias"], official: { kind: "normal", std: 1e-6 } },
    );
  }
  out.push(
    { torch: "backbone.encoder.ln.weight", ours: ["encoder.norm.weight"], official: one },
    { torch: "backbone.encoder.ln.bias", ours: ["encoder.norm.bias"], official: zero },
  );
  for (const [i, t, fanIn] of [[1, 0, d], [2, 3, h]] as const) {
    out.push(
      { torch: `projection_head.${t}.weight`, ours: [`head.fc${i}.weight`], official: u(1 / Math.sqrt(fanIn)) },
      { torch: `projection_head.${t + 1}.weight`, ours: [`head.bn${i}.weight`], official: one },
      { torch: `projection_head.${t + 1}.bias`, ours: [`head.bn${i}.bias`], official: zero },
      { torch: `projection_head.${t + 1}.running_mean`, ours: [`head.bn${i}.running_mean`], official: zero },
      { torch: `projection_head.${t + 1}.running_var`, ours: [`head.bn${i}.running_var`], official: one },
    );
  }
  out.push(
    { torch: "projection_head.6.weight", ours: ["head.fc3.weight"], official: u(1 / Math.sqrt(h)) },
    { torch: "projection_head.6.bias", ours: ["head.fc3.bias"], official: u(1 / Math.sqrt(h)) },
    { torch: "prototypes", ours: ["prototypes"], official: u(1 / Math.sqrt(c.head.outputDim)) },
    { torch: "f_ehr.weight", ours: ["ehr.fc.weight"], official: u(1 / Math.sqrt(c.ehr.ehrIn)) },
    { torch: "f_ehr.bias", ours: ["ehr.fc.bias"], official: u(1 / Math.sqrt(c.ehr.ehrIn)) },
    { torch: "ehr_cxr_project_g.weight", ours: ["fusion.weight"], official: u(1 / Math.sqrt(c.ehr.ehrOut + d)) },
    { torch: "ehr_cxr_project_g.bias", ours: ["fusion.bias"], official: u(1 / Math.sqrt(c.ehr.ehrOut + d)) },
  );
  return out;
}

/** Official tensors with no counterpart: torchvision's zero-initialised classifier, which MAEBackbone keeps but never uses. */
const UNUSED_OFFICIAL = ["backbone.heads.head.weight", "backbone.heads.head.bias"];

/** The configurations compared: the `test` preset (RGB, with EHR) and the paper's ViT-Tiny model (--ehr-in 10). */
const CASES: Record<string, [string, MsnOverrides]> = {
  test: ["test", { vit: { inChans: 3 }, ehr: { ehrIn: 3 }, init: "torch" }],
  cxr_ehr_msn_tiny: ["cxr_ehr_msn_tiny", { ehr: { ehrIn: 10 }, init: "torch" }],
};

/** The sizes torch_init_stats.py builds for config `c`. */
function sizes(name: string, c: MsnConfig) {
  const v = c.vit;
  return {
    name, img: v.imgSize, patch: v.patchSize, dim: v.embedDim, depth: v.depth, heads: v.numHeads, mlp: v.mlpRatio * v.embedDim,
    head_hidden: c.head.hiddenDim, head_out: c.head.outputDim, protos: c.numPrototypes, ehr_in: c.ehr.ehrIn, ehr_out: c.ehr.ehrOut,
  };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Problems found comparing our sample `x` with the official sample `t` of a tensor whose official init is `off`. */
function compare(pair: Pair, x: Float32Array, t: Stats): string[] {
  const bad: string[] = [];
  const { official: off } = pair;
  const o = stats(x);
  const n = o.n;
  const say = (what: string) => bad.push(`${pair.torch} (${pair.ours.join(" + ")}): ${what}`);
  if (t.n !== n) say(`${n} values, official ${t.n}`);
  if (off.kind === "const") {
    if (t.min !== off.value || t.max !== off.value) say(`official is not the constant ${off.value} (min ${t.min}, max ${t.max})`);
    if (x.some((v) => v !== off.value)) say(`ours is not the constant ${off.value} (min ${o.min}, max ${o.max})`);
    return bad;
  }
  const se2 = Math.SQRT2; // the difference of two independent estimates has √2 × the standard error of one
  if (Math.abs(o.mean - t.mean) > Z * se2 * t.std / Math.sqrt(n)) say(`mean ${o.mean} vs official ${t.mean}`);
  // standard error of a sample std: σ·√((κ − 1)/(4n))
  const stdTol = Z * se2 * Math.sqrt(Math.max(t.kurtosis - 1, 0.5) / (4 * n));
  if (Math.abs(o.std / t.std - 1) > stdTol) say(`std ${o.std} vs official ${t.std} (relative tolerance ${stdTol.toFixed(4)})`);
  // standard error of a quantile: √(p(1−p)/n)/f(q) ≤ 1.8σ/√n for the normal and the uniform at p = 0.1 … 0.9
  const qTol = Z * se2 * 1.8 * t.std / Math.sqrt(n);
  o.deciles.forEach((q, i) => {
    if (Math.abs(q - t.deciles[i]!) > qTol) say(`decile ${i + 1} ${q} vs official ${t.deciles[i]} (tolerance ${qTol})`);
  });
  // standard error of the sample kurtosis, √(24/n) for a normal (smaller for a uniform)
  if (Math.abs(o.kurtosis - t.kurtosis) > Z * se2 * Math.sqrt(24 / n)) say(`kurtosis ${o.kurtosis} vs official ${t.kurtosis}`);
  if (off.kind === "uniform") {
    // both samples lie in [−b, b] and reach close to it: P(max |x| < b(1 − 12/n)) ≈ e^−12
    const ulp = off.bound * 1e-6;
    for (const [who, s] of [["ours", o], ["official", t]] as const) {
      const m = Math.max(-s.min, s.max);
      if (m > off.bound + ulp || m < off.bound * (1 - 12 / n)) say(`${who} max |x| ${m} for a uniform(±${off.bound})`);
    }
  } else {
    // the official std as documented (checks the mapping), and ours: standard error σ/√(2n)
    for (const [who, s] of [["ours", o], ["official", t]] as const) {
      if (Math.abs(s.std / off.std - 1) > Z * Math.sqrt(1 / (2 * n))) say(`${who} std ${s.std} for a normal(0, ${off.std})`);
    }
  }
  return bad;
}

describe("parameter initialisation (config.init)", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it('"torch" draws every parameter from the official CXR-EHR-MSN init distributions (live PyTorch, test/reference/torch_init_stats.py)', (t) => {
    const py = requirePython(t, ["torch", "torchvision", "numpy"], ["python3-torch", "python3-torchvision", "python3-numpy"]);
    if (!py) return;
    const configs = Object.entries(CASES).map(([name, [preset, o]]) => [name, msnConfig(preset, o)] as const);
    const arg = JSON.stringify(configs.map(([name, c]) => sizes(name, c)));
    const ref = JSON.parse(execFileSync(py, [join(ROOT, "test/reference/torch_init_stats.py"), arg], { encoding: "utf8", maxBuffer: 64 << 20 })) as {
      torch: string;
      torchvision: string;
      models: Record<string, Record<string, Stats>>;
    };
    const bad: string[] = [];
    for (const [name, c] of configs) {
      const official = ref.models[name]!;
      const m = new MultimodalMSN(c);
      try {
        const ours = m.anchorParams.snapshot();
        const ps = pairs(c);
        // the mapping is complete both ways
        const mappedOurs = ps.flatMap((p) => p.ours);
        assert.deepEqual([...mappedOurs].sort(), [...ours.keys()].sort(), `${name}: our parameters and the mapping differ`);
        assert.deepEqual([...ps.map((p) => p.torch), ...UNUSED_OFFICIAL].sort(), Object.keys(official).sort(), `${name}: official tensors and the mapping differ`);
        for (const p of ps) bad.push(...compare(p, concat(p.ours.map((n) => ours.get(n)!)), official[p.torch]!).map((s) => `${name}: ${s}`));
        // the target networks start as copies of the anchor ones, as the official deepcopy does
        for (const [n, v] of m.targetParams.snapshot()) assert.deepEqual(v, ours.get(n), `${name}: target ${n} is not the anchor's copy`);
        // report the figures of the largest tensors of each kind
        const big = ps.filter((p) => p.official.kind !== "const").map((p) => [p, official[p.torch]!] as const).sort((a, b) => b[1].n - a[1].n);
        for (const [p, s] of big.slice(0, 6)) {
          const o = stats(concat(p.ours.map((n) => ours.get(n)!)));
          t.diagnostic(`${name} ${p.torch} n=${s.n}: std ${o.std.toPrecision(5)} vs torch ${s.std.toPrecision(5)} (${((o.std / s.std - 1) * 100).toFixed(2)}%), max|x| ${Math.max(-o.min, o.max).toPrecision(5)} vs ${Math.max(-s.min, s.max).toPrecision(5)}`);
        }
      } finally {
        m.dispose();
      }
    }
    assert.equal(bad.join("\n"), "", `init statistics that differ from torch ${ref.torch} / torchvision ${ref.torchvision}`);
  });

  it('"torch" is seeded: the same seed gives the same values, another seed others, and it differs from "trunc_normal"', () => {
    const values = (o: MsnOverrides) => {
      const m = new MultimodalMSN("test", o);
      try {
        return m.anchorParams.snapshot();
      } finally {
        m.dispose();
      }
    };
    const a = values({ init: "torch" });
    assert.deepEqual(values({ init: "torch" }), a);
    assert.notDeepEqual(values({ init: "torch", seed: 25 }).get("encoder.pos_embed"), a.get("encoder.pos_embed"));
    const tn = values({});
    assert.notDeepEqual(tn.get("encoder.pos_embed"), a.get("encoder.pos_embed"));
    assert.ok(a.get("encoder.cls_token")!.every((v) => v === 0), "torchvision's class_token is zeros");
    assert.ok(tn.get("encoder.cls_token")!.some((v) => v !== 0), "trunc_normal's cls_token is trunc-normal(1e-6)");
  });

  it('every preset keeps "trunc_normal", whose values are unchanged (pinned digest of the test preset)', () => {
    for (const n of MSN_PRESET_NAMES) assert.equal(msnConfig(n).init, "trunc_normal", n);
    const m = new MultimodalMSN("test", { ehr: { ehrIn: 3 } });
    try {
      const h = createHash("sha256");
      for (const store of [m.anchorParams, m.targetParams]) {
        for (const [n, v] of store.snapshot()) h.update(n).update(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      }
      // the values every "trunc_normal" model had before `init` existed: changing them changes every result
      assert.equal(h.digest("hex").slice(0, 16), "524dde4be022db7e", "the trunc_normal initial values changed");
      const w = m.anchorParams.get("encoder.blocks.0.mlp.fc1.weight").dataSync();
      assert.ok(w.every((v) => Math.abs(v) <= 0.04), "trunc-normal(0.02) is cut at ±2 std");
    } finally {
      m.dispose();
    }
  });

  it("a config or checkpoint without `init` gets trunc_normal; a bad value names the choices", () => {
    const legacy = { ...msnConfig("test") } as Partial<MsnConfig>;
    delete legacy.init;
    assert.equal(validateMsnConfig(legacy as MsnConfig).init, "trunc_normal");
    assert.throws(() => msnConfig("test", { init: "xavier" as never }), /config\.init must be one of "trunc_normal", "torch", got "xavier"/);
    assert.throws(() => msnConfig("test", { initialisation: "torch" } as never), /config: unknown key "initialisation"; valid keys: .*seed, init, precision$/);

    const dir = mkdtempSync(join(tmpdir(), "mmsn-init-"));
    try {
      for (const init of ["trunc_normal", "torch"] as const) {
        const a = new MultimodalMSN("test", { init });
        const ck = join(dir, init);
        a.save(ck);
        const b = MultimodalMSN.load(ck);
        assert.equal(b.config.init, init, "the checkpoint stores init in its config");
        assert.deepEqual(b.anchorParams.snapshot(), a.anchorParams.snapshot());
        b.dispose();
        a.dispose();
      }
      // a checkpoint written before the key existed
      const path = join(dir, "trunc_normal", "model.json");
      const manifest = JSON.parse(readFileSync(path, "utf8")) as { config: Partial<MsnConfig> };
      assert.equal(manifest.config.init, "trunc_normal");
      delete manifest.config.init;
      writeFileSync(path, JSON.stringify(manifest));
      const old = MultimodalMSN.load(join(dir, "trunc_normal"));
      assert.equal(old.config.init, "trunc_normal");
      old.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
