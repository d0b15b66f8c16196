"""Dermoscopy artefacts drawn onto training images: hairs, a ruler's scale and the black frame of
a dermoscope's round field of view. Clinics differ in all three (shaving, rulers on the skin,
contact versus polarised dermoscopes), and a network that never saw them in training may read
them as lesion structure. Everything is drawn in pixel units on [0,1] CHW images, before the
acquisition shift and the geometric warp, so the warp rotates and scales the artefacts with the
lesion, as a photograph would. Coordinates are (x, y) with pixel centres at +0.5."""
import numpy as np
import torch
from PIL import Image, ImageDraw

HAIR_COLOUR = (1.0, 0.85, 0.75)  # dark brown: scaled by a random grey level
SUPERSAMPLE = 2                   # strokes are drawn at 2x and box-filtered down (anti-aliasing)


def stroke_coverage(h, w, polylines, widths, opacities):
    """How much of each pixel [h*w] the strokes cover (where strokes cross, the later one's
    opacity): polylines of (x, y) points, widths in pixels, drawn on one PIL canvas at
    SUPERSAMPLE x and averaged down."""
    s = SUPERSAMPLE
    canvas = Image.new("L", (w * s, h * s), 0)
    pen = ImageDraw.Draw(canvas)
    for line, width, opacity in zip(polylines, widths, opacities):
        pen.line([(float(x) * s, float(y) * s) for x, y in line], fill=round(255 * opacity),
                 width=max(1, round(width * s)), joint="curve")
    cover = np.asarray(canvas.resize((w, h), Image.BOX), dtype=np.float32).reshape(-1) / 255.0
    return torch.from_numpy(cover)


def paint(image, cover, colour):
    """Blend `colour` ([3] or scalar) over a CHW image where `cover` [h*w] says."""
    _, h, w = image.shape
    colour = torch.as_tensor(colour, dtype=image.dtype).reshape(-1, 1)
    cover = cover.view(1, -1)
    return (image.reshape(3, -1) * (1 - cover) + colour * cover).view(3, h, w)


def bezier(p0, p1, p2, steps=12):
    """Quadratic Bezier curve from p0 to p2 with control point p1, as steps + 1 points."""
    t = torch.linspace(0, 1, steps + 1)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2


def draw_hairs(image, gen):
    """1-8 curved dark hairs, 0.3-1% of the side wide, crossing or entering the image."""
    _, h, w = image.shape
    side = float(min(h, w))
    lines, widths, opacities = [], [], []
    for _ in range(int(torch.randint(1, 9, (1,), generator=gen))):
        ends = (torch.rand(3, 2, generator=gen) * 1.4 - 0.2) * torch.tensor([w, h])
        lines.append(bezier(ends[0], ends[1], ends[2]).tolist())
        widths.append((float(torch.rand(1, generator=gen)) * 0.007 + 0.003) * side)
        opacities.append(float(torch.rand(1, generator=gen)) * 0.3 + 0.7)
    grey = float(torch.rand(1, generator=gen)) * 0.2 + 0.03
    return paint(image, stroke_coverage(h, w, lines, widths, opacities), torch.tensor(HAIR_COLOUR) * grey)


def draw_ruler(image, gen):
    """A ruler's dark edge line parallel to one image border, 4-16% of the side in from it, with
    ticks every 3-6% of the side pointing towards that border."""
    _, h, w = image.shape
    side = float(min(h, w))
    edge = int(torch.randint(0, 4, (1,), generator=gen))   # 0 top, 1 bottom, 2 left, 3 right
    offset = (float(torch.rand(1, generator=gen)) * 0.12 + 0.04) * side
    spacing = (float(torch.rand(1, generator=gen)) * 0.03 + 0.03) * side
    tick = (float(torch.rand(1, generator=gen)) * 0.03 + 0.02) * side
    width = (float(torch.rand(1, generator=gen)) * 0.005 + 0.005) * side
    grey = float(torch.rand(1, generator=gen)) * 0.15
    length = float(w if edge < 2 else h)

    def pixel(u, v):  # (along the border, distance from it) -> (x, y)
        return {0: (u, v), 1: (u, h - v), 2: (v, u), 3: (w - v, u)}[edge]

    lines = [[pixel(0.0, offset), pixel(length, offset)]]
    lines += [[pixel(u, offset), pixel(u, offset - tick)] for u in np.arange(0.0, length, spacing)]
    cover = stroke_coverage(h, w, lines, [width] * len(lines), [1.0] * len(lines))
    return paint(image, cover, grey)


def draw_frame(image, gen):
    """Black outside a circle whose radius is 42-62% of the side (so the corners are always
    black), its centre up to 5% of the side off the image centre, with a one-pixel soft edge."""
    _, h, w = image.shape
    side = float(min(h, w))
    centre = torch.tensor([w / 2, h / 2]) + (torch.rand(2, generator=gen) - 0.5) * 0.1 * side
    radius = (float(torch.rand(1, generator=gen)) * 0.2 + 0.42) * side
    black = float(torch.rand(1, generator=gen)) * 0.04
    yy, xx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
    distance = torch.sqrt((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2).reshape(-1)
    outside = (distance - radius + 0.5).clamp(0, 1)
    return paint(image, outside, black)


def add_artefacts(x, probability, gen):
    """Each image of x ([0,1] NCHW) gets hairs, a ruler and a black frame, each independently
    with `probability` (drawn on the CPU). Draws nothing from `gen` when probability is 0, so a
    recipe without artefacts keeps its random stream."""
    if probability <= 0:
        return x
    on = torch.rand(x.shape[0], 3, generator=gen) < probability
    out = x.detach().float().cpu().clone()
    for i in range(x.shape[0]):
        for k, draw in enumerate((draw_hairs, draw_ruler, draw_frame)):
            if on[i, k]:
                out[i] = draw(out[i], gen)
    return out.to(x.device)
