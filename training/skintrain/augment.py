"""Training-time augmentation of uint8 batches on the training device: geometric warps, colour
jitter, acquisition shift, Fourier amplitude mixing, dermoscopy artefacts, CutMix; and the
normalisation (mean and std passed in, one per architecture)."""
import math

import torch
import torch.nn.functional as F

from .artefacts import add_artefacts
from .color_constancy import shades_of_gray_torch


def acquisition_shift(x, gen):
    """What a different dermoscope, camera or lighting does to an image: white-balance gains,
    gamma, saturation and hue, blur or sharpening, vignetting (black corners). x: [0,1] NCHW."""
    b, _, h, w = x.shape
    dev = x.device

    def u(lo, hi, *shape):
        return (torch.rand(b, *shape, generator=gen) * (hi - lo) + lo).to(dev)

    x = x * u(0.75, 1.25, 3).view(b, 3, 1, 1)                        # white balance
    x = x.clamp(0, 1) ** torch.exp(u(-0.4, 0.4)).view(b, 1, 1, 1)      # gamma 0.67-1.5
    # Hue: rotate chroma in YIQ space by up to +-15 degrees; saturation 0.7-1.3.
    yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], device=dev)
    q = torch.einsum("ij,bjhw->bihw", yiq, x)
    angle, sat = u(-0.26, 0.26), u(0.7, 1.3)
    c, s_ = torch.cos(angle) * sat, torch.sin(angle) * sat
    i2 = q[:, 1] * c.view(b, 1, 1) - q[:, 2] * s_.view(b, 1, 1)
    q2 = q[:, 1] * s_.view(b, 1, 1) + q[:, 2] * c.view(b, 1, 1)
    x = torch.einsum("ij,bjhw->bihw", torch.linalg.inv(yiq), torch.stack([q[:, 0], i2, q2], 1))
    # Blur (amount > 0) or sharpen (amount < 0) by mixing with a 5x5 Gaussian-blurred copy.
    k = torch.tensor([1., 4., 6., 4., 1.], device=dev)
    k2 = (k[:, None] * k[None, :] / 256).expand(3, 1, 5, 5)
    blurred = F.conv2d(F.pad(x, [2, 2, 2, 2], mode="reflect"), k2, groups=3)
    amount = u(-1.0, 1.0).view(b, 1, 1, 1) * (torch.rand(b, generator=gen) < 0.5).to(dev).view(b, 1, 1, 1)
    x = x + amount * (blurred - x)
    # Vignetting on a third of the images: darken outside a circle of random radius.
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h, device=dev), torch.linspace(-1, 1, w, device=dev), indexing="ij")
    r = torch.sqrt(xx ** 2 + yy ** 2).expand(b, 1, h, w)
    radius = u(0.9, 1.4).view(b, 1, 1, 1)
    mask = torch.sigmoid((radius - r) * 20)
    on = (torch.rand(b, generator=gen) < 0.33).to(dev).view(b, 1, 1, 1)
    x = torch.where(on, x * mask, x)
    return x.clamp(0, 1)


def amplitude_mix(x, probability, gen):
    """Fourier amplitude mixing (FACT, Xu et al., CVPR 2021): with `probability`, an image keeps
    the phase of its spectrum (where the structures are) and takes the amplitude spectrum mixed
    with that of another image of the batch, lambda ~ U(0, 1): the other image's "style"
    (colour, contrast, texture energy), as a different dermoscope or clinic would give it.
    x: [0,1] NCHW. Draws nothing from `gen` when probability is 0 (the recipe stays reproducible)."""
    if probability <= 0:
        return x
    b, dev = x.shape[0], x.device
    partner = torch.randperm(b, generator=gen).to(dev)
    on = (torch.rand(b, generator=gen) < probability).float()
    lam = (torch.rand(b, generator=gen) * on).to(dev).view(b, 1, 1, 1)
    spectrum = torch.fft.fft2(x)
    amplitude, phase = spectrum.abs(), spectrum.angle()
    mixed = (1 - lam) * amplitude + lam * amplitude[partner]
    return torch.fft.ifft2(torch.polar(mixed, phase)).real.clamp(0, 1)


