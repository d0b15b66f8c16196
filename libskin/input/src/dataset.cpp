// dataset.cpp: dataset layout detection and loading.
#include "skin/input/dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "skin/core/csv.hpp"
#include "skin/core/error.hpp"
#include "skin/core/strings.hpp"
#include "skin/input/input_source.hpp"

namespace skin {
namespace fs = std::filesystem;
namespace {

// id (file stem) -> image path, for every image file under `dir` (recursive, sorted, first wins).
std::unordered_map<std::string, std::string> index_images(const std::string& dir) {
  std::unordered_map<std::string, std::string> index;
  InputSource walk({dir});
  while (auto item = walk.next())
    if (item->error.empty()) index.emplace(fs::path(item->path).stem().string(), item->path);
  return index;
}

std::ifstream open_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open", path));
  return in;
}

// The first CSV directly under `root` whose header has all `columns`.
std::string find_csv(const std::string& root, std::initializer_list<const char*> columns) {
  std::vector<fs::path> csvs;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    if (to_lower(it->path().extension().string()) == ".csv") csvs.push_back(it->path());
  std::sort(csvs.begin(), csvs.end());
  for (const auto& p : csvs) {
    std::ifstream in(p, std::ios::binary);
    try {
      CsvReader csv(in, p.string());
      if (std::all_of(columns.begin(), columns.end(), [&](const char* c) { return csv.column(c).has_value(); }))
        return p.string();
    } catch (const Error&) {
    }
  }
  return {};
}

void add_unique(std::vector<LabeledItem>& items, std::map<std::string, std::size_t>& rows, LabeledItem item,
                const CsvReader& csv) {
  auto [it, fresh] = rows.emplace(item.id, csv.row());
  if (!fresh) csv.fail(fmt::format("duplicate image id '{}' (first at row {})", item.id, it->second));
  items.push_back(std::move(item));
}

Dataset load_ham10000(const std::string& root, std::string metadata, std::string images) {
  if (metadata.empty()) metadata = find_csv(root, {"image_id", "dx"});
  if (metadata.empty())
    throw Error(ErrorKind::input, fmt::format("{}: no metadata CSV with columns image_id and dx", root));
  auto index = index_images(images.empty() ? root : images);
  auto in = open_csv(metadata);
  CsvReader csv(in, metadata);
  std::size_t id_col = csv.require_column("image_id"), dx_col = csv.require_column("dx");
  Dataset d{"ham10000", root, {}, {}};
  std::map<std::string, std::size_t> rows;
  while (auto row = csv.next()) {
    const std::string& id = (*row)[id_col];
    if (id.empty()) csv.fail("empty image_id");
    if ((*row)[dx_col].empty()) csv.fail("empty dx");
    auto it = index.find(id);
    LabeledItem item{id, to_lower((*row)[dx_col]), it == index.end() ? "" : it->second, {}};
    for (std::size_t c = 0; c < row->size(); ++c)
      if (c != id_col && c != dx_col) item.attributes[csv.header()[c]] = (*row)[c];
    add_unique(d.items, rows, std::move(item), csv);
  }
  return d;
}

Dataset load_isic(const std::string& root, std::string labels, std::string images) {
  if (labels.empty()) labels = find_csv(root, {"image", "MEL", "NV"});
  if (labels.empty())
    throw Error(ErrorKind::input, fmt::format("{}: no ISIC ground-truth CSV (columns image, MEL, NV, ...)", root));
  auto index = index_images(images.empty() ? root : images);
  auto in = open_csv(labels);
  CsvReader csv(in, labels);
  std::size_t image_col = csv.require_column("image");
  Dataset d{"isic", root.empty() ? images : root, {}, {}};
  std::map<std::string, std::size_t> rows;
  while (auto row = csv.next()) {
    std::string label;
    for (std::size_t c = 0; c < row->size(); ++c) {
      if (c == image_col) continue;
      double v = parse_probability(csv, (*row)[c], csv.header()[c]);
      if (v > 0.5) {
        if (!label.empty()) csv.fail("more than one class marked 1 (ground truth must be one-hot)");
        label = to_lower(csv.header()[c]);
      } else if (v > 0) {
        csv.fail(fmt::format("'{}' is {} (ground truth must be one-hot 0/1)", csv.header()[c], (*row)[c]));
      }
    }
    if (label.empty()) csv.fail("no class marked 1 (ground truth must be one-hot)");
    std::string id = fs::path((*row)[image_col]).stem().string();
    auto it = index.find(id);
    add_unique(d.items, rows, {id, label, it == index.end() ? "" : it->second, {}}, csv);
  }
  return d;
}

Dataset load_image_folder(const std::string& root) {
  Dataset d{"imagefolder", root, {}, {}};
  std::vector<fs::path> classes;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory()) classes.push_back(it->path());
  std::sort(classes.begin(), classes.end());
  std::map<std::string, std::string> seen;
  for (const auto& dir : classes) {
    InputSource walk({dir.string()});
    while (auto item = walk.next()) {
      // Ids keep the extension here: a class folder may well hold x.jpg and x.png.
      std::string id = fs::path(item->path).lexically_relative(dir).string();
      std::string label = to_lower(dir.filename().string());
      auto [it, fresh] = seen.emplace(id, item->path);
      if (!fresh)
        throw Error(ErrorKind::input, fmt::format("{}: duplicate image id '{}' (also {})", item->path, id, it->second));
      d.items.push_back({id, label, item->path, {}});
    }
  }
  return d;
}

}  // namespace

