// artefacts.cpp: the drawings of ink, hair, ruler, bubbles and patch; the constants here are
// restated in tests/shift/check_corruptions_reference.py.
#include "skin/robustness/artefacts.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "skin/input/skin_tone.hpp"
#include "skin/robustness/random_stream.hpp"

namespace skin {
namespace {

struct Point {
  double x = 0, y = 0;
};

using Colour = std::array<double, 3>;  // BGR, 0-255

double scale_of(const cv::Mat& f) { return std::min(f.cols, f.rows) / 224.0; }

double coverage(double half_width, double distance) { return std::clamp(half_width + 0.5 - distance, 0.0, 1.0); }

double segment_distance(Point p, Point a, Point b) {
  const double vx = b.x - a.x, vy = b.y - a.y, wx = p.x - a.x, wy = p.y - a.y;
  const double length2 = vx * vx + vy * vy;
  const double t = length2 > 0 ? std::clamp((wx * vx + wy * vy) / length2, 0.0, 1.0) : 0.0;
  return std::hypot(wx - t * vx, wy - t * vy);
}

// Paints `colour` at `opacity` x the coverage that `cover(pixel centre)` gives, over the pixels of
// the bounding box [x0, x1) x [y0, y1) (clipped to the image); outside it the coverage is zero.
template <typename Cover>
void paint(cv::Mat& f, double x0, double y0, double x1, double y1, const Colour& colour, double opacity, Cover cover) {
  const int xa = std::max(0, int(std::floor(x0)) - 1), xb = std::min(f.cols, int(std::ceil(x1)) + 1);
  const int ya = std::max(0, int(std::floor(y0)) - 1), yb = std::min(f.rows, int(std::ceil(y1)) + 1);
  for (int y = ya; y < yb; ++y) {
    auto* row = f.ptr<cv::Vec3f>(y);
    for (int x = xa; x < xb; ++x) {
      const double a = opacity * cover(Point{x + 0.5, y + 0.5});
      if (a <= 0) continue;
      for (int c = 0; c < 3; ++c) row[x][c] = float(row[x][c] + a * (colour[std::size_t(c)] - row[x][c]));
    }
  }
}

void paint_polyline(cv::Mat& f, const std::vector<Point>& points, double half_width, const Colour& colour,
                    double opacity) {
  double x0 = points[0].x, x1 = x0, y0 = points[0].y, y1 = y0;
  for (const Point& p : points) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  const double margin = half_width + 1;
  paint(f, x0 - margin, y0 - margin, x1 + margin, y1 + margin, colour, opacity, [&](Point p) {
    double d = segment_distance(p, points[0], points[0]);
    for (std::size_t i = 1; i < points.size(); ++i) d = std::min(d, segment_distance(p, points[i - 1], points[i]));
    return coverage(half_width, d);
  });
}

void paint_capsule(cv::Mat& f, Point a, Point b, double half_width, const Colour& colour, double opacity) {
  paint_polyline(f, {a, b}, half_width, colour, opacity);
}

// The box [x0, x1] x [y0, y1] with a soft edge on each axis.
void paint_box(cv::Mat& f, double x0, double y0, double x1, double y1, const Colour& colour, double opacity) {
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, hx = (x1 - x0) / 2, hy = (y1 - y0) / 2;
  paint(f, x0 - 1, y0 - 1, x1 + 1, y1 + 1, colour, opacity,
        [&](Point p) { return coverage(hx, std::abs(p.x - cx)) * coverage(hy, std::abs(p.y - cy)); });
}

// The uniforms of mark `i`.
std::array<double, 8> mark_uniforms(std::uint64_t seed, int i) {
  std::array<double, 8> u{};
  for (std::size_t j = 0; j < u.size(); ++j) u[j] = artefact_uniform(seed, std::uint64_t(8 * i) + j);
  return u;
}

const Colour kInk{140, 40, 100};         // gentian-violet surgical marker
const Colour kHair{30, 35, 50};          // dark brown
const Colour kRulerBody{225, 230, 235};  // translucent plastic
const Colour kRulerTick{25, 25, 25};
const Colour kWhite{255, 255, 255};
const Colour kPatch[4] = {{40, 40, 200}, {60, 170, 60}, {190, 90, 40}, {40, 210, 230}};  // red, green, blue, yellow

}  // namespace

double artefact_uniform(std::uint64_t seed, std::uint64_t k) { return double(stream_value(seed, k) >> 11) * 0x1p-53; }

LesionGeometry lesion_geometry(const cv::Mat& bgr8) {
  LesionGeometry g;
  g.cx = bgr8.cols / 2.0;
  g.cy = bgr8.rows / 2.0;
  g.radius = std::min(bgr8.cols, bgr8.rows) / 5.0;
  if (bgr8.empty()) return g;
  const cv::Mat working = skin_tone_working_image(bgr8);
  const ToneMasks masks = skin_tone_masks(srgb_to_lab(working));
  const cv::Moments m = cv::moments(masks.lesion, true);
  if (m.m00 <= 0) return g;
  const double sx = double(bgr8.cols) / working.cols, sy = double(bgr8.rows) / working.rows;
  g.cx = (m.m10 / m.m00 + 0.5) * sx;
  g.cy = (m.m01 / m.m00 + 0.5) * sy;
  g.radius = std::sqrt(m.m00 / M_PI) * std::sqrt(sx * sy);
  g.found = true;
  return g;
}

double ink_ring_radius(const cv::Mat& f, const LesionGeometry& lesion) {
  return std::min(lesion.radius, 0.3 * std::min(f.cols, f.rows));
}

// Marks on a ring 1.15-1.5 ring radii out (the lesion radius, at most 0.3 of the shorter side so
// that marks around a lesion filling the view stay in it), tangential dashes (70%) or dots (30%):
// the nearest any mark comes to the lesion centre is about a ring radius, so the lesion's centre
// is never inked.
void draw_ink(cv::Mat& f, int count, std::uint64_t seed, const LesionGeometry& lesion) {
  const double s = scale_of(f), ring = ink_ring_radius(f, lesion);
  for (int i = 0; i < count; ++i) {
    const auto u = mark_uniforms(seed, i);
    const double theta = 2 * M_PI * u[0], r = ring * (1.15 + 0.35 * u[1]);
    const Point centre{lesion.cx + r * std::cos(theta), lesion.cy + r * std::sin(theta)};
    const bool dot = u[4] < 0.3;
    const double half_length = dot ? 0.0 : (4 + 6 * u[3]) * s;
    const double half_width = dot ? (2 + 1.5 * u[3]) * s : 1.5 * s;
    const double direction = theta + M_PI / 2 + (u[2] - 0.5) * 0.6;
    const Point a{centre.x - half_length * std::cos(direction), centre.y - half_length * std::sin(direction)};
    const Point b{centre.x + half_length * std::cos(direction), centre.y + half_length * std::sin(direction)};
    paint_capsule(f, a, b, half_width, kInk, 0.8);
  }
}

// Quadratic Bezier strands 0.35-0.8 of the shorter side long, starting anywhere, as 24-segment
// polylines 1-2 px (x scale) wide.
void draw_hair(cv::Mat& f, int count, std::uint64_t seed) {
  const double s = scale_of(f), side = std::min(f.cols, f.rows);
  constexpr int kSegments = 24;
  for (int i = 0; i < count; ++i) {
    const auto u = mark_uniforms(seed, i);
    const Point p0{f.cols * u[0], f.rows * u[1]};
    const double phi = 2 * M_PI * u[2], length = (0.35 + 0.45 * u[3]) * side, bend = (u[4] - 0.5) * 0.5 * length;
    const Point p2{p0.x + length * std::cos(phi), p0.y + length * std::sin(phi)};
    const Point p1{(p0.x + p2.x) / 2 - bend * std::sin(phi), (p0.y + p2.y) / 2 + bend * std::cos(phi)};
    std::vector<Point> points;
    for (int j = 0; j <= kSegments; ++j) {
      const double t = double(j) / kSegments, a = (1 - t) * (1 - t), b = 2 * (1 - t) * t, c = t * t;
      points.push_back({a * p0.x + b * p1.x + c * p2.x, a * p0.y + b * p1.y + c * p2.y});
    }
    paint_polyline(f, points, (0.5 + 0.5 * u[5]) * s, kHair, 0.9);
  }
}

// A light band 12 px (x scale) wide, 3 px in from one edge, spanning `fraction` of it, with dark
// ticks every 4 px, every fifth one longer.
void draw_ruler(cv::Mat& f, double fraction, std::uint64_t seed) {
  const double s = scale_of(f);
  const auto u = mark_uniforms(seed, 0);
  const int edge = std::min(3, int(4 * u[0]));  // 0 bottom, 1 top, 2 left, 3 right
  const double edge_length = edge < 2 ? f.cols : f.rows;
  const double thickness = 12 * s, inset = 3 * s, length = fraction * edge_length;
  const double t0 = (edge_length - length) * u[1];
  // A box given along the edge (t) and inwards from it (q), in image coordinates.
  auto box = [&](double ta, double tb, double qa, double qb, const Colour& colour, double opacity) {
    switch (edge) {
      case 0:
        paint_box(f, ta, f.rows - qb, tb, f.rows - qa, colour, opacity);
        break;
      case 1:
        paint_box(f, ta, qa, tb, qb, colour, opacity);
        break;
      case 2:
        paint_box(f, qa, ta, qb, tb, colour, opacity);
        break;
      default:
        paint_box(f, f.cols - qb, ta, f.cols - qa, tb, colour, opacity);
        break;
    }
  };
  box(t0, t0 + length, inset, inset + thickness, kRulerBody, 0.85);
  for (int k = 0;; ++k) {
    const double t = t0 + 2 * s + 4 * s * k;
    if (t > t0 + length - 2 * s) break;
    box(t - 0.5 * s, t + 0.5 * s, inset, inset + (k % 5 == 0 ? 0.75 : 0.4) * thickness, kRulerTick, 1.0);
  }
}

// Bubbles of radius 5-17 px (x scale): a faint bright disk, a bright rim and a specular highlight.
void draw_bubbles(cv::Mat& f, int count, std::uint64_t seed) {
  const double s = scale_of(f);
  for (int i = 0; i < count; ++i) {
    const auto u = mark_uniforms(seed, i);
    const Point c{f.cols * u[0], f.rows * u[1]};
    const double rho = (5 + 12 * u[2]) * s, rim = 0.8 * s;
    paint_capsule(f, c, c, rho, kWhite, 0.12);
    paint(f, c.x - rho - rim - 1, c.y - rho - rim - 1, c.x + rho + rim + 1, c.y + rho + rim + 1, kWhite, 0.85,
          [&](Point p) { return coverage(rim, std::abs(std::hypot(p.x - c.x, p.y - c.y) - rho)); });
    const Point h{c.x - 0.4 * rho, c.y - 0.4 * rho};
    paint_capsule(f, h, h, 0.15 * rho, kWhite, 0.7);
  }
}

// A 2 x 2 colour chart (red, green / blue, yellow), `fraction` of the shorter side, 4 px (x scale)
// from one corner.
void draw_patch(cv::Mat& f, double fraction, std::uint64_t seed) {
  const double s = scale_of(f), side = fraction * std::min(f.cols, f.rows), margin = 4 * s;
  const auto u = mark_uniforms(seed, 0);
  const int corner = std::min(3, int(4 * u[0]));  // 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right
  const double x0 = corner % 2 == 0 ? margin : f.cols - margin - side;
  const double y0 = corner < 2 ? margin : f.rows - margin - side;
  const double cell = side / 2;
  for (int k = 0; k < 4; ++k) {
    const double cx = x0 + (k % 2) * cell, cy = y0 + (k / 2) * cell;
    paint_box(f, cx, cy, cx + cell, cy + cell, kPatch[k], 1.0);
  }
}

}  // namespace skin
