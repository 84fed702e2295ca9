// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/run_provenance.h"

namespace sprout::planner {

nlohmann::json provenance_to_json(const RunProvenance& p) {
  return {{"sprout_version", p.sprout_version},
          {"sprout_commit", p.sprout_commit},
          {"libtorch_version", p.libtorch_version},
          {"devices", p.devices},
          {"rank_count", p.rank_count}};
}

RunProvenance provenance_from_json(const nlohmann::json& j) {
  RunProvenance p;
  p.sprout_version = j.at("sprout_version").get<std::string>();
  p.sprout_commit = j.at("sprout_commit").get<std::string>();
  p.libtorch_version = j.at("libtorch_version").get<std::string>();
  p.devices = j.at("devices").get<std::vector<std::string>>();
  p.rank_count = j.at("rank_count").get<int>();
  return p;
}

}  // namespace sprout::planner
