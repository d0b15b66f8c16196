#!/usr/bin/env python3
"""Checks skinscan's per-image OOD scores (libskin/model/ood) and their separation
(libskin/evaluation/ood_report) against a numpy / scipy / scikit-learn restatement, to 1e-9:
- MSP = 1 - max p (Hendrycks & Gimpel 2017); energy = -logsumexp(logits) (scipy.special,
  Liu et al. 2020); Mahalanobis = min over classes of the squared distance to the class mean under
  the shared within-class diagonal covariance (variance floored at 1e-3 x its median);
- the class means and variances themselves;
- AUROC by sklearn.metrics.roc_auc_score (OOD positive) and FPR at 95% TPR from
  sklearn.metrics.roc_curve (in-distribution positive, score negated: the lowest FPR with TPR >= 0.95);
- the threshold at TPR 0.95 = the ceil(0.95 n)-th smallest in-distribution score.
Synthetic features with ties; SKINSCAN_PERTURB_REFERENCE=x moves every reference number: the check
must then fail.
Usage: check_ood.py DUMP_OOD"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.special import logsumexp
from sklearn import metrics as skm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from comparison import Comparison  # noqa: E402

check = Comparison(1e-9, "numpy/scipy/scikit-learn")


def reference(fit_y, fit_f, k):
    means = [fit_f[fit_y == c].mean(0) if (fit_y == c).any() else None for c in range(k)]
    resid = np.stack([f - means[y] for y, f in zip(fit_y, fit_f)])
    used = sum(m is not None for m in means)
    var = (resid ** 2).sum(0) / max(1.0, len(fit_y) - used)
    var = np.maximum(var, max(1e-3 * np.sort(var)[len(var) // 2], 1e-12))
    return means, var


def main():
    dump = sys.argv[1]
    rng = np.random.default_rng(17)
    for case in range(6):
        k, d = 5, int(rng.integers(8, 40))
        centres = rng.normal(0, 3, (k, d))
        fit_y = rng.integers(0, k - (case % 2), 400)  # odd cases: the last class has no images
        fit_f = np.round(centres[fit_y] + rng.normal(0, 1, (len(fit_y), d)), 2).astype(np.float32).astype(float)
        n_id, n_ood = 150, 120
        side = np.r_[np.zeros(n_id), np.ones(n_ood)].astype(int)
        feats = np.r_[centres[rng.integers(0, k, n_id)] + rng.normal(0, 1, (n_id, d)),
                      rng.normal(0, 4, (n_ood, d))]
        logits = np.round(rng.normal(0, 2, (n_id + n_ood, k)) + (1 - side)[:, None] * 2 * np.eye(k)[rng.integers(0, k, n_id + n_ood)], 1)
        p = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
        feats = feats.astype(np.float32).astype(float)
        p = p.astype(np.float32).astype(float)
        logits = logits.astype(np.float32).astype(float)
        with tempfile.TemporaryDirectory() as tmp:
            fit_csv, score_csv = os.path.join(tmp, "fit.csv"), os.path.join(tmp, "score.csv")
            np.savetxt(fit_csv, np.c_[fit_y, fit_f], delimiter=",", fmt="%.9g")
            np.savetxt(score_csv, np.c_[side, p, logits, feats], delimiter=",", fmt="%.9g")
            got = json.loads(subprocess.run([dump, fit_csv, score_csv, str(k)], check=True, capture_output=True,
                                            text=True).stdout)
        means, var = reference(fit_y, fit_f, k)
        name = f"[case {case}]"
        for c in range(d):
            check.close(f"{name} variance[{c}]", got["variance"][c], var[c])
        for c in range(k):
            if means[c] is None:
                check.count += 1
                if got["class_means"][c]:
                    check.fail(f"{name} class {c} has no images but a mean")
                continue
            for j in (0, d - 1):
                check.close(f"{name} mean[{c}][{j}]", got["class_means"][c][j], means[c][j])
        msp = 1 - p.max(1)
        energy = -logsumexp(logits, axis=1)
        maha = np.array([min(((f - m) ** 2 / var).sum() for m in means if m is not None) for f in feats])
        ours = np.array(got["scores"])
        for i in range(0, len(side), 7):
            check.close(f"{name} msp[{i}]", ours[i, 0], msp[i])
            check.close(f"{name} energy[{i}]", ours[i, 1], energy[i])
            check.close(f"{name} mahalanobis[{i}]", ours[i, 2] / max(1.0, maha[i]), maha[i] / max(1.0, maha[i]))
        ids = np.sort(energy[side == 0])
        check.close(f"{name} energy threshold at TPR 0.95", got["threshold"], ids[math.ceil(0.95 * len(ids)) - 1])
        for m, ref_scores in (("msp", msp), ("energy", energy), ("mahalanobis", maha)):
            # Recomputed from our scores (already checked above), so ties are the same ties.
            s = ours[:, ["msp", "energy", "mahalanobis"].index(m)]
            auroc = skm.roc_auc_score(side, s)
            fpr, tpr, _ = skm.roc_curve(1 - side, -s)
            fpr95 = fpr[np.argmax(tpr >= 0.95)]
            check.close(f"{name} {m} auroc", got["separation"][m][0], auroc)
            check.close(f"{name} {m} fpr95", got["separation"][m][1], fpr95)
    check.finish()


if __name__ == "__main__":
    main()
