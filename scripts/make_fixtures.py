#!/usr/bin/env python3
"""Make the synthetic test fixtures: tiny TorchScript models (7-class with Grad-CAM methods,
2-class without), broken model directories, and images in every supported container and pixel
format plus hostile files. Everything is generated, nothing is downloaded.

Usage: /usr/bin/python3 scripts/make_fixtures.py OUT_DIR
"""
import io
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import torch
from PIL import Image
from torch import nn

HAM = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


class TinyNet(nn.Module):
    """A small conv net whose prediction depends on colour, so tests can check plumbing."""

    def __init__(self, classes):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.fc = nn.Linear(8, classes)

    @torch.jit.export
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x))

    @torch.jit.export
    def head(self, f: torch.Tensor) -> torch.Tensor:
        return self.fc(f.mean(dim=(2, 3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class PlainNet(nn.Module):
    """A classifier exporting nothing but forward (other people's models)."""

    def __init__(self, classes):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 5, 4, 2)
        self.fc = nn.Linear(4, classes)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3)))


class TupleNet(nn.Module):
    """TorchScript that is not a classifier: returns a tuple."""

    def forward(self, x):
        return x, x


class FixedSizeNet(nn.Module):
    """Only accepts 3x32x32 input (flattening linear layer)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 32 * 32, 7)

    def forward(self, x):
        return self.fc(x.flatten(1))


def manifest(name, labels, size, **extra):
    m = {"schema_version": 1, "name": name, "version": "0.0.1", "labels": labels,
         "input": {"width": size, "height": size, "resize": "stretch", "color_order": "RGB", "scale": 255.0,
                   "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
         "output": {"kind": "logits", "temperature": 1.0},
         "provenance": {"training_data": "none: random weights for tests"}}
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(m.get(k), dict):
            m[k].update(v)
        else:
            m[k] = v
    return m


def write_model(root, name, module, man):
    d = os.path.join(root, "models", name)
    os.makedirs(d, exist_ok=True)
    if module is not None:
        torch.jit.script(module).save(os.path.join(d, "model.pt"))
    if man is not None:
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump(man, f, indent=2)
    return d


def make_models(root):
    torch.manual_seed(0)
    seven = TinyNet(7).eval()
    write_model(root, "tiny7", seven, manifest("tiny7", HAM, 32, malignant=["akiec", "bcc", "mel"],
                                              explain={"features": "features", "head": "head"}))
    write_model(root, "tiny2", PlainNet(2).eval(),
                manifest("tiny2", ["benign", "malignant"], 48, malignant=["malignant"],
                         input={"resize": "center_crop", "color_order": "BGR"}, output={"temperature": 2.0}))
    write_model(root, "label_mismatch", seven, manifest("mismatch", HAM + ["x1", "x2"], 32))
    d = write_model(root, "bad_json", seven, None)
    open(os.path.join(d, "manifest.json"), "w").write('{"schema_version": 1, "name": ')
    write_model(root, "missing_model", None, manifest("missing", HAM, 32))
    d = write_model(root, "truncated_model", seven, manifest("truncated", HAM, 32))
    data = open(os.path.join(d, "model.pt"), "rb").read()
    open(os.path.join(d, "model.pt"), "wb").write(data[: len(data) // 2])
    write_model(root, "not_classifier", TupleNet(), manifest("tuple", HAM, 32))
    write_model(root, "wrong_input_size", FixedSizeNet(), manifest("fixed", HAM, 64))
    write_model(root, "missing_method", PlainNet(7), manifest("nomethod", HAM, 32,
                                                            explain={"features": "features", "head": "head"}))


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def make_images(root):
    good = os.path.join(root, "images", "good")
    bad = os.path.join(root, "images", "bad")
    os.makedirs(good, exist_ok=True)
    os.makedirs(bad, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:90, 0:120]
    base = np.stack([xx * 2, yy * 2, (xx + yy)], -1).astype(np.uint8)  # 120x90 gradient, wider than tall
    im = Image.fromarray(base)
    im.save(os.path.join(good, "baseline.jpg"), quality=90)
    im.save(os.path.join(good, "progressive.jpg"), quality=90, progressive=True)
    im.save(os.path.join(good, "plain.png"))
    im.save(os.path.join(good, "plain.bmp"))
    im.save(os.path.join(good, "plain.tiff"))
    im.save(os.path.join(good, "plain.webp"), quality=90)
    im.save(os.path.join(good, "plain.ppm"))
    im.convert("L").save(os.path.join(good, "grey.png"))
    im.convert("L").save(os.path.join(good, "grey.jpg"))
    im.convert("RGBA").save(os.path.join(good, "alpha.png"))
    im.convert("CMYK").save(os.path.join(good, "cmyk.jpg"))
    Image.fromarray((base[..., 0].astype(np.uint16) * 257)).save(os.path.join(good, "sixteen.png"))
    Image.new("RGB", (1, 1), (200, 120, 90)).save(os.path.join(good, "one_pixel.png"))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    im.save(os.path.join(good, "exif_rotated.jpg"), quality=90, exif=exif)
    im.save(os.path.join(good, "png_named.jpg"), format="PNG")  # content decides, not the name
    im.save(os.path.join(good, "no_extension"), format="JPEG")

    # A large photo (outside images/, so folder-walking tests keep their counts).
    large = os.path.join(root, "large")
    os.makedirs(large, exist_ok=True)
    im.resize((1200, 900), Image.BICUBIC).save(os.path.join(large, "photo_1200x900.jpg"), quality=90)

    open(os.path.join(bad, "empty.jpg"), "wb").close()
    data = open(os.path.join(good, "baseline.jpg"), "rb").read()
    open(os.path.join(bad, "truncated.jpg"), "wb").write(data[: len(data) // 2])
    open(os.path.join(bad, "text.jpg"), "w").write("this is not an image\n")
    open(os.path.join(bad, "junk.png"), "wb").write(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    # PNG whose header claims 100000x100000 (a decompression bomb): tiny file, huge canvas.
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    open(os.path.join(bad, "bomb.png"), "wb").write(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))
    zero = struct.pack(">IIBBBBB", 0, 10, 8, 2, 0, 0, 0)
    open(os.path.join(bad, "zero_width.png"), "wb").write(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", zero) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))
    png = open(os.path.join(good, "plain.png"), "rb").read()
    body = bytearray(png)
    for i in range(60, len(body) - 20):
        body[i] = (body[i] * 31 + 7) & 0xFF  # corrupt compressed data, keep the header
    open(os.path.join(bad, "corrupt_body.png"), "wb").write(bytes(body))
    # JPEG whose frame header claims 60000x60000.
    sof = data.find(b"\xff\xc0")
    huge = bytearray(data)
    huge[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    open(os.path.join(bad, "huge_header.jpg"), "wb").write(bytes(huge))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
    shutil.rmtree(out, ignore_errors=True)
    make_models(out)
    make_images(out)
    print(f"fixtures written to {out}")


if __name__ == "__main__":
    main()
