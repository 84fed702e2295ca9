// SPDX-License-Identifier: GPL-3.0-or-later
// The run directory's layout (docs/formats.md "Run directory") and the rules that
// keep an existing run from being overwritten.
#pragma once

#include <string>

namespace sprout::backend {

struct RunDirPaths {
  std::string root;
  std::string plan;         // plan.yaml: the plan it ran (copied)
  std::string telemetry;    // telemetry.jsonl
  std::string summary;      // summary.json
  std::string checkpoints;  // checkpoints/step-NNNNNNNNN/
  std::string data;         // data/: shards prepared for this run when the plan names text or nothing
};
RunDirPaths run_dir_paths(const std::string& root);

// A fresh start must not find a run (telemetry or checkpoints) there, so
// nothing is overwritten. Throws planner::InputError.
void check_fresh_run_dir(const RunDirPaths& paths);

// A short stable hash of the plan as the trainer sees it (stage shapes,
// tokens, batches, lr, seed, ...): checkpoints of another plan are refused.
std::string plan_fingerprint_of_yaml(const std::string& canonical_plan_yaml);

}  // namespace sprout::backend
