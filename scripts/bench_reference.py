#!/usr/bin/env python3
"""Python side of scripts/bench.sh: what a researcher would write, on the same TorchScript model.

  throughput --model DIR --list FILE   torch.jit.load + PIL/torchvision transforms + DataLoader
                                       (2 workers, batch 32); prints images/s
  forward --model DIR [--optimize] [--batch N] [--threads N] [--streams S]   pure forward on
                                       pre-made tensors (the ceiling); prints images/s;
                                       --optimize applies torch.jit.optimize_for_inference, as skinscan does;
                                       --streams runs S passes at once on threads/S threads each
                                       (skinscan's forward streams), the rate summed
  classify-one --model DIR --image F   one image, start to finish (for cold-start timing)
  make-large --list FILE --count N --out DIR   600x450 JPEGs upscaled from the listed images
"""
import argparse
import json
import os
import sys
import time


def load(model_dir):
    import torch
    manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
    return torch.jit.load(os.path.join(model_dir, "model.pt")).eval(), manifest


def shades_of_gray_transform(p):
    """PIL image -> 3 x H x W float tensor in 0-1 after Shades of Gray with norm p (the model's
    declared colour constancy, computed as training/skintrain/color_constancy.py does for training)."""
    import numpy as np
    import torch
    from torchvision import transforms
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
    from skintrain.color_constancy import shades_of_gray_numpy

    def balance(image):
        balanced = shades_of_gray_numpy(np.asarray(image, dtype=np.float32), p)
        return torch.from_numpy(balanced.astype(np.float32) / 255.0).permute(2, 0, 1)
    return transforms.Lambda(balance)


def transform_for(manifest):
    from torchvision import transforms
    i = manifest["input"]
    cc = i.get("color_constancy")
    to_tensor = shades_of_gray_transform(cc["p"]) if cc else transforms.ToTensor()
    return transforms.Compose([transforms.Resize((i["height"], i["width"])), to_tensor,
                               transforms.Normalize(i["mean"], i["std"])])


class Images:
    def __init__(self, paths, transform):
        self.paths, self.transform = paths, transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        from PIL import Image
        with Image.open(self.paths[i]) as im:
            return self.transform(im.convert("RGB"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["throughput", "forward", "classify-one", "make-large"])
    ap.add_argument("--model")
    ap.add_argument("--list")
    ap.add_argument("--image")
    ap.add_argument("--out")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--optimize", action="store_true")
    ap.add_argument("--streams", type=int, default=1)
    args = ap.parse_args()

    if args.mode == "make-large":
        from PIL import Image
        os.makedirs(args.out, exist_ok=True)
        paths = [p.strip() for p in open(args.list)][: args.count]
        for p in paths:
            Image.open(p).convert("RGB").resize((600, 450), Image.BICUBIC).save(
                os.path.join(args.out, os.path.basename(p)), quality=90)
        return

    import torch
    # With streams, each gets its share of the threads, set before the model is optimised (the
    # optimised convolutions keep the count in effect then).
    torch.set_num_threads(max(1, args.threads // args.streams))
    model, manifest = load(args.model)
    if args.mode == "classify-one":
        from PIL import Image
        x = transform_for(manifest)(Image.open(args.image).convert("RGB")).unsqueeze(0)
        with torch.inference_mode():
            p = torch.softmax(model(x) / manifest["output"].get("temperature", 1.0), 1)[0]
        print(manifest["labels"][int(p.argmax())], float(p.max()))
        return
    if args.mode == "forward":
        if args.optimize:
            model = torch.jit.optimize_for_inference(model)
        import threading
        x = torch.randn(args.batch, 3, manifest["input"]["height"], manifest["input"]["width"])
        reps = max(4, 320 // args.batch)
        start = threading.Barrier(args.streams + 1)

        def stream():
            torch.set_num_threads(max(1, args.threads // args.streams))  # this thread's OpenMP count
            with torch.inference_mode():
                for _ in range(2):
                    model(x)
                start.wait()
                for _ in range(reps):
                    model(x)
        threads = [threading.Thread(target=stream) for _ in range(args.streams)]
        for t in threads:
            t.start()
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        print(f"{args.streams * reps * args.batch / (time.perf_counter() - t0):.2f}")
        return
    paths = [p.strip() for p in open(args.list) if p.strip()]
    loader = torch.utils.data.DataLoader(Images(paths, transform_for(manifest)), batch_size=32, num_workers=2)
    t = time.perf_counter()
    n = 0
    with torch.inference_mode():
        for x in loader:
            torch.softmax(model(x), 1)
            n += len(x)
    print(f"{n / (time.perf_counter() - t):.2f}")


if __name__ == "__main__":
    sys.exit(main())
