#!/usr/bin/env python3
"""Checks of the training package (training/skintrain):
1. its one balanced accuracy against scikit-learn's balanced_accuracy_score, to 1e-12, with a class
   absent from the truth (left out, not counted as recall 0) and a class never predicted; the
   other definition (absent class = recall 0) must be told apart;
2. the import rule: the package never imports a script, and no script imports another script
   (scripts import the package only)."""
import ast
import glob
import os
import sys

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score

TRAINING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training")
sys.path.insert(0, TRAINING)
from skintrain.metrics import balanced_accuracy  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL: {what}")


rng = np.random.default_rng(0)
for case in range(50):
    n = int(rng.integers(5, 200))
    classes = rng.choice(7, size=int(rng.integers(1, 7)), replace=False)  # some classes absent from the truth
    y = rng.choice(classes, size=n)
    pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, 7, size=n))
    ours = balanced_accuracy(torch.from_numpy(pred), torch.from_numpy(y))
    ref = balanced_accuracy_score(y, pred) if len(set(pred) - set(y)) == 0 else None
    if ref is None:  # sklearn warns when predictions hold classes absent from y, and still averages over y's
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = balanced_accuracy_score(y, pred)
    check(abs(ours - ref) < 1e-12, f"case {case}: balanced accuracy {ours} vs scikit-learn {ref}")
    zero_for_absent = np.mean([((pred == c) & (y == c)).sum() / max(1, (y == c).sum()) for c in range(7)])
    if len(classes) < 7:
        check(abs(ours - zero_for_absent) > 1e-9, f"case {case}: the absent-class-as-zero definition was not told apart")

scripts = {os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(TRAINING, "*.py"))}
package = {os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(TRAINING, "skintrain", "*.py"))}
check(not scripts & package, f"a script and a package module share a name: {scripts & package}")


def imported(path):
    names = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


for path in glob.glob(os.path.join(TRAINING, "skintrain", "*.py")):
    bad = imported(path) & scripts
    check(not bad, f"{path} imports the script(s) {sorted(bad)}")
for path in glob.glob(os.path.join(TRAINING, "*.py")):
    bad = imported(path) & (scripts - {os.path.splitext(os.path.basename(path))[0]})
    check(not bad, f"{path} imports the script(s) {sorted(bad)}: scripts import skintrain only")
print("balanced accuracy agrees with scikit-learn; the package imports no script and scripts import no script")
