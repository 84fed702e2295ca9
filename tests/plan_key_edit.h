// SPDX-License-Identifier: GPL-3.0-or-later
// Setting one plan key (a plan_schema_keys() path such as "stages[].parallel.tp"
// or "training.spike.z") in a YAML plan: what the planner's and the trainer's
// schema walks share.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace sprout::test {

// Sets (or, with no value, removes) `path` in `doc`: stage keys on every
// stage, except grow: keys, on the last.
inline void edit_plan_key(YAML::Node doc, const std::string& path, const std::optional<std::string>& value) {
  const std::string stage_prefix = "stages[].";
  const bool stage_key = path.rfind(stage_prefix, 0) == 0;
  const std::string key_path = stage_key ? path.substr(stage_prefix.size()) : path;
  std::vector<YAML::Node> targets;
  if (stage_key) {
    const size_t n = doc["stages"].size();
    for (size_t i = key_path.rfind("grow.", 0) == 0 ? n - 1 : 0; i < n; ++i) targets.push_back(doc["stages"][i]);
  } else {
    targets.push_back(doc);
  }
  for (YAML::Node node : targets) {
    std::string rest = key_path;
    for (size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) {
      const std::string head = rest.substr(0, dot);
      if (!node[head]) node[head] = YAML::Node(YAML::NodeType::Map);
      node.reset(node[head]);
    }
    if (value) {
      node[rest] = YAML::Load(*value);
      // A stage takes exactly one of the two batch keys.
      if (rest == "global_batch_sequences") node.remove("global_batch_tokens");
    } else {
      node.remove(rest);
    }
  }
}

inline std::string yaml_text(const YAML::Node& doc) {
  YAML::Emitter out;
  out << doc;
  return out.c_str();
}

}  // namespace sprout::test
