// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-train with activation recomputation and fused attention end to end
// (the tiny growth plan, fp32 on the CPU, seconds per run): full and
// selective recomputation give every step's loss of no recomputation bit for
// bit over the plan's 24 steps (with dropout, so the re-run must draw the
// same masks), telemetry and summary.json say which recomputation ran and
// how much memory the steps held, and `attention: flash` is refused where
// this LibTorch has no fused kernel and with dropout (exit 2, one line,
// nothing written).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "sprout/planner/base/file_io.h"
#include "step/fused_attention.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;
using sprout::test::run_command;

class RecomputeE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("recompute-e2e");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
    auto r = run_command(sprout::test::sprout_train_cmd() + " prepare --input " + dir_ + "/corpus.txt --out " + dir_ +
                         "/data");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // The tiny growth plan with more keys in every stage and in `model:`.
  static std::string write_plan(const std::string& name, const std::string& stage_extra,
                                const std::string& model_extra) {
    test::TinyGrowthPlan t;
    t.stage_extra = stage_extra;
    t.model_extra = model_extra;
    const std::string path = dir_ + "/" + name + ".yaml";
    planner::write_file_atomically(path, test::tiny_growth_plan_yaml(t));
    return path;
  }

  static sprout::test::CommandResult train(const std::string& plan, const std::string& run) {
    return run_command(sprout::test::sprout_train_cmd() + " --plan " + plan + " --data " + dir_ + "/data --out " + run +
                       " --threads 1 --quiet");
  }

  // The largest activation peak of the deep stage's step records.
  static long long deep_stage_activation_peak(const std::string& run) {
    long long peak = 0;
    for (const auto& j : test::read_telemetry(run)) {
      if (!j.contains("event") && j["stage"] == "deep")
        peak = std::max(peak, j["activation_peak_bytes"].get<long long>());
    }
    return peak;
  }

  static inline std::string dir_;
};

TEST_F(RecomputeE2E, FullAndSelectiveRecomputationKeepEveryLossBitForBit) {
  const std::string dropout = ", dropout: 0.1";
  const std::string none = dir_ + "/none";
  ASSERT_EQ(train(write_plan("none", "", dropout), none).exit_code, 0);
  const auto want = test::exact_step_losses(none);
  ASSERT_EQ(want.size(), 24u);
  for (const std::string recompute : {"selective", "full"}) {
    const std::string run = dir_ + "/" + recompute;
    const auto r = train(write_plan(recompute, ", recompute: " + recompute, dropout), run);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(test::exact_step_losses(run), want) << recompute;
    int steps = 0, grows = 0;
    for (const auto& j : test::read_telemetry(run)) {
      if (!j.contains("event")) {
        ++steps;
        EXPECT_EQ(j["recompute"], recompute);
        EXPECT_GT(j["activation_peak_bytes"].get<long long>(), 0);
        // The record's peak covers the step's whole window and more (the model, its gradients, Adam).
        EXPECT_GT(j["peak_memory_bytes"].get<long long>(), j["activation_peak_bytes"].get<long long>());
      } else if (j["event"] == "grow") {
        ++grows;
        EXPECT_GT(j["peak_memory_bytes"].get<long long>(), 0);
      }
    }
    EXPECT_EQ(steps, 24);
    EXPECT_EQ(grows, 2);
    const auto summary = nlohmann::json::parse(planner::read_file(run + "/summary.json"));
    for (const auto& s : summary["stages"]) {
      EXPECT_EQ(s["recompute"], recompute);
      EXPECT_EQ(s["attention"], "standard");
    }
  }
  // Without `recompute:` the planner's choice for these small stages is none.
  for (const auto& j : test::read_telemetry(none)) {
    if (!j.contains("event")) {
      EXPECT_EQ(j["recompute"], "none");
    }
  }
  // Keeping only each block's input holds less than keeping everything.
  EXPECT_LT(deep_stage_activation_peak(dir_ + "/full"), deep_stage_activation_peak(none));
}

TEST_F(RecomputeE2E, FlashAttentionIsRefusedWithoutAFusedKernelAndWithDropout) {
  auto expect_refused = [&](const std::string& plan, const std::string& run, const std::string& why) {
    const auto r = train(plan, run);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(plan + ":"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(run));
  };
  expect_refused(write_plan("flash-dropout", "", ", attention: flash, dropout: 0.1"), dir_ + "/flash-dropout",
                 "stages[0].attention: flash with dropout 0.1 is refused: the fused kernel draws its dropout masks "
                 "from the device RNG");
  const std::string flash = write_plan("flash", "", ", attention: flash");
  if (fused_attention_available()) {
    const auto r = train(flash, dir_ + "/flash");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return;
  }
  expect_refused(flash, dir_ + "/flash",
                 "stages[0].attention: flash needs a LibTorch with scaled_dot_product_attention (2.x); this build "
                 "has LibTorch " +
                     libtorch_version() + ": use attention: standard");
}

}  // namespace
}  // namespace sprout::backend
