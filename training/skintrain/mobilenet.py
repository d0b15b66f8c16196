"""MobileNetV2 (torchvision layout) with TensorFlow "SAME" padding on its stride-2 convolutions.

The ImageNet weights this project starts from were trained in Keras, which pads stride-2
convolutions right/bottom only; torchvision pads symmetrically, which shifts every feature
map by half a pixel and moves the features by ~60%. `SamePadConv2d` keeps torchvision's
parameter names (so converted weights load into `features.N...` unchanged) and pads as Keras
did. Batch-norm eps is Keras's 1e-3 for the same reason.

Like SkinNet, the model exports `features` (last convolutional map, for Grad-CAM) and `head`
(pooled logits) with forward(x) == head(features(x)).
"""
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import mobilenet_v2


class SamePadConv2d(nn.Conv2d):
    """A stride-2 3x3 convolution padded like TF "SAME" on even inputs: 0 left/top, 1 right/bottom."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad_h = max((-(-x.shape[2] // 2) - 1) * 2 + 3 - x.shape[2], 0)
        pad_w = max((-(-x.shape[3] // 2) - 1) * 2 + 3 - x.shape[3], 0)
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _same_pad(conv: nn.Conv2d) -> SamePadConv2d:
    new = SamePadConv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, 0,
                        conv.dilation, conv.groups, conv.bias is not None)
    new.load_state_dict(conv.state_dict())
    return new


class SkinMobileNetV2(nn.Module):
    def __init__(self, num_classes=7, dropout=0.2):
        super().__init__()
        base = mobilenet_v2(weights=None)
        for m in base.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps = 1e-3
        for parent in base.modules():
            for name, child in parent.named_children():
                if isinstance(child, nn.Conv2d) and child.stride == (2, 2):
                    setattr(parent, name, _same_pad(child))
        self.features_ = base.features  # features.0-18, torchvision names
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1280, num_classes)

    @torch.jit.export
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features_(x)

    @torch.jit.export
    def head(self, f: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(torch.flatten(torch.mean(f, dim=(2, 3)), 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
