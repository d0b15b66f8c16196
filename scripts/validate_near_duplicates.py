#!/usr/bin/env python3
"""Validates `skinscan audit`'s near-duplicate detector on planted copies of real HAM10000 images.

The shared HAM10000 subset holds one image per lesion, so unrelated pairs are all pairs of it: their
dHash distances give the false positives at each threshold. Copies of 300 of its images, each
altered one way (crop 10%, resize to half, JPEG quality 30, brightness/contrast, horizontal flip,
rotation by 8 degrees), give the recall per alteration: a copy is found when it pairs with its own
original within the threshold.

Usage: validate_near_duplicates.py SKINSCAN SHARED_DATA [--copies 300]
Prints a table of recall per alteration and false-positive pairs among the distinct lesions for
thresholds 8-40 bits."""
import argparse
import collections
import json
import os
import subprocess
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


def audit(skinscan, args):
    out = subprocess.run([skinscan, "audit", "--json", "-q", "--max-distance", "40"] + args, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("skinscan")
    parser.add_argument("shared")
    parser.add_argument("--copies", type=int, default=300)
    a = parser.parse_args()
    images = os.path.join(a.shared, "HAM10000_images")
    names = sorted(os.listdir(images))
    unrelated = audit(a.skinscan, [images])
    distances = [p["distance"] for p in unrelated["duplicates"]["pairs"]]
    rng = np.random.default_rng(0)
    chosen = rng.choice(names, a.copies, replace=False)
    found = collections.defaultdict(lambda: collections.Counter())
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
        planted = audit(a.skinscan, [originals, "--against", copies])
        best = {}
        for p in planted["leaks"]["list"]:
            orig, copy = (p["a"], p["b"]) if "__" in p["b"] else (p["b"], p["a"])
            if copy.split("__")[0] == orig:
                best[copy] = min(best.get(copy, 99), p["distance"])
        per_kind = collections.Counter(list(ALTERATIONS)[i % len(ALTERATIONS)] for i in range(a.copies))
        print(f"{len(names)} distinct lesions ({len(names) * (len(names) - 1) // 2} unrelated pairs); "
              f"{a.copies} planted copies")
        print("threshold  " + "  ".join(f"{k:>15}" for k in ALTERATIONS) + "  unrelated pairs within")
        for t in THRESHOLDS:
            cells = []
            for kind in ALTERATIONS:
                hit = sum(1 for c, d in best.items() if c.endswith("__" + kind) and d <= t)
                cells.append(f"{hit / per_kind[kind]:>15.2f}")
            print(f"{t:>9}  " + "  ".join(cells) + f"  {sum(d <= t for d in distances):>10}")


if __name__ == "__main__":
    main()
