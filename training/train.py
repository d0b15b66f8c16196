#!/usr/bin/env python3
"""Train a skin-lesion classifier on HAM10000 (CPU or GPU), resumable, deterministic given the seed.

Architectures: SkinNet from scratch (`--arch skinnet`) or MobileNetV2 (`--arch mobilenet_v2`),
optionally warm-started from converted ImageNet weights (`--init`, see convert_mobilenet_v2.py)
with its first blocks frozen (`--freeze`). `--color-constancy shades_of_gray` normalises every
image's illuminant (as skinscan does at inference when the manifest asks for it);
`--aug shift` adds acquisition-shift augmentation (white balance, gamma, saturation/hue,
blur/sharpening, vignetting); `--artefacts P` draws hairs, a ruler and a dermoscope's black
round frame, each on a share P of the training views (skintrain/artefacts.py). `--holdout-source` leaves
one image source (the metadata's `dataset` column) out of training and validates on it, a
stand-in for an unseen clinic.
`--view-pool` (with `--freeze`) trains on a cached pool of augmented views passed once through
the frozen blocks: faster epochs, less augmentation diversity (skintrain/view_pool.py).
`--distill CACHE` adds knowledge distillation from a teacher model whose logits on the training
images teacher.py cached: the loss is (1 - w) * label cross-entropy + w * T^2 * KL(teacher ||
student) at temperature T (`--distill-weight`, `--distill-temperature`).

All images are decoded once and kept in memory as uint8; augmentation runs batched on the
training device (one affine warp + colour jitter per batch), so an epoch costs forward +
backward only. Logs one JSON line per epoch (train loss, val accuracy, val balanced
accuracy) to OUT/log.jsonl and to stdout; checkpoints OUT/checkpoint.pt after every epoch.


Smoke test:  ${PYTHON:-/usr/bin/python3} training/train.py --epochs 1 --limit 64 --out /tmp/smoke
Full run:    see models/ham10000-skinnet/MODEL_CARD.md for the exact command.
"""
import argparse
import csv
import hashlib
import json
import math
import os
import sys
import time
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skintrain import view_pool  # noqa: E402
from skintrain.augment import augment, class_prior, cutmix, draw_weights, normalise  # noqa: E402
from skintrain.data import load_images, split_ids  # noqa: E402
from skintrain.distill import distillation_loss, load_cache  # noqa: E402
from skintrain.labels import LABELS, NORMALISATION  # noqa: E402
from skintrain.models import build_model  # noqa: E402
from skintrain.trainer import EMA, autocast, evaluate, reestimate_batch_norm_init  # noqa: E402


