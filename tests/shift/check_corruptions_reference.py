#!/usr/bin/env python3
"""Every corruption of `evaluate --shift` against a numpy/PIL restatement of its formula.

A non-square test image is written as PNG; dump_corruptions (C++) decodes it and writes each
corruption at severities 1-5, before (float) and after rounding to 8 bits. Here each formula is
computed again in float64 from the same decoded pixels, with the levels written out again below:
the float stages must agree to 1e-5 on the 0-1 intensity scale, the 8-bit results must be the
float stage rounded and clipped, and JPEG re-compression (PIL's libjpeg at the same quality) must
agree exactly. The noise stream (splitmix64 + Box-Muller, seeded from FNV-1a of the image id) is
generated here independently. The artefacts (ink, hair, ruler, bubbles, patch) are redrawn here from
their closed-form shapes (soft-edged capsules and boxes painted in order), with the lesion centre
and radius that dump_corruptions reports (the lesion mask itself is checked by the skin-tone
reference); ink must also leave the disk of half its ring radius around the lesion centre untouched. With SKINSCAN_PERTURB_REFERENCE=EPS the reference is moved by EPS
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
    "ink": [1, 2, 4, 6, 9],
    "hair": [2, 4, 8, 14, 22],
    "ruler": [0.3, 0.45, 0.6, 0.8, 1.0],
    "bubbles": [1, 2, 4, 7, 11],
    "patch": [0.10, 0.14, 0.18, 0.22, 0.26],
}
INK, HAIR, WHITE = (140, 40, 100), (30, 35, 50), (255, 255, 255)
RULER_BODY, RULER_TICK = (225, 230, 235), (25, 25, 25)
PATCH = [(40, 40, 200), (60, 170, 60), (190, 90, 40), (40, 210, 230)]
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


def uniforms(seed, n):
    k = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = mix(np.uint64(seed) + (k + np.uint64(1)) * np.uint64(GAMMA))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def mark(seed, i):
    return uniforms(seed, 8 * i + 8)[8 * i:]


class Canvas:
    """Float64 BGR image with pixel-centre coordinates; primitives are painted in order."""

    def __init__(self, f):
        self.f = f.copy()
        h, w = f.shape[:2]
        self.y, self.x = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5

    def paint(self, cover, colour, opacity):
        a = (opacity * cover)[..., None]
        self.f = self.f + a * (np.array(colour, np.float64) - self.f)

    @staticmethod
    def cover(half_width, distance):
        return np.clip(half_width + 0.5 - distance, 0, 1)

    def segment_distance(self, a, b):
        vx, vy = b[0] - a[0], b[1] - a[1]
        wx, wy = self.x - a[0], self.y - a[1]
        l2 = vx * vx + vy * vy
        t = np.clip((wx * vx + wy * vy) / l2, 0, 1) if l2 > 0 else 0.0
        return np.hypot(wx - t * vx, wy - t * vy)

    def polyline(self, points, half_width, colour, opacity):
        d = np.min([self.segment_distance(points[max(i - 1, 0)], points[i]) for i in range(len(points))], axis=0)
        self.paint(self.cover(half_width, d), colour, opacity)

    def box(self, x0, y0, x1, y1, colour, opacity):
        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        self.paint(self.cover(hx, np.abs(self.x - cx)) * self.cover(hy, np.abs(self.y - cy)), colour, opacity)


def artefact(name, level, f, seed, lesion):
    h, w = f.shape[:2]
    s, side = min(h, w) / 224, min(h, w)
    c = Canvas(f)
    if name == "ink":
        cx, cy, radius = lesion
        radius = min(radius, 0.3 * side)
        for i in range(int(level)):
            u = mark(seed, i)
            theta, r = 2 * math.pi * u[0], radius * (1.15 + 0.35 * u[1])
            px, py = cx + r * math.cos(theta), cy + r * math.sin(theta)
            dot = u[4] < 0.3
            hl = 0.0 if dot else (4 + 6 * u[3]) * s
            hw = (2 + 1.5 * u[3]) * s if dot else 1.5 * s
            a = theta + math.pi / 2 + (u[2] - 0.5) * 0.6
            c.polyline([(px - hl * math.cos(a), py - hl * math.sin(a)), (px + hl * math.cos(a), py + hl * math.sin(a))],
                       hw, INK, 0.8)
    elif name == "hair":
        for i in range(int(level)):
            u = mark(seed, i)
            p0 = np.array([w * u[0], h * u[1]])
            phi, length = 2 * math.pi * u[2], (0.35 + 0.45 * u[3]) * side
            bend = (u[4] - 0.5) * 0.5 * length
            p2 = p0 + length * np.array([math.cos(phi), math.sin(phi)])
            p1 = (p0 + p2) / 2 + bend * np.array([-math.sin(phi), math.cos(phi)])
            t = np.arange(25)[:, None] / 24
            points = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2
            c.polyline(points, (0.5 + 0.5 * u[5]) * s, HAIR, 0.9)
    elif name == "ruler":
        u = mark(seed, 0)
        edge = min(3, int(4 * u[0]))
        e = w if edge < 2 else h
        thickness, inset, length = 12 * s, 3 * s, level * e
        t0 = (e - length) * u[1]

        def box(ta, tb, qa, qb, colour, opacity):
            x0, y0, x1, y1 = [(ta, h - qb, tb, h - qa), (ta, qa, tb, qb), (qa, ta, qb, tb), (w - qb, ta, w - qa, tb)][edge]
            c.box(x0, y0, x1, y1, colour, opacity)

        box(t0, t0 + length, inset, inset + thickness, RULER_BODY, 0.85)
        k = 0
        while t0 + 2 * s + 4 * s * k <= t0 + length - 2 * s:
            t = t0 + 2 * s + 4 * s * k
            box(t - 0.5 * s, t + 0.5 * s, inset, inset + (0.75 if k % 5 == 0 else 0.4) * thickness, RULER_TICK, 1.0)
            k += 1
    elif name == "bubbles":
        for i in range(int(level)):
            u = mark(seed, i)
            cx, cy, rho = w * u[0], h * u[1], (5 + 12 * u[2]) * s
            d = np.hypot(c.x - cx, c.y - cy)
            c.paint(c.cover(rho, d), WHITE, 0.12)
            c.paint(c.cover(0.8 * s, np.abs(d - rho)), WHITE, 0.85)
            c.paint(c.cover(0.15 * rho, np.hypot(c.x - (cx - 0.4 * rho), c.y - (cy - 0.4 * rho))), WHITE, 0.7)
    elif name == "patch":
        u = mark(seed, 0)
        corner = min(3, int(4 * u[0]))
        size, margin = level * side, 4 * s
        x0 = margin if corner % 2 == 0 else w - margin - size
        y0 = margin if corner < 2 else h - margin - size
        for k in range(4):
            bx, by = x0 + (k % 2) * size / 2, y0 + (k // 2) * size / 2
            c.box(bx, by, bx + size / 2, by + size / 2, PATCH[k], 1.0)
    else:
        raise ValueError(name)
    return c.f


def reference(name, level, bgr, seed, lesion=None):
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
    return artefact(name, level, f, seed, lesion)


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
        fields = subprocess.run([dump, png, work, "7"], check=True, capture_output=True, text=True).stdout.split()
        h, w, seed = map(int, fields[:3])
        lesion = tuple(map(float, fields[3:6]))
        print(f"lesion centre ({lesion[0]:.1f}, {lesion[1]:.1f}), radius {lesion[2]:.1f}")
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
                    ref = reference(name, level, bgr, seed, lesion) + 255 * perturb
                    diff = np.abs(got_f - ref).max() / 255
                    ok = diff <= TOLERANCE
                    rounded = np.clip(np.rint(got_f), 0, 255).astype(np.uint8)
                    if not np.array_equal(rounded, got_u8):
                        failures.append(f"{name} {s}: 8-bit result is not the float stage rounded and clipped")
                if name == "ink":  # the lesion itself is never inked
                    yy, xx = np.mgrid[0:h, 0:w] + 0.5
                    centre = np.hypot(xx - lesion[0], yy - lesion[1]) <= min(lesion[2], 0.3 * min(h, w)) / 2
                    if not np.array_equal(got_u8[centre], bgr[centre]):
                        failures.append(f"ink {s}: marks inside half the lesion radius")
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
