#!/usr/bin/env python3
"""PyTorch reference for the MultimodalMSN parity test (run with Debian's /usr/bin/python3, python3-torch).

Written for this project, independently of the TypeScript code: the model is plain torch (F.conv2d patch
embedding, F.interpolate bicubic positional embeddings, torch.gather token dropping, F.layer_norm,
explicit multi-head attention, F.gelu, F.batch_norm in training mode), the loss follows lightly's MSNLoss
formulas literally (log(p ** -q), Sinkhorn, ME-MAX), the optimizer is torch.optim.AdamW with MSN's param
groups and clip_grad_norm_, and the EMA is lightly's update_momentum.

Weights and inputs are not shipped: both sides generate every tensor from its name with mulberry32 seeded by
the FNV-1a hash of the name (see test/helpers/mulberry32.ts). This script is the source of truth for the parameter
names, shapes and value scales; the TypeScript test checks its own model has exactly these parameters.

Usage: torch_reference.py OUT_PREFIX [--autocast-bf16]   -> writes OUT_PREFIX.json (index, scalars, masks) and
OUT_PREFIX.bin (float32 little-endian tensors listed in the index).

--autocast-bf16: the same step with the forward passes and the loss (Steps 2-4) under
torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's CPU mixed precision (backward and AdamW outside it, as
PyTorch recommends; parameters and optimizer state stay float32). Autocast casts the inputs of matmul/linear/conv
to bf16 *and returns bf16 outputs*, so the ops that follow a GEMM (bias add aside, which promotes back to fp32)
may run in bf16 too. test/msn/bf16.test.ts compares the project's bf16 step (bf16 GEMM inputs, fp32 outputs)
with it. Without the flag the output is exactly the committed golden's.
"""
import contextlib
import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)

# ---- the configuration under test (mirrored by test/msn/parity.test.ts) ----
CFG = dict(
    img=128, patch=16, chans=3, dim=32, depth=2, heads=2, mlp=128, ln_eps=1e-6,
    focal=96, rand_views=1, focal_views=2, batch=2,
    head_hidden=128, head_out=32, protos=64, ehr_in=6, ehr_out=128,
    tau=0.1, sharpen=0.25, sinkhorn=3, memax_w=1.0, ent_w=0.5,
    drop=0.15, lr=1e-3, wd=0.04, clip=0.05, ema=0.9, betas=(0.9, 0.999), eps=1e-8,
)


def fnv1a(s):
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def mulberry32_uniform(seed, n):
    """n floats in [0,1), the same stream as test/helpers/mulberry32.ts mulberry32(seed)()."""
    out = np.empty(n, dtype=np.float64)
    s = seed & 0xFFFFFFFF
    M = 0xFFFFFFFF
    for i in range(n):
        s = (s + 0x6D2B79F5) & M
        t = s
        t = ((t ^ (t >> 15)) * (t | 1)) & M
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M)) & M
        out[i] = ((t ^ (t >> 14)) & M) / 4294967296.0
    return out


def named_values(name, shape, scale, offset=0.0):
    n = int(np.prod(shape))
    u = mulberry32_uniform(fnv1a(name), n)
    return torch.tensor((offset + scale * (2.0 * u - 1.0)).astype(np.float32).reshape(shape))


def param_specs():
    """(name, shape, scale, offset) of every anchor parameter, in our [in, out] Linear layout."""
    c = CFG
    d, p, ch, g0 = c["dim"], c["patch"], c["chans"], c["img"] // c["patch"]
    specs = []

    def lin(name, fin, fout, bias=True):
        specs.append((name + ".weight", [fin, fout], math.sqrt(3.0 / fin), 0.0))
        if bias:
            specs.append((name + ".bias", [fout], 0.1, 0.0))

    def norm(name, n):
        specs.append((name + ".weight", [n], 0.2, 1.0))
        specs.append((name + ".bias", [n], 0.1, 0.0))

    lin("encoder.patch_embed", p * p * ch, d)
    specs.append(("encoder.cls_token", [1, d], 0.5, 0.0))
    specs.append(("encoder.pos_embed", [1 + g0 * g0, d], 0.5, 0.0))
    for i in range(c["depth"]):
        b = f"encoder.blocks.{i}."
        norm(b + "norm1", d)
        for q in "qkv":
            lin(b + "attn." + q, d, d)
        lin(b + "attn.proj", d, d)
        norm(b + "norm2", d)
        lin(b + "mlp.fc1", d, c["mlp"])
        lin(b + "mlp.fc2", c["mlp"], d)
    norm("encoder.norm", d)
    lin("ehr.fc", c["ehr_in"], c["ehr_out"])
    lin("fusion", d + c["ehr_out"], d)
    h = c["head_hidden"]
    lin("head.fc1", d, h, bias=False)
    norm("head.bn1", h)
    lin("head.fc2", h, h, bias=False)
    norm("head.bn2", h)
    lin("head.fc3", h, c["head_out"])
    specs.append(("prototypes", [c["protos"], c["head_out"]], 1.0, 0.0))
    return specs


