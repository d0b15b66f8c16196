#!/usr/bin/env python3
"""Unit checks of training/ensemble.py on two randomly initialised members with the default
model's geometry (a SkinNet at 288 px, ImageNet mean/std, and a MobileNetV2 at 224 px with
Shades of Gray), in a 224 px ensemble: each member's input matches an independent derivation
(PIL's bilinear resize; colour_constancy.shades_of_gray_numpy), the output is the log of the
mean of the members' temperature-scaled softmax, head(features(x)) equals forward(x), and the
per-member pair gives each member's own map and calibrated logits."""
import json
import os
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
from skintrain import model_ensemble as ensemble  # noqa: E402
from skintrain.color_constancy import shades_of_gray_numpy  # noqa: E402
from skintrain.labels import IMAGENET_MEAN, IMAGENET_STD, LABELS, NORMALISATION  # noqa: E402
from skintrain.models import build_model  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL: {what}")


workdir = tempfile.TemporaryDirectory()


def member(arch, size, temperature, constancy):
    torch.manual_seed({"skinnet": 1, "mobilenet_v2": 2}[arch])
    model = build_model(arch, len(LABELS)).eval()
    scripted = torch.jit.freeze(torch.jit.script(model), preserved_attrs=["features", "head"])
    mean, std = NORMALISATION[arch]
    spec = {"width": size, "height": size, "resize": "stretch", "color_order": "RGB", "scale": 255.0,
            "mean": mean, "std": std, **({"color_constancy": {"method": "shades_of_gray", "p": 6}} if constancy else {})}
    manifest = {"name": arch, "version": "0", "description": arch, "labels": LABELS, "input": spec,
                "output": {"kind": "logits", "temperature": temperature},
                "explain": {"features": "features", "head": "head"}}
    # Members come from model directories, as in use (a freshly scripted module cannot be nested).
    directory = os.path.join(workdir.name, arch)
    os.makedirs(directory)
    scripted.save(os.path.join(directory, "model.pt"))
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return ensemble.load_member(directory)



skinnet = member("skinnet", 288, 0.75, False)
mobilenet = member("mobilenet_v2", 224, 1.3, True)
model = ensemble.build_ensemble([skinnet, mobilenet], 224)
scripted = torch.jit.freeze(torch.jit.script(model), preserved_attrs=ensemble.EXPORTED_METHODS)

rng = np.random.default_rng(0)
pixels = [rng.integers(0, 256, (224, 224, 3), dtype=np.uint8) for _ in range(2)]
pixels[1][:, :, 2] //= 3  # a strong colour cast for Shades of Gray to remove
x = torch.stack([torch.from_numpy(p).permute(2, 0, 1).float() / 255 for p in pixels])
# The ensemble's own input is normalised (ImageNet mean/std by default); its graph undoes that.
x_in = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def normalised(images, spec):
    t = torch.stack([torch.from_numpy(np.asarray(i, dtype=np.float32)).permute(2, 0, 1) / 255 for i in images])
    return (t - torch.tensor(spec["mean"]).view(1, 3, 1, 1)) / torch.tensor(spec["std"]).view(1, 3, 1, 1)


# The SkinNet member's input: the 224 px image enlarged to 288 px as an 8-bit bilinear resize.
# PIL's fixed-point rounding differs from torch's (and OpenCV's, which skinscan uses) by one level
# on some pixels: on this noise about 14% of them; a wrong interpolation moves most by many levels.
reference_a = normalised([np.asarray(Image.fromarray(p).resize((288, 288), Image.BILINEAR)) for p in pixels],
                         skinnet[1]["input"])
prepared_a = model.members[0].prepare(x)
levels = ((prepared_a - reference_a) * torch.tensor(NORMALISATION["skinnet"][1]).view(1, 3, 1, 1) * 255).abs()
check(prepared_a.shape == (2, 3, 288, 288), f"SkinNet member input shape {tuple(prepared_a.shape)}")
check(levels.max().item() <= 1.001, f"SkinNet member input differs from PIL's resize by {levels.max().item():.3f} levels")
check(levels.mean().item() < 0.2, f"SkinNet member input differs from PIL's resize by {levels.mean().item():.3f} on average")

