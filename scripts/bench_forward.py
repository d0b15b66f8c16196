#!/usr/bin/env python3
"""Times the pure forward pass of a skinscan model (TorchScript) on random inputs: the ceiling
any pipeline can reach. Prints ms per image at the given batch size and thread count.
Usage: /usr/bin/python3 scripts/bench_forward.py [--model models/ham10000-skinnet] [--batch 32] [--threads 2]
"""
import argparse
import json
import os
import time

import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--model", default=os.path.join(root, "models", "ham10000-skinnet"))
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--repeats", type=int, default=10)
args = ap.parse_args()
torch.set_num_threads(args.threads)
manifest = json.load(open(os.path.join(args.model, "manifest.json")))
model = torch.jit.load(os.path.join(args.model, "model.pt")).eval()
x = torch.randn(args.batch, 3, manifest["input"]["height"], manifest["input"]["width"])
with torch.inference_mode():
    for _ in range(2):
        model(x)
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - t)
times.sort()
median = times[len(times) // 2]
print(f"{manifest['name']}: batch {args.batch}, {args.threads} threads: median {1000 * median / args.batch:.1f} ms/image "
      f"({args.batch / median:.1f} images/s; best {1000 * times[0] / args.batch:.1f} ms/image)")
