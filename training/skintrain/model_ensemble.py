"""Several skinscan models as one TorchScript module: members' calibrated probabilities averaged,
Grad-CAM's features/head pair kept, weights stored as float16."""
import json
import math
import os
from typing import List

import torch
import torch.nn.functional as F
from torch import nn

from .color_constancy import shades_of_gray_torch
from .labels import IMAGENET_MEAN, IMAGENET_STD, LABELS


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
