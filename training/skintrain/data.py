"""Data: the committed split lists, images decoded into memory, and model inputs preprocessed
as skinscan preprocesses them."""
import csv
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from PIL import Image

from .color_constancy import shades_of_gray_numpy
from .labels import LABELS

STORE = 224  # images are held in memory at this size (the shared copy is 224x224 already)


def split_ids(splits, name, images_dir):
    """The ids of split `name` (splits/NAME.txt) whose image exists in images_dir."""
    with open(os.path.join(splits, f"{name}.txt")) as f:
        ids = [line.strip() for line in f if line.strip()]
    return [i for i in ids if os.path.exists(os.path.join(images_dir, i + ".jpg"))]


def labels_by_id(data):
    """image_id -> dx from DATA/HAM10000_metadata.csv."""
    with open(os.path.join(data, "HAM10000_metadata.csv"), newline="") as f:
        return {r["image_id"]: r["dx"] for r in csv.DictReader(f)}


def split_images(data, splits, name="val", limit=0):
    """A split's image paths and label indices (images missing from DATA are skipped)."""
    dx = labels_by_id(data)
    images = os.path.join(data, "HAM10000_images")
    ids = split_ids(splits, name, images)
    if limit:
        ids = ids[:limit]
    return [os.path.join(images, i + ".jpg") for i in ids], torch.tensor([LABELS.index(dx[i]) for i in ids])


def load_images(ids, labels, images_dir, limit, rng):
    """(ids, uint8 NCHW tensor at STORE x STORE, label tensor); with `limit`, a random `limit` of
    the ids (drawn from `rng`), sorted."""
    if limit:
        ids = sorted(rng.choice(ids, size=min(limit, len(ids)), replace=False).tolist())

    def decode(image_id):
        with Image.open(os.path.join(images_dir, image_id + ".jpg")) as im:
            im = im.convert("RGB")
            if im.size != (STORE, STORE):
                im = im.resize((STORE, STORE), Image.BILINEAR)
            return np.asarray(im, dtype=np.uint8)

    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 2)) as pool:
        arrays = list(pool.map(decode, ids))
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor([LABELS.index(labels[i]) for i in ids])
    return ids, x, y


def model_inputs(paths, size, mean, std, color_constancy="none", scale=255.0):
    """Batches of 64 images preprocessed as skinscan does for a manifest with this input (the
    shared images are 224x224, so at 224 there is no resize)."""
    mean_t, std_t = torch.tensor(mean).view(3, 1, 1), torch.tensor(std).view(3, 1, 1)
    for s in range(0, len(paths), 64):
        batch = []
        for path in paths[s:s + 64]:
            im = Image.open(path).convert("RGB")
            if im.size != (size, size):
                im = im.resize((size, size), Image.BILINEAR)
            pixels = np.asarray(im, dtype=np.float64)
            if color_constancy == "shades_of_gray":  # as skinscan: on the resized image, 0-255
                pixels = shades_of_gray_numpy(pixels, p=6)
            x = torch.from_numpy((pixels / scale).astype(np.float32)).permute(2, 0, 1)
            batch.append((x - mean_t) / std_t)
        yield torch.stack(batch)
