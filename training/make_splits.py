#!/usr/bin/env python3
"""Split HAM10000 by lesion_id into train/val/test id lists (stratified, fixed seed).

Every image of a lesion lands in the same split, so no lesion is on both sides.
Stratification is by (dx, whether the lesion has an image in the local copy), so
the split is balanced both for the shared 5,984-image subset and for the full
10,015-image dataset. Writes datasets/splits/{train,val,test}.txt (image ids only).

Usage: ${PYTHON:-/usr/bin/python3} training/make_splits.py [--data ../shared/datasets/ham10000]
"""
import argparse
import csv
import os
import random
from collections import defaultdict

SPLITS = (("train", 0.70), ("val", 0.15), ("test", 0.15))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "datasets", "ham10000"))
    ap.add_argument("--out", default=os.path.join(root, "datasets", "splits"))
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args()

    images_dir = os.path.join(args.data, "HAM10000_images")
    present = {f[:-4] for f in os.listdir(images_dir) if f.endswith(".jpg")} if os.path.isdir(images_dir) else set()

    lesion_images = defaultdict(list)
    lesion_dx = {}
    with open(os.path.join(args.data, "HAM10000_metadata.csv"), newline="") as f:
        for row in csv.DictReader(f):
            lesion_images[row["lesion_id"]].append(row["image_id"])
            prev = lesion_dx.setdefault(row["lesion_id"], row["dx"])
            if prev != row["dx"]:
                raise SystemExit(f"lesion {row['lesion_id']} has two diagnoses: {prev}, {row['dx']}")

    strata = defaultdict(list)
    for lesion in sorted(lesion_images):
        has_image = any(i in present for i in lesion_images[lesion])
        strata[(lesion_dx[lesion], has_image)].append(lesion)

    rng = random.Random(args.seed)
    assigned = {name: [] for name, _ in SPLITS}
    for key in sorted(strata):
        lesions = strata[key]
        rng.shuffle(lesions)
        n = len(lesions)
        n_val = round(n * SPLITS[1][1])
        n_test = round(n * SPLITS[2][1])
        assigned["test"] += lesions[:n_test]
        assigned["val"] += lesions[n_test:n_test + n_val]
        assigned["train"] += lesions[n_test + n_val:]

    os.makedirs(args.out, exist_ok=True)
    for name, _ in SPLITS:
        ids = sorted(i for lesion in assigned[name] for i in lesion_images[lesion])
        with open(os.path.join(args.out, f"{name}.txt"), "w") as f:
            f.write("".join(i + "\n" for i in ids))
        local = sum(i in present for i in ids)
        print(f"{name}: {len(assigned[name])} lesions, {len(ids)} images ({local} present locally)")


if __name__ == "__main__":
    main()
