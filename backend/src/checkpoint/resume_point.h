// SPDX-License-Identifier: GPL-3.0-or-later
// Where `--resume` continues (docs/backend.md "Resume semantics"): the
// newest complete, intact checkpoint in RUN_DIR written by the same plan.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "checkpoint/run_state.h"

namespace sprout::backend {

struct ResumePoint {
  long long step = 0;
  // Assembled from the checkpoint (slices of a sharded one included);
  // nothing when every rank reads just its part (shard-local).
  std::optional<RunState> state;
};

// Whether a checkpoint with state.json `state` resumes shard-locally.
using ShardLocalTest = std::function<bool(const CheckpointState& state)>;

// Rank 0: the checkpoint to resume from, nothing when there is none yet.
// Newer checkpoints that are incomplete or corrupt are reported on stderr
// and skipped. Throws planner::InputError when none of several is intact,
// when the newest was written by another plan (its fingerprint differs), or
// when its tensors cannot be assembled: bad input, before anything starts.
// A checkpoint that `shard_local` accepts is checked without reading its
// tensors: DONE, state.json and the archives' headers (every tensor covered
// by its slices); each rank checks the records it reads (CRC-32 each).
std::optional<ResumePoint> find_resume_point(const std::string& checkpoints_dir, const std::string& plan_fingerprint,
                                             const std::string& plan_copy, const ShardLocalTest& shard_local);

}  // namespace sprout::backend
