// SPDX-License-Identifier: GPL-3.0-or-later
// A tensor/pipeline-parallel rank resumes from just its part of a checkpoint
// (docs/backend.md "Resume semantics"): it reads DONE, state.json and the
// archives' record headers, then only the records that overlap the slices
// its part holds (its pipeline stage's parameters, their tensor-parallel
// slice, their Adam moments), each checked against its own CRC-32. The
// checkpoint's slices need not match the new layout: a record that overlaps
// the part is read whole and the overlap kept.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "checkpoint/run_state.h"
#include "parallel/stage_layout.h"

namespace sprout::backend {

// What this rank will hold of the model a checkpoint's state.json
// describes, or nothing when it resumes with the whole model (a data-
// parallel stage, or a growth due before the next step).
using ResumeShareChooser = std::function<std::optional<RankShare>(const CheckpointState& state)>;

// The state of checkpoint `dir` holding only the part `share_for` names
// (RunState::model_is_rank_part); nothing when it names none. Throws
// std::runtime_error for an incomplete or corrupt checkpoint (a record that
// fails its CRC-32 included) and for slices that do not cover a tensor.
std::optional<RunState> load_rank_part(const std::string& dir, const ResumeShareChooser& share_for);

// Throws std::runtime_error naming the first tensor (parameter or moment) of
// a model of `shape` (the checkpoint's state.json's) that checkpoint `dir`
// holds neither whole nor as slices covering its split axis exactly once.
// Reads headers only: rank 0's check before any rank reads its part.
void check_checkpoint_covers(const std::string& dir, const planner::ModelShape& shape);

}  // namespace sprout::backend
