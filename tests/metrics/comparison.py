"""Shared by the reference cross-checks: compares skinscan's numbers with a reference
implementation's, collects failures, and supports the perturbed run that must fail
(SKINSCAN_PERTURB_REFERENCE=x adds x to every reference value)."""
import csv
import os
import sys

import numpy as np


class Comparison:
    def __init__(self, tolerance, reference_name):
        self.tolerance = tolerance
        self.reference_name = reference_name
        self.perturb = float(os.environ.get("SKINSCAN_PERTURB_REFERENCE", "0"))
        self.failures = []
        self.count = 0

    def close(self, name, ours, ref):
        """ours and ref equal within the tolerance; a reference of None/NaN means undefined,
        and then ours must be None too."""
        self.count += 1
        if ref is None or (isinstance(ref, float) and np.isnan(ref)):
            if ours is not None:
                self.failures.append(f"{name}: ours {ours}, {self.reference_name} undefined")
            return
        ref = float(ref) + self.perturb
        if ours is None or abs(ours - ref) > self.tolerance:
            self.failures.append(f"{name}: ours {ours}, {self.reference_name} {ref}")

    def fail(self, message):
        self.failures.append(message)

    def finish(self):
        if self.failures:
            print(f"{len(self.failures)} of {self.count} comparisons with {self.reference_name} failed:", file=sys.stderr)
            for f in self.failures[:40]:
                print("  " + f, file=sys.stderr)
            sys.exit(1)
        print(f"all {self.count} comparisons agree with {self.reference_name} to {self.tolerance}")


def write_predictions(path, ids, labels, p):
    """Probabilities as a skinscan `batch --format csv` file, every value at full precision."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "id", "label", "probability"] + labels + ["malignant_probability", "error"])
        for i, row in zip(ids, p):
            w.writerow([i + ".jpg", i, labels[int(row.argmax())], repr(float(row.max()))] +
                       [repr(float(v)) for v in row] + ["", ""])


def write_truth(path, ids, labels, y):
    """Ground truth as a HAM10000-style metadata CSV (one lesion per image)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["lesion_id", "image_id", "dx"])
        for i, t in zip(ids, y):
            w.writerow(["L" + i, i, labels[t]])
