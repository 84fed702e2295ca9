// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout-train --plan PLAN.yaml --out RUN_DIR`: trains every stage of a
// plan in order, growing the model between stages with MSG operators, and
// writes telemetry, summaries and checkpoints into RUN_DIR.
#pragma once

#include <string>

namespace sprout::backend {

struct TrainOptions {
  std::string plan_path;
  std::string run_dir;
  bool resume = false;          // continue from the newest complete checkpoint
  int threads = 0;              // intra-op threads; 0: the plan's, else all cores
  std::string data;             // overrides the plan's training.data
  std::string dtype;            // overrides the plan's training.dtype (fp32 | bf16)
  std::string device;           // overrides the plan's training.device (auto | cpu | cuda)
  long long stop_after_steps = 0;  // > 0: checkpoint and stop after this global step
  bool progress = true;         // progress lines on stderr
};

struct TrainOutcome {
  long long global_step = 0;      // steps done when it returned
  long long total_steps = 0;      // of the whole plan
  bool finished = false;          // every stage done
  bool stopped_by_signal = false;  // SIGTERM/SIGUSR1: checkpointed and stopped
};

// Throws planner::InputError for bad input (plan, data, run directory,
// checkpoint of another plan: exit 2) and std::runtime_error for failures
// while running (exit 1).
TrainOutcome train(const TrainOptions& options);

}  // namespace sprout::backend
