#!/usr/bin/env python3
"""Grad-CAM, Grad-CAM++ and occlusion of `skinscan explain` against PyTorch references.

For each model directory given, an image exactly the size of the model's input (so that no
resize stands between the two implementations) is explained by skinscan with --save-map, and
the same method is computed here with torch.autograd on the same TorchScript file: features ->
head -> backward of the top class's logit -> channel weights -> ReLU of the weighted sum ->
bilinear upsampling to the input (F.interpolate, align_corners=False, which is OpenCV's
INTER_LINEAR when enlarging) -> divided by its maximum. For an ensemble (manifest
explain.member_features / member_logits) each member's map is computed so from its own features
and calibrated logit, and the maps are summed weighted by each member's share of the averaged
probability of the class, then divided by the maximum. The maps must agree to 1e-4. A
deliberately wrong reference (Grad-CAM's weights for Grad-CAM++, and a nearest-neighbour
upsampling; for an ensemble, the stacked features/head map) must not, so the comparison can fail.
Occlusion is restated with the model's forward passes under each patch (reference_occlusion); its
wrong reference averages the hard-edged boxes instead of interpolating between patch centres.
Blurred-patch occlusion (occlusion-blur) fills each patch from the input blurred per channel with
scipy.ndimage.gaussian_filter (sigma = patch / 4, mirrored borders, which are OpenCV's
BORDER_REFLECT_101); its wrong reference is mean-colour occlusion.

Usage: check_saliency_reference.py SKINSCAN MODEL_DIR [MODEL_DIR...]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
from skintrain.color_constancy import shades_of_gray_numpy  # noqa: E402

TOLERANCE = 1e-4


def test_image(width, height, seed=3):
    """A smooth colourful image with a dark blob (lesion-like), uint8 RGB."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width] / max(width, height)
    blob = np.exp(-((xx - 0.45) ** 2 + (yy - 0.55) ** 2) / 0.03)
    rgb = np.stack([200 - 120 * blob + 20 * np.sin(9 * xx), 160 - 110 * blob + 15 * np.cos(7 * yy),
                    140 - 90 * blob + 10 * np.sin(5 * (xx + yy))], -1)
    rgb += rng.normal(0, 4, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def model_input(rgb, spec):
    pixels = rgb.astype(np.float64)
    if spec.get("color_order", "RGB") == "BGR":
        pixels = pixels[..., ::-1]
    if "color_constancy" in spec:
        pixels = shades_of_gray_numpy(pixels, p=spec["color_constancy"].get("p", 6))
    x = pixels / float(spec.get("scale", 255.0))
    mean, std = np.array(spec.get("mean", [0, 0, 0])), np.array(spec.get("std", [1, 1, 1]))
    x = (x - mean) / std
    return torch.from_numpy(x.astype(np.float32)).permute(2, 0, 1).unsqueeze(0).contiguous()


def cam(g, a, plus_plus, size, upsample="bilinear"):
    """Grad-CAM / Grad-CAM++ from gradients g and activations a (1 x C x h x w) at `size`, max 1."""
    if plus_plus:
        g2, g3 = g ** 2, g ** 3
        alpha = g2 / (2 * g2 + a.sum(dim=(2, 3), keepdim=True) * g3 + 1e-7)
        alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
        weights = (torch.relu(g) * alpha).sum(dim=(2, 3), keepdim=True)
    else:
        weights = g.mean(dim=(2, 3), keepdim=True)
    m = torch.relu((weights * a).sum(1, keepdim=True))
    m = F.interpolate(m, size=size, mode="bilinear", align_corners=False) if upsample == "bilinear" \
        else F.interpolate(m, size=size, mode="nearest")
    return normalised(m[0, 0])


def normalised(m):
    top = m.max()
    return (m / top).clamp_min(0) if top > 0 else torch.zeros_like(m)


def reference_map(module, x, plus_plus, upsample="bilinear"):
    features = module.features(x).detach().requires_grad_(True)
    logits = module.head(features)
    cls = int(logits[0].argmax())
    logits[0, cls].backward()
    return cam(features.grad, features.detach(), plus_plus, x.shape[2:], upsample).numpy()


def reference_member_map(module, x, plus_plus):
    with torch.no_grad():
        cls = int(module(x)[0].argmax())
    maps = [m.detach().requires_grad_(True) for m in module.member_features(x)]
    logits = module.member_logits(maps)  # members x 1 x classes, each member's calibrated logits
    total = torch.zeros(x.shape[2:], dtype=torch.float64)
    share = torch.softmax(logits.detach(), 2)[:, 0, cls]
    share = share / share.sum()
    for i, m in enumerate(maps):
        g, = torch.autograd.grad(logits[i, 0, cls], m, retain_graph=True)
        total += float(share[i]) * cam(g, m.detach(), plus_plus, x.shape[2:]).double()
    return normalised(total).numpy()


def patch_starts(side, patch, stride):
    return list(range(0, side - patch, stride)) + [max(0, side - patch)]


def reference_occlusion(module, x, temperature, smooth=True, blur=False):
    """Occlusion: the probability lost under a zero (mean-colour) patch at each position, placed at
    the patch centres and interpolated linearly along each axis (numpy.interp, which holds the end
    values beyond the outermost centres); with smooth=False, the hard-edged boxes averaged instead
    (the wrong reference)."""
    height, width = x.shape[2:]
    patch = max(4, min(width, height) // 8)
    stride = max(2, patch // 2)
    ys, xs = patch_starts(height, patch, stride), patch_starts(width, patch, stride)
    fill = torch.zeros_like(x)
    if blur:
        planes = [scipy.ndimage.gaussian_filter(x[0, c].numpy(), patch / 4, mode="mirror", truncate=4.0)
                  for c in range(x.shape[1])]
        fill = torch.from_numpy(np.stack(planes)[None]).to(x.dtype)
    with torch.no_grad():
        base = torch.softmax(module(x) / temperature, 1)[0]
        cls = int(base.argmax())
        drops = np.zeros((len(ys), len(xs)))
        for i, y0 in enumerate(ys):
            for j, x0 in enumerate(xs):
                masked = x.clone()
                masked[:, :, y0:y0 + patch, x0:x0 + patch] = fill[:, :, y0:y0 + patch, x0:x0 + patch]
                drops[i, j] = max(0.0, float(base[cls] - torch.softmax(module(masked) / temperature, 1)[0, cls]))
    if smooth:
        cx, cy = [x0 + patch / 2 - 0.5 for x0 in xs], [y0 + patch / 2 - 0.5 for y0 in ys]
        rows = np.stack([np.interp(np.arange(width), cx, r) for r in drops])
        m = np.stack([np.interp(np.arange(height), cy, c) for c in rows.T], 1)
    else:
        total, count = np.zeros((height, width)), np.zeros((height, width))
        for i, y0 in enumerate(ys):
            for j, x0 in enumerate(xs):
                total[y0:y0 + patch, x0:x0 + patch] += drops[i, j]
                count[y0:y0 + patch, x0:x0 + patch] += 1
        m = total / np.maximum(count, 1)
    return (m / m.max() if m.max() > 0 else m), float(drops.max())


def skinscan_map(skinscan, model_dir, png, method, work):
    out = os.path.join(work, method)
    subprocess.run([skinscan, "explain", "-m", model_dir, "--method", method, "--save-map", "--out", out, png],
                   check=True, stdout=subprocess.DEVNULL)
    return np.asarray(Image.open(os.path.join(out, "probe_saliency.tiff")), dtype=np.float64)


def main():
    skinscan, models = sys.argv[1], sys.argv[2:]
    failures = 0
    for model_dir in models:
        manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
        spec = manifest["input"]
        module = torch.jit.load(os.path.join(model_dir, "model.pt")).eval()
        rgb = test_image(spec["width"], spec["height"])
        with tempfile.TemporaryDirectory() as work:
            png = os.path.join(work, "probe.png")
            Image.fromarray(rgb).save(png)
            x = model_input(rgb, spec)
            for method, plus_plus in (("gradcam", False), ("gradcampp", True)):
                ours = skinscan_map(skinscan, model_dir, png, method, work)
                if manifest.get("explain", {}).get("member_features"):
                    ref = reference_member_map(module, x, plus_plus)
                    wrong = reference_map(module, x, plus_plus)  # the stacked map, as before per-member maps
                else:
                    ref = reference_map(module, x, plus_plus)
                    wrong = reference_map(module, x, not plus_plus, upsample="nearest")
                diff = float(np.abs(ours - ref).max())
                wrong_diff = float(np.abs(ours - wrong).max())
                ok = diff <= TOLERANCE and wrong_diff > TOLERANCE
                failures += not ok
                print(f"{manifest['name']} {method}: max |skinscan - reference| = {diff:.2e} "
                      f"(a wrong reference differs by {wrong_diff:.2e}) {'ok' if ok else 'FAIL'}")
            temperature = manifest["output"].get("temperature", 1.0)
            for method, blur in (("occlusion", False), ("occlusion-blur", True)):
                ours = skinscan_map(skinscan, model_dir, png, method, work)
                ref, largest_drop = reference_occlusion(module, x, temperature, blur=blur)
                diff = float(np.abs(ours - ref).max())
                wrong = reference_occlusion(module, x, temperature, **({"blur": False} if blur else {"smooth": False}))
                wrong_diff = float(np.abs(ours - wrong[0]).max())
                # The map is drops / the largest drop. Two float32 implementations (LibTorch's optimised
                # module in batches of 32, this one at batch 1) agree to a few 1e-8 in probability, which a
                # random fixture's largest drop (2e-4 for the ensemble) magnifies past 1e-4.
                tolerance = max(TOLERANCE, 5e-8 / max(largest_drop, 1e-12))
                ok = diff <= tolerance and wrong_diff > tolerance
                failures += not ok
                print(f"{manifest['name']} {method}: max |skinscan - reference| = {diff:.2e} (bound {tolerance:.1e}; "
                      f"a wrong reference differs by {wrong_diff:.2e}) {'ok' if ok else 'FAIL'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
