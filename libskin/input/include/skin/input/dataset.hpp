// skin/input/dataset.hpp: labelled image collections in the layouts researchers hold them:
// HAM10000 (metadata CSV + image folders), ISIC 2018 Task 3 ground truth (one-hot CSV + image
// folder) and ImageFolder (one sub-folder per class). Items whose image file is absent are
// kept with an empty path so they can be reported as missing, never dropped silently.
#pragma once
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

namespace skin {

struct LabeledItem {
  std::string id;  // image id (file stem); for ImageFolder the file name within its class folder
  std::string label;
  std::string path;  // empty when no image file was found
  // Other columns of the label CSV (HAM10000: lesion_id, dx_type, age, sex, localization,
  // dataset) and of any --metadata CSV joined by id: what subgroups are formed from.
  std::map<std::string, std::string> attributes;
};

struct Dataset {
  std::string layout;  // "ham10000", "isic", "imagefolder"
  std::string root;
  std::vector<LabeledItem> items;                 // sorted by id
  std::unordered_set<std::string> outside_split;  // labelled ids that a split left out
};

enum class Layout { automatic, ham10000, isic, imagefolder };
Layout parse_layout(const std::string& name);  // throws Error(usage)

// `labels_csv` and `images_dir` override what is found under `root` (either may be empty).
Dataset load_dataset(const std::string& root, Layout layout, const std::string& labels_csv = {},
                     const std::string& images_dir = {});

// Where a labelled dataset is and which part of it to use (what `evaluate` and `calibrate` take).
struct DatasetSpec {
  std::string root;             // folder holding labels and images (may be empty with labels_csv)
  std::string layout = "auto";  // auto, ham10000, isic, imagefolder
  std::string labels_csv;       // overrides the label file found under root
  std::string images_dir;       // overrides the image folder (default: root)
  std::string split;            // id list file restricting the items (empty: all)
  std::string metadata;         // extra CSV joined by image id into the items' attributes (empty: none)
};

// Loads the dataset and applies the split. Error(usage) when neither root nor labels_csv is
// given, or when the split leaves nothing.
Dataset load_dataset(const DatasetSpec& spec);

// Image ids, one per line (blank lines and '#' comments ignored; extensions stripped).
std::unordered_set<std::string> read_id_list(const std::string& path);
// Joins a CSV into the items' attributes by image id (column image_id, image, isic_id or id;
// extensions ignored). Rows for ids not in the dataset are ignored; a duplicate id or a
// missing id column is an Error(input) naming the file and row.
void join_metadata(Dataset& dataset, const std::string& csv_path);

// Error(usage) "OPTION COLUMN: no item has this column (columns: ...)" unless some item has the
// column: what --group-by and --cluster-by check before any image is read.
void require_column(const Dataset& dataset, const std::string& column, const std::string& option);

// Keeps only the items whose id is listed.
void restrict_to(Dataset& dataset, const std::unordered_set<std::string>& ids);

}  // namespace skin
