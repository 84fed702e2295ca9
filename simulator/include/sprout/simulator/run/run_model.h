// SPDX-License-Identifier: GPL-3.0-or-later
// What the run timeline simulator needs to know about a plan: per stage the
// failure-free training time (from the planner), evaluations, the growth
// transition before it, checkpoint size and interval, restart costs; and what
// an hour of the run costs. Plain data built once from a planner estimate.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::simulator {

// Relaunching the job on healthy, already-allocated nodes (a hot spare, or
// resuming after a planned pause) skips failure detection and rescheduling:
// NCCL/process start-up plus reading the checkpoint back. Estimate: ~2 min of
// start-up measured by large Megatron-LM jobs; see docs/simulator.md.
inline constexpr double kRelaunchSeconds = 120;

struct StageRunModel {
  std::string name;
  long long iterations = 0;
  double iteration_s = 0;
  double train_s = 0;  // iterations x iteration time + MSG mask ramp (the planner's stage time)
  long long evaluations = 0;
  double evaluation_s = 0;         // all evaluations of the stage
  double growth_transition_s = 0;  // stop before this stage to grow into it (planner)
  double checkpoint_write_s = 0;   // one full checkpoint (0 when checkpoints are free)
  double checkpoint_interval_s = std::numeric_limits<double>::infinity();          // work between checkpoints
  double optimal_checkpoint_interval_s = std::numeric_limits<double>::infinity();  // Young/Daly
  double end_checkpoint_s = 0;  // commit at the stage end (0 when the next growth saves it)
  double restart_s = 0;         // after a failure
  double relaunch_s = 0;        // after a planned pause (and with a hot spare)
  // Where an iteration's time goes (planner breakdown), for the overheads.
  double compute_fraction = 1;  // GEMMs, memory-bound kernels, optimizer, launches
  double bubble_fraction = 0;
  double communication_fraction = 0;  // TP + PP + exposed DP
  double work_s() const { return train_s + evaluation_s; }
};

struct RunModel {
  std::string name;
  std::vector<StageRunModel> stages;
  planner::Cluster cluster;       // the plan's: what an hour of the run costs
  int hot_spare_gpus = 0;         // standby GPUs, billed at idle power
  double mtbf_gpu_hours = 0;      // 0 = failures disabled
  double failure_rate_per_s = 0;  // of the whole job while it runs
};

// The standby GPUs as a cluster of their own: paid for at the run's price,
// drawing the hardware's idle power all the time (TDP model at idle watts).
planner::Cluster hot_spare_cluster(const RunModel& model);

struct RunOptions {
  bool failures = true;
  std::optional<double> mtbf_gpu_hours;         // default: the hardware profile's, else Llama 3's
  std::optional<double> checkpoint_interval_s;  // default: Young/Daly optimum per stage
  bool free_checkpoints = false;                // checkpoint writes take no time
  bool evaluations = true;
  std::optional<long long> eval_every_steps;  // default: the plan's training.eval_every_steps
  std::optional<long long> eval_batches;      // default: the plan's training.eval_batches
  int hot_spare_nodes = 0;                    // standby nodes: failures relaunch fast
};

// Throws planner::InputError for options out of range (negative interval, ...).
RunModel build_run_model(const planner::Plan& plan, const planner::PlanEstimate& estimate, const RunOptions& options);

}  // namespace sprout::simulator
