#!/usr/bin/env python3
"""Export trained weights (SkinNet or MobileNetV2) as a skinscan model directory (model.pt + manifest.json).

Steps: load weights (train.py's weights.npz) -> TorchScript (scripted, not frozen: batch-norm
layers stay modules with their running statistics, so that they can be re-estimated on a new
clinic's images; skinscan folds them into the convolutions when it loads the model) keeping the
`features`/`head` methods that `skinscan explain` uses for Grad-CAM -> fit a temperature on the
val split by minimising NLL -> the train split's pooled-feature statistics (mean and standard
deviation of `features` averaged over positions), the reference a dataset-shift score compares a
folder against -> write manifest.json (schema 1) with provenance and val metrics.

Usage: ${PYTHON:-/usr/bin/python3} training/export.py --weights RUN/weights.npz --out models/ham10000-skinnet \
           [--train-log RUN/log] [--name ...] [--version ...]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skintrain.calibration import calibrate_on_val, feature_statistics  # noqa: E402
from skintrain.labels import DESCRIPTIONS, LABELS, NORMALISATION  # noqa: E402
from skintrain.manifest import count_batch_norm, make_manifest, write_manifest  # noqa: E402
from skintrain.models import build_model  # noqa: E402


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "datasets", "ham10000"))
    ap.add_argument("--splits", default=os.path.join(root, "datasets", "splits"))
    ap.add_argument("--train-log", help="train.py output (stdout) whose last line is the run summary")
    ap.add_argument("--name", default="ham10000-skinnet")
    ap.add_argument("--version", required=True, help="model version for the manifest, e.g. 2.0.0")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--description", default="", help="manifest description (default: one per architecture)")
    ap.add_argument("--arch", choices=["skinnet", "mobilenet_v2"], default=None,
                    help="architecture (default: from --train-log, else skinnet)")
    ap.add_argument("--color-constancy", choices=["none", "shades_of_gray"], default=None,
                    help="illuminant normalisation the model was trained with (default: from --train-log, else none)")
    ap.add_argument("--limit", type=int, default=0, help="fit the temperature on the first N val images (smoke test)")
    args = ap.parse_args()

    summary = None
    if args.train_log:
        summary = json.loads([ln for ln in open(args.train_log) if ln.startswith('{"args"')][-1])
    trained = summary["args"] if summary else {}
    arch = args.arch or trained.get("arch", "skinnet")
    color_constancy = args.color_constancy or trained.get("color_constancy", "none")
    mean, std_ = NORMALISATION[arch]
    weights = np.load(args.weights)
    model = build_model(arch, len(LABELS))
    model.load_state_dict({k: torch.from_numpy(weights[k].astype(np.float32) if weights[k].dtype == np.float16
                                               else weights[k]) for k in weights.files})
    model.eval()
    scripted = torch.jit.script(model)

    temperature, val = calibrate_on_val(scripted, args.data, args.splits, args.size, mean, std_, color_constancy,
                                        args.limit)

    training = {}
    if summary:
        s = summary
        recipe = {k: v for k, v in s["args"].items() if k not in ("data", "images", "out", "splits", "resume", "device", "threads", "time_budget", "pool_cache")}
        # A --time-budget run rescales its schedule to the epochs it ran: record those, so the
        # recipe reruns as written without a budget.
        recipe["epochs"] = s["epochs_run"]
        training = {"recipe": recipe,
                    "epochs": s["epochs_run"], "train_seconds": round(s["train_seconds"], 1),
                    "device": s["device"], "torch": s["torch"]}

    statistics = feature_statistics(scripted, args.data, args.splits, args.size, mean, std_, color_constancy,
                                    args.limit)
    os.makedirs(args.out, exist_ok=True)
    scripted.save(os.path.join(args.out, "model.pt"))
    input_spec = {"width": args.size, "height": args.size, "resize": "stretch", "color_order": "RGB",
                  "scale": 255.0, "mean": mean, "std": std_,
                  **({"color_constancy": {"method": "shades_of_gray", "p": 6}}
                     if color_constancy == "shades_of_gray" else {})}
    manifest = make_manifest(args.name, args.version, args.description or DESCRIPTIONS[arch], input_spec, temperature, training, val)
    # Batch norm kept as modules (not folded into the convolutions at export): `adapt` can re-estimate it.
    manifest["batch_norm"] = {"kept_as_modules": True, "layers": count_batch_norm(model)}
    manifest["feature_statistics"] = statistics
    write_manifest(args.out, manifest)
    print(json.dumps({"temperature": temperature, "val": val}, indent=2))


if __name__ == "__main__":
    main()
