#!/usr/bin/env python3
"""Cache a teacher's logits on the training images, for knowledge distillation (train.py --distill).

The teacher is a skinscan model folder (model.pt + manifest.json). It sees each image at its own
input size and with its own preprocessing, as skinscan would feed it (manifest `input`: colour
constancy on the resized image, scale, mean and std; export.py's model_inputs). Its logits are
computed once per image on the un-augmented image and cached: a teacher forward pass on every augmented training view
(Beyer et al., CVPR 2022, "consistent teaching") would cost more than the student's own
training step on a CPU (2.0.1's ensemble: about 7 images/s on one core).

    ${PYTHON:-/usr/bin/python3} training/teacher.py --teacher DIR --out runs/teacher.pt

The cache holds the image ids, the teacher's raw logits (not divided by its calibration
temperature: distillation sets its own) and the sha256 of its model.pt; it covers
the train and val splits, and the val part is scored to check that the logits are the ones
skinscan would give (its balanced accuracy must match the teacher's manifest).
"""
import argparse
import hashlib
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


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
        import export  # here, not at the top: export imports train, which imports this module
        return export.model_inputs(paths, self.size, self.mean, self.std, self.color_constancy, self.scale)

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


def load_cache(path, ids):
    """Teacher logits for `ids` (rows in that order) from a cache written by main()."""
    cache = torch.load(path)
    row = {i: n for n, i in enumerate(cache["ids"])}
    missing = [i for i in ids if i not in row]
    if missing:
        raise SystemExit(f"--distill {path}: no teacher logits for {len(missing)} images, e.g. {missing[0]}")
    return cache["logits"][torch.tensor([row[i] for i in ids])], cache


def main():
    import export  # the project's split reading and preprocessing, as export.py calibrates with
    import train

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--teacher", required=True, help="skinscan model folder (model.pt + manifest.json)")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "ham10000"))
    ap.add_argument("--splits", default=os.path.join(os.path.dirname(__file__), "..", "datasets", "splits"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    teacher = Teacher(args.teacher, train.LABELS)
    ids, logits, scores = [], [], {}
    for split in ("train", "val"):
        paths, y = export.split_images(args.data, args.splits, split)
        t0, out = time.time(), []
        for batch in teacher.inputs(paths):
            out.append(teacher.logits(batch))
            if sys.stderr.isatty():
                print(f"\r{split}: {sum(map(len, out))}/{len(paths)} images, {time.time() - t0:.0f}s", end="", file=sys.stderr)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        ids += [os.path.splitext(os.path.basename(p))[0] for p in paths]
        logits.append(torch.cat(out))
        s = scores[split] = train.scores(torch.softmax(logits[-1], 1), y)
        print(f"{teacher.name} on {split}: {len(paths)} images, accuracy {s['acc']:.4f}, balanced accuracy "
              f"{s['bal_acc']:.4f}, {len(paths) / (time.time() - t0):.1f} images/s", flush=True)
    expected = teacher.manifest.get("metrics", {}).get("val", {}).get("balanced_accuracy")
    if expected is not None:
        print(f"val balanced accuracy {scores['val']['bal_acc']:.4f} against the manifest's {expected:.4f}", flush=True)
    with open(os.path.join(args.teacher, "model.pt"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    cache = {"ids": ids, "logits": torch.cat(logits), "teacher": teacher.name, "model_sha256": digest}
    torch.save(cache, args.out + ".tmp")
    os.replace(args.out + ".tmp", args.out)
    print(f"wrote {args.out}: {len(ids)} images", flush=True)


if __name__ == "__main__":
    main()
