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
#include "model/adamw.h"
#include "model/gpt_model.h"
#include "model/growth.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::backend {

struct StageRecord {
  std::string name;
  long long steps = 0;
  double tokens = 0;
  double wall_seconds = 0;
  double energy_j = 0;
  double model_flops = 0;
  double final_train_loss = std::numeric_limits<double>::quiet_NaN();
  double final_val_loss = std::numeric_limits<double>::quiet_NaN();
  bool done = false;
};

struct RunCounters {
  std::string plan_fingerprint;
  long long global_step = 0;
  size_t stage_index = 0;
  long long step_in_stage = 0;
  long long sequences_consumed = 0;  // data position (batch_sampler.h)
  double tokens = 0;
  double model_flops = 0;
  double energy_j = 0;
  double last_train_loss = std::numeric_limits<double>::quiet_NaN();
  std::vector<StageRecord> stages;
  std::vector<double> recent_losses;  // the loss-spike guard's window (run/spike_guard.h); empty without it
};

// One optimizer step done in the current stage: the counters move on.
void count_step(RunCounters& counters, long long sequences, double tokens, double model_flops, double loss);

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
nlohmann::json checkpoint_state_json(const RunState& state);

// Rank 0's part of a checkpoint: the model, the counters and, unless the
// optimizer is sharded (ZeRO-1: every rank saves its own moments with
// optimizer_shard), the Adam moments.
CheckpointData to_checkpoint(const RunState& state, bool with_moments = true);

// The Adam moments this rank holds, named as in to_checkpoint.
NamedTensors optimizer_shard(const RunState& state);

// Rebuilds the state (every moment: a checkpoint's files merged); throws
// std::runtime_error for a checkpoint whose tensors do not match its shape.
RunState from_checkpoint(const CheckpointData& data);

// Tensor `name` ("param/...", "adam.exp_avg/...", "adam.exp_avg_sq/...") of
// parameter `spec` of a model of `shape`: undefined when it is not wanted.
using CheckpointTensorSource =
    std::function<torch::Tensor(const std::string& name, const ParameterSpec& spec, const planner::ModelShape& shape)>;

// The state of a checkpoint's state.json with its tensors from `tensor`;
// throws std::runtime_error for another state format or a defined tensor of
// the wrong shape.
RunState run_state_from_json(const nlohmann::json& state, const CheckpointTensorSource& tensor);

// The fingerprint stored in a checkpoint (checked before anything else).
std::string checkpoint_plan_fingerprint(const CheckpointData& data);

nlohmann::json stage_record_json(const StageRecord& r, int rank_count);

// The run's start: the first stage's model from the plan's seed (the same on
// every rank and device), zero moments, no step done.
RunState fresh_run_state(const planner::Plan& plan, const std::string& plan_fingerprint, torch::Device device);

// The model (as trainable leaves) and the moments on `device`.
void move_to_device(RunState& state, torch::Device device);

}  // namespace sprout::backend
