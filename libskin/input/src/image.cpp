// image.cpp: content sniffing, header dimension parsing and guarded decoding.
#include "skin/input/image.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "skin/core/error.hpp"

namespace skin {
namespace {

std::uint32_t be16(const std::uint8_t* p) { return (p[0] << 8) | p[1]; }
std::uint32_t be32(const std::uint8_t* p) { return (std::uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
std::uint32_t le16(const std::uint8_t* p) { return p[0] | (p[1] << 8); }
std::uint32_t le24(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16); }
std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }

bool starts_with(const std::uint8_t* data, std::size_t size, const char* magic, std::size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

struct JpegSegment {
  std::uint8_t marker = 0;
  std::size_t at = 0;        // offset of the FF of the marker
  std::uint32_t length = 0;  // the segment's length field (includes itself)
};

// The next marker segment at or after `i`, skipping fill bytes and stand-alone markers (SOI,
// RSTn, TEM); advances `i` past it. Nothing when the data is not at a marker or is cut short.
std::optional<JpegSegment> next_jpeg_segment(const std::uint8_t* d, std::size_t n, std::size_t& i) {
  while (i + 4 <= n) {
    if (d[i] != 0xFF) return std::nullopt;
    std::uint8_t marker = d[i + 1];
    if (marker == 0xFF) {
      ++i;
      continue;
    }  // fill byte
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;
      continue;
    }
    JpegSegment seg{marker, i, be16(d + i + 2)};
    i += 2 + seg.length;
    return seg;
  }
  return std::nullopt;
}

// Dimensions from the first start-of-frame segment.
std::optional<Dimensions> jpeg_dimensions(const std::uint8_t* d, std::size_t n) {
  std::size_t i = 2;
  while (auto seg = next_jpeg_segment(d, n, i)) {
    if (seg->length < 2) return std::nullopt;
    bool sof =
        seg->marker >= 0xC0 && seg->marker <= 0xCF && seg->marker != 0xC4 && seg->marker != 0xC8 && seg->marker != 0xCC;
    if (sof) {
      if (seg->at + 9 > n) return std::nullopt;
      return Dimensions{be16(d + seg->at + 7), be16(d + seg->at + 5)};
    }
    if (seg->marker == 0xDA || seg->marker == 0xD9) return std::nullopt;  // scan before any frame header
  }
  return std::nullopt;
}

// A JPEG is complete when an end-of-image marker follows the first scan. Entropy-coded data
// cannot contain FF D9 (FF is stuffed as FF 00), and thumbnails sit before the first scan.
bool jpeg_complete(const std::uint8_t* d, std::size_t n) {
  std::size_t i = 2, scan = 0;
  for (;;) {
    auto seg = next_jpeg_segment(d, n, i);
    if (!seg) {
      if (i + 4 <= n) return false;  // stopped at a byte that is not a marker: malformed
      scan = i;                      // cut short inside the headers: search what is left
      break;
    }
    if (seg->marker == 0xDA) {
      scan = seg->at;
      break;
    }
  }
  for (std::size_t j = scan; j + 1 < n; ++j)
    if (d[j] == 0xFF && d[j + 1] == 0xD9) return true;
  return false;
}

std::optional<Dimensions> tiff_dimensions(const std::uint8_t* d, std::size_t n) {
  if (n < 8) return std::nullopt;
  bool little = d[0] == 'I';
  auto u16 = [&](std::size_t o) { return little ? le16(d + o) : be16(d + o); };
  auto u32 = [&](std::size_t o) { return little ? le32(d + o) : be32(d + o); };
  std::size_t ifd = u32(4);
  if (ifd + 2 > n) return std::nullopt;
  std::uint32_t entries = u16(ifd);
  std::int64_t width = -1, height = -1;
  for (std::uint32_t e = 0; e < entries; ++e) {
    std::size_t o = ifd + 2 + std::size_t(e) * 12;
    if (o + 12 > n) return std::nullopt;
    std::uint32_t tag = u16(o), type = u16(o + 2);
    std::int64_t value = type == 3 ? u16(o + 8) : type == 4 ? std::int64_t(u32(o + 8)) : -1;
    if (tag == 256) width = value;
    if (tag == 257) height = value;
  }
  if (width < 0 || height < 0) return std::nullopt;
  return Dimensions{width, height};
}

std::optional<Dimensions> webp_dimensions(const std::uint8_t* d, std::size_t n) {
  if (n < 30) return std::nullopt;
  if (std::memcmp(d + 12, "VP8 ", 4) == 0) {
    if (d[23] != 0x9D || d[24] != 0x01 || d[25] != 0x2A) return std::nullopt;
    return Dimensions{le16(d + 26) & 0x3FFF, le16(d + 28) & 0x3FFF};
  }
  if (std::memcmp(d + 12, "VP8L", 4) == 0) {
    if (d[20] != 0x2F) return std::nullopt;
    std::uint32_t bits = le32(d + 21);
    return Dimensions{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (std::memcmp(d + 12, "VP8X", 4) == 0) return Dimensions{le24(d + 24) + 1, le24(d + 27) + 1};
  return std::nullopt;
}

// PNM header: magic, then width and height as ASCII integers separated by whitespace or comments.
std::optional<Dimensions> pnm_dimensions(const std::uint8_t* d, std::size_t n) {
  std::size_t i = 2;
  std::int64_t values[2];
  for (auto& v : values) {
    while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
      if (d[i] == '#')
        while (i < n && d[i] != '\n') ++i;
      else
        ++i;
    }
    if (i >= n || !std::isdigit(d[i])) return std::nullopt;
    v = 0;
    while (i < n && std::isdigit(d[i]) && v < (std::int64_t(1) << 40)) v = v * 10 + (d[i++] - '0');
  }
  return Dimensions{values[0], values[1]};
}

}  // namespace

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg:
      return "jpeg";
    case ImageFormat::png:
      return "png";
    case ImageFormat::bmp:
      return "bmp";
    case ImageFormat::tiff:
      return "tiff";
    case ImageFormat::webp:
      return "webp";
    case ImageFormat::pnm:
      return "pnm";
    case ImageFormat::unknown:
      break;
  }
  return "unknown";
}

