// faithfulness.cpp: deletion / insertion curves for a saliency map against random and centre rankings.
#include "skin/explain/faithfulness.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "skin/core/error.hpp"
#include "skin/model/classifier.hpp"
#include "skin/model/preprocess.hpp"

namespace skin {

const char* ranking_name(Ranking ranking) {
  switch (ranking) {
    case Ranking::random:
      return "random";
    case Ranking::centre:
      return "centre";
    default:
      return "method";
  }
}

double Curve::area() const {
  if (probability.size() < 2) return probability.empty() ? 0.0 : probability[0];
  double total = 0;
  for (std::size_t i = 1; i < probability.size(); ++i) total += (probability[i - 1] + probability[i]) / 2;
  return total / double(probability.size() - 1);
}

double Curve::drop_at(double fraction) const {
  if (probability.empty()) return 0;
  const double x = std::clamp(fraction, 0.0, 1.0) * double(probability.size() - 1);
  const std::size_t i = std::min(std::size_t(x), probability.size() - 1);
  const double t = x - double(i);
  const double p = i + 1 < probability.size() ? probability[i] * (1 - t) + probability[i + 1] * t : probability[i];
  return probability[0] - p;
}

std::vector<int> rank_pixels(const cv::Mat& map, unsigned seed) {
  CV_Assert(map.type() == CV_32F && map.isContinuous());
  std::vector<int> order(map.total());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  const float* v = map.ptr<float>();
  std::stable_sort(order.begin(), order.end(), [v](int a, int b) { return v[a] > v[b]; });
  return order;
}

cv::Mat centre_prior(cv::Size size) {
  cv::Mat prior(size, CV_32F);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const double dx = (x + 0.5) / size.width - 0.5, dy = (y + 0.5) / size.height - 0.5;
      prior.at<float>(y, x) = float(1.0 - std::sqrt(dx * dx + dy * dy) / std::sqrt(0.5));
    }
  return prior;
}

double heatmap_step_p999(const cv::Mat& map) {
  cv::Mat grey, small;
  map.convertTo(grey, CV_8U, 255.0);
  cv::resize(grey, small, cv::Size(224, 224), 0, 0, cv::INTER_AREA);
  std::vector<int> steps;
  steps.reserve(2 * 224 * 224);
  for (int y = 0; y < small.rows; ++y)
    for (int x = 0; x < small.cols; ++x) {
      const int v = small.at<std::uint8_t>(y, x);
      if (x + 1 < small.cols) steps.push_back(std::abs(v - small.at<std::uint8_t>(y, x + 1)));
      if (y + 1 < small.rows) steps.push_back(std::abs(v - small.at<std::uint8_t>(y + 1, x)));
    }
  const std::size_t k = std::min(steps.size() - 1, std::size_t(double(steps.size() - 1) * 0.999));
  std::nth_element(steps.begin(), steps.begin() + std::ptrdiff_t(k), steps.end());
  return steps[k];
}

namespace {

// `from` with the first `count` pixels of `order` taken from `to`.
cv::Mat replace_first(const cv::Mat& from, const cv::Mat& to, const std::vector<int>& order, std::size_t count) {
  cv::Mat out = from.clone();
  const auto* src = to.ptr<cv::Vec3b>();
  auto* dst = out.ptr<cv::Vec3b>();
  for (std::size_t i = 0; i < count; ++i) dst[order[i]] = src[order[i]];
  return out;
}

}  // namespace

ImageFaithfulness measure_faithfulness(Classifier& c, const cv::Mat& bgr_in, SaliencyMethod method,
                                       const FaithfulnessOptions& o, std::size_t image_index) {
  if (o.steps < 1 || o.steps > 100) throw Error(ErrorKind::usage, "faithfulness steps must be between 1 and 100");
  if (bgr_in.type() != CV_8UC3 || bgr_in.empty())
    throw Error(ErrorKind::input, "faithfulness needs a non-empty 8-bit BGR image");
  const cv::Mat bgr = bgr_in.isContinuous() ? bgr_in : bgr_in.clone();
  ImageFaithfulness r;
  const auto start = std::chrono::steady_clock::now();
  const Saliency s = compute_saliency(c, bgr, method);
  r.saliency_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.class_index = s.class_index;
  r.probability = s.probabilities[s.class_index];
  r.heatmap_step = heatmap_step_p999(s.map);

  cv::Mat blurred;
  cv::GaussianBlur(bgr, blurred, cv::Size(0, 0), o.blur_sigma);
  const unsigned seed = o.seed + unsigned(image_index);
  // Random ranking: a constant map leaves rank_pixels' seeded tie-breaking order as it is.
  const std::array<std::vector<int>, 3> orders = {rank_pixels(s.map, seed),
                                                  rank_pixels(cv::Mat::zeros(bgr.size(), CV_32F), seed ^ 0x9e3779b9u),
                                                  rank_pixels(centre_prior(bgr.size()), seed)};

  // All curve points of all rankings in one batch: (deletion, insertion) x rankings x (steps + 1).
  const std::size_t points = std::size_t(o.steps) + 1, per_image = c.input_size();
  std::vector<float> inputs(2 * orders.size() * points * per_image);
  std::size_t slot = 0;
  for (int insertion = 0; insertion < 2; ++insertion)
    for (const auto& order : orders)
      for (std::size_t k = 0; k < points; ++k) {
        const std::size_t count = order.size() * k / std::size_t(o.steps);
        const cv::Mat image =
            insertion ? replace_first(blurred, bgr, order, count) : replace_first(bgr, blurred, order, count);
        preprocess_into(image, c.manifest().input, inputs.data() + slot++ * per_image);
      }
  const std::size_t n = c.num_classes(), total = slot;
  const std::vector<float> probs = c.predict_in_batches(inputs.data(), total);
  slot = 0;
  for (int insertion = 0; insertion < 2; ++insertion)
    for (std::size_t rank = 0; rank < orders.size(); ++rank) {
      Curve& curve = insertion ? r.insertion[rank] : r.deletion[rank];
      for (std::size_t k = 0; k < points; ++k) curve.probability.push_back(probs[slot++ * n + r.class_index]);
    }
  return r;
}

