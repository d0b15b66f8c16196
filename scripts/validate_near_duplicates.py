#!/usr/bin/env python3
"""Validates `skinscan audit`'s near-duplicate detectors on planted copies of real HAM10000 images.

The shared HAM10000 subset holds one image per lesion, so unrelated pairs are all pairs of it: their
dHash distances (and, with --features, the cosine similarity of the default model's pooled
features) give the false positives at each threshold. Copies of 300 of its images, each altered one
way (crop 10%, resize to half, JPEG quality 30, brightness/contrast, horizontal flip, rotation by 8
degrees), give the recall per alteration: a copy is found when it pairs with its own original.

Usage: validate_near_duplicates.py SKINSCAN SHARED_DATA [--copies 300] [--features]
Prints a table of recall per alteration and false-positive pairs among the distinct lesions for
thresholds 8-40 bits, and with --features the same for cosine thresholds 0.85-0.99 and for the
combination (dHash <= 20 bits or cosine >= each threshold); the unrelated pairs above 0.95 are
listed so that they can be looked at (HAM10000 holds one lesion photographed under several ids)."""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageEnhance

ALTERATIONS = {
    "crop10": lambda im: im.crop((im.width // 20, im.height // 20, im.width - im.width // 20, im.height - im.height // 20)),
    "half_size": lambda im: im.resize((im.width // 2, im.height // 2), Image.BICUBIC),
    "jpeg30": None,  # saved with quality 30
    "bright_contrast": lambda im: ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(1.2)).enhance(0.8),
    "flip": lambda im: im.transpose(Image.FLIP_LEFT_RIGHT),
    "rotate8": lambda im: im.rotate(8, resample=Image.BICUBIC),
}
THRESHOLDS = [8, 12, 16, 20, 24, 28, 32, 36, 40]
COSINES = [0.85, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99]
HASH_DEFAULT = 20


def audit(skinscan, args, features):
    extra = ["--features", "--min-cosine", str(COSINES[0])] if features else []
    out = subprocess.run([skinscan, "audit", "--json", "--max-distance", "40"] + extra + args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if out.returncode not in (0, 2):
        sys.exit(f"audit failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def recall_table(title, thresholds, hit, per_kind, unrelated_within):
    print(title)
    print("threshold  " + "  ".join(f"{k:>15}" for k in ALTERATIONS) + "  unrelated pairs")
    for t in thresholds:
        cells = [f"{hit(kind, t) / per_kind[kind]:>15.2f}" for kind in ALTERATIONS]
        print(f"{t:>9}  " + "  ".join(cells) + f"  {unrelated_within(t):>10}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("skinscan")
    parser.add_argument("shared")
    parser.add_argument("--copies", type=int, default=300)
    parser.add_argument("--features", action="store_true")
    a = parser.parse_args()
    images = os.path.abspath(os.path.join(a.shared, "HAM10000_images"))  # symlinked from a temporary folder
    names = sorted(os.listdir(images))
    unrelated = audit(a.skinscan, [images], a.features)["duplicates"]["pairs"]
    rng = np.random.default_rng(0)
    chosen = rng.choice(names, a.copies, replace=False)
    with tempfile.TemporaryDirectory() as tmp:
        originals, copies = os.path.join(tmp, "originals"), os.path.join(tmp, "copies")
        os.makedirs(originals), os.makedirs(copies)
        for i, name in enumerate(chosen):
            stem = os.path.splitext(name)[0]
            os.symlink(os.path.join(images, name), os.path.join(originals, name))
            kind = list(ALTERATIONS)[i % len(ALTERATIONS)]
            im = Image.open(os.path.join(images, name)).convert("RGB")
            if kind == "jpeg30":
                im.save(os.path.join(copies, f"{stem}__{kind}.jpg"), quality=30)
            else:
                ALTERATIONS[kind](im).save(os.path.join(copies, f"{stem}__{kind}.png"))
        planted = audit(a.skinscan, [originals, "--against", copies], a.features)
    own = {}  # copy -> its pair with its own original (distance, cosine)
    for p in planted["leaks"]["list"]:
        orig, copy = (p["a"], p["b"]) if "__" in p["b"] else (p["b"], p["a"])
        if copy.split("__")[0] == orig:
            own[copy] = (p["distance"], p.get("cosine", 0.0))
    per_kind = collections.Counter(list(ALTERATIONS)[i % len(ALTERATIONS)] for i in range(a.copies))
    print(f"{len(names)} distinct lesions ({len(names) * (len(names) - 1) // 2} unrelated pairs); "
          f"{a.copies} planted copies")

    def hits(test):
        return lambda kind, t: sum(1 for c, v in own.items() if c.endswith("__" + kind) and test(v, t))

    recall_table("dHash bits", THRESHOLDS, hits(lambda v, t: v[0] <= t), per_kind,
                 lambda t: sum(p["distance"] <= t for p in unrelated))
    if not a.features:
        return
    recall_table("\nfeature cosine", COSINES, hits(lambda v, t: v[1] >= t), per_kind,
                 lambda t: sum(p.get("cosine", 0) >= t for p in unrelated))
    recall_table(f"\ndHash <= {HASH_DEFAULT} bits or feature cosine", COSINES,
                 hits(lambda v, t: v[0] <= HASH_DEFAULT or v[1] >= t), per_kind,
                 lambda t: sum(p["distance"] <= HASH_DEFAULT or p.get("cosine", 0) >= t for p in unrelated))
    close = sorted((p for p in unrelated if p.get("cosine", 0) >= 0.95), key=lambda p: -p["cosine"])
    print(f"\nunrelated pairs (distinct lesion_id) with cosine >= 0.95: {len(close)}")
    for p in close[:30]:
        print(f"  {p['a']} ~ {p['b']}  cosine {p['cosine']:.4f}  dHash {p['distance']} bits")


if __name__ == "__main__":
    main()
