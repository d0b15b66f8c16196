"""Metrics of the training scripts: one balanced accuracy (skinscan's and scikit-learn's
definition), accuracy and NLL, expected calibration error, temperature fitting."""
import math

import torch
import torch.nn.functional as F


def balanced_accuracy(pred, y):
    """Mean recall over the classes present in `y` (sklearn.metrics.balanced_accuracy_score;
    skinscan's report). A class absent from `y` is left out, not counted as recall 0."""
    recalls = [((pred == c) & (y == c)).sum().item() / (y == c).sum().item() for c in torch.unique(y).tolist()]
    return float(sum(recalls) / len(recalls))


def scores(p, y):
    """Accuracy, balanced accuracy and NLL of probabilities `p` (N x classes) against labels `y`."""
    pred = p.argmax(1)
    acc = (pred == y).float().mean().item()
    nll = F.nll_loss(torch.log(p.clamp_min(1e-12)), y).item()
    return {"n": len(y), "acc": acc, "bal_acc": balanced_accuracy(pred, y), "nll": nll}


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
