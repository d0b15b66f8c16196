#!/usr/bin/env python3
"""Cache a teacher's logits on the training images, for knowledge distillation (train.py --distill).

The teacher is a skinscan model folder (model.pt + manifest.json). It sees each image at its own
input size and with its own preprocessing, as skinscan would feed it (manifest `input`: colour
constancy on the resized image, scale, mean and std; export.py's model_inputs). Its logits are
computed once per image on the un-augmented image and cached: a teacher forward pass on every augmented training view
(Beyer et al., CVPR 2022, "consistent teaching") would cost more than the student's own
training step on a CPU (2.0.1's ensemble: about 7 images/s on one core).

    ${PYTHON:-/usr/bin/python3} training/teacher.py --teacher DIR [--teacher DIR ...] --out runs/teacher.pt

The cache holds the image ids, the teacher's raw logits (not divided by its calibration
temperature: distillation sets its own) and the sha256 of its model.pt. With several --teacher
folders (an ensemble, e.g. three seeds of a recipe) the cached logits are the log of the members'
mean softmax probability, each member at temperature 1 (a leave-one-source-out member's fitted
temperature has seen the held-out source's labels). The cache covers the train and val splits;
each teacher's val part is scored to check that its logits are the ones skinscan would give (its
balanced accuracy must match the teacher's manifest, where that was measured on the same split).
"""
import argparse
import hashlib
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skintrain.data import split_images  # noqa: E402
from skintrain.distill import Teacher, ensemble_logits  # noqa: E402
from skintrain.labels import LABELS  # noqa: E402
from skintrain.metrics import scores as metric_scores  # noqa: E402


def cached_logits(teacher, args):
    """One teacher's raw logits on the train and val splits (ids and rows in split order), its val
    part scored against its manifest."""
    ids, logits, scores = [], [], {}
    for split in ("train", "val"):
        paths, y = split_images(args.data, args.splits, split)
        t0, out = time.time(), []
        for batch in teacher.inputs(paths):
            out.append(teacher.logits(batch))
            if sys.stderr.isatty():
                print(f"\r{split}: {sum(map(len, out))}/{len(paths)} images, {time.time() - t0:.0f}s", end="", file=sys.stderr)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        ids += [os.path.splitext(os.path.basename(p))[0] for p in paths]
        logits.append(torch.cat(out))
        s = scores[split] = metric_scores(torch.softmax(logits[-1], 1), y)
        print(f"{teacher.name} on {split}: {len(paths)} images, accuracy {s['acc']:.4f}, balanced accuracy "
              f"{s['bal_acc']:.4f}, {len(paths) / (time.time() - t0):.1f} images/s", flush=True)
    expected = teacher.manifest.get("metrics", {}).get("val", {}).get("balanced_accuracy")
    if expected is not None:
        print(f"val balanced accuracy {scores['val']['bal_acc']:.4f} against the manifest's {expected:.4f}", flush=True)
    return ids, torch.cat(logits)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--teacher", required=True, action="append",
                    help="skinscan model folder (model.pt + manifest.json); repeat it for an ensemble")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "ham10000"))
    ap.add_argument("--splits", default=os.path.join(os.path.dirname(__file__), "..", "datasets", "splits"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    members, digests, member_logits = [], [], []
    for folder in args.teacher:
        teacher = Teacher(folder, LABELS)
        ids, logits = cached_logits(teacher, args)
        with open(os.path.join(folder, "model.pt"), "rb") as f:
            digests.append(hashlib.sha256(f.read()).hexdigest())
        members.append(teacher.name)
        member_logits.append(logits)
    cache = {"ids": ids, "logits": ensemble_logits(member_logits), "teacher": " + ".join(members), "model_sha256": ",".join(digests)}
    torch.save(cache, args.out + ".tmp")
    os.replace(args.out + ".tmp", args.out)
    print(f"wrote {args.out}: {len(ids)} images", flush=True)


if __name__ == "__main__":
    main()
