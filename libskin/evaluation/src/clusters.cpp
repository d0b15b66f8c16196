// clusters.cpp: cluster indices from a metadata column, and the check for repeated units.
#include "skin/evaluation/clusters.hpp"

#include <algorithm>
#include <unordered_map>

namespace skin {

std::vector<std::size_t> cluster_indices(const std::vector<const std::map<std::string, std::string>*>& attributes,
                                         const std::string& column) {
  std::unordered_map<std::string, std::size_t> index_of;
  std::vector<std::size_t> out(attributes.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const auto it = attributes[i]->find(column);
    if (it == attributes[i]->end() || it->second.empty()) {
      out[i] = next++;
      continue;
    }
    const auto [at, added] = index_of.try_emplace(it->second, next);
    if (added) ++next;
    out[i] = at->second;
  }
  return out;
}

std::unordered_map<std::string, std::size_t> cluster_of_ids(const Dataset& dataset, const std::string& column) {
  std::unordered_map<std::string, std::size_t> index_of, out;
  for (const auto& item : dataset.items)
    if (auto it = item.attributes.find(column); it != item.attributes.end() && !it->second.empty())
      out[item.id] = index_of.try_emplace(it->second, index_of.size()).first->second;
  return out;
}

ClusterCount count_clusters(const Dataset& dataset, const std::string& column) {
  std::unordered_map<std::string, std::size_t> size;
  ClusterCount c;
  for (const auto& item : dataset.items)
    if (auto it = item.attributes.find(column); it != item.attributes.end() && !it->second.empty()) {
      ++c.items_with_value;
      c.largest = std::max(c.largest, ++size[it->second]);
    }
  c.clusters = size.size();
  return c;
}

std::optional<std::string> repeated_unit_column(const Dataset& dataset) {
  for (const char* column : {"lesion_id", "patient_id"}) {
    const ClusterCount c = count_clusters(dataset, column);
    if (c.largest > 1) return std::string(column);
  }
  return std::nullopt;
}

}  // namespace skin
