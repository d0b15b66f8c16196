// plots.cpp: small, readable figures with cv::putText / cv::line; no plotting library needed.
#include "skin/evaluation/plots.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "skin/core/error.hpp"
#include "skin/core/output_file.hpp"
#include "skin/evaluation/roc.hpp"
#include "skin/evaluation/subset_metrics.hpp"
#include "skin/input/image_io.hpp"
#include "skin/robustness/corruptions.hpp"

namespace skin {
namespace {

const cv::Scalar kBlack(0, 0, 0), kGrey(160, 160, 160), kWhite(255, 255, 255);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

void text(cv::Mat& img, const std::string& s, cv::Point at, double scale = 0.5, cv::Scalar colour = kBlack,
          bool centred = false) {
  int base = 0;
  cv::Size size = cv::getTextSize(s, kFont, scale, 1, &base);
  if (centred) at.x -= size.width / 2;
  cv::putText(img, s, at, kFont, scale, colour, 1, cv::LINE_AA);
}

void save(const std::string& path, const cv::Mat& img) { write_png(path, img); }

// Distinct colours for up to 10 series (BGR), colour-blind friendly (Okabe-Ito + extras).
cv::Scalar series_colour(std::size_t i) {
  static const cv::Scalar kColours[] = {{0, 159, 230}, {233, 180, 86},  {115, 158, 0}, {66, 228, 240},  {178, 114, 0},
                                        {0, 94, 213},  {167, 121, 204}, {0, 0, 0},     {128, 128, 128}, {40, 40, 160}};
  return kColours[i % 10];
}

// Axes box with ticks 0..1 on both axes; returns the plot rectangle.
cv::Rect unit_axes(cv::Mat& img, cv::Rect area, const std::string& xlabel, const std::string& ylabel,
                   double y_max = 1.0, double x_max = 1.0) {
  cv::rectangle(img, area, kBlack, 1);
  for (int i = 0; i <= 5; ++i) {
    double v = i / 5.0;
    int x = area.x + int(v * area.width), y = area.y + area.height - int(v * area.height);
    cv::line(img, {x, area.y + area.height}, {x, area.y + area.height + 5}, kBlack);
    cv::line(img, {area.x - 5, y}, {area.x, y}, kBlack);
    text(img, fmt::format(x_max > 1 ? "{:.0f}" : "{:.1f}", v * x_max), {x, area.y + area.height + 20}, 0.4, kBlack,
         true);
    text(img, fmt::format(y_max < 1 ? "{:.2f}" : "{:.1f}", v * y_max), {area.x - 38, y + 4}, 0.4);
  }
  text(img, xlabel, {area.x + area.width / 2, area.y + area.height + 42}, 0.5, kBlack, true);
  cv::Mat label(24, 300, CV_8UC3, kWhite);
  text(label, ylabel, {150, 17}, 0.5, kBlack, true);
  cv::rotate(label, label, cv::ROTATE_90_COUNTERCLOCKWISE);
  label.copyTo(img(cv::Rect(area.x - 62, area.y + area.height / 2 - 150, 24, 300)));
  return area;
}

cv::Point to_pixel(cv::Rect area, double x, double y) {
  return {area.x + int(x * area.width + 0.5), area.y + area.height - int(y * area.height + 0.5)};
}

}  // namespace

void write_confusion_matrix_png(const std::string& path, const std::vector<std::string>& labels,
                                const std::vector<std::vector<std::size_t>>& counts) {
  const int n = int(labels.size()), cell = std::max(48, 480 / std::max(1, n)), left = 110, top = 70;
  cv::Mat img(top + n * cell + 80, left + n * cell + 40, CV_8UC3, kWhite);
  text(img, "Confusion matrix (colour: row-normalised, text: counts)", {20, 28}, 0.55);
  for (int r = 0; r < n; ++r) {
    double total = std::accumulate(counts[r].begin(), counts[r].end(), 0.0);
    for (int c = 0; c < n; ++c) {
      double v = total > 0 ? counts[r][c] / total : 0;
      cv::Rect box(left + c * cell, top + r * cell, cell, cell);
      // white -> dark blue
      cv::rectangle(img, box, cv::Scalar(255 - 120 * v, 255 - 200 * v, 255 - 230 * v), cv::FILLED);
      cv::rectangle(img, box, kGrey, 1);
      text(img, std::to_string(counts[r][c]), {box.x + cell / 2, box.y + cell / 2 + 5}, 0.5, v > 0.5 ? kWhite : kBlack,
           true);
    }
    text(img, labels[r], {left - 10 - 9 * int(labels[r].size()), top + r * cell + cell / 2 + 5});
    text(img, labels[r], {left + r * cell + cell / 2, top + n * cell + 20}, 0.5, kBlack, true);
  }
  text(img, "predicted", {left + n * cell / 2, top + n * cell + 48}, 0.55, kBlack, true);
  text(img, "true", {20, top - 12}, 0.55);
  save(path, img);
}

void write_reliability_png(const std::string& path, const std::vector<CalibrationBin>& bins, double ece) {
  cv::Mat img(620, 620, CV_8UC3, kWhite);
  text(img, fmt::format("Reliability diagram (top-label, {} bins), ECE = {:.4f}", bins.size(), ece), {20, 28}, 0.55);
  cv::Rect area = unit_axes(img, {90, 60, 480, 480}, "confidence", "accuracy");
  for (const auto& b : bins) {
    if (!b.count) continue;
    cv::Point lo = to_pixel(area, b.lower, 0), hi = to_pixel(area, b.upper, b.accuracy);
    cv::rectangle(img, cv::Rect(lo, hi), cv::Scalar(200, 140, 60), cv::FILLED);
    cv::rectangle(img, cv::Rect(lo, hi), kBlack, 1);
    // gap to perfect calibration (bin middle) in red
    cv::Point mid_top = to_pixel(area, (b.lower + b.upper) / 2, (b.lower + b.upper) / 2);
    cv::line(img, {mid_top.x, hi.y}, mid_top, cv::Scalar(40, 40, 220), 2);
  }
  cv::line(img, to_pixel(area, 0, 0), to_pixel(area, 1, 1), kGrey, 1, cv::LINE_AA);
  cv::rectangle(img, cv::Rect(250, 470, 14, 14), cv::Scalar(200, 140, 60), cv::FILLED);
  text(img, "accuracy in bin", {270, 482}, 0.45);
  cv::line(img, {250, 499}, {264, 499}, cv::Scalar(40, 40, 220), 2);
  text(img, "gap to the diagonal", {270, 503}, 0.45);
  save(path, img);
}

std::vector<std::pair<double, double>> roc_points(const std::vector<bool>& positive, const std::vector<double>& score) {
  std::vector<std::pair<double, double>> pts;
  for (const auto& p : roc_curve(positive, score)) pts.emplace_back(p.fpr, p.tpr);
  return pts;
}

void write_roc_png(const std::string& path, const std::vector<std::string>& labels, const std::vector<int>& truth,
                   const std::vector<double>& probs) {
  cv::Mat img(620, 820, CV_8UC3, kWhite);
  text(img, "ROC curves, one class vs rest", {20, 28}, 0.55);
  cv::Rect area = unit_axes(img, {90, 60, 480, 480}, "false positive rate", "true positive rate");
  cv::line(img, to_pixel(area, 0, 0), to_pixel(area, 1, 1), kGrey, 1, cv::LINE_AA);
  const std::size_t c = labels.size(), n = truth.size();
  int legend_y = 80;
  for (std::size_t k = 0; k < c; ++k) {
    std::vector<bool> positive(n);
    std::vector<double> score(n);
    for (std::size_t i = 0; i < n; ++i) {
      positive[i] = std::size_t(truth[i]) == k;
      score[i] = probs[i * c + k];
    }
    auto auc = roc_auc(positive, score);
    if (!auc) continue;
    auto pts = roc_points(positive, score);
    for (std::size_t i = 1; i < pts.size(); ++i)
      cv::line(img, to_pixel(area, pts[i - 1].first, pts[i - 1].second), to_pixel(area, pts[i].first, pts[i].second),
               series_colour(k), 2, cv::LINE_AA);
    cv::line(img, {600, legend_y - 5}, {625, legend_y - 5}, series_colour(k), 3);
    text(img, fmt::format("{} (AUC {:.3f})", labels[k], *auc), {632, legend_y}, 0.45);
    legend_y += 22;
  }
  save(path, img);
}

void write_evaluation_plots(const std::string& dir, const Scoring& s, const nlohmann::json& report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot create plot directory ({})", dir, ec.message()));
  write_confusion_matrix_png(dir + "/confusion_matrix.png", s.labels,
                             report.at("confusion_matrix").at("counts").get<std::vector<std::vector<std::size_t>>>());
  std::vector<CalibrationBin> bins;
  for (const auto& b : report.at("calibration").at("bins"))
    bins.push_back({b["lower"], b["upper"], b["count"], b["confidence"], b["accuracy"]});
  write_reliability_png(dir + "/reliability.png", bins, report.at("metrics").at("ece").get<double>());
  const ScoreTable table = score_table(s);
  write_roc_png(dir + "/roc.png", s.labels, table.truth, table.probabilities);

  // The curves as data too, for anyone re-plotting them.
  std::string roc_csv = "curve,threshold,fpr,tpr\n";
  auto add_curve = [&](const std::string& name, const std::vector<bool>& positive, const std::vector<double>& score) {
    for (const auto& p : roc_curve(positive, score))
      roc_csv += fmt::format("{},{},{:.9g},{:.9g}\n", name, p.threshold ? fmt::format("{:.9g}", *p.threshold) : "inf",
                             p.fpr, p.tpr);
  };
  for (std::size_t k = 0; k < s.labels.size(); ++k) {
    const auto [positive, score] = table.one_vs_rest(k);
    add_curve(s.labels[k], positive, score);
  }
  if (table.has_binary) add_curve("malignant", table.malignant_truth, table.malignant_score);
  write_file_atomically(dir + "/roc_points.csv", roc_csv);

  const auto [confidence, correct] = table.top_label();
  const RiskCoverage rc = risk_coverage(confidence, correct);
  std::string rc_csv = "threshold,coverage,risk\n";
  for (const auto& p : rc.curve) rc_csv += fmt::format("{:.9g},{:.9g},{:.9g}\n", p.threshold, p.coverage, p.risk);
  write_file_atomically(dir + "/risk_coverage.csv", rc_csv);
  write_risk_coverage_png(dir + "/risk_coverage.png", rc);
  if (report.contains("subgroups")) write_subgroups_png(dir + "/subgroups.png", report);
  if (report.contains("shift")) write_shift_png(dir + "/shift.png", report);
}

void write_shift_png(const std::string& path, const nlohmann::json& report) {
  const auto& shift = report.at("shift");
  cv::Mat img(560 + 20 * int((shift.size() + 1) / 2), 700, CV_8UC3, kWhite);
  text(img,
       fmt::format("Balanced accuracy under acquisition changes ({} images)",
                   report.at("shift_summary").at("images").get<std::size_t>()),
       {20, 28}, 0.55);
  cv::Rect area = unit_axes(img, {90, 60, 480, 400}, "severity", "balanced accuracy", 1.0, kMaxSeverity);
  std::size_t series = 0;
  for (const auto& [name, rows] : shift.items()) {
    // Colours repeat after ten series; the repeats are dashed.
    const cv::Scalar colour = series_colour(series);
    const bool dashed = series >= 10;
    std::vector<cv::Point> points;
    for (const auto& row : rows)
      if (row.at("balanced_accuracy").is_number())
        points.push_back(
            to_pixel(area, row.at("severity").get<double>() / kMaxSeverity, row.at("balanced_accuracy").get<double>()));
    for (std::size_t k = 1; k < points.size(); ++k) {
      const cv::Point a = points[k - 1], b = points[k];
      if (!dashed) {
        cv::line(img, a, b, colour, 2, cv::LINE_AA);
        continue;
      }
      for (int d = 0; d < 4; ++d)
        cv::line(img, a + (b - a) * (2 * d) / 8, a + (b - a) * (2 * d + 1) / 8, colour, 2, cv::LINE_AA);
    }
    for (const auto& p : points) cv::circle(img, p, 3, colour, cv::FILLED, cv::LINE_AA);
    const int x = 100 + 300 * int(series % 2), y = 530 + 20 * int(series / 2);
    cv::line(img, {x, y - 5}, {x + 30, y - 5}, colour, 2, cv::LINE_AA);
    text(img, name, {x + 40, y}, 0.45);
    ++series;
  }
  save(path, img);
}

void write_risk_coverage_png(const std::string& path, const RiskCoverage& rc) {
  cv::Mat img(560, 640, CV_8UC3, kWhite);
  text(img, fmt::format("Risk-coverage (confidence = top probability), AURC {:.4f}", rc.aurc), {20, 28}, 0.55);
  double max_risk = 0;
  for (const auto& p : rc.curve) max_risk = std::max(max_risk, p.risk);
  const double y_top = std::max(0.05, std::ceil(max_risk * 10) / 10);  // y axis 0..y_top, labelled in risk units
  cv::Rect area = unit_axes(img, {90, 60, 480, 400}, "coverage", "risk (error rate among answered)", y_top);
  cv::Point prev = to_pixel(area, 0, rc.curve.empty() ? 0 : rc.curve.front().risk / y_top);
  for (const auto& p : rc.curve) {
    cv::Point at = to_pixel(area, p.coverage, p.risk / y_top);
    cv::line(img, prev, {at.x, prev.y}, series_colour(0), 2, cv::LINE_AA);
    cv::line(img, {at.x, prev.y}, at, series_colour(0), 2, cv::LINE_AA);
    prev = at;
  }
  save(path, img);
}

void write_faithfulness_png(const std::string& path, const nlohmann::json& report) {
  cv::Mat img(640, 700, CV_8UC3, kWhite);
  const auto& summary = report.at("summary");
  text(img,
       fmt::format("Faithfulness of {} on {} images: explained-class probability",
                   report.at("method").get<std::string>(), summary.at("images").get<std::size_t>()),
       {20, 28}, 0.5);
  text(img, "solid: deletion (top-ranked pixels blurred first), dashed: insertion (revealed first)", {20, 50}, 0.4);
  cv::Rect area = unit_axes(img, {90, 80, 480, 400}, "fraction of pixels blurred / revealed", "probability");
  std::size_t series = 0;
  for (const char* name : {"method", "random", "centre"}) {
    const auto& r = summary.at("rankings").at(name);
    const cv::Scalar colour = series_colour(series);
    for (const char* kind : {"mean_deletion_curve", "mean_insertion_curve"}) {
      const auto curve = r.at(kind).get<std::vector<double>>();
      const bool dashed = std::string(kind) == "mean_insertion_curve";
      for (std::size_t k = 1; k < curve.size(); ++k) {
        const double x0 = double(k - 1) / double(curve.size() - 1), x1 = double(k) / double(curve.size() - 1);
        const cv::Point a = to_pixel(area, x0, curve[k - 1]), b = to_pixel(area, x1, curve[k]);
        if (!dashed) {
          cv::line(img, a, b, colour, 2, cv::LINE_AA);
          continue;
        }
        for (int d = 0; d < 4; ++d)  // four dashes per segment
          cv::line(img, a + (b - a) * (2 * d) / 8, a + (b - a) * (2 * d + 1) / 8, colour, 2, cv::LINE_AA);
      }
    }
    const std::string legend =
        fmt::format("{}: deletion AUC {:.3f}, insertion AUC {:.3f}",
                    name == std::string("method") ? report.at("method").get<std::string>() : name,
                    r.at("deletion_area").at("mean").get<double>(), r.at("insertion_area").at("mean").get<double>());
    cv::line(img, {100, 565 + 20 * int(series)}, {130, 565 + 20 * int(series)}, colour, 2, cv::LINE_AA);
    text(img, legend, {140, 570 + 20 * int(series)}, 0.45);
    ++series;
  }
  save(path, img);
}

void write_subgroups_png(const std::string& path, const nlohmann::json& report) {
  const auto& groups = report.at("subgroups");
  const int row_h = 22, top = 60, left = 260, width = 420;
  cv::Mat img(top + row_h * int(groups.size()) + 60, left + width + 60, CV_8UC3, kWhite);
  text(img, "Balanced accuracy per subgroup (bars: 95% CI; grey: small group)", {20, 28}, 0.5);
  cv::Rect area(left, top, width, row_h * int(groups.size()));
  cv::rectangle(img, area, kBlack, 1);
  for (int i = 0; i <= 5; ++i) {
    const int x = left + i * width / 5;
    cv::line(img, {x, area.y + area.height}, {x, area.y + area.height + 5}, kBlack);
    text(img, fmt::format("{:.1f}", i / 5.0), {x, area.y + area.height + 20}, 0.4, kBlack, true);
  }
  int y = top + row_h / 2;
  for (const auto& g : groups) {
    const bool small = g["flagged_small"].get<bool>();
    const cv::Scalar colour = small ? kGrey : series_colour(0);
    text(img,
         fmt::format("{}={} (n={})", g["column"].get<std::string>(), g["group"].get<std::string>(), g["n"].get<int>()),
         {10, y + 5}, 0.4, small ? kGrey : kBlack);
    const auto& v = g["metrics"]["balanced_accuracy"];
    if (v.is_number()) {
      const int x = left + int(v.get<double>() * width);
      if (g.contains("ci") && g["ci"].contains("balanced_accuracy")) {
        const auto& ci = g["ci"]["balanced_accuracy"];
        cv::line(img, {left + int(ci[0].get<double>() * width), y}, {left + int(ci[1].get<double>() * width), y},
                 colour, 1, cv::LINE_AA);
      }
      cv::circle(img, {x, y}, 4, colour, cv::FILLED, cv::LINE_AA);
    }
    y += row_h;
  }
  save(path, img);
}

}  // namespace skin
