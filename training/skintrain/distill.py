"""Knowledge distillation: a skinscan model directory as a teacher (its inputs preprocessed as
skinscan would), the T^2-scaled KL loss of Hinton et al., and the cache of its logits."""
import json
import os

import torch
import torch.nn.functional as F

from .data import model_inputs


class Teacher:
    def __init__(self, folder, labels):
        with open(os.path.join(folder, "manifest.json")) as f:
            self.manifest = json.load(f)
        if self.manifest["labels"] != list(labels):
            raise SystemExit(f"--teacher {folder}: labels {self.manifest['labels']} differ from {list(labels)}")
        spec = self.manifest["input"]
        if spec.get("resize", "stretch") != "stretch" or spec["width"] != spec["height"]:
            raise SystemExit(f"--teacher {folder}: only square, stretched inputs are supported")
        if spec.get("color_order", "RGB") != "RGB":
            raise SystemExit(f"--teacher {folder}: only RGB inputs are supported")
        self.size = spec["width"]
        self.scale = float(spec.get("scale", 255.0))
        self.mean, self.std = spec["mean"], spec["std"]
        cc = spec.get("color_constancy") or {}
        if cc and (cc.get("method") != "shades_of_gray" or cc.get("p", 6) != 6):
            raise SystemExit(f"--teacher {folder}: colour constancy {cc} is not supported")
        self.color_constancy = "shades_of_gray" if cc else "none"
        if self.manifest.get("output", {}).get("kind", "logits") != "logits":
            raise SystemExit(f"--teacher {folder}: output kind must be logits")
        model = torch.jit.load(os.path.join(folder, "model.pt"), map_location="cpu").eval()
        self.model = torch.jit.optimize_for_inference(torch.jit.freeze(model))
        self.name = f"{self.manifest['name']} {self.manifest['version']}"

    def inputs(self, paths):
        """Batches of the images preprocessed as skinscan would for this teacher's manifest."""
        return model_inputs(paths, self.size, self.mean, self.std, self.color_constancy, self.scale)

    @torch.no_grad()
    def logits(self, batch):
        """Raw logits for a batch from inputs()."""
        return self.model(batch).float()


def distillation_loss(student_logits, teacher_logits, temperature):
    """Hinton et al. (2015): KL(teacher || student) between the distributions softened by the
    temperature, times temperature^2 so that its gradients keep their scale as T changes."""
    t = temperature
    target = F.softmax(teacher_logits / t, dim=1)
    return F.kl_div(F.log_softmax(student_logits / t, dim=1), target, reduction="batchmean") * t * t


def ensemble_logits(member_logits):
    """Several teachers' raw logits (same images, same order) as one teacher: the log of the
    members' mean softmax probability, each member at temperature 1."""
    if len(member_logits) == 1:
        return member_logits[0]
    return torch.log(torch.stack([F.softmax(m.double(), dim=1) for m in member_logits]).mean(0)).float()


def load_cache(path, ids):
    """Teacher logits for `ids` (rows in that order) from a cache written by main()."""
    cache = torch.load(path)
    row = {i: n for n, i in enumerate(cache["ids"])}
    missing = [i for i in ids if i not in row]
    if missing:
        raise SystemExit(f"--distill {path}: no teacher logits for {len(missing)} images, e.g. {missing[0]}")
    return cache["logits"][torch.tensor([row[i] for i in ids])], cache
