// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/carbon/carbon_trace.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "enum_names_check.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/utc_time.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/simulator/carbon/carbon_aware.h"
#include "sprout/simulator/run/run_timeline.h"
#include "test_paths.h"

namespace sprout::simulator {
namespace {

// The simulator's enums spelt in flags and JSON: one table each.
TEST(EnumNames, EverySimulatorEnumRoundTrips) {
  test::expect_round_trip<TraceColumn>({TraceColumn::kDirect, TraceColumn::kLifeCycle});
  test::expect_round_trip<CarbonAwareMode>({CarbonAwareMode::kNone, CarbonAwareMode::kStart, CarbonAwareMode::kPause});
  test::expect_round_trip<RunEventKind>(
      {RunEventKind::kTraining, RunEventKind::kCheckpoint, RunEventKind::kGrowthTransition, RunEventKind::kLostWork,
       RunEventKind::kFailure, RunEventKind::kRestart, RunEventKind::kPause, RunEventKind::kRelaunch});
  EXPECT_EQ(planner::EnumNames<TraceColumn>::list(), "direct | lca");
  EXPECT_EQ(planner::EnumNames<CarbonAwareMode>::list(), "none | start | pause");
  EXPECT_STREQ(to_string(RunEventKind::kGrowthTransition), "growth_transition");
}

TEST(UtcTime, ParsesIsoAndElectricityMapsStyles) {
  // 2023-06-01T00:00:00Z = 1685577600 (date -u -d 2023-06-01 +%s).
  for (const char* text : {"2023-06-01T00:00:00Z", "2023-06-01 00:00:00", "2023-06-01T00:00Z", "2023-06-01",
                           "2023-06-01T00:00:00.000Z", "2023-06-01T00:00:00+00:00"}) {
    const planner::ParsedTimestamp t = planner::parse_utc_timestamp(text);
    EXPECT_EQ(t.problem, planner::TimestampProblem::kNone) << text;
    EXPECT_EQ(t.seconds, 1685577600) << text;
  }
  EXPECT_EQ(planner::parse_utc_timestamp("2024-02-29T12:34:56Z").seconds, 1709210096);
  EXPECT_EQ(planner::parse_utc_timestamp("2023-06-01T02:00:00+02:00").problem, planner::TimestampProblem::kNotUtc);
  for (const char* bad : {"", "yesterday", "2023-13-01", "2023-02-30", "2023-06-01T25:00", "2023-06-01Tnoon"}) {
    EXPECT_EQ(planner::parse_utc_timestamp(bad).problem, planner::TimestampProblem::kMalformed) << bad;
  }
  EXPECT_EQ(planner::format_utc_timestamp(1709210096), "2024-02-29T12:34:56Z");
}

TEST(CarbonTrace, ReadsARealElectricityMapsExport) {
  // Subscript-two headers, extra columns, a quoted field with a comma, BOM, CRLF.
  const CarbonTrace t = load_carbon_trace(test::source_path("tests/data/traces/electricity-maps-export.csv"));
  ASSERT_EQ(t.hours(), 48);
  EXPECT_EQ(t.start_unix_s, 1685577600);
  EXPECT_DOUBLE_EQ(t.g_co2e_per_kwh[0], 300);
  EXPECT_DOUBLE_EQ(t.g_co2e_per_kwh[12], 400);
  EXPECT_DOUBLE_EQ(t.mean_g_co2e_per_kwh(), 350);
  const CarbonTrace lca =
      load_carbon_trace(test::source_path("tests/data/traces/electricity-maps-export.csv"), TraceColumn::kLifeCycle);
  EXPECT_DOUBLE_EQ(lca.g_co2e_per_kwh[12], 480);
}

TEST(CarbonTrace, ReadsTheCurrentElectricityMapsColumnNames) {
  // 2024 exports: "Carbon intensity" in lower case and "(Life cycle)" for "(LCA)".
  const std::string path = test::source_path("tests/data/traces/electricity-maps-2024.csv");
  const CarbonTrace t = load_carbon_trace(path);
  ASSERT_EQ(t.hours(), 24);
  EXPECT_EQ(planner::format_utc_timestamp(t.start_unix_s), "2024-03-10T00:00:00Z");
  EXPECT_DOUBLE_EQ(t.g_co2e_per_kwh[0], 50);
  EXPECT_DOUBLE_EQ(t.g_co2e_per_kwh[23], 96);
  EXPECT_DOUBLE_EQ(load_carbon_trace(path, TraceColumn::kLifeCycle).g_co2e_per_kwh[23], 126);
}

TEST(CarbonTrace, ReadsWattTimeMoerAsHourlyMeansInGramsPerKwh) {
  // 5-minute points in lbs/MWh; each hour is the mean of its 12 points, x 0.45359237.
  const std::string path = test::source_path("tests/data/traces/watttime-moer.csv");
  const CarbonTrace t = load_carbon_trace(path);
  ASSERT_EQ(t.hours(), 3);
  EXPECT_EQ(planner::format_utc_timestamp(t.start_unix_s), "2023-06-01T00:00:00Z");
  EXPECT_NEAR(t.g_co2e_per_kwh[0], 1005.5 * 0.45359237, 1e-9);
  EXPECT_NEAR(t.g_co2e_per_kwh[2], 1205.5 * 0.45359237, 1e-9);
  try {
    load_carbon_trace(path, TraceColumn::kLifeCycle);
    ADD_FAILURE() << "a life-cycle column was read from a WattTime file";
  } catch (const planner::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("value: WattTime's MOER is an operating (direct) emission rate"),
              std::string::npos)
        << e.what();
  }
  // A missing hour between 5-minute points is a gap, as in an hourly trace.
  EXPECT_THROW(parse_carbon_trace("point_time,value\n2023-06-01T00:55:00Z,900\n2023-06-01T02:00:00Z,900\n", "gap.csv"),
               planner::InputError);
}

TEST(CarbonTrace, SkipsCommentLinesAndKeepsColumnOrderFree) {
  const CarbonTrace t = parse_carbon_trace(
      "# synthetic\n"
      "Carbon Intensity gCO2eq/kWh (LCA),Carbon Intensity gCO2eq/kWh (direct),Datetime (UTC)\n"
      "12,10,2023-01-01T00:00:00Z\n"
      "22,20,2023-01-01T01:00:00Z\n",
      "inline.csv");
  ASSERT_EQ(t.hours(), 2);
  EXPECT_DOUBLE_EQ(t.g_co2e_per_kwh[1], 20);
  EXPECT_EQ(t.end_unix_s(), t.start_unix_s + 7200);
}

// Every malformed trace is one InputError naming file, line, column (where
// known) and the field.
TEST(CarbonTrace, RejectsMalformedFilesWithFileLineColumnAndField) {
  const std::map<std::string, std::string> expected = {
      {"missing-datetime-column.csv", ":1:1: Datetime (UTC): missing column"},
      {"missing-intensity-column.csv", ":1:1: Carbon Intensity gCO2eq/kWh (direct): missing column"},
      {"non-monotonic.csv", ":3:1: Datetime (UTC): '2023-06-01T00:00:00Z' is not after"},
      {"duplicate-hour.csv", ":4:1: Datetime (UTC): '2023-06-01T01:00:00Z' is not after"},
      {"gap.csv", ":4:1: Datetime (UTC): gap of 1 hours after 2023-06-01T01:00:00Z"},
      {"non-utc.csv", ":2:1: Datetime (UTC): '2023-06-01T00:00:00+02:00' is not in UTC"},
      {"negative-intensity.csv", ":3:22: Carbon Intensity gCO2eq/kWh (direct): -5.0 is negative"},
      {"empty-intensity.csv", ":3:22: Carbon Intensity gCO2eq/kWh (direct): empty value"},
      {"not-a-number.csv", ":3:22: Carbon Intensity gCO2eq/kWh (direct): 'lots' is not a number"},
      {"bad-timestamp.csv", ":3:1: Datetime (UTC): 'yesterday' is not a timestamp"},
      {"not-on-the-hour.csv", ":2:1: Datetime (UTC): '2023-06-01T00:30:00Z' is not on the hour"},
      {"too-few-fields.csv", ":3: row: too few fields"},
      {"header-only.csv", ":1: Carbon Intensity gCO2eq/kWh (direct): the trace has no rows"},
      {"empty.csv", ":1: header: empty file"},
      {"unknown-layout.csv",
       ":1:1: header: not a carbon trace layout sprout knows; columns found: `timestamp`, `gCO2/kWh`, `zone`; expected "
       "Electricity Maps"},
  };
  size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_path("tests/data/bad-traces"))) {
    const std::string path = entry.path().string();
    const std::string name = entry.path().filename().string();
    ASSERT_TRUE(expected.count(name)) << "no expectation for " << name;
    try {
      load_carbon_trace(path);
      ADD_FAILURE() << name << " was accepted";
    } catch (const planner::InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + expected.at(name), 0), 0u) << e.what();
    }
    ++seen;
  }
  EXPECT_EQ(seen, expected.size());
  EXPECT_THROW(load_carbon_trace("/no/such/trace.csv"), planner::InputError);
}