TARGET_PREFIXES = ("encoder.", "head.")


def vit(P, x_nhwc, keep=None):
    """CLS after the final LayerNorm. x: [B,S,S,C] -> [B,D]."""
    c = CFG
    d, p, ch = c["dim"], c["patch"], c["chans"]
    B, S = x_nhwc.shape[0], x_nhwc.shape[1]
    g0, g = c["img"] // p, S // p
    x = x_nhwc.permute(0, 3, 1, 2)
    w = P["encoder.patch_embed.weight"].reshape(p, p, ch, d).permute(3, 2, 0, 1)  # [D, C, p, p]
    tok = F.conv2d(x, w, P["encoder.patch_embed.bias"], stride=p).flatten(2).transpose(1, 2)  # [B, N, D]
    x = torch.cat([P["encoder.cls_token"].reshape(1, 1, d).expand(B, -1, -1), tok], 1)
    pos = P["encoder.pos_embed"]
    if g != g0:
        grid = pos[1:].reshape(1, g0, g0, d).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(g, g), mode="bicubic", align_corners=False)
        pos = torch.cat([pos[:1], grid.permute(0, 2, 3, 1).reshape(g * g, d)], 0)
    x = x + pos.unsqueeze(0)
    if keep is not None:
        x = torch.gather(x, 1, keep.unsqueeze(-1).expand(-1, -1, d))
    T = x.shape[1]
    nh = c["heads"]
    dh = d // nh
    for i in range(c["depth"]):
        b = f"encoder.blocks.{i}."
        h = F.layer_norm(x, (d,), P[b + "norm1.weight"], P[b + "norm1.bias"], c["ln_eps"])
        q, k, v = [(h @ P[f"{b}attn.{n}.weight"] + P[f"{b}attn.{n}.bias"]).reshape(B, T, nh, dh).transpose(1, 2) for n in "qkv"]
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, d)
        x = x + o @ P[b + "attn.proj.weight"] + P[b + "attn.proj.bias"]
        h2 = F.layer_norm(x, (d,), P[b + "norm2.weight"], P[b + "norm2.bias"], c["ln_eps"])
        x = x + F.gelu(h2 @ P[b + "mlp.fc1.weight"] + P[b + "mlp.fc1.bias"]) @ P[b + "mlp.fc2.weight"] + P[b + "mlp.fc2.bias"]
    return F.layer_norm(x[:, 0], (d,), P["encoder.norm.weight"], P["encoder.norm.bias"], c["ln_eps"])


def head(P, x):
    for i in (1, 2):
        x = x @ P[f"head.fc{i}.weight"]
        x = F.batch_norm(x, None, None, P[f"head.bn{i}.weight"], P[f"head.bn{i}.bias"], training=True, eps=1e-5)
        x = F.gelu(x)
    return x @ P["head.fc3.weight"] + P["head.fc3.bias"]


def sinkhorn(probabilities, iterations):
    num_targets, num_prototypes = probabilities.shape
    q = probabilities.T
    q = q / torch.sum(q)
    for _ in range(iterations):
        q = q / torch.sum(q, dim=1, keepdim=True)
        q = q / num_prototypes
        q = q / torch.sum(q, dim=0, keepdim=True)
        q = q / num_targets
    return (q * num_targets).T


def keep_indices(rng, batch, num_patches, ratio):
    """lightly random_token_mask(size=(B, num_patches)) as called by CXR-EHR-MSN (the 'quirk')."""
    num_keep = int(num_patches * (1 - ratio))
    noise = torch.tensor(rng.random((batch, num_patches)), dtype=torch.float32)
    noise[:, 0] = -1
    return torch.argsort(noise, dim=1)[:, :num_keep]