ImageFormat sniff_format(const std::uint8_t* d, std::size_t n) {
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return ImageFormat::jpeg;
  if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8)) return ImageFormat::png;
  if (starts_with(d, n, "BM", 2) && n >= 26) return ImageFormat::bmp;
  if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) return ImageFormat::tiff;
  if (n >= 16 && starts_with(d, n, "RIFF", 4) && std::memcmp(d + 8, "WEBPVP8", 7) == 0) return ImageFormat::webp;
  if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6' && std::isspace(d[2])) return ImageFormat::pnm;
  return ImageFormat::unknown;
}

std::optional<Dimensions> read_dimensions(ImageFormat format, const std::uint8_t* d, std::size_t n) {
  switch (format) {
    case ImageFormat::jpeg:
      return jpeg_dimensions(d, n);
    case ImageFormat::png:
      if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) return std::nullopt;
      return Dimensions{be32(d + 16), be32(d + 20)};
    case ImageFormat::bmp: {
      if (n < 26) return std::nullopt;
      std::uint32_t header = le32(d + 14);
      if (header == 12) return Dimensions{le16(d + 18), le16(d + 20)};
      std::int64_t h = std::int32_t(le32(d + 22));
      return Dimensions{std::int32_t(le32(d + 18)), h < 0 ? -h : h};
    }
    case ImageFormat::tiff:
      return tiff_dimensions(d, n);
    case ImageFormat::webp:
      return webp_dimensions(d, n);
    case ImageFormat::pnm:
      return pnm_dimensions(d, n);
    case ImageFormat::unknown:
      break;
  }
  return std::nullopt;
}

