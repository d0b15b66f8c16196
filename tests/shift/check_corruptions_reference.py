#!/usr/bin/env python3
"""Every corruption of `evaluate --shift` against a numpy/PIL restatement of its formula.

A non-square test image is written as PNG; dump_corruptions (C++) decodes it and writes each
corruption at severities 1-5, before (float) and after rounding to 8 bits. Here each formula is
computed again in float64 from the same decoded pixels, with the levels written out again below:
the float stages must agree to 1e-5 on the 0-1 intensity scale, the 8-bit results must be the
float stage rounded and clipped, and JPEG re-compression (PIL's libjpeg at the same quality) must
agree exactly. The noise stream (splitmix64 + Box-Muller, seeded from FNV-1a of the image id) is
generated here independently. With SKINSCAN_PERTURB_REFERENCE=EPS the reference is moved by EPS
(and JPEG's quality by one), and the check must fail.

Usage: check_corruptions_reference.py DUMP_CORRUPTIONS
"""
import io
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

TOLERANCE = 1e-5
LEVELS = {
    "white_balance": [0.07, 0.14, 0.21, 0.28, 0.35],
    "gamma": [1.2, 1.4, 1.6, 1.8, 2.0],
    "brightness": [0.06, 0.12, 0.18, 0.24, 0.30],
    "contrast": [0.75, 0.6, 0.45, 0.3, 0.15],
    "blur": [1, 2, 3, 4, 6],
    "defocus": [2, 3, 4, 6, 8],
    "jpeg": [25, 18, 15, 10, 7],
    "noise": [0.03, 0.06, 0.09, 0.12, 0.15],
    "vignette": [0.95, 0.85, 0.75, 0.65, 0.55],
    "zoom": [1.15, 1.3, 1.5, 1.75, 2.0],
    "rotate": [12, 24, 36, 48, 60],
}
MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix(z):
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def noise_seed(seed, image_id):
    h = 0xCBF29CE484222325
    for ch in image_id.encode():
        h = ((h ^ ch) * 0x100000001B3) & MASK
    return h ^ int(mix(np.uint64(seed)))


def standard_normals(seed, n):
    j = np.arange(n, dtype=np.uint64)
    pair = j // np.uint64(2)
    with np.errstate(over="ignore"):
        a = mix(np.uint64(seed) + (np.uint64(2) * pair + np.uint64(1)) * np.uint64(GAMMA))
        b = mix(np.uint64(seed) + (np.uint64(2) * pair + np.uint64(2)) * np.uint64(GAMMA))
    u1 = ((a >> np.uint64(11)).astype(np.float64) + 1) * 2.0 ** -53
    u2 = (b >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    radius, angle = np.sqrt(-2 * np.log(u1)), 2 * np.pi * u2
    return np.where(j % np.uint64(2) == 0, radius * np.cos(angle), radius * np.sin(angle))


def convolve_axis(f, kernel, axis):
    """Correlation with a 1-D kernel along `axis`, mirrored border without edge repeat."""
    r = len(kernel) // 2
    pad = [(0, 0)] * f.ndim
    pad[axis] = (r, r)
    p = np.pad(f, pad, mode="reflect")
    n = f.shape[axis]
    return sum(w * np.take(p, range(i, i + n), axis=axis) for i, w in enumerate(kernel))


def bilinear(f, to_source):
    h, w = f.shape[:2]
    cy, cx = h / 2, w / 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    dx, dy = to_source(xx + 0.5 - cx, yy + 0.5 - cy)
    u, v = cx + dx - 0.5, cy + dy - 0.5
    x0, y0 = np.floor(u), np.floor(v)
    ax, ay = (u - x0)[..., None], (v - y0)[..., None]

    def reflect(i, n):
        period = 2 * (n - 1)
        i = np.mod(i, period)
        return np.where(i < n, i, period - i).astype(int)

    xa, xb = reflect(x0, w), reflect(x0 + 1, w)
    ya, yb = reflect(y0, h), reflect(y0 + 1, h)
    top = f[ya, xa] * (1 - ax) + f[ya, xb] * ax
    bottom = f[yb, xa] * (1 - ax) + f[yb, xb] * ax
    return top * (1 - ay) + bottom * ay


def reference(name, level, bgr, seed):
    f = bgr.astype(np.float64)
    h, w = f.shape[:2]
    scale = min(h, w) / 224
    if name == "white_balance":
        return f * np.array([1 - level, 1, 1 + level])
    if name == "gamma":
        return 255 * (f / 255) ** level
    if name == "brightness":
        return f + 255 * level
    if name == "contrast":
        m = f.mean()
        return m + level * (f - m)
    if name == "blur":
        sigma = level * scale
        r = math.ceil(3 * sigma)
        k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * sigma * sigma))
        k /= k.sum()
        return convolve_axis(convolve_axis(f, k, 0), k, 1)
    if name == "defocus":
        r = level * scale
        R = math.ceil(r)
        yy, xx = np.mgrid[-R:R + 1, -R:R + 1]
        disk = (xx * xx + yy * yy <= r * r).astype(np.float64)
        disk /= disk.sum()
        p = np.pad(f, [(R, R), (R, R), (0, 0)], mode="reflect")
        return sum(disk[i, j] * p[i:i + h, j:j + w] for i in range(2 * R + 1) for j in range(2 * R + 1) if disk[i, j])
    if name == "jpeg":
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(bgr[..., ::-1])).save(buf, "JPEG", quality=int(level))
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))[..., ::-1].astype(np.float64)
    if name == "noise":
        return f + 255 * level * standard_normals(seed, f.size).reshape(f.shape)
    if name == "vignette":
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        radius = level * math.hypot(w, h) / 2
        d2 = ((xx + 0.5 - w / 2) ** 2 + (yy + 0.5 - h / 2) ** 2) / radius ** 2
        return f * np.where(d2 <= 1, 1 - 0.3 * d2, 0)[..., None]
    if name == "zoom":
        return bilinear(f, lambda dx, dy: (dx / level, dy / level))
    if name == "rotate":
        a = math.radians(level)
        return bilinear(f, lambda dx, dy: (math.cos(a) * dx + math.sin(a) * dy, -math.sin(a) * dx + math.cos(a) * dy))
    raise ValueError(name)


