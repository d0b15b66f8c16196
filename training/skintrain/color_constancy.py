"""Shades of Gray colour constancy (Finlayson & Trezzi 2004), Minkowski norm p = 6.

Estimates the illuminant of an image as the p-norm mean of each channel, then scales the
channels so that illuminant becomes neutral grey (gain_c = 1 / (sqrt(3) * e_c / |e|)), and
clips to [0, 255]. Barata et al. 2015 showed it helps dermoscopy classifiers across devices;
it became standard in ISIC challenge entries. Pixel values are floats in 0-255 (RGB order;
the channel order does not matter to the method). skinscan's `libskin/src/color_constancy.cpp`
implements the same and is tested against `shades_of_gray_numpy`.
"""
import math

import numpy as np
import torch

P = 6


def shades_of_gray_numpy(image, p=P):
    """image: H x W x 3 float array in 0-255 -> same shape, float64."""
    img = np.asarray(image, dtype=np.float64)
    illuminant = np.power(np.mean(np.power(img, p), axis=(0, 1)), 1.0 / p)
    norm = np.sqrt(np.sum(illuminant ** 2))
    if norm == 0:
        return img.copy()
    gains = 1.0 / (illuminant / norm * np.sqrt(3.0))
    gains[~np.isfinite(gains)] = 1.0  # an all-black channel stays black
    return np.clip(img * gains, 0.0, 255.0)


def shades_of_gray_torch(x: torch.Tensor, p: float = float(P)) -> torch.Tensor:
    """x: N x 3 x H x W float tensor in 0-255 -> same, per image. Computed in float64 for the
    p-th powers (255**6 ~ 2.7e14 would lose precision in float32). TorchScript-compatible, so
    an exported model can apply it inside its graph (training/ensemble.py)."""
    x64 = x.double()
    illuminant = x64.pow(p).mean(dim=(2, 3)).pow(1.0 / p)                    # N x 3
    norm = illuminant.norm(2, dim=1, keepdim=True)
    gains = norm / (illuminant * math.sqrt(3.0))
    gains = torch.where(torch.isfinite(gains) & (illuminant > 0), gains, torch.ones_like(gains))
    return (x64 * gains[:, :, None, None]).clamp(0, 255).to(x.dtype)
