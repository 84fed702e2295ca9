// SPDX-License-Identifier: GPL-3.0-or-later
// Everything a run needs to continue bit-for-bit: the model, the optimizer,
// the data position (which also fixes the dropout masks), the stage and MSG
// ramp, and the per-stage accounting. Converted to and from a checkpoint here.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_state.h"
#include "checkpoint/run_counters.h"
#include "model/adamw.h"
#include "model/gpt_model.h"
#include "model/growth.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::backend {

struct RunState {
  RunCounters counters;
  GptModel model;
  AdamWState optimizer;
  std::optional<GrowthRamp> ramp;
  // A shard-local resume (checkpoint/shard_local_resume.h): the model and
  // moments hold only what this rank's part needs (other parameters
  // undefined, a tensor-parallel slice inside zeros) until its runtime
  // assembles the full model.
  bool model_is_rank_part = false;
};

// What every rank's state must agree on besides the parameters (the
// replica check): step, stage, step in stage, data position, Adam step.
std::vector<double> replica_counters(const RunState& state);

// The counters, shape and growth ramp of a checkpoint's state.json (no
// tensors): what every checkpoint's index starts from.
CheckpointState checkpoint_state_of(const RunState& state);
nlohmann::json checkpoint_state_json(const RunState& state);

// Rank 0's part of a checkpoint: the model, the counters and, unless the
// optimizer is sharded (ZeRO-1: every rank saves its own moments with
// optimizer_shard), the Adam moments.
CheckpointData to_checkpoint(const RunState& state, bool with_moments = true);

// The Adam moments this rank holds, named as in to_checkpoint.
NamedTensors optimizer_shard(const RunState& state);

// Rebuilds the state of checkpoint `dir` (every moment: its files merged);
// throws planner::InputError for a state.json that is not one sprout-train
// wrote, std::runtime_error for tensors that do not match its shape.
RunState from_checkpoint(const CheckpointData& data, const std::string& dir);

// Tensor `name` ("param/...", "adam.exp_avg/...", "adam.exp_avg_sq/...") of
// parameter `spec` of a model of `shape`: undefined when it is not wanted.
using CheckpointTensorSource =
    std::function<torch::Tensor(const std::string& name, const ParameterSpec& spec, const planner::ModelShape& shape)>;

// A checkpoint's state with its tensors from `tensor`; throws
// std::runtime_error for a defined tensor of the wrong shape.
RunState run_state_from(const CheckpointState& state, const CheckpointTensorSource& tensor);

// The run's start: the first stage's model from the plan's seed (the same on
// every rank and device), zero moments, no step done.
RunState fresh_run_state(const planner::Plan& plan, const std::string& plan_fingerprint, torch::Device device);

// The model (as trainable leaves) and the moments on `device`.
void move_to_device(RunState& state, torch::Device device);

}  // namespace sprout::backend
