#!/usr/bin/env python3
"""Convert Google's quantised ImageNet MobileNetV2 (TensorFlow Lite flatbuffer, Apache-2.0) to
torchvision's `mobilenet_v2` parameter names, as a .npz of float32 arrays for train.py --init.

The flatbuffer is read with the standard library (a flatbuffer is offsets into one byte string;
only the handful of TFLite schema fields below are needed). Each of the 52 convolutions carries
its batch norm folded in, so the converted batch-norm layers start as the identity (weight 1,
bias = the folded bias, mean 0, variance 1 - eps) and fine-tuning can learn them again. Weights
are dequantised as (q - zero_point) * scale; biases are int32 with their own scale.

    ${PYTHON:-/usr/bin/python3} training/convert_tflite_mobilenet_v2.py \
        ../shared/weights/mobilenet_v2_1.0_224_quant.tflite --out runs/mobilenet_v2_tflite.npz \
        --check ../shared/weights/check-images

`--check DIR` classifies the check images with the converted network (ImageNet classifier kept,
TF "SAME" padding, input (x - 128) / 128, resize 256 + centre crop 224) and fails unless each
gets the class the weights README gives. Only `features_.*` is written: the ImageNet classifier
serves the check, and train.py's head starts at random.
"""
import argparse
import os
import struct
import sys

import numpy as np

# TFLite schema (tensorflow/lite/schema/schema.fbs): field numbers of the tables read here.
MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_BUFFERS = 1, 2, 4
SUBGRAPH_TENSORS, SUBGRAPH_OPERATORS = 0, 3
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME, TENSOR_QUANTIZATION = 0, 1, 2, 3, 4
QUANT_SCALE, QUANT_ZERO_POINT = 2, 3
OPERATOR_OPCODE_INDEX, OPERATOR_INPUTS = 0, 1
OPCODE_DEPRECATED_BUILTIN, OPCODE_BUILTIN = 0, 3
BUFFER_DATA = 0
CONV_2D, DEPTHWISE_CONV_2D = 3, 4
TYPE_INT32, TYPE_UINT8 = 2, 3
EXPECTED = {"cat.bmp": "Egyptian cat", "bird.bmp": "chickadee", "parrot.jpg": "macaw",
            "hot_dog.jpg": "hotdog", "dragonfly.bmp": "dragonfly"}


class Table:
    """One flatbuffer table: fields looked up through its vtable."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        self.vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vtable_size = struct.unpack_from("<H", buf, self.vtable)[0]

    def _field(self, n):
        at = 4 + 2 * n
        if at >= self.vtable_size:
            return None
        off = struct.unpack_from("<H", self.buf, self.vtable + at)[0]
        return self.pos + off if off else None

    def scalar(self, n, fmt, default=0):
        p = self._field(n)
        return default if p is None else struct.unpack_from("<" + fmt, self.buf, p)[0]

    def _target(self, n):
        p = self._field(n)
        return None if p is None else p + struct.unpack_from("<I", self.buf, p)[0]

    def vector(self, n, fmt):
        """A vector of scalars as a numpy array (empty when absent)."""
        p = self._target(n)
        if p is None:
            return np.zeros(0, dtype=np.dtype("<" + fmt))
        length = struct.unpack_from("<I", self.buf, p)[0]
        return np.frombuffer(self.buf, dtype=np.dtype("<" + fmt), count=length, offset=p + 4)

    def tables(self, n):
        p = self._target(n)
        if p is None:
            return []
        length = struct.unpack_from("<I", self.buf, p)[0]
        items = []
        for i in range(length):
            e = p + 4 + 4 * i
            items.append(Table(self.buf, e + struct.unpack_from("<I", self.buf, e)[0]))
        return items

    def table(self, n):
        p = self._target(n)
        return None if p is None else Table(self.buf, p)

    def string(self, n):
        p = self._target(n)
        if p is None:
            return ""
        length = struct.unpack_from("<I", self.buf, p)[0]
        return self.buf[p + 4:p + 4 + length].decode()


def read_convolutions(path):
    """The graph's CONV_2D / DEPTHWISE_CONV_2D ops in order: (op, name, float weight, float bias)."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[4:8] != b"TFL3":
        raise SystemExit(f"{path}: not a TensorFlow Lite flatbuffer (identifier {buf[4:8]!r})")
    model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    codes = [max(c.scalar(OPCODE_DEPRECATED_BUILTIN, "b"), c.scalar(OPCODE_BUILTIN, "i"))
             for c in model.tables(MODEL_OPERATOR_CODES)]
    buffers = model.tables(MODEL_BUFFERS)
    subgraphs = model.tables(MODEL_SUBGRAPHS)
    if len(subgraphs) != 1:
        raise SystemExit(f"{path}: expected one subgraph, found {len(subgraphs)}")
    tensors = subgraphs[0].tables(SUBGRAPH_TENSORS)

    def dequantised(index, expected_type):
        t = tensors[index]
        kind = t.scalar(TENSOR_TYPE, "b")
        if kind != expected_type:
            raise SystemExit(f"{t.string(TENSOR_NAME)}: tensor type {kind}, expected {expected_type}")
        q = t.table(TENSOR_QUANTIZATION)
        scale, zero = q.vector(QUANT_SCALE, "f"), q.vector(QUANT_ZERO_POINT, "q")
        if scale.size != 1:
            raise SystemExit(f"{t.string(TENSOR_NAME)}: expected one scale per tensor, found {scale.size}")
        shape = tuple(int(s) for s in t.vector(TENSOR_SHAPE, "i"))
        raw = buffers[t.scalar(TENSOR_BUFFER, "I")].vector(BUFFER_DATA, "B")
        values = np.frombuffer(raw.tobytes(), dtype=np.uint8 if kind == TYPE_UINT8 else np.int32)
        values = (values.astype(np.float64) - (zero[0] if zero.size else 0)) * float(scale[0])
        return t.string(TENSOR_NAME), values.reshape(shape).astype(np.float32)

    convs = []
    for op in subgraphs[0].tables(SUBGRAPH_OPERATORS):
        code = codes[op.scalar(OPERATOR_OPCODE_INDEX, "I")]
        if code not in (CONV_2D, DEPTHWISE_CONV_2D):
            continue
        _, weight_index, bias_index = (int(i) for i in op.vector(OPERATOR_INPUTS, "i"))
        name, weight = dequantised(weight_index, TYPE_UINT8)
        _, bias = dequantised(bias_index, TYPE_INT32)
        convs.append((code, name, weight, bias))
    return convs


