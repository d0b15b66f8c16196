#!/usr/bin/env python3
"""Checks skinscan's DeLong inference against R's pROC, to 1e-6: the 95% interval of every
one-vs-rest AUC and of the malignant-vs-benign AUC (`evaluate`, ci.auc(method = "delong")), and
the paired test of two models on the same images (`compare --per-image`, roc.test(paired = TRUE,
method = "delong")). Cases: random data with ties, two positives, one positive (undefined in
both), perfect separation, identical models.

SKINSCAN_PERTURB_REFERENCE=x adds x to every pROC value: the script must then fail.

Usage: check_delong.py SKINSCAN_BINARY
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from comparison import Comparison, write_predictions, write_truth  # noqa: E402

HAM = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
MALIGNANT = {"akiec", "bcc", "mel"}
check = Comparison(1e-6, "pROC")
close = check.close

R_SCRIPT = r"""
suppressMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
fmt <- function(x) if (is.na(x)) "NA" else sprintf("%.15g", x)
for (col in setdiff(names(d), c("y", "b_y"))) {
  if (!startsWith(col, "a_")) next
  name <- substring(col, 3)
  y <- d[[paste0("y_", name)]]
  if (is.null(y)) next
  ra <- roc(y, d[[col]], direction = "<", levels = c(0, 1), quiet = TRUE)
  rb <- roc(y, d[[paste0("b_", name)]], direction = "<", levels = c(0, 1), quiet = TRUE)
  ci <- suppressWarnings(ci.auc(ra, method = "delong"))
  p <- tryCatch(suppressWarnings(roc.test(ra, rb, paired = TRUE, method = "delong")$p.value), error = function(e) NA)
  cat(name, fmt(ci[1]), fmt(ci[3]), fmt(p), "\n")
}
"""


def run_case(case, binary, y, pa, pb, d):
    ids = [f"img_{i:05d}" for i in range(len(y))]
    truth = os.path.join(d, "truth.csv")
    write_truth(truth, ids, HAM, y)
    reports = []
    for name, p in (("a", pa), ("b", pb)):
        write_predictions(os.path.join(d, f"{name}.csv"), ids, HAM, p)
        out = subprocess.run([binary, "evaluate", "--labels", truth, "--images", d, "--predictions", os.path.join(d, f"{name}.csv"),
                              "--out", os.path.join(d, f"{name}.json"), "--per-image", os.path.join(d, f"{name}_per.csv"), "-q"],
                             capture_output=True, text=True)
        if out.returncode not in (0, 2):
            raise SystemExit(f"[{case}] evaluate failed: {out.stderr}")
        reports.append(json.load(open(os.path.join(d, f"{name}.json"))))
    cmp = subprocess.run([binary, "compare", os.path.join(d, "a.json"), os.path.join(d, "b.json"), "--json", "--per-image",
                          os.path.join(d, "a_per.csv"), os.path.join(d, "b_per.csv")], capture_output=True, text=True)
    if cmp.returncode != 0:
        raise SystemExit(f"[{case}] compare failed: {cmp.stderr}")
    delong = json.loads(cmp.stdout)["delong"]

    # The same scores for R, summed for malignant in class order as skinscan does.
    cols = {}
    for k, lab in enumerate(HAM):
        cols[f"y_{lab}"], cols[f"a_{lab}"], cols[f"b_{lab}"] = (y == k).astype(int), pa[:, k], pb[:, k]
    mal = np.array([HAM[t] in MALIGNANT for t in y]).astype(int)
    sa, sb = np.zeros(len(y)), np.zeros(len(y))
    for k, lab in enumerate(HAM):
        if lab in MALIGNANT:
            sa, sb = sa + pa[:, k], sb + pb[:, k]
    cols["y_malignant"], cols["a_malignant"], cols["b_malignant"] = mal, sa, sb
    rcsv = os.path.join(d, "r.csv")
    with open(rcsv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(cols))
        columns = [np.asarray(c) for c in cols.values()]
        for i in range(len(y)):
            w.writerow([repr(float(c[i])) if np.issubdtype(c.dtype, np.floating) else int(c[i]) for c in columns])
    out = subprocess.run(["Rscript", "-e", R_SCRIPT, rcsv], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"[{case}] Rscript failed: {out.stderr}")
    for line in out.stdout.strip().splitlines():
        name, lo, hi, p = line.split()
        val = lambda s: None if s == "NA" else float(s)  # noqa: E731
        if name == "malignant":
            ci = reports[0]["binary"]["auc_ci"]
        else:
            ci = reports[0]["per_class"][name].get("auc_ci")
        close(f"[{case}] {name} auc_ci low", ci[0] if ci else None, val(lo))
        close(f"[{case}] {name} auc_ci high", ci[1] if ci else None, val(hi))
        t = delong.get(name)
        close(f"[{case}] {name} paired p", t["p_value"] if t else None, val(p))
        if reports[0]["per_class"].get(name, {}).get("auc_ci_method", "delong") != "delong":
            check.fail(f"[{case}] {name}: auc_ci_method is not delong")


def probs(rng, y, strength, decimals=None):
    logits = rng.normal(0, 1, (len(y), 7))
    logits[np.arange(len(y)), y] += strength
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    if decimals is not None:
        p = np.round(p, decimals)
        p[:, 5] += 1 - p.sum(1)
        p = np.clip(p, 0, 1)
        p = p / p.sum(1, keepdims=True)
    return p


def main():
    binary = sys.argv[1]
    if not shutil.which("Rscript"):
        print("SKIPPED: Rscript (r-base with r-cran-proc) not installed", file=sys.stderr)
        sys.exit(77)
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as d:
        y = rng.integers(0, 7, 400)
        run_case("random, ties (2 decimals)", binary, y, probs(rng, y, 1.5, 2), probs(rng, y, 1.0, 2), d)
        y = rng.integers(0, 7, 300)
        run_case("random, continuous", binary, y, probs(rng, y, 2.0), probs(rng, y, 2.2), d)
        y = np.array([5] * 40 + [4, 4] + [0] + [1] * 10 + [2] * 10 + [3] * 10 + [6] * 10)  # two mel, one akiec
        run_case("two positives, one positive", binary, y, probs(rng, y, 1.0, 2), probs(rng, y, 1.2, 2), d)
        y = rng.integers(0, 7, 120)
        p = probs(rng, y, 8.0)
        run_case("near-perfect separation, identical models", binary, y, p, p.copy(), d)
    check.finish()

if __name__ == "__main__":
    main()
