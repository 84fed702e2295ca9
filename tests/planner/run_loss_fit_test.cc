// SPDX-License-Identifier: GPL-3.0-or-later
// fit-loss against the known law of tests/data/runs/generate_runs.py:
// E 1.05, A 38, alpha 0.36, B 110, beta 0.34, growth token efficiency 0.8.
#include "sprout/planner/runs/run_loss_fit.h"

#include <gtest/gtest.h>

#include "test_paths.h"

namespace sprout::planner {
namespace {

LossModel truth() {
  LossModel m = chinchilla_2022();
  m.e = 1.05;
  m.a = 38;
  m.alpha = 0.36;
  m.b = 110;
  m.beta = 0.34;
  m.growth_token_efficiency = 0.8;
  return m;
}

std::vector<RunLossHistory> read(const std::vector<std::string>& names) {
  std::vector<RunLossHistory> runs;
  for (const auto& n : names) runs.push_back(read_run_loss_history(test::source_path("tests/data/runs/" + n)));
  return runs;
}

const std::vector<std::string> kAll = {"w32", "w64", "w96", "w128", "w192", "grow-tiny"};

TEST(RunLossFit, RecoversTheGeneratingLawWithinTheData) {
  const LossModel fit = fit_loss_model(read(kAll));
  const LossModel t = truth();
  // Inside the range the runs cover, the fit predicts what the law does; the
  // five coefficients themselves trade off against each other under noise.
  for (double n : {4e4, 1.5e5, 4e5}) {
    for (double d : {3e5, 8e5, 1.6e6}) {
      EXPECT_NEAR(predicted_loss(fit, n, d), predicted_loss(t, n, d), 0.015) << n << " " << d;
    }
  }
  EXPECT_NEAR(fit.alpha, t.alpha, 0.06);
  EXPECT_NEAR(fit.beta, t.beta, 0.06);
  EXPECT_NEAR(fit.growth_token_efficiency, 0.8, 0.05);
  ASSERT_TRUE(fit.fit);
  EXPECT_EQ(fit.fit->growth_points, 8);
  EXPECT_EQ(fit.fit->runs, (std::vector<std::string>{"w32", "w64", "w96", "w128", "grow-tiny"}));
}

TEST(RunLossFit, PredictsTheHeldOutLargestProxy) {
  const LossModel fit = fit_loss_model(read(kAll));
  ASSERT_TRUE(fit.fit && fit.fit->held_out);
  const auto& h = *fit.fit->held_out;
  EXPECT_EQ(h.run, "w192");  // default: the largest from-scratch run
  EXPECT_DOUBLE_EQ(h.tokens, 196 * 8192.0);
  // The law itself would be within the validation noise (0.006) of the actual.
  EXPECT_NEAR(h.actual_loss, predicted_loss(truth(), h.params, h.tokens), 0.015);
  EXPECT_LT(std::abs(h.relative_error), 0.01);
  EXPECT_LT(h.curve_rmse, 0.015);
  // muScaling's L(N) = a N^b + c on the proxies' final losses predicts it too.
  ASSERT_TRUE(fit.fit->muscaling && fit.fit->muscaling->held_out_relative_error);
  EXPECT_LT(std::abs(*fit.fit->muscaling->held_out_relative_error), 0.01);
  EXPECT_LT(fit.fit->muscaling->b, 0);
}

TEST(RunLossFit, HoldoutCanBeChosenOrSwitchedOff) {
  LossFitOptions none;
  none.held_out_run = "none";
  const LossModel all = fit_loss_model(read(kAll), none);
  EXPECT_FALSE(all.fit->held_out);
  EXPECT_EQ(all.fit->runs.size(), 6u);
  LossFitOptions growth;
  growth.held_out_run = "grow-tiny";
  const LossModel g = fit_loss_model(read(kAll), growth);
  EXPECT_EQ(g.fit->held_out->run, "grow-tiny");
  EXPECT_DOUBLE_EQ(g.growth_token_efficiency, 1.0);  // nothing left to calibrate on
  LossFitOptions unknown;
  unknown.held_out_run = "w1024";
  EXPECT_THROW(fit_loss_model(read(kAll), unknown), InputError);
}

TEST(RunLossFit, OneSizeCannotDetermineTheLaw) {
  try {
    fit_loss_model(read({"w64", "in-progress"}));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fit-loss: runs: fitting L(N, D) needs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fit_loss_model({}), InputError);
}

}  // namespace
}  // namespace sprout::planner
