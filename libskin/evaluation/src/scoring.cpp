// scoring.cpp: scores a labelled dataset by running a model or by reading a predictions file.
#include "skin/evaluation/scoring.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/sha256.hpp"
#include "skin/core/strings.hpp"
#include "skin/inference/prediction_files.hpp"

namespace skin {

int truth_index(const Scoring& s, const LabeledItem& item) {
  int t = find_label(s.labels, item.label);
  if (t < 0)
    throw Error(ErrorKind::input, fmt::format("image '{}' is labelled '{}', which is not one of the classes ({})",
                                              item.id, item.label, fmt::join(s.labels, ", ")));
  return t;
}

void check_label_space(const Dataset& dataset, const Scoring& s, const std::string& what) {
  std::vector<std::string> classes, missing;
  for (const auto& item : dataset.items) {
    const std::string label = to_lower(item.label);
    if (std::find(classes.begin(), classes.end(), label) != classes.end()) continue;
    classes.push_back(label);
    if (find_label(s.labels, label) < 0) missing.push_back(label);
  }
  if (missing.empty()) return;
  std::sort(classes.begin(), classes.end());
  throw Error(ErrorKind::usage,
              fmt::format("{} has classes ({}) but the dataset has ({}); not covered: {}. Map the columns with "
                          "--label-map (e.g. AK=akiec,SCC=akiec,UNK=-) or use a model for these classes",
                          what, fmt::join(s.labels, ", "), fmt::join(classes, ", "), fmt::join(missing, ", ")));
}

int find_label(const std::vector<std::string>& labels, const std::string& label) {
  const std::string want = to_lower(label);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (to_lower(labels[i]) == want) return int(i);
  return -1;
}

namespace {

// A model's side of a scoring: its classes after the label map, its malignant classes, its
// identity, and the map itself; refuses a model that does not cover the dataset's classes.
struct ModelSide {
  Scoring base;
  ResolvedLabels resolved;
};

ModelSide model_side(const Dataset& dataset, Classifier& classifier, const LabelMap& label_map) {
  const Manifest& m = classifier.manifest();
  ModelSide side{Scoring{}, resolve_labels(m.labels, label_map)};
  Scoring& s = side.base;
  s.labels = m.labels;
  s.malignant = m.malignant;
  s.feature_statistics = m.feature_statistics;
  s.conformal = m.conformal;
  s.malignant_guarantee = m.malignant_guarantee;
  s.source = {{"kind", "model"},
              {"name", m.name},
              {"version", m.version},
              {"directory", classifier.directory()},
              {"manifest_sha256", m.file_sha256},
              {"temperature", m.temperature}};
  const ResolvedLabels& resolved = side.resolved;
  if (!resolved.identity && m.conformal)
    throw Error(ErrorKind::usage, fmt::format("model '{}' has conformal prediction sets over its own classes; "
                                              "evaluate it without --label-map, or calibrate a model for these "
                                              "classes",
                                              m.name));
  if (!resolved.identity) {
    s.labels = resolved.labels;
    s.malignant.clear();
    s.malignant_guarantee.reset();
    for (const auto& label : m.malignant)  // a malignant label survives if its column was not dropped
      for (std::size_t c = 0; c < m.labels.size(); ++c)
        if (m.labels[c] == label && resolved.target[c] >= 0) {
          const auto& mapped = resolved.labels[std::size_t(resolved.target[c])];
          if (std::find(s.malignant.begin(), s.malignant.end(), mapped) == s.malignant.end())
            s.malignant.push_back(mapped);
        }
  }
  if (!label_map.empty()) s.label_map = resolved.describe();
  check_label_space(dataset, s, "model '" + m.name + "'");  // before any image is decoded
  return side;
}

void add_scored(Scoring& into, const ResolvedLabels& resolved, const LabeledItem& item, const std::vector<float>& p,
                const std::vector<float>& raw, const Prediction* whole = nullptr) {
  std::vector<double> probabilities(p.begin(), p.end());
  ScoredItem scored;
  scored.id = item.id;
  scored.path = item.path;
  scored.truth = truth_index(into, item);
  if (whole) {
    scored.pooled = whole->pooled_features;
    scored.skin_tone = whole->skin_tone;
    into.skin_tone_measured = into.skin_tone_measured || whole->skin_tone_measured;
  }
  if (resolved.identity) {
    scored.probabilities = std::move(probabilities);
    scored.scores.assign(raw.begin(), raw.end());
  } else {  // merged columns have no raw score
    scored.probabilities = resolved.apply(probabilities.data());
  }
  into.scored.push_back(std::move(scored));
}

// The dataset's items with a file (and the ids of those without, as `missing`).
struct PresentItems {
  std::vector<std::string> paths;
  std::vector<const LabeledItem*> items;
  std::vector<std::string> missing;
};

PresentItems present_items(const Dataset& dataset) {
  PresentItems present;
  for (const auto& item : dataset.items) {
    if (item.path.empty()) {
      present.missing.push_back(item.id);
    } else {
      present.paths.push_back(item.path);
      present.items.push_back(&item);
    }
  }
  return present;
}

}  // namespace

std::vector<Scoring> score_with_model_variants(const Dataset& dataset, Classifier& classifier,
                                               const PipelineOptions& options, std::size_t variant_count,
                                               const std::function<void(const PipelineStats&)>& progress,
                                               const LabelMap& label_map) {
  ModelSide side = model_side(dataset, classifier, label_map);
  const PresentItems present = present_items(dataset);
  side.base.missing = present.missing;
  std::vector<Scoring> out(1 + variant_count, side.base);
  InputSource source(present.paths);
  std::size_t k = 0;
  classify_stream(
      source, classifier, options,
      [&](Prediction&& p) {
        const LabeledItem& item = *present.items[k++];
        if (!p.ok()) {
          for (auto& scoring : out) scoring.failed.push_back({item.id, item.path, p.error});
          return;
        }
        if (p.variants.size() != variant_count)
          throw Error(ErrorKind::usage,
                      fmt::format("{}: {} variants, expected {}", item.path, p.variants.size(), variant_count));
        add_scored(out[0], side.resolved, item, p.probabilities, p.scores, &p);
        if (!p.pooled_features.empty()) out[0].feature_moments.add(p.pooled_features);
        for (std::size_t v = 0; v < variant_count; ++v)
          add_scored(out[v + 1], side.resolved, item, p.variants[v].probabilities, p.variants[v].scores);
      },
      progress);
  return out;
}

std::vector<Scoring> score_with_models(const Dataset& dataset, const std::vector<Classifier*>& classifiers,
                                       const PipelineOptions& options,
                                       const std::function<void(const PipelineStats&)>& progress,
                                       const LabelMap& label_map) {
  std::vector<ModelSide> sides;
  for (Classifier* c : classifiers) sides.push_back(model_side(dataset, *c, label_map));
  for (std::size_t m = 1; m < sides.size(); ++m)
    if (sides[m].base.labels != sides[0].base.labels)
      throw Error(ErrorKind::usage,
                  fmt::format("models '{}' ({}) and '{}' ({}) have different classes; compare them after a common "
                              "--label-map",
                              classifiers[0]->manifest().name, fmt::join(sides[0].base.labels, ", "),
                              classifiers[m]->manifest().name, fmt::join(sides[m].base.labels, ", ")));
  const PresentItems present = present_items(dataset);
  std::vector<Scoring> out;
  for (auto& side : sides) {
    side.base.missing = present.missing;
    out.push_back(side.base);
  }
  PipelineOptions plain = options;
  plain.variants = nullptr;
  InputSource source(present.paths);
  std::size_t k = 0;
  classify_stream_models(
      source, classifiers, plain,
      [&](std::vector<Prediction>&& predictions) {
        const LabeledItem& item = *present.items[k++];
        for (std::size_t m = 0; m < predictions.size(); ++m) {
          const Prediction& p = predictions[m];
          if (!p.ok()) {
            out[m].failed.push_back({item.id, item.path, p.error});
            continue;
          }
          add_scored(out[m], sides[m].resolved, item, p.probabilities, p.scores, &p);
          if (!p.pooled_features.empty()) out[m].feature_moments.add(p.pooled_features);
        }
      },
      progress);
  return out;
}

Scoring score_with_model(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                         const std::function<void(const PipelineStats&)>& progress, const LabelMap& label_map) {
  PipelineOptions plain = options;
  plain.variants = nullptr;
  return std::move(score_with_model_variants(dataset, classifier, plain, 0, progress, label_map)[0]);
}

Scoring score_with_predictions(const Dataset& dataset, const std::string& path,
                               const std::vector<std::string>& malignant, const LabelMap& label_map) {
  PredictionRows file = read_predictions(path);
  if (file.labels.empty()) throw Error(ErrorKind::input, fmt::format("{}: no predictions", path));

  Scoring s;
  const ResolvedLabels resolved = resolve_labels(file.labels, label_map);
  s.labels = resolved.labels;
  if (file.upper_case_labels)  // ISIC column names are upper case; classes are reported lower case
    for (auto& label : s.labels) label = to_lower(label);
  if (!label_map.empty()) s.label_map = resolved.describe();
  for (const auto& label : malignant)
    if (find_label(s.labels, label) >= 0) s.malignant.push_back(s.labels[std::size_t(find_label(s.labels, label))]);
  s.source = {{"kind", "predictions"}, {"path", path}, {"sha256", sha256_file(path)}};
  check_label_space(dataset, s, path);
  if (!resolved.identity)
    for (auto& [id, row] : file.rows)
      if (row.error.empty()) row.p = resolved.apply(row.p.data());

  std::unordered_set<std::string> labelled;
  for (const auto& item : dataset.items) labelled.insert(item.id);
  for (const auto& [id, row] : file.rows)
    if (!labelled.count(id) && !dataset.outside_split.count(id)) s.unlabelled.push_back(id);
  std::sort(s.unlabelled.begin(), s.unlabelled.end());
  for (const auto& item : dataset.items) {
    int t = truth_index(s, item);
    auto it = file.rows.find(item.id);
    if (it == file.rows.end()) {
      s.missing.push_back(item.id);
    } else if (!it->second.error.empty()) {
      s.failed.push_back({item.id, item.path, it->second.error});
    } else {
      s.scored.push_back({item.id, item.path, t, it->second.p, {}});
    }
  }
  return s;
}

namespace {
FlatScores flatten(const Scoring& s, std::vector<double> ScoredItem::*row) {
  FlatScores out;
  out.truth.reserve(s.scored.size());
  out.values.reserve(s.scored.size() * s.labels.size());
  for (const auto& item : s.scored) {
    out.truth.push_back(item.truth);
    out.values.insert(out.values.end(), (item.*row).begin(), (item.*row).end());
  }
  return out;
}
}  // namespace

FlatScores flatten_probabilities(const Scoring& s) { return flatten(s, &ScoredItem::probabilities); }
FlatScores flatten_raw_scores(const Scoring& s) { return flatten(s, &ScoredItem::scores); }

std::string per_image_csv(const Scoring& s) {
  std::string out = "id,path,truth,prediction,confidence,correct";
  for (const auto& label : s.labels) out += ",p_" + csv_escape(label);
  if (s.skin_tone_measured) out += ",ita,ita_category";
  out += "\n";
  for (const auto& item : s.scored) {
    auto best = std::size_t(std::max_element(item.probabilities.begin(), item.probabilities.end()) -
                            item.probabilities.begin());
    out += fmt::format("{},{},{},{},{:.9g},{}", csv_escape(item.id), csv_escape(item.path),
                       s.labels[std::size_t(item.truth)], s.labels[best], item.probabilities[best],
                       int(best) == item.truth ? 1 : 0);
    for (double p : item.probabilities)
      out += fmt::format(",{:.17g}", p);  // round-trips: paired tests see the same ties
    if (s.skin_tone_measured)
      out += item.skin_tone ? fmt::format(",{:.6f},{}", item.skin_tone->ita, item.skin_tone->category) : ",,";
    out += "\n";
  }
  return out;
}

void add_skin_tone_attributes(Dataset& dataset, const Scoring& scoring) {
  std::unordered_map<std::string, const ScoredItem*> by_id;
  for (const auto& item : scoring.scored) by_id[item.id] = &item;
  for (auto& item : dataset.items) {
    const auto it = by_id.find(item.id);
    if (it == by_id.end()) continue;
    const auto& tone = it->second->skin_tone;
    item.attributes["ita"] = tone ? tone->category : "(no skin visible)";
    item.attributes["ita_degrees"] = tone ? fmt::format("{:.3f}", tone->ita) : "";
  }
}

void require_complete(const Scoring& s) {
  auto first = [](const std::vector<std::string>& ids) {
    std::string out;
    for (std::size_t i = 0; i < ids.size() && i < 5; ++i) out += (i ? ", " : "") + ids[i];
    return ids.size() > 5 ? out + ", ..." : out;
  };
  std::string problems;
  if (!s.missing.empty())
    problems += fmt::format("{} labelled items have no prediction ({})", s.missing.size(), first(s.missing));
  if (!s.unlabelled.empty())
    problems += fmt::format("{}{} predictions have no label ({})", problems.empty() ? "" : "; ", s.unlabelled.size(),
                            first(s.unlabelled));
  if (!problems.empty()) throw Error(ErrorKind::input, "--strict: " + problems);
}

}  // namespace skin
