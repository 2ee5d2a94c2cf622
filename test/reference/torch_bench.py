#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the same MSN training step as MultimodalMSN.trainStep, timed.

Reuses the reference model of torch_reference.py (plain torch ops), with the configuration given as JSON on
the command line. Run with /usr/bin/python3 (Debian python3-torch). The caller sets the environment:
OPENBLAS_NUM_THREADS=1 and OPENBLAS_CORETYPE unset (the machine's default, Haswell, halves sgemm speed);
this script calls torch.set_num_threads(THREADS).

With "device": "cuda" (the GPU bench, test/bench/cuda_step.ts) everything lives on the GPU, steps are timed
between torch.cuda.synchronize() calls, and "math" sets fp32 matmul precision as the package's
MMSN_CUDA_MATH does: "fp32" (highest), "tf32" (high) or "bf16" (medium).

Usage: torch_bench.py '{"img":64,...,"steps":5,"warmup":1,"threads":2}'  -> prints JSON {"sec_per_step": [...]}
       torch_bench.py '{"dispatch":5000,"device":"cuda"}'  -> prints JSON {"us_per_op": ...} (eager op overhead)
"""
import contextlib
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import torch_reference as R  # noqa: E402


def dispatch(n, dev):
    """Host cost of one eager op: n dependent adds of 1024 floats, between synchronisations (µs per op)."""
    x = torch.ones(1024, device=dev)
    for _ in range(500):
        x = x + x * 0
    torch.cuda.synchronize() if dev.type == "cuda" else None
    t0 = time.perf_counter()
    for _ in range(n):
        x = x + x
    float(x[0])  # one device read, as the package's side ends with one
    return (time.perf_counter() - t0) / n * 1e6


def main():
    cfg = json.loads(sys.argv[1])
    if "dispatch" in cfg:
        dev = torch.device(cfg.get("device", "cpu"))
        print(json.dumps({"us_per_op": dispatch(cfg["dispatch"], dev), "torch": torch.__version__,
                          "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"}))
        return
    steps, warmup, threads = cfg.pop("steps"), cfg.pop("warmup"), cfg.pop("threads")
    dev = torch.device(cfg.pop("device", "cpu"))
    math_mode = cfg.pop("math", "fp32")
    # "bf16": the forward passes and the loss under torch.autocast(bfloat16) (backward outside it, as PyTorch
    # documents): matmuls/linears in bf16, its fp32 list (softmax, log, norms…) in fp32; weights and AdamW fp32.
    autocast = cfg.pop("autocast", "off")
    torch.set_num_threads(threads)
    if dev.type == "cuda":
        torch.set_float32_matmul_precision({"fp32": "highest", "tf32": "high", "bf16": "medium"}[math_mode])
        torch.backends.cudnn.allow_tf32 = math_mode != "fp32"

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    R.CFG.update(cfg)
    c = R.CFG
    B, S, s = c["batch"], c["img"], c["focal"]
    specs = R.param_specs()
    A = {n: R.named_values(n, sh, sc, off).to(dev).requires_grad_(True) for n, sh, sc, off in specs}
    T = {n: A[n].detach().clone() for n, *_ in specs if n.startswith(R.TARGET_PREFIXES)}
    g = torch.Generator().manual_seed(0)
    views = {
        "target": torch.randn(B, S, S, c["chans"], generator=g),
        "anchors": torch.randn(c["rand_views"] * B, S, S, c["chans"], generator=g),
        "focal": torch.randn(c["focal_views"] * B, s, s, c["chans"], generator=g),
        "ehr": torch.rand(B, c["ehr_in"], generator=g),
    }
    views = {k: v.to(dev) for k, v in views.items()}
    opt = torch.optim.AdamW(list(A.values()), lr=1e-4, weight_decay=1e-3)
    rng = R.np.random.default_rng(0)
    def amp():
        return torch.autocast(dev.type, dtype=torch.bfloat16) if autocast == "bf16" else contextlib.nullcontext()

    times = []
    for i in range(warmup + steps):
        sync()
        t0 = time.perf_counter()
        with torch.no_grad():
            for n in T:
                T[n].mul_(0.996).add_(A[n].detach(), alpha=0.004)
        with amp(), torch.no_grad():
            z_t = R.head(T, R.vit(T, views["target"]))
            pn = F.normalize(A["prototypes"].detach(), dim=1)
            tp = F.softmax(F.normalize(z_t, dim=1) @ pn.T / c["tau"], dim=1) ** (1.0 / c["sharpen"])
            tp = R.sinkhorn(tp / tp.sum(1, keepdim=True), c["sinkhorn"])
        with amp():
            keepA = R.keep_indices(rng, c["rand_views"] * B, (S // c["patch"]) ** 2, c["drop"]).to(dev)
            feats = [R.vit(A, views["anchors"], keepA)]
            if c["focal_views"] > 0:
                keepF = R.keep_indices(rng, c["focal_views"] * B, (s // c["patch"]) ** 2, c["drop"]).to(dev)
                feats.append(R.vit(A, views["focal"], keepF))
            a = torch.cat(feats, 0)
            e = (views["ehr"] @ A["ehr.fc.weight"] + A["ehr.fc.bias"]).repeat((a.shape[0] // B, 1))
            z_a = R.head(A, torch.cat([a, e], 1) @ A["fusion.weight"] + A["fusion.bias"])
            p = F.softmax(F.normalize(z_a, dim=1) @ F.normalize(A["prototypes"], dim=1).T / c["tau"], dim=1)
            loss = torch.mean(torch.sum(-tp.repeat((a.shape[0] // B, 1)) * torch.log(p), 1))
            m = p.mean(0)
            loss = loss + torch.sum(m * torch.log(m)) + torch.log(torch.tensor(float(m.numel())))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"sec_per_step": times, "torch": torch.__version__, "threads": torch.get_num_threads(), "max_rss_mb": rss_mb}
    if dev.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(dev)
        out["max_gpu_mb"] = torch.cuda.max_memory_allocated(dev) / 2**20
    print(json.dumps(out))


if __name__ == "__main__":
    main()