def augment(x, size, strong, gen, shift=False, color_constancy="none", amp_mix=0.0, zoom=(0.6, 1.1),
            artefacts=0.0):
    """uint8 NCHW batch on any device -> float batch in [0,1] of size x size, randomly warped.
    Artefacts (hairs, ruler, black frame), the acquisition shift and amplitude mixing come
    before colour constancy, as a new clinic's images would."""
    b, dev = x.shape[0], x.device
    x = add_artefacts(x.float() / 255.0, artefacts, gen)
    if shift:
        x = acquisition_shift(x, gen)
    x = amplitude_mix(x, amp_mix, gen)
    if color_constancy == "shades_of_gray":
        x = shades_of_gray_torch(x * 255.0) / 255.0

    def u(lo, hi):
        return (torch.rand(b, generator=gen) * (hi - lo) + lo)

    if strong:
        angle = u(0, 2 * math.pi)
        side = u(*zoom)               # fraction of the image side that is sampled (zoom)
        aspect = torch.exp(u(math.log(0.8), math.log(1.25)))
        tx, ty = u(-0.15, 0.15), u(-0.15, 0.15)
    else:
        angle = torch.randint(0, 4, (b,), generator=gen).float() * (math.pi / 2)
        side, aspect = torch.ones(b), torch.ones(b)
        tx, ty = torch.zeros(b), torch.zeros(b)
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    sx, sy = side * aspect.sqrt() * flip, side / aspect.sqrt()
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos * sx, -sin * sy, tx], 1),
                         torch.stack([sin * sx, cos * sy, ty], 1)], 1).to(dev)
    grid = F.affine_grid(theta, [b, 3, size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    if strong:
        bright = u(0.7, 1.3).view(b, 1, 1, 1).to(dev)
        contrast = u(0.7, 1.3).view(b, 1, 1, 1).to(dev)
        sat = u(0.7, 1.3).view(b, 1, 1, 1).to(dev)
        gain = (torch.rand(b, 3, 1, 1, generator=gen) * 0.2 + 0.9).to(dev)
        x = x * bright * gain
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * contrast + mean
        grey = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
        x = (x - grey) * sat + grey
        x = x.clamp(0, 1)
    return x


def cutmix(x, y, probability, gen):
    """CutMix (Yun et al. 2019) with lambda ~ Beta(1, 1): pastes one box from a shuffled copy of
    the batch; returns the mixed batch, the pasted labels and the kept-area fraction lambda."""
    if probability <= 0 or torch.rand(1, generator=gen).item() >= probability:
        return x, y, 1.0
    b, _, h, w = x.shape
    lam = torch.rand(1, generator=gen).item()
    cut_h, cut_w = int(h * math.sqrt(1 - lam)), int(w * math.sqrt(1 - lam))
    cy, cx = torch.randint(0, h, (1,), generator=gen).item(), torch.randint(0, w, (1,), generator=gen).item()
    y0, y1 = max(0, cy - cut_h // 2), min(h, cy + cut_h // 2)
    x0, x1 = max(0, cx - cut_w // 2), min(w, cx + cut_w // 2)
    perm = torch.randperm(b, generator=gen).to(x.device)
    x = x.clone()
    x[:, :, y0:y1, x0:x1] = x[perm, :, y0:y1, x0:x1]
    return x, y[perm], 1.0 - (y1 - y0) * (x1 - x0) / (h * w)


def draw_weights(y, sampler, num_classes):
    """Relative probability that the sampler draws each image: 1/sqrt(class frequency) when
    balanced, equal otherwise."""
    if sampler != "balanced":
        return torch.ones(len(y))
    return torch.bincount(y, minlength=num_classes).float().clamp_min(1).rsqrt()[y]


def class_prior(y, sampler, num_classes):
    """The class distribution the sampler draws training images from: the class frequencies when
    uniform, proportional to sqrt(class frequency) when balanced (draw_weights summed per class)."""
    prior = torch.zeros(num_classes).index_add_(0, y, draw_weights(y, sampler, num_classes))
    return prior / prior.sum()


def normalise(x, mean, std):
    """[0, 1] NCHW batch -> the model's input: (x - mean) / std per channel."""
    mean = torch.tensor(mean, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(std, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def eval_input(x, size, mean, std, color_constancy="none"):
    """uint8 NCHW batch -> the model's input at size x size, as skinscan preprocesses it."""
    x = x.float()
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    if color_constancy == "shades_of_gray":  # as skinscan: on the resized input, in 0-255
        x = shades_of_gray_torch(x)
    return normalise(x / 255.0, mean, std)
