"""Pieces of the training loop: mixed precision per device, the weights' moving average, batch-norm
statistics set from data, and evaluation of a model on in-memory images."""
import numpy as np
import torch

from .augment import eval_input
from .metrics import scores


def autocast(device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


class EMA:
    """Exponential moving average of all float parameters and buffers."""

    def __init__(self, model, decay):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.updates = 0

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))  # fast start
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)
            else:
                self.shadow[k].copy_(v)


@torch.no_grad()
def reestimate_batch_norm_init(model, views):
    """Sets every batch-norm layer's running mean/variance to the statistics of its input on
    `views` (a list of normalised batches), changing weight and bias so that the eval-mode function
    stays exactly the same. Afterwards training mode (batch statistics) starts close to that
    function too. The statistics are taken layer by layer in one eval-mode pass: rewriting a layer
    does not change its output, so downstream inputs are unaffected."""
    layers = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    sums = {id(m): [0.0, 0.0, 0] for m in layers}

    def record(module, inputs):
        x = inputs[0].double()
        acc = sums[id(module)]
        acc[0] = acc[0] + x.sum(dim=(0, 2, 3))
        acc[1] = acc[1] + (x ** 2).sum(dim=(0, 2, 3))
        acc[2] += x.numel() // x.shape[1]

    hooks = [m.register_forward_pre_hook(record) for m in layers]
    was_training = model.training
    model.eval()
    for x in views:
        model(x)
    for h in hooks:
        h.remove()
    for m in layers:
        total, total_sq, n = sums[id(m)]
        mu = total / n
        var = (total_sq / n - mu ** 2).clamp_min(0)
        old_scale = m.weight.double() / (m.running_var.double() + m.eps).sqrt()
        m.bias.copy_(m.bias.double() + old_scale * (mu - m.running_mean.double()))
        m.weight.copy_(old_scale * (var + m.eps).sqrt())
        m.running_mean.copy_(mu)
        m.running_var.copy_(var)
    model.train(was_training)
    return len(layers)


@torch.no_grad()
def evaluate(model, x, y, size, mean, std, device, tta=False, color_constancy="none", groups=None):
    """Accuracy, balanced accuracy and NLL; with `groups` (a name per image) also per group."""
    model.eval()
    probs = []
    for i in range(0, len(x), 256):
        xb = eval_input(x[i:i + 256].to(device), size, mean, std, color_constancy)
        views = [xb] + ([xb.flip(3), xb.flip(2), xb.flip(2).flip(3)] if tta else [])
        with autocast(device):
            p = sum(torch.softmax(model(v).float(), 1) for v in views) / len(views)
        probs.append(p.cpu())
    p = torch.cat(probs)
    result = scores(p, y)
    if groups is not None:
        names = np.asarray(groups)
        result["groups"] = {g: scores(p[torch.from_numpy(names == g)], y[torch.from_numpy(names == g)])
                            for g in sorted(set(groups))}
    return result