Layout parse_layout(const std::string& name) {
  if (name == "auto") return Layout::automatic;
  if (name == "ham10000") return Layout::ham10000;
  if (name == "isic") return Layout::isic;
  if (name == "imagefolder") return Layout::imagefolder;
  throw Error(ErrorKind::usage, fmt::format("unknown layout '{}' (use auto, ham10000, isic or imagefolder)", name));
}

Dataset load_dataset(const std::string& root, Layout layout, const std::string& labels_csv,
                     const std::string& images_dir) {
  if (!root.empty() && !fs::is_directory(root))
    throw Error(ErrorKind::usage, fmt::format("{}: dataset directory not found", root));
  if (layout == Layout::automatic) {
    if (!labels_csv.empty()) {
      auto in = open_csv(labels_csv);
      CsvReader csv(in, labels_csv);
      layout = csv.column("image_id") ? Layout::ham10000 : Layout::isic;
    } else if (!find_csv(root, {"image_id", "dx"}).empty()) {
      layout = Layout::ham10000;
    } else if (!find_csv(root, {"image", "MEL", "NV"}).empty()) {
      layout = Layout::isic;
    } else {
      layout = Layout::imagefolder;
    }
  }
  Dataset d;
  switch (layout) {
    case Layout::ham10000:
      d = load_ham10000(root, labels_csv, images_dir);
      break;
    case Layout::isic:
      d = load_isic(root, labels_csv, images_dir);
      break;
    default:
      d = load_image_folder(root);
      break;
  }
  if (d.items.empty())
    throw Error(ErrorKind::input, fmt::format("{}: no labelled items found ({} layout)", root, d.layout));
  std::sort(d.items.begin(), d.items.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return d;
}

std::unordered_set<std::string> read_id_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open id list", path));
  std::unordered_set<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) ids.insert(fs::path(line).stem().string());
  }
  return ids;
}

void restrict_to(Dataset& dataset, const std::unordered_set<std::string>& ids) {
  auto& items = dataset.items;
  // Lists hold ids without extensions; ImageFolder ids are file names.
  auto outside = [&](const LabeledItem& i) { return !ids.count(i.id) && !ids.count(fs::path(i.id).stem().string()); };
  for (const auto& item : items)
    if (outside(item)) dataset.outside_split.insert(item.id);
  items.erase(std::remove_if(items.begin(), items.end(), outside), items.end());
}

void require_column(const Dataset& dataset, const std::string& column, const std::string& option) {
  std::set<std::string> columns;
  for (const auto& item : dataset.items) {
    if (item.attributes.count(column)) return;
    for (const auto& [name, value] : item.attributes) columns.insert(name);
  }
  std::string known;
  for (const auto& name : columns) known += (known.empty() ? "" : ", ") + name;
  throw Error(ErrorKind::usage,
              fmt::format("{} {}: no item of {} has this column (columns: {}; others come from --metadata CSV)", option,
                          column, dataset.root.empty() ? "the dataset" : dataset.root, known.empty() ? "none" : known));
}

Dataset load_dataset(const DatasetSpec& spec) {
  if (spec.root.empty() && spec.labels_csv.empty())
    throw Error(ErrorKind::usage,
                "give a dataset folder (--data DIR), or a label CSV (--labels CSV) with --images DIR");
  Dataset dataset = load_dataset(spec.root, parse_layout(spec.layout), spec.labels_csv, spec.images_dir);
  if (!spec.metadata.empty()) join_metadata(dataset, spec.metadata);
  if (!spec.split.empty()) {
    restrict_to(dataset, read_id_list(spec.split));
    if (dataset.items.empty())
      throw Error(ErrorKind::usage, fmt::format("{}: none of the listed ids is in the dataset", spec.split));
  }
  return dataset;
}

void join_metadata(Dataset& dataset, const std::string& path) {
  auto in = open_csv(path);
  CsvReader csv(in, path);
  std::optional<std::size_t> id_col;
  for (const char* name : {"image_id", "image", "isic_id", "id"})
    if ((id_col = csv.column(name))) break;
  if (!id_col) csv.fail("no image id column (image_id, image, isic_id or id)");
  std::unordered_map<std::string, LabeledItem*> by_id;
  for (auto& item : dataset.items) by_id[item.id] = &item;
  std::map<std::string, std::size_t> seen;
  while (auto row = csv.next()) {
    const std::string id = fs::path((*row)[*id_col]).stem().string();
    if (auto [it, fresh] = seen.emplace(id, csv.row()); !fresh)
      csv.fail(fmt::format("duplicate image id '{}' (first at row {})", id, it->second));
    auto item = by_id.find(id);
    if (item == by_id.end()) continue;
    for (std::size_t c = 0; c < row->size(); ++c)
      if (c != *id_col) item->second->attributes[csv.header()[c]] = (*row)[c];
  }
}

}  // namespace skin
