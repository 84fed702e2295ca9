// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout {
namespace {

TEST(CliPlan, JsonHasTheDocumentedFieldsAndMatchesTheLibrary) {
  auto r =
      test::run_command(test::sprout_cmd() + " plan " + test::source_path("plans/flm-101b.yaml") + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);  // stdout is exactly one JSON document
  ASSERT_EQ(j["stages"].size(), 3u);
  for (const char* key : {"name", "params", "tokens", "flops", "layout", "tflops_per_gpu", "hardware_tflops_per_gpu",
                          "mfu", "iteration_seconds", "gpus", "days", "gpu_hours", "cost_usd", "energy_kwh", "co2e_kg",
                          "embodied_co2e_kg", "memory_gb_per_gpu"}) {
    EXPECT_TRUE(j["stages"][0].contains(key)) << key;
  }
  for (const char* key : {"days", "gpu_hours", "cost_usd", "energy_kwh", "co2e_kg", "embodied_co2e_kg"}) {
    EXPECT_TRUE(j["total"].contains(key)) << key;
    EXPECT_TRUE(j["scratch_baseline"].contains(key)) << key;
  }
  auto est = planner::estimate_plan(planner::load_plan(test::source_path("plans/flm-101b.yaml")));
  EXPECT_DOUBLE_EQ(j["total"]["cost_usd"].get<double>(), est.total.cost_usd);
  EXPECT_EQ(j["stages"][2]["layout"]["tp"], 4);
  EXPECT_EQ(j["stages"][2]["layout"]["pp"], 4);
}

TEST(CliPlan, TableShowsStagesTotalAndBaseline) {
  auto r = test::run_command(test::sprout_cmd() + " plan " + test::source_path("plans/flm-101b.yaml") + " --explain");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text :
       {"16B", "+width 51B", "+depth 101B", "total", "scratch 101B", "saves", "TP comm", "PP bubble", "DP comm"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
  }
}

TEST(CliPlan, CsvHasOneRowPerStagePlusTotalAndBaseline) {
  auto r =
      test::run_command(test::sprout_cmd() + " plan " + test::source_path("plans/flm-101b.yaml") + " --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 3 + 1 + 1);
  EXPECT_EQ(r.out.rfind("stage,params,tokens,flops,", 0), 0u);
}

TEST(CliPlan, OverridesChangeTheAnswer) {
  auto base =
      test::run_command(test::sprout_cmd() + " plan " + test::source_path("plans/flm-101b.yaml") + " --format json");
  auto fr = test::run_command(test::sprout_cmd() + " plan " + test::source_path("plans/flm-101b.yaml") +
                              " --format json --region france --price 2");
  ASSERT_EQ(fr.exit_code, 0) << fr.err;
  auto a = nlohmann::json::parse(base.out), b = nlohmann::json::parse(fr.out);
  EXPECT_NEAR(b["total"]["cost_usd"].get<double>(), 2 * a["total"]["cost_usd"].get<double>(), 1e-6);
  EXPECT_NEAR(b["total"]["co2e_kg"].get<double>() / a["total"]["co2e_kg"].get<double>(), 56.0 / 582, 1e-9);
}

// --with-failures: the simulator's P50 beside the failure-free figures, in
// every format; failures, checkpoints and evaluations only add.
TEST(CliPlan, WithFailuresAddsTheSimulatorsMedianRun) {
  const std::string plan = test::source_path("plans/flm-101b.yaml");
  auto j_run = test::run_command(test::sprout_cmd() + " plan " + plan + " --format json --with-failures --trials 200");
  ASSERT_EQ(j_run.exit_code, 0) << j_run.err;
  const auto j = nlohmann::json::parse(j_run.out);
  ASSERT_TRUE(j.contains("with_failures"));
  const auto& p50 = j["with_failures"];
  EXPECT_DOUBLE_EQ(p50["percentile"].get<double>(), 0.5);
  for (const char* key : {"days", "gpu_hours", "cost_usd", "co2e_kg"}) {
    EXPECT_GT(p50["total"][key].get<double>(), j["total"][key].get<double>()) << key;
  }
  auto table = test::run_command(test::sprout_cmd() + " plan " + plan + " --with-failures --trials 200");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("P50"), std::string::npos) << table.out;
  auto csv = test::run_command(test::sprout_cmd() + " plan " + plan + " --format csv --with-failures --trials 200");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(csv.out.substr(0, csv.out.find('\n')).find("p50"), std::string::npos) << csv.out;
  // Without the flag nothing changes.
  auto plain = test::run_command(test::sprout_cmd() + " plan " + plan + " --format json");
  EXPECT_FALSE(nlohmann::json::parse(plain.out).contains("with_failures"));
}

TEST(CliPlan, BadInputExitsTwoWithOneLine) {
  for (const auto& entry : std::filesystem::directory_iterator(test::source_path("tests/data/bad"))) {
    auto r = test::run_command(test::sprout_cmd() + " plan " + entry.path().string());
    EXPECT_EQ(r.exit_code, 2) << entry.path() << r.err;
    EXPECT_TRUE(r.out.empty()) << entry.path();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("error: " + entry.path().string() + ":", 0), 0u) << r.err;
  }
  auto missing = test::run_command(test::sprout_cmd() + " plan /no/such/plan.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  auto bad_flag =
      test::run_command(test::sprout_cmd() + " plan " + test::source_path("plans/flm-101b.yaml") + " --format xml");
  EXPECT_EQ(bad_flag.exit_code, 2);
  auto bad_layout = test::run_command(test::sprout_cmd() + " plan " +
                                      test::source_path("tests/data/bad-estimate/layout-does-not-fit.yaml"));
  EXPECT_EQ(bad_layout.exit_code, 2);
  EXPECT_NE(bad_layout.err.find("does not fit"), std::string::npos) << bad_layout.err;
}

}  // namespace
}  // namespace sprout
