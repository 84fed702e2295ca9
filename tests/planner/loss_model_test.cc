// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/loss/loss_model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sprout::planner {
namespace {

TEST(LossModel, DefaultsAreHoffmannEtAlApproach3) {
  // arXiv 2203.15556, eq. 10.
  const LossModel m = chinchilla_2022();
  EXPECT_DOUBLE_EQ(m.e, 1.69);
  EXPECT_DOUBLE_EQ(m.a, 406.4);
  EXPECT_DOUBLE_EQ(m.b, 410.7);
  EXPECT_DOUBLE_EQ(m.alpha, 0.34);
  EXPECT_DOUBLE_EQ(m.beta, 0.28);
  EXPECT_DOUBLE_EQ(m.growth_token_efficiency, 1.0);
  EXPECT_NE(m.source.find("2203.15556"), std::string::npos);
  EXPECT_FALSE(loss_model_problem(m));
}

TEST(LossModel, ChinchillaItself) {
  // Chinchilla (70B parameters, 1.4T tokens), by hand: 406.4 / 70e9^0.34 =
  // 406.4 / 4865 = 0.0835 and 410.7 / 1.4e12^0.28 = 410.7 / 2518 = 0.1631,
  // so 1.69 + 0.0835 + 0.1631 = 1.937.
  EXPECT_NEAR(predicted_loss(chinchilla_2022(), 70e9, 1.4e12), 1.937, 1e-3);
}

TEST(LossModel, MoreParametersOrTokensLowerTheLossTowardsTheFloor) {
  const LossModel m = chinchilla_2022();
  EXPECT_LT(predicted_loss(m, 2e9, 1e11), predicted_loss(m, 1e9, 1e11));
  EXPECT_LT(predicted_loss(m, 1e9, 2e11), predicted_loss(m, 1e9, 1e11));
  EXPECT_GT(predicted_loss(m, 1e9, 1e15), loss_floor(m, 1e9));
  EXPECT_NEAR(predicted_loss(m, 1e9, 1e40), loss_floor(m, 1e9), 1e-8);
  EXPECT_TRUE(std::isinf(predicted_loss(m, 1e9, 0)));
}

TEST(LossModel, EffectiveTokensInvertTheLaw) {
  const LossModel m = chinchilla_2022();
  for (double n : {1e8, 1.65e10, 1.017e11}) {
    for (double d : {1e9, 2.4537e11, 3e12}) {
      EXPECT_NEAR(effective_tokens(m, n, predicted_loss(m, n, d)) / d, 1.0, 1e-9) << n << " " << d;
    }
  }
  EXPECT_TRUE(std::isinf(effective_tokens(m, 1e9, loss_floor(m, 1e9))));
  EXPECT_TRUE(std::isinf(effective_tokens(m, 1e9, 1.0)));  // below the floor
  EXPECT_EQ(effective_tokens(m, 1e9, INFINITY), 0);
}

TEST(LossModel, ProblemsNameTheField) {
  LossModel m = chinchilla_2022();
  m.alpha = -0.3;
  ASSERT_TRUE(loss_model_problem(m));
  EXPECT_EQ(loss_model_problem(m)->field, "alpha");
  m = chinchilla_2022();
  m.b = NAN;
  EXPECT_EQ(loss_model_problem(m)->field, "B");
  m = chinchilla_2022();
  m.growth_token_efficiency = 0;
  EXPECT_EQ(loss_model_problem(m)->field, "growth_token_efficiency");
}

}  // namespace
}  // namespace sprout::planner
