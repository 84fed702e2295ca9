// SPDX-License-Identifier: GPL-3.0-or-later
// Fits recover the law that generated noise-free points.
#include "sprout/planner/loss/loss_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace sprout::planner {
namespace {

TEST(LossFit, PowerLawRecoversMuScalingCoefficients) {
  const double a = 12.0, b = -0.3, c = 1.8;
  std::vector<double> xs, ys;
  for (double n : {1e5, 3e5, 1e6, 3e6, 1e7}) {
    xs.push_back(n);
    ys.push_back(a * std::pow(n, b) + c);
  }
  const PowerLawFit fit = fit_power_law(xs, ys);
  EXPECT_NEAR(fit.b, b, 2e-4);
  EXPECT_NEAR(fit.a / a, 1, 5e-3);
  EXPECT_NEAR(fit.c, c, 1e-3);
  EXPECT_LT(fit.rmse, 1e-4);
  EXPECT_NEAR(fit(1e8), a * std::pow(1e8, b) + c, 1e-3);
}

TEST(LossFit, ScalingLawRecoversAllFiveCoefficients) {
  LossModel truth = chinchilla_2022();
  truth.e = 1.2;
  truth.a = 80;
  truth.alpha = 0.4;
  truth.b = 300;
  truth.beta = 0.3;
  std::vector<LossPoint> points;
  for (double n : {1e5, 4e5, 1.6e6, 6.4e6}) {
    for (double d : {1e6, 4e6, 1.6e7, 6.4e7, 2.56e8}) points.push_back({n, d, predicted_loss(truth, n, d), 1});
  }
  const ScalingLawFit fit = fit_scaling_law(points);
  EXPECT_NEAR(fit.alpha, truth.alpha, 1e-3);
  EXPECT_NEAR(fit.beta, truth.beta, 1e-3);
  EXPECT_NEAR(fit.e, truth.e, 5e-3);
  EXPECT_NEAR(fit.a / truth.a, 1, 2e-2);
  EXPECT_NEAR(fit.b / truth.b, 1, 2e-2);
  EXPECT_LT(fit.rmse, 1e-4);
  EXPECT_EQ(fit.points, 20);
}

TEST(LossFit, CoefficientsStayNonNegative) {
  // Loss that rises with size: the best non-negative fit has no size term.
  std::vector<LossPoint> points;
  for (double n : {1e5, 1e6}) {
    for (double d : {1e6, 1e7, 1e8}) points.push_back({n, d, 2 + 0.01 * std::log10(n) + 5 / std::sqrt(d), 1});
  }
  const ScalingLawFit fit = fit_scaling_law(points);
  EXPECT_GE(fit.e, 0);
  EXPECT_GE(fit.a, 0);
  EXPECT_GE(fit.b, 0);
  EXPECT_NEAR(fit.a, 0, 1e-9);
}

TEST(LossFit, GrowthTokenEfficiencyIsRecovered) {
  LossModel truth = chinchilla_2022();
  truth.growth_token_efficiency = 0.7;
  std::vector<GrowthLossPoint> points;
  for (double t : {1e9, 3e9, 1e10, 3e10}) {
    GrowthLossPoint p;
    p.stages = {{1e9, 2e10}, {4e9, t}};
    p.loss = predict_loss_at(truth, p.stages, 1, t);
    points.push_back(p);
  }
  const GrowthEfficiencyFit fit = fit_growth_token_efficiency(chinchilla_2022(), points);
  EXPECT_NEAR(fit.token_efficiency, 0.7, 2e-3);
  EXPECT_LT(fit.rmse, 1e-5);
}

TEST(LossFit, TooLittleDataIsRejected) {
  EXPECT_THROW(fit_power_law({1e5, 1e6}, {2, 1.9}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({1e5, 1e5, 1e5}, {2, 1.9, 1.8}), std::invalid_argument);
  std::vector<LossPoint> one_size;
  for (double d : {1e6, 1e7, 1e8, 1e9, 1e10}) one_size.push_back({1e6, d, 2 + 1 / std::sqrt(d), 1});
  EXPECT_THROW(fit_scaling_law(one_size), std::invalid_argument);
  one_size[0].loss = NAN;
  EXPECT_THROW(fit_scaling_law(one_size), std::invalid_argument);
  EXPECT_THROW(fit_growth_token_efficiency(chinchilla_2022(), {}), std::invalid_argument);
}

}  // namespace
}  // namespace sprout::planner
