"""Independent reference for the CheXpert loader tests: reads a CheXpert label file with Python's csv
module and prints, per label name, how many cells hold each raw value, plus each study/path's raw cells.
Usage: /usr/bin/python3 loaders_chexpert_counts.py FILE"""
import csv, json, sys

with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
key = "Study" if "Study" in rows[0] else "Path"
labels = [h for h in rows[0].keys() if h not in ("Study", "Path", "Sex", "Age", "Frontal/Lateral", "AP/PA")]
norm = {"1": "1", "1.0": "1", "0": "0", "0.0": "0", "-1": "-1", "-1.0": "-1", "": "blank"}
counts = {l: {} for l in labels}
for r in rows:
    for l in labels:
        v = norm.get(r[l].strip(), "other")
        counts[l][v] = counts[l].get(v, 0) + 1
print(json.dumps({
    "rows": len(rows),
    "counts": counts,
    "raw": {r[key]: {l: norm.get(r[l].strip(), "other") for l in labels} for r in rows},
}))
