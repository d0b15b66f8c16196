#!/usr/bin/env python3
"""Checks skinscan's conformal prediction (libskin/model/conformal) against a numpy restatement
of the published formulas (Angelopoulos & Bates 2021; LAC, APS, RAPS; marginal and Mondrian):
1. the quantile to 1e-9 and the prediction sets exactly, on random Dirichlet probabilities with
   ties, for several alphas, k_reg and lambda (SKINSCAN_PERTURB_REFERENCE moves the reference
   quantile by that much, and the check must then fail);
2. coverage over 200 random calibration/test halves of real predictions (the bundled model on the
   val split, from `evaluate --per-image`) is >= 1 - alpha on average, for each method;
3. a calibration set below the minimum is refused, naming the minimum.
Usage: check_conformal.py DUMP_CONFORMAL [SKINSCAN SHARED_DATA SOURCE_DIR]"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from comparison import Comparison  # noqa: E402

check = Comparison(1e-9, "numpy restatement")


def scores(p, method, k_reg, lam):
    """Nonconformity score of every class: LAC 1 - p; APS mass ranked at or above; RAPS + penalty."""
    if method == "lac":
        return 1 - p
    order = np.argsort(-p, axis=1, kind="stable")
    srt = np.take_along_axis(p, order, axis=1)
    reg = np.zeros(p.shape[1]) if method == "aps" else lam * np.maximum(0, np.arange(1, p.shape[1] + 1) - k_reg)
    cum = srt.cumsum(axis=1) + reg
    out = np.empty_like(p)
    np.put_along_axis(out, order, cum, axis=1)
    return out


def quantile(s, alpha):
    """The ceil((n + 1)(1 - alpha))-th smallest score (Angelopoulos & Bates 2021, Theorem 1). Their
    code's np.quantile(s, k / n, method="higher") takes the next one up whenever (n - 1) k / n is
    not whole, one rank more conservative than the theorem needs; skinscan follows the theorem."""
    n = len(s)
    return np.sort(s)[math.ceil((n + 1) * (1 - alpha) - 1e-9) - 1]


def reference_membership(cal_p, cal_y, test_p, method, alpha, mondrian, k_reg, lam):
    """(quantiles, test rows x classes boolean membership of the sets)."""
    cal_s = scores(cal_p, method, k_reg, lam)[np.arange(len(cal_y)), cal_y]
    if mondrian:
        q = np.array([quantile(cal_s[cal_y == k], alpha) for k in range(cal_p.shape[1])])
    else:
        q = np.array([quantile(cal_s, alpha)])
    q = q + check.perturb
    test_s = scores(test_p, method, k_reg, lam)
    member = test_s <= (q[None, :] if mondrian else q[0])
    if method != "lac":  # APS/RAPS: the top class when the set would be empty (disallow_zero_sets)
        top = np.argmax(test_p, axis=1)
        empty = ~member.any(axis=1)
        member[np.flatnonzero(empty), top[empty]] = True
    return q, member


def reference(cal_p, cal_y, test_p, method, alpha, mondrian, k_reg, lam):
    """(quantiles, the sets as lists of classes by decreasing probability)."""
    q, member = reference_membership(cal_p, cal_y, test_p, method, alpha, mondrian, k_reg, lam)
    sets = [sorted(np.flatnonzero(row).tolist(), key=lambda k, i=i: (-test_p[i, k], k)) for i, row in enumerate(member)]
    return q, sets


def write(path, p, y):
    with open(path, "w") as f:
        for yi, row in zip(y, p):
            f.write(f"{yi}," + ",".join(repr(float(v)) for v in row) + "\n")


def ours(dump, cal_p, cal_y, test_p, test_y, method, alpha, mondrian, k_reg, lam, d):
    write(os.path.join(d, "cal.csv"), cal_p, cal_y)
    write(os.path.join(d, "test.csv"), test_p, test_y)
    r = subprocess.run([dump, os.path.join(d, "cal.csv"), os.path.join(d, "test.csv"), method, repr(alpha),
                        "1" if mondrian else "0", str(k_reg), repr(lam)], capture_output=True, text=True)
    return r


def main():
    dump = sys.argv[1]
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as d:
        for case in range(24):
            k = 7
            mondrian = case % 4 == 3
            n = int(rng.integers(160, 300)) if mondrian else int(rng.integers(60, 300))
            p = rng.dirichlet(np.full(k, 0.6), size=n + 80)
            p = np.round(p, 2)  # ties
            p[:, 0] += 1 - p.sum(1)
            p = np.clip(p, 0, 1)
            y = np.array([rng.choice(k, p=row / row.sum()) for row in p])
            y[:k] = np.arange(k)  # every class present
            method = ["lac", "aps", "raps"][case % 3]
            alpha = [0.05, 0.1, 0.2][case % 3 if case < 12 else (case + 1) % 3]
            k_reg, lam = int(rng.integers(0, 3)), float(rng.choice([0.0, 0.01, 0.1]))
            if mondrian:
                for c in range(k):  # enough of each class for the quantile
                    y[k + c * 20: k + (c + 1) * 20] = c
            cal_p, cal_y, test_p, test_y = p[:n], y[:n], p[n:], y[n:]
            r = ours(dump, cal_p, cal_y, test_p, test_y, method, alpha, mondrian, k_reg, lam, d)
            name = f"[case {case}: {method} alpha {alpha} mondrian {mondrian} k_reg {k_reg} lambda {lam}]"
            if r.returncode != 0:
                check.fail(f"{name} dump_conformal failed: {r.stderr.strip()}")
                continue
            got = json.loads(r.stdout)
            q, sets = reference(cal_p, cal_y, test_p, method, alpha, mondrian, k_reg, lam)
            for j, (a, b) in enumerate(zip(got["qhat"], q)):
                check.count += 1
                if abs(a - b) > check.tolerance:
                    check.fail(f"{name} qhat[{j}]: ours {a}, reference {b}")
            if check.perturb == 0:
                check.count += 1
                if got["sets"] != sets:
                    bad = next(i for i, (a, b) in enumerate(zip(got["sets"], sets)) if a != b)
                    check.fail(f"{name} set of test row {bad}: ours {got['sets'][bad]}, reference {sets[bad]}")
        # Too few calibration images: the minimum for alpha 0.1 is 9.
        r = ours(dump, np.full((8, 2), 0.5), np.zeros(8, int), np.full((1, 2), 0.5), np.zeros(1, int),
                 "lac", 0.1, False, 1, 0.0, d)
        check.count += 1
        if r.returncode != 1 or "8 calibration images are too few for alpha 0.1: at least 9 are needed" not in r.stderr:
            check.fail(f"small calibration set: exit {r.returncode}, {r.stderr.strip()}")

        if len(sys.argv) > 4 and os.path.isfile(os.path.join(sys.argv[3], "HAM10000_metadata.csv")) and check.perturb == 0:
            skinscan, shared, source = sys.argv[2], sys.argv[3], sys.argv[4]
            per_image = os.path.join(d, "val.csv")
            subprocess.run([skinscan, "evaluate", "-q", "--data", shared, "--split",
                            os.path.join(source, "datasets", "splits", "val.txt"), "--per-image", per_image],
                           check=True, stdout=subprocess.DEVNULL)
            rows = list(csv.DictReader(open(per_image)))
            labels = [c[2:] for c in rows[0] if c.startswith("p_")]
            p = np.array([[float(r["p_" + l]) for l in labels] for r in rows])
            y = np.array([labels.index(r["truth"]) for r in rows])
            split_rng = np.random.default_rng(11)
            for method in ("lac", "aps", "raps"):
                alpha, covered = 0.1, []
                for _ in range(200):
                    perm = split_rng.permutation(len(y))
                    cal, test = perm[: len(y) // 2], perm[len(y) // 2:]
                    q, member = reference_membership(p[cal], y[cal], p[test], method, alpha, False, 1, 0.01)
                    covered.append(member[np.arange(len(test)), y[test]].mean())
                mean = float(np.mean(covered))
                print(f"{method}: mean coverage over 200 random halves of {len(y)} val images {mean:.4f} "
                      f"(target {1 - alpha}), min {min(covered):.4f}")
                check.count += 1
                if mean < 1 - alpha:
                    check.fail(f"{method}: mean coverage {mean} below {1 - alpha}")
                # The reference restates skinscan exactly (part 1); on one split compare the two too.
                q, sets = reference(p[cal], y[cal], p[test], method, alpha, False, 1, 0.01)
                r = ours(dump, p[cal], y[cal], p[test], y[test], method, alpha, False, 1, 0.01, d)
                got = json.loads(r.stdout)
                check.count += 1
                if got["sets"] != sets or abs(got["qhat"][0] - q[0]) > 1e-9:
                    check.fail(f"{method}: real predictions, skinscan and the reference disagree")
        else:
            print("real-prediction coverage check skipped (no shared data or a perturbed run)", file=sys.stderr)
    check.finish()


if __name__ == "__main__":
    main()
