// SPDX-License-Identifier: GPL-3.0-or-later
#include "simulate_report.h"

#include <fmt/format.h>

#include <cmath>

#include "output.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::cli {
using namespace sprout::simulator;

namespace {

using planner::kSecondsPerDay;
using planner::kSecondsPerHour;

// Wall-clock bands share one unit, picked from the run's P50 (days for
// FLM-101B, minutes for the tiny CPU plan).
struct TimeUnit {
  const char* name;
  double seconds;
};
TimeUnit unit_for(double seconds) {
  if (seconds >= kSecondsPerDay) return {"days", kSecondsPerDay};
  if (seconds >= kSecondsPerHour) return {"hours", kSecondsPerHour};
  if (seconds >= 60) return {"min", 60};
  return {"s", 1};
}
std::string band(const Percentiles& days, const TimeUnit& unit) {
  auto f = [&](double d) { return fmt::format("{:.2f}", d * kSecondsPerDay / unit.seconds); };
  return f(days.p10) + " / " + f(days.p50) + " / " + f(days.p90);
}
std::string interval(double seconds) { return std::isfinite(seconds) ? human_duration(seconds) : std::string("none"); }

std::vector<std::string> row(const std::string& name, const MetricBands& m, const TimeUnit& unit, double failures,
                             const std::string& checkpoint) {
  return {name,
          band(m.days, unit),
          human_hours(m.gpu_hours.p50),
          human_usd(m.cost_usd.p50),
          human_energy_kwh(m.energy_kwh.p50),
          human_mass_kg(m.co2e_kg.p50),
          fmt::format("{:.2f}", failures),
          checkpoint};
}

std::string overhead_lines(const Overheads& o) {
  const double total = o.total_s();
  std::string out = "where the time goes (mean of the trials):\n";
  for (const auto& [name, seconds] : {std::pair{"useful compute", o.compute_s},
                                      {"pipeline bubble", o.bubble_s},
                                      {"communication", o.communication_s},
                                      {"evaluation", o.evaluation_s},
                                      {"checkpointing", o.checkpoint_s},
                                      {"lost work", o.lost_work_s},
                                      {"restarts", o.restart_s},
                                      {"growth transitions", o.growth_s},
                                      {"relaunch after pause", o.relaunch_s},
                                      {"paused (carbon)", o.paused_s}}) {
    if (seconds <= 0) continue;
    out +=
        fmt::format("  {:<22}{:>10}  {:>6}\n", name, human_duration(seconds), percent(total > 0 ? seconds / total : 0));
  }
  return out;
}

}  // namespace

