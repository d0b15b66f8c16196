#!/usr/bin/env bash
# Benchmark (not a test), in one run on one machine:
#  1. scoring N (10,000) predictions with `evaluate --predictions` and a 1,000-resample bootstrap,
#     against scikit-learn computing the same headline metrics and bootstrap;
#  2. the same with `--group-by localization,sex` (metrics and bootstrap intervals per group),
#     against pandas + scikit-learn computing the same per-group metrics and intervals.
#   scripts/bench_evaluate.sh [N]
# Or: `evaluate --shift acquisition` (11 corruptions x 5 severities from one decode per image) against a
# plain evaluate of the same images, the bundled model on the test split, in one run:
#   scripts/bench_evaluate.sh --shift
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2  # installs what is missing; rebuilds only what changed
if [ "${1:-}" = --shift ]; then
  data=${SKINSCAN_DATA:-../shared/datasets/ham10000}
  seconds() { /usr/bin/time -f %e build/cli/skinscan evaluate -q --data "$data" --split datasets/splits/test.txt "$@" \
    2>&1 >/dev/null | tail -n 1; }
  plain=$(seconds)
  shift_all=$(seconds --shift acquisition)
  images=$(build/cli/skinscan evaluate -q --data "$data" --split datasets/splits/test.txt --json |
    "${PYTHON:-/usr/bin/python3}" -c 'import json, sys; print(json.load(sys.stdin)["dataset"]["scored"])')
  cat <<TABLE
machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1); $images test images, bundled model

| run | seconds | relative to plain evaluate |
|---|---|---|
| evaluate | $plain | 1 |
| evaluate --shift acquisition (56 versions of each image) | $shift_all | $(awk -v a="$shift_all" -v b="$plain" 'BEGIN { printf "%.1fx", a / b }') |
TABLE
  exit 0
