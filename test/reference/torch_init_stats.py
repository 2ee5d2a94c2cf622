#!/usr/bin/env python3
"""Initial-value statistics of the official CXR-EHR-MSN modules, for test/models/init.test.ts.

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision, python3-numpy). Written for this
project. It builds, per requested size, the modules that nyuad-cai/CXR-EHR-MSN (src/models/cxrehrmsn.py)
initialises, with their own constructors and nothing re-initialised:

- the encoder: torchvision.models.VisionTransformer(image_size, patch_size, num_layers, num_heads,
  hidden_dim, mlp_dim). The official code wraps it with lightly 1.4.21's MAEBackbone.from_vit, which reuses
  the ViT's conv_proj, class_token, encoder and heads modules as they are (no init of its own, no mask
  token), so the ViT's values are the backbone's. lightly is not in Debian, hence not imported;
- the projection head as lightly's MSNProjectionHead(D, hidden, out) is made: three torch.nn.Linear layers,
  the two hidden ones without bias (each followed by BatchNorm1d and GELU), the last one with bias;
- the prototypes: torch.nn.Linear(out, K, bias=False).weight;
- f_ehr = torch.nn.Linear(ehr_in, ehr_out) and g = torch.nn.Linear(ehr_out + D, D).

For every tensor of the state dicts (BatchNorm's num_batches_tracked left out) it prints, as JSON on
stdout, n, mean, std (population), min, max, kurtosis (m4 / m2², 0 for a constant) and the deciles
(numpy's linear quantiles), all computed in float64.

Usage: torch_init_stats.py '<JSON list of sizes>'   where each item has
  name, img, patch, dim, depth, heads, mlp, head_hidden, head_out, protos, ehr_in, ehr_out
(the input has 3 channels: torchvision's conv_proj hard-codes in_channels=3).
"""
import json
import sys

import numpy as np
import torch
import torchvision

torch.set_num_threads(1)
torch.manual_seed(24)


def stats(t):
    a = t.detach().to(torch.float64).reshape(-1).numpy()
    mean = float(a.mean())
    c = a - mean
    m2 = float((c * c).mean())
    m4 = float((c ** 4).mean())
    return {
        "shape": list(t.shape),
        "n": int(a.size),
        "mean": mean,
        "std": m2 ** 0.5,
        "min": float(a.min()),
        "max": float(a.max()),
        "kurtosis": m4 / (m2 * m2) if m2 > 0 else 0.0,
        "deciles": [float(q) for q in np.quantile(a, [i / 10 for i in range(1, 10)])],
    }


def build(s):
    d = s["dim"]
    vit = torchvision.models.VisionTransformer(
        image_size=s["img"], patch_size=s["patch"], num_layers=s["depth"], num_heads=s["heads"],
        hidden_dim=d, mlp_dim=s["mlp"],
    )
    h, o = s["head_hidden"], s["head_out"]
    head = torch.nn.Sequential(
        torch.nn.Linear(d, h, bias=False), torch.nn.BatchNorm1d(h), torch.nn.GELU(),
        torch.nn.Linear(h, h, bias=False), torch.nn.BatchNorm1d(h), torch.nn.GELU(),
        torch.nn.Linear(h, o),
    )
    prototypes = torch.nn.Linear(o, s["protos"], bias=False).weight
    f_ehr = torch.nn.Linear(s["ehr_in"], s["ehr_out"])
    g = torch.nn.Linear(s["ehr_out"] + d, d)
    out = {}
    for prefix, module in (("backbone.", vit), ("projection_head.", head), ("f_ehr.", f_ehr), ("ehr_cxr_project_g.", g)):
        for name, t in module.state_dict().items():
            if not name.endswith("num_batches_tracked"):
                out[prefix + name] = stats(t)
    out["prototypes"] = stats(prototypes)
    return out


def main():
    sizes = json.loads(sys.argv[1])
    result = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "models": {s["name"]: build(s) for s in sizes},
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
