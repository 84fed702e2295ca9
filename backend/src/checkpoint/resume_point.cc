// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/resume_point.h"

#include <filesystem>
#include <iostream>

#include "checkpoint/checkpoint.h"
#include "checkpoint/shard_local_resume.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

// Refuses a checkpoint that another plan wrote.
void check_fingerprint(const CheckpointState& state, const std::string& dir, const std::string& plan_fingerprint,
                       const std::string& plan_copy) {
  if (state.counters.plan_fingerprint == plan_fingerprint) return;
  throw planner::InputError({dir, 0, 0}, "plan",
                            "the checkpoint was written by another plan (fingerprint differs); resume it "
                            "with the plan in " +
                                plan_copy + " or choose a new --out");
}

}  // namespace

std::optional<ResumePoint> find_resume_point(const std::string& checkpoints_dir, const std::string& plan_fingerprint,
                                             const std::string& plan_copy, const ShardLocalTest& shard_local) {
  const auto all = list_checkpoints(checkpoints_dir);
  bool skipped = false;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const std::string& dir = it->second;
    try {
      const CheckpointState state = read_checkpoint_state(dir);
      check_fingerprint(state, dir, plan_fingerprint, plan_copy);
      if (shard_local(state)) {
        try {
          check_checkpoint_covers(dir, state.shape);
        } catch (const std::runtime_error& e) {
          throw planner::InputError({dir, 0, 0}, "checkpoint", e.what());
        }
        return ResumePoint{it->first, std::nullopt};
      }
      const LoadedCheckpoint loaded = load_checkpoint(dir);
      try {
        return ResumePoint{it->first, from_checkpoint(loaded.data, dir)};
      } catch (const std::exception& e) {
        throw planner::InputError({dir, 0, 0}, "checkpoint", e.what());
      }
    } catch (const planner::InputError&) {
      throw;
    } catch (const std::exception& e) {
      // Incomplete or corrupt: an older one may do.
      const std::string what = e.what();
      const std::string name = std::filesystem::path(dir).filename().string();
      std::cerr << "sprout-train: skipping checkpoint " << (what.rfind(name, 0) == 0 ? what : name + ": " + what)
                << "\n";
      skipped = true;
    }
  }
  if (skipped) {
    throw planner::InputError({checkpoints_dir, 0, 0}, "--resume", "no complete, intact checkpoint to resume from");
  }
  return std::nullopt;
}

}  // namespace sprout::backend