cv::Mat decode_image(const std::uint8_t* data, std::size_t size, const std::string& name, const ImageLimits& limits,
                     cv::Size at_least) {
  auto fail = [&](const std::string& what, InputReason reason = InputReason::undecodable) {
    return Error(ErrorKind::input, fmt::format("{}: {}", name, what), reason);
  };
  if (size == 0) throw fail("file is empty", InputReason::empty);
  if (size > limits.max_bytes)
    throw fail(fmt::format("file is {} bytes, over the {} byte limit", size, limits.max_bytes), InputReason::too_large);
  ImageFormat format = sniff_format(data, size);
  if (format == ImageFormat::unknown)
    throw fail("not a supported image (content is not jpeg, png, bmp, tiff, webp or pnm)", InputReason::not_an_image);
  auto dims = read_dimensions(format, data, size);
  if (!dims) throw fail(fmt::format("truncated or malformed {} header", format_name(format)));
  if (dims->width <= 0 || dims->height <= 0)
    throw fail(fmt::format("invalid dimensions {}x{}", dims->width, dims->height));
  if (dims->width > limits.max_width || dims->height > limits.max_height)
    throw fail(fmt::format("dimensions {}x{} exceed the {}x{} limit", dims->width, dims->height, limits.max_width,
                           limits.max_height));
  if (format == ImageFormat::jpeg && !jpeg_complete(data, size)) throw fail("truncated jpeg (no end-of-image marker)");

  int reduction = 1;
  if (format == ImageFormat::jpeg && at_least.area() > 0) {
    const std::int64_t need = std::max(at_least.width, at_least.height);
    while (reduction < 8 && std::min(dims->width, dims->height) / (2 * reduction) >= need) reduction *= 2;
  }
  // IMREAD_COLOR applies EXIF orientation and converts grey/alpha/CMYK to 3 channels;
  // IMREAD_ANYDEPTH keeps 16-bit data so it can be scaled rather than clipped.
  const int flags = reduction == 8   ? cv::IMREAD_REDUCED_COLOR_8
                    : reduction == 4 ? cv::IMREAD_REDUCED_COLOR_4
                    : reduction == 2 ? cv::IMREAD_REDUCED_COLOR_2
                                     : cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH;
  cv::Mat raw;
  try {
    raw = cv::imdecode(cv::Mat(1, int(size), CV_8UC1, const_cast<std::uint8_t*>(data)), flags);
  } catch (const cv::Exception& e) {
    throw fail(fmt::format("{} decoder failed: {}", format_name(format), e.err));
  }
  if (raw.empty()) throw fail(fmt::format("corrupt {} data (decoder failed)", format_name(format)));
  const std::int64_t w = (dims->width + reduction - 1) / reduction, h = (dims->height + reduction - 1) / reduction;
  // EXIF rotation swaps the axes; anything else means the header lied.
  if (!(raw.cols == w && raw.rows == h) && !(raw.cols == h && raw.rows == w))
    throw fail(
        fmt::format("decoded size {}x{} does not match header {}x{}", raw.cols, raw.rows, dims->width, dims->height));
  if (raw.depth() == CV_8U) return raw;
  cv::Mat out;
  switch (raw.depth()) {
    case CV_16U:
      raw.convertTo(out, CV_8U, 1.0 / 257.0);
      break;
    case CV_16S:
      raw.convertTo(out, CV_8U, 1.0 / 128.0);
      break;
    case CV_32F:
    case CV_64F:
      raw.convertTo(out, CV_8U, 255.0);
      break;  // float images are in [0, 1]
    default:
      raw.convertTo(out, CV_8U);
      break;
  }
  return out;
}

cv::Mat load_image(const std::string& path, const ImageLimits& limits, cv::Size at_least) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(ErrorKind::input, fmt::format("{}: {}", path, std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::input, fmt::format("{}: is a directory", path));
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::input, fmt::format("{}: not a regular file", path));
  if (std::size_t(st.st_size) > limits.max_bytes)
    throw Error(
        ErrorKind::input,
        fmt::format("{}: file is {} bytes, over the {} byte limit", path, std::size_t(st.st_size), limits.max_bytes),
        InputReason::too_large);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, fmt::format("{}: {}", path, std::strerror(errno)));
  std::vector<std::uint8_t> bytes(std::size_t(st.st_size));
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  if (std::size_t(in.gcount()) != bytes.size()) throw Error(ErrorKind::input, fmt::format("{}: read failed", path));
  return decode_image(bytes, path, limits, at_least);
}

}  // namespace skin
