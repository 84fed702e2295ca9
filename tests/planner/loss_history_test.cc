// SPDX-License-Identifier: GPL-3.0-or-later
// Reading sprout-train run directories (tests/data/runs, made by
// tests/data/runs/generate_runs.py from a known law).
#include "sprout/planner/runs/loss_history.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "sprout/planner/base/file_io.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

std::string run(const std::string& name) { return test::source_path("tests/data/runs/" + name); }

// generate_runs.py: the law, and 196 steps x 8192 tokens for a 1.6M-token stage.
double true_loss(double n, double d) { return 1.05 + 38.0 / std::pow(n, 0.36) + 110.0 / std::pow(d, 0.34); }
constexpr double kStageTokens = 196 * 8192.0;

TEST(LossHistory, ReadsAProxyRun) {
  const RunLossHistory h = read_run_loss_history(run("w64"));
  EXPECT_EQ(h.name, "w64");
  EXPECT_EQ(h.plan.stages.size(), 1u);
  EXPECT_FALSE(h.in_progress);
  ASSERT_EQ(h.stage_tokens.size(), 1u);
  EXPECT_DOUBLE_EQ(h.stage_tokens[0], kStageTokens);
  // Evaluations every 25 steps and at the end: 8 validation losses are used.
  const auto fit = h.fit_records();
  ASSERT_EQ(fit.size(), 8u);
  for (const auto& r : fit) EXPECT_TRUE(r.eval);
  const auto final_loss = h.final_loss();
  EXPECT_DOUBLE_EQ(final_loss.stage_tokens, kStageTokens);
  const double n = parameter_count(h.plan.stages[0].shape);
  EXPECT_NEAR(final_loss.loss, true_loss(n, kStageTokens), 0.02);  // validation noise 0.006
}

TEST(LossHistory, SplitsAGrowthRunIntoStages) {
  const RunLossHistory h = read_run_loss_history(run("grow-tiny"));
  ASSERT_EQ(h.stage_tokens.size(), 3u);
  EXPECT_DOUBLE_EQ(h.stage_tokens[0], kStageTokens);
  EXPECT_DOUBLE_EQ(h.stage_tokens[1], 98 * 8192.0);
  EXPECT_DOUBLE_EQ(h.stage_tokens[2], 98 * 8192.0);
  const auto reached = h.stages_reached();
  EXPECT_DOUBLE_EQ(reached[2].params, parameter_count(h.plan.stages[2].shape));
  for (const auto& r : h.records) EXPECT_LE(r.stage_tokens, h.stage_tokens[r.stage]);
}

class BadRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("bad-run");
    fs::copy_file(run("w64") + "/plan.yaml", dir_ + "/plan.yaml");
  }
  void telemetry(const std::string& text) { write_file_atomically(dir_ + "/telemetry.jsonl", text); }
  std::string error() {
    try {
      read_run_loss_history(dir_);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
  std::string dir_;
};

const char* kGood = R"({"step": 5, "stage": "only", "tokens": 40960, "loss": 4.5})";

TEST_F(BadRun, MalformedLineNamesFileAndLine) {
  telemetry(std::string(kGood) + "\n{\"step\": 10, oops}\n" + kGood + "\n");
  EXPECT_EQ(error(), dir_ + "/telemetry.jsonl:2: telemetry.line: not valid JSON");
}

TEST_F(BadRun, UnknownStage) {
  telemetry(R"({"step": 5, "stage": "huge", "tokens": 40960, "loss": 4.5})"
            "\n");
  EXPECT_NE(error().find("telemetry.jsonl:1: telemetry.stage: \"huge\" is not a stage"), std::string::npos) << error();
}

TEST_F(BadRun, NonNumericOrNegativeValues) {
  telemetry(R"({"step": 5, "stage": 0, "tokens": "many", "loss": 4.5})"
            "\n");
  EXPECT_NE(error().find(":1: telemetry.tokens: expected a number"), std::string::npos) << error();
  telemetry(R"({"step": 5, "stage": 0, "tokens": 100, "loss": -1})"
            "\n");
  EXPECT_NE(error().find(":1: telemetry.loss:"), std::string::npos) << error();
  telemetry(R"({"step": 5, "stage": 0, "tokens": 100})"
            "\n");
  EXPECT_NE(error().find(":1: telemetry.loss: missing"), std::string::npos) << error();
}

TEST_F(BadRun, NoLossRecordsOrNoTelemetry) {
  EXPECT_NE(error().find("telemetry.jsonl: telemetry.jsonl: missing"), std::string::npos) << error();
  telemetry(R"({"step": 5, "stage": 0, "tokens": 100, "event": "checkpoint"})"
            "\n");
  EXPECT_NE(error().find("no records with a loss"), std::string::npos) << error();
  fs::remove(dir_ + "/plan.yaml");
  EXPECT_NE(error().find("plan.yaml: missing"), std::string::npos) << error();
  EXPECT_NE(
      [] {
        try {
          read_run_loss_history("/no/such/run");
        } catch (const InputError& e) {
          return std::string(e.what());
        }
        return std::string();
      }()
          .find("/no/such/run: run directory: does not exist"),
      std::string::npos);
}

TEST_F(BadRun, ACutLastLineMeansInProgress) {
  const RunLossHistory h = read_run_loss_history(run("in-progress"));
  EXPECT_TRUE(h.in_progress);
  EXPECT_GT(h.records.size(), 10u);
  // The same cut in the middle of the file is an error.
  telemetry(std::string(kGood).substr(0, 20) + "\n" + kGood + "\n");
  EXPECT_NE(error().find(":1: telemetry.line: not valid JSON"), std::string::npos);
}

TEST_F(BadRun, ResumedStepsReplaceTheEarlierOnesAndPerStageTokensAreUnderstood) {
  // A resume re-logs steps 10 and 15; tokens restart at each stage.
  fs::copy_file(run("grow-tiny") + "/plan.yaml", dir_ + "/plan.yaml", fs::copy_options::overwrite_existing);
  telemetry(R"({"step": 5, "stage": "small", "tokens": 40960, "loss": 4.0})"
            "\n"
            R"({"step": 10, "stage": "small", "tokens": 81920, "loss": 9.9})"
            "\n"
            R"({"step": 8, "stage": "small", "tokens": 0, "event": "resume"})"
            "\n"
            R"({"step": 10, "stage": "small", "tokens": 81920, "loss": 3.5})"
            "\n"
            R"({"step": 15, "stage": "wide", "tokens": 8192, "loss": 3.4})"
            "\n"
            R"({"step": 20, "stage": 1, "tokens": 49152, "loss": 3.3})"
            "\n");
  const RunLossHistory h = read_run_loss_history(dir_);
  ASSERT_EQ(h.records.size(), 4u);
  EXPECT_DOUBLE_EQ(h.records[1].loss, 3.5);
  EXPECT_DOUBLE_EQ(h.records[2].stage_tokens, 8192);
  EXPECT_EQ(h.records[3].stage, 1u);
  EXPECT_DOUBLE_EQ(h.stage_tokens[0], 81920);
  EXPECT_DOUBLE_EQ(h.stage_tokens[1], 49152);
}

}  // namespace
}  // namespace sprout::planner
