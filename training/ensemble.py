#!/usr/bin/env python3
"""Combine skinscan model directories into one ensemble model directory (model.pt + manifest.json).

The ensemble's output is the average of its members' calibrated probabilities (each member's
softmax at its own manifest temperature), returned as log-probabilities so that skinscan treats it
as any other logits model; a temperature for the average is then fitted on the val split.

Members keep their own input: the ensemble takes one RGB image at --size, normalised with
--input-mean/--input-std (ImageNet's by default, so that a zero, which `skinscan explain --method
occlusion` writes into its patches, is a mean colour and not black), undoes that normalisation in
the graph and derives each member's input as skinscan would have, with an 8-bit bilinear
resize to the member's size, its Shades of Gray colour constancy if its manifest declares it, and
its mean/std. skinscan resizes with linear interpolation when enlarging, so for the 224 px shared
images a 288 px member sees what it saw alone (to rounding); a larger photo reaches such a member
through the ensemble's --size.

For `skinscan explain` (Grad-CAM) the ensemble exports `member_features` (each member's own last
feature map, a list) and `member_logits` (that list -> each member's calibrated logits, members x N
x classes), declared in the manifest's explain block: skinscan explains each member on its own map
and combines the maps at the input's resolution, weighted by each member's share of the averaged
probability. It also keeps `features`/`head` (the maps stacked along channels on a common grid, each
replicated, so that `head` gives exactly `forward`) for tools that want one map.

The members' weights are stored as float16 (--storage, default float16) and cast to float32 inside
the graph: the file is half the size, and skinscan's inference optimisation folds the casts, so it
runs at float32 speed. The outputs move by the weights' rounding: for the default model's two
members, at most 0.003 in probability on the val images, with the same top-1 class for all of them;
compare a new ensemble with its --storage float32 twin before shipping it.

Usage: ${PYTHON:-/usr/bin/python3} training/ensemble.py --member DIR --member DIR --size 224 \\
           --version 2.0.1 --out models/ham10000-skinnet
"""
import argparse
import json
import math
import os
import sys
from typing import List

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from color_constancy import shades_of_gray_torch  # noqa: E402
from export import calibrate_on_val, make_manifest, write_manifest  # noqa: E402
from train import LABELS  # noqa: E402


class Member(nn.Module):
    """One member: its TorchScript model and how to turn the ensemble's input into its own."""

    def __init__(self, model, manifest, ensemble_size: int, channel_start: int, channel_end: int, replicate: int):
        super().__init__()
        spec = manifest["input"]
        if spec.get("resize", "stretch") != "stretch" or spec["width"] != spec["height"]:
            raise ValueError(f"member '{manifest['name']}': only square 'stretch' inputs can share one ensemble input")
        if spec.get("color_order", "RGB") != "RGB" or float(spec.get("scale", 255.0)) != 255.0:
            raise ValueError(f"member '{manifest['name']}': only RGB inputs scaled by 255 are supported")
        if manifest["output"].get("kind", "logits") != "logits":
            raise ValueError(f"member '{manifest['name']}': only logits outputs are supported")
        if manifest["labels"] != LABELS:
            raise ValueError(f"member '{manifest['name']}': labels {manifest['labels']} differ from {LABELS}")
        if manifest.get("explain") != {"features": "features", "head": "head"}:
            raise ValueError(f"member '{manifest['name']}': needs `features`/`head` methods declared in its manifest's "
                             "explain block (the ensemble's Grad-CAM is built from them)")
        constancy = spec.get("color_constancy", {})
        if constancy and constancy.get("method") != "shades_of_gray":
            raise ValueError(f"member '{manifest['name']}': unknown colour constancy {constancy}")
        self.model = model
        self.size = int(spec["width"])
        self.resize = self.size != ensemble_size
        self.shades_of_gray_p = float(constancy.get("p", 6)) if constancy else 0.0
        self.register_buffer("mean", torch.tensor(spec["mean"], dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(spec["std"], dtype=torch.float32).view(1, 3, 1, 1))
        self.temperature = float(manifest["output"].get("temperature", 1.0))
        self.channel_start, self.channel_end, self.replicate = channel_start, channel_end, replicate

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        v = x * 255.0
        if self.resize:  # skinscan resizes 8-bit images: round back to the 8-bit grid
            v = F.interpolate(v, size=[self.size, self.size], mode="bilinear", align_corners=False,
                              antialias=v.shape[-1] > self.size).clamp(0.0, 255.0).round()
        if self.shades_of_gray_p > 0.0:
            v = shades_of_gray_torch(v, self.shades_of_gray_p)
        return (v / 255.0 - self.mean) / self.std

    def features(self, x: torch.Tensor) -> torch.Tensor:
        f = self.model.features(self.prepare(x))
        return f.repeat_interleave(self.replicate, dim=2).repeat_interleave(self.replicate, dim=3)

    def own_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.features(self.prepare(x))

    def calibrated_logits(self, own_map: torch.Tensor) -> torch.Tensor:
        return self.model.head(own_map) / self.temperature

    def probabilities_from_features(self, f: torch.Tensor) -> torch.Tensor:
        # The replicated map has the same spatial mean as the member's own, which is all its head uses.
        return torch.softmax(self.model.head(f[:, self.channel_start:self.channel_end]) / self.temperature, dim=1)

    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(self.prepare(x)) / self.temperature, dim=1)