std::string simulation_table(const SimulationReport& r) {
  const Distribution& d = r.distribution;
  const RunModel& m = r.model;
  std::string out =
      fmt::format("{}: {} trials (seed {}){}\n", m.name, d.trials, d.seed, d.cancelled ? " [cancelled]" : "");
  out += fmt::format("{} x {} GPUs", m.cluster.hardware.name, m.cluster.gpus);
  if (m.hot_spare_gpus > 0) out += fmt::format(" + {} hot spares", m.hot_spare_gpus);
  if (m.failure_rate_per_s > 0) {
    out += fmt::format("; failures: one per {} GPU-hours per GPU = one every {} for the job",
                       human_number(m.mtbf_gpu_hours), human_duration(1 / m.failure_rate_per_s));
  } else {
    out += "; failures disabled";
  }
  out += "\n";
  if (r.calendar.trace) {
    out += fmt::format("carbon trace {} ({}, mean {:.0f} gCO2e/kWh), start {}{}\n", r.calendar.trace->source_file,
                       to_string(r.calendar.trace->column), r.calendar.trace->mean_g_co2e_per_kwh(),
                       planner::format_utc_timestamp(r.calendar.start_unix_s),
                       r.trace_repeats ? " (the run outlasts the trace: it repeats)" : "");
  }
  out += "\n";
  const TimeUnit unit = unit_for(d.total.days.p50 * kSecondsPerDay);
  TextTable table({"stage", fmt::format("{} P10 / P50 / P90", unit.name), "GPU-hours", "USD", "energy", "CO2e",
                   "failures", "checkpoint every"});
  for (const StageDistribution& s : d.stages) {
    table.add_row(row(s.name, s.metrics, unit, s.failures_mean, interval(s.checkpoint_interval_s)));
  }
  table.add_separator();
  table.add_row(row("total", d.total, unit, d.failures_mean, ""));
  out += table.render();
  out += "(GPU-hours, USD, energy and CO2e are P50s)\n\n";
  out += fmt::format("planner, failure-free: {}; simulated P50 {} (+{})\n", human_duration(r.estimate.total.seconds),
                     human_duration(d.total.days.p50 * kSecondsPerDay),
                     human_duration(d.total.days.p50 * kSecondsPerDay - r.estimate.total.seconds));
  out += fmt::format("expected failures {:.2f} (simulated mean {:.2f}); expected lost work {}\n", d.failures_expected,
                     d.failures_mean, human_duration(d.lost_work_expected_s));
  const CheckpointCost& c = d.checkpoint_cost;
  out += fmt::format("checkpoint interval vs Young/Daly optimum: {}{} expected ({})\n", c.extra_s >= 0 ? "+" : "-",
                     human_duration(std::abs(c.extra_s)), human_usd(std::abs(c.extra_usd)));
  if (d.deadline_met_fraction) {
    out += fmt::format("deadline {}: met in {} of the trials\n", planner::format_utc_timestamp(*r.deadline_unix_s),
                       percent(*d.deadline_met_fraction));
  }
  out += "\n" + overhead_lines(d.overheads);
  if (r.carbon_aware) {
    const CarbonAwareResult& a = *r.carbon_aware;
    out += fmt::format("\ncarbon-aware ({}): ", to_string(a.mode));
    if (a.mode == CarbonAwareMode::kStart) {
      out += fmt::format("start {} instead of {}", planner::format_utc_timestamp(a.chosen_start_unix_s),
                         planner::format_utc_timestamp(a.requested_start_unix_s));
    } else {
      out += fmt::format("pause in {} of {} hours before the deadline (at or above {:.0f} gCO2e/kWh)", a.paused_hours,
                         a.window_hours, a.threshold_g_co2e_per_kwh);
    }
    out += fmt::format("\n  saves {} CO2e ({}) for {:+.2f} days (mean; baseline P50 {} CO2e, {:.2f} d)\n",
                       human_mass_kg(a.co2e_saved_kg), percent(a.co2e_saved_fraction), a.days_added,
                       human_mass_kg(a.baseline.total.co2e_kg.p50), a.baseline.total.days.p50);
  }
  return out;
}

std::string simulation_csv(const SimulationReport& r) {
  std::vector<std::string> header = {"stage"};
  for (const char* metric : {"days", "gpu_hours", "cost_usd", "energy_kwh", "co2e_kg"}) {
    for (const char* q : {"p10", "p50", "p90"}) header.push_back(fmt::format("{}_{}", metric, q));
  }
  for (const char* extra : {"failures_expected", "failures_mean", "checkpoint_interval_min"}) {
    header.push_back(extra);
  }
  TextTable t(header);
  auto add = [&](const std::string& name, const MetricBands& m, double expected, double mean, double interval_s) {
    std::vector<std::string> cells = {name};
    for (const Percentiles* p : {&m.days, &m.gpu_hours, &m.cost_usd, &m.energy_kwh, &m.co2e_kg}) {
      for (double v : {p->p10, p->p50, p->p90}) cells.push_back(planner::round_trip_text(v));
    }
    cells.push_back(fmt::format("{}", expected));
    cells.push_back(fmt::format("{}", mean));
    cells.push_back(std::isfinite(interval_s) ? fmt::format("{}", interval_s / 60) : "");
    t.add_row(cells);
  };
  for (const StageDistribution& s : r.distribution.stages) {
    add(s.name, s.metrics, s.failures_expected, s.failures_mean, s.checkpoint_interval_s);
  }
  add("total", r.distribution.total, r.distribution.failures_expected, r.distribution.failures_mean,
      std::numeric_limits<double>::infinity());
  return t.render_csv();
}

}  // namespace sprout::cli