def main(out_prefix, autocast_bf16=False):
    c = CFG
    amp = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if autocast_bf16 else contextlib.nullcontext
    B, d = c["batch"], c["dim"]
    specs = param_specs()
    A = {n: named_values(n, s, sc, off).requires_grad_(True) for n, s, sc, off in specs}
    tspecs = [s for s in specs if s[0].startswith(TARGET_PREFIXES)]
    Tgt = {n: named_values("target:" + n, s, sc, off) for n, s, sc, off in tspecs}

    S, s = c["img"], c["focal"]
    views = {
        "target": named_values("input/target", [B, S, S, c["chans"]], 1.0),
        "anchors": named_values("input/anchors", [c["rand_views"] * B, S, S, c["chans"]], 1.0),
        "focal": named_values("input/focal", [c["focal_views"] * B, s, s, c["chans"]], 1.0),
        "ehr": named_values("input/ehr", [B, c["ehr_in"]], 1.0),
    }
    rng = np.random.default_rng(24)
    keepA = keep_indices(rng, c["rand_views"] * B, (S // c["patch"]) ** 2, c["drop"])
    keepF = keep_indices(rng, c["focal_views"] * B, (s // c["patch"]) ** 2, c["drop"])

    out = {}
    # Step 1: EMA, target <- m*target + (1-m)*anchor (lightly update_momentum), before the forward pass.
    with torch.no_grad():
        for n in Tgt:
            Tgt[n] = Tgt[n] * c["ema"] + A[n].detach() * (1.0 - c["ema"])
    for n in Tgt:
        out["ema/" + n] = Tgt[n]

    # Step 2: targets (no grad)
    with torch.no_grad(), amp():
        cls_t = vit(Tgt, views["target"])
        z_t = head(Tgt, cls_t)
        protos_n = F.normalize(A["prototypes"].detach(), dim=1)
        tp = F.softmax(F.normalize(z_t, dim=1) @ protos_n.T / c["tau"], dim=1)
        tp = tp ** (1.0 / c["sharpen"])
        tp = tp / torch.sum(tp, dim=1, keepdim=True)
        tp = sinkhorn(tp, c["sinkhorn"])
    out.update({"cls_target": cls_t, "z_target": z_t, "target_probs": tp})

    with amp():
        # Step 3: anchors with dropped patches, EHR fusion, head
        cls_a = vit(A, views["anchors"], keepA)
        cls_f = vit(A, views["focal"], keepF)
        a = torch.cat([cls_a, cls_f], 0)
        e = (views["ehr"] @ A["ehr.fc.weight"] + A["ehr.fc.bias"]).repeat((c["rand_views"] + c["focal_views"], 1))
        fused = torch.cat([a, e], 1) @ A["fusion.weight"] + A["fusion.bias"]
        z_a = head(A, fused)

        # Step 4: loss (lightly MSNLoss formulas, plus msn's optional entropy term)
        nv = z_a.shape[0] // B
        anchor_probs = F.softmax(F.normalize(z_a, dim=1) @ F.normalize(A["prototypes"], dim=1).T / c["tau"], dim=1)
        tpr = tp.repeat((nv, 1))
        ce = torch.mean(torch.sum(torch.log(anchor_probs ** (-tpr)), dim=1))
        mbar = torch.mean(anchor_probs, dim=0)
        memax = -1.0 * torch.sum(torch.log(mbar ** (-mbar))) + math.log(float(len(mbar)))
        ent = torch.mean(torch.sum(torch.log(anchor_probs ** (-anchor_probs)), dim=1))
        loss = ce + c["memax_w"] * memax + c["ent_w"] * ent
    loss.float().backward()
    out.update({"cls_anchor": cls_a, "cls_focal": cls_f, "z_anchor": z_a, "anchor_probs": anchor_probs})
    for n in A:
        out["grad/" + n] = A[n].grad.detach().clone()  # before clip_grad_norm_ scales them in place

    # Step 5: AdamW with msn's param groups, global-norm clipping
    names = list(A)
    no_decay = [n for n in names if n.endswith(".bias") or ".bn" in n or "norm" in n or n == "prototypes"]
    decay = [n for n in names if n not in no_decay]
    grad_norm = torch.nn.utils.clip_grad_norm_([A[n] for n in names], c["clip"])
    opt = torch.optim.AdamW(
        [{"params": [A[n] for n in decay]}, {"params": [A[n] for n in no_decay], "weight_decay": 0.0}],
        lr=c["lr"], betas=c["betas"], eps=c["eps"], weight_decay=c["wd"],
    )
    opt.step()
    for n in A:
        out["adamw/" + n] = A[n].detach()

    index, chunks, off = [], [], 0
    for k, t in out.items():
        arr = t.detach().float().contiguous().numpy().astype(np.float32).ravel()
        index.append({"name": k, "shape": list(t.shape), "offset": off})
        chunks.append(arr)
        off += arr.size
    meta = {
        "how": "made by test/reference/torch_reference.py with Debian python3-torch %s (CPU, 1 thread); "
               "regenerated live by test/msn/parity.test.ts, which fails if the committed copy differs" % torch.__version__,
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in CFG.items()},
        "params": [{"name": n, "shape": s, "scale": sc, "offset": off_} for n, s, sc, off_ in specs],
        "targetParams": [n for n, *_ in tspecs],
        "keepAnchors": keepA.tolist(),
        "keepFocal": keepF.tolist(),
        "decay": decay,
        "scalars": {"loss": loss.item(), "ce": ce.item(), "meMax": memax.item(), "entropy": ent.item(),
                    "gradNorm": float(grad_norm)},
        **({"autocast": "bf16"} if autocast_bf16 else {}),
        "tensors": index,
    }
    with open(out_prefix + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    np.concatenate(chunks).astype("<f4").tofile(out_prefix + ".bin")


if __name__ == "__main__":
    main(sys.argv[1], autocast_bf16="--autocast-bf16" in sys.argv[2:])
