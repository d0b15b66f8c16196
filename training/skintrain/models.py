"""The architectures a recipe can train, by name."""
from .mobilenet import SkinMobileNetV2
from .skinnet import SkinNet


def build_model(arch, num_classes):
    return SkinNet(num_classes=num_classes) if arch == "skinnet" else SkinMobileNetV2(num_classes=num_classes)