// The shipped traces are marked synthetic and keep their region's annual mean.
TEST(CarbonTrace, ShippedSyntheticTracesMatchTheirRegionProfiles) {
  for (const char* region : {"cn-north", "germany", "france"}) {
    const std::string path =
        test::source_path(std::string("profiles/regions/traces/") + region + "-2023-synthetic.csv");
    std::ifstream in(path);
    std::string first_line;
    std::getline(in, first_line);
    EXPECT_EQ(first_line.rfind("# synthetic:", 0), 0u) << path;
    const CarbonTrace t = load_carbon_trace(path);
    EXPECT_EQ(t.hours(), 8760);
    EXPECT_EQ(planner::format_utc_timestamp(t.start_unix_s), "2023-01-01T00:00:00Z");
    const planner::RegionProfile profile = planner::find_region_profile(region);
    EXPECT_NEAR(t.mean_g_co2e_per_kwh(), profile.grid_g_co2e_per_kwh, 0.001 * profile.grid_g_co2e_per_kwh);
    const CarbonTrace lca = load_carbon_trace(path, TraceColumn::kLifeCycle);
    EXPECT_GT(lca.mean_g_co2e_per_kwh(), t.mean_g_co2e_per_kwh());  // upstream emissions add
  }
}

}  // namespace
}  // namespace sprout::simulator
