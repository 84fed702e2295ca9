// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/run/simulation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "carbon/calendar_index.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/simulator/run/simulation_json.h"
#include "test_paths.h"

namespace sprout::simulator {
namespace {

constexpr planner::UnixSeconds kJune1 = 1685577600;  // 2023-06-01T00:00:00Z

CarbonTrace hourly(std::vector<double> g, planner::UnixSeconds start = kJune1) {
  CarbonTrace t;
  t.source_file = "test";
  t.start_unix_s = start;
  t.g_co2e_per_kwh = std::move(g);
  return t;
}

planner::Plan flm() { return planner::load_plan(test::source_path("plans/flm-101b.yaml")); }
std::string trace_path(const char* region) {
  return test::source_path(std::string("profiles/regions/traces/") + region + "-2023-synthetic.csv");
}
planner::UnixSeconds utc(const char* text) { return planner::parse_utc_timestamp(text).seconds; }

TEST(CalendarIndex, IntegratesHourByHourAndRepeatsPastTheEnd) {
  RunCalendar c;
  c.trace = hourly({100, 300});
  c.start_unix_s = kJune1 + 1800;  // half-way through the first hour
  const internal::CalendarIndex index(c);
  // [0.5 h, 1.5 h] of the trace: half an hour at 100, then half at 300.
  EXPECT_NEAR(index.intensity_integral(0, 3600), 1800 * 100 + 1800 * 300, 1e-6);
  // Past the end the trace repeats: hours 2..3 are 100, 300 again.
  EXPECT_NEAR(index.intensity_integral(5400, 5400 + 7200), 3600 * 100 + 3600 * 300, 1e-6);
  EXPECT_NEAR(index.trace_end_s(), 5400, 1e-9);
  const internal::CalendarIndex constant(constant_calendar(582));
  EXPECT_NEAR(constant.intensity_integral(10, 110), 58200, 1e-9);
}

TEST(CalendarIndex, FindsPausesAndResumes) {
  RunCalendar c;
  c.trace = hourly(std::vector<double>(10, 1));
  c.start_unix_s = kJune1;
  c.paused_hours = {0, 0, 1, 1, 0};
  const internal::CalendarIndex index(c);
  EXPECT_EQ(index.next_pause(100), 7200);
  EXPECT_EQ(index.next_pause(7300), 7300);
  EXPECT_EQ(index.next_resume(7300), 4 * 3600);
  EXPECT_TRUE(std::isinf(index.next_pause(4 * 3600)));  // nothing paused after hour 4
}

TEST(CarbonAware, BestStartFindsTheCleanestWindow) {
  std::vector<double> g(100, 500);
  for (int h = 40; h < 50; ++h) g[h] = 100;
  RunCalendar c;
  c.trace = hourly(g);
  EXPECT_EQ(best_start(c, kJune1, kJune1 + 80 * 3600, 10 * 3600), kJune1 + 40 * 3600);
  // A window that cannot reach the valley keeps the earliest start.
  EXPECT_EQ(best_start(c, kJune1, kJune1 + 20 * 3600, 10 * 3600), kJune1);
}

TEST(CarbonAware, PausePlanKeepsTheCleanestHoursThatFinishInTime) {
  const CarbonTrace t = hourly({50, 900, 60, 800, 70, 700, 80, 600, 90, 500});
  const PausePlan p = plan_pauses(t, kJune1, kJune1 + 10 * 3600, 5 * 3600, 0);
  ASSERT_TRUE(p.feasible);
  EXPECT_EQ(p.window_hours, 10);
  EXPECT_EQ(p.paused_hour_count, 5);
  EXPECT_EQ(p.paused_hours, (std::vector<std::uint8_t>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(p.threshold_g_co2e_per_kwh, 500);
  // Each pause costing half an hour: four pauses between five clean blocks
  // need two more hours (the next cleanest, 500 and 600).
  const PausePlan costly = plan_pauses(t, kJune1, kJune1 + 10 * 3600, 5 * 3600, 1800);
  EXPECT_EQ(costly.paused_hour_count, 3);
  EXPECT_FALSE(plan_pauses(t, kJune1, kJune1 + 10 * 3600, 11 * 3600, 0).feasible);
}

SimulationOptions quick() {
  SimulationOptions o;
  o.trials = 400;
  o.seed = 5;
  return o;
}

// A trace that is flat at the region's annual mean emits what the planner says.
TEST(Simulation, FlatTraceEmitsLikeTheAnnualMean) {
  const planner::Plan plan = flm();
  const std::string dir = test::make_temp_dir("flat-trace");
  const std::string path = dir + "/flat.csv";
  {
    std::ofstream out(path);
    out << "Datetime (UTC),Carbon Intensity gCO2eq/kWh (direct)\n";
    for (int h = 0; h < 24 * 40; ++h) {
      out << planner::format_utc_timestamp(kJune1 + 3600LL * h) << "," << plan.cluster.region.grid_g_co2e_per_kwh
          << "\n";
    }
  }
  SimulationOptions with_trace = quick();
  with_trace.carbon_trace_csv = path;
  const SimulationReport a = simulate_plan(plan, with_trace);
  const SimulationReport b = simulate_plan(plan, quick());
  EXPECT_NEAR(a.distribution.total.co2e_kg.p50 / b.distribution.total.co2e_kg.p50, 1.0, 1e-9);
  EXPECT_EQ(a.calendar.start_unix_s, kJune1);  // default start: the trace's first hour
  EXPECT_FALSE(a.trace_repeats);
  std::filesystem::remove_all(dir);
}

TEST(Simulation, CarbonAwareStartSavesCarbonBeforeTheDeadline) {
  SimulationOptions o = quick();
  o.carbon_trace_csv = trace_path("cn-north");
  o.start_unix_s = utc("2023-03-01T00:00:00Z");
  o.deadline_unix_s = utc("2023-05-01T00:00:00Z");
  o.carbon_aware = CarbonAwareMode::kStart;
  const SimulationReport r = simulate_plan(flm(), o);
  ASSERT_TRUE(r.carbon_aware);
  const CarbonAwareResult& a = *r.carbon_aware;
  EXPECT_GT(a.chosen_start_unix_s, a.requested_start_unix_s);
  EXPECT_GT(a.co2e_saved_kg, 0);
  EXPECT_NEAR(a.co2e_saved_kg, a.baseline.total.co2e_kg.mean - r.distribution.total.co2e_kg.mean, 1e-6);
  EXPECT_NEAR(a.days_added,
              (a.chosen_start_unix_s - a.requested_start_unix_s) / planner::kSecondsPerDay +
                  r.distribution.total.days.mean - a.baseline.total.days.mean,
              1e-9);
  // Money and GPU time do not change with the start: only emissions do.
  EXPECT_NEAR(r.distribution.total.cost_usd.mean / a.baseline.total.cost_usd.mean, 1.0, 1e-9);
  ASSERT_TRUE(r.distribution.deadline_met_fraction);
  EXPECT_GE(*r.distribution.deadline_met_fraction, 0.9);
}

TEST(Simulation, CarbonAwarePauseSkipsDirtyHours) {
  SimulationOptions o = quick();
  o.carbon_trace_csv = trace_path("germany");
  o.start_unix_s = utc("2023-03-01T00:00:00Z");
  o.deadline_unix_s = utc("2023-04-15T00:00:00Z");
  o.carbon_aware = CarbonAwareMode::kPause;
  planner::Plan plan = flm();
  plan.cluster.region = planner::find_region_profile("germany");
  const SimulationReport r = simulate_plan(plan, o);
  ASSERT_TRUE(r.carbon_aware);
  const CarbonAwareResult& a = *r.carbon_aware;
  EXPECT_GT(a.paused_hours, 0);
  EXPECT_GT(a.co2e_saved_fraction, 0.05);
  EXPECT_GT(a.days_added, 0);
  EXPECT_GT(r.distribution.overheads.paused_s, 0);
  EXPECT_GT(r.distribution.overheads.relaunch_s, 0);
  EXPECT_GE(*r.distribution.deadline_met_fraction, 0.8);
  // Paused hours are not billed: GPU-hours grow only by the pause overheads.
  EXPECT_LT(r.distribution.total.gpu_hours.mean / a.baseline.total.gpu_hours.mean, 1.02);
  // The timeline shows the pauses.
  int pauses = 0;
  for (const RunEvent& e : r.timeline.events) pauses += e.kind == RunEventKind::kPause;
  EXPECT_GT(pauses, 5);
}

TEST(Simulation, RegionProfileTraceIsTheDefault) {
  const std::string dir = test::make_temp_dir("region-trace");
  {
    std::ofstream out(dir + "/traced.yaml");
    out << "name: traced\ngrid_g_co2e_per_kwh: 381\npue: 1.2\ncarbon_trace_csv: " << trace_path("germany") << "\n";
  }
  planner::Plan plan = flm();
  plan.cluster.region = planner::load_region_profile(dir + "/traced.yaml");
  const SimulationReport r = simulate_plan(plan, quick());
  ASSERT_TRUE(r.calendar.trace);
  EXPECT_EQ(r.calendar.trace->hours(), 8760);
  std::filesystem::remove_all(dir);
}

void expect_bad(const SimulationOptions& o, const std::string& starts_with) {
  try {
    simulate_plan(flm(), o);
    ADD_FAILURE() << "accepted; expected " << starts_with;
  } catch (const planner::InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(starts_with, 0), 0u) << e.what();
  }
}

TEST(Simulation, RejectsBadOptionsAsInputErrors) {
  SimulationOptions o = quick();
  o.trials = 0;
  expect_bad(o, "--trials: trials: must be at least 1");
  o = quick();
  o.carbon_trace_csv = trace_path("cn-north");
  o.start_unix_s = utc("2023-03-01T00:00:00Z");
  o.deadline_unix_s = utc("2023-02-01T00:00:00Z");
  expect_bad(o, "--deadline: deadline: 2023-02-01T00:00:00Z is not after the start 2023-03-01T00:00:00Z");
  o.deadline_unix_s = utc("2023-03-10T00:00:00Z");
  o.carbon_aware = CarbonAwareMode::kStart;
  expect_bad(o, "--deadline: deadline: 2023-03-10T00:00:00Z leaves 9.00 d after the start but the run needs");
  o.deadline_unix_s.reset();
  expect_bad(o, "--carbon-aware: carbon_aware: needs --deadline");
  o.start_unix_s = utc("2025-01-01T00:00:00Z");
  expect_bad(o, "--start: start: 2025-01-01T00:00:00Z is outside the carbon trace");
  SimulationOptions no_trace = quick();
  no_trace.carbon_aware = CarbonAwareMode::kPause;
  no_trace.deadline_unix_s = utc("2023-03-10T00:00:00Z");
  expect_bad(no_trace, "--carbon-aware: carbon_aware: needs an hourly carbon trace");
  SimulationOptions bad_interval = quick();
  bad_interval.run.checkpoint_interval_s = -60;
  expect_bad(bad_interval, "--checkpoint-every: checkpoint_interval: must be a positive number of minutes");
}

TEST(Simulation, JsonHasTheDocumentedFields) {
  SimulationOptions o = quick();
  o.simulate_iteration = true;
  const SimulationReport r = simulate_plan(flm(), o);
  const nlohmann::json j = to_json(r, true);
  ASSERT_EQ(j["stages"].size(), 3u);
  for (const nlohmann::json* part : {&j["total"], &j["stages"][0]}) {
    for (const char* metric : {"days", "gpu_hours", "cost_usd", "energy_kwh", "co2e_kg"}) {
      for (const char* q : {"p10", "p50", "p90"}) EXPECT_TRUE((*part)[metric].contains(q)) << metric << q;
      EXPECT_LE((*part)[metric]["p10"].get<double>(), (*part)[metric]["p90"].get<double>());
    }
    EXPECT_TRUE(part->contains("failures_expected"));
    EXPECT_TRUE(part->contains("checkpoint_interval_min"));
    for (const char* o : {"compute", "bubble", "communication", "checkpointing", "lost_work", "restarts", "growth"}) {
      EXPECT_TRUE((*part)["overheads"].contains(o)) << o;
    }
  }
  EXPECT_NEAR(j["stages"][2]["checkpoint_interval_min"].get<double>() * 60, r.model.stages[2].checkpoint_interval_s,
              1e-6);
  EXPECT_GT(j["median_trial"]["events"].size(), 10u);
  // --simulate-iteration: stage times come from the DAG, within 5% of the analytic model.
  const planner::Plan plan = flm();
  planner::EstimateOptions analytic;
  analytic.with_scratch_baseline = false;
  const planner::PlanEstimate a = planner::estimate_plan(plan, analytic);
  EXPECT_NE(r.estimate.total.seconds, a.total.seconds);
  EXPECT_NEAR(r.estimate.total.seconds / a.total.seconds, 1.0, 0.05);
}

}  // namespace
}  // namespace sprout::simulator
