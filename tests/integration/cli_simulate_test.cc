// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout simulate` and `sprout plan --simulate-iteration` as a user runs them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "test_paths.h"

namespace sprout {
namespace {

std::string flm() { return test::source_path("plans/flm-101b.yaml"); }
std::string trace(const char* region) {
  return test::source_path(std::string("profiles/regions/traces/") + region + "-2023-synthetic.csv");
}

TEST(CliSimulate, JsonIsOneDocumentWithBandsPerStageAndTotal) {
  auto r = test::run_command(test::sprout_cmd() + " simulate " + flm() + " --trials 2000 --seed 3 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["stages"].size(), 3u);
  EXPECT_EQ(j["trials"], 2000);
  for (const char* metric : {"days", "gpu_hours", "cost_usd", "energy_kwh", "co2e_kg"}) {
    for (const char* q : {"p10", "p50", "p90"}) {
      EXPECT_TRUE(j["total"][metric][q].is_number()) << metric << q;
      EXPECT_TRUE(j["stages"][1][metric][q].is_number()) << metric << q;
    }
  }
  EXPECT_GT(j["failures_expected"].get<double>(), 1);  // ~1.9 on 192 GPUs over ~21 days
  EXPECT_GT(j["checkpoint_interval_min"].get<double>(), 30);
  EXPECT_TRUE(j["overheads"].contains("lost_work"));
  // The planner's failure-free answer rides along, below the simulated P10.
  EXPECT_LT(j["total"]["planner"]["days"].get<double>(), j["total"]["days"]["p10"].get<double>());
}

TEST(CliSimulate, SameSeedSameOutput) {
  const std::string cmd = test::sprout_cmd() + " simulate " + flm() + " --trials 1000 --seed 9 --format json";
  auto a = test::run_command(cmd), b = test::run_command(cmd);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  auto c = test::run_command(test::sprout_cmd() + " simulate " + flm() + " --trials 1000 --seed 10 --format json");
  EXPECT_NE(a.out, c.out);
}

TEST(CliSimulate, TableAndCsv) {
  auto t = test::run_command(test::sprout_cmd() + " simulate " + flm() + " --trials 500");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  for (const char* text : {"16B", "51B", "101B", "total", "P10 / P50 / P90", "lost work", "restarts",
                           "growth transitions", "Young/Daly", "expected failures"}) {
    EXPECT_NE(t.out.find(text), std::string::npos) << text;
  }
  EXPECT_TRUE(t.err.empty()) << t.err;
  auto c = test::run_command(test::sprout_cmd() + " simulate " + flm() + " --trials 500 --format csv");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(std::count(c.out.begin(), c.out.end(), '\n'), 1 + 3 + 1);
  EXPECT_EQ(c.out.rfind("stage,days_p10,days_p50,days_p90,", 0), 0u);
}

TEST(CliSimulate, CheckpointIntervalOverrideCostsMoreThanTheOptimum) {
  auto r = test::run_command(test::sprout_cmd() + " simulate " + flm() +
                             " --trials 500 --checkpoint-every 10 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["stages"][0]["checkpoint_interval_min"].get<double>(), 10);
  EXPECT_GT(j["total"]["checkpoint_cost"]["extra_hours"].get<double>(), 0);
  EXPECT_GT(j["total"]["checkpoint_cost"]["extra_usd"].get<double>(), 0);
}

TEST(CliSimulate, CarbonAwarePauseReportsSavingsAndDaysAdded) {
  auto r = test::run_command(test::sprout_cmd() + " simulate " + flm() + " --region germany --trials 300" +
                             " --carbon-trace " + trace("germany") +
                             " --start 2023-03-01T00:00:00Z --deadline 2023-04-15T00:00:00Z" +
                             " --carbon-aware pause --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["carbon_aware"]["mode"], "pause");
  EXPECT_GT(j["carbon_aware"]["co2e_saved_kg"].get<double>(), 0);
  EXPECT_GT(j["carbon_aware"]["days_added"].get<double>(), 0);
  EXPECT_EQ(j["carbon_trace"]["hours"], 8760);
}

// Bad input: exit 2, one line `error: file:line:col: field: reason`, nothing on stdout.
TEST(CliSimulate, BadTracesExitTwoWithOneLine) {
  for (const auto& entry : std::filesystem::directory_iterator(test::source_path("tests/data/bad-traces"))) {
    auto r = test::run_command(test::sprout_cmd() + " simulate " + flm() + " --trials 10 --carbon-trace " +
                               entry.path().string());
    EXPECT_EQ(r.exit_code, 2) << entry.path() << r.err;
    EXPECT_TRUE(r.out.empty()) << entry.path();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("error: " + entry.path().string() + ":", 0), 0u) << r.err;
    // A layout sprout does not know is told by the columns it has.
    if (entry.path().filename() == "unknown-layout.csv") {
      EXPECT_NE(r.err.find("columns found: `timestamp`"), std::string::npos) << r.err;
    }
  }
}

TEST(CliSimulate, BadOptionsExitTwo) {
  const std::string base = test::sprout_cmd() + " simulate " + flm();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" --trials 0", "error: --trials: trials: must be at least 1"},
      {" --trials -5", "error: --trials: trials: must be at least 1"},
      {" --trials 2000000", "error: --trials: trials: must be at most 1000000"},
      {" --start 2023-03-01T00:00:00Z --deadline 2023-02-01T00:00:00Z",
       "error: --deadline: deadline: 2023-02-01T00:00:00Z is not after the start"},
      {" --start 2023-03-01T00:00:00+01:00", "error: --start: start: '2023-03-01T00:00:00+01:00' is not in UTC"},
      {" --deadline tomorrow", "error: --deadline: deadline: 'tomorrow' is not an ISO 8601 time"},
      {" --carbon-aware start --deadline 2023-03-01T00:00:00Z",
       "error: --carbon-aware: carbon_aware: needs an hourly carbon trace"},
      {" --checkpoint-every 0", "error: --checkpoint-every: checkpoint_interval: must be a positive"},
      {" --mtbf-gpu-hours 1",
       "error: --mtbf-gpu-hours: mtbf_gpu_hours: 1 GPU-hours per GPU means a failure every 19 s"},
      {" --carbon-trace /no/such.csv", "error: /no/such.csv"},
  };
  for (const auto& [args, message] : cases) {
    auto r = test::run_command(base + args);
    EXPECT_EQ(r.exit_code, 2) << args << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
    EXPECT_EQ(r.err.rfind(message, 0), 0u) << args << ": " << r.err;
  }
  auto bad_mode = test::run_command(base + " --carbon-aware sometimes");
  EXPECT_EQ(bad_mode.exit_code, 2);
}

// `sprout plan --simulate-iteration` takes stage times from the DAG; they stay
// within 5% of the analytic model on FLM-101B.
TEST(CliPlanSimulateIteration, WithinFivePercentOfTheAnalyticModel) {
  auto a = test::run_command(test::sprout_cmd() + " plan " + flm() + " --format json --no-baseline");
  auto d =
      test::run_command(test::sprout_cmd() + " plan " + flm() + " --format json --no-baseline --simulate-iteration");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const auto ja = nlohmann::json::parse(a.out), jd = nlohmann::json::parse(d.out);
  for (size_t i = 0; i < 3; ++i) {
    const double ta = ja["stages"][i]["iteration_seconds"].get<double>();
    const double td = jd["stages"][i]["iteration_seconds"].get<double>();
    EXPECT_NE(ta, td);
    EXPECT_NEAR(td / ta, 1.0, 0.05) << i;
  }
}

}  // namespace
}  // namespace sprout
