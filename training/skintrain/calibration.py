"""A trained model measured on the committed splits: its temperature fitted on val, and the train
split's pooled-feature statistics (the reference of skinscan's dataset-shift score)."""
import torch
import torch.nn.functional as F

from .data import model_inputs, split_images
from .metrics import balanced_accuracy, ece, fit_temperature


def calibrate_on_val(scripted, data, splits, size, mean, std, color_constancy="none", limit=0):
    """Fit the model's temperature on the val split and measure it there. Returns (temperature,
    val metrics)."""
    paths, y = split_images(data, splits, "val", limit)
    with torch.inference_mode():
        logits = torch.cat([scripted(x) for x in model_inputs(paths, size, mean, std, color_constancy)])
    temperature = fit_temperature(logits, y)
    p1, pt = torch.softmax(logits, 1), torch.softmax(logits / temperature, 1)
    pred = p1.argmax(1)
    val = {"split": "val", "n": len(paths), "accuracy": (pred == y).float().mean().item(),
           "balanced_accuracy": balanced_accuracy(pred, y),
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