MeanCi bootstrap_mean(const std::vector<double>& values, std::size_t resamples, unsigned seed) {
  MeanCi ci;
  if (values.empty()) return ci;
  ci.mean = std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
  if (resamples == 0) return ci.low = ci.high = ci.mean, ci;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
  std::vector<double> means(resamples);
  for (auto& m : means) {
    double sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) sum += values[pick(rng)];
    m = sum / double(values.size());
  }
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) {  // linear interpolation between order statistics
    const double x = q * double(means.size() - 1);
    const std::size_t i = std::size_t(x);
    return i + 1 < means.size() ? means[i] + (x - double(i)) * (means[i + 1] - means[i]) : means[i];
  };
  ci.low = quantile(0.025);
  ci.high = quantile(0.975);
  return ci;
}

namespace {

nlohmann::json ci_json(const MeanCi& ci) { return {{"mean", ci.mean}, {"ci95", {ci.low, ci.high}}}; }

// The three per-image scores of one ranking.
struct Scores {
  std::vector<double> deletion_area, insertion_area, drop_at_20;
};

Scores scores_of(const std::vector<ImageFaithfulness>& images, std::size_t rank) {
  Scores s;
  for (const auto& im : images) {
    s.deletion_area.push_back(im.deletion[rank].area());
    s.insertion_area.push_back(im.insertion[rank].area());
    s.drop_at_20.push_back(im.deletion[rank].drop_at(0.2));
  }
  return s;
}

std::vector<double> minus(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

nlohmann::json curve_json(const Curve& c) {
  return {{"probability", c.probability}, {"area", c.area()}, {"drop_at_20", c.drop_at(0.2)}};
}

}  // namespace

nlohmann::json faithfulness_report(const std::string& method, const std::vector<std::string>& labels,
                                   const std::vector<std::string>& paths, const std::vector<ImageFaithfulness>& images,
                                   const FaithfulnessOptions& o) {
  nlohmann::json per_image = nlohmann::json::array();
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto& im = images[i];
    nlohmann::json deletion, insertion;
    for (std::size_t r = 0; r < kRankings.size(); ++r) {
      deletion[ranking_name(kRankings[r])] = curve_json(im.deletion[r]);
      insertion[ranking_name(kRankings[r])] = curve_json(im.insertion[r]);
    }
    per_image.push_back({{"path", i < paths.size() ? paths[i] : ""},
                         {"class", labels.at(im.class_index)},
                         {"probability", im.probability},
                         {"saliency_seconds", im.saliency_seconds},
                         {"heatmap_step_p999", im.heatmap_step},
                         {"deletion", deletion},
                         {"insertion", insertion}});
  }
  nlohmann::json summary = {{"images", images.size()}};
  std::vector<double> seconds;
  for (const auto& im : images) seconds.push_back(im.saliency_seconds);
  summary["saliency_seconds"] = ci_json(bootstrap_mean(seconds, 0, o.seed));
  std::vector<double> steps;
  for (const auto& im : images) steps.push_back(im.heatmap_step);
  summary["heatmap_step_p999"] = ci_json(bootstrap_mean(steps, o.bootstrap, o.seed));
  std::array<Scores, 3> scores;
  nlohmann::json rankings;
  for (std::size_t r = 0; r < kRankings.size(); ++r) {
    scores[r] = scores_of(images, r);
    std::vector<double> mean_deletion(std::size_t(o.steps) + 1, 0.0), mean_insertion = mean_deletion;
    for (const auto& im : images)
      for (std::size_t k = 0; k < mean_deletion.size(); ++k) {
        mean_deletion[k] += im.deletion[r].probability[k] / double(images.size());
        mean_insertion[k] += im.insertion[r].probability[k] / double(images.size());
      }
    rankings[ranking_name(kRankings[r])] = {
        {"deletion_area", ci_json(bootstrap_mean(scores[r].deletion_area, o.bootstrap, o.seed))},
        {"insertion_area", ci_json(bootstrap_mean(scores[r].insertion_area, o.bootstrap, o.seed))},
        {"deletion_drop_at_20", ci_json(bootstrap_mean(scores[r].drop_at_20, o.bootstrap, o.seed))},
        {"mean_deletion_curve", mean_deletion},
        {"mean_insertion_curve", mean_insertion}};
  }
  summary["rankings"] = rankings;
  for (Ranking baseline : {Ranking::random, Ranking::centre}) {
    const auto& a = scores[0];
    const auto& b = scores[std::size_t(baseline)];
    // Paired differences (same images, same blur): their CIs say whether the method beats the baseline.
    summary[fmt::format("method_minus_{}", ranking_name(baseline))] = {
        {"deletion_drop_at_20", ci_json(bootstrap_mean(minus(a.drop_at_20, b.drop_at_20), o.bootstrap, o.seed))},
        {"deletion_area", ci_json(bootstrap_mean(minus(a.deletion_area, b.deletion_area), o.bootstrap, o.seed))},
        {"insertion_area", ci_json(bootstrap_mean(minus(a.insertion_area, b.insertion_area), o.bootstrap, o.seed))}};
  }
  return {{"method", method},
          {"options", {{"steps", o.steps}, {"blur_sigma", o.blur_sigma}, {"seed", o.seed}, {"bootstrap", o.bootstrap}}},
          {"summary", summary},
          {"images", per_image}};
}

}  // namespace skin
