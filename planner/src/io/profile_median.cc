// SPDX-License-Identifier: GPL-3.0-or-later
// The median of several profiles of one machine, walked on their YAML trees:
// every key of the format is merged the same way, so a key added to the
// profile later needs nothing here.
#include "sprout/planner/io/profile_median.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::planner {
namespace {

// The columns that say what size a table row measured: the same in profiles
// taken with the same options, never averaged.
const std::set<std::string> kSizeColumns = {"flops", "elements", "m", "n", "k"};
// Text that may differ between profiles of one machine (the first's is
// kept); any other text (the dtype) must be the same.
const std::set<std::string> kFreeText = {"name", "description", "measured"};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

std::optional<double> number_in(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  double v = 0;
  return YAML::convert<double>::decode(node, v) ? std::optional(v) : std::nullopt;
}

// The key hardware_profile_to_yaml gives a field's source comment: the
// top-level key, or throughput_by_dtype.DTYPE.key ("gemm_efficiency[2].flops"
// -> "gemm_efficiency").
std::string source_key(const std::string& field) {
  std::vector<std::string> parts;
  std::stringstream in(field.substr(0, field.find('[')));
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  const size_t depth = !parts.empty() && parts[0] == "throughput_by_dtype" ? 3 : 1;
  parts.resize(std::min(depth, parts.size()));
  std::string key;
  for (const auto& part : parts) key += (key.empty() ? "" : ".") + part;
  return key;
}

class TreeMedian {
 public:
  explicit TreeMedian(const std::vector<std::string>& files) : files_(files) {}

  // The median of `nodes` (one per file) at `field`; `column` is the key of
  // a scalar in its mapping.
  YAML::Node of(const std::vector<YAML::Node>& nodes, const std::string& field, const std::string& column = "") {
    const YAML::Node& first = nodes[0];
    YAML::Node out;
    if (first.IsMap()) {
      for (size_t i = 1; i < nodes.size(); ++i) same_keys(nodes[0], nodes[i], i, field);
      for (const auto& kv : first) {
        const std::string key = kv.first.Scalar();
        std::vector<YAML::Node> children;
        for (const auto& node : nodes) children.push_back(node[key]);
        out[key] = of(children, field.empty() ? key : field + "." + key, key);
      }
      return out;
    }
    if (first.IsSequence()) {
      for (size_t i = 1; i < nodes.size(); ++i) {
        if (!nodes[i].IsSequence() || nodes[i].size() != first.size()) {
          differ(nodes[i], i, field, fmt::format("{} rows where {} has {}", nodes[i].size(), files_[0], first.size()));
        }
      }
      for (size_t row = 0; row < first.size(); ++row) {
        std::vector<YAML::Node> rows;
        for (const auto& node : nodes) rows.push_back(node[row]);
        out.push_back(of(rows, fmt::format("{}[{}]", field, row)));
      }
      return out;
    }
    const std::optional<double> first_value = number_in(first);
    if (!first_value) {
      for (size_t i = 1; i < nodes.size() && !kFreeText.count(column); ++i) {
        if (nodes[i].Scalar() != first.Scalar()) {
          differ(nodes[i], i, field, fmt::format("{} where {} has {}", nodes[i].Scalar(), files_[0], first.Scalar()));
        }
      }
      return first;
    }
    std::vector<double> values;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::optional<double> v = number_in(nodes[i]);
      if (!v) differ(nodes[i], i, field, "not a number where " + files_[0] + " has one");
      if (kSizeColumns.count(column) && *v != *first_value) {
        differ(nodes[i], i, field, fmt::format("{} where {} has {} (another size)", *v, files_[0], *first_value));
      }
      values.push_back(*v);
    }
    if (std::any_of(values.begin(), values.end(), [&](double v) { return v != *first_value; })) {
      varied_.insert(source_key(field));
    }
    out = fmt::format("{}", median(values));
    return out;
  }

  const std::set<std::string>& varied() const { return varied_; }

 private:
  [[noreturn]] void differ(const YAML::Node& node, size_t i, const std::string& field, const std::string& what) const {
    throw InputError(location_of(node, files_[i]), field,
                     what + ": merge profiles taken with the same `sprout profile` options (--quick, --dtype)");
  }

  void same_keys(const YAML::Node& first, const YAML::Node& other, size_t i, const std::string& field) const {
    const auto name = [&](const std::string& key) { return field.empty() ? key : field + "." + key; };
    for (const auto& kv : other) {
      if (!first[kv.first.Scalar()]) differ(kv.first, i, name(kv.first.Scalar()), "not in " + files_[0]);
    }
    for (const auto& kv : first) {
      if (!other[kv.first.Scalar()]) differ(other, i, name(kv.first.Scalar()), "missing (" + files_[0] + " has it)");
    }
  }

  std::vector<std::string> files_;
  std::set<std::string> varied_;
};

// The `# source:` comment of every number and table in a profile as
// hardware_profile_to_yaml writes it (a key at its indentation, nested keys
// deeper), keyed as that function takes them.
std::map<std::string, std::string> source_comments(const std::string& text) {
  std::map<std::string, std::string> sources;
  std::vector<std::pair<size_t, std::string>> open;  // indentation, key of the mappings a line is in
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || line[indent] == '#' || line[indent] == '-') continue;
    const size_t colon = line.find(':', indent);
    if (colon == std::string::npos) continue;
    while (!open.empty() && open.back().first >= indent) open.pop_back();
    std::string key;
    for (const auto& [_, outer] : open) key += outer + ".";
    key += line.substr(indent, colon - indent);
    const size_t comment = line.find("# source: ", colon);
    if (comment != std::string::npos) sources[key] = line.substr(comment + 10);
    const size_t value = line.find_first_not_of(' ', colon + 1);
    if (value == std::string::npos || line[value] == '#')
      open.emplace_back(indent, line.substr(indent, colon - indent));
  }
  return sources;
}

}  // namespace

MergedProfile median_of_profiles(const std::vector<std::string>& paths, const std::string& name) {
  if (paths.size() < 2) {
    throw InputError({paths.empty() ? "" : paths[0], 0, 0}, "",
                     "the median needs two or more profiles of the machine (three taken minutes apart, say)");
  }
  // Each file read once: its text validated as a profile (errors at its
  // line), then walked as a tree; the first's text also gives the sources.
  std::vector<std::string> texts;
  std::vector<YAML::Node> roots;
  std::vector<std::string> names;
  std::string first_measured;
  for (const auto& path : paths) {
    texts.push_back(read_file(path));
    const HardwareProfile profile = load_hardware_profile_from_string(texts.back(), path);
    if (roots.empty()) first_measured = profile.measured.empty() ? "not measured" : profile.measured;
    roots.push_back(load_yaml_string(texts.back(), path));
    names.push_back(std::filesystem::path(path).filename().string());
  }
  const std::string all = fmt::format("{}", fmt::join(names, ", "));
  TreeMedian median_tree(paths);
  YAML::Node merged = median_tree.of(roots, "");
  merged["name"] = name;
  merged["measured"] = fmt::format("median of {} profiles ({}); the first {}", paths.size(), all, first_measured);
  YAML::Emitter text;
  text << merged;
  MergedProfile out{load_hardware_profile_from_string(text.c_str(), name), {}};
  out.profile.source_file = paths[0];
  for (const auto& [key, source] : source_comments(texts[0])) {
    out.sources[key] = median_tree.varied().count(key)
                           ? fmt::format("median of {} profiles ({}), each {}", paths.size(), all, source)
                           : source;
  }
  return out;
}

}  // namespace sprout::planner
