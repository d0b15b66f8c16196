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
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skintrain.calibration import calibrate_on_val  # noqa: E402
from skintrain.model_ensemble import (EXPORTED_METHODS, build_ensemble, load_member,  # noqa: E402
                                store_weights_as_float16)
from skintrain.labels import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from skintrain.manifest import make_manifest, write_manifest  # noqa: E402


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