def log_mean(probabilities: List[torch.Tensor]) -> torch.Tensor:
    """Log of the mean; the floor keeps log finite (and Grad-CAM's gradients) if both underflow."""
    total = probabilities[0]
    for p in probabilities[1:]:
        total = total + p
    return torch.log((total / len(probabilities)).clamp_min(1e-30))


IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class ProbabilityAverage(nn.Module):
    def __init__(self, members: List[Member], input_mean: List[float], input_std: List[float]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.register_buffer("input_mean", torch.tensor(input_mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("input_std", torch.tensor(input_std, dtype=torch.float32).view(1, 3, 1, 1))

    def pixels(self, x: torch.Tensor) -> torch.Tensor:
        """The image in 0-1, as the members' `prepare` expects it."""
        return x * self.input_std + self.input_mean

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pixels(x)
        probabilities: List[torch.Tensor] = []
        for member in self.members:
            probabilities.append(member.probabilities(x))
        return log_mean(probabilities)

    @torch.jit.export
    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pixels(x)
        maps: List[torch.Tensor] = []
        for member in self.members:
            maps.append(member.features(x))
        return torch.cat(maps, dim=1)

    @torch.jit.export
    def member_features(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = self.pixels(x)
        maps: List[torch.Tensor] = []
        for member in self.members:
            maps.append(member.own_features(x))
        return maps

    @torch.jit.export
    def member_logits(self, maps: List[torch.Tensor]) -> torch.Tensor:
        logits: List[torch.Tensor] = []
        for i, member in enumerate(self.members):
            logits.append(member.calibrated_logits(maps[i]))
        return torch.stack(logits, 0)

    @torch.jit.export
    def head(self, f: torch.Tensor) -> torch.Tensor:
        probabilities: List[torch.Tensor] = []
        for member in self.members:
            probabilities.append(member.probabilities_from_features(f))
        return log_mean(probabilities)


def load_member(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    return torch.jit.load(os.path.join(directory, "model.pt")).eval(), manifest


def build_ensemble(loaded, size, input_mean=IMAGENET_MEAN, input_std=IMAGENET_STD):
    """loaded: [(TorchScript model, manifest)] -> ProbabilityAverage (eager, ready to script)."""
    shapes = []
    with torch.inference_mode():
        for model, manifest in loaded:
            side = manifest["input"]["width"]
            shapes.append(model.features(torch.zeros(1, 3, side, side)).shape)
    grid = math.lcm(*[s[2] for s in shapes])
    members, start = [], 0
    for (model, manifest), shape in zip(loaded, shapes):
        if shape[2] != shape[3]:
            raise ValueError(f"member '{manifest['name']}': feature map {tuple(shape)} is not square")
        members.append(Member(model, manifest, size, start, start + shape[1], grid // shape[2]))
        start += shape[1]
    return ProbabilityAverage(members, input_mean, input_std).eval()


EXPORTED_METHODS = ["features", "head", "member_features", "member_logits"]


def store_weights_as_float16(module, methods=("forward", *EXPORTED_METHODS), min_elements=1024):
    """Rewrite a frozen module's float32 tensor constants of at least `min_elements` (the weights;
    small ones, such as most biases and the input normalisation, stay float32) as float16 constants
    cast back to float32 in the graph. A tensor used by several methods becomes one float16 tensor,
    so the file keeps one copy."""
    # (address, shape, stride) -> (the float32 tensor, held so that its address is not reused; float16 copy)
    halves = {}
    rewritten = 0
    for method in methods:
        graph = getattr(module, method).graph
        for node in list(graph.findAllNodes("prim::Constant")):
            if not isinstance(node.output().type(), torch._C.TensorType):
                continue
            weight = node.t("value")
            if weight.dtype != torch.float32 or weight.numel() < min_elements:
                continue
            key = (weight.data_ptr(), tuple(weight.shape), tuple(weight.stride()))
            half = halves.setdefault(key, (weight, weight.half()))[1]
            with graph.insert_point_guard(node):
                cast = graph.insert("aten::to", [graph.insertConstant(half), graph.insertConstant(6),  # 6: float32
                                                 graph.insertConstant(False), graph.insertConstant(False)])
            node.output().replaceAllUsesWith(cast)
            node.destroy()
            rewritten += 1
    return len(halves), rewritten


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--member", action="append", required=True, help="a skinscan model directory (repeat)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=224, help="the ensemble's input side in pixels")
    ap.add_argument("--input-mean", type=float, nargs=3, default=IMAGENET_MEAN,
                    help="the ensemble's input normalisation (undone in the graph; zero is this colour)")
    ap.add_argument("--input-std", type=float, nargs=3, default=IMAGENET_STD)
    ap.add_argument("--storage", choices=["float16", "float32"], default="float16",
                    help="how the members' weights are stored in model.pt (computation is float32 either way)")
    ap.add_argument("--name", default="ham10000-skinnet")
    ap.add_argument("--version", required=True)
    ap.add_argument("--description", default=None)
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "datasets", "ham10000"))
    ap.add_argument("--splits", default=os.path.join(root, "datasets", "splits"))
    ap.add_argument("--limit", type=int, default=0, help="fit the temperature on the first N val images (smoke test)")
    args = ap.parse_args()
    if len(args.member) < 2:
        ap.error("an ensemble needs at least two --member directories")

    loaded = [load_member(d) for d in args.member]
    ensemble = build_ensemble(loaded, args.size, args.input_mean, args.input_std)
    scripted = torch.jit.freeze(torch.jit.script(ensemble), preserved_attrs=EXPORTED_METHODS)
    if args.storage == "float16":
        tensors, uses = store_weights_as_float16(scripted)
        print(f"ensemble.py: {tensors} weight tensors stored as float16 ({uses} uses)", file=sys.stderr)
    # Grad-CAM relies on head(features(x)) == forward(x), which holds only for members whose head
    # averages the feature map before anything else: check it rather than assume it.
    with torch.inference_mode():
        probe = torch.rand(2, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))
        gap = (scripted.head(scripted.features(probe)) - scripted(probe)).abs().max().item()
        per_member = torch.softmax(scripted.member_logits(scripted.member_features(probe)), dim=2)
        member_gap = (torch.log(per_member.mean(0)) - scripted(probe)).abs().max().item()
    if gap > 1e-4:
        sys.exit(f"ensemble.py: head(features(x)) differs from forward(x) by {gap:.2e}: a member's head does more "
                 "than average its feature map, so the stacked features cannot serve Grad-CAM")
    if member_gap > 1e-4:
        sys.exit(f"ensemble.py: the members' logits average to {member_gap:.2e} away from forward(x)")
    temperature, val = calibrate_on_val(scripted, args.data, args.splits, args.size, args.input_mean,
                                        args.input_std, "none", args.limit)

    members = [{"name": m["name"], "version": m["version"], "description": m["description"],
                "input": m["input"], "temperature": m["output"].get("temperature", 1.0),
                "training": m.get("provenance", {}).get("training", {}), "val": m.get("metrics", {}).get("val", {})}
               for _, m in loaded]
    description = args.description or ("Ensemble averaging the calibrated probabilities of: "
                                       + "; ".join(f"{m['description']} ({m['input']['width']} px)" for m in members))
    input_spec = {"width": args.size, "height": args.size, "resize": "stretch", "color_order": "RGB",
                  "scale": 255.0, "mean": list(args.input_mean), "std": list(args.input_std)}
    manifest = make_manifest(args.name, args.version, description, input_spec, temperature,
                             {"ensemble": "average of the members' calibrated probabilities", "members": members,
                              "weights_stored_as": args.storage}, val)
    manifest["explain"].update({"member_features": "member_features", "member_logits": "member_logits"})
    manifest["provenance"]["trained_on"] = ("members: train split; each member's temperature and the ensemble's "
                                            "fitted on val split")
    os.makedirs(args.out, exist_ok=True)
    scripted.save(os.path.join(args.out, "model.pt"))
    write_manifest(args.out, manifest)
    print(json.dumps({"temperature": temperature, "val": val}, indent=2))


if __name__ == "__main__":
    main()
