#!/usr/bin/env python3
"""Checks skinscan's guaranteed-sensitivity threshold (libskin/model/sensitivity_guarantee, the
learn-then-test rule with the exact binomial test) and its exact intervals (libskin/core/binomial)
against a scipy restatement:
1. misses allowed k* = max k with binom.cdf(k, n, 1 - s) <= delta, the threshold = the (k*+1)-th
   smallest malignant score, and the minimum n = ceil(log(delta) / log(s)), exactly / to 1e-12, on
   random score sets with ties, for several (s, delta);
2. Clopper-Pearson bounds = scipy.stats.beta.ppf (the exact interval's closed form) to 1e-9;
3. the guarantee itself: malignant scores drawn from Beta(5, 2), whose miss rate at any threshold is
   known exactly (beta.cdf); over 2,000 calibration sets of 200 the share whose threshold misses
   more than 1 - s of the population must stay <= delta (plus Monte Carlo slack);
4. on real predictions (the bundled model on the val split), 500 random halves: fitted on one half,
   the sensitivity on the other half falls below s in no more than delta of the splits (plus
   Monte Carlo slack: that half's sensitivity is itself an estimate);
5. too few malignant images are refused, naming the minimum.
SKINSCAN_PERTURB_REFERENCE=x moves every reference number by x: the check must then fail.
Usage: check_sensitivity_guarantee.py DUMP [SKINSCAN SHARED_DATA SOURCE_DIR]"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from comparison import Comparison  # noqa: E402

check = Comparison(1e-9, "scipy restatement")
MALIGNANT = ("mel", "bcc", "akiec")


def reference_fit(scores, s, delta):
    n = len(scores)
    passing = np.flatnonzero(stats.binom.cdf(np.arange(n), n, 1 - s) <= delta)
    k = int(passing.max()) if len(passing) else 0
    return float(np.sort(scores)[k]), k


def reference_minimum(s, delta):
    n = max(1, math.floor(math.log(delta) / math.log(s)))
    while s ** n > delta:
        n += 1
    while n > 1 and s ** (n - 1) <= delta:
        n -= 1
    return n


def dump(tool, *args):
    r = subprocess.run([tool, *map(str, args)], capture_output=True, text=True)
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else r.stderr.strip())


def main():
    tool = sys.argv[1]
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "scores.txt")
        for case in range(30):
            s, delta = [(0.95, 0.1), (0.9, 0.05), (0.8, 0.2), (0.99, 0.1), (0.95, 0.01)][case % 5]
            n = int(rng.integers(reference_minimum(s, delta), 600))
            scores = np.round(rng.beta(4, 2, n), 2)  # ties
            np.savetxt(path, scores, fmt="%.17g")
            rc, got = dump(tool, "fit", path, s, delta)
            name = f"[case {case}: n {n} s {s} delta {delta}]"
            if rc != 0:
                check.fail(f"{name}: {got}")
                continue
            t, k = reference_fit(scores, s, delta)
            check.close(f"{name} threshold", got["threshold"], t)
            check.close(f"{name} misses allowed", got["misses_allowed"], k)
            check.close(f"{name} minimum", got["minimum"], reference_minimum(s, delta))
        for k, n in [(0, 10), (3, 10), (10, 10), (47, 50), (138, 141), (1, 1000), (500, 1000), (9990, 10000)]:
            rc, got = dump(tool, "cp", k, n, 0.95)
            lo = 0.0 if k == 0 else stats.beta.ppf(0.025, k, n - k + 1)
            hi = 1.0 if k == n else stats.beta.ppf(0.975, k + 1, n - k)
            check.close(f"clopper-pearson {k}/{n} lower", got["lower"], lo)
            check.close(f"clopper-pearson {k}/{n} upper", got["upper"], hi)
            check.close(f"binomial cdf {k}/{n}", got["cdf"], stats.binom.cdf(k, n, k / n))

        # The guarantee over calibration draws, against the exact population miss rate.
        s, delta, n, draws = 0.95, 0.1, 200, 2000
        violations = 0
        for _ in range(draws):
            t, _k = reference_fit(rng.beta(5, 2, n), s, delta)
            violations += stats.beta.cdf(t, 5, 2) > 1 - s
        rate = violations / draws
        slack = 3 * math.sqrt(delta * (1 - delta) / draws)
        print(f"Beta(5,2) scores: {rate:.4f} of {draws} calibration sets of {n} miss more than {1 - s:.2f} "
              f"(delta {delta})")
        check.count += 1
        if rate > delta + slack + check.perturb:
            check.fail(f"population violation rate {rate} above delta {delta}")

        np.savetxt(path, np.linspace(0.1, 0.9, 44))
        rc, got = dump(tool, "fit", path, 0.95, 0.1)
        check.count += 1
        if rc != 1 or "44 malignant calibration images are too few for sensitivity 0.95 with delta 0.1: at least 45 are needed" not in got:
            check.fail(f"too few malignant images: exit {rc}, {got}")

        if len(sys.argv) > 4 and os.path.isfile(os.path.join(sys.argv[3], "HAM10000_metadata.csv")) and check.perturb == 0:
            skinscan, shared, source = sys.argv[2:5]
            per_image = os.path.join(d, "val.csv")
            subprocess.run([skinscan, "evaluate", "-q", "--data", shared, "--split",
                            os.path.join(source, "datasets", "splits", "val.txt"), "--per-image", per_image],
                           check=True, stdout=subprocess.DEVNULL)
            rows = list(csv.DictReader(open(per_image)))
            score = np.array([sum(float(r["p_" + m]) for m in MALIGNANT) for r in rows])
            malignant = np.array([r["truth"] in MALIGNANT for r in rows])
            split_rng = np.random.default_rng(13)
            below, specificity = 0, []
            for _ in range(500):
                perm = split_rng.permutation(len(rows))
                cal, test = perm[: len(rows) // 2], perm[len(rows) // 2:]
                t, _k = reference_fit(score[cal][malignant[cal]], 0.95, 0.1)
                sens = (score[test][malignant[test]] >= t).mean()
                specificity.append((score[test][~malignant[test]] < t).mean())
                below += sens < 0.95
            print(f"val halves: sensitivity below 0.95 in {below} of 500 splits (delta 0.1); mean specificity "
                  f"{np.mean(specificity):.3f}")
            # The other half's own sampling noise adds to the calibration set's: allow Monte Carlo slack.
            check.count += 1
            if below / 500 > 0.1 + 3 * math.sqrt(0.1 * 0.9 / 500):
                check.fail(f"real predictions: {below} of 500 halves below the target")
        else:
            print("real-prediction check skipped (no shared data or a perturbed run)", file=sys.stderr)
    check.finish()


if __name__ == "__main__":
    main()
