// SPDX-License-Identifier: GPL-3.0-or-later
// The simulator's front door (used by `sprout simulate` and the GUI): a plan
// in, the distribution of what its run costs out, with the median trial's
// timeline and, on request, a carbon-aware schedule compared with running
// right away.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/simulator/carbon/carbon_aware.h"
#include "sprout/simulator/carbon/carbon_trace.h"
#include "sprout/simulator/carbon/run_calendar.h"
#include "sprout/simulator/run/monte_carlo.h"
#include "sprout/simulator/run/run_model.h"
#include "sprout/simulator/run/run_timeline.h"

namespace sprout::simulator {

struct SimulationOptions {
  RunOptions run;
  long long trials = 1000;
  std::uint64_t seed = 1;
  bool simulate_iteration = false;              // stage iteration times from the pipeline DAG
  std::optional<std::string> carbon_trace_csv;  // default: the region profile's trace, if any
  TraceColumn trace_column = TraceColumn::kDirect;
  std::optional<planner::UnixSeconds> start_unix_s;  // default: the trace's first hour
  std::optional<planner::UnixSeconds> deadline_unix_s;
  CarbonAwareMode carbon_aware = CarbonAwareMode::kNone;
  ProgressCallback progress;  // over all Monte Carlo passes
};

struct CarbonAwareResult {
  CarbonAwareMode mode = CarbonAwareMode::kNone;
  planner::UnixSeconds requested_start_unix_s = 0;
  planner::UnixSeconds chosen_start_unix_s = 0;
  long long window_hours = 0;
  long long paused_hours = 0;           // pause mode
  double threshold_g_co2e_per_kwh = 0;  // pause mode: hours at or above are skipped
  Distribution baseline;                // starting at the requested time, never pausing
  double co2e_saved_kg = 0;             // mean baseline - mean carbon-aware
  double co2e_saved_fraction = 0;
  double days_added = 0;  // later mean completion, waiting included
};

struct SimulationReport {
  planner::PlanEstimate estimate;  // the planner's failure-free answer
  RunModel model;
  RunCalendar calendar;       // the one the distribution ran on
  Distribution distribution;  // carbon-aware when asked for
  RunTimeline timeline;       // the median trial, event by event
  std::optional<CarbonAwareResult> carbon_aware;
  std::optional<planner::UnixSeconds> deadline_unix_s;
  bool trace_repeats = false;  // P90 run ends after the trace: it was repeated
};

// Throws planner::InputError (exit 2 in the CLI) for bad options: zero
// trials, a deadline not after the start, a start outside the trace, carbon
// awareness without a trace or deadline, a deadline the run cannot meet; and
// for a bad trace file (carbon_trace.h).
SimulationReport simulate_plan(const planner::Plan& plan, const SimulationOptions& options);

}  // namespace sprout::simulator
