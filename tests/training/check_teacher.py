#!/usr/bin/env python3
"""Checks of the distillation teacher (training/skintrain/distill.py, used by training/teacher.py):
1. distillation_loss against a numpy restatement of Hinton et al.'s T^2 * KL(teacher || student),
   and ensemble_logits (several teachers as one: log of their mean softmax) against numpy,
   to 1e-6, and a perturbed reference (T instead of T^2) must be told apart;
2. Teacher.inputs + Teacher.logits give the probabilities `skinscan classify` gives for the same
   model and image (the teacher sees what skinscan would feed it), with and without Shades of Gray in the
   manifest, and the test must tell the two preprocessings apart.
Usage: check_teacher.py SKINSCAN FIXTURES_DIR"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
from skintrain import distill as teacher  # noqa: E402
from skintrain import labels  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL: {what}")


def reference_kd(student, teacher_logits, t, power=2):
    def log_softmax(z):
        z = z / t
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(teacher_logits), log_softmax(student)
    return float((np.exp(log_p) * (log_p - log_q)).sum(axis=1).mean() * t ** power)


gen = torch.Generator().manual_seed(4)
student, target = torch.randn(9, 7, generator=gen) * 3, torch.randn(9, 7, generator=gen) * 3
for t in (1.0, 2.0, 4.0):
    got = teacher.distillation_loss(student, target, t).item()
    want = reference_kd(student.double().numpy(), target.double().numpy(), t)
    check(abs(got - want) < 1e-6 * max(1.0, abs(want)), f"T={t}: distillation loss {got} against numpy {want}")
    if t != 1.0:
        wrong = reference_kd(student.double().numpy(), target.double().numpy(), t, power=1)
        check(abs(got - wrong) > 1e-3, f"T={t}: a reference without the T^2 factor was not told apart")
check(abs(teacher.distillation_loss(target, target, 2.0).item()) < 1e-6, "a student equal to its teacher has loss 0")

# An ensemble of teachers: log of the mean of the members' softmax (numpy restatement).
members = [torch.randn(9, 7, generator=gen) * 3 for _ in range(3)]
def reference_ensemble(logits, t=1.0):
    p = [np.exp(z / t - z.max(axis=1, keepdims=True) / t) for z in logits]
    return np.log(np.mean([q / q.sum(axis=1, keepdims=True) for q in p], axis=0))
got = teacher.ensemble_logits(members).double().numpy()
want = reference_ensemble([m.double().numpy() for m in members])
check(np.abs(got - want).max() < 1e-6, f"ensemble logits differ from numpy by {np.abs(got - want).max()}")
check(np.abs(got - reference_ensemble([m.double().numpy() for m in members], t=2.0)).max() > 1e-3,
      "a reference averaging at temperature 2 was not told apart")
check(np.abs(got - np.mean([m.double().numpy() for m in members], axis=0)).max() > 1e-3,
      "a reference averaging the logits was not told apart")
check(teacher.ensemble_logits(members[:1]) is members[0], "one teacher's logits are passed through")

skinscan, fixtures = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp()
try:
    # An image at the model's own size (no resize, whose interpolation differs between OpenCV
    # and torch) with a colour cast, so that Shades of Gray changes it.
    rng = np.random.default_rng(8)
    pixels = np.clip(rng.integers(0, 256, (32, 32, 3)) * np.array([1.0, 0.75, 0.5]) + [25, 0, 0], 0, 255)
    image = os.path.join(work, "cast.png")
    Image.fromarray(pixels.astype(np.uint8)).save(image)
    base = os.path.join(fixtures, "models", "tiny7")
    with_cc = os.path.join(work, "tiny7_cc")
    shutil.copytree(base, with_cc)
    with open(os.path.join(with_cc, "manifest.json")) as f:
        manifest = json.load(f)
    manifest["input"]["color_constancy"] = {"method": "shades_of_gray", "p": 6}
    with open(os.path.join(with_cc, "manifest.json"), "w") as f:
        json.dump(manifest, f)

    got = {}
    for folder in (base, with_cc):
        model = teacher.Teacher(folder, labels.LABELS)
        batch = next(iter(model.inputs([image])))
        doc = json.loads(subprocess.run([skinscan, "classify", "--json", "--top-k", "7", "--model", folder, image],
                                        check=True, capture_output=True, text=True).stdout)
        result = doc["results"][0]
        expected = np.array([result["probabilities"][label] for label in labels.LABELS])
        temperature = doc["model"]["temperature"]
        got[folder] = torch.softmax(model.logits(batch) / temperature, 1)[0].double().numpy()
        err = float(np.abs(got[folder] - expected).max())
        check(err < 1e-5, f"{os.path.basename(folder)}: teacher probabilities differ from skinscan's by {err}")
        print(f"{os.path.basename(folder)}: teacher vs skinscan max difference {err:.2e}")
    apart = float(np.abs(got[base] - got[with_cc]).max())
    check(apart > 1e-3, f"colour constancy on or off changes the teacher's output by only {apart}")
finally:
    shutil.rmtree(work)
print("teacher checks passed")
