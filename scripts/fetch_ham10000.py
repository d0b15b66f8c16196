#!/usr/bin/env python3
"""Download the full HAM10000 (10,015 images, 600x450) and the ISIC 2018 Task 3 test set with
ground truth from Harvard Dataverse (doi:10.7910/DVN/DBW86T), verify every file against the MD5
that Dataverse publishes for it, and lay them out as `skinscan evaluate` expects:

  OUT/ham10000/HAM10000_metadata.csv + HAM10000_images_part_1/ + HAM10000_images_part_2/
  OUT/isic2018_test/<ground-truth csv> + ISIC2018_Task3_Test_Input/

Usage:
  fetch_ham10000.py OUT                        download into OUT/downloads, verify, lay out
  fetch_ham10000.py --layout-only DOWNLOADS OUT   verify (against DOWNLOADS/files.json) and lay out
Licence: CC BY-NC 4.0. Cite Tschandl P., Rosendahl C., Kittler H., Sci Data 5, 180161 (2018).
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import urllib.request
import zipfile

DATAVERSE = "https://dataverse.harvard.edu"
DOI = "doi:10.7910/DVN/DBW86T"
# Dataverse file names (without extension: tabular files are served in their original format)
# and where each goes in the layout.
WANTED = {
    "HAM10000_images_part_1": ("ham10000", "HAM10000_images_part_1"),
    "HAM10000_images_part_2": ("ham10000", "HAM10000_images_part_2"),
    "HAM10000_metadata": ("ham10000", None),
    "ISIC2018_Task3_Test_Images": ("isic2018_test", "ISIC2018_Task3_Test_Input"),
    "ISIC2018_Task3_Test_GroundTruth": ("isic2018_test", None),
}


def stem(name):
    return name.rsplit(".", 1)[0]


def md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def list_files():
    url = f"{DATAVERSE}/api/datasets/:persistentId/?persistentId={DOI}"
    with urllib.request.urlopen(url, timeout=60) as r:
        files = json.load(r)["data"]["latestVersion"]["files"]
    out = []
    for f in files:
        d = f["dataFile"]
        name = d.get("originalFileName") or d["filename"]
        checksum = d.get("md5") or d.get("checksum", {}).get("value")
        if stem(name) in WANTED:
            out.append({"id": d["id"], "name": name, "md5": checksum})
    return out


def download(files, downloads):
    os.makedirs(downloads, exist_ok=True)
    for f in files:
        path = os.path.join(downloads, f["name"])
        if os.path.exists(path) and md5(path) == f["md5"]:
            continue
        url = f"{DATAVERSE}/api/access/datafile/{f['id']}?format=original"
        print(f"downloading {f['name']}", file=sys.stderr)
        with urllib.request.urlopen(url, timeout=600) as r, open(path + ".partial", "wb") as out:
            shutil.copyfileobj(r, out, 1 << 20)
        os.replace(path + ".partial", path)
    with open(os.path.join(downloads, "files.json"), "w") as out:
        json.dump(files, out, indent=1)


def verify(downloads):
    listing = os.path.join(downloads, "files.json")
    if not os.path.exists(listing):
        raise SystemExit(f"{listing}: missing (it records the published MD5s; run a download first)")
    files = json.load(open(listing))
    for f in files:
        path = os.path.join(downloads, f["name"])
        if not os.path.exists(path):
            raise SystemExit(f"{path}: missing")
        if md5(path) != f["md5"]:
            raise SystemExit(f"{path}: MD5 mismatch (expected {f['md5']}): delete it and download again")
    missing = set(WANTED) - {stem(f["name"]) for f in files}
    if missing:
        raise SystemExit(f"{listing}: the dataset lists no {', '.join(sorted(missing))}")
    return files


def lay_out(files, downloads, out):
    for f in files:
        folder, images = WANTED[stem(f["name"])]
        dest = os.path.join(out, folder)
        os.makedirs(dest, exist_ok=True)
        src = os.path.join(downloads, f["name"])
        if images is None:  # a CSV: metadata or ground truth
            shutil.copyfile(src, os.path.join(dest, stem(f["name"]) + ".csv"))
            continue
        target = os.path.join(dest, images)
        os.makedirs(target, exist_ok=True)
        with zipfile.ZipFile(src) as z:
            for member in z.infolist():
                base = os.path.basename(member.filename)
                if member.is_dir() or not base.lower().endswith((".jpg", ".jpeg", ".png")):
                    continue
                with z.open(member) as fin, open(os.path.join(target, base), "wb") as fout:
                    shutil.copyfileobj(fin, fout)
    for folder in sorted({v[0] for v in WANTED.values()}):
        path = os.path.join(out, folder)
        n = sum(len(fs) for _, _, fs in os.walk(path))
        print(f"{path}: {n} files; evaluate with: skinscan evaluate --data {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layout-only", metavar="DOWNLOADS", help="skip downloading; use these downloaded files")
    ap.add_argument("out")
    args = ap.parse_args()
    downloads = args.layout_only or os.path.join(args.out, "downloads")
    if not args.layout_only:
        download(list_files(), downloads)
    lay_out(verify(downloads), downloads, args.out)


if __name__ == "__main__":
    main()
