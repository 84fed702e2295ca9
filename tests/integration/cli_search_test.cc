// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout search` and `sprout fit-loss` as a user runs them: formats, written
// plans that `sprout plan` reproduces, loss-model files, exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/loss_model_file.h"
#include "test_paths.h"

namespace sprout {
namespace {

namespace fs = std::filesystem;

const std::string kFlmSearch =
    " search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 192 --region cn-north";

std::string runs(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) out += " " + test::source_path(std::string("tests/data/runs/") + n);
  return out;
}

TEST(CliSearch, WrittenPlansReproduceTheirNumbersThroughSproutPlan) {
  const std::string dir = test::make_temp_dir("search-plans");
  auto r = test::run_command(test::sprout_cmd() + kFlmSearch + " --top 3 --format json --write-plans " + dir +
                             " --compare " + test::source_path("plans/flm-101b.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // exactly one JSON document
  ASSERT_EQ(j["candidates"].size(), 3u);
  EXPECT_GT(j["front_size"].get<int>(), 3);
  std::vector<nlohmann::json> written(j["candidates"].begin(), j["candidates"].end());
  written.push_back(j["scratch"]);
  for (const auto& c : written) {
    const std::string file = c["plan_file"];
    ASSERT_TRUE(fs::exists(file)) << file;
    auto p = test::run_command(test::sprout_cmd() + " plan " + file + " --format json");
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const auto plan = nlohmann::json::parse(p.out);
    EXPECT_DOUBLE_EQ(plan["total"]["cost_usd"].get<double>(), c["cost_usd"].get<double>()) << file;
    EXPECT_DOUBLE_EQ(plan["total"]["days"].get<double>(), c["days"].get<double>()) << file;
    EXPECT_DOUBLE_EQ(plan["total"]["co2e_kg"].get<double>(), c["co2e_kg"].get<double>()) << file;
    EXPECT_EQ(plan["stages"].size(), c["stages"].size());
    double tokens = 0;
    for (const auto& st : plan["stages"]) tokens += st["tokens"].get<double>();
    EXPECT_DOUBLE_EQ(tokens, c["tokens"].get<double>());
  }
  // Growth buys more tokens than from scratch for the same money.
  EXPECT_LE(j["candidates"][0]["cost_usd"].get<double>(), 100000);
  EXPECT_GT(j["candidates"][0]["tokens"].get<double>(), 3 * j["scratch"]["tokens"].get<double>());
  EXPECT_LT(j["candidates"][0]["predicted_loss"].get<double>(), j["scratch"]["predicted_loss"].get<double>());
  EXPECT_EQ(j["comparison"]["shapes"], "40x5632 -> 40x10240 -> 80x10240");
  EXPECT_LT(j["comparison"]["placement"]["loss_gap"].get<double>(), 0.02);
  EXPECT_EQ(j["loss_model"]["name"], "chinchilla-2022");
}

TEST(CliSearch, TableAndCsv) {
  auto t = test::run_command(test::sprout_cmd() + kFlmSearch + " --top 4 --compare " +
                             test::source_path("plans/flm-101b.yaml"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  for (const char* text : {"target 80x10240 (101.7B parameters) on 192 x a800", "rank", "scratch",
                           "Pareto front over USD, days, CO2e and predicted loss",
                           "FLM-101B growth schedule (40x5632 -> 40x10240 -> 80x10240)", "Hoffmann et al. 2022"}) {
    EXPECT_NE(t.out.find(text), std::string::npos) << text;
  }
  EXPECT_TRUE(t.err.empty()) << t.err;  // no progress output when stderr is not a terminal
  auto c = test::run_command(test::sprout_cmd() + kFlmSearch + " --top 4 --format csv");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(std::count(c.out.begin(), c.out.end(), '\n'), 1 + 4 + 1);
  EXPECT_EQ(c.out.rfind("rank,schedule,stage_tokens,tokens,days,", 0), 0u);
}

TEST(CliSearch, ShapesRestrictTheLadderAndComparisonsNoteAnotherCluster) {
  auto r = test::run_command(test::sprout_cmd() +
                             " search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 192 "
                             "--region france --shapes 40x10240 --format json --compare " +
                             test::source_path("plans/scratch-101b.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& c : j["candidates"]) {
    const std::string shapes = c["shapes"];
    // Under xPos (the search's FLM-101B template) a width step would change the
    // head size, which growth refuses: only the depth step is left.
    EXPECT_TRUE(shapes == "40x10240 -> 80x10240" || shapes == "80x10240") << shapes;
  }
  EXPECT_EQ(j["comparison"]["note"],
            "it plans 192 x a800 in cn-north at $1.00/GPU-hour, the search 192 x a800 in france at $1.00");
}

TEST(CliSearch, InfeasibleConstraintsExitTwoWithTheTightestOne) {
  auto budget = test::run_command(test::sprout_cmd() +
                                  " search --target-params 101e9 --budget-usd 1000 --hardware a800 --gpus 192");
  EXPECT_EQ(budget.exit_code, 2);
  EXPECT_TRUE(budget.out.empty());
  EXPECT_EQ(std::count(budget.err.begin(), budget.err.end(), '\n'), 1) << budget.err;
  EXPECT_EQ(budget.err.rfind("error: --budget-usd: $1000 covers 222 iterations of the target 80x10240", 0), 0u)
      << budget.err;
  auto deadline = test::run_command(test::sprout_cmd() +
                                    " search --target-params 101e9 --budget-usd 100000 "
                                    "--deadline-days 0.2 --hardware a800 --gpus 192");
  EXPECT_EQ(deadline.exit_code, 2);
  EXPECT_EQ(deadline.err.rfind("error: --deadline-days: 4.8 hours covers", 0), 0u) << deadline.err;
  auto carbon = test::run_command(test::sprout_cmd() +
                                  " search --target-params 101e9 --budget-usd 100000 "
                                  "--max-co2e-t 0.1 --hardware a800 --gpus 192");
  EXPECT_EQ(carbon.exit_code, 2);
  EXPECT_EQ(carbon.err.rfind("error: --max-co2e-t:", 0), 0u) << carbon.err;
  auto too_big = test::run_command(test::sprout_cmd() +
                                   " search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 8");
  EXPECT_EQ(too_big.exit_code, 2);
  EXPECT_NE(too_big.err.find("does not fit on 8 a800 GPUs"), std::string::npos) << too_big.err;
}

TEST(CliSearch, BadArgumentsExitTwo) {
  for (const char* args :
       {" search --budget-usd 100000 --hardware a800 --gpus 192",    // no target
        " search --target-params 101e9 --hardware a800 --gpus 192",  // no budget
        " search --target-params 101e9 --budget-usd nan --hardware a800 --gpus 192",
        " search --target-params 101e9 --budget-usd 100000 --hardware nosuchgpu --gpus 192",
        " search --target-shape 80x10241 --budget-usd 100000 --hardware a800 --gpus 192",
        " search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 192 --format xml"}) {
    auto r = test::run_command(test::sprout_cmd() + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

TEST(CliFitLoss, FitsWritesAndFeedsTheSearch) {
  const std::string dir = test::make_temp_dir("fit-loss");
  const std::string model = dir + "/loss.yaml";
  auto r =
      test::run_command(test::sprout_cmd() + " fit-loss" + runs({"w32", "w64", "w96", "w128", "w192", "grow-tiny"}) +
                        " --out " + model + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["loss_model"]["fit"]["held_out"]["run"], "w192");
  EXPECT_LT(std::abs(j["loss_model"]["fit"]["held_out"]["relative_error"].get<double>()), 0.01);
  const planner::LossModel m = planner::load_loss_model(model);
  EXPECT_NEAR(m.growth_token_efficiency, 0.8, 0.05);
  auto table = test::run_command(test::sprout_cmd() + " fit-loss" + runs({"w32", "w64", "w96", "w128", "w192"}) +
                                 " --out " + dir + "/again.yaml");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("held-out run w192"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("muScaling L(N) = "), std::string::npos) << table.out;
  auto search = test::run_command(test::sprout_cmd() + " search --like " + test::source_path("plans/tiny-cpu.yaml") +
                                  " --target-shape 4x128x8 --budget-usd 0.05 --price 0.1 --hardware cpu-generic "
                                  "--gpus 1 --format json --top 2 --loss-model " +
                                  model);
  ASSERT_EQ(search.exit_code, 0) << search.err;
  const auto s = nlohmann::json::parse(search.out);
  EXPECT_EQ(s["loss_model"]["name"], m.name);
  EXPECT_DOUBLE_EQ(s["loss_model"]["E"].get<double>(), m.e);
}

TEST(CliFitLoss, BadRunsOrModelsExitTwoAndWriteNothing) {
  const std::string dir = test::make_temp_dir("fit-loss-bad");
  auto one_size =
      test::run_command(test::sprout_cmd() + " fit-loss" + runs({"w64", "in-progress"}) + " --out " + dir + "/m.yaml");
  EXPECT_EQ(one_size.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir + "/m.yaml"));
  EXPECT_EQ(one_size.err.rfind("error: fit-loss: runs: fitting L(N, D) needs", 0), 0u) << one_size.err;
  auto missing = test::run_command(test::sprout_cmd() + " fit-loss /no/such/run --out " + dir + "/m.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "error: /no/such/run: run directory: does not exist or is not a directory\n");
  planner::write_file_atomically(dir + "/bad.yaml", "name: x\nE: 1\nA: 1\nB: 1\nalpha: 0.3\n");
  auto bad_model = test::run_command(test::sprout_cmd() + kFlmSearch + " --loss-model " + dir + "/bad.yaml");
  EXPECT_EQ(bad_model.exit_code, 2);
  EXPECT_EQ(bad_model.err, "error: " + dir + "/bad.yaml:1:1: beta: missing (required)\n");
}

}  // namespace
}  // namespace sprout

namespace sprout {
namespace {

// The search ranks by the planner's failure-free costs; the shown schedules
// also get the simulator's spread.
TEST(CliSearchRisk, ShownSchedulesCarrySimulatedBands) {
  auto r = test::run_command(test::sprout_cmd() +
                             " search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 192 "
                             "--region cn-north --top 2 --risk-trials 300 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_GE(j["candidates"].size(), 1u);
  for (const auto& c : j["candidates"]) {
    const auto& usd = c["risk"]["cost_usd"];
    EXPECT_LE(usd["p10"].get<double>(), usd["p50"].get<double>());
    EXPECT_LE(usd["p50"].get<double>(), usd["p90"].get<double>());
    // Failures, checkpoints and evaluations only add to the failure-free cost.
    EXPECT_GT(usd["p50"].get<double>(), c["cost_usd"].get<double>());
  }
}

// --confidence (default 0.5): the budget holds for the simulated run, failures
// included, not only for the failure-free plan; the output says which.
TEST(CliSearchRisk, TheBudgetHoldsAtTheChosenPercentile) {
  const std::string base = test::sprout_cmd() +
                           " search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 192 "
                           "--region cn-north --top 3 --risk-trials 300 --format json";
  for (const char* confidence : {"", " --confidence 0.9"}) {
    auto r = test::run_command(base + confidence);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const double percentile = j["confidence"]["percentile"].get<double>();
    EXPECT_DOUBLE_EQ(percentile, *confidence ? 0.9 : 0.5);
    EXPECT_GT(j["confidence"]["simulated"].get<int>(), 0);
    ASSERT_GE(j["candidates"].size(), 1u);
    const char* band = percentile > 0.5 ? "p90" : "p50";
    for (const auto& c : j["candidates"]) {
      // The shown bands use more trials than the screen: allow their noise.
      EXPECT_LE(c["risk"]["cost_usd"][band].get<double>(), 100000 * 1.01) << confidence;
      EXPECT_LT(c["cost_usd"].get<double>(), 100000);
    }
  }
  auto none = test::run_command(base + " --confidence none");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(nlohmann::json::parse(none.out)["confidence"].is_null());
  auto table = test::run_command(test::sprout_cmd() +
                                 " search --target-params 101e9 --budget-usd 100000 --hardware a800 --gpus 192 "
                                 "--region cn-north --top 1 --risk-trials 0");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("(--confidence 0.5"), std::string::npos) << table.out;
  auto bad = test::run_command(base + " --confidence 0.7");
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace sprout
