// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/run_model.h"

#include <fmt/format.h>

#include <cmath>

#include "sprout/planner/model/growth.h"
#include "sprout/simulator/run/failure_model.h"
#include "sprout/simulator/run/monte_carlo.h"

namespace sprout::simulator {
namespace {

void check_options(const RunOptions& o) {
  auto bad = [](const char* flag, const char* field, const std::string& why) {
    throw planner::InputError({flag, 0, 0}, field, why);
  };
  if (o.mtbf_gpu_hours && !(*o.mtbf_gpu_hours > 0)) bad("--mtbf-gpu-hours", "mtbf_gpu_hours", "must be > 0");
  if (o.checkpoint_interval_s && !(*o.checkpoint_interval_s > 0 && std::isfinite(*o.checkpoint_interval_s))) {
    bad("--checkpoint-every", "checkpoint_interval", "must be a positive number of minutes");
  }
  if (o.eval_every_steps && *o.eval_every_steps < 1) bad("--eval-every", "eval_every_steps", "must be >= 1");
  if (o.eval_batches && *o.eval_batches < 0) bad("--eval-batches", "eval_batches", "must be >= 0");
  if (o.hot_spare_nodes < 0) bad("--hot-spares", "hot_spare_nodes", "must be >= 0");
}

// An evaluation pass runs forward only: its time per batch is the forward
// share of an iteration (forward / (forward + backward) of a micro-batch).
double evaluation_seconds_per_batch(const planner::StageEstimate& se) {
  const planner::MicroBatchTimes& m = se.iteration.micro;
  const double both = m.forward_s + m.backward_s;
  const double forward_share = both > 0 ? m.forward_s / both : 1.0 / 3;
  return se.iteration.iteration_s * forward_share;
}

void set_time_split(const planner::IterationBreakdown& b, StageRunModel& s) {
  const double total = b.total_s();
  if (!(total > 0)) return;
  s.compute_fraction = (b.compute_s + b.optimizer_s + b.other_s) / total;
  s.bubble_fraction = b.bubble_s / total;
  s.communication_fraction = (b.tp_comm_s + b.pp_comm_s + b.dp_comm_s) / total;
}

// Failures so frequent that checkpointed segments rarely finish make the
// expected run time explode (e^{lambda L}); simulating that would not end.
void check_feasible(const RunModel& model, const planner::Plan& plan, const RunOptions& o) {
  constexpr double kMaxSlowdown = 100;
  constexpr double kMaxFailures = 1e5;
  double failure_free_s = 0;
  for (const StageRunModel& s : model.stages) failure_free_s += s.work_s() + s.growth_transition_s;
  const RunExpectation expected = expected_run(model);
  if (std::isfinite(expected.time_s) && expected.time_s <= kMaxSlowdown * failure_free_s &&
      expected.failures <= kMaxFailures) {
    return;
  }
  const planner::SourceLocation where = o.mtbf_gpu_hours
                                            ? planner::SourceLocation{"--mtbf-gpu-hours", 0, 0}
                                            : planner::SourceLocation{plan.cluster.hardware.source_file, 0, 0};
  throw planner::InputError(
      where, "mtbf_gpu_hours",
      fmt::format("{:g} GPU-hours per GPU means a failure every {:.0f} s on {} GPUs: the run would "
                  "take over {:g}x its failure-free time ({:.3g} expected failures)",
                  model.mtbf_gpu_hours, 1 / model.failure_rate_per_s, model.cluster.gpus, kMaxSlowdown,
                  expected.failures));
}

}  // namespace

planner::Cluster hot_spare_cluster(const RunModel& model) {
  planner::Cluster spares = model.cluster;
  spares.gpus = model.hot_spare_gpus;
  spares.hardware.tdp_w = model.cluster.hardware.idle_power_w;
  spares.power_model = planner::PowerModel::kTdp;
  return spares;
}

RunModel build_run_model(const planner::Plan& plan, const planner::PlanEstimate& estimate, const RunOptions& o) {
  check_options(o);
  RunModel model;
  model.name = plan.name;
  model.cluster = plan.cluster;
  model.hot_spare_gpus = o.hot_spare_nodes * std::max(1, plan.cluster.hardware.gpus_per_node);
  if (o.failures) {
    model.mtbf_gpu_hours = o.mtbf_gpu_hours.value_or(
        plan.cluster.hardware.mtbf_gpu_hours > 0 ? plan.cluster.hardware.mtbf_gpu_hours : kLlama3MtbfGpuHours);
    model.failure_rate_per_s = job_failure_rate_per_s(plan.cluster.gpus, model.mtbf_gpu_hours);
  }
  const long long eval_every = o.eval_every_steps.value_or(plan.training.eval_every_steps);
  const long long eval_batches = o.eval_batches.value_or(plan.training.eval_batches);

  for (size_t i = 0; i < estimate.stages.size(); ++i) {
    const planner::StageEstimate& se = estimate.stages[i];
    StageRunModel s;
    s.name = se.name;
    s.iterations = se.iterations;
    s.iteration_s = se.iteration.iteration_s;
    // Training work: every iteration, plus what the MSG mask costs while it
    // ramps and sprout-train's first step beyond a steady one.
    s.train_s = static_cast<double>(se.iterations) * se.iteration.iteration_s + se.mask_ramp_s + se.warmup_s;
    if (o.evaluations && eval_every > 0) {
      s.evaluations = se.iterations / eval_every;
      s.evaluation_s = static_cast<double>(s.evaluations * eval_batches) * evaluation_seconds_per_batch(se);
    }
    s.growth_transition_s = se.growth_transition_s;
    const double write_s = planner::checkpoint_write_seconds(se.shape, plan.cluster.gpus, plan.cluster.hardware);
    s.checkpoint_write_s = o.free_checkpoints ? 0 : write_s;
    s.optimal_checkpoint_interval_s = young_daly_interval_s(s.checkpoint_write_s, model.failure_rate_per_s);
    s.checkpoint_interval_s = o.checkpoint_interval_s.value_or(s.optimal_checkpoint_interval_s);
    // The next stage's growth transition starts by saving this model; the
    // last stage (or one followed by no growth) saves its own.
    const bool next_grows = i + 1 < estimate.stages.size() && estimate.stages[i + 1].growth_transition_s > 0;
    s.end_checkpoint_s = next_grows ? 0 : s.checkpoint_write_s;
    s.relaunch_s = kRelaunchSeconds + (o.free_checkpoints ? 0 : write_s);  // read the checkpoint back
    s.restart_s = model.hot_spare_gpus > 0 ? s.relaunch_s : plan.cluster.hardware.restart_overhead_s;
    set_time_split(se.iteration.breakdown, s);
    model.stages.push_back(std::move(s));
  }
  check_feasible(model, plan, o);
  return model;
}

}  // namespace sprout::simulator
