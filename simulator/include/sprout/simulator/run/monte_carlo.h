// SPDX-License-Identifier: GPL-3.0-or-later
// Monte Carlo over failures: many trials of the run model, each with its own
// random stream (same seed -> identical result), summarised as P10/P50/P90
// bands per stage and for the whole run, expected failures and where the
// wall-clock time goes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/cost/cost_model.h"
#include "sprout/simulator/carbon/run_calendar.h"
#include "sprout/simulator/run/run_model.h"

namespace sprout::simulator {

struct Percentiles {
  double p10 = 0;
  double p50 = 0;
  double p90 = 0;
  double mean = 0;
};

struct MetricBands {
  Percentiles days;       // wall-clock, pauses included
  Percentiles gpu_hours;  // GPUs held (hot spares included, pauses excluded)
  Percentiles cost_usd;
  Percentiles energy_kwh;
  Percentiles co2e_kg;  // operational, from the hour-by-hour intensity
  Percentiles embodied_co2e_kg;
};

// Mean seconds per run by where they go; sums to the mean wall-clock time.
struct Overheads {
  double compute_s = 0;        // useful GPU work: GEMMs, kernels, optimizer
  double bubble_s = 0;         // pipeline fill and drain
  double communication_s = 0;  // TP, PP and exposed DP communication
  double evaluation_s = 0;
  double checkpoint_s = 0;  // checkpoint writes that committed work
  double lost_work_s = 0;   // work (and writes) thrown away by failures
  double restart_s = 0;     // detection, rescheduling, reload after failures
  double growth_s = 0;      // growth transitions
  double relaunch_s = 0;    // resuming after carbon-aware pauses
  double paused_s = 0;      // suspended in carbon-intensive hours
  double total_s() const;
};

// Closed-form expectations of the same model without pauses (failure_model.h).
struct RunExpectation {
  double time_s = 0;
  double failures = 0;
  double lost_work_s = 0;
  double restart_s = 0;
  double checkpoint_s = 0;
};
std::vector<RunExpectation> expected_stages(const RunModel& model);
RunExpectation expected_run(const RunModel& model);

// The chosen checkpoint interval against the Young/Daly optimum, in expected
// wall-clock time and money.
struct CheckpointCost {
  double chosen_expected_s = 0;
  double optimal_expected_s = 0;
  double extra_s = 0;  // chosen - optimal (>= 0 up to Young/Daly's first-order error)
  double extra_usd = 0;
};
CheckpointCost checkpoint_cost(const RunModel& model);

struct StageDistribution {
  std::string name;
  MetricBands metrics;
  double failures_mean = 0;
  double failures_expected = 0;  // closed form
  Overheads overheads;
  double checkpoint_write_s = 0;
  double checkpoint_interval_s = 0;  // chosen (work seconds between checkpoints)
  double optimal_checkpoint_interval_s = 0;
};

struct Distribution {
  std::uint64_t seed = 0;
  long long trials_requested = 0;
  long long trials = 0;  // completed (fewer when cancelled)
  bool cancelled = false;
  std::vector<StageDistribution> stages;
  MetricBands total;
  double failures_mean = 0;
  double failures_expected = 0;     // closed form
  double lost_work_expected_s = 0;  // closed form, without pauses
  Overheads overheads;
  CheckpointCost checkpoint_cost;
  long long median_trial = 0;                   // the trial closest to the P50 of total days
  std::vector<double> total_days;               // one per trial, in trial order (histograms)
  std::optional<double> deadline_met_fraction;  // share of trials done by the deadline
};

struct MonteCarloOptions {
  long long trials = 1000;
  std::uint64_t seed = 1;
  std::optional<double> deadline_s;  // seconds after the run start
};

// Called every ~1% of the trials with (done, total); return false to cancel
// (the result then covers the trials done, with cancelled = true).
using ProgressCallback = std::function<bool(long long done, long long total)>;

// Throws std::invalid_argument when trials < 1 (the CLI reports it as bad input first).
Distribution run_monte_carlo(const RunModel& model, const RunCalendar& calendar, const MonteCarloOptions& options,
                             const ProgressCallback& progress = {});

// What holding the job's GPUs (and hot spares) for `billed_s` seconds costs;
// `intensity_integral` is the grid intensity integrated over that time
// (gCO2e/kWh x s), so the same energy emits more in dirty hours.
planner::Costs billed_costs(const RunModel& model, double billed_s, double intensity_integral);

// 10th/50th/90th percentiles (linear interpolation) and mean.
Percentiles percentiles(std::vector<double> values);

}  // namespace sprout::simulator
