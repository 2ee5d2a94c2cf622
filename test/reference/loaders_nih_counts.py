"""Independent reference for the NIH loader tests: reads a Data_Entry CSV with Python's csv module
(no code shared with the TypeScript loader) and prints counts as JSON.
Usage: /usr/bin/python3 loaders_nih_counts.py FILE [IMAGE_INDEX ...]"""
import csv, gzip, io, json, re, sys

path = sys.argv[1]
opener = gzip.open if path.endswith(".gz") else open
with opener(path, "rt", newline="") as f:
    rows = list(csv.reader(f))
header = rows[0]
data = [r for r in rows[1:] if any(c.strip() for c in r)]
col = {h: i for i, h in enumerate(header) if h}
sex_col = col.get("Patient Gender", col.get("Patient Sex"))

def age(s):
    m = re.fullmatch(r"(\d+)([YMD]?)", s.strip())
    v = int(m.group(1))
    return v / 12 if m.group(2) == "M" else v / 365 if m.group(2) == "D" else float(v)

label_counts, views, sexes = {}, {}, {}
no_finding_only = 0
for r in data:
    labs = r[col["Finding Labels"]].split("|")
    if labs == ["No Finding"]:
        no_finding_only += 1
    for l in labs:
        label_counts[l] = label_counts.get(l, 0) + 1
    v = r[col["View Position"]]
    views[v] = views.get(v, 0) + 1
    s = r[sex_col]
    sexes[s] = sexes.get(s, 0) + 1
wanted = set(sys.argv[2:])
samples = {
    r[col["Image Index"]]: {"labels": r[col["Finding Labels"]].split("|"), "age": age(r[col["Patient Age"]]),
                            "sex": r[sex_col], "view": r[col["View Position"]], "patient": str(int(r[col["Patient ID"]]))}
    for r in data if r[col["Image Index"]] in wanted
}
print(json.dumps({
    "rows": len(data),
    "patients": len({int(r[col["Patient ID"]]) for r in data}),
    "labelCounts": label_counts,
    "views": views,
    "sexes": sexes,
    "noFindingOnly": no_finding_only,
    "agesOver100": sum(1 for r in data if age(r[col["Patient Age"]]) > 100),
    "samples": samples,
}))
