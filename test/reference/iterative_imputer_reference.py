"""Reference for test/data-loaders/iterative_imputer.test.ts: scikit-learn's IterativeImputer as the official
EHR prep runs it (CXR-EHR-MSN notebooks/EHR-data-prep.ipynb). Debian's /usr/bin/python3 + python3-sklearn.

Arguments: one or more jobs separated by "+" (one process, as importing scikit-learn takes seconds); prints a
JSON list with one result per job.
  scan CSV...   each CSV has columns view,orientation (blank = missing). As the notebook: LabelEncoder codes
                (view AP 0, LATERAL 1, LL 2, PA 3; orientation Erect 0, Recumbent 1), then
                IterativeImputer(estimator=RandomForestRegressor(), max_iter=10, random_state=24), fit() then
                transform(), DataFrame.round() (half to even), astype(int), inverse_transform.
                Result: one object per CSV: {"codes": [[view, orientation] raw imputed codes], "view": [...],
                "orientation": [...], "n_iter": n}.
  matrix CSV    a numeric CSV without header (blank = missing), the same imputer; {"imputed": rows, "n_iter": n}.
  forest TRAIN TEST SEED...  RandomForestRegressor(random_state=SEED) (otherwise defaults) fitted on TRAIN (numeric
                CSV, no header, last column = target), predictions on TEST (features only), one list per SEED.
The notebook leaves the forest unseeded (RandomForestRegressor(); random_state=24 seeds only the imputer), so
its output changes from run to run. Here the imputer's forest gets random_state=0, so that the test's measured
agreement is reproducible; the estimator is otherwise the notebook's.
Example: iterative_imputer_reference.py scan a.csv b.csv + matrix m.csv + forest train.csv test.csv 0 1
"""
import csv, json, sys, warnings

import numpy as np
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # "early stopping criterion not reached": expected

VIEWS, ORIENTS = ["AP", "LATERAL", "LL", "PA"], ["Erect", "Recumbent"]


def official(X, forest_seed=0):
    # The notebook: imputer.fit(meta_image_en); imputer.transform(meta_image_en).
    imputer = IterativeImputer(estimator=RandomForestRegressor(random_state=forest_seed), max_iter=10, random_state=24)
    imputer.fit(X)
    return imputer.transform(X), int(imputer.n_iter_)


def scan(paths):
    out = []
    for path in paths:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        X = np.array([[VIEWS.index(r["view"]) if r["view"] else np.nan,
                       ORIENTS.index(r["orientation"]) if r["orientation"] else np.nan] for r in rows], dtype=float)
        Xt, n_iter = official(X)
        codes = Xt.round().astype(int)
        assert codes[:, 0].min() >= 0 and codes[:, 0].max() <= 3 and codes[:, 1].min() >= 0 and codes[:, 1].max() <= 1
        out.append({"codes": Xt.tolist(), "view": [VIEWS[c] for c in codes[:, 0]],
                    "orientation": [ORIENTS[c] for c in codes[:, 1]], "n_iter": n_iter})
    return out


def matrix(path):
    with open(path, newline="") as f:
        X = np.array([[float(v) if v != "" else np.nan for v in r] for r in csv.reader(f)], dtype=float)
    Xt, n_iter = official(X)
    return {"imputed": Xt.tolist(), "n_iter": n_iter}


def forest(train_path, test_path, *seeds):
    train = np.loadtxt(train_path, delimiter=",", ndmin=2)
    test = np.loadtxt(test_path, delimiter=",", ndmin=2)
    return [RandomForestRegressor(random_state=int(seed)).fit(train[:, :-1], train[:, -1]).predict(test).tolist()
            for seed in seeds]


JOBS = {"scan": lambda args: scan(args), "matrix": lambda args: matrix(*args), "forest": lambda args: forest(*args)}
jobs, job = [], []
for a in sys.argv[1:] + ["+"]:
    if a == "+":
        if not job or job[0] not in JOBS:
            raise SystemExit("usage: iterative_imputer_reference.py scan CSV... [+ matrix CSV] [+ forest TRAIN TEST SEED...]")
        jobs.append(job)
        job = []
    else:
        job.append(a)
print(json.dumps([JOBS[j[0]](j[1:]) for j in jobs]))
