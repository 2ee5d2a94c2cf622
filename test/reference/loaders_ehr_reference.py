"""Independent reference for the MIMIC-IV EHR test (Python csv/gzip, no code shared with the TS loader).
  link MIMIC_IV_ROOT METADATA_CSV -> per dicom_id: sex, age, view, orientation (raw, "" if blank), died, icu;
      rules from docs/data-formats.md#ehr-linking (date-level matching; last matching admission wins).
  impute CSV -> the paper's imputer: LabelEncoder codes, IterativeImputer(RandomForestRegressor(),
      max_iter=10, random_state=24), rounded and decoded. CSV columns: view,orientation (blank = missing).
"""
import csv, gzip, json, os, sys

def table(root, dirs, name):
    for d in dirs:
        for ext in (".csv.gz", ".csv"):
            p = os.path.join(root, d, name + ext)
            if os.path.exists(p):
                with (gzip.open(p, "rt", newline="") if ext.endswith("gz") else open(p, newline="")) as f:
                    return list(csv.DictReader(f))
    raise SystemExit("missing " + name)

def day(ts):
    return int(ts[:10].replace("-", ""))

cmd = sys.argv[1]
if cmd == "link":
    root, meta_file = sys.argv[2], sys.argv[3]
    pats = {r["subject_id"]: r for r in table(root, ["hosp", "core"], "patients")}
    adms = table(root, ["hosp", "core"], "admissions")
    stays = table(root, ["icu"], "icustays")
    with open(meta_file, newline="") as f:
        meta = list(csv.DictReader(f))
    out = {}
    for m in meta:
        sid = m["subject_id"]
        p = pats.get(sid)
        if p is None or p["gender"] not in ("M", "F"):
            continue
        if m["ViewPosition"] not in ("AP", "PA", "LATERAL", "LL", ""):
            continue
        d = int(m["StudyDate"])
        died = 0
        for a in adms:
            if a["subject_id"] == sid and day(a["admittime"]) <= d <= day(a["dischtime"]):
                died = int(a["hospital_expire_flag"])
        icu = int(any(s["subject_id"] == sid and day(s["intime"]) <= d <= day(s["outtime"]) for s in stays))
        age = int(m["StudyDate"][:4]) - (int(p["anchor_year"]) - int(p["anchor_age"]))
        out[m["dicom_id"]] = {"sex": p["gender"], "age": age, "view": m["ViewPosition"],
                              "orientation": m["PatientOrientationCodeSequence_CodeMeaning"], "died": died, "icu": icu}
    print(json.dumps(out))
elif cmd == "impute":
    import numpy as np
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer
    from sklearn.ensemble import RandomForestRegressor
    with open(sys.argv[2], newline="") as f:
        rows = list(csv.DictReader(f))
    views, orients = ["AP", "LATERAL", "LL", "PA"], ["Erect", "Recumbent"]
    X = np.array([[views.index(r["view"]) if r["view"] else np.nan,
                   orients.index(r["orientation"]) if r["orientation"] else np.nan] for r in rows], dtype=float)
    imp = IterativeImputer(estimator=RandomForestRegressor(), max_iter=10, random_state=24)
    Y = np.rint(imp.fit_transform(X)).astype(int)
    print(json.dumps([{"view": views[int(np.clip(a, 0, 3))], "orientation": orients[int(np.clip(b, 0, 1))]} for a, b in Y]))
