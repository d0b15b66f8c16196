#!/usr/bin/env python3
"""`skinscan adapt` against a PyTorch reference of the same re-estimation.

A small network with batch norm in a stem, in a residual block (a branch on a module flag, as
in MobileNetV2), in a plain block and after pooling (BatchNorm1d) is scripted with deliberately
wrong running statistics. skinscan adapts it on 9 unlabelled 32x32 images (the model's input
size, so no resize stands between the two sides) with batch sizes 4 and 1. The reference, on the
eager network with forward hooks: layer by layer in forward order, each layer's running mean and
unbiased variance set to those of its input over all images, the earlier layers already set. Every
buffer must agree to 1e-5, and the two batch sizes to 1e-6; the manifest must carry the
adaptation record and the original model must be unchanged. With --prior-strength 6 each layer's
statistics are mixed with the original ones as 6 source images against the 9 target images
(Schneider et al. 2020), the later layers seeing the earlier mixed ones; the reference does the
same. With --depth 2 only the first two layers in forward order are re-estimated and the other
two keep their statistics. With --weighting class-balanced (and N = 6) each image's pixels count
w_i = n sum_c p_ic / (K sum_j p_jc) times, p the unadapted network's probabilities, and the
variance divides by the summed weight of all pixels minus one. With SKINSCAN_PERTURB_REFERENCE set,
the reference is PyTorch's usual recipe instead (training-mode batch statistics, cumulative
average over batches of 3), which is not what adapt computes, and the check must fail.

Usage: check_adapt_reference.py SKINSCAN
"""
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from torch import nn

TOLERANCE = 1e-5
LABELS = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
MEAN, STD = 0.5, 0.25


class Block(nn.Module):
    def __init__(self, channels: int, residual: bool):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)
        self.use_res_connect = residual

    def forward(self, x):
        if self.use_res_connect:
            return x + torch.relu(self.bn(self.conv(x)))
        return torch.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.blocks = nn.Sequential(Block(8, True), Block(8, False))
        self.pool_bn = nn.BatchNorm1d(8)
        self.fc = nn.Linear(8, len(LABELS))

    @torch.jit.export
    def features(self, x):
        return self.blocks(self.stem(x))

    @torch.jit.export
    def head(self, f):
        return self.fc(self.pool_bn(f.mean(dim=(2, 3))))

    def forward(self, x):
        return self.head(self.features(x))


def batch_norms(net):
    return [("stem.1", net.stem[1]), ("blocks.0.bn", net.blocks[0].bn), ("blocks.1.bn", net.blocks[1].bn),
            ("pool_bn", net.pool_bn)]


def class_balanced_weights(p):
    """w_i = n sum_c p_ic / (K sum_j p_jc): each predicted class's share of the statistics equal."""
    mass = p.sum(axis=0)
    return len(p) * (p / (len(mass) * mass)).sum(axis=1)


def reference_exact(net, x, prior=0.0, depth=0, balanced=False):
    net.eval()
    layers = batch_norms(net)
    weights = None
    if balanced:  # from the unadapted network's probabilities (manifest temperature 1)
        with torch.no_grad():
            weights = torch.from_numpy(class_balanced_weights(torch.softmax(net(x).double(), 1).numpy()))
    for _, bn in layers[:depth] if depth else layers:
        seen = []
        handle = bn.register_forward_hook(lambda m, inp, out: seen.append(inp[0].detach().double()))
        with torch.no_grad():
            net(x)
        handle.remove()
        a = seen[0]
        dims = [0] + list(range(2, a.dim()))
        if weights is None:
            mean, var = a.mean(dim=dims), a.var(dim=dims, unbiased=True)
        else:  # every pixel of image i counts w_i times
            w = weights.reshape([-1] + [1] * (a.dim() - 1)).expand_as(a)
            total = w.sum(dim=dims)
            mean = (w * a).sum(dim=dims) / total
            centred = a - mean.reshape([1, -1] + [1] * (a.dim() - 2))
            var = (w * centred * centred).sum(dim=dims) / (total - 1)
        if prior > 0:
            w = prior / (prior + len(x))
            mean = w * bn.running_mean.double() + (1 - w) * mean
            var = w * bn.running_var.double() + (1 - w) * var
        bn.running_mean.copy_(mean.float())
        bn.running_var.copy_(var.float())


def reference_batch_statistics(net, x, batch=3):
    for _, bn in batch_norms(net):
        bn.reset_running_stats()
        bn.momentum = None
    net.train()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            net(x[i:i + batch])
    net.eval()


def buffers(module):
    return {k: v.detach().double().numpy() for k, v in module.named_buffers() if "running" in k}


