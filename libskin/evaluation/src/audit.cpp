// audit.cpp: fingerprints on worker threads, then duplicates, clusters and leaks as one report.
#include "skin/evaluation/audit.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/input/input_source.hpp"
#include "skin/model/quality.hpp"

namespace skin {
namespace {

// The metadata value that ties two images to one lesion or patient, if any.
std::string shared_unit(const AuditImage& a, const AuditImage& b) {
  if (!a.attributes || !b.attributes) return {};
  for (const char* column : {"lesion_id", "patient_id"}) {
    const auto x = a.attributes->find(column), y = b.attributes->find(column);
    if (x != a.attributes->end() && y != b.attributes->end() && !x->second.empty() && x->second == y->second)
      return std::string(column) + "=" + x->second;
  }
  return {};
}

}  // namespace

std::vector<AuditImage> dataset_audit_images(const Dataset& dataset, const std::unordered_set<std::string>& audited,
                                             const std::unordered_set<std::string>& against) {
  auto listed = [](const std::unordered_set<std::string>& ids, const std::string& id) {
    return ids.count(id) > 0 || ids.count(std::filesystem::path(id).stem().string()) > 0;
  };
  std::vector<AuditImage> images;
  for (const auto& item : dataset.items) {
    if (item.path.empty()) continue;
    const bool in1 = listed(against, item.id);
    const bool in0 = audited.empty() ? !in1 : listed(audited, item.id);
    if (in0) images.push_back({item.id, item.path, 0, &item.attributes, item.label});
    if (in1) images.push_back({item.id, item.path, 1, &item.attributes, item.label});
  }
  return images;
}

const std::vector<std::string>& audit_metric_names() {
  static const std::vector<std::string> names{"duplicate_pairs", "exact_duplicates", "leaks", "label_issues",
                                              "quality_flags"};
  return names;
}

AuditFingerprints fingerprint_images(const std::vector<AuditImage>& images, const AuditOptions& options,
                                     const std::function<void(std::size_t)>& progress) {
  std::vector<std::optional<Fingerprint>> prints(images.size());
  std::vector<std::string> errors(images.size());
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progress_mutex;
  auto work = [&] {
    for (std::size_t i = next++; i < images.size(); i = next++) {
      try {
        const cv::Mat decoded = load_image(images[i].path, options.limits);
        prints[i] = fingerprint(images[i].id, images[i].path, decoded);
        for (const auto& check : assess_quality(decoded, options.quality_spec))
          if (!check.ok) prints[i]->quality_flags.push_back(check.name);
      } catch (const Error& e) {
        errors[i] = e.what();
      } catch (const std::exception& e) {
        errors[i] = fmt::format("{}: {}", images[i].path, e.what());
      }
      const std::size_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(d);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, options.threads); ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  AuditFingerprints out;
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (prints[i]) {
      out.prints.push_back(std::move(*prints[i]));
      out.image_of.push_back(i);
    } else {
      out.errors.push_back(errors[i]);
    }
  }
  return out;
}

void add_model_features(AuditFingerprints& f, const std::vector<AuditImage>& images, Classifier& classifier,
                        const PipelineOptions& options, const std::function<void(std::size_t)>& progress) {
  if (!classifier.manifest().feature_statistics)
    throw Error(ErrorKind::usage,
                fmt::format("{}: the model has no feature statistics (the manifest's feature_statistics, written by "
                            "training/export.py), so its pooled features cannot be read",
                            classifier.directory()));
  const FeatureStatistics& stats = *classifier.manifest().feature_statistics;
  // Channels (nearly) dead in training have a standard deviation near zero: any activation there
  // would dominate the standardised vector and make unrelated images alike, so no channel's
  // deviation counts as less than a tenth of the median channel's.
  std::vector<double> sorted_std = stats.std;
  std::sort(sorted_std.begin(), sorted_std.end());
  const double std_floor = sorted_std.empty() ? 1e-6 : std::max(1e-6, 0.1 * sorted_std[sorted_std.size() / 2]);
  std::vector<std::string> paths;
  for (std::size_t k = 0; k < f.prints.size(); ++k) paths.push_back(images[f.image_of[k]].path);
  InputSource source(paths);
  std::size_t k = 0;
  classify_stream(
      source, classifier, options,
      [&](Prediction&& p) {
        Fingerprint& print = f.prints[k++];
        if (!p.error.empty() || p.pooled_features.empty()) {
          f.errors.push_back(p.error.empty() ? fmt::format("{}: no features", p.path) : p.error);
          return;
        }
        // Standardised by the training features first: every dermoscopic image shares most of a
        // post-ReLU feature vector, which would make unrelated lesions look alike.
        std::vector<double> z(p.pooled_features.size());
        double norm = 0;
        for (std::size_t j = 0; j < z.size(); ++j) {
          const double sd = j < stats.std.size() ? std::max(stats.std[j], std_floor) : 1.0;
          z[j] = (p.pooled_features[j] - (j < stats.mean.size() ? stats.mean[j] : 0.0)) / sd;
          norm += z[j] * z[j];
        }
        norm = std::sqrt(norm);
        print.features.resize(z.size());
        for (std::size_t j = 0; j < z.size(); ++j) print.features[j] = norm > 0 ? float(z[j] / norm) : 0.0f;
      },
      [&](const PipelineStats& stats) {
        if (progress) progress(stats.total);
      });
}

nlohmann::json audit_report(const std::vector<AuditImage>& images, const AuditFingerprints& f,
                            const AuditOptions& options, const nlohmann::json& label_issues) {
  using nlohmann::json;
  const auto pairs = near_duplicate_pairs(f.prints, options.max_distance, options.min_cosine);
  const bool features =
      options.min_cosine <= 1 &&
      std::any_of(f.prints.begin(), f.prints.end(), [](const Fingerprint& p) { return !p.features.empty(); });
  const auto clusters = duplicate_clusters(f.prints.size(), pairs);
  auto image = [&](std::size_t k) -> const AuditImage& { return images[f.image_of[k]]; };
  json pair_list = json::array(), leak_list = json::array(), cluster_list = json::array();
  std::size_t exact = 0, leaks = 0, leaks_same_unit = 0, hash_pairs = 0, feature_pairs = 0, feature_only = 0;
  for (const auto& p : pairs) {
    const AuditImage &a = image(p.a), &b = image(p.b);
    const std::string unit = shared_unit(a, b);
    json by = json::array();
    if (p.by_hash) by.push_back(p.exact ? "pixels" : "hash");
    if (p.by_features) by.push_back("features");
    hash_pairs += p.by_hash;
    feature_pairs += p.by_features;
    feature_only += p.by_features && !p.by_hash;
    json entry = {{"a", a.id},        {"b", b.id}, {"distance", p.distance},
                  {"exact", p.exact}, {"by", by},  {"shared", unit.empty() ? json() : json(unit)}};
    if (features) entry["cosine"] = p.cosine;
    if (!a.label.empty() || !b.label.empty()) entry["labels"] = {a.label, b.label};
    exact += p.exact;
    if (a.side != b.side) {
      ++leaks;
      leaks_same_unit += !unit.empty();
      leak_list.push_back(entry);
    }
    pair_list.push_back(std::move(entry));
  }
  for (const auto& c : clusters) {
    json ids = json::array();
    for (std::size_t k : c) ids.push_back(image(k).id);
    cluster_list.push_back(ids);
  }
  // Quality flags, counted per check, with the images that fail any.
  json quality_images = json::array(), per_check = {{"blur", 0}, {"exposure", 0}, {"size", 0}};
  for (const auto& p : f.prints) {
    if (p.quality_flags.empty()) continue;
    for (const auto& name : p.quality_flags) per_check[name] = per_check.value(name, 0) + 1;
    quality_images.push_back({{"id", p.id}, {"flags", p.quality_flags}});
  }
  const std::size_t sides =
      1 + std::size_t(std::any_of(images.begin(), images.end(), [](const AuditImage& i) { return i.side == 1; }));
  json report = {
      {"images", images.size()},
      {"fingerprinted", f.prints.size()},
      {"failed", f.errors},
      {"duplicates",
       {{"max_distance", options.max_distance},
        {"min_cosine", features ? json(options.min_cosine) : json()},
        {"exact_pairs", exact},
        {"near_pairs", pairs.size() - exact},
        {"hash_pairs", hash_pairs},
        {"feature_pairs", features ? json(feature_pairs) : json()},
        {"feature_only_pairs", features ? json(feature_only) : json()},
        {"clusters", cluster_list},
        {"pairs", pair_list}}},
      {"counts",
       {{"duplicate_pairs", pairs.size()},
        {"exact_duplicates", exact},
        {"leaks", sides > 1 ? json(leaks) : json()},
        {"label_issues", label_issues.is_null() ? json() : json(label_issues["issues"].size())},
        {"quality_flags", quality_images.size()}}},
      {"quality",
       {{"checked", f.prints.size()},
        {"flagged", quality_images.size()},
        {"per_check", per_check},
        {"input_size", {options.quality_spec.width, options.quality_spec.height}},
        {"images", quality_images}}},
      {"definitions",
       {{"exact", "identical decoded pixels (SHA-256 of the pixels and the size)"},
        {"near",
         "256-bit difference hashes (of the image, and of its mirror image) within max_distance bits, or (with a "
         "model) cosine similarity of the model's pooled features, standardised by the training features' mean "
         "and standard deviation (at least a tenth of the median channel's), at or above min_cosine"},
        {"quality", "the checks classify --quality runs (blur, exposure, size at the model's input size)"},
        {"leak", "a duplicate pair with one image on each side (--against)"},
        {"shared", "the lesion_id or patient_id both images carry, when the metadata ties them"}}}};
  if (sides > 1)
    report["leaks"] = {{"pairs", leaks},
                       {"same_lesion_or_patient", leaks_same_unit},
                       {"unrelated_ids", leaks - leaks_same_unit},
                       {"list", leak_list}};
  if (!label_issues.is_null()) report["label_issues"] = label_issues;
  return report;
}

}  // namespace skin
