"""The HAM10000 classes, their names, and each architecture's input normalisation."""

LABELS = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
MALIGNANT = ["akiec", "bcc", "mel"]
NAMES = {
    "akiec": "Actinic keratosis / intraepithelial carcinoma (Bowen's disease)",
    "bcc": "Basal cell carcinoma",
    "bkl": "Benign keratosis-like lesion",
    "df": "Dermatofibroma",
    "mel": "Melanoma",
    "nv": "Melanocytic nevus",
    "vasc": "Vascular lesion",
}
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
# Per architecture: (mean, std) after scaling pixels to [0, 1]. SkinNet from scratch keeps the
# ImageNet values in its manifest (any fixed values work); MobileNetV2's converted ImageNet
# weights expect pixels in [-1, 1].
NORMALISATION = {"skinnet": (IMAGENET_MEAN, IMAGENET_STD), "mobilenet_v2": ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])}
DESCRIPTIONS = {
    "skinnet": "SkinNet (compact ResNet, 6.3M parameters) trained from scratch on HAM10000 dermoscopy images",
    "mobilenet_v2": "MobileNetV2 (3.5M parameters) warm-started from ImageNet weights, fine-tuned on HAM10000 "
                    "dermoscopy images with Shades of Gray colour constancy",
}
CITATION = ("Tschandl P., Rosendahl C., Kittler H. The HAM10000 dataset, a large collection of multi-source "
            "dermatoscopic images of common pigmented skin lesions. Scientific Data 5, 180161 (2018). "
            "doi:10.1038/sdata.2018.161")
