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
import csv
import datetime
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from color_constancy import shades_of_gray_numpy  # noqa: E402
from train import LABELS, NORMALISATION, build_model  # noqa: E402

NAMES = {
    "akiec": "Actinic keratosis / intraepithelial carcinoma (Bowen's disease)",
    "bcc": "Basal cell carcinoma",
    "bkl": "Benign keratosis-like lesion",
    "df": "Dermatofibroma",
    "mel": "Melanoma",
    "nv": "Melanocytic nevus",
    "vasc": "Vascular lesion",
}
MALIGNANT = ["akiec", "bcc", "mel"]
DESCRIPTIONS = {
    "skinnet": "SkinNet (compact ResNet, 6.3M parameters) trained from scratch on HAM10000 dermoscopy images",
    "mobilenet_v2": "MobileNetV2 (3.5M parameters) warm-started from ImageNet weights, fine-tuned on HAM10000 "
                    "dermoscopy images with Shades of Gray colour constancy",
}
CITATION = ("Tschandl P., Rosendahl C., Kittler H. The HAM10000 dataset, a large collection of multi-source "
            "dermatoscopic images of common pigmented skin lesions. Scientific Data 5, 180161 (2018). "
            "doi:10.1038/sdata.2018.161")


def fit_temperature(logits, y):
    """1-D golden-section search of log T minimising NLL: robust, no step size to tune."""
    def nll(log_t):
        return F.cross_entropy(logits / math.exp(log_t), y).item()
    lo, hi = math.log(0.05), math.log(20.0)
    phi = (math.sqrt(5) - 1) / 2
    a, b = hi - phi * (hi - lo), lo + phi * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - phi * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + phi * (hi - lo)
            fb = nll(b)
    return math.exp((lo + hi) / 2)


def ece(probs, y, bins=15):
    conf, pred = probs.max(1)
    correct = (pred == y).float()
    total = 0.0
    edges = torch.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.float().sum().item() / len(y) * abs(conf[m].mean().item() - correct[m].mean().item())
    return total


def split_images(data, splits, name="val", limit=0):
    """A split's image paths and label indices (images missing from DATA are skipped)."""
    with open(os.path.join(data, "HAM10000_metadata.csv"), newline="") as f:
        dx = {r["image_id"]: r["dx"] for r in csv.DictReader(f)}
    images = os.path.join(data, "HAM10000_images")
    ids = [i.strip() for i in open(os.path.join(splits, name + ".txt")) if i.strip()]
    ids = [i for i in ids if os.path.exists(os.path.join(images, i + ".jpg"))]
    if limit:
        ids = ids[:limit]
    return [os.path.join(images, i + ".jpg") for i in ids], torch.tensor([LABELS.index(dx[i]) for i in ids])


def model_inputs(paths, size, mean, std, color_constancy="none", scale=255.0):
    """Batches of 64 images preprocessed as skinscan does for a manifest with this input (the
    shared images are 224x224, so at 224 there is no resize)."""
    mean_t, std_t = torch.tensor(mean).view(3, 1, 1), torch.tensor(std).view(3, 1, 1)
    for s in range(0, len(paths), 64):
        batch = []
        for path in paths[s:s + 64]:
            im = Image.open(path).convert("RGB")
            if im.size != (size, size):
                im = im.resize((size, size), Image.BILINEAR)
            pixels = np.asarray(im, dtype=np.float64)
            if color_constancy == "shades_of_gray":  # as skinscan: on the resized image, 0-255
                pixels = shades_of_gray_numpy(pixels, p=6)
            x = torch.from_numpy((pixels / scale).astype(np.float32)).permute(2, 0, 1)
            batch.append((x - mean_t) / std_t)
        yield torch.stack(batch)


def calibrate_on_val(scripted, data, splits, size, mean, std, color_constancy="none", limit=0):
    """Fit the model's temperature on the val split and measure it there. Returns (temperature,
    val metrics)."""
    paths, y = split_images(data, splits, "val", limit)
    with torch.inference_mode():
        logits = torch.cat([scripted(x) for x in model_inputs(paths, size, mean, std, color_constancy)])
    temperature = fit_temperature(logits, y)
    p1, pt = torch.softmax(logits, 1), torch.softmax(logits / temperature, 1)
    pred = p1.argmax(1)
    recalls = [((pred == c) & (y == c)).sum().item() / max(1, (y == c).sum().item()) for c in range(len(LABELS))]
    val = {"split": "val", "n": len(paths), "accuracy": (pred == y).float().mean().item(),
           "balanced_accuracy": float(np.mean(recalls)),
           "nll": F.cross_entropy(logits, y).item(), "nll_calibrated": F.cross_entropy(logits / temperature, y).item(),
           "ece": ece(p1, y), "ece_calibrated": ece(pt, y)}
    return temperature, val


def feature_statistics(scripted, data, splits, size, mean, std, color_constancy="none", limit=0):
    """Mean and standard deviation, per channel, of the train split's `features` averaged over
    positions (float64 sums): what a dataset-shift score compares a new folder's features with."""
    paths, _ = split_images(data, splits, "train", limit)
    total, total_sq, n = None, None, 0
    with torch.inference_mode():
        for x in model_inputs(paths, size, mean, std, color_constancy):
            pooled = scripted.features(x).mean(dim=(2, 3)).double()
            total = pooled.sum(0) if total is None else total + pooled.sum(0)
            total_sq = (pooled ** 2).sum(0) if total_sq is None else total_sq + (pooled ** 2).sum(0)
            n += len(pooled)
    mu = total / n
    sd = (total_sq / n - mu ** 2).clamp_min(0).sqrt()
    return {"method": "features", "pooling": "mean over positions", "split": "train", "n": n,
            "mean": [float(f"{v:.6g}") for v in mu.tolist()], "std": [float(f"{v:.6g}") for v in sd.tolist()]}


def count_batch_norm(model):
    return sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


def make_manifest(name, version, description, input_spec, temperature, training, val):
    """A schema-1 manifest for a HAM10000 model trained on the project's train split."""
    return {
        "schema_version": 1,
        "name": name,
        "version": version,
        "description": description,
        "labels": LABELS,
        "label_names": NAMES,
        "malignant": MALIGNANT,
        "input": input_spec,
        "output": {"kind": "logits", "temperature": round(temperature, 6)},
        "explain": {"features": "features", "head": "head"},
        "provenance": {
            "training_data": "HAM10000 (shared 5,984-image subset, one image per lesion, 224x224), CC BY-NC 4.0",
            "citation": CITATION,
            "split": "datasets/splits/{train,val,test}.txt: by lesion_id, stratified, seed 20261126 (training/make_splits.py)",
            "trained_on": "train split; temperature fitted on val split",
            "exported": datetime.date.today().isoformat(),
            "training": training,
        },
        "metrics": {"val": val},
    }


def write_manifest(out, manifest):
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


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
