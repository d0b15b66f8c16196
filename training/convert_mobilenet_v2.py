#!/usr/bin/env python3
"""Convert the Keras MobileNetV2 (alpha 1.0, 224 px) shipped in the npm package nsfwjs 4.4.0 (MIT)
to torchvision's `mobilenet_v2` parameter names, as a .npz of float32 arrays for train.py --init.

The package holds the TF.js model as two JavaScript modules: the model.json as a literal and
the weight shard as a base64 string, every tensor uint8-quantised (value = q * scale + min).
Only Keras blocks up to `Conv_1` are converted; the package's own top (retrained on non-medical
photos) is dropped. Which blocks still carry ImageNet weights is the user's choice at training
time (train.py --freeze / --reinit-from).

    npm pack nsfwjs@4.4.0 && tar xzf nsfwjs-4.4.0.tgz      # fetched when training, never committed
    ${PYTHON:-/usr/bin/python3} training/convert_mobilenet_v2.py package/dist/models/mobilenet_v2 \
        --out runs/mobilenet_v2_imagenet.npz

Needs `node` (to evaluate the two modules) and numpy.
"""
import argparse
import base64
import json
import os
import subprocess
import sys

import numpy as np

DUMP_JS = r"""
const dir = process.argv[1];
const model = require(dir + "/model.min.js");
const shard = require(dir + "/group1-shard1of1.min.js");
process.stdout.write(JSON.stringify({manifest: model.weightsManifest, shard: shard}));
"""

# torchvision features index -> Keras block name (features.1 is the expansion-free block).
KERAS_BLOCK = {1: "expanded_conv", **{i: f"block_{i - 1}" for i in range(2, 18)}}


def load_package(folder):
    out = subprocess.run(["node", "-e", DUMP_JS, os.path.abspath(folder)], check=True,
                         capture_output=True, text=True).stdout
    data = json.loads(out)
    raw = np.frombuffer(base64.b64decode(data["shard"]), dtype=np.uint8)
    tensors, offset = {}, 0
    for group in data["manifest"]:
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if not q or q["dtype"] != "uint8":
                raise SystemExit(f"{w['name']}: expected uint8 quantisation, got {q}")
            values = raw[offset:offset + n].astype(np.float64) * q["scale"] + q["min"]
            offset += n
            tensors[w["name"]] = values.reshape(w["shape"]).astype(np.float32)
    if offset != raw.size:
        raise SystemExit(f"weight shard has {raw.size} bytes, manifest describes {offset}")
    return tensors


def conv(k):   # Keras [kh, kw, in, out] -> torch [out, in, kh, kw]
    return k.transpose(3, 2, 0, 1)


def depthwise(k):  # Keras [kh, kw, in, 1] -> torch [in, 1, kh, kw]
    return k.transpose(2, 3, 0, 1)


def bn(tensors, keras, torch_prefix, out):
    out[f"{torch_prefix}.weight"] = tensors[f"{keras}/gamma"]
    out[f"{torch_prefix}.bias"] = tensors[f"{keras}/beta"]
    out[f"{torch_prefix}.running_mean"] = tensors[f"{keras}/moving_mean"]
    out[f"{torch_prefix}.running_var"] = tensors[f"{keras}/moving_variance"]


def convert(tensors):
    out = {}
    out["features.0.0.weight"] = conv(tensors["Conv1/kernel"])
    bn(tensors, "bn_Conv1", "features.0.1", out)
    for i, name in KERAS_BLOCK.items():
        p = f"features.{i}.conv"
        if i == 1:
            out[f"{p}.0.0.weight"] = depthwise(tensors[f"{name}_depthwise/depthwise_kernel"])
            bn(tensors, f"{name}_depthwise_BN", f"{p}.0.1", out)
            out[f"{p}.1.weight"] = conv(tensors[f"{name}_project/kernel"])
            bn(tensors, f"{name}_project_BN", f"{p}.2", out)
        else:
            out[f"{p}.0.0.weight"] = conv(tensors[f"{name}_expand/kernel"])
            bn(tensors, f"{name}_expand_BN", f"{p}.0.1", out)
            out[f"{p}.1.0.weight"] = depthwise(tensors[f"{name}_depthwise/depthwise_kernel"])
            bn(tensors, f"{name}_depthwise_BN", f"{p}.1.1", out)
            out[f"{p}.2.weight"] = conv(tensors[f"{name}_project/kernel"])
            bn(tensors, f"{name}_project_BN", f"{p}.3", out)
    out["features.18.0.weight"] = conv(tensors["Conv_1/kernel"])
    bn(tensors, "Conv_1_bn", "features.18.1", out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package_dir", help="nsfwjs's dist/models/mobilenet_v2 folder")
    ap.add_argument("--out", required=True, help="output .npz (torchvision names under features_.)")
    args = ap.parse_args()
    weights = convert(load_package(args.package_dir))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch
    from skintrain.mobilenet import SkinMobileNetV2
    model = SkinMobileNetV2()
    state = {("features_." + k[len("features."):]): torch.from_numpy(np.ascontiguousarray(v))
             for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("fc.") and not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit(f"layout mismatch: missing {missing[:5]}, unexpected {unexpected[:5]}")
    np.savez(args.out, **{k: v.numpy() for k, v in state.items()})
    print(f"{args.out}: {len(state)} tensors, {sum(v.numel() for v in state.values()):,} values")


if __name__ == "__main__":
    main()
