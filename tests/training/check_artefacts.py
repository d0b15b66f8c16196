#!/usr/bin/env python3
"""Unit checks of training/skintrain/artefacts.py (train.py --artefacts): off is the identity and draws no
random numbers; strokes cover the area geometry says (width x length); the black frame covers
the area outside its circle, with the radius replayed from the same random draws; artefacts
only darken; each artefact appears on about the asked share of images; a seed gives the same
images."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
from skintrain import artefacts  # noqa: E402
from skintrain import augment  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL: {what}")


white = torch.ones(4, 3, 96, 80)
gen = torch.Generator().manual_seed(1)
before = gen.get_state()
check(artefacts.add_artefacts(white, 0.0, gen) is white, "probability 0 must return the batch unchanged")
check(torch.equal(gen.get_state(), before), "probability 0 must draw no random numbers")
x8 = (torch.rand(4, 3, 96, 96, generator=torch.Generator().manual_seed(2)) * 255).to(torch.uint8)
plain = augment.augment(x8, 64, True, torch.Generator().manual_seed(3), shift=True)
off = augment.augment(x8, 64, True, torch.Generator().manual_seed(3), shift=True, artefacts=0.0)
check(torch.equal(plain, off), "augment with artefacts off must equal the recipe without them")

# A straight stroke covers width x length pixels (no caps at the ends).
for width, (x0, x1, y) in ((3.0, (10.0, 70.0, 40.25)), (1.5, (5.0, 55.0, 20.5))):
    cover = artefacts.stroke_coverage(64, 80, [[(x0, y), (x1, y)]], [width], [1.0])
    area = float(cover.sum())
    check(abs(area - width * (x1 - x0)) < 0.05 * width * (x1 - x0),
          f"stroke of width {width}: covers {area:.1f} pixels, geometry says {width * (x1 - x0):.1f}")
    check(float(cover.max()) == 1.0 and float(cover.min()) == 0.0, "a stroke covers 1 inside and 0 outside")

# The frame: black outside a circle whose radius is replayed from the same draws.
for seed in range(5):
    out = artefacts.draw_frame(torch.ones(3, 120, 120), torch.Generator().manual_seed(seed))
    replay = torch.Generator().manual_seed(seed)
    centre = 60 + (torch.rand(2, generator=replay).numpy() - 0.5) * 12
    radius = (float(torch.rand(1, generator=replay)) * 0.2 + 0.42) * 120
    black = float(torch.rand(1, generator=replay)) * 0.04
    covered = float(((1 - out[0]) / (1 - black)).sum())
    # Area of the image outside the circle, counted on an 8 x 8 grid of samples per pixel.
    samples = (np.arange(120 * 8) + 0.5) / 8
    sx, sy = np.meshgrid(samples, samples)
    expected = float((np.hypot(sx - centre[0], sy - centre[1]) > radius).sum()) / 64
    check(abs(covered - expected) < 0.01 * 120 * 120, f"frame seed {seed}: covers {covered:.0f}, expected {expected:.0f}")
    check(all(float(out[:, yy, xx].max()) <= 0.04 + 1e-6 for yy, xx in ((0, 0), (0, 119), (119, 0), (119, 119))),
          f"frame seed {seed}: a corner is not black")

# Everything only darkens, hairs are dark, and the share of images with each artefact is the asked one.
image = torch.rand(300, 3, 48, 48, generator=torch.Generator().manual_seed(4)) * 0.5 + 0.5
out = artefacts.add_artefacts(image, 0.5, torch.Generator().manual_seed(5))
check(bool((out <= image + 1e-6).all()), "an artefact brightened a pixel")
on = torch.rand(300, 3, generator=torch.Generator().manual_seed(5)) < 0.5
changed = (out != image).flatten(1).any(1)
check(torch.equal(changed, on.any(1)), "images changed are not those the draws put artefacts on")
framed = out[:, :, 0, 0].amax(1) <= 0.04 + 1e-6
check(torch.equal(framed, on[:, 2]), "black corners do not match the frame draws")
check(100 < int(on[:, 2].sum()) < 200, "share of framed images far from 0.5")
hairs_only = on[:, 0] & ~on[:, 1] & ~on[:, 2]
check(bool(hairs_only.any()) and float(out[hairs_only].amin()) < 0.3, "hairs are not dark")
again = artefacts.add_artefacts(image, 0.5, torch.Generator().manual_seed(5))
check(torch.equal(out, again), "the same seed gave different artefacts")
check(not torch.equal(out, artefacts.add_artefacts(image, 0.5, torch.Generator().manual_seed(6))),
      "another seed gave the same artefacts")
print("artefacts: off is the identity; stroke and frame areas match geometry; shares, darkening and seeds hold")
