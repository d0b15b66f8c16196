#!/usr/bin/env python3
"""The paired statistics of every evaluate --shift entry against numpy/scipy on the same inputs.

Random probability pairs (4 classes, malignant = classes 0 and 2) are written as CSV for
dump_paired_change (C++), in several shapes: small samples (the exact Wilcoxon p), large ones
(normal approximation), samples with exact zeros and tied differences. Checked to 1e-9: top-1 flip
rate (numpy argmax), mean malignant change, malignant-call flip rate and calls gained/lost at the
threshold, the Wilcoxon signed-rank statistic and p (scipy.stats.wilcoxon, zero_method="wilcox",
correction=False, method="exact" where skinscan says exact, else "approx"), the interval as numpy's
2.5/97.5 percentiles of the dumped resample means; and, statistically, that the resample means
behave as a bootstrap (their mean within 4 standard errors of the sample mean, their spread within
15% of numpy's own bootstrap). With SKINSCAN_PERTURB_REFERENCE=EPS the reference values are moved
by EPS and the check must fail.

Usage: check_paired_change.py DUMP_PAIRED_CHANGE
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.stats import wilcoxon


def case(rng, n, kind):
    clean = rng.dirichlet(np.ones(4), n)
    if kind == "shifted":
        changed = clean * np.array([1.6, 0.8, 1.3, 0.9]) + rng.normal(0, 0.02, (n, 4)).clip(0)
    else:
        changed = rng.dirichlet(np.ones(4), n)
    changed /= changed.sum(1, keepdims=True)
    if kind == "zeros_ties":
        changed[: n // 4] = clean[: n // 4]        # exact zeros
        clean = np.round(clean, 2)
        changed = np.round(changed, 2)             # many tied differences
    return clean, changed


def main():
    dump = sys.argv[1]
    perturb = float(os.environ.get("SKINSCAN_PERTURB_REFERENCE", "0"))
    rng = np.random.default_rng(20261206)
    failures = []
    cases = [(12, "random"), (40, "shifted"), (300, "shifted"), (500, "random"), (200, "zeros_ties")]
    with tempfile.TemporaryDirectory() as work:
        for n, kind in cases:
            clean, changed = case(rng, n, kind)
            path = os.path.join(work, f"{kind}_{n}.csv")
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                for i in range(n):
                    w.writerow([f"img{i}"] + [repr(float(v)) for v in clean[i]] + [repr(float(v)) for v in changed[i]])
            threshold, resamples, seed = 0.5, 400, 11
            got = json.loads(subprocess.run([dump, path, str(threshold), str(resamples), str(seed)], check=True,
                                            capture_output=True, text=True).stdout)
            pa, pb = clean[:, 0] + clean[:, 2], changed[:, 0] + changed[:, 2]
            d = pb - pa
            # The C++ reads the CSV's decimal strings: recompute from them exactly as it does.
            mc = got["malignant_change"]
            exact = mc["wilcoxon_exact"]
            if (d != 0).sum() == 0:
                ref_stat, ref_p = 0.0, 1.0
            else:
                r = wilcoxon(d, zero_method="wilcox", correction=False, method="exact" if exact else "approx")
                ref_stat, ref_p = float(r.statistic), float(r.pvalue)
            means = np.array(got["resample_means"])
            expected = {
                "top1_flip_rate": np.mean(clean.argmax(1) != changed.argmax(1)),
                "mean": d.mean(),
                "malignant_call_flip_rate": np.mean((pa >= threshold) != (pb >= threshold)),
                "gained": float(np.sum((pa < threshold) & (pb >= threshold))),
                "lost": float(np.sum((pa >= threshold) & (pb < threshold))),
                "wilcoxon_statistic": ref_stat,
                "wilcoxon_p": ref_p,
                "ci_low": np.percentile(means, 2.5),
                "ci_high": np.percentile(means, 97.5),
            }
            actual = {
                "top1_flip_rate": got["top1_flip_rate"], "mean": mc["mean"],
                "malignant_call_flip_rate": got["malignant_call_flip_rate"],
                "gained": float(got["malignant_calls_gained"]), "lost": float(got["malignant_calls_lost"]),
                "wilcoxon_statistic": mc["wilcoxon_statistic"], "wilcoxon_p": mc["wilcoxon_p"],
                "ci_low": mc["ci"][0], "ci_high": mc["ci"][1],
            }
            for key, ref in expected.items():
                diff = abs(actual[key] - (ref + perturb))
                status = "ok" if diff <= 1e-9 else "FAIL"
                print(f"{kind:10s} n={n:4d} {key:24s} skinscan {actual[key]:.10f} reference {ref + perturb:.10f} {status}")
                if status != "ok":
                    failures.append(f"{kind} n={n} {key}: {actual[key]} vs {ref + perturb}")
            # The resamples behave as a bootstrap of the mean.
            se = d.std(ddof=1) / np.sqrt(n)
            own = np.array([d[rng.integers(0, n, n)].mean() for _ in range(2000)])
            if abs(means.mean() - d.mean()) > 4 * se / np.sqrt(resamples) + 1e-12:
                failures.append(f"{kind} n={n}: resample means centred at {means.mean()} not {d.mean()}")
            if not 0.85 <= means.std() / own.std() <= 1.15:
                failures.append(f"{kind} n={n}: resample spread {means.std()} vs numpy bootstrap {own.std()}")
            print(f"{kind:10s} n={n:4d} exact={exact} resample sd {means.std():.5f} numpy bootstrap sd {own.std():.5f}")
    if failures:
        print("FAILED:", "; ".join(failures))
        return 1
    print(f"paired statistics match numpy/scipy on all {len(cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
