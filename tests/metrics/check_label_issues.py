#!/usr/bin/env python3
"""Checks `skinscan audit --per-image` (confident learning, libskin/evaluation/label_issues) against
a numpy restatement of Northcutt et al. (JAIR 2021) - cleanlab is not in Debian - on synthetic
out-of-sample probabilities with known label flips: the per-class thresholds (1e-9), the confident
joint and the ranked issue list (exactly), and the detector's recall and precision on the flips.

SKINSCAN_PERTURB_REFERENCE=x moves the reference thresholds by x: the check must then fail.
Usage: check_label_issues.py SKINSCAN"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from comparison import Comparison  # noqa: E402

LABELS = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
check = Comparison(1e-9, "numpy restatement")


def reference(p, given):
    k = p.shape[1]
    t = np.array([p[given == j, j].mean() if (given == j).any() else np.nan for j in range(k)]) + check.perturb
    above = (p >= t[None, :]) & ~np.isnan(t)[None, :]
    masked = np.where(above, p, -np.inf)
    confident = np.where(above.any(1), masked.argmax(1), -1)  # highest probability among those at threshold
    joint = np.zeros((k, k), int)
    for g, c in zip(given, confident):
        if c >= 0:
            joint[g, c] += 1
    issues = [i for i in range(len(given)) if confident[i] >= 0 and confident[i] != given[i]]
    issues.sort(key=lambda i: p[i, given[i]])  # stable: ties keep row order
    return t, joint, issues, confident


def main():
    skinscan = sys.argv[1]
    rng = np.random.default_rng(21)
    n = 700
    truth = rng.choice(7, n, p=[.05, .07, .12, .03, .13, .55, .05])
    logits = rng.normal(0, 1.0, (n, 7))
    logits[np.arange(n), truth] += rng.uniform(1.0, 4.0, n)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    p = np.round(p, 6)
    given = truth.copy()
    flipped = rng.choice(n, 56, replace=False)  # 8% of the labels wrong
    for i in flipped:
        given[i] = rng.choice([c for c in range(7) if c != truth[i]])
    ids = [f"img{i:04d}" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "images")
        os.makedirs(folder)
        for i, name in enumerate(ids):
            Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(os.path.join(folder, name + ".png"))
        per_image = os.path.join(tmp, "per_image.csv")
        with open(per_image, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "path", "truth", "prediction", "confidence", "correct"] + ["p_" + l for l in LABELS])
            for i, name in enumerate(ids):
                w.writerow([name, name + ".png", LABELS[given[i]], LABELS[p[i].argmax()], p[i].max(),
                            int(p[i].argmax() == given[i])] + [repr(float(v)) for v in p[i]])
        out = subprocess.run([skinscan, "audit", "-q", "--json", folder, "--per-image", per_image, "--top", str(n),
                              "--max-distance", "0"], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            sys.exit(1)
        got = json.loads(out.stdout)["label_issues"]
    t, joint, issues, _ = reference(p, given)
    for j, label in enumerate(LABELS):
        check.close(f"threshold {label}", got["thresholds"][label], t[j])
    check.count += 1
    if got["confident_joint"] != joint.tolist():
        check.fail(f"confident joint: ours {got['confident_joint']}, reference {joint.tolist()}")
    ours = [ids.index(i["id"]) for i in got["issues"]]
    check.count += 1
    if ours != issues:
        check.fail(f"issue ranking differs: ours {ours[:10]}..., reference {issues[:10]}...")
    found = set(ours) & set(flipped.tolist())
    recall, precision = len(found) / len(flipped), len(found) / max(1, len(ours))
    print(f"planted flips: {len(flipped)}; flagged {len(ours)}; recall {recall:.2f}, precision {precision:.2f}")
    check.count += 1
    if recall < 0.6 or precision < 0.5:
        check.fail(f"detector: recall {recall:.2f}, precision {precision:.2f} on planted flips")
    check.finish()


if __name__ == "__main__":
    main()
