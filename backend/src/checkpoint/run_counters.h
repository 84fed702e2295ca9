// SPDX-License-Identifier: GPL-3.0-or-later
// How far a run has come: steps, data position, tokens, FLOPs and energy, in
// total and per plan stage. Saved in every checkpoint's state.json
// (checkpoint_state.h); no tensors, so no LibTorch.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

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

// A stage's record as summary.json shows it (GPU-hours for `rank_count` ranks).
nlohmann::json stage_record_json(const StageRecord& r, int rank_count);

// NaN (no loss yet, or a diverged one) as JSON null and back.
nlohmann::json number_or_null(double v);

}  // namespace sprout::backend
