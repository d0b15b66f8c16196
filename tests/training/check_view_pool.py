#!/usr/bin/env python3
"""Unit checks of training/skintrain/view_pool.py: allotment, drawing, that pooled features are exactly the
frozen blocks' output on the same views, and that the disk cache is reused only for the same key."""
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
from skintrain import view_pool  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL: {what}")


# Allotment follows draw probability, gives every image a view, and roughly meets the total.
p = torch.tensor([1.0, 1.0, 4.0, 0.01])
counts = view_pool.allot_views(p, 12)
check(counts.tolist() == [2, 2, 8, 1], f"allot_views {counts.tolist()}")

# Draws stay within each image's own views and reach all of them.
start, counts = torch.tensor([0, 2, 10]), torch.tensor([2, 8, 1])
gen = torch.Generator().manual_seed(0)
idx = torch.tensor([0, 1, 2] * 2000)
v = view_pool.draw(start, counts, idx, gen)
check(bool(((v >= start[idx]) & (v < start[idx] + counts[idx])).all()), "draw outside an image's views")
check(set(v[idx == 1].tolist()) == set(range(2, 10)), "draw misses some views of image 1")

# Pooled features are the frozen blocks' output on the same views (float16 rounding only).
torch.manual_seed(0)
frozen = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.ReLU()).eval()
x = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)


def make_view(xb, g):
    return xb.float() / 255 + torch.rand(len(xb), 1, 1, 1, generator=g)


counts = torch.tensor([1, 3, 1, 2, 1])
features, start, got_counts = view_pool.build(frozen, x, counts, make_view, seed=7, batch=3, log=lambda m: None)
check(features.shape == (8, 4, 7, 7) and features.dtype == torch.float16, f"pool shape {tuple(features.shape)}")
owner = torch.repeat_interleave(torch.arange(5), counts)
g = torch.Generator().manual_seed(7)
expected = torch.cat([frozen(make_view(x[owner[i:i + 3]], g)) for i in range(0, 8, 3)]).detach()
err = (features.float() - expected).abs().max().item()
check(err < 2e-3 * max(1.0, expected.abs().max().item()), f"pooled features differ by {err}")
check(start.tolist() == [0, 1, 4, 5, 7] and torch.equal(got_counts, counts), "start/counts")

# The cache is reused for the same key and rebuilt for another.
calls = []


def args():
    calls.append(1)
    return dict(frozen=frozen, xtr=x, counts=counts, make_view=make_view, seed=7, log=lambda m: None)


with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "pool.pt")
    a = view_pool.load_or_build(path, "k1", args)
    b = view_pool.load_or_build(path, "k1", args)
    check(len(calls) == 1 and torch.equal(a[0], b[0]), "same key: pool not reused")
    view_pool.load_or_build(path, "k2", args)
    check(len(calls) == 2, "other key: pool not rebuilt")
print("view pool checks passed")
