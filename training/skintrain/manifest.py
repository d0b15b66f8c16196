"""skinscan manifests (schema 1) for models trained on the project's HAM10000 split."""
import datetime
import json
import os

import torch

from .labels import CITATION, LABELS, MALIGNANT, NAMES

def count_batch_norm(model):
    return sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


def make_manifest(name, version, description, input_spec, temperature, training, val):
    """A schema-1 manifest for a HAM10000 model trained on the project's train split."""
    return {
        "schema_version": 1,
        "name": name,
        "version": version,
        "description": description,
        "labels": LABELS,
        "label_names": NAMES,
        "malignant": MALIGNANT,
        "input": input_spec,
        "output": {"kind": "logits", "temperature": round(temperature, 6)},
        "explain": {"features": "features", "head": "head"},
        "provenance": {
            "training_data": "HAM10000 (shared 5,984-image subset, one image per lesion, 224x224), CC BY-NC 4.0",
            "citation": CITATION,
            "split": "datasets/splits/{train,val,test}.txt: by lesion_id, stratified, seed 20261126 (training/make_splits.py)",
            "trained_on": "train split; temperature fitted on val split",
            "exported": datetime.date.today().isoformat(),
            "training": training,
        },
        "metrics": {"val": val},
    }


def write_manifest(out, manifest):
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