def main():
    skinscan = sys.argv[1]
    perturb = bool(os.environ.get("SKINSCAN_PERTURB_REFERENCE"))
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        for _, bn in batch_norms(net):  # wrong on purpose: adaptation has to move them
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
    failures = []
    with tempfile.TemporaryDirectory() as work:
        model = os.path.join(work, "model")
        os.makedirs(model)
        torch.jit.script(net).save(os.path.join(model, "model.pt"))
        json.dump({"schema_version": 1, "name": "bn-fixture", "version": "1.0.0", "labels": LABELS,
                   "malignant": ["mel", "bcc", "akiec"],
                   "input": {"width": 32, "height": 32, "resize": "stretch", "color_order": "RGB", "scale": 255.0,
                             "mean": [MEAN] * 3, "std": [STD] * 3},
                   "output": {"kind": "logits", "temperature": 1.0},
                   "explain": {"features": "features", "head": "head"},
                   "metrics": {"val": {"accuracy": 0.5}}},
                  open(os.path.join(model, "manifest.json"), "w"))
        before = hashlib.sha256(open(os.path.join(model, "model.pt"), "rb").read()).hexdigest()
        images = os.path.join(work, "images", "clinic")
        os.makedirs(images)
        rng = np.random.default_rng(1)
        pixels = []
        for i in range(9):
            a = np.clip(rng.normal(150 + 8 * i, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(a).save(os.path.join(images, f"img{i}.png"))
            pixels.append(a)
        order = sorted(range(9), key=lambda i: f"img{i}.png")
        x = torch.from_numpy(((np.stack([pixels[i] for i in order]) / 255.0 - MEAN) / STD).astype(np.float32))
        x = x.permute(0, 3, 1, 2).contiguous()

        adapted = {}
        for batch in (4, 1):
            out = os.path.join(work, f"adapted{batch}")
            subprocess.run([skinscan, "adapt", "-m", model, "--images", os.path.join(work, "images"), "--out", out,
                            "--batch-size", str(batch)], check=True)
            adapted[batch] = buffers(torch.jit.load(os.path.join(out, "model.pt")))
        manifest = json.load(open(os.path.join(work, "adapted4", "manifest.json")))
        def check_option(label, option, reference_options):
            """Adapts with one more option, compares every buffer with the reference given the same
            option (on a copy of the unadapted network), and returns the new manifest's record."""
            out = os.path.join(work, label.replace(" ", "_"))
            subprocess.run([skinscan, "adapt", "-m", model, "--images", os.path.join(work, "images"), "--out", out,
                            *option], check=True)
            got = buffers(torch.jit.load(os.path.join(out, "model.pt")))
            reference_net = copy.deepcopy(net)
            (reference_batch_statistics if perturb else reference_exact)(
                reference_net, x, **({} if perturb else reference_options))
            for name, want in buffers(reference_net).items():
                diff = float(np.max(np.abs(got[name] - want) / np.maximum(1, np.abs(want))))
                print(f"{name:28s} {label}: max difference {diff:.2e}")
                if diff > TOLERANCE:
                    failures.append(f"{name} ({label}): {diff:.3g}")
            return json.load(open(os.path.join(out, "manifest.json")))["adaptation"]

        mixed_record = check_option("prior strength 6", ["--prior-strength", "6"], {"prior": 6.0})
        if mixed_record.get("prior_strength") != 6:
            failures.append(f"mixed record {mixed_record}")
        shallow_record = check_option("depth 2", ["--depth", "2"], {"depth": 2})
        if shallow_record.get("layers") != 2 or shallow_record.get("layers_in_model") != 4:
            failures.append(f"depth-2 record {shallow_record}")

        balanced_record = check_option("class-balanced, prior strength 6", ["--weighting", "class-balanced",
                                       "--prior-strength", "6"], {"balanced": True, "prior": 6.0})
        if not balanced_record.get("weighting", "").startswith("class-balanced"):
            failures.append(f"class-balanced record {balanced_record}")
        weights = class_balanced_weights(torch.softmax(net(x).double(), 1).detach().numpy())
        if np.ptp(weights) < 0.05:
            failures.append(f"the class-balanced weights are near uniform ({weights}): the case tests nothing")

        (reference_batch_statistics if perturb else reference_exact)(net, x)
        expected = buffers(net)
        for name, want in expected.items():
            got = adapted[4][name]
            diff = float(np.max(np.abs(got - want) / np.maximum(1, np.abs(want))))
            same = float(np.max(np.abs(got - adapted[1][name])))
            print(f"{name:28s} max difference {diff:.2e}, batch 4 vs 1 {same:.2e}")
            if diff > TOLERANCE:
                failures.append(f"{name}: {diff:.3g}")
            if same > 1e-6:
                failures.append(f"{name}: batch size changes the result by {same:.3g}")
        moved = max(float(np.max(np.abs(adapted[4][k] - v))) for k, v in buffers(torch.jit.load(os.path.join(model, "model.pt"))).items())
        if moved < 1e-3:
            failures.append("adaptation left the statistics where they were")
        record = manifest.get("adaptation", {})
        checks = [
            (manifest["version"] == "1.0.0+adapted", f"version {manifest['version']}"),
            (record.get("images") == 9 and record.get("layers") == 4, f"record {record}"),
            (record.get("image_ids_sha256") == hashlib.sha256("".join(f"img{i}\n" for i in range(9)).encode()).hexdigest(),
             "image ids sha256"),
            (record.get("base_metrics") == {"val": {"accuracy": 0.5}} and "metrics" not in manifest, "metrics moved"),
            (hashlib.sha256(open(os.path.join(model, "model.pt"), "rb").read()).hexdigest() == before,
             "the original model.pt changed"),
        ]
        failures += [what for ok, what in checks if not ok]
    if failures:
        print("FAILED:", "; ".join(failures))
        return 1
    print("adapted statistics match the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
