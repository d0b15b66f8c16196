#!/usr/bin/env python3
"""Re-encode the train+val images (JPEG quality 84) into a folder small enough to travel to a
lent GPU machine (the device tool carries at most 64 MiB). Test images are left out on purpose.
Usage: /usr/bin/python3 scripts/pack_images.py [--data ../shared/datasets/ham10000] [--out .gpudata]
"""
import argparse
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--data", default=os.path.join(root, "..", "shared", "datasets", "ham10000"))
ap.add_argument("--out", default=os.path.join(root, ".gpudata"))
ap.add_argument("--quality", type=int, default=84)
args = ap.parse_args()
src = os.path.join(args.data, "HAM10000_images")
os.makedirs(os.path.join(args.out, "HAM10000_images"), exist_ok=True)
shutil.copy(os.path.join(args.data, "HAM10000_metadata.csv"), args.out)
ids = [ln.strip() for n in ("train", "val") for ln in open(os.path.join(root, "datasets", "splits", n + ".txt"))]
ids = [i for i in ids if os.path.exists(os.path.join(src, i + ".jpg"))]


def reencode(i):
    Image.open(os.path.join(src, i + ".jpg")).convert("RGB").save(
        os.path.join(args.out, "HAM10000_images", i + ".jpg"), quality=args.quality)


list(ThreadPoolExecutor(4).map(reencode, ids))
print(f"{len(ids)} images -> {args.out}")
