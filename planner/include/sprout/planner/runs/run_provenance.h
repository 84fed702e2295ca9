// SPDX-License-Identifier: GPL-3.0-or-later
// What produced a run (docs/backend.md "Run directory"): sprout's version and
// commit, the LibTorch it ran on, the devices and the rank count. sprout-train
// writes it into summary.json and into the first telemetry record it logs
// (of the run, and again after every resume: the binary may have changed).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sprout::planner {

struct RunProvenance {
  std::string sprout_version;        // "0.2.0"
  std::string sprout_commit;         // `git describe --always --dirty` of the build
  std::string libtorch_version;      // "1.13.0"; "" when the run was not LibTorch's
  std::vector<std::string> devices;  // rank 0's node: each visible GPU's name, or the CPU's model name
  int rank_count = 1;
};

nlohmann::json provenance_to_json(const RunProvenance& provenance);
// Throws std::invalid_argument (or nlohmann::json's errors) for a missing or wrong field.
RunProvenance provenance_from_json(const nlohmann::json& j);

}  // namespace sprout::planner
