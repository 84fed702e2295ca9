// SPDX-License-Identifier: GPL-3.0-or-later
// sprout simulate PLAN.yaml [--trials N] [--seed S] [--checkpoint-every MIN]
//   [--carbon-trace CSV] [--start ISO8601] [--deadline ISO8601]
//   [--carbon-aware none|start|pause] [--format table|json|csv] ...
#include <chrono>
#include <iostream>
#include <memory>

#include "commands.h"
#include "enum_option.h"
#include "output.h"
#include "plan_options.h"
#include "simulate_report.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/simulator/run/simulation.h"
#include "sprout/simulator/run/simulation_json.h"

namespace sprout::cli {
namespace {

struct SimulateValues {
  PlanOptionValues plan;
  long long trials = 10000;
  std::uint64_t seed = 1;
  std::optional<double> checkpoint_every_min;
  std::optional<std::string> carbon_trace;
  simulator::TraceColumn trace_intensity = simulator::TraceColumn::kDirect;
  std::optional<std::string> start;
  std::optional<std::string> deadline;
  simulator::CarbonAwareMode carbon_aware = simulator::CarbonAwareMode::kNone;
  bool no_failures = false;
  std::optional<double> mtbf_gpu_hours;
  bool free_checkpoints = false;
  bool no_eval = false;
  std::optional<long long> eval_every;
  std::optional<long long> eval_batches;
  int hot_spares = 0;
  bool simulate_iteration = false;
  bool timeline = false;
};

planner::UnixSeconds parse_time(const std::string& text, const char* flag, const char* field) {
  const planner::ParsedTimestamp t = planner::parse_utc_timestamp(text);
  if (t.problem == planner::TimestampProblem::kNotUtc) {
    throw planner::InputError({flag, 0, 0}, field, "'" + text + "' is not in UTC (end it with Z)");
  }
  if (t.problem != planner::TimestampProblem::kNone) {
    throw planner::InputError({flag, 0, 0}, field,
                              "'" + text + "' is not an ISO 8601 time (e.g. 2023-06-01T00:00:00Z)");
  }
  return t.seconds;
}

simulator::SimulationOptions options_from(const SimulateValues& v) {
  simulator::SimulationOptions o;
  o.trials = v.trials;
  o.seed = v.seed;
  o.simulate_iteration = v.simulate_iteration;
  o.carbon_trace_csv = v.carbon_trace;
  o.trace_column = v.trace_intensity;
  if (v.start) o.start_unix_s = parse_time(*v.start, "--start", "start");
  if (v.deadline) o.deadline_unix_s = parse_time(*v.deadline, "--deadline", "deadline");
  o.carbon_aware = v.carbon_aware;
  simulator::RunOptions& r = o.run;
  r.failures = !v.no_failures;
  r.mtbf_gpu_hours = v.mtbf_gpu_hours;
  if (v.checkpoint_every_min) r.checkpoint_interval_s = *v.checkpoint_every_min * 60;
  r.free_checkpoints = v.free_checkpoints;
  r.evaluations = !v.no_eval;
  r.eval_every_steps = v.eval_every;
  r.eval_batches = v.eval_batches;
  r.hot_spare_nodes = v.hot_spares;
  return o;
}

// Progress on stderr, only once a run has taken longer than a moment.
simulator::ProgressCallback stderr_progress(bool& printed) {
  const auto started = std::chrono::steady_clock::now();
  return [started, &printed](long long done, long long total) {
    if (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500)) return true;
    std::cerr << "\rsprout simulate: " << done << "/" << total << " trials" << std::flush;
    printed = true;
    return true;
  };
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate",
                                 "Monte Carlo of a plan's run: failures, checkpoints, growth, carbon (P10/P50/P90)");
  auto v = std::make_shared<SimulateValues>();
  add_plan_options(*cmd, v->plan);
  cmd->add_option("--trials", v->trials, "Monte Carlo trials (default 10000)");
  cmd->add_option("--seed", v->seed, "Random seed (same seed, same output)");
  cmd->add_option("--checkpoint-every", v->checkpoint_every_min,
                  "Minutes of work between checkpoints (default: Young/Daly optimum per stage)");
  cmd->add_option("--carbon-trace", v->carbon_trace,
                  "Hourly grid intensity CSV (Electricity Maps columns; default: the region's trace)");
  add_enum_option(*cmd, "--trace-intensity", v->trace_intensity,
                  planner::EnumNames<simulator::TraceColumn>::list() + " column of the trace");
  cmd->add_option("--start", v->start, "Run start, ISO 8601 UTC (default: the trace's first hour)");
  cmd->add_option("--deadline", v->deadline, "Latest end, ISO 8601 UTC");
  add_enum_option(*cmd, "--carbon-aware", v->carbon_aware, "none | start (best start) | pause (skip dirty hours)");
  cmd->add_flag("--no-failures", v->no_failures, "Disable failures");
  cmd->add_option("--mtbf-gpu-hours", v->mtbf_gpu_hours,
                  "GPU-hours between interruptions per GPU (default: hardware profile, Llama 3 rate)");
  cmd->add_flag("--free-checkpoints", v->free_checkpoints, "Checkpoint writes take no time");
  cmd->add_flag("--no-eval", v->no_eval, "No evaluation passes");
  cmd->add_option("--eval-every", v->eval_every, "Steps between evaluations (default: the plan's training settings)");
  cmd->add_option("--eval-batches", v->eval_batches, "Batches per evaluation (default: the plan's training settings)");
  cmd->add_option("--hot-spares", v->hot_spares, "Standby nodes: a failure relaunches on one at once");
  cmd->add_flag("--simulate-iteration", v->simulate_iteration,
                "Stage iteration times from the pipeline DAG instead of the analytic model");
  cmd->add_flag("--timeline", v->timeline, "JSON: list every event of the median trial");
  cmd->callback([v] {
    simulator::SimulationOptions options = options_from(*v);
    const planner::Plan plan = v->plan.load();
    bool printed = false;
    options.progress = stderr_progress(printed);
    const simulator::SimulationReport report = simulator::simulate_plan(plan, options);
    if (printed) std::cerr << "\n";
    if (report.trace_repeats) {
      std::cerr << "note: the run outlasts the carbon trace; its hours repeat from the trace start\n";
    }
    switch (v->plan.format) {
      case Format::kJson:
        std::cout << simulator::to_json(report, v->timeline).dump(2) << "\n";
        break;
      case Format::kCsv:
        std::cout << simulation_csv(report);
        break;
      case Format::kTable:
      case Format::kMarkdown:
        std::cout << simulation_table(report);
        break;  // markdown: not offered
    }
  });
}

}  // namespace sprout::cli
