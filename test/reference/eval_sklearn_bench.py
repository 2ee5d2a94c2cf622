#!/usr/bin/env python3
"""scikit-learn side of bench/metrics.ts: macro AUROC over bootstrap resamples, as the paper's code does it
(resample the test rows with replacement, call sklearn.metrics.roc_auc_score on the N×L matrix, repeat).

Usage: /usr/bin/python3 test/reference/eval_sklearn_bench.py LABELS.u8 SCORES.f64 N L RESAMPLES SEED
LABELS.u8 / SCORES.f64 are raw row-major [N, L] arrays written by bench/metrics.ts (same data as the TS side).
Prints one JSON line: {"resamples": R, "seconds": s, "pointMacroAuroc": a, "sklearn": version, "numpy": version}.
"""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score


def main():
    labels_path, scores_path, n, L, resamples, seed = sys.argv[1:7]
    n, L, resamples, seed = int(n), int(L), int(resamples), int(seed)
    y = np.fromfile(labels_path, dtype=np.uint8).reshape(n, L)
    s = np.fromfile(scores_path, dtype=np.float64).reshape(n, L)
    point = roc_auc_score(y, s, average="macro")
    rng = np.random.RandomState(seed)
    t0 = time.perf_counter()
    values = []
    for _ in range(resamples):
        idx = rng.randint(0, n, size=n)
        values.append(roc_auc_score(y[idx], s[idx], average="macro"))
    # The official (percentile) interval, computed so the timed loop includes the whole CI procedure.
    delta = np.asarray(values) - point
    _ = (point - np.percentile(delta, 97.5), point - np.percentile(delta, 2.5))
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "resamples": resamples,
        "seconds": seconds,
        "pointMacroAuroc": float(point),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