def torch_names():
    """torchvision mobilenet_v2 conv/bn name pairs in graph order, with each conv's kind."""
    pairs = [("features.0.0", "features.0.1", "conv")]
    pairs += [("features.1.conv.0.0", "features.1.conv.0.1", "dw"), ("features.1.conv.1", "features.1.conv.2", "conv")]
    for i in range(2, 18):
        p = f"features.{i}.conv"
        pairs += [(f"{p}.0.0", f"{p}.0.1", "conv"), (f"{p}.1.0", f"{p}.1.1", "dw"), (f"{p}.2", f"{p}.3", "conv")]
    pairs.append(("features.18.0", "features.18.1", "conv"))
    return pairs


def convert(convs, eps=1e-3):
    pairs = torch_names()
    if len(convs) != len(pairs) + 1:
        raise SystemExit(f"expected {len(pairs) + 1} convolutions (52 + classifier), found {len(convs)}")
    out = {}
    for (code, name, weight, bias), (conv, bn, kind) in zip(convs, pairs):
        if (code == DEPTHWISE_CONV_2D) != (kind == "dw"):
            raise SystemExit(f"{name}: op {code} where torchvision has a {kind} convolution ({conv})")
        # CONV_2D is OHWI -> OIHW; DEPTHWISE_CONV_2D is [1, kh, kw, C] -> [C, 1, kh, kw].
        w = weight.transpose(0, 3, 1, 2) if kind == "conv" else weight.transpose(3, 0, 1, 2)
        out[f"features_.{conv[len('features.'):]}.weight"] = np.ascontiguousarray(w)
        prefix = f"features_.{bn[len('features.'):]}"
        channels = w.shape[0]
        out[f"{prefix}.weight"] = np.ones(channels, np.float32)
        out[f"{prefix}.bias"] = bias.astype(np.float32)
        out[f"{prefix}.running_mean"] = np.zeros(channels, np.float32)
        out[f"{prefix}.running_var"] = np.full(channels, 1 - eps, np.float32)
    _, name, weight, bias = convs[-1]
    if weight.shape[0] != 1001:
        raise SystemExit(f"{name}: classifier with {weight.shape[0]} outputs, expected 1001")
    out["imagenet_fc.weight"] = np.ascontiguousarray(weight.reshape(1001, -1)[1:])  # drop "background"
    out["imagenet_fc.bias"] = bias[1:].astype(np.float32)
    return out


def check(weights, folder, labels_path):
    import torch
    from PIL import Image
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from skintrain.mobilenet import SkinMobileNetV2
    model = SkinMobileNetV2(num_classes=1000)
    state = {k: torch.from_numpy(v) for k, v in weights.items() if k.startswith("features_.")}
    state["fc.weight"] = torch.from_numpy(weights["imagenet_fc.weight"])
    state["fc.bias"] = torch.from_numpy(weights["imagenet_fc.bias"])
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit(f"layout mismatch: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model.eval()
    with open(labels_path) as f:
        # line 0 is TF's background class; a line lists synonyms ("hotdog, hot dog, red hot")
        labels = [line.split(",")[0].strip() for line in f][1:]
    failures = 0
    for name, expected in EXPECTED.items():
        img = Image.open(os.path.join(folder, name)).convert("RGB")
        scale = 256 / min(img.size)
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
        left, top = (img.width - 224) // 2, (img.height - 224) // 2
        img = img.crop((left, top, left + 224, top + 224))
        x = (torch.from_numpy(np.asarray(img, np.float32)).permute(2, 0, 1)[None] - 128) / 128
        with torch.no_grad():
            p = torch.softmax(model(x), 1)[0]
        best = int(p.argmax())
        ok = labels[best] == expected
        failures += not ok
        print(f"{name}: {labels[best]} ({p[best]:.2f}){'' if ok else f', expected {expected}'}")
    if failures:
        raise SystemExit(f"{failures} check image(s) misclassified: layout or padding bug")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tflite", help="mobilenet_v2_1.0_224_quant.tflite")
    ap.add_argument("--out", required=True, help="output .npz (torchvision names under features_.)")
    ap.add_argument("--check", default="", help="folder of check images (and imagenet_labels.txt beside it)")
    args = ap.parse_args()
    weights = convert(read_convolutions(args.tflite))
    if args.check:
        check(weights, args.check, os.path.join(os.path.dirname(os.path.abspath(args.check)), "imagenet_labels.txt"))
    features = {k: v for k, v in weights.items() if k.startswith("features_.")}
    np.savez(args.out, **features)
    print(f"{args.out}: {len(features)} tensors, {sum(v.size for v in features.values()):,} values")


if __name__ == "__main__":
    main()
