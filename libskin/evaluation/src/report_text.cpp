// report_text.cpp: the readable summary of an evaluation report that `evaluate` prints.
#include "skin/evaluation/report_text.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "skin/evaluation/shift.hpp"
#include "skin/robustness/dataset_shift.hpp"

namespace skin {
namespace {

std::string interval(const nlohmann::json& v) {
  return v.is_array() && v.size() == 2 ? fmt::format("[{:.4f}, {:.4f}]", v[0].get<double>(), v[1].get<double>()) : "-";
}

std::string cell(const nlohmann::json& v) { return v.is_null() ? "   -  " : fmt::format("{:6.4f}", v.get<double>()); }

// The dataset line and the per-class table.
std::string section_dataset_and_classes(const nlohmann::json& r) {
  const auto& d = r["dataset"];
  std::string out = fmt::format(
      "dataset: {} at {}{}\n  {} labelled, {} scored, {} missing, {} failed{}\n\n", d["layout"].get<std::string>(),
      d["root"].get<std::string>(), d["split"].is_null() ? "" : " (split " + d["split"].get<std::string>() + ")",
      d["labelled"].get<int>(), d["scored"].get<int>(), d["missing"].get<int>(), d["failed"].get<int>(),
      d.value("unlabelled", 0) ? fmt::format(", {} predictions without a label", d["unlabelled"].get<int>()) : "");
  out += fmt::format("{:<8} {:>7} {:>9} {:>7} {:>11} {:>6} {:>6} {:>17} {:>6}\n", "class", "support", "precision",
                     "recall", "specificity", "f1", "auc", "auc 95% CI", "ap");
  for (const auto& [label, c] : r["per_class"].items())
    out += fmt::format("{:<8} {:>7} {:>9} {:>7} {:>11} {:>6} {:>6} {:>17} {:>6}\n", label, c["support"].get<int>(),
                       cell(c["precision"]), cell(c["recall"]), cell(c["specificity"]), cell(c["f1"]), cell(c["auc"]),
                       interval(c.value("auc_ci", nlohmann::json())), cell(c["average_precision"]));
  return out;
}

// Headline metrics, calibration and the malignant-vs-benign view.
std::string section_headline(const nlohmann::json& r) {
  std::string out;
  const auto& m = r["metrics"];
  out += fmt::format("\naccuracy {}  balanced accuracy {}  macro-F1 {}  kappa {}  macro AUC {}\n", cell(m["accuracy"]),
                     cell(m["balanced_accuracy"]), cell(m["macro_f1"]), cell(m["cohen_kappa"]), cell(m["macro_auc"]));
  out += fmt::format("ECE {}  MCE {}  Brier {}  NLL {}  ({} bins, top-label)\n", cell(m["ece"]), cell(m["mce"]),
                     cell(m["brier"]), cell(m["nll"]), r["calibration"]["bins_count"].get<int>());
  if (!r["binary"].is_null()) {
    const auto& b = r["binary"];
    out += fmt::format("malignant ({}) vs benign: sensitivity {}  specificity {}  AUC {} {}\n",
                       fmt::join(b["malignant"].get<std::vector<std::string>>(), ", "), cell(b["sensitivity"]),
                       cell(b["specificity"]), cell(b["auc"]), interval(b.value("auc_ci", nlohmann::json())));
    if (r.contains("operating_points") && r["operating_points"].contains("malignant") &&
        !r["operating_points"]["malignant"].is_null()) {
      out += "  operating points:";
      for (const auto& [key, v] : r["operating_points"]["malignant"].items())
        out += v.is_object() ? fmt::format(" {} {:.4f}", key,
                                           v[key.rfind("sens", 0) == 0 ? "sensitivity" : "specificity"].get<double>())
                             : fmt::format(" {} {:.4f}", key, v.get<double>());
      out += "\n";
    }
  }
  return out;
}

// Selective prediction.
std::string section_selective(const nlohmann::json& r) {
  std::string out;
  if (r.contains("selective")) {
    const auto& sel = r["selective"];
    out += "selective prediction (top probability):";
    for (const auto& [key, v] : sel.items())
      if (v.is_number_float()) out += fmt::format(" {} {:.4f}", key, v.get<double>());
    out += "\n";
  }
  return out;
}

// Bootstrap intervals and their unit.
std::string section_intervals(const nlohmann::json& r) {
  std::string out;
  if (r.contains("confidence_intervals")) {
    const auto& ci = r["confidence_intervals"];
    const std::string unit = ci.value("unit", "image");
    out += unit == "image"
               ? fmt::format("95% bootstrap CI ({} resamples, stratified by class):", ci["resamples"].get<int>())
               : fmt::format("95% bootstrap CI ({} resamples of {} {} clusters):", ci["resamples"].get<int>(),
                             ci["clusters"].get<std::size_t>(), unit);
    for (const char* k : {"accuracy", "balanced_accuracy", "macro_f1", "ece"})
      if (ci.contains(k)) out += fmt::format(" {} {}", k, interval(ci[k]));
    out += "\n";
  }
  return out;
}

// What the model's calibrations promise and achieve here: conformal sets, the guaranteed-sensitivity threshold, OOD
// separation.
std::string section_promises(const nlohmann::json& r) {
  std::string out;
  if (r.contains("conformal")) {
    const auto& c = r["conformal"];
    out += fmt::format("conformal prediction sets ({} at alpha {:g}): coverage {}, mean set size {}\n",
                       c.value("method", "?"), c.value("alpha", 0.0), cell(c["coverage"]), cell(c["mean_set_size"]));
  }
  if (r.contains("malignant_guarantee")) {
    const auto& g = r["malignant_guarantee"];
    out += fmt::format(
        "guaranteed-sensitivity threshold {:.6g} (target {} at confidence {}): sensitivity {} {} ({} of {}), "
        "specificity {} {}\n",
        g["threshold"].get<double>(), cell(g["target_sensitivity"]), cell(1 - g["delta"].get<double>()),
        cell(g["sensitivity"]["value"]), interval(g["sensitivity"]["ci"]), g["tp"].get<std::size_t>(),
        g["tp"].get<std::size_t>() + g["fn"].get<std::size_t>(), cell(g["specificity"]["value"]),
        interval(g["specificity"]["ci"]));
  }
  if (r.contains("ood") && !r["ood"].contains("error")) {
    const auto& o = r["ood"];
    out += fmt::format("OOD separation from {} ({} in-distribution, {} OOD images):", o["folder"].get<std::string>(),
                       o["in_distribution_images"].get<std::size_t>(), o["ood_images"].get<std::size_t>());
    for (const auto& [name, m] : o["methods"].items())
      out += fmt::format(" {} AUROC {} FPR95 {};", name, cell(m["auroc"]), cell(m["fpr_at_95_tpr"]));
    out += "\n";
  }
  return out;
}

// Applied per-class thresholds.
std::string section_thresholds(const nlohmann::json& r) {
  std::string out;
  if (r.contains("thresholds_applied")) {
    out += fmt::format("\nthresholds from {}:\n", r["thresholds_applied"]["source"].get<std::string>());
    out += fmt::format("  {:<10} {:>9} {:>11} {:>11} {:>7} {:>7}\n", "class", "threshold", "sensitivity", "specificity",
                       "ppv", "npv");
    for (const auto& [name, t] : r["thresholds_applied"]["results"].items())
      out += fmt::format("  {:<10} {:>9.4f} {:>11} {:>11} {:>7} {:>7}\n", name, t["threshold"].get<double>(),
                         cell(t["sensitivity"]), cell(t["specificity"]), cell(t["ppv"]), cell(t["npv"]));
  }
  return out;
}

// Subgroup table and disparity.
std::string section_subgroups(const nlohmann::json& r) {
  std::string out;
  if (r.contains("subgroups")) {
    const bool with_ci = !r["subgroups"].empty() && r["subgroups"][0].contains("ci");
    out += fmt::format("\n{:<14} {:<22} {:>6}  {:>8} {:>8} {:>8} {:>8} {:>8}{}\n", "column", "group", "n", "acc",
                       "bal_acc", "auc", "ece", "mal_sens", with_ci ? "  bal_acc 95% CI" : "");
    for (const auto& g : r["subgroups"]) {
      const auto& gm = g["metrics"];
      out += fmt::format("{:<14} {:<22} {:>6}{} {:>8} {:>8} {:>8} {:>8} {:>8}{}\n", g["column"].get<std::string>(),
                         g["group"].get<std::string>(), g["n"].get<int>(), g["flagged_small"].get<bool>() ? "*" : " ",
                         cell(gm["accuracy"]), cell(gm["balanced_accuracy"]), cell(gm["macro_auc"]), cell(gm["ece"]),
                         cell(gm.value("malignant_sensitivity", nlohmann::json())),
                         with_ci ? "  " + interval(g["ci"].value("balanced_accuracy", nlohmann::json())) : "");
    }
    out += fmt::format("(* fewer than {} items: reported, not used for disparity or group gates)\n",
                       r["subgroup_options"]["min_group_n"].get<int>());
    for (const char* k : {"accuracy", "balanced_accuracy", "macro_auc", "ece"}) {
      const auto& dv = r["disparity"].value(k, nlohmann::json());
      if (dv.is_null()) continue;
      out += fmt::format("disparity {}: worst {} ({:.4f}), max gap {:.4f}, min ratio {}\n", k,
                         dv["worst_group"].get<std::string>(), dv["worst_value"].get<double>(),
                         dv["max_gap"].get<double>(), cell(dv["min_ratio"]));
    }
  }
  return out;
}

// Dataset shift and the corruption benchmark.
std::string section_shift(const nlohmann::json& r) {
  std::string out;
  if (r.contains("dataset_shift")) out += dataset_shift_summary(r["dataset_shift"]);
  if (r.contains("shift")) {
    out +=
        "\nbalanced accuracy under acquisition changes and artefacts, severity 0-5 (mal_sens at 5; corruption error)\n";
    for (const auto& [name, rows] : r["shift"].items()) {
      out += fmt::format("  {:<14}", name);
      for (const auto& row : rows) out += " " + cell(row["balanced_accuracy"]);
      out += fmt::format("   {}  {}\n", cell(rows.back()["malignant_sensitivity"]),
                         cell(r["shift_summary"]["per_corruption"][name]["corruption_error"]));
    }
    const auto& sm = r["shift_summary"];
    out += fmt::format("  mean balanced accuracy {}  mean corruption error {}  worst {} {} at severity {}\n",
                       cell(sm["mean_balanced_accuracy"]), cell(sm["mean_corruption_error"]),
                       cell(sm["worst"]["balanced_accuracy"]), sm["worst"]["corruption"].get<std::string>(),
                       sm["worst"]["severity"].get<int>());
    // Paired, image by image: what moves the malignant probability (an artefact first, when any ran).
    out += "  top-1 flips and mean change of the malignant probability, severity 3 / 5 (paired with the clean image)\n";
    for (const auto& [name, rows] : r["shift"].items()) {
      out += fmt::format("  {:<14}", name);
      for (int s : {3, 5}) {
        const auto& paired = rows[std::size_t(s)].value("paired", nlohmann::json::object());
        const auto change = paired.value("malignant_change", nlohmann::json::object());
        out += fmt::format("  {} {}", cell(paired.value("top1_flip_rate", nlohmann::json())),
                           change.contains("mean") ? fmt::format("{:+.4f}", change["mean"].get<double>()) : "-");
      }
      out += "\n";
    }
    if (const auto headline = headline_malignant_change(sm); !headline.entry.is_null()) {
      const auto& l = headline.entry;
      out += fmt::format(
          "  {} the malignant probability most: {} at severity {}: {:+.4f} (95% CI {:+.4f} to {:+.4f}, Wilcoxon p "
          "{:.2g}), top-1 flips {}, malignant calls flipped {}\n",
          headline.artefact ? "artefact that moves" : "shift that moves", l["corruption"].get<std::string>(),
          l["severity"].get<int>(), l["mean_malignant_change"].get<double>(), l["ci"][0].get<double>(),
          l["ci"][1].get<double>(), l["wilcoxon_p"].get<double>(), cell(l["top1_flip_rate"]),
          cell(l["malignant_call_flip_rate"]));
    }
  }
  return out;
}

}  // namespace

std::string report_summary_text(const nlohmann::json& r) {
  std::string out = section_dataset_and_classes(r);
  out += section_headline(r);
  out += section_selective(r);
  out += section_intervals(r);
  out += section_promises(r);
  out += section_thresholds(r);
  out += section_subgroups(r);
  out += section_shift(r);
  return out;
}

}  // namespace skin
