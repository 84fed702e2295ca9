// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/simulation.h"

#include <fmt/format.h>

#include <cmath>

#include "carbon/calendar_index.h"
#include "sprout/planner/base/units.h"
#include "sprout/simulator/iteration/iteration_schedule.h"

namespace sprout::simulator {
namespace {

using planner::kSecondsPerDay;
constexpr long long kMaxTrials = 1000000;

[[noreturn]] void bad_option(const char* flag, const char* field, const std::string& why) {
  throw planner::InputError({flag, 0, 0}, field, why);
}

std::string day_text(double seconds) { return fmt::format("{:.2f} d", seconds / kSecondsPerDay); }

RunCalendar base_calendar(const planner::Plan& plan, const SimulationOptions& o) {
  RunCalendar c = constant_calendar(plan.cluster.region.grid_g_co2e_per_kwh);
  const planner::RegionProfile& region = plan.cluster.region;
  if (o.carbon_trace_csv) {
    c.trace = load_carbon_trace(*o.carbon_trace_csv, o.trace_column);
  } else if (!region.carbon_trace_csv.empty()) {
    // The region profile names the trace: a bad trace is reported where it is named.
    try {
      c.trace = load_carbon_trace(region.carbon_trace_csv, o.trace_column);
    } catch (const planner::InputError& e) {
      throw planner::InputError(region.carbon_trace_at, "carbon_trace_csv", e.what());
    }
  }
  c.start_unix_s = o.start_unix_s.value_or(c.trace ? c.trace->start_unix_s : 0);
  if (c.trace && (c.start_unix_s < c.trace->start_unix_s || c.start_unix_s >= c.trace->end_unix_s())) {
    bad_option(
        "--start", "start",
        fmt::format("{} is outside the carbon trace {} ({} to {})", planner::format_utc_timestamp(c.start_unix_s),
                    c.trace->source_file, planner::format_utc_timestamp(c.trace->start_unix_s),
                    planner::format_utc_timestamp(c.trace->end_unix_s())));
  }
  return c;
}

void check_options(const SimulationOptions& o, const RunCalendar& calendar) {
  if (o.trials < 1) bad_option("--trials", "trials", "must be at least 1");
  // Every trial keeps its samples for the percentiles (~200 bytes with three stages).
  if (o.trials > kMaxTrials) bad_option("--trials", "trials", fmt::format("must be at most {}", kMaxTrials));
  if (o.deadline_unix_s && *o.deadline_unix_s <= calendar.start_unix_s) {
    bad_option("--deadline", "deadline",
               fmt::format("{} is not after the start {}", planner::format_utc_timestamp(*o.deadline_unix_s),
                           planner::format_utc_timestamp(calendar.start_unix_s)));
  }
  if (o.carbon_aware == CarbonAwareMode::kNone) return;
  if (!calendar.trace) {
    bad_option("--carbon-aware", "carbon_aware",
               "needs an hourly carbon trace (--carbon-trace, or carbon_trace_csv in the region profile)");
  }
  if (!o.deadline_unix_s) bad_option("--carbon-aware", "carbon_aware", "needs --deadline");
}

// Splits one progress callback over several Monte Carlo passes.
ProgressCallback pass_progress(const ProgressCallback& progress, int pass, int passes) {
  if (!progress) return {};
  return [progress, pass, passes](long long done, long long total) {
    return progress(pass * total + done, passes * total);
  };
}

Distribution monte_carlo(const RunModel& model, const RunCalendar& calendar, const SimulationOptions& o,
                         const std::optional<planner::UnixSeconds>& deadline, const ProgressCallback& progress) {
  MonteCarloOptions mc;
  mc.trials = o.trials;
  mc.seed = o.seed;
  if (deadline) mc.deadline_s = static_cast<double>(*deadline - calendar.start_unix_s);
  return run_monte_carlo(model, calendar, mc, progress);
}

double max_pause_cost_s(const RunModel& model) {
  double worst = 0;
  for (const StageRunModel& s : model.stages) worst = std::max(worst, s.checkpoint_write_s + s.relaunch_s);
  return worst;
}

}  // namespace

SimulationReport simulate_plan(const planner::Plan& plan, const SimulationOptions& o) {
  RunCalendar calendar = base_calendar(plan, o);
  check_options(o, calendar);

  SimulationReport report;
  planner::EstimateOptions estimate_options;
  estimate_options.with_scratch_baseline = false;
  if (o.simulate_iteration) estimate_options.refine_iteration = simulated_iteration_estimate;
  report.estimate = planner::estimate_plan(plan, estimate_options);
  report.model = build_run_model(plan, report.estimate, o.run);
  report.deadline_unix_s = o.deadline_unix_s;

  const int passes = o.carbon_aware == CarbonAwareMode::kNone ? 1 : 2;
  Distribution first = monte_carlo(report.model, calendar, o, o.deadline_unix_s, pass_progress(o.progress, 0, passes));
  if (o.carbon_aware != CarbonAwareMode::kNone && !first.cancelled) {
    CarbonAwareResult aware;
    aware.mode = o.carbon_aware;
    aware.requested_start_unix_s = calendar.start_unix_s;
    const planner::UnixSeconds deadline = *o.deadline_unix_s;
    const double window_s = static_cast<double>(deadline - calendar.start_unix_s);
    const double need_s = first.total.days.p90 * kSecondsPerDay;
    if (need_s > window_s) {
      bad_option("--deadline", "deadline",
                 fmt::format("{} leaves {} after the start but the run needs {} (P90)",
                             planner::format_utc_timestamp(deadline), day_text(window_s), day_text(need_s)));
    }
    RunCalendar chosen = calendar;
    if (o.carbon_aware == CarbonAwareMode::kStart) {
      const planner::UnixSeconds latest = deadline - static_cast<planner::UnixSeconds>(std::ceil(need_s));
      chosen.start_unix_s = best_start(calendar, calendar.start_unix_s, latest, first.total.days.mean * kSecondsPerDay);
      aware.window_hours = (deadline - calendar.start_unix_s) / kTraceStepSeconds;
    } else {
      const PausePlan pauses =
          plan_pauses(*calendar.trace, calendar.start_unix_s, deadline, need_s, max_pause_cost_s(report.model));
      if (!pauses.feasible) {
        bad_option("--deadline", "deadline",
                   fmt::format("{} is past the end of the carbon trace or leaves too few hours to "
                               "pause in: the run needs {} (P90)",
                               planner::format_utc_timestamp(deadline), day_text(need_s)));
      }
      chosen.paused_hours = pauses.paused_hours;
      aware.window_hours = pauses.window_hours;
      aware.paused_hours = pauses.paused_hour_count;
      aware.threshold_g_co2e_per_kwh = pauses.threshold_g_co2e_per_kwh;
    }
    aware.chosen_start_unix_s = chosen.start_unix_s;
    report.distribution = monte_carlo(report.model, chosen, o, o.deadline_unix_s, pass_progress(o.progress, 1, 2));
    report.calendar = chosen;
    aware.baseline = std::move(first);
    aware.co2e_saved_kg = aware.baseline.total.co2e_kg.mean - report.distribution.total.co2e_kg.mean;
    aware.co2e_saved_fraction =
        aware.baseline.total.co2e_kg.mean > 0 ? aware.co2e_saved_kg / aware.baseline.total.co2e_kg.mean : 0;
    aware.days_added = static_cast<double>(chosen.start_unix_s - calendar.start_unix_s) / kSecondsPerDay +
                       report.distribution.total.days.mean - aware.baseline.total.days.mean;
    report.carbon_aware = std::move(aware);
  } else {
    report.distribution = std::move(first);
    report.calendar = calendar;
  }
  if (report.calendar.trace) {
    const internal::CalendarIndex index(report.calendar);
    report.trace_repeats = report.distribution.total.days.p90 * kSecondsPerDay > index.trace_end_s();
  }
  report.timeline = simulate_timeline(report.model, report.calendar, o.seed, report.distribution.median_trial);
  return report;
}

}  // namespace sprout::simulator
