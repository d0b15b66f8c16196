#!/usr/bin/env python3
"""Checks skinscan's skin-tone measurement (libskin/input/skin_tone) against scikit-image:
1. CIELAB of every pixel of the working copy against skimage.color.rgb2lab (D65, 2 degrees), and the
   ITA (median over the skin pixels of atan2(L* - 50, b*) in degrees) recomputed from skimage's Lab
   on skinscan's own masks, to 1e-6 (the masks are skinscan's; what is checked is the colour science
   and the statistic on them);
2. synthetic skin patches of known L*, a*, b* (made with skimage.color.lab2rgb), one per Chardon
   category, with a dark lesion in the middle: the ITA within 1 degree of the patch's and the
   category right;
3. real HAM10000 images when the shared data is present (part 1 on each).
SKINSCAN_PERTURB_REFERENCE=x moves every reference number by x: the check must then fail.
Usage: check_skin_tone.py DUMP_SKIN_TONE [SHARED_DATA]"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image
from skimage import color

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from comparison import Comparison  # noqa: E402

check = Comparison(1e-6, "scikit-image")
CATEGORIES = [(55, "very_light"), (41, "light"), (28, "intermediate"), (10, "tan"), (-30, "brown")]


def category(ita):
    for edge, name in CATEGORIES:
        if ita > edge:
            return name
    return "dark"


def measure(dump, image_path, tmp):
    out = tempfile.mkdtemp(dir=tmp)
    subprocess.run([dump, image_path, out], check=True)
    r = json.load(open(os.path.join(out, "result.json")))
    working = np.asarray(Image.open(os.path.join(out, "working.png")).convert("RGB"))
    lesion = np.asarray(Image.open(os.path.join(out, "lesion.png"))) > 0
    dark = np.asarray(Image.open(os.path.join(out, "dark.png"))) > 0
    ours_lab = np.fromfile(os.path.join(out, "lab.bin"), dtype=np.float64).reshape(r["rows"], r["cols"], 3)
    return r, working, lesion, dark, ours_lab


def compare(name, r, working, lesion, dark, ours_lab):
    lab = color.rgb2lab(working)  # sRGB, D65, 2 degree observer
    diff = np.abs(ours_lab - (lab + check.perturb)).max()
    check.count += 1
    if diff > check.tolerance:
        check.fail(f"{name}: CIELAB differs from skimage by up to {diff}")
    skin = ~lesion & ~dark
    if skin.mean() >= 0.05:
        ita = float(np.median(np.degrees(np.arctan2(lab[..., 0][skin] - 50, lab[..., 2][skin]))))
        check.close(f"{name} ITA", r.get("ita"), ita)
        check.count += 1
        if r.get("category") != category(ita):
            check.fail(f"{name}: category {r.get('category')}, expected {category(ita)}")
        return ita
    check.count += 1
    if "ita" in r:
        check.fail(f"{name}: an ITA from {skin.mean():.3f} of the pixels (below 0.05)")
    return None


def main():
    dump = sys.argv[1]
    rng = np.random.default_rng(8)
    with tempfile.TemporaryDirectory() as tmp:
        # Synthetic skin of known colour: L* = 50 + b* tan(ITA), b* = 15, a* = 10; a darker lesion.
        for target in (62, 48, 34, 19, -10, -45):
            b = 15.0
            skin_l = 50 + b * math.tan(math.radians(target))
            h, w = 300, 400
            lab = np.zeros((h, w, 3))
            lab[..., 0], lab[..., 1], lab[..., 2] = skin_l, 10.0, b
            yy, xx = np.mgrid[0:h, 0:w]
            disk = (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (0.25 * h) ** 2
            lab[disk] = [max(5.0, skin_l - 25), 15.0, 20.0]
            rgb = np.clip(color.lab2rgb(lab) * 255 + rng.normal(0, 1.0, (h, w, 3)), 0, 255).round().astype(np.uint8)
            path = os.path.join(tmp, f"patch_{target}.png")
            Image.fromarray(rgb).save(path)
            r, working, lesion, dark, ours_lab = measure(dump, path, tmp)
            ita = compare(f"patch ITA {target}", r, working, lesion, dark, ours_lab)
            check.count += 1
            if ita is None or abs(r["ita"] - target) > 1.0 or r["category"] != category(target):
                check.fail(f"patch ITA {target}: measured {r.get('ita')} ({r.get('category')}), "
                           f"expected {target} ({category(target)})")
            # The lesion mask covers the disk (dilated), not the skin.
            check.count += 1
            small = np.asarray(Image.fromarray(disk.astype(np.uint8) * 255).resize(lesion.shape[::-1])) > 127
            if (lesion & small).sum() < 0.95 * small.sum() or lesion.mean() > 2.5 * small.mean():
                check.fail(f"patch ITA {target}: lesion mask {lesion.mean():.3f} of the image, disk {small.mean():.3f}")
        shared = sys.argv[2] if len(sys.argv) > 2 else ""
        images = os.path.join(shared, "HAM10000_images")
        if os.path.isdir(images):
            names = sorted(os.listdir(images))[:400:20]
            for n in names:
                compare(n, *measure(dump, os.path.join(images, n), tmp))
            print(f"{len(names)} HAM10000 images compared")
        else:
            print("SKIPPED: shared HAM10000 images not found; synthetic patches only", file=sys.stderr)
    check.finish()


if __name__ == "__main__":
    main()
