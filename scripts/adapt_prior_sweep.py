#!/usr/bin/env python3
"""How `skinscan adapt --prior-strength N` changes a model on each image source of HAM10000.

For each source (the metadata's `dataset` column), the model is adapted on that source's images of
the given splits (unlabelled use: the labels are read only to score) and scored on the same images,
for each prior strength N (0: the source statistics replaced, AdaBN; larger N: more of the model's
own statistics kept), against the unadapted model. Prints balanced accuracy, malignant AUC,
melanoma recall and ECE per source and N, and the change from the unadapted model.

Usage: adapt_prior_sweep.py SKINSCAN SHARED_DATA [--model DIR] [--sources rosendahl,vidir_modern]
       [--splits datasets/splits/val.txt,datasets/splits/test.txt] [--priors 0,64,256,1024,4096]
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def evaluate(skinscan, model, data, split):
    args = [skinscan, "evaluate", "--data", data, "--split", split, "--json", "-q"]
    if model:
        args += ["-m", model]
    r = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    mel = r["per_class"].get("mel", {})
    return {"balanced_accuracy": r["metrics"]["balanced_accuracy"], "malignant_auc": r["binary"]["auc"],
            "mel_recall": mel.get("recall"), "ece": r["metrics"]["ece"], "n": r["dataset"].get("scored", None)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("skinscan")
    p.add_argument("shared")
    p.add_argument("--model", default="")
    p.add_argument("--sources", default="rosendahl,vidir_modern")
    p.add_argument("--splits", default=",".join(os.path.join(HERE, "..", "datasets", "splits", f)
                                                 for f in ("val.txt", "test.txt")))
    p.add_argument("--priors", default="0,64,256,1024,4096")
    a = p.parse_args()
    images = os.path.abspath(os.path.join(a.shared, "HAM10000_images"))  # symlinked from a temporary folder
    present = {os.path.splitext(f)[0] for f in os.listdir(images)}
    ids = set()
    for split in a.splits.split(","):
        ids |= {line.strip() for line in open(split) if line.strip()}
    source_of = {row["image_id"]: row["dataset"] for row in csv.DictReader(open(os.path.join(a.shared, "HAM10000_metadata.csv")))}
    priors = [float(x) for x in a.priors.split(",")]
    print("| source | images | prior strength N | balanced accuracy | malignant AUC | melanoma recall | ECE |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for source in a.sources.split(","):
            chosen = sorted(i for i in ids if i in present and source_of.get(i) == source)
            folder = os.path.join(work, source)
            os.makedirs(folder)
            for i in chosen:
                os.symlink(os.path.join(images, i + ".jpg"), os.path.join(folder, i + ".jpg"))
            split = os.path.join(work, source + ".txt")
            open(split, "w").write("\n".join(chosen) + "\n")
            base = evaluate(a.skinscan, a.model, a.shared, split)

            def row(label, m):
                d = {k: m[k] - base[k] for k in ("balanced_accuracy", "malignant_auc", "ece")}
                mel = "-" if m["mel_recall"] is None else f"{m['mel_recall']:.3f}"
                return (f"| {source} | {len(chosen)} | {label} | {m['balanced_accuracy']:.3f} ({d['balanced_accuracy']:+.3f}) | "
                        f"{m['malignant_auc']:.3f} ({d['malignant_auc']:+.3f}) | {mel} | {m['ece']:.3f} ({d['ece']:+.3f}) |")

            print(row("not adapted", base), flush=True)
            for n in priors:
                out = os.path.join(work, f"{source}-{n:g}")
                args = [a.skinscan, "adapt", "--images", folder, "--out", out, "--prior-strength", f"{n:g}", "-q"]
                if a.model:
                    args += ["-m", a.model]
                subprocess.run(args, check=True)
                print(row(f"{n:g}", evaluate(a.skinscan, out, a.shared, split)), flush=True)


if __name__ == "__main__":
    main()
