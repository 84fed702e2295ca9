// SPDX-License-Identifier: GPL-3.0-or-later
// plans/flm-twin-cpu.yaml end to end: FLM-101B's choices (xPos, GELU,
// LayerNorm, dropout, selective recompute, batches in sequences, heads growing
// with the width, a width then a depth growth) on 4 sprout-train processes
// over Gloo, TP2 x DP2 -> TP2 x PP2 -> PP2 x DP2. Each growth keeps the
// validation loss (relative change <= 1e-5 on the same batches), a stop just
// after a growth resumes to the uninterrupted losses, and one process gives
// the same losses (relative 1e-5).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "rank_processes.h"
#include "sprout/planner/base/file_io.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
using sprout::test::run_command;

constexpr double kRelativeTolerance = 1e-5;

class FlmTwin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("flm-twin");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    auto r = run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ +
                         "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    plan_ = sprout::test::source_path("plans/flm-twin-cpu.yaml");
    train(4, plan_, dir_ + "/four");
  }

  static void train(int ranks, const std::string& plan, const std::string& run, const std::string& extra = "") {
    test::RankProcesses p(ranks,
                          sprout::test::sprout_train_cmd() + " --plan " + plan + " --data " + dir_ + "/data --out " +
                              run + " --quiet " + extra,
                          run + ".log");
    const std::vector<int> codes = p.wait_all(300);
    for (int r = 0; r < ranks; ++r) ASSERT_EQ(codes[static_cast<size_t>(r)], 0) << "rank " << r << ": " << p.log(r);
  }

  // (step, value) of the records of `event` ("" = training steps) with `key`.
  static std::vector<std::pair<long long, double>> series(const std::string& run, const std::string& key,
                                                          const std::string& event) {
    std::vector<std::pair<long long, double>> out;
    for (const auto& j : test::read_telemetry(run)) {
      if (j.value("event", "") == event && j.contains(key)) {
        out.emplace_back(j["step"].get<long long>(), j[key].get<double>());
      }
    }
    return out;
  }

  static inline std::string dir_, plan_;
};

TEST_F(FlmTwin, EachGrowthKeepsTheValidationLoss) {
  int growths = 0;
  for (const auto& j : test::read_telemetry(dir_ + "/four")) {
    if (j.value("event", "") != "grow") continue;
    const double before = j.at("val_loss_before"), after = j.at("val_loss_after");
    EXPECT_LE(std::abs(after - before), kRelativeTolerance * before) << "grow at step " << j["step"];
    ++growths;
  }
  EXPECT_EQ(growths, 2);
}

TEST_F(FlmTwin, AStopJustAfterAGrowthResumesToTheSameLosses) {
  // The width growth happens at step 24 (24 steps of 16 x 64 tokens).
  const std::string run = dir_ + "/resumed";
  train(4, plan_, run, "--stop-after-steps 26");
  train(4, plan_, run, "--resume");
  EXPECT_EQ(test::exact_step_losses(run), test::exact_step_losses(dir_ + "/four"));
}

TEST_F(FlmTwin, OneProcessGivesTheSameLosses) {
  std::string text = planner::read_file(plan_);
  text = std::regex_replace(text, std::regex(R"(parallel: \{[^}]*\})"),
                            "parallel: {tp: 1, pp: 1, dp: 1, micro_batch: 4, sequence_parallel: false}");
  text.replace(text.find("gpus: 4"), 7, "gpus: 1");
  const std::string one_plan = dir_ + "/one.yaml";
  planner::write_file_atomically(one_plan, text);
  train(1, one_plan, dir_ + "/one");
  for (const auto& [key, event] : std::vector<std::pair<std::string, std::string>>{
           {"loss", ""}, {"val_loss", "eval"}, {"val_loss_after", "grow"}}) {
    const auto want = series(dir_ + "/one", key, event);
    const auto got = series(dir_ + "/four", key, event);
    ASSERT_EQ(want.size(), got.size()) << key;
    ASSERT_FALSE(want.empty()) << key;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(want[i].first, got[i].first) << key;
      EXPECT_NEAR(got[i].second, want[i].second, kRelativeTolerance * std::abs(want[i].second))
          << key << " at step " << want[i].first;
    }
  }
}

}  // namespace
}  // namespace sprout::backend
