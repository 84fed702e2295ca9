// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/simulation_json.h"

#include <cmath>

#include "sprout/planner/base/units.h"
#include "sprout/planner/cost/costs_json.h"

namespace sprout::simulator {
namespace {

using planner::kSecondsPerDay;
using planner::kSecondsPerHour;

// JSON has no infinity: an interval that never comes is null.
nlohmann::json minutes_or_null(double seconds) {
  return std::isfinite(seconds) ? nlohmann::json(seconds / 60) : nlohmann::json();
}

// Work-weighted checkpoint interval of the whole run (minutes).
nlohmann::json run_interval_min(const RunModel& m) {
  double work = 0, weighted = 0;
  for (const StageRunModel& s : m.stages) {
    if (!std::isfinite(s.checkpoint_interval_s)) return nullptr;
    work += s.work_s();
    weighted += s.work_s() * s.checkpoint_interval_s;
  }
  return work > 0 ? nlohmann::json(weighted / work / 60) : nlohmann::json();
}

}  // namespace

nlohmann::json to_json(const Percentiles& p) {
  return {{"p10", p.p10}, {"p50", p.p50}, {"p90", p.p90}, {"mean", p.mean}};
}

nlohmann::json to_json(const MetricBands& b) {
  return {{"days", to_json(b.days)},         {"gpu_hours", to_json(b.gpu_hours)},
          {"cost_usd", to_json(b.cost_usd)}, {"energy_kwh", to_json(b.energy_kwh)},
          {"co2e_kg", to_json(b.co2e_kg)},   {"embodied_co2e_kg", to_json(b.embodied_co2e_kg)}};
}

nlohmann::json to_json(const Overheads& o) {
  const double total = o.total_s();
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* name, double seconds) {
    j[name] = {{"days", seconds / kSecondsPerDay}, {"fraction", total > 0 ? seconds / total : 0}};
  };
  put("compute", o.compute_s);
  put("bubble", o.bubble_s);
  put("communication", o.communication_s);
  put("evaluation", o.evaluation_s);
  put("checkpointing", o.checkpoint_s);
  put("lost_work", o.lost_work_s);
  put("restarts", o.restart_s);
  put("growth", o.growth_s);
  put("relaunch", o.relaunch_s);
  put("paused", o.paused_s);
  return j;
}

nlohmann::json to_json(const RunTimeline& t, bool with_events) {
  nlohmann::json j = {
      {"trial", t.trial}, {"seed", t.seed}, {"days", t.total_s / kSecondsPerDay}, {"failures", t.failures}};
  nlohmann::json stages = nlohmann::json::array();
  for (const StageSpan& s : t.stages) {
    stages.push_back({{"name", s.name},
                      {"start_days", s.start_s / kSecondsPerDay},
                      {"end_days", s.end_s / kSecondsPerDay},
                      {"failures", s.failures}});
  }
  j["stages"] = stages;
  if (with_events) {
    nlohmann::json events = nlohmann::json::array();
    for (const RunEvent& e : t.events) {
      events.push_back({{"kind", to_string(e.kind)},
                        {"stage", e.stage},
                        {"start_s", e.start_s},
                        {"end_s", e.end_s},
                        {"segments", e.segments}});
    }
    j["events"] = events;
  }
  return j;
}

nlohmann::json to_json(const IterationSchedule& s) {
  const planner::IterationBreakdown& b = s.breakdown;
  nlohmann::json j = {{"schedule", to_string(s.schedule)},
                      {"stages", s.stages},
                      {"chunks", s.chunks},
                      {"micro_batches", s.micro_batches},
                      {"iteration_s", s.iteration_s},
                      {"bubble_s", s.bubble_s},
                      {"bubble_fraction", s.bubble_fraction},
                      {"exposed_comm_s", s.exposed_comm_s},
                      {"busiest_stage", s.busiest_stage}};
  j["breakdown"] = {{"compute_s", b.compute_s}, {"tp_comm_s", b.tp_comm_s}, {"bubble_s", b.bubble_s},
                    {"pp_comm_s", b.pp_comm_s}, {"dp_comm_s", b.dp_comm_s}, {"optimizer_s", b.optimizer_s},
                    {"other_s", b.other_s}};
  nlohmann::json devices = nlohmann::json::array();
  for (const DeviceTimeline& d : s.devices) {
    nlohmann::json streams = nlohmann::json::object();
    for (const auto& [name, tasks] : {std::pair{"compute", &d.compute}, {"communication", &d.communication}}) {
      nlohmann::json list = nlohmann::json::array();
      for (const ScheduledTask& t : *tasks) {
        list.push_back({{"kind", to_string(t.kind)},
                        {"chunk", t.chunk},
                        {"micro_batch", t.micro_batch},
                        {"start_s", t.start_s},
                        {"end_s", t.end_s},
                        {"critical", t.critical}});
      }
      streams[name] = list;
    }
    devices.push_back({{"stage", d.stage}, {"streams", streams}});
  }
  j["devices"] = devices;
  return j;
}

