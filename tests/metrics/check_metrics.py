#!/usr/bin/env python3
"""Checks every metric of `skinscan evaluate --predictions` against scikit-learn (and numpy
for ECE/MCE/Brier, which sklearn lacks in multi-class form) to 1e-6, on random data and on
edge cases: a class with no samples, a class never predicted, ties, one sample, two classes.

Usage: check_metrics.py SKINSCAN_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn import metrics as skm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from comparison import Comparison, write_predictions, write_truth  # noqa: E402

HAM = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
comparison = Comparison(1e-6, "scikit-learn")
close = comparison.close


def reference_calibration(y, p, bins=15):
    conf, pred = p.max(1), p.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    ece, mce = 0.0, 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            gap = abs((pred[m] == y[m]).mean() - conf[m].mean())
            ece += m.mean() * gap
            mce = max(mce, gap)
    return ece, mce


def evaluate(binary, labels, y, p, malignant, workdir):
    ids = [f"img_{i:05d}" for i in range(len(y))]
    truth_csv = os.path.join(workdir, "truth.csv")
    write_truth(truth_csv, ids, labels, y)
    preds_csv = os.path.join(workdir, "preds.csv")
    write_predictions(preds_csv, ids, labels, p)
    cmd = [binary, "evaluate", "--labels", truth_csv, "--images", workdir, "--predictions", preds_csv, "--json",
           "--malignant", ",".join(malignant) if malignant else "none"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"skinscan failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout)


def check(case, binary, labels, y, p, malignant):
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    with tempfile.TemporaryDirectory() as d:
        r = evaluate(binary, labels, y, p, malignant, d)
    c = len(labels)
    pred = p.argmax(1)
    m = r["metrics"]
    name = lambda k: f"[{case}] {k}"  # noqa: E731
    close(name("accuracy"), m["accuracy"], skm.accuracy_score(y, pred))
    with np.errstate(all="ignore"):
        import warnings
        warnings.simplefilter("ignore")
        close(name("balanced_accuracy"), m["balanced_accuracy"], skm.balanced_accuracy_score(y, pred))
        for avg in ("macro", "weighted"):
            pr, rc, f1, _ = skm.precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
            close(name(f"{avg}_precision"), m[f"{avg}_precision"], pr)
            close(name(f"{avg}_recall"), m[f"{avg}_recall"], rc)
            close(name(f"{avg}_f1"), m[f"{avg}_f1"], f1)
        kappa = skm.cohen_kappa_score(y, pred)
        close(name("cohen_kappa"), m["cohen_kappa"], None if np.isnan(kappa) else kappa)
        for k in (2, 3):
            if k < c:
                close(name(f"top_{k}_accuracy"), m[f"top_{k}_accuracy"],
                      skm.top_k_accuracy_score(y, p, k=k, labels=list(range(c))))
        pr, rc, f1, sup = skm.precision_recall_fscore_support(y, pred, labels=list(range(c)), average=None, zero_division=0)
        mcm = skm.multilabel_confusion_matrix(y, pred, labels=list(range(c)))
        aucs = []
        for k, label in enumerate(labels):
            pc = r["per_class"][label]
            close(name(f"{label}.precision"), pc["precision"], pr[k])
            close(name(f"{label}.recall"), pc["recall"], rc[k])
            close(name(f"{label}.f1"), pc["f1"], f1[k])
            close(name(f"{label}.support"), pc["support"], sup[k])
            tn, fp = mcm[k][0][0], mcm[k][0][1]
            close(name(f"{label}.specificity"), pc["specificity"], tn / (tn + fp) if tn + fp else 0.0)
            pos = (y == k)
            auc = skm.roc_auc_score(pos, p[:, k]) if 0 < pos.sum() < len(y) else None
            if auc is not None:
                aucs.append(auc)
            close(name(f"{label}.auc"), pc["auc"], auc)
            ap = skm.average_precision_score(pos, p[:, k]) if pos.sum() > 0 else None
            close(name(f"{label}.average_precision"), pc["average_precision"], ap)
        close(name("macro_auc"), m["macro_auc"], float(np.mean(aucs)) if aucs else None)
        cm = skm.confusion_matrix(y, pred, labels=list(range(c)))
        if r["confusion_matrix"]["counts"] != cm.tolist():
            comparison.fail(f"[{case}] confusion matrix differs")
        close(name("nll"), m["nll"], skm.log_loss(y, p, labels=list(range(c))))
        onehot = np.eye(c)[y]
        close(name("brier"), m["brier"], float(((p - onehot) ** 2).sum(1).mean()))
        ece, mce = reference_calibration(y, p)
        close(name("ece"), m["ece"], ece)
        close(name("mce"), m["mce"], mce)
        if malignant:
            mal_idx = [labels.index(x) for x in malignant]
            truth_pos = np.isin(y, mal_idx)
            score = p[:, mal_idx].sum(1)
            b = r["binary"]
            predicted = score >= 0.5
            close(name("binary.sensitivity"), b["sensitivity"],
                  skm.recall_score(truth_pos, predicted, zero_division=0) if truth_pos.any() else 0.0)
            close(name("binary.specificity"), b["specificity"],
                  skm.recall_score(~truth_pos, ~predicted, zero_division=0) if (~truth_pos).any() else 0.0)
            close(name("binary.auc"), b["auc"],
                  skm.roc_auc_score(truth_pos, score) if 0 < truth_pos.sum() < len(y) else None)


def random_probs(rng, n, c, sharp=3.0):
    logits = rng.normal(size=(n, c)) * sharp
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def main():
    binary = sys.argv[1]
    rng = np.random.default_rng(7)
    mal = ["akiec", "bcc", "mel"]
    # realistic: imbalanced truth, predictions correlated with truth
    n = 600
    y = rng.choice(7, size=n, p=[0.04, 0.05, 0.11, 0.01, 0.11, 0.66, 0.02])
    p = random_probs(rng, n, 7)
    p[np.arange(n), y] += rng.uniform(0, 1.5, n)
    p /= p.sum(1, keepdims=True)
    check("realistic", binary, HAM, y, p, mal)
    # a class with no samples (df never true)
    y2 = np.where(y == 3, 5, y)
    check("class without samples", binary, HAM, y2, p, mal)
    # a class never predicted (vasc column suppressed)
    p3 = p.copy()
    p3[:, 6] *= 1e-3
    p3 /= p3.sum(1, keepdims=True)
    check("class never predicted", binary, HAM, y, p3, mal)
    # ties: probabilities on a coarse grid, many equal scores and argmax ties
    grid = rng.integers(0, 4, size=(300, 7)).astype(float) + 1e-9
    grid[:, 0] += 0.0
    p4 = grid / grid.sum(1, keepdims=True)
    p4 = np.round(p4, 2)
    p4 /= p4.sum(1, keepdims=True)
    check("ties", binary, HAM, rng.integers(0, 7, 300), p4, mal)
    # one sample
    check("one sample", binary, HAM, np.array([4]), random_probs(rng, 1, 7), mal)
    # two classes (a benign/malignant model)
    yb = rng.integers(0, 2, 200)
    pb = random_probs(rng, 200, 2, sharp=1.0)
    check("two classes", binary, ["benign", "malignant"], yb, pb, ["malignant"])
    comparison.finish()


if __name__ == "__main__":
    main()