def parse_args():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_argument_group("data")
    g.add_argument("--data", default=os.path.join(root, "..", "shared", "datasets", "ham10000"),
                   help="folder with HAM10000_metadata.csv and HAM10000_images/ (default: %(default)s)")
    g.add_argument("--images", default=None, help="image folder (default: DATA/HAM10000_images)")
    g.add_argument("--splits", default=os.path.join(root, "datasets", "splits"))
    g.add_argument("--limit", type=int, default=0, help="use only N train and N val images (smoke test)")
    g.add_argument("--holdout-source", default="",
                   help="leave this source (metadata `dataset` column) out of training; validate on its "
                        "train+val images (leave-one-source-out)")
    g = ap.add_argument_group("model and recipe")
    g.add_argument("--arch", choices=["skinnet", "mobilenet_v2"], default="skinnet")
    g.add_argument("--init", default="", help=".npz of initial weights (e.g. convert_mobilenet_v2.py output)")
    g.add_argument("--bn-init", choices=["file", "data"], default="file",
                   help="batch-norm statistics after --init: as in the file, or re-estimated on training views "
                        "with the network's function kept (for weights whose batch norm was folded away, e.g. "
                        "the TFLite conversion's identity layers, which training mode would otherwise rescale)")
    g.add_argument("--freeze", type=int, default=0,
                   help="mobilenet_v2: keep features.0..N-1 frozen (weights and batch-norm statistics)")
    g.add_argument("--color-constancy", choices=["none", "shades_of_gray"], default="none",
                   help="Shades of Gray (Minkowski p=6) illuminant normalisation of every image")
    g.add_argument("--size", type=int, default=224, help="input size (default: %(default)s)")
    g.add_argument("--epochs", type=int, default=120)
    g.add_argument("--batch-size", type=int, default=64)
    g.add_argument("--lr", type=float, default=2e-3)
    g.add_argument("--wd", type=float, default=0.05)
    g.add_argument("--warmup", type=float, default=3, help="warm-up epochs")
    g.add_argument("--cosine-epochs", type=float, default=0,
                   help="length of the half-cosine lr decay (default: --epochs); when shorter than "
                        "--epochs the cosine continues past its end and the lr rises again")
    g.add_argument("--label-smoothing", type=float, default=0.1)
    g.add_argument("--class-weight", choices=["none", "sqrt", "inv"], default="sqrt",
                   help="loss weights from inverse class frequency (default: %(default)s)")
    g.add_argument("--logit-adjust", type=float, default=0.0, metavar="TAU",
                   help="logit-adjusted loss (Menon et al., ICLR 2021): cross-entropy of logits + TAU * "
                        "log(class prior the sampler draws); the exported model's logits are unadjusted "
                        "(default: off)")
    g.add_argument("--sampler", choices=["uniform", "balanced"], default="uniform",
                   help="balanced: draw samples with probability 1/sqrt(class frequency)")
    g.add_argument("--aug", choices=["strong", "flips", "shift"], default="strong",
                   help="shift: strong + acquisition-shift (white balance, gamma, hue, blur, vignetting)")
    g.add_argument("--zoom", type=float, nargs=2, default=[0.6, 1.1], metavar=("LO", "HI"),
                   help="range of the fraction of the image side a training view samples (magnification; "
                        "default: %(default)s)")
    g.add_argument("--amp-mix", type=float, default=0.0,
                   help="probability of Fourier amplitude mixing with another image of the batch "
                        "(style mixing across sources; default: off)")
    g.add_argument("--artefacts", type=float, default=0.0,
                   help="probability of each dermoscopy artefact per training view: hairs, a ruler, a "
                        "black round frame (artefacts.py; default: off)")
    g.add_argument("--cutmix", type=float, default=0.0,
                   help="probability that a batch gets CutMix (a box from a shuffled copy, area ~ U(0,1))")
    g.add_argument("--distill", default="", metavar="CACHE",
                   help="teacher logits cached by teacher.py: knowledge distillation from that teacher")
    g.add_argument("--distill-weight", type=float, default=0.5,
                   help="share of the loss given to distillation, the rest to the labels (default: %(default)s)")
    g.add_argument("--distill-temperature", type=float, default=2.0,
                   help="softening temperature of teacher and student distributions (default: %(default)s)")
    g.add_argument("--ema", type=float, default=0.999, help="EMA decay of weights, 0 disables")
    g.add_argument("--view-pool", type=float, default=0,
                   help="with --freeze: train on a fixed pool of this many augmented views per training "
                        "image, passed once through the frozen blocks (see view_pool.py); 0: fresh "
                        "augmentation every step")
    g.add_argument("--pool-seed", type=int, default=0, help="seed of the view pool (shared across runs)")
    g.add_argument("--pool-cache", default="", help="file to keep the view pool in and reuse it from")
    g.add_argument("--seed", type=int, default=0)
    g = ap.add_argument_group("runtime")
    g.add_argument("--device", default="auto")
    g.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    g.add_argument("--time-budget", type=float, default=0,
                   help="seconds: after epoch 2, shorten --epochs so the run fits (schedule rescaled)")
    g.add_argument("--out", required=True, help="output folder (checkpoint, log, weights)")
    g.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    return ap.parse_args()


