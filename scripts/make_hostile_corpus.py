#!/usr/bin/env python3
"""Generate a corpus of hostile and unusual inputs (60+ entries) under OUT/nv/ so it works both
as a folder for `skinscan batch` and as an ImageFolder dataset for `skinscan evaluate`.
Writes OUT/expected.json: {relative path: "ok" | "error"} for every entry that must appear in
the output (as a result or as an error record). Entries that are not files to classify (the
symlink loop) are not listed.

Usage: /usr/bin/python3 scripts/make_hostile_corpus.py OUT
"""
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
from PIL import Image


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, raw_rows, bit_depth=8, colour_type=2):
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw_rows)) + chunk(b"IEND", b"")


def main():
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    d = os.path.join(out, "nv")
    os.makedirs(d)
    expected = {}
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:150, 0:200]
    base = Image.fromarray(np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8))

    def save(name, status, image=None, data=None, **kw):
        path = os.path.join(d, name)
        if image is not None:
            image.save(path, **kw)
        elif data is not None:
            open(path, "wb").write(data)
        expected["nv/" + name] = status
        return path

    # Real images in every container and pixel format: all must be classified.
    save("baseline.jpg", "ok", base, quality=90)
    save("progressive.jpg", "ok", base, quality=90, progressive=True)
    save("optimized.jpg", "ok", base, quality=75, optimize=True)
    save("rgb.png", "ok", base)
    save("grey.png", "ok", base.convert("L"))
    save("grey_alpha.png", "ok", base.convert("LA"))
    save("rgba.png", "ok", base.convert("RGBA"))
    save("palette.png", "ok", base.convert("P"))
    pal = base.convert("P")
    pal.info["transparency"] = 0
    save("palette_transparent.png", "ok", pal)
    save("bilevel.png", "ok", base.convert("1"))
    save("grey16.png", "ok", Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257))
    rows16 = b"".join(b"\0" + (np.asarray(base)[y].astype(">u2") * 257).tobytes() for y in range(150))
    save("rgb16.png", "ok", data=png(200, 150, rows16, bit_depth=16))
    save("grey.jpg", "ok", base.convert("L"), quality=90)
    save("cmyk.jpg", "ok", base.convert("CMYK"), quality=90)
    for orientation in range(2, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        save(f"exif_orientation_{orientation}.jpg", "ok", base, quality=90, exif=exif)
    save("bmp24.bmp", "ok", base)
    save("bmp8.bmp", "ok", base.convert("P"))
    save("bmp1.bmp", "ok", base.convert("1"))
    save("tiff.tif", "ok", base)
    save("tiff_lzw.tiff", "ok", base, compression="tiff_lzw")
    save("tiff_grey16.tif", "ok", Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257))
    save("lossy.webp", "ok", base, quality=80)
    save("lossless.webp", "ok", base, lossless=True)
    save("portable.ppm", "ok", base)
    save("portable.pgm", "ok", base.convert("L"))
    save("one_pixel.png", "ok", Image.new("RGB", (1, 1), (200, 100, 50)))
    save("one_pixel.jpg", "ok", Image.new("RGB", (1, 1), (200, 100, 50)))
    save("thin_2x4000.png", "ok", Image.new("RGB", (2, 4000), (90, 60, 30)))
    save("wide_8192x2.png", "ok", Image.new("RGB", (8192, 2), (90, 60, 30)))
    save("png_named.jpg", "ok", base, format="PNG")
    save("jpeg_named.png", "ok", base, format="JPEG")
    save("no_extension", "ok", base, format="JPEG")
    save("name with spaces, commas and 'quotes'.jpg", "ok", base, format="JPEG")
    save(b"non-utf8-\xff\xfe.jpg".decode("utf-8", "surrogateescape"), "ok", base, format="JPEG")

    good = open(os.path.join(d, "baseline.jpg"), "rb").read()
    good_png = open(os.path.join(d, "rgb.png"), "rb").read()
    # Broken, hostile or unsupported: each must become an error record.
    save("empty.jpg", "error", data=b"")
    save("magic_only.jpg", "error", data=b"\xff\xd8\xff")
    save("truncated_half.jpg", "error", data=good[: len(good) // 2])
    save("truncated_header.jpg", "error", data=good[:40])
    save("truncated_half.png", "error", data=good_png[: len(good_png) // 2])
    save("truncated_header.png", "error", data=good_png[:20])
    body = bytearray(good_png)
    for i in range(60, len(body) - 20):
        body[i] ^= 0x5A
    save("corrupt_body.png", "error", data=bytes(body))
    save("text.jpg", "error", data=b"not an image at all\n" * 10)
    save("html.png", "error", data=b"<!DOCTYPE html><html><body>404</body></html>")
    save("pdf.jpg", "error", data=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    save("random.bmp", "error", data=rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    save("random.webp", "error", data=b"RIFF\x10\x00\x00\x00WEBPVP8 " + rng.integers(0, 256, 64, dtype=np.uint8).tobytes())
    save("gif_unsupported.gif", "error", base.convert("P"), format="GIF")
    save("jpeg_without_frame.jpg", "error", data=b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")
    save("bomb_100000.png", "error", data=png(100000, 100000, b"\0" * 1024))
    save("bomb_png_2e9.png", "error", data=png(2 ** 31 - 1, 2 ** 31 - 1, b"\0" * 16))
    sof = good.find(b"\xff\xc0")
    huge = bytearray(good)
    huge[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    save("bomb_60000.jpg", "error", data=bytes(huge))
    zero = bytearray(good)
    zero[sof + 5:sof + 9] = struct.pack(">HH", 0, 0)
    save("zero_size.jpg", "error", data=bytes(zero))
    bmp = bytearray(open(os.path.join(d, "bmp24.bmp"), "rb").read())
    bomb_bmp = bytearray(bmp)
    bomb_bmp[18:26] = struct.pack("<ii", 100000, 100000)
    save("bomb.bmp", "error", data=bytes(bomb_bmp))
    neg = bytearray(bmp)
    neg[18:22] = struct.pack("<i", -200)
    save("negative_width.bmp", "error", data=bytes(neg))
    save("zero_width.png", "error", data=png(0, 10, b"\0" * 10))
    tif = bytearray(open(os.path.join(d, "tiff.tif"), "rb").read())
    # Rewrite the ImageWidth/ImageLength values in the first IFD to 100000.
    little = tif[:2] == b"II"
    fmt16, fmt32 = ("<H", "<I") if little else (">H", ">I")
    ifd = struct.unpack(fmt32, tif[4:8])[0]
    for e in range(struct.unpack(fmt16, tif[ifd:ifd + 2])[0]):
        o = ifd + 2 + e * 12
        tag, typ = struct.unpack(fmt16, tif[o:o + 2])[0], struct.unpack(fmt16, tif[o + 2:o + 4])[0]
        if tag in (256, 257):
            tif[o + 2:o + 4] = struct.pack(fmt16, 4)
            tif[o + 8:o + 12] = struct.pack(fmt32, 100000)
    save("bomb.tif", "error", data=bytes(tif))
    save("bomb.webp", "error", data=b"RIFF\x30\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00" +
         struct.pack("<I", 16383)[:3] + struct.pack("<I", 16383)[:3] + b"\0" * 16)
    big = save("oversized_21mb.jpg", "error", data=good)
    with open(big, "r+b") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: cheap on disk, over the 20 MB default limit

    # Not regular files.
    os.mkdir(os.path.join(d, "directory.jpg"))  # a directory: walked into, it holds one image
    save("directory.jpg/inside.jpg", "ok", base, quality=90)
    os.mkfifo(os.path.join(d, "fifo.jpg"))
    expected["nv/fifo.jpg"] = "error"
    os.symlink("does-not-exist.jpg", os.path.join(d, "dangling.jpg"))
    expected["nv/dangling.jpg"] = "error"
    os.symlink(".", os.path.join(d, "loop"))  # a symlink loop: must not be followed
    os.symlink("baseline.jpg", os.path.join(d, "link_to_baseline.jpg"))
    expected["nv/link_to_baseline.jpg"] = "ok"
    p = save("unreadable.jpg", "ok" if os.geteuid() == 0 else "error", base, format="JPEG")
    os.chmod(p, 0)  # root can still read it

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=True)
    print(f"{len(expected)} entries ({sum(v == 'error' for v in expected.values())} must fail) in {out}")


if __name__ == "__main__":
    main()