# The MobileNetV2 member's input: no resize, Shades of Gray, its own mean/std.
reference_b = normalised([shades_of_gray_numpy(p.astype(np.float64), p=6) for p in pixels], mobilenet[1]["input"])
prepared_b = model.members[1].prepare(x)
check((prepared_b - reference_b).abs().max().item() < 1e-5,
      f"MobileNetV2 member input off by {(prepared_b - reference_b).abs().max().item():.2e}")

# The output: log of the mean of the members' calibrated probabilities, computed from each member alone.
with torch.inference_mode():
    expected = torch.log((torch.softmax(skinnet[0](prepared_a) / 0.75, 1)
                          + torch.softmax(mobilenet[0](prepared_b) / 1.3, 1)) / 2)
    out = scripted(x_in)
    features = scripted.features(x_in)
    from_features = scripted.head(features)
check(out.shape == (2, len(LABELS)), f"output shape {tuple(out.shape)}")
check((out - expected).abs().max().item() < 1e-5, f"ensemble output off by {(out - expected).abs().max().item():.2e}")
check(abs(out.exp().sum(1) - 1).max().item() < 1e-5, "ensemble output is not log-probabilities")

# Grad-CAM's pair: one map on the least common multiple of the members' grids (9 and 7), and
# head(features) == forward.
check(features.shape == (2, 384 + 1280, 63, 63), f"features shape {tuple(features.shape)}")
check((from_features - out).abs().max().item() < 1e-5,
      f"head(features(x)) differs from forward(x) by {(from_features - out).abs().max().item():.2e}")

# The per-member pair (skinscan explains each member on its own map): the members' own maps at
# their own resolution (9x9 for SkinNet at 288 px, 7x7 for MobileNetV2 at 224 px), and each
# member's logits divided by its own temperature.
with torch.inference_mode():
    maps = scripted.member_features(x_in)
    member_logits = scripted.member_logits(maps)
    expected_maps = [skinnet[0].features(prepared_a), mobilenet[0].features(prepared_b)]
check([tuple(m.shape) for m in maps] == [(2, 384, 9, 9), (2, 1280, 7, 7)], f"member maps {[m.shape for m in maps]}")
for m, e in zip(maps, expected_maps):
    check((m - e).abs().max().item() < 1e-5, "a member's map differs from the member's own features")
check(member_logits.shape == (2, 2, len(LABELS)), f"member_logits shape {tuple(member_logits.shape)}")
with torch.inference_mode():
    expected_logits = torch.stack([skinnet[0](prepared_a) / 0.75, mobilenet[0](prepared_b) / 1.3])
check((member_logits - expected_logits).abs().max().item() < 1e-4,
      f"member_logits off by {(member_logits - expected_logits).abs().max().item():.2e}")

# Float16 storage: every weight stored once as float16 (the file about half the float32 one), the
# outputs within the weights' rounding of float32's, and head(features) == forward still.
float32_path, float16_path = os.path.join(workdir.name, "f32.pt"), os.path.join(workdir.name, "f16.pt")
scripted.save(float32_path)
tensors, uses = ensemble.store_weights_as_float16(scripted)
scripted.save(float16_path)
stored = torch.jit.load(float16_path).eval()
ratio = os.path.getsize(float16_path) / os.path.getsize(float32_path)
check(tensors > 0 and uses > tensors, f"float16 storage rewrote {tensors} tensors in {uses} places")
check(0.45 < ratio < 0.55, f"float16 file is {ratio:.3f} of the float32 one")
with torch.inference_mode():
    out16 = stored(x_in)
    gap16 = (out16.exp() - out.exp()).abs().max().item()
    check(0 < gap16 < 2e-3, f"float16-stored output differs from float32 by {gap16:.2e} in probability")
    check((stored.head(stored.features(x_in)) - out16).abs().max().item() < 1e-5,
          "float16-stored head(features(x)) differs from forward(x)")

# Members the ensemble cannot combine (an input it cannot share, no Grad-CAM methods) are refused
# with the member named.
no_explain = {k: v for k, v in mobilenet[1].items() if k != "explain"}
for what, bad in [("a 'pad' input", dict(mobilenet[1], input=dict(mobilenet[1]["input"], resize="pad"))),
                  ("no explain block", no_explain)]:
    try:
        ensemble.build_ensemble([skinnet, (mobilenet[0], bad)], 224)
        check(False, f"a member with {what} was accepted")
    except ValueError as e:
        check("mobilenet_v2" in str(e), f"error does not name the member: {e}")
print("ensemble checks passed")
