// SPDX-License-Identifier: GPL-3.0-or-later
// The run directory's layout (docs/formats.md "Run directory") and the rules that
// keep an existing run from being overwritten.
#pragma once

#include <string>

#include "sprout/planner/plan/plan.h"

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

// RUN_DIR itself and, unless the run resumes from a checkpoint, the copy of
// the plan (a first start's copy is kept). `init_from` is the plan's first
// stage's, resolved: the copy names it so (a path relative to the plan's
// folder would not resolve from RUN_DIR).
void prepare_run_dir(const RunDirPaths& paths, const std::string& plan_path, const std::string& init_from,
                     bool resuming);

// A short stable hash of the plan as the trainer sees it (stage shapes,
// tokens, batches, lr, seed, ...): checkpoints of another plan are refused.
std::string plan_fingerprint_of_yaml(const std::string& canonical_plan_yaml);

// The plan's fingerprint without its layouts and GPU count: a checkpoint
// names full tensors (or their slices by the full names), so it resumes
// under any layout and process count of the same plan (docs/backend.md
// "Tensor and pipeline parallelism").
std::string layout_independent_fingerprint(planner::Plan plan);

}  // namespace sprout::backend
