#!/usr/bin/env python3
"""Unit checks of training/skintrain/augment.py's Fourier amplitude mixing against a numpy restatement: off is the
identity and draws no random numbers, lambda = 0 keeps the image, and a mixed image has its own
phase spectrum with the amplitude spectrum (1 - lambda) * own + lambda * partner's; and the
sampler's class prior (the logit-adjusted loss's pi) against class counts."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
from skintrain import augment  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL: {what}")


x = torch.rand(6, 3, 24, 20, generator=torch.Generator().manual_seed(3)) * 0.5 + 0.25
gen = torch.Generator().manual_seed(11)
before = gen.get_state()
check(augment.amplitude_mix(x, 0.0, gen) is x, "probability 0 must return the batch unchanged")
check(torch.equal(gen.get_state(), before), "probability 0 must draw no random numbers")

# The same draws, made again here, give the partner and lambda of every image.
gen = torch.Generator().manual_seed(5)
out = augment.amplitude_mix(x, 1.0, gen).numpy().astype(np.float64)
gen = torch.Generator().manual_seed(5)
partner = torch.randperm(6, generator=gen).numpy()
on = (torch.rand(6, generator=gen) < 1.0).numpy()
lam = (torch.rand(6, generator=gen).numpy() * on).astype(np.float64)
xn = x.numpy().astype(np.float64)
spectrum = np.fft.fft2(xn)
for i in range(6):
    mixed = (1 - lam[i]) * np.abs(spectrum[i]) + lam[i] * np.abs(spectrum[partner[i]])
    reference = np.clip(np.real(np.fft.ifft2(mixed * np.exp(1j * np.angle(spectrum[i])))), 0, 1)
    err = float(np.abs(reference - out[i]).max())
    check(err < 1e-5, f"image {i}: amplitude mix differs from numpy by {err}")
    if partner[i] != i and lam[i] > 0.05:
        check(float(np.abs(out[i] - xn[i]).max()) > 1e-3, f"image {i}: mixing changed nothing")
print("amplitude mix: matches numpy on 6 images")

# The sampler's class prior (the logit-adjusted loss's pi): frequencies when uniform, proportional
# to sqrt(frequency) when balanced, against counts made here.
y = torch.tensor([0] * 9 + [1] * 4 + [2] * 1 + [4] * 16)
counts = np.bincount(y.numpy(), minlength=5).astype(np.float64)
uniform = augment.class_prior(y, "uniform", 5).numpy()
balanced = augment.class_prior(y, "balanced", 5).numpy()
check(np.abs(uniform - counts / counts.sum()).max() < 1e-6, f"uniform prior {uniform} != frequencies")
root = np.sqrt(counts)
check(np.abs(balanced - root / root.sum()).max() < 1e-6, f"balanced prior {balanced} != sqrt(frequencies)")
check(balanced[3] == 0 and uniform[3] == 0, "an absent class has prior 0")
