#!/usr/bin/env python3
"""Checks the research-grade parts of `skinscan evaluate --predictions` against an independent
pandas + scikit-learn reference, to 1e-9: subgroup metrics and disparity (--group-by, --metadata,
--age-bins, --min-group-n), operating points (sensitivity at specificity, specificity at
sensitivity, the ISIC 2018 auc_sens_80, sklearn's standardised partial AUC), picked and applied
thresholds, and selective prediction (AURC, risk at 80% coverage, coverage at 5% risk).

Cases: synthetic data with ties, a group with one class only, a group of one image, a skin-tone
column from a joined CSV; and, when the shared HAM10000 data is present, real predictions of the
bundled model on the val split (made with `skinscan batch`).

SKINSCAN_PERTURB_REFERENCE=x adds x to every reference value: the script must then fail (ctest
runs it both ways), which shows that each comparison can fail.

Usage: check_research.py SKINSCAN_BINARY [SHARED_DATA_DIR]
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd
from sklearn import metrics as skm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from comparison import Comparison, write_predictions, write_truth  # noqa: E402

HAM = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
MALIGNANT = ["mel", "bcc", "akiec"]
check = Comparison(1e-9, "pandas/scikit-learn")
close = check.close
PERTURB = check.perturb
warnings.simplefilter("ignore")


# ---------- reference implementations (pandas / sklearn / numpy only) ----------

def ece_reference(y, p, bins=15):
    conf, pred = p.max(1), p.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return total


def malignant_score(p, labels):
    # Summed in the model's class order, as skinscan defines it (summation order decides ties).
    total = np.zeros(len(p))
    for k, lab in enumerate(labels):
        if lab in MALIGNANT:
            total = total + p[:, k]
    return total


def group_metrics(y, p, labels):
    pred = p.argmax(1)
    out = {"accuracy": skm.accuracy_score(y, pred), "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
           "ece": ece_reference(y, p)}
    aucs = [skm.roc_auc_score(y == k, p[:, k]) for k in range(len(labels)) if 0 < (y == k).sum() < len(y)]
    out["macro_auc"] = float(np.mean(aucs)) if aucs else None
    mal = np.array([labels[t] in MALIGNANT for t in y])
    score = malignant_score(p, labels)
    called = score >= 0.5
    out["malignant_sensitivity"] = (called & mal).sum() / mal.sum() if mal.any() else None
    out["malignant_specificity"] = (~called & ~mal).sum() / (~mal).sum() if (~mal).any() else None
    out["malignant_auc"] = skm.roc_auc_score(mal, score) if 0 < mal.sum() < len(mal) else None
    return out


def roc_full(positive, score):
    fpr, tpr, thr = skm.roc_curve(positive, score, drop_intermediate=False)
    return fpr, tpr, thr


def isic_pauc(positive, score, level):
    # The ISIC 2018 scorer's auc_above_sensitivity, written from its description.
    fpr, tpr, _ = roc_full(positive, score)
    k = np.searchsorted(tpr, level, side="left")
    x0 = np.interp(level, tpr[k - 1:k + 1], fpr[k - 1:k + 1])
    return skm.auc(np.insert(fpr[k:], 0, x0), np.insert(tpr[k:], 0, level))


def kaggle_pauc_above_tpr(positive, score, min_tpr):
    # ISIC 2024 (SLICE-3D) metric, restated from Kaggle's isic-pauc-abovetpr scoring code: labels
    # flipped, scores negated, roc_curve (default drop_intermediate), interpolation at max_fpr.
    v_gt = np.abs(np.asarray(positive, dtype=float) - 1)
    v_pred = -1.0 * np.asarray(score, dtype=float)
    max_fpr = abs(1 - min_tpr)
    fpr, tpr, _ = skm.roc_curve(v_gt, v_pred, sample_weight=None)
    stop = np.searchsorted(fpr, max_fpr, "right")
    x_interp = [fpr[stop - 1], fpr[stop]]
    y_interp = [tpr[stop - 1], tpr[stop]]
    tpr = np.append(tpr[:stop], np.interp(max_fpr, x_interp, y_interp))
    fpr = np.append(fpr[:stop], max_fpr)
    return skm.auc(fpr, tpr)


def operating_points(positive, score, levels):
    fpr, tpr, thr = roc_full(positive, score)
    spec = 1 - fpr
    out = {}
    for lv in levels:
        ok = spec >= lv - 1e-12
        out[f"sens_at_spec_{lv:.2f}"] = tpr[ok].max()
        ok = tpr >= lv - 1e-12
        out[f"spec_at_sens_{lv:.2f}"] = spec[ok].max()
    out["pauc_above_sens_0.80"] = isic_pauc(positive, score, 0.8)
    out["standardized_pauc_max_fpr_0.20"] = skm.roc_auc_score(positive, score, max_fpr=0.2)
    out["pauc_above_tpr_0.80"] = kaggle_pauc_above_tpr(positive, score, 0.8)
    return out


def pick(positive, score, rule):
    fpr, tpr, thr = roc_full(positive, score)
    if rule == "youden":
        i = int(np.argmax(tpr - fpr))
    elif rule.startswith("sens="):
        i = int(np.argmax(tpr >= float(rule[5:]) - 1e-12))
    else:
        ok = np.where(1 - fpr >= float(rule[5:]) - 1e-12)[0]
        i = int(ok[np.argmax(tpr[ok])])
    return None if i == 0 else thr[i]


def at_threshold(positive, score, t):
    called = score >= t
    tp, fp = (called & positive).sum(), (called & ~positive).sum()
    tn, fn = (~called & ~positive).sum(), (~called & positive).sum()
    div = lambda a, b: a / (a + b) if a + b else None  # noqa: E731
    return {"sensitivity": div(tp, fn), "specificity": div(tn, fp), "ppv": div(tp, fp), "npv": div(tn, fn)}


def selective(y, p):
    df = pd.DataFrame({"conf": p.max(1), "err": (p.argmax(1) != y).astype(float)})
    g = df.groupby("conf", sort=True)["err"].agg(["sum", "count"]).iloc[::-1]
    answered, errors = g["count"].cumsum(), g["sum"].cumsum()
    coverage, risk = answered / len(df), errors / answered
    aurc = float((coverage.diff().fillna(coverage.iloc[0]) * risk).sum())
    return {"aurc": aurc, "risk_at_coverage_0.80": float(risk[coverage >= 0.8 - 1e-12].iloc[0]),
            "coverage_at_risk_0.05": float(coverage[risk <= 0.05 + 1e-12].max()) if (risk <= 0.05 + 1e-12).any() else 0.0}


# ---------- running skinscan ----------

def skinscan(binary, args):
    out = subprocess.run([binary, "evaluate", "--json", "-q"] + args, capture_output=True, text=True)
    if out.returncode not in (0, 2):
        raise SystemExit(f"skinscan failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout)


def check_case(case, binary, truth_csv, preds_csv, images_dir, meta, y, p, labels, columns, bins, extra_metadata=None,
               min_n=20):
    args = ["--labels", truth_csv, "--images", images_dir, "--predictions", preds_csv, "--group-by", ",".join(columns),
            "--min-group-n", str(min_n), "--pick-threshold", "youden"]
    if bins:
        args += ["--age-bins", ",".join(str(b) for b in bins)]
    if extra_metadata:
        args += ["--metadata", extra_metadata]
    r = skinscan(binary, args)
    name = lambda k: f"[{case}] {k}"  # noqa: E731

    # Subgroups.
    ours = {(g["column"], g["group"]): g for g in r["subgroups"]}
    eligible = []
    for col in columns:
        values = meta[col].astype(str).where(meta[col].astype(str) != "", "(missing)")
        numeric = pd.to_numeric(meta[col].replace("", np.nan), errors="coerce")
        if bins and meta[col].replace("", np.nan).dropna().map(lambda v: pd.notna(pd.to_numeric(v, errors="coerce"))).all():
            cut = pd.cut(numeric, bins, right=False)
            values = cut.map(lambda iv: f"[{iv.left:g},{iv.right:g})").astype(object).where(cut.notna(), "(missing)")
        for value, idx in values.groupby(values).groups.items():
            idx = np.asarray(sorted(meta.index.get_indexer(idx)))
            key = (col, value)
            if key not in ours:
                check.fail(name(f"group {key} missing from the report"))
                continue
            g = ours[key]
            close(name(f"{key} n"), g["n"], len(idx))
            if (len(idx) < min_n) != g["flagged_small"]:
                check.fail(name(f"{key} flagged_small {g['flagged_small']} for n={len(idx)}"))
            ref = group_metrics(y[idx], p[idx], labels)
            for k, v in ref.items():
                close(name(f"{key} {k}"), g["metrics"][k], v)
            if len(idx) >= min_n:
                eligible.append((f"{col}={value}", ref))
        if len(ours) < len([k for k in ours if k[0] == col]):
            check.fail(name("extra groups"))
    for metric in ["accuracy", "balanced_accuracy", "macro_auc", "ece", "malignant_auc"]:
        vals = [(n, m[metric]) for n, m in eligible if m[metric] is not None]
        d = r["disparity"][metric]
        if not vals:
            if d is not None:
                check.fail(name(f"disparity {metric} should be null"))
            continue
        lo, hi = min(v for _, v in vals), max(v for _, v in vals)
        close(name(f"disparity {metric} max_gap"), d["max_gap"], hi - lo)
        close(name(f"disparity {metric} min_ratio"), d["min_ratio"], lo / hi)
        worst = max(vals, key=lambda t: t[1]) if metric == "ece" else min(vals, key=lambda t: t[1])
        close(name(f"disparity {metric} worst value"), d["worst_value"], worst[1])

    # Operating points and thresholds, per class and malignant.
    scores = {lab: (y == k, p[:, k]) for k, lab in enumerate(labels)}
    mal = np.array([labels[t] in MALIGNANT for t in y])
    scores["malignant"] = (mal, malignant_score(p, labels))
    for lab, (pos, s) in scores.items():
        op = r["operating_points"][lab]
        if not (0 < pos.sum() < len(pos)):
            if op is not None:
                check.fail(name(f"{lab}: operating points without both classes"))
            continue
        for k, v in operating_points(pos, s, [0.90, 0.95]).items():
            got = op[k]["sensitivity" if k.startswith("sens") else "specificity"] if isinstance(op[k], dict) else op[k]
            close(name(f"{lab} {k}"), got, v)
        if lab == "malignant":
            close(name("binary pauc_above_tpr_0.80"), r["binary"]["pauc_above_tpr_0.80"],
                  kaggle_pauc_above_tpr(pos, s, 0.8))
        close(name(f"{lab} youden threshold"), r["thresholds_picked"]["thresholds"][lab], pick(pos, s, "youden"))
    return r, scores


def main():
    binary = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else ""
    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory() as d:
        # Synthetic: 600 items, probabilities rounded to 2 decimals (ties), metadata with blanks,
        # a site with one class only, a site with a single image, skin tone from a joined CSV.
        n = 600
        y = rng.integers(0, 7, n)
        y[:30] = 5  # "scalp" group below: nv only
        logits = rng.normal(0, 1, (n, 7))
        logits[np.arange(n), y] += 2.0
        p = np.round(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 2)
        p[:, 5] += 1 - p.sum(1)  # exact sums after rounding
        p = np.clip(p, 0, 1)
        p = p / p.sum(1, keepdims=True)
        ids = [f"img_{i:05d}" for i in range(n)]
        sex = rng.choice(["male", "female", "unknown"], n, p=[0.48, 0.48, 0.04])
        age = rng.integers(5, 90, n).astype(str).astype(object)
        age[rng.random(n) < 0.05] = ""
        site = rng.choice(["back", "face", "lower extremity", "trunk"], n)
        site[:30] = "scalp"
        site[30] = "ear"
        meta = pd.DataFrame({"sex": sex, "age": age, "localization": site}, index=ids)
        tone = pd.Series(rng.choice(["I-II", "III-IV", "V-VI"], n, p=[0.5, 0.4, 0.1]), index=ids)
        truth_csv, preds_csv, tone_csv = (os.path.join(d, f) for f in ("truth.csv", "preds.csv", "tone.csv"))
        with open(truth_csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["lesion_id", "image_id", "dx", "sex", "age", "localization"])
            for i, t in zip(ids, y):
                w.writerow(["L" + i, i, HAM[t], meta.at[i, "sex"], meta.at[i, "age"], meta.at[i, "localization"]])
        with open(tone_csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["image_id", "fitzpatrick"])
            for i in ids:
                w.writerow([i, tone[i]])
        write_predictions(preds_csv, ids, HAM, p)
        meta["fitzpatrick"] = tone
        r, _ = check_case("synthetic", binary, truth_csv, preds_csv, d, meta, y, p, HAM,
                          ["sex", "age", "localization", "fitzpatrick"], [0, 30, 50, 70, 120], tone_csv)
        for k, v in selective(y, p).items():
            close(f"[synthetic] selective {k}", r["selective"][k], v)
        close("[synthetic] metrics.aurc", r["metrics"]["aurc"], selective(y, p)["aurc"])

        # Thresholds picked on the first half, applied to the second half.
        half = n // 2
        for part, rows in (("a", slice(0, half)), ("b", slice(half, n))):
            write_truth(os.path.join(d, f"truth_{part}.csv"), ids[rows], HAM, y[rows])
            write_predictions(os.path.join(d, f"preds_{part}.csv"), ids[rows], HAM, p[rows])
        tfile = os.path.join(d, "t.json")
        for rule in ("youden", "sens=0.95", "spec=0.90"):
            skinscan(binary, ["--labels", os.path.join(d, "truth_a.csv"), "--images", d, "--predictions",
                       os.path.join(d, "preds_a.csv"), "--pick-threshold", rule, "--save-thresholds", tfile])
            rb = skinscan(binary, ["--labels", os.path.join(d, "truth_b.csv"), "--images", d, "--predictions",
                                   os.path.join(d, "preds_b.csv"), "--thresholds", tfile])
            saved = json.load(open(tfile))["thresholds"]
            ya, pa, yb, pb = y[:half], p[:half], y[half:], p[half:]
            for k, lab in enumerate(HAM + ["malignant"]):
                if lab == "malignant":
                    pos_a, s_a = np.isin(ya, [HAM.index(m) for m in MALIGNANT]), malignant_score(pa, HAM)
                    pos_b, s_b = np.isin(yb, [HAM.index(m) for m in MALIGNANT]), malignant_score(pb, HAM)
                else:
                    pos_a, s_a, pos_b, s_b = ya == k, pa[:, k], yb == k, pb[:, k]
                t = pick(pos_a, s_a, rule)
                close(f"[thresholds {rule}] {lab} picked", saved[lab], t)
                if t is None:
                    continue
                got = rb["thresholds_applied"]["results"][lab]
                for key, v in at_threshold(pos_b, s_b, t).items():
                    close(f"[thresholds {rule}] {lab} {key} on the other half", got[key], v)

        # Real predictions of the bundled model on the val split.
        if PERTURB:
            print("perturbed run: the real-prediction case is skipped (the synthetic cases must already fail)", file=sys.stderr)
        elif shared and os.path.exists(os.path.join(shared, "HAM10000_metadata.csv")):
            md = pd.read_csv(os.path.join(shared, "HAM10000_metadata.csv"), dtype=str, keep_default_na=False)
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            val = [s.strip() for s in open(os.path.join(root, "datasets", "splits", "val.txt")) if s.strip()]
            images = os.path.join(shared, "HAM10000_images")
            present = [i for i in val if os.path.exists(os.path.join(images, i + ".jpg"))]
            real_preds = os.path.join(d, "real.csv")
            with open(os.path.join(d, "list.txt"), "w") as f:
                f.write("\n".join(os.path.join(images, i + ".jpg") for i in present) + "\n")
            subprocess.run([binary, "batch", "--format", "csv", "--out", real_preds, "-q", "-"], check=True,
                           stdin=open(os.path.join(d, "list.txt")))
            pr = pd.read_csv(real_preds, dtype={"id": str})
            md = md.set_index("image_id").loc[pr["id"]]
            yr = np.array([HAM.index(v) for v in md["dx"]])
            prr = pr[HAM].to_numpy(dtype=np.float64)
            truth_real = os.path.join(d, "truth_real.csv")
            md.reset_index().to_csv(truth_real, index=False)
            meta_r = md[["sex", "age", "localization", "dataset"]].copy()
            meta_r["age"] = meta_r["age"].map(lambda v: v[:-2] if v.endswith(".0") else v)
            r, _ = check_case("real val", binary, truth_real, real_preds, d, meta_r, yr, prr, HAM,
                              ["sex", "age", "localization", "dataset"], [0, 30, 50, 70, 120])
            for k, v in selective(yr, prr).items():
                close(f"[real val] selective {k}", r["selective"][k], v)
        else:
            print("SKIPPED part: shared HAM10000 data absent, real-prediction case not run", file=sys.stderr)

    check.finish()

if __name__ == "__main__":
    main()