def training_view(args, x, gen):
    """The recipe's augmentation of a uint8 batch, normalised for the model."""
    return normalise(augment(x, args.size, args.aug != "flips", gen, shift=args.aug == "shift",
                             color_constancy=args.color_constancy, amp_mix=args.amp_mix, zoom=tuple(args.zoom),
                             artefacts=args.artefacts), *NORMALISATION[args.arch])


def validate(args, model, data, device, tta=False, groups=True):
    """The model on the validation images (per source too, unless groups=False)."""
    mean, std = NORMALISATION[args.arch]
    return evaluate(model, data.xva, data.yva, args.size, mean, std, device, tta=tta,
                    color_constancy=args.color_constancy, groups=data.val_sources if groups else None)


def load_data(args, device, rng):
    """The train and val images in memory (val: a held-out source's images with --holdout-source)."""
    images_dir = args.images or os.path.join(args.data, "HAM10000_images")
    with open(os.path.join(args.data, "HAM10000_metadata.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    labels_by_id = {r["image_id"]: r["dx"] for r in rows}
    source_by_id = {r["image_id"]: r.get("dataset", "") for r in rows}
    t0 = time.time()
    train_ids, val_ids = split_ids(args.splits, "train", images_dir), split_ids(args.splits, "val", images_dir)
    split_train_ids = list(train_ids)
    if args.holdout_source:
        if args.holdout_source not in set(source_by_id.values()):
            raise SystemExit(f"--holdout-source {args.holdout_source}: no such value in the dataset column")
        val_ids = sorted(i for i in train_ids + val_ids if source_by_id[i] == args.holdout_source)
        train_ids = [i for i in train_ids if source_by_id[i] != args.holdout_source]
    train_ids, xtr, ytr = load_images(train_ids, labels_by_id, images_dir, args.limit, rng)
    val_ids, xva, yva = load_images(val_ids, labels_by_id, images_dir, args.limit, rng)
    print(f"loaded {len(xtr)} train / {len(xva)} val images in {time.time() - t0:.1f}s on {device}"
          + (f" (holding out source {args.holdout_source})" if args.holdout_source else ""), flush=True)
    if device.type == "cuda":
        xtr, ytr = xtr.to(device), ytr.to(device)
    return SimpleNamespace(images_dir=images_dir, labels_by_id=labels_by_id, split_train_ids=split_train_ids,
                           train_ids=train_ids, xtr=xtr, ytr=ytr, xva=xva, yva=yva,
                           val_sources=[source_by_id[i] for i in val_ids])


def loss_weights(args, ytr, device):
    """Per-class loss weights (--class-weight), scaled so that the mean weight per sample is 1."""
    counts = torch.bincount(ytr.cpu(), minlength=len(LABELS)).float().clamp_min(1)
    weight = {"none": torch.ones(len(LABELS)), "sqrt": counts.rsqrt(), "inv": 1 / counts}[args.class_weight]
    return (weight / (weight * counts).sum() * counts.sum()).to(device)


def logit_shift(args, ytr, device):
    """--logit-adjust: TAU * log(the sampler's class prior), added to the logits in the loss only,
    so that the trained logits come out balanced across classes; None when off."""
    if args.logit_adjust == 0:
        return None
    prior = class_prior(ytr.cpu(), args.sampler, len(LABELS))
    return (args.logit_adjust * prior.clamp_min(1e-12).log()).to(device)


def load_teacher(args, train_ids, device):
    """--distill: the cached teacher logits of the training images, or None."""
    if not args.distill:
        return None
    if args.cutmix:
        raise SystemExit("--distill and --cutmix: the mixed images have no teacher logits")
    teacher_logits, cache = load_cache(args.distill, train_ids)
    print(f"distilling from {cache['teacher']} (model.pt sha256 {cache['model_sha256'][:12]}), weight "
          f"{args.distill_weight}, temperature {args.distill_temperature}", flush=True)
    return teacher_logits.to(device)


def make_model(args, xtr, device):
    """The network: initialised (--init, --bn-init), its first blocks frozen (--freeze). Returns
    (model, names of the frozen parameters)."""
    model = build_model(args.arch, len(LABELS))
    if args.init:
        init = np.load(args.init)
        missing, unexpected = model.load_state_dict({k: torch.from_numpy(init[k]) for k in init.files}, strict=False)
        if unexpected:
            raise SystemExit(f"--init {args.init}: tensors the model does not have: {unexpected[:5]}")
        print(f"initialised {len(init.files)} tensors from {args.init}; "
              f"{len([k for k in missing if not k.endswith('num_batches_tracked')])} left at random init", flush=True)
    if args.init and args.bn_init == "data":
        bn_gen = torch.Generator().manual_seed(args.seed + 7919)
        picks = torch.randperm(len(xtr), generator=bn_gen)[:512]
        views = [training_view(args, xtr[picks[i:i + 64]], bn_gen) for i in range(0, len(picks), 64)]
        layers = reestimate_batch_norm_init(model, views)
        print(f"re-estimated {layers} batch-norm layers on {len(picks)} training views", flush=True)
    frozen = set()
    if args.freeze:
        for n, p in model.named_parameters():
            if n.startswith("features_.") and int(n.split(".")[1]) < args.freeze:
                p.requires_grad_(False)
                frozen.add(n)
    return model.to(device).to(memory_format=torch.channels_last), frozen


def make_optimizer(args, model, frozen):
    """AdamW, weight decay on weights only (not on biases and norms), nothing for frozen tensors."""
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if n in frozen:
            continue
        (no_decay if p.ndim <= 1 else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                              {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)


def schedule_lr(args, progress, cosine_epochs):
    """Linear warm-up, then a half cosine over cosine_epochs; `progress` in epochs."""
    if progress < args.warmup:
        return args.lr * progress / args.warmup
    return args.lr * 0.5 * (1 + math.cos(math.pi * (progress - args.warmup) / max(1e-9, cosine_epochs - args.warmup)))


def train_one_epoch(args, state, data, epoch, device):
    """One epoch over the training images; returns (mean loss, last learning rate)."""
    model, opt, gen = state.model, state.opt, state.gen
    model.train()
    if args.freeze:  # frozen blocks keep their batch-norm statistics
        for i in range(args.freeze):
            model.features_[i].eval()
    xtr, ytr = data.xtr, data.ytr
    if args.sampler == "balanced":
        order = torch.multinomial(state.sample_p, len(xtr), replacement=True, generator=gen)
    else:
        order = torch.randperm(len(xtr), generator=gen)
    steps = state.steps_per_epoch
    total_loss, lr = 0.0, args.lr
    for step in range(steps):
        lr = schedule_lr(args, epoch + step / steps, state.cosine_epochs)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = order[step * args.batch_size:(step + 1) * args.batch_size]
        yb = ytr[idx.to(ytr.device)].to(device)
        if state.pool:
            features, start, counts = state.pool
            fb = features[view_pool.draw(start, counts, idx, gen)].to(device).float()
            fb = fb.contiguous(memory_format=torch.channels_last)
            lam = 1.0
            with autocast(device):
                logits = model.head(model.features_[args.freeze:](fb))
        else:
            xb = training_view(args, xtr[idx.to(xtr.device)], gen).contiguous(memory_format=torch.channels_last)
            xb, yb_mix, lam = cutmix(xb, yb, args.cutmix, gen)
            with autocast(device):
                logits = model(xb)
        train_logits = logits.float() if state.logit_shift is None else logits.float() + state.logit_shift
        loss = F.cross_entropy(train_logits, yb, weight=state.weight, label_smoothing=args.label_smoothing)
        if lam < 1.0:
            loss = lam * loss + (1 - lam) * F.cross_entropy(
                train_logits, yb_mix, weight=state.weight, label_smoothing=args.label_smoothing)
        if state.teacher_logits is not None:
            loss = (1 - args.distill_weight) * loss + args.distill_weight * distillation_loss(
                logits.float(), state.teacher_logits[idx.to(state.teacher_logits.device)], args.distill_temperature)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if state.ema:
            state.ema.update(model)
        total_loss += loss.item()
    return total_loss / steps, lr


def averaged_model(args, state, device):
    """The model to evaluate and ship: the EMA weights when there are any."""
    if not state.ema:
        return state.model
    model = build_model(args.arch, len(LABELS)).to(device)
    model.load_state_dict(state.ema.shadow)
    return model


def save_checkpoint(args, state, epoch, epochs, path):
    torch.save({"model": state.model.state_dict(), "opt": state.opt.state_dict(),
                "ema": state.ema.shadow if state.ema else None, "ema_updates": state.ema.updates if state.ema else 0,
                "gen": state.gen.get_state(), "torch_rng": torch.get_rng_state(),
                "epoch": epoch, "epochs": epochs, "cosine_epochs": state.cosine_epochs, "args": vars(args)},
               path + ".tmp")
    os.replace(path + ".tmp", path)


def restore_checkpoint(state, path, device):
    """Loads OUT/checkpoint.pt into `state`; returns (epochs, first epoch to run)."""
    ck = torch.load(path, map_location=device)
    state.model.load_state_dict(ck["model"])
    state.opt.load_state_dict(ck["opt"])
    if state.ema:
        state.ema.shadow, state.ema.updates = ck["ema"], ck["ema_updates"]
    state.gen.set_state(ck["gen"])
    torch.set_rng_state(ck["torch_rng"])
    state.cosine_epochs = ck["cosine_epochs"]
    print(f"resumed at epoch {ck['epoch'] + 1}/{ck['epochs']}", flush=True)
    return ck["epochs"], ck["epoch"] + 1


def write_outputs(args, state, data, epochs, train_seconds, device):
    """summary.json (val, with and without flip TTA) and weights.npz (fp16) of the final weights."""
    final = state.ema.shadow if state.ema else state.model.state_dict()
    final_model = build_model(args.arch, len(LABELS)).to(device)
    final_model.load_state_dict(final)
    summary = {"args": vars(args), "epochs_run": epochs, "train_seconds": train_seconds,
               "device": str(device), "torch": torch.__version__,
               "val": validate(args, final_model, data, device),
               "val_tta_flips": validate(args, final_model, data, device, tta=True, groups=False)}
    print(json.dumps(summary), flush=True)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    # Weights as fp16 numpy arrays: portable across torch versions and half the size.
    np.savez(os.path.join(args.out, "weights.npz"),
             **{k: v.detach().cpu().numpy().astype(np.float16 if v.dtype.is_floating_point else v.cpu().numpy().dtype)
                for k, v in final.items()})


def make_view_pool(args, model, pool_ids, train_ids, xtr, labels_by_id, images_dir, rng):
    """(features, start, counts) indexed like xtr. The pool covers pool_ids: with a held-out
    source, the whole train split, so such a run shares the pool of runs that hold nothing out."""
    init_digest = ""  # a pool from random frozen blocks is keyed by the run's seed instead
    if args.init:
        with open(args.init, "rb") as f:
            init_digest = hashlib.sha256(f.read()).hexdigest()
    fields = dict(ids=pool_ids, init=init_digest, freeze=args.freeze, size=args.size, aug=args.aug,
                  color_constancy=args.color_constancy, views=args.view_pool, seed=args.pool_seed,
                  sampler=args.sampler)
    if not args.init:
        fields["model_seed"] = args.seed
    key = view_pool.cache_key(**fields)
    frozen = model.features_[:args.freeze].eval()

    def build_args():
        x = xtr
        if pool_ids != train_ids:  # some train images are held out of this run: the pool still has them
            _, x, _ = load_images(pool_ids, labels_by_id, images_dir, args.limit, rng)
        y = torch.tensor([LABELS.index(labels_by_id[i]) for i in pool_ids])
        counts = view_pool.allot_views(draw_weights(y, args.sampler, len(LABELS)),
                                        round(args.view_pool * len(pool_ids)))
        return dict(frozen=frozen, xtr=x, counts=counts, seed=args.pool_seed,
                    make_view=lambda xb, g: training_view(args, xb, g),
                    log=lambda m: print(m, flush=True))

    t0 = time.time()
    features, start, counts = view_pool.load_or_build(args.pool_cache, key, build_args=build_args)
    row = {i: n for n, i in enumerate(pool_ids)}
    where = torch.tensor([row[i] for i in train_ids])
    print(f"view pool: {len(features)} views of {len(pool_ids)} images ready in {time.time() - t0:.0f}s", flush=True)
    return features, start[where], counts[where]


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    np_rng = np.random.default_rng(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True

    data = load_data(args, device, np_rng)
    state = SimpleNamespace(weight=loss_weights(args, data.ytr, device),
                            logit_shift=logit_shift(args, data.ytr, device),
                            sample_p=draw_weights(data.ytr.cpu(), args.sampler, len(LABELS)),
                            teacher_logits=load_teacher(args, data.train_ids, device))
    state.model, frozen = make_model(args, data.xtr, device)
    state.pool = None
    if args.view_pool:
        if not args.freeze or args.arch != "mobilenet_v2" or args.cutmix:
            raise SystemExit("--view-pool needs --arch mobilenet_v2 with --freeze and no --cutmix")
        pool_ids = data.split_train_ids if args.holdout_source and not args.limit else data.train_ids
        state.pool = make_view_pool(args, state.model, pool_ids, data.train_ids, data.xtr, data.labels_by_id,
                                    data.images_dir, np_rng)
    state.opt = make_optimizer(args, state.model, frozen)
    state.ema = EMA(state.model, args.ema) if args.ema > 0 else None
    state.gen = torch.Generator().manual_seed(args.seed)
    state.cosine_epochs = args.cosine_epochs or args.epochs
    state.steps_per_epoch = max(1, len(data.xtr) // args.batch_size)
    epochs, start_epoch = args.epochs, 0
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    if args.resume and os.path.exists(ckpt_path):
        epochs, start_epoch = restore_checkpoint(state, ckpt_path, device)

    log = open(os.path.join(args.out, "log.jsonl"), "a")
    train_start = time.time()
    epoch = start_epoch
    while epoch < epochs:  # epochs may shrink after epoch 2 (--time-budget)
        t_epoch = time.time()
        train_loss, lr = train_one_epoch(args, state, data, epoch, device)
        metrics = validate(args, averaged_model(args, state, device), data, device)
        row = {"epoch": epoch + 1, "epochs": epochs, "lr": lr, "train_loss": train_loss,
               "val_acc": metrics["acc"], "val_bal_acc": metrics["bal_acc"], "val_nll": metrics["nll"],
               "val_by_source": {g: {"n": m["n"], "acc": round(m["acc"], 4), "bal_acc": round(m["bal_acc"], 4)}
                                 for g, m in metrics["groups"].items()},
               "epoch_s": time.time() - t_epoch}
        print(json.dumps(row), flush=True)
        log.write(json.dumps(row) + "\n")
        log.flush()
        if epoch == 1 and start_epoch == 0 and args.time_budget:
            # Judge the pace by epoch 2: epoch 1 also pays for start-up (allocator, kernels).
            fit = max(2, 2 + int((args.time_budget - (time.time() - train_start)) / (time.time() - t_epoch)))
            if fit < epochs:
                print(f"time budget {args.time_budget:.0f}s: shortening run from {epochs} to {fit} epochs", flush=True)
                epochs = fit
                state.cosine_epochs = min(state.cosine_epochs, fit)
        save_checkpoint(args, state, epoch, epochs, ckpt_path)
        epoch += 1
    write_outputs(args, state, data, epochs, time.time() - train_start, device)


if __name__ == "__main__":
    main()
