#!/usr/bin/env python3
"""Re-encode the train+val images (JPEG quality 84) into a folder small enough (under 64 MiB) to
copy to a remote GPU machine. Test images are left out on purpose.
With --blob the folder is also written as one .npz (the per-file overhead of 5,087 small files
counts against the transfer limit); --unpack BLOB restores the folder from it on the other side.
Usage: ${PYTHON:-/usr/bin/python3} training/pack_images.py [--data ../shared/datasets/ham10000] [--out .gpudata] [--blob]
       ${PYTHON:-/usr/bin/python3} training/pack_images.py --unpack .gpudata.npz [--out .gpudata]
"""
import argparse
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--data", default=os.path.join(root, "..", "shared", "datasets", "ham10000"))
ap.add_argument("--out", default=os.path.join(root, ".gpudata"))
ap.add_argument("--quality", type=int, default=84)
ap.add_argument("--blob", action="store_true", help="also write OUT.npz holding every file")
ap.add_argument("--unpack", metavar="BLOB", help="restore OUT from a --blob file and exit")
args = ap.parse_args()
images_out = os.path.join(args.out, "HAM10000_images")
os.makedirs(images_out, exist_ok=True)

if args.unpack:
    blob = np.load(args.unpack)
    data, offsets = blob["data"], blob["offsets"]
    for i, name in enumerate(blob["names"]):
        with open(os.path.join(images_out, str(name)), "wb") as f:
            f.write(data[offsets[i]:offsets[i + 1]].tobytes())
    with open(os.path.join(args.out, "HAM10000_metadata.csv"), "wb") as f:
        f.write(blob["metadata"].tobytes())
    print(f"{len(blob['names'])} images -> {args.out}")
    raise SystemExit(0)

from PIL import Image  # noqa: E402  (only the packing side needs it)

src = os.path.join(args.data, "HAM10000_images")
shutil.copy(os.path.join(args.data, "HAM10000_metadata.csv"), args.out)
ids = [ln.strip() for n in ("train", "val") for ln in open(os.path.join(root, "datasets", "splits", n + ".txt"))]
ids = [i for i in ids if os.path.exists(os.path.join(src, i + ".jpg"))]


def reencode(i):
    Image.open(os.path.join(src, i + ".jpg")).convert("RGB").save(
        os.path.join(images_out, i + ".jpg"), quality=args.quality)


list(ThreadPoolExecutor(4).map(reencode, ids))
print(f"{len(ids)} images -> {args.out}")

if args.blob:
    names = sorted(os.listdir(images_out))
    files = [open(os.path.join(images_out, n), "rb").read() for n in names]
    np.savez(args.out.rstrip("/") + ".npz", data=np.frombuffer(b"".join(files), np.uint8),
             offsets=np.cumsum([0] + [len(b) for b in files]), names=np.array(names),
             metadata=np.frombuffer(open(os.path.join(args.out, "HAM10000_metadata.csv"), "rb").read(), np.uint8))
    print(f"{len(names)} images -> {args.out.rstrip('/')}.npz")
