#!/usr/bin/env python3
"""Checks `skinscan evaluate --bootstrap N [--cluster-by COLUMN]` against a numpy/scikit-learn
restatement: for every resample skinscan draws (replayed with dump_bootstrap_weights, the same
library function and seed), the resample's structure (whole clusters, drawn within each true class
when clusters are pure, as many cluster draws per stratum as the stratum holds), each metric
recomputed by scikit-learn with those weights, and the report's 95% percentile intervals
(numpy's linear percentile) to 1e-9.

Cases (synthetic, lesion-correlated predictions): images as the unit; lesions (one diagnosis
each: stratified); patients holding several diagnoses (not stratified). And the reason clusters
matter: four copies of each image make image-level intervals narrower than lesion-level ones.

SKINSCAN_PERTURB_REFERENCE=x adds x to every reference value: the script must then fail.

Usage: check_cluster_bootstrap.py DUMP_BOOTSTRAP_WEIGHTS SKINSCAN_BINARY
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn import metrics as skm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from comparison import Comparison, write_predictions  # noqa: E402

HAM = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
MALIGNANT = [0, 1, 4]  # akiec, bcc, mel
RESAMPLES, SEED = 200, 11
check = Comparison(1e-9, "numpy/scikit-learn")
warnings.simplefilter("ignore")


def weighted_ece(y, p, w, bins=15):
    conf, pred = p.max(1), p.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if lo == 0:
            m |= conf == 0
        if w[m].sum() > 0:
            acc = np.average(pred[m] == y[m], weights=w[m])
            total += w[m].sum() / w.sum() * abs(acc - np.average(conf[m], weights=w[m]))
    return total


def resample_metrics(y, p, w):
    keep = w > 0
    y, p, w = y[keep], p[keep], w[keep].astype(float)
    pred = p.argmax(1)
    out = {
        "accuracy": skm.accuracy_score(y, pred, sample_weight=w),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred, sample_weight=w),
        "macro_f1": skm.f1_score(y, pred, average="macro", sample_weight=w),
        "ece": weighted_ece(y, p, w),
    }
    aucs = [skm.roc_auc_score(y == k, p[:, k], sample_weight=w) for k in range(p.shape[1]) if 0 < (y == k).sum() < len(y)]
    out["macro_auc"] = float(np.mean(aucs))
    malignant = np.isin(y, MALIGNANT)
    out["malignant_auc"] = skm.roc_auc_score(malignant, p[:, MALIGNANT].sum(1), sample_weight=w)
    return out


def make_case(rng, units, per_unit, mixed):
    """Per image: id, truth, cluster (a unit index), probabilities; a unit's images share a
    latent score, so their errors are correlated."""
    rows = []
    for u in range(units):
        base = rng.choice(7, p=[.04, .06, .12, .02, .12, .6, .04])
        latent = rng.normal(0, 1.5, 7)
        for j in range(rng.integers(1, per_unit + 1)):
            truth = rng.choice(7) if mixed and j > 0 else base
            logits = latent + rng.normal(0, 0.4, 7)
            logits[truth] += 2.2
            p = np.exp(logits - logits.max())
            rows.append((truth, u, np.round(p / p.sum(), 6)))
    return rows


def run_case(tmp, name, rows, column, expect_stratified):
    ids = [f"{name}_{i:05d}" for i in range(len(rows))]  # sorted as evaluate orders its items
    y = np.array([r[0] for r in rows])
    clusters = np.array([r[1] for r in rows])
    p = np.array([r[2] for r in rows])
    truth_csv, pred_csv, rows_csv, report = (os.path.join(tmp, f"{name}.{s}") for s in ("truth.csv", "pred.csv", "rows.csv", "json"))
    with open(truth_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["lesion_id", "patient_id", "image_id", "dx"])
        for i, t, c in zip(ids, y, clusters):
            w.writerow([f"L{c}" if column == "lesion_id" else f"L{i}", f"P{c}", i, HAM[t]])
    write_predictions(pred_csv, ids, HAM, p)
    with open(rows_csv, "w") as f:
        for t, c, row in zip(y, clusters, p):
            f.write(",".join([str(t), str(c if column else -1)] + [repr(float(v)) for v in row]) + "\n")
    command = [SKINSCAN, "evaluate", "--labels", truth_csv, "--predictions", pred_csv, "--malignant", "mel,bcc,akiec",
               "--bootstrap", str(RESAMPLES), "--seed", str(SEED), "--out", report, "--quiet"]
    if column:
        command += ["--cluster-by", column]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    r = json.load(open(report))
    dump = json.loads(subprocess.run([DUMP, rows_csv, str(RESAMPLES), str(SEED)], check=True,
                                     capture_output=True, text=True).stdout)
    weights = np.array(dump["weights"], dtype=np.int64)

    # The structure of each resample, restated.
    units = clusters if column else np.arange(len(y))
    unit_ids = np.unique(units)
    unit_class = {u: set(y[units == u]) for u in unit_ids}
    stratified = all(len(s) == 1 for s in unit_class.values())
    if stratified != expect_stratified or dump["stratified"] != stratified:
        check.fail(f"{name}: stratified {dump['stratified']}, restated {stratified}, expected {expect_stratified}")
    for b, wb in enumerate(weights):
        draws = {}
        for u in unit_ids:
            members = wb[units == u]
            if len(set(members)) != 1:
                check.fail(f"{name} resample {b}: unit {u} has unequal weights {sorted(set(members))}")
            draws[u] = members[0]
        if stratified:
            for k in range(7):
                of_k = [u for u in unit_ids if unit_class[u] == {k}]
                if sum(draws[u] for u in of_k) != len(of_k):
                    check.fail(f"{name} resample {b}: class {k} drew {sum(draws[u] for u in of_k)} of {len(of_k)} units")
        elif sum(draws.values()) != len(unit_ids):
            check.fail(f"{name} resample {b}: {sum(draws.values())} draws of {len(unit_ids)} units")
    mean_draws = weights.sum(0) / len(weights)  # per image: its unit's mean draw count, about 1
    if abs(mean_draws.mean() - 1) > 0.05:
        check.fail(f"{name}: mean draw count per unit {mean_draws.mean():.3f}, expected about 1")

    # Each resample's metrics by scikit-learn, and the report's percentile intervals.
    samples = [resample_metrics(y, p, wb) for wb in weights]
    ci = r["confidence_intervals"]
    if ci["unit"] != (column or "image"):
        check.fail(f"{name}: report unit {ci['unit']}, expected {column or 'image'}")
    for metric in ("accuracy", "balanced_accuracy", "macro_f1", "ece", "macro_auc"):
        values = np.array([s[metric] for s in samples])
        check.close(f"{name} {metric} CI lower", ci[metric][0], np.percentile(values, 2.5))
        check.close(f"{name} {metric} CI upper", ci[metric][1], np.percentile(values, 97.5))
    values = np.array([s["malignant_auc"] for s in samples])
    check.close(f"{name} malignant_auc CI lower", r["binary"]["auc_ci"][0], np.percentile(values, 2.5))
    check.close(f"{name} malignant_auc CI upper", r["binary"]["auc_ci"][1], np.percentile(values, 97.5))
    return r


def main():
    global DUMP, SKINSCAN
    DUMP, SKINSCAN = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(5)
    with tempfile.TemporaryDirectory() as tmp:
        run_case(tmp, "images", make_case(rng, 400, 1, False), None, True)
        run_case(tmp, "lesions", make_case(rng, 300, 4, False), "lesion_id", True)
        run_case(tmp, "patients", make_case(rng, 250, 4, True), "patient_id", False)
        # Why it matters: every image four times. By image the interval shrinks by about half.
        base = make_case(rng, 300, 1, False)
        copies = [(t, u, p) for (t, u, p) in base for _ in range(4)]
        by_image = run_case(tmp, "copies_by_image", copies, None, True)
        by_lesion = run_case(tmp, "copies_by_lesion", copies, "lesion_id", True)
        width = lambda r: np.diff(r["confidence_intervals"]["balanced_accuracy"])[0]  # noqa: E731
        ratio = width(by_lesion) / width(by_image)
        print(f"four copies per lesion: balanced-accuracy CI by lesion / by image = {ratio:.2f} (about 2 expected)")
        if not 1.5 < ratio < 2.6:
            check.fail(f"copies: lesion/image CI width ratio {ratio:.2f}, expected about 2")
    check.finish()


if __name__ == "__main__":
    main()
