// SPDX-License-Identifier: GPL-3.0-or-later
// Where `--resume` continues (docs/backend.md "Resume semantics"): the
// newest complete, intact checkpoint in RUN_DIR written by the same plan.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "checkpoint/run_state.h"

namespace sprout::backend {

struct ResumePoint {
  long long step = 0;
  RunState state;  // assembled from the checkpoint (slices of a sharded one included)
};

// Rank 0: the checkpoint to resume from, nothing when there is none yet.
// Newer checkpoints that are incomplete or corrupt are reported on stderr
// and skipped. Throws planner::InputError when none of several is intact,
// when the newest was written by another plan (its fingerprint differs), or
// when its tensors cannot be assembled: bad input, before anything starts.
std::optional<ResumePoint> find_resume_point(const std::string& checkpoints_dir, const std::string& plan_fingerprint,
                                             const std::string& plan_copy);

}  // namespace sprout::backend
