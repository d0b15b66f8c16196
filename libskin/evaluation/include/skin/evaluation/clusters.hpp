// skin/evaluation/clusters.hpp: the unit a bootstrap resamples. HAM10000 photographs a lesion
// several times and ISIC collections hold several lesions per patient; their images are not
// independent, so intervals that resample images are too narrow (Rutter 2000). --cluster-by
// names the metadata column (lesion_id, patient_id, ...) whose values are the units.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "skin/input/dataset.hpp"

namespace skin {

// A cluster index per row from the column's values: rows with the same value share an index;
// a row without a value is a cluster of its own (it cannot be tied to another).
std::vector<std::size_t> cluster_indices(const std::vector<const std::map<std::string, std::string>*>& attributes,
                                         const std::string& column);

// Image id -> cluster index for the items with a value in the column (what the leaderboard's
// paired bootstrap takes).
std::unordered_map<std::string, std::size_t> cluster_of_ids(const Dataset& dataset, const std::string& column);

// The first of lesion_id, patient_id whose values repeat among the dataset's items: the column
// evaluate warns about when no --cluster-by was given. nullopt when none repeats.
std::optional<std::string> repeated_unit_column(const Dataset& dataset);

// How many distinct values (clusters) and how many items with a value the column has.
struct ClusterCount {
  std::size_t clusters = 0, items_with_value = 0, largest = 0;
};
ClusterCount count_clusters(const Dataset& dataset, const std::string& column);

}  // namespace skin