fi
n=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${PYTHON:-/usr/bin/python3}" - "$work" "$n" <<'PY'
import csv, sys
import numpy as np
work, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
labels = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"]
y = rng.choice(7, size=n, p=[0.11, 0.67, 0.05, 0.03, 0.11, 0.01, 0.02])
z = rng.normal(size=(n, 7)) * 2
z[np.arange(n), y] += 2
p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
with open(f"{work}/truth.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["image"] + labels)
    for i, t in enumerate(y):
        w.writerow([f"ISIC_{i:07d}"] + [1.0 if k == t else 0.0 for k in range(7)])
sites = rng.choice(["back", "lower extremity", "trunk", "upper extremity", "abdomen", "face", "chest", "foot",
                    "unknown", "neck", "scalp", "hand", "ear", "genital", "acral"], size=n)
sexes = rng.choice(["male", "female", "unknown"], size=n, p=[0.54, 0.45, 0.01])
with open(f"{work}/meta.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["image_id", "dx", "sex", "localization"])
    for i, t in enumerate(y):
        w.writerow([f"ISIC_{i:07d}", labels[t].lower(), sexes[i], sites[i]])
with open(f"{work}/preds.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["image"] + labels)
    for i, row in enumerate(p):
        w.writerow([f"ISIC_{i:07d}"] + [f"{v:.9g}" for v in row])
PY
mkdir -p "$work/images"
ours=$( { /usr/bin/time -f %e build/cli/skinscan evaluate --labels "$work/truth.csv" --images "$work/images" \
  --predictions "$work/preds.csv" --bootstrap 1000 --out "$work/report.json" >/dev/null; } 2>&1 | tail -n 1)
ref=$("${PYTHON:-/usr/bin/python3}" - "$work" <<'PY'
import sys, time
t = time.perf_counter()
import csv
import numpy as np
from sklearn import metrics as skm
work = sys.argv[1]
truth = {r[0]: [float(v) for v in r[1:]] for r in list(csv.reader(open(f"{work}/truth.csv")))[1:]}
preds = {r[0]: [float(v) for v in r[1:]] for r in list(csv.reader(open(f"{work}/preds.csv")))[1:]}
ids = sorted(truth)
y = np.array([truth[i] for i in ids]).argmax(1)
p = np.array([preds[i] for i in ids])
def headline(idx):
    yy, pp = y[idx], p[idx].argmax(1)
    conf = p[idx].max(1)
    edges = np.linspace(0, 1, 16)
    ece = sum(abs((pp[m] == yy[m]).mean() - conf[m].mean()) * m.mean()
              for lo, hi in zip(edges[:-1], edges[1:]) for m in [(conf > lo) & (conf <= hi)] if m.any())
    return skm.accuracy_score(yy, pp), skm.balanced_accuracy_score(yy, pp), skm.f1_score(yy, pp, average="macro"), ece
headline(np.arange(len(y)))
skm.roc_auc_score(y, p, multi_class="ovr")
rng = np.random.default_rng(0)
boot = [headline(rng.integers(0, len(y), len(y))) for _ in range(1000)]
np.percentile(boot, [2.5, 97.5], axis=0)
print(f"{time.perf_counter() - t:.3f}")
PY
)
grouped=$( { /usr/bin/time -f %e build/cli/skinscan evaluate --labels "$work/meta.csv" --images "$work/images" \
  --predictions "$work/preds.csv" --group-by localization,sex --bootstrap 1000 --out "$work/grouped.json" >/dev/null; } 2>&1 | tail -n 1)
grouped_ref=$("${PYTHON:-/usr/bin/python3}" - "$work" <<'PY'
import sys, time
t = time.perf_counter()
import numpy as np
import pandas as pd
from sklearn import metrics as skm
work = sys.argv[1]
meta = pd.read_csv(f"{work}/meta.csv", dtype=str, keep_default_na=False).set_index("image_id")
preds = pd.read_csv(f"{work}/preds.csv").set_index("image").loc[meta.index]
labels = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
p = preds[[l.upper() for l in labels]].to_numpy()
y = meta["dx"].map(labels.index).to_numpy()
mal_cols = [labels.index(m) for m in ("akiec", "bcc", "mel")]
def group_metrics(yy, pp):
    pred = pp.argmax(1)
    conf = pp.max(1)
    edges = np.linspace(0, 1, 16)
    ece = sum(abs((pred[m] == yy[m]).mean() - conf[m].mean()) * m.mean()
              for lo, hi in zip(edges[:-1], edges[1:]) for m in [(conf > lo) & (conf <= hi)] if m.any())
    aucs = [skm.roc_auc_score(yy == k, pp[:, k]) for k in range(7) if 0 < (yy == k).sum() < len(yy)]
    mal = np.isin(yy, mal_cols)
    score = pp[:, mal_cols].sum(1)
    mauc = skm.roc_auc_score(mal, score) if 0 < mal.sum() < len(mal) else np.nan
    return [skm.accuracy_score(yy, pred), skm.balanced_accuracy_score(yy, pred), np.mean(aucs) if aucs else np.nan, ece,
            ((score >= 0.5) & mal).sum() / max(1, mal.sum()), ((score < 0.5) & ~mal).sum() / max(1, (~mal).sum()), mauc]
rng = np.random.default_rng(0)
for col in ("localization", "sex"):
    for value, idx in meta.reset_index().groupby(col).indices.items():
        yy, pp = y[idx], p[idx]
        group_metrics(yy, pp)
        boot = []
        for _ in range(1000):  # stratified by class, as skinscan
            pick = np.concatenate([rng.choice(np.where(yy == k)[0], (yy == k).sum()) for k in np.unique(yy)])
            boot.append(group_metrics(yy[pick], pp[pick]))
        np.nanpercentile(np.array(boot, dtype=float), [2.5, 97.5], axis=0)
print(f"{time.perf_counter() - t:.3f}")
PY
)
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo "scoring $n predictions with bootstrap 1000: skinscan ${ours}s (whole process), scikit-learn reference ${ref}s," \
  "ratio $(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.3f", a / b }')"
echo "scoring $n predictions with --group-by localization,sex and bootstrap 1000: skinscan ${grouped}s (whole process)," \
  "pandas/scikit-learn reference ${grouped_ref}s, ratio $(awk -v a="$grouped" -v b="$grouped_ref" 'BEGIN { printf "%.4f", a / b }')"