def test_image(width=203, height=157, seed=5):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width] / max(width, height)
    blob = np.exp(-((xx - 0.45) ** 2 + (yy - 0.55) ** 2) / 0.03)
    rgb = np.stack([200 - 120 * blob + 30 * np.sin(19 * xx), 160 - 110 * blob + 25 * np.cos(17 * yy),
                    140 - 90 * blob + 20 * np.sin(11 * (xx + yy))], -1)
    rgb += rng.normal(0, 12, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def main():
    dump = sys.argv[1]
    perturb = float(os.environ.get("SKINSCAN_PERTURB_REFERENCE", "0"))
    failures = []
    with tempfile.TemporaryDirectory() as work:
        png = os.path.join(work, "image.png")
        Image.fromarray(test_image()).save(png)
        h, w, seed = map(int, subprocess.run([dump, png, work, "7"], check=True, capture_output=True,
                                             text=True).stdout.split())
        if seed != noise_seed(7, "reference"):
            failures.append(f"noise seed {seed} != reference {noise_seed(7, 'reference')}")
        bgr = np.fromfile(os.path.join(work, "input.u8"), np.uint8).reshape(h, w, 3)
        for name, levels in LEVELS.items():
            for s, level in enumerate(levels, 1):
                stem = os.path.join(work, f"{name}_{s}")
                got_f = np.fromfile(stem + ".f32", np.float32).reshape(h, w, 3).astype(np.float64)
                got_u8 = np.fromfile(stem + ".u8", np.uint8).reshape(h, w, 3)
                if name == "jpeg":
                    ref = reference(name, level + (1 if perturb else 0), bgr, seed)
                    diff = np.abs(got_u8.astype(np.float64) - ref).max()
                    ok = diff == 0
                else:
                    ref = reference(name, level, bgr, seed) + 255 * perturb
                    diff = np.abs(got_f - ref).max() / 255
                    ok = diff <= TOLERANCE
                    rounded = np.clip(np.rint(got_f), 0, 255).astype(np.uint8)
                    if not np.array_equal(rounded, got_u8):
                        failures.append(f"{name} {s}: 8-bit result is not the float stage rounded and clipped")
                print(f"{name:14s} severity {s}: max difference {diff:.2e}{'' if ok else '  FAIL'}")
                if not ok:
                    failures.append(f"{name} {s}: {diff:.3g}")
    if failures:
        print("FAILED:", "; ".join(failures))
        return 1
    print(f"all {sum(map(len, LEVELS.values()))} corruptions match the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
