// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/resume_point.h"

#include <iostream>

#include "checkpoint/checkpoint.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {

std::optional<ResumePoint> find_resume_point(const std::string& checkpoints_dir, const std::string& plan_fingerprint,
                                             const std::string& plan_copy) {
  CheckpointSearch found = load_newest_checkpoint(checkpoints_dir);
  for (const auto& r : found.rejected) std::cerr << "sprout-train: skipping checkpoint " << r << "\n";
  if (!found.newest && !found.rejected.empty()) {
    throw planner::InputError({checkpoints_dir, 0, 0}, "--resume", "no complete, intact checkpoint to resume from");
  }
  if (!found.newest) return std::nullopt;
  if (checkpoint_plan_fingerprint(found.newest->data) != plan_fingerprint) {
    throw planner::InputError({found.newest->path, 0, 0}, "plan",
                              "the checkpoint was written by another plan (fingerprint differs); resume it "
                              "with the plan in " +
                                  plan_copy + " or choose a new --out");
  }
  try {
    return ResumePoint{found.newest->step, from_checkpoint(found.newest->data)};
  } catch (const std::exception& e) {
    throw planner::InputError({found.newest->path, 0, 0}, "checkpoint", e.what());
  }
}

}  // namespace sprout::backend