nlohmann::json to_json(const SimulationReport& r, bool with_timeline_events) {
  const Distribution& d = r.distribution;
  nlohmann::json j;
  j["plan"] = r.model.name;
  j["trials"] = d.trials;
  j["seed"] = d.seed;
  j["cancelled"] = d.cancelled;
  j["gpus"] = r.model.cluster.gpus;
  j["hot_spare_gpus"] = r.model.hot_spare_gpus;
  j["mtbf_gpu_hours"] = r.model.mtbf_gpu_hours;
  j["job_mtbf_days"] = r.model.failure_rate_per_s > 0 ? nlohmann::json(1 / r.model.failure_rate_per_s / kSecondsPerDay)
                                                      : nlohmann::json();
  j["start"] = r.calendar.trace || r.calendar.start_unix_s != 0
                   ? nlohmann::json(planner::format_utc_timestamp(r.calendar.start_unix_s))
                   : nlohmann::json();
  j["deadline"] =
      r.deadline_unix_s ? nlohmann::json(planner::format_utc_timestamp(*r.deadline_unix_s)) : nlohmann::json();
  if (r.calendar.trace) {
    j["carbon_trace"] = {{"file", r.calendar.trace->source_file},
                         {"column", to_string(r.calendar.trace->column)},
                         {"start", planner::format_utc_timestamp(r.calendar.trace->start_unix_s)},
                         {"hours", r.calendar.trace->hours()},
                         {"mean_g_co2e_per_kwh", r.calendar.trace->mean_g_co2e_per_kwh()},
                         {"repeated", r.trace_repeats}};
  } else {
    j["carbon_trace"] = nullptr;
  }

  nlohmann::json stages = nlohmann::json::array();
  for (size_t i = 0; i < d.stages.size(); ++i) {
    const StageDistribution& s = d.stages[i];
    nlohmann::json js = {{"name", s.name}};
    js.update(to_json(s.metrics));
    js["failures_expected"] = s.failures_expected;
    js["failures_mean"] = s.failures_mean;
    js["checkpoint_interval_min"] = minutes_or_null(s.checkpoint_interval_s);
    js["optimal_checkpoint_interval_min"] = minutes_or_null(s.optimal_checkpoint_interval_s);
    js["checkpoint_write_s"] = s.checkpoint_write_s;
    js["growth_transition_s"] = r.model.stages[i].growth_transition_s;
    js["evaluations"] = r.model.stages[i].evaluations;
    js["overheads"] = to_json(s.overheads);
    if (i < r.estimate.stages.size()) js["planner"] = planner::to_json(r.estimate.stages[i].costs);
    stages.push_back(js);
  }
  j["stages"] = stages;

  nlohmann::json total;
  total.update(to_json(d.total));
  total["failures_expected"] = d.failures_expected;
  total["failures_mean"] = d.failures_mean;
  total["lost_work_expected_hours"] = d.lost_work_expected_s / kSecondsPerHour;
  total["checkpoint_interval_min"] = run_interval_min(r.model);
  total["overheads"] = to_json(d.overheads);
  total["planner"] = planner::to_json(r.estimate.total);
  total["checkpoint_cost"] = {{"chosen_expected_days", d.checkpoint_cost.chosen_expected_s / kSecondsPerDay},
                              {"optimal_expected_days", d.checkpoint_cost.optimal_expected_s / kSecondsPerDay},
                              {"extra_hours", d.checkpoint_cost.extra_s / kSecondsPerHour},
                              {"extra_usd", d.checkpoint_cost.extra_usd}};
  if (d.deadline_met_fraction) total["deadline_met_fraction"] = *d.deadline_met_fraction;
  j["total"] = total;
  // Top-level copies of the run-wide figures the issue names.
  j["failures_expected"] = d.failures_expected;
  j["checkpoint_interval_min"] = total["checkpoint_interval_min"];
  j["overheads"] = total["overheads"];

  if (r.carbon_aware) {
    const CarbonAwareResult& a = *r.carbon_aware;
    j["carbon_aware"] = {{"mode", to_string(a.mode)},
                         {"requested_start", planner::format_utc_timestamp(a.requested_start_unix_s)},
                         {"chosen_start", planner::format_utc_timestamp(a.chosen_start_unix_s)},
                         {"window_hours", a.window_hours},
                         {"paused_hours", a.paused_hours},
                         {"threshold_g_co2e_per_kwh", a.threshold_g_co2e_per_kwh},
                         {"co2e_saved_kg", a.co2e_saved_kg},
                         {"co2e_saved_fraction", a.co2e_saved_fraction},
                         {"days_added", a.days_added},
                         {"baseline", to_json(a.baseline.total)}};
  } else {
    j["carbon_aware"] = {{"mode", "none"}};
  }
  j["median_trial"] = to_json(r.timeline, with_timeline_events);
  return j;
}

}  // namespace sprout::simulator
